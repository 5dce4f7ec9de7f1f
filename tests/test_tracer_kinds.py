"""Tracer-only finding kinds: late env patch, patch-target miss, patch over a mock, stale code."""

from __future__ import annotations

import sys

import pytest
from conftest import Suite

CORES = [("--leakwatch-tracer=auto", "--leakwatch-trace"), ("--leakwatch-tracer=shim", "--leakwatch-trace")]


@pytest.fixture(params=CORES, ids=["auto", "shim"])
def core_args(request: pytest.FixtureRequest) -> tuple[str, ...]:
    return tuple(request.param)


VIEWS = {"app/views.py": """
    from app.runner import log_event

    def handle(msg):
        return log_event(msg)
"""}


def test_late_env_patch(app_suite: Suite) -> None:
    # app/runner.py line 3: OFFLINE = os.environ.get("APP_OFFLINE"), read at import
    run = app_suite.files(**{"test_late.py": """
        import importlib
        import os
        from app import runner

        def test_monkeypatch_setenv(monkeypatch):
            monkeypatch.setenv("APP_OFFLINE", "1")
            assert runner.OFFLINE is None
        def test_direct_write():
            os.environ["APP_OFFLINE"] = "2"
            del os.environ["APP_OFFLINE"]
        def test_key_not_read_at_import(monkeypatch):
            monkeypatch.setenv("APP_SOMETHING_ELSE", "1")
        def test_read_at_call_time(monkeypatch):
            monkeypatch.setenv("APP_RUNTIME", "1")
            assert os.environ.get("APP_RUNTIME") == "1"
        def test_setenv_then_reload(monkeypatch):
            monkeypatch.setenv("APP_OFFLINE", "3")
            importlib.reload(runner)
            assert runner.OFFLINE == "3"
    """}).run()
    run.result.assert_outcomes(passed=5)
    late = run.find("late-env-patch", "APP_OFFLINE")
    assert {f["test"].split("::")[1] for f in late} == {"test_monkeypatch_setenv", "test_direct_write"}, late
    first = run.find("late-env-patch", "APP_OFFLINE", "test_monkeypatch_setenv")[0]
    assert first["severity"] == "warning"
    assert first["detail"]["module"] == "app.runner"
    assert first["detail"]["consumed_at"]["file"].endswith("app/runner.py")
    assert first["detail"]["consumed_at"]["line"] == 3
    assert "read_by" not in first["detail"]  # the module body read it itself: no helper line
    assert first["origin"]["line"] == 7  # the monkeypatch.setenv line
    assert "cannot take effect" in first["change"] and "app.runner" in first["change"]
    assert "late-env-patch" in run.output and "APP_OFFLINE" in run.output
    assert not run.find("late-env-patch", test="test_key_not_read_at_import")
    assert not run.find("late-env-patch", test="test_read_at_call_time")
    assert not run.find("late-env-patch", test="test_setenv_then_reload")


def test_patch_target_miss(app_suite: Suite) -> None:
    run = app_suite.files(**VIEWS, **{"test_miss.py": """
        from unittest.mock import patch
        from app import views

        def test_patches_definition_site():
            with patch("app.runner.log_event") as m:
                views.handle("x")
            assert not m.called
        def test_patches_lookup_site():
            with patch("app.views.log_event") as m:
                views.handle("x")
            assert m.called
        def test_patches_unshared_name():
            with patch("app.runner.ComponentRegistry"):
                pass
        def test_patches_definition_site_and_it_is_reached():
            # views holds the original too, but the code under test reached the mock:
            # the other binding is irrelevant here (more-itertools' test_groupby_calls).
            from app import runner
            with patch("app.runner.log_event") as m:
                runner.log_event("x")
            assert m.called
    """}).run()
    run.result.assert_outcomes(passed=4)
    miss = run.find("patch-target-miss")
    assert len(miss) == 1, miss
    f = miss[0]
    assert f["test"].endswith("test_patches_definition_site") and f["subject"] == "app.runner.log_event"
    assert f["detail"]["untouched"] == ["app.views.log_event"]
    assert "patch 'app.views.log_event' instead" in f["change"]
    assert f["origin"]["line"] == 6


