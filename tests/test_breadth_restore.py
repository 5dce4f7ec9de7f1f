"""``--leakwatch-restore``: victims that fail after polluters pass, and the report still names them."""

from __future__ import annotations

from conftest import Suite

SUITE = {
    "app/__init__.py": "",
    "app/config.py": """
        import importlib
        DEBUG = False
        HANDLERS = []
        class Registry:
            strict = False
        def log_event(msg):
            return msg
    """,
    "conftest.py": """
        import os
        START_CWD = os.getcwd()
    """,
    "test_1_polluters.py": """
        import importlib, logging, os, signal, sys, threading, warnings
        from unittest import mock
        import pytest
        from app import config

        stop = threading.Event()

        @pytest.fixture(scope="module")
        def module_leftover():
            os.environ["MODULE_FLAG"] = "1"
            yield

        def test_cwd(tmp_path):
            os.chdir(tmp_path)
        def test_sys_path():
            sys.path.insert(0, "/nonexistent/plugins")
        def test_log_handler():
            logging.getLogger("app").addHandler(logging.NullHandler())
        def test_log_level():
            logging.getLogger("app").setLevel(logging.CRITICAL)
        def test_warnings_filter():
            warnings.filters.insert(0, ("error", None, UserWarning, None, 0))
            warnings._filters_mutated()
        def test_signal():
            signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        def test_thread():
            threading.Thread(target=stop.wait, name="leftover", daemon=True).start()
        def test_env():
            os.environ["APP_MODE"] = "debug"
        def test_module_attr():
            config.DEBUG = True
        def test_class_attr():
            config.Registry.strict = True
        def test_container():
            config.HANDLERS.append("x")
        def test_patcher():
            mock.patch("app.config.log_event").start()
        def test_fake_module():
            sys.modules["psycopg2"] = object()
        def test_module_fixture(module_leftover):
            pass
    """,
    "test_2_victims.py": """
        import logging, os, signal, sys, warnings
        import conftest
        from app import config

        def test_cwd():
            assert os.getcwd() == conftest.START_CWD
        def test_sys_path():
            assert "/nonexistent/plugins" not in sys.path
        def test_log_handler():
            assert logging.getLogger("app").handlers == []
        def test_log_level():
            assert logging.getLogger("app").level == logging.NOTSET
        def test_warnings_filter():
            warnings.warn("harmless", UserWarning)
        def test_signal():
            assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
        def test_env():
            assert "APP_MODE" not in os.environ and "MODULE_FLAG" not in os.environ
        def test_attrs():
            assert config.DEBUG is False and config.Registry.strict is False
        def test_container():
            assert config.HANDLERS == []
        def test_patcher():
            assert config.log_event("x") == "x"
        def test_fake_module():
            assert "psycopg2" not in sys.modules
    """,
}

POLLUTERS = {
    ("cwd", "os.getcwd()", "test_cwd"),
    ("sys-path", "sys.path", "test_sys_path"),
    ("logging", "logging.getLogger('app').handlers", "test_log_handler"),
    ("logging", "logging.getLogger('app').level", "test_log_level"),
    ("warnings", "warnings.filters", "test_warnings_filter"),
    ("signal", "signal.getsignal(SIGUSR1)", "test_signal"),
    ("env", "APP_MODE", "test_env"),
    ("attribute", "app.config.DEBUG", "test_module_attr"),
    ("class-attribute", "app.config.Registry.strict", "test_class_attr"),
    ("container", "app.config.HANDLERS", "test_container"),
    ("mock", "app.config.log_event", "test_patcher"),
    ("sys-modules", "sys.modules['psycopg2']", "test_fake_module"),
}


def _names(run: object) -> set[tuple[str, str, str]]:
    leaks = run.leaks  # type: ignore[attr-defined]
    return {(f["kind"], f["subject"], f["test"].rpartition("::")[2]) for f in leaks}


def test_victims_fail_without_restore_and_pass_with_it(suite: Suite) -> None:
    suite.files(**SUITE)
    # -p no:warnings: under pytest's own per-test catch_warnings a filter cannot leak at all
    plain = suite.run("-p", "no:warnings")
    plain.result.assert_outcomes(passed=14, failed=11)
    assert POLLUTERS <= _names(plain)
    assert all("restored" not in f for f in plain.leaks)

    run = suite.run("-p", "no:warnings", "--leakwatch-restore")
    run.result.assert_outcomes(passed=25)
    assert run.report is not None and run.report["errors"] == []
    assert POLLUTERS <= _names(run), POLLUTERS - _names(run)
    for kind, subject, test in POLLUTERS:
        finding = run.find(kind, subject, test)[0]
        assert finding["restored"] is True, finding
    # a module fixture's leftover is restored when the fixture is finalized
    module = [f for f in run.leaks if f["subject"] == "MODULE_FLAG"]
    assert module and module[0]["owner"]["type"] == "fixture" and module[0]["restored"] is True
    # threads are not restored, and the finding says so
    thread = run.find("daemon-thread", "thread 'leftover'")[0]
    assert thread["restored"] is False and "not restorable" in thread["change"]
    # nothing is reported for the victims: the restores are nobody's change
    assert not [f for f in run.leaks if "test_2_victims" in f["test"]]


def test_restore_leaves_a_module_monkeypatch_alone(suite: Suite) -> None:
    """A test's change that a module-scoped MonkeyPatch undoes later is not a leak: kept as is."""
    run = suite.files(**{"app/__init__.py": "", "app/flags.py": "ON = False\n", "test_mp.py": """
        import pytest
        from app import flags

        @pytest.fixture(scope="module")
        def mp():
            with pytest.MonkeyPatch.context() as m:
                yield m

        def test_sets(mp):
            mp.setattr(flags, "ON", True)
        def test_sees_it(mp):
            assert flags.ON is True
        def test_after_module():
            pass
    """}).run("--leakwatch-restore")
    run.result.assert_outcomes(passed=3)
    assert run.leaks == []


def test_restore_off_by_default_and_ini(suite: Suite) -> None:
    run = suite.files(**{"pytest.ini": "[pytest]\nleakwatch_restore = true\n", "test_ini.py": """
        import os
        def test_env():
            os.environ["FROM_INI"] = "1"
        def test_victim():
            assert "FROM_INI" not in os.environ
    """}).run()
    run.result.assert_outcomes(passed=2)
    assert run.find("env", "FROM_INI")[0]["restored"] is True