def test_a_called_patch_looks_up_no_holders(app_suite: Suite) -> None:
    """The other bindings of what a patch replaced are looked up when its owner ends, and
    only if its mock was never called: a suite whose patches reach their mocks never builds
    the holders' index. Past PENDING_CAP pending patches (a patch in a loop) each is judged at
    once and kept only if it is a miss. A miss made in a fixture is still found, dated by its
    patch."""
    run = app_suite.files(**VIEWS, **{"conftest.py": """
        import json
        import pytest
        from unittest.mock import patch

        @pytest.fixture
        def quiet_log():
            with patch("app.runner.log_event") as m:
                yield m

        @pytest.hookimpl(trylast=True)
        def pytest_sessionfinish(session):
            tracer = session.config.pluginmanager.get_plugin("leakwatch-tracer").tracer
            with open("holders.json", "w") as fh:
                json.dump({"indexed": tracer.patches._index_size,
                           "pending": len(tracer.patches._misses)}, fh)
    """, "test_called.py": """
        from unittest.mock import patch
        from app import runner, views

        def test_reaches_the_mock():
            with patch("app.views.log_event") as m:
                views.handle("x")
            assert m.called
        def test_definition_site_reached():
            with patch("app.runner.log_event") as m:
                runner.log_event("x")
            assert m.called
    """}).run()
    run.result.assert_outcomes(passed=2)
    import json

    seen = json.loads((app_suite.pytester.path / "holders.json").read_text())
    assert seen == {"indexed": -1, "pending": 0}, seen  # index never built, nothing left
    assert not run.find("patch-target-miss")
    looped = app_suite.files(**{"test_loop.py": """
        from unittest.mock import patch
        from app import views  # holds app.runner.log_event
        from leakwatch.tracer.patches import PENDING_CAP

        def test_patches_in_a_loop(pytestconfig):
            patches = pytestconfig.pluginmanager.get_plugin("leakwatch-tracer").tracer.patches
            for _ in range(PENDING_CAP + 50):
                with patch("app.runner.ComponentRegistry"):  # held nowhere else
                    pass
            assert len(patches._misses) == PENDING_CAP  # the rest judged at once, dropped
            for _ in range(3):
                with patch("app.runner.log_event"):  # views holds it: kept past the cap
                    pass
            assert len(patches._misses) == PENDING_CAP + 3
    """}).run("test_loop.py")
    looped.result.assert_outcomes(passed=1)
    assert {f["subject"] for f in looped.find("patch-target-miss")} == {"app.runner.log_event"}
    fixture = app_suite.files(**{"test_fixture_miss.py": """
        from app import views

        def test_uses_fixture(quiet_log):
            views.handle("x")  # views holds the original: the mock is never called
    """}).run("test_fixture_miss.py")
    fixture.result.assert_outcomes(passed=1)
    miss = fixture.find("patch-target-miss")
    assert len(miss) == 1 and miss[0]["detail"]["untouched"] == ["app.views.log_event"], miss
    assert miss[0]["phase"] == "setup"  # the phase the patch was made in, not its undoing


def test_patch_target_miss_module_imported_mid_run(app_suite: Suite) -> None:
    # The index of bindings is built at the first patch and then only brought up to date
    # for modules that came or went: a module first imported by a later test must be in it.
    run = app_suite.files(**VIEWS, **{"test_miss_late.py": """
        import importlib
        import sys
        from unittest.mock import patch

        def test_first_patch_builds_the_index():
            with patch("app.runner.COUNTER", 1):
                pass
        def test_imports_views_late():
            assert "app.views" not in sys.modules
            importlib.import_module("app.views")
        def test_patches_definition_site():
            with patch("app.runner.log_event"):
                sys.modules["app.views"].handle("x")
        def test_views_gone():
            del sys.modules["app.views"]
        def test_patches_definition_site_again():
            with patch("app.runner.log_event"):
                pass
    """}).run()
    run.result.assert_outcomes(passed=5)
    miss = run.find("patch-target-miss")
    assert [f["test"].split("::")[1] for f in miss] == ["test_patches_definition_site"], miss
    assert miss[0]["detail"]["untouched"] == ["app.views.log_event"]


def test_patch_over_mock(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_over.py": """
        from unittest.mock import patch

        def test_leaves_mock():
            patch("app.runner.log_event").start()
        def test_patches_again():
            with patch("app.runner.log_event"):
                pass
        def test_nested_in_one_test():
            with patch("app.runner.COUNTER", 1):
                with patch("app.runner.COUNTER", 2):
                    pass
    """}).run()
    run.result.assert_outcomes(passed=3)
    over = run.find("patch-over-mock")
    assert len(over) == 1, over
    assert over[0]["test"].endswith("test_patches_again")
    assert over[0]["detail"]["left_by"] == "test_over.py::test_leaves_mock"
    assert "test_over.py::test_leaves_mock" in over[0]["change"] and over[0]["origin"]["line"] == 7


STALE_SUITE = {
    "app/other.py": """
        def busy(n):
            return n + 1
    """,
    "test_stale.py": """
        import importlib
        import pytest
        from app import drivers, other
        from app.drivers import Driver   # bound before the reload: the stale class

        @pytest.fixture(scope="module")
        def reloaded():
            yield importlib.reload(drivers)

        def test_reloads(reloaded):
            for i in range(200):
                other.busy(i)
        def test_runs_stale_code():
            for i in range(50):
                Driver().ping()
        def test_runs_new_code():
            for i in range(50):
                drivers.Driver().ping()
                other.busy(i)
    """,
}


def test_stale_code_after_fixture_reload(app_suite: Suite, core_args: tuple[str, ...]) -> None:
    run = app_suite.files(**{"app/drivers.py": """
        class Driver:
            def ping(self):
                return "pong"
    """}, **STALE_SUITE).run(*core_args)
    run.result.assert_outcomes(passed=3)
    stale = run.find("stale-code")
    assert len(stale) == 1, stale
    f = stale[0]
    assert f["test"] == "test_stale.py::test_runs_stale_code" and f["subject"] == "app.drivers.Driver.ping"
    assert f["detail"]["reloaded_by"] == "fixture 'reloaded' (module)"
    assert f["detail"]["reload_origin"].endswith("test_stale.py:9")
    assert f["detail"]["reload_function"] == "reloaded" and "in reloaded() at test_stale.py:9" in f["change"]
    assert f["origin"]["line"] == 16 and f["phase"] == "call"
    assert "patches on app.drivers do not reach it" in f["change"]
    tracer = run.report["tracer"] if run.report else {}
    # Zero events on code never reloaded (other.busy ran 250 times, the new Driver.ping 50):
    # exactly one event, the first stale call (then disarmed for the rest of that test).
    assert tracer["events"] == 1, tracer
    if "--leakwatch-tracer=shim" not in core_args and sys.version_info >= (3, 12):
        assert tracer["core"] == "sys.monitoring" and tracer["tool_id"] in (3, 4)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="stale code is found by default on 3.12+")
@pytest.mark.parametrize("args", [(), ("--leakwatch-trace",)], ids=["default", "trace"])
def test_stale_code_is_reported_again_in_each_later_test(app_suite: Suite,
                                                         args: tuple[str, ...]) -> None:
    # The first stale call of a test disarms that function for the rest of the test; the
    # next test arms it again (by default the tracer is called as a test begins only while
    # something is disarmed), so each test that runs stale code has its own finding.
    suite = dict(STALE_SUITE)
    suite["test_stale.py"] += """
        def test_clean_in_between():
            pass
        def test_runs_stale_code_again():
            Driver().ping()
    """
    run = app_suite.files(**{"app/drivers.py": """
        class Driver:
            def ping(self):
                return "pong"
    """}, **suite).run(*args)
    run.result.assert_outcomes(passed=5)
    tests = [f["test"].split("::")[1] for f in run.find("stale-code")]
    assert tests == ["test_runs_stale_code", "test_runs_stale_code_again"], tests
    tracer = run.report["tracer"] if run.report else {}
    assert tracer["events"] == 2, tracer


def test_stale_code_after_module_replacement(app_suite: Suite) -> None:
    run = app_suite.files(**{"app/drivers.py": """
        class Driver:
            def ping(self):
                return "pong"
    """, "test_replaced.py": """
        import sys
        from app.drivers import Driver

        def test_replace():
            del sys.modules["app.drivers"]
            import app.drivers
        def test_stale():
            Driver().ping()
    """}).run("--leakwatch-trace")
    run.result.assert_outcomes(passed=2)
    f = run.find("stale-code", "app.drivers.Driver.ping")
    assert len(f) == 1 and f[0]["test"].endswith("test_stale")
    assert f[0]["detail"]["how"] == "replaced in sys.modules"


def test_no_reload_no_events(app_suite: Suite, core_args: tuple[str, ...]) -> None:
    run = app_suite.files(**{"test_calm.py": """
        from app import runner

        def test_calls():
            for i in range(1000):
                runner.log_event(i)
    """}).run(*core_args)
    run.result.assert_outcomes(passed=1)
    assert run.leaks == []
    tracer = run.report["tracer"] if run.report else {}
    assert tracer["events"] == 0 and tracer["armed"] == 0
    if "--leakwatch-tracer=shim" in core_args:
        assert tracer["slot"] is None  # nothing armed: the shim never installed itself


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the 3.11 default")
def test_311_default_says_stale_code_is_opt_in(app_suite: Suite) -> None:
    run = app_suite.files(**STALE_SUITE, **{"app/drivers.py": """
        class Driver:
            def ping(self):
                return "pong"
    """}).run()
    run.result.assert_outcomes(passed=3)
    assert not run.find("stale-code")
    assert "--leakwatch-trace" in run.output
    assert run.report is not None and "--leakwatch-trace" in run.report["tracer"]["note"]


def test_late_env_read_through_a_helper_and_getenv(app_suite: Suite) -> None:
    run = app_suite.files(**{"app/settings.py": """
        import os
        def _flag(name):
            return os.getenv(name, "0") == "1"
        DEBUG = _flag("APP_DEBUG")
    """, "test_helper.py": """
        from app import settings

        def test_sets_debug(monkeypatch):
            monkeypatch.setenv("APP_DEBUG", "1")
    """}).run()
    run.result.assert_outcomes(passed=1)
    f = run.find("late-env-patch", "APP_DEBUG")[0]
    assert f["detail"]["module"] == "app.settings"
    assert f["detail"]["consumed_at"]["line"] == 5  # the module-body line that ran the helper
    assert f["detail"]["read_by"]["line"] == 4 and f["detail"]["read_by"]["function"] == "_flag"


def test_late_env_counts_reads_at_import_not_writes(app_suite: Suite) -> None:
    """Every read, write and delete of ``os.environ`` calls its ``encodekey``, where reads
    are seen: only a call from ``__getitem__`` (``in``, ``[...]``, a present key) is a read.
    A module body that only writes or deletes a key at import has not consumed it (``pop``
    reads: it is not used here); one that read a key already set has, when a test sets it
    to another value."""
    run = app_suite.files(**{"conftest.py": """
        import os
        os.environ["APP_PRESET"] = "a"
    """, "app/writer.py": """
        import os
        os.environ["APP_WRITTEN"] = "w"
        os.environ["APP_DROPPED"] = "d"
        del os.environ["APP_DROPPED"]
        os.environb[b"APP_BYTES"] = b"b"
        PRESET = "APP_PRESET" in os.environ and os.environ["APP_PRESET"]
    """, "test_writes.py": """
        import os
        from app import writer

        def test_written(monkeypatch):
            monkeypatch.setenv("APP_WRITTEN", "x")
            monkeypatch.setenv("APP_BYTES", "y")
        def test_dropped(monkeypatch):
            monkeypatch.setenv("APP_DROPPED", "x")
        def test_same_value(monkeypatch):
            monkeypatch.setenv("APP_PRESET", "a")
        def test_preset(monkeypatch):
            monkeypatch.setenv("APP_PRESET", "b")
            assert os.environ.encodekey("K") == os.fsencode("K")  # still encodes (POSIX)
    """}).run()
    run.result.assert_outcomes(passed=4)
    late = run.find("late-env-patch")
    assert [(f["subject"], f["test"].split("::")[1]) for f in late] == [("APP_PRESET", "test_preset")]
    assert late[0]["detail"]["module"] == "app.writer"
    assert late[0]["detail"]["consumed_at"]["line"] == 7  # the file starts with a blank line


def test_a_fault_in_the_tracer_is_one_warning(app_suite: Suite) -> None:
    run = app_suite.files(**{"conftest.py": """
        import leakwatch.tracer.lateenv as lateenv
        import leakwatch.tracer.patches as patches

        def boom(*args, **kwargs):
            raise RuntimeError("injected tracer")

        lateenv.LateEnv.on_env_write = boom
        patches.Patches.on_patch = boom
    """, "test_fault.py": """
        import os
        from unittest.mock import patch

        def test_env_and_patch(monkeypatch):
            monkeypatch.setenv("APP_OFFLINE", "1")
            os.environ["APP_FAULT"] = "1"
            with patch("app.runner.log_event"):
                pass
        def test_next():
            pass
    """}).run()
    run.result.assert_outcomes(passed=2)
    assert run.result.ret == 0
    assert run.report is not None and run.report["complete"] is False
    assert {e["component"] for e in run.report["errors"]} == {"tracer"}
    assert run.find("env", "APP_FAULT")  # the core detector went on
    assert "INTERNALERROR" not in run.output
