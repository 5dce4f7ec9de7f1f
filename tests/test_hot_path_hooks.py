"""Per-test hooks cost every test of every suite: leakwatch adds a report wrapper only
where it has something to put in the reports.

The JUnit properties come from a ``pytest_runtest_logreport`` listener of the CI plugin
registered by the first finding (the outcomes of the test list are read from pytest's
terminal reporter at the end); the victims' explanation wrapper is registered by the first
test that begins with a leak outstanding. A clean suite pays for neither.
"""

from __future__ import annotations

import json

import pytest
from conftest import Suite

RECORDER = """
    import json

    def pytest_sessionfinish(session):
        pm = session.config.pluginmanager
        names = {}
        for hook in ("pytest_runtest_makereport", "pytest_runtest_logreport"):
            impls = getattr(pm.hook, hook).get_hookimpls()
            names[hook] = [pm.get_name(i.plugin) or "" for i in impls]
        with open("makereport.json", "w") as fh:
            json.dump(names, fh)
"""


def _leakwatch_wrappers(suite: Suite, hook: str = "pytest_runtest_makereport") -> list[str]:
    names = json.loads((suite.pytester.path / "makereport.json").read_text())[hook]
    return [n for n in names if "leakwatch" in n]


def test_a_clean_suite_runs_no_leakwatch_report_wrapper(app_suite: Suite) -> None:
    run = app_suite.files(**{"conftest.py": RECORDER, "test_clean.py": """
        from unittest.mock import patch
        from app import runner

        def test_one(monkeypatch):
            monkeypatch.setattr(runner, "log_event", lambda m: None)

        def test_two():
            with patch("app.runner.log_event"):
                pass
    """}).run()
    run.result.assert_outcomes(passed=2)
    assert run.leaks == []
    assert _leakwatch_wrappers(app_suite) == []
    assert _leakwatch_wrappers(app_suite, "pytest_runtest_logreport") == []
    assert run.report is not None
    assert [(t["nodeid"], t["outcome"], t["line"]) for t in run.report["tests"]] == [
        ("test_clean.py::test_one", "passed", 5), ("test_clean.py::test_two", "passed", 8)]


def test_the_victims_wrapper_arrives_with_the_first_outstanding_leak(app_suite: Suite) -> None:
    run = app_suite.files(**{"conftest.py": RECORDER, "test_leaky.py": """
        from app import runner

        def test_polluter():
            runner.settings.debug = True

        def test_victim():
            assert runner.settings.debug is False
    """}).run("--junitxml=junit.xml")
    run.result.assert_outcomes(passed=1, failed=1)
    assert _leakwatch_wrappers(app_suite) == ["leakwatch-victim-reports"]
    assert _leakwatch_wrappers(app_suite, "pytest_runtest_logreport") == ["leakwatch-ci-reports"]
    # The victim's report still carries the explanation, and the polluter's teardown
    # report its JUnit property (now added from the CI plugin's logreport hook).
    assert "leakwatch" in run.output
    xml = (app_suite.pytester.path / "junit.xml").read_text()
    assert 'name="leakwatch"' in xml and "settings.debug" in xml


def test_the_watch_graph_is_released_after_the_report(app_suite: Suite) -> None:
    """pytest collects garbage twice at exit: the snapshots of every watched dict and list
    are dropped before that (at unconfigure), after the report and summary are written."""
    app_suite.files(**{"conftest.py": """
        import json
        import pytest
        from leakwatch.plugin import COLLECTOR

        seen = {}

        @pytest.hookimpl(trylast=True)
        def pytest_terminal_summary(config):
            collector = config.stash[COLLECTOR]
            seen["during"] = [collector.graph is not None, collector.watched_modules(),
                              collector.core_name()]

        @pytest.hookimpl(trylast=True)
        def pytest_unconfigure(config):
            collector = config.stash[COLLECTOR]
            after = [collector.graph is not None, collector.watched_modules(),
                     collector.core_name(), collector.probes]
            with open("released.json", "w") as fh:
                json.dump({"during": seen["during"], "after": after}, fh)
    """, "test_clean.py": """
        from app import runner

        def test_one(monkeypatch):
            monkeypatch.setattr(runner, "log_event", lambda m: None)
    """})
    run = app_suite.run()
    run.result.assert_outcomes(passed=1)
    state = json.loads((app_suite.pytester.path / "released.json").read_text())
    held, modules, core = state["during"]
    assert held and modules >= 2 and core != "none"
    assert state["after"] == [False, modules, core, []]
    assert f"{modules} watched modules" in run.output


OUTCOMES = """
    import pytest

    @pytest.fixture
    def broken():
        raise RuntimeError("setup fails")

    @pytest.fixture
    def broken_teardown():
        yield
        raise RuntimeError("teardown fails")

    def test_passes():
        pass
    def test_fails():
        assert False
    def test_skips():
        pytest.skip("no")
    @pytest.mark.xfail(reason="known")
    def test_xfails():
        assert False
    @pytest.mark.xfail(reason="known", strict=True)
    def test_xpasses_strict():
        pass
    def test_setup_error(broken):
        pass
    def test_teardown_error(broken_teardown):
        pass
"""


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal-record", "listener"])
def test_tests_list_outcomes_with_and_without_the_terminal_reporter(suite: Suite, terminal: bool) -> None:
    # With pytest's terminal reporter the outcomes come from its record at the end; without
    # it (-p no:terminal) a listener follows every report. Both give the same list.
    run = suite.files(**{"test_outcomes.py": OUTCOMES}).run(*([] if terminal else ["-p", "no:terminal"]))
    assert run.report is not None
    got = {t["nodeid"].rpartition("::")[2]: (t["outcome"], t["line"]) for t in run.report["tests"]}
    assert got == {
        "test_passes": ("passed", 13), "test_fails": ("failed", 15), "test_skips": ("skipped", 17),
        "test_xfails": ("xfailed", 19), "test_xpasses_strict": ("failed", 22),
        "test_setup_error": ("failed", 25), "test_teardown_error": ("failed", 27),
    }
    assert [t["nodeid"].rpartition("::")[2] for t in run.report["tests"]][:2] == ["test_passes", "test_fails"]


FIXTURE_HOOKS = """
    import json

    def pytest_sessionfinish(session):
        pm = session.config.pluginmanager
        impls = pm.hook.pytest_fixture_setup.get_hookimpls()
        with open("fixture_hooks.json", "w") as fh:
            json.dump([pm.get_name(i.plugin) or "" for i in impls], fh)
"""


def _fixture_hooks(suite: Suite) -> list[str]:
    names = json.loads((suite.pytester.path / "fixture_hooks.json").read_text())
    return [n for n in names if "leakwatch" in n]


def test_fixture_hooks_only_where_a_wider_fixture_can_run(app_suite: Suite) -> None:
    """Fixture hooks run for every fixture of every test: a suite whose tests use only
    function-scoped fixtures (monkeypatch) runs none of leakwatch's; one module fixture,
    and they are there (its window still owns what it changes)."""
    run = app_suite.files(**{"conftest.py": FIXTURE_HOOKS, "test_plain.py": """
        from app import runner

        def test_one(monkeypatch):
            monkeypatch.setattr(runner, "log_event", lambda m: None)
    """}).run()
    run.result.assert_outcomes(passed=1)
    assert run.leaks == [] and _fixture_hooks(app_suite) == []

    run = app_suite.files(**{"test_plain.py": """
        import pytest
        from app import runner

        @pytest.fixture(scope="module")
        def debug_on():
            runner.settings.debug = True

        def test_one(debug_on):
            assert runner.settings.debug
    """}).run()
    run.result.assert_outcomes(passed=1)
    assert _fixture_hooks(app_suite) == ["leakwatch-fixtures"]
    [leak] = run.find(subject="app.runner.settings.debug")
    assert leak["owner"]["type"] == "fixture" and leak["owner"]["name"] == "debug_on"


def test_a_wider_fixture_asked_for_at_run_time_keeps_its_window(app_suite: Suite) -> None:
    """``request.getfixturevalue`` can set up a module fixture no closure names: a test
    asking for ``request`` keeps the fixture hooks, so the fixture that puts things back
    at its teardown is no test's leak, and one that does not is the fixture's own."""
    run = app_suite.files(**{"conftest.py": FIXTURE_HOOKS, "test_dynamic.py": """
        import pytest
        from app import runner

        @pytest.fixture(scope="module")
        def debug_on():
            runner.settings.debug = True
            yield
            runner.settings.debug = False

        @pytest.fixture(scope="module")
        def handler_added():
            runner.HANDLERS.append("h")

        def test_restores(request):
            request.getfixturevalue("debug_on")
            assert runner.settings.debug

        def test_leaves(request):
            request.getfixturevalue("handler_added")

        def test_after():
            pass
    """}).run()
    run.result.assert_outcomes(passed=3)
    assert _fixture_hooks(app_suite) == ["leakwatch-fixtures"]
    assert run.find(subject="app.runner.settings.debug") == []
    owners = {(f["owner"]["type"], f["owner"]["name"]) for f in run.leaks}
    assert owners == {("fixture", "handler_added")}, run.leaks


BUILDS = """
    import json
    from leakwatch.report import json_report

    _build = json_report.build
    built = []

    def counting(*args, **kwargs):
        built.append(1)
        return _build(*args, **kwargs)

    json_report.build = counting

    def pytest_unconfigure(config):
        with open("builds.json", "w") as fh:
            json.dump(len(built), fh)
"""


@pytest.mark.parametrize("args, builds", [
    ((), 0),  # a plain `pytest --leakwatch`: nothing reads a report
    (("--leakwatch-sarif=out.sarif",), 1),
    (("--leakwatch-fail",), 0),  # the gate reads the findings, not the report
])
def test_the_report_is_built_only_when_something_reads_it(suite: Suite, args: tuple[str, ...],
                                                          builds: int) -> None:
    """Building the report reads every test's outcome (~5 ms at 2,000 tests): a run
    without a report file, SARIF, baseline, GitHub annotations or xdist does not build
    it. The terminal summary and the gate come from the collector and are the same."""
    run = suite.files(**{"conftest.py": BUILDS, "test_one.py": """
        import os

        def test_leaks():
            os.environ["LW_BUILDS_LEAK"] = "1"
    """}).run(*args, report=False)
    assert json.loads((suite.pytester.path / "builds.json").read_text()) == builds
    run.result.stdout.fnmatch_lines(["*LW_BUILDS_LEAK*", "leakwatch: 1 leak*"])
    gated = "--leakwatch-fail" in args
    assert run.result.ret == (1 if gated else 0)
    assert (suite.pytester.path / "out.sarif").exists() == bool(builds)
    with_file = suite.run(*args)  # the usual --leakwatch-report: built once, written
    assert json.loads((suite.pytester.path / "builds.json").read_text()) == 1
    assert [f["subject"] for f in with_file.leaks] == ["LW_BUILDS_LEAK"]


def test_only_the_ledger_and_the_tracer_are_called_as_each_test_begins(suite: Suite) -> None:
    """The run order is the collector's (one append per test): the CI plugin's test list and
    the victims' order are made from it, and the victims plugin hears from the ledger only
    when a test begins with leaks in force. Both still see every test, in order."""
    run = suite.files(**{"conftest.py": """
        import json
        import pytest
        from leakwatch.plugin import COLLECTOR

        @pytest.hookimpl(tryfirst=True)
        def pytest_sessionfinish(session):
            collector = session.config.stash[COLLECTOR]
            begin = [type(o).__name__ for o in collector.observers
                     if callable(getattr(o, "on_test_begin", None))]
            with open("observers.json", "w") as fh:
                json.dump({"begin": begin, "order": collector.run_order}, fh)
    """, "test_order.py": """
        import os

        def test_a():
            pass

        def test_leaks():
            os.environ["LW_ORDER_LEAK"] = "1"

        def test_victim():
            assert "LW_ORDER_LEAK" not in os.environ
    """}).run()
    run.result.assert_outcomes(passed=2, failed=1)
    seen = json.loads((suite.pytester.path / "observers.json").read_text())
    assert sorted(seen["begin"]) == ["Ledger", "Tracer"]
    names = ["test_order.py::test_a", "test_order.py::test_leaks", "test_order.py::test_victim"]
    assert seen["order"] == names
    assert run.report is not None
    assert [(t["nodeid"], t["outcome"]) for t in run.report["tests"]] == [
        (names[0], "passed"), (names[1], "passed"), (names[2], "failed")]
    victims = run.report["victims"]
    assert [v["test"] for v in victims] == [names[2]]
    assert victims[0]["suspects"][0]["test"] == names[1]


def test_observers_are_called_per_test_only_where_they_have_work(suite: Suite) -> None:
    """The ledger hears as a test ends only when that test changed something, and as one
    begins only while leaks are in force; the tracer as a test ends only while something
    of its ``end_work`` is pending (a patch's mock to judge), and never as one begins here
    (nothing stale disarmed). The gates are read by the collector, not called."""
    run = suite.files(**{"app.py": """
        def f():
            return 1
    """, "conftest.py": """
        import json
        from leakwatch.tracer.core import Tracer
        from leakwatch.victims.ledger import Ledger

        def _counting():
            calls = {}  # in a closure: not a watched global of this conftest

            def count(cls, name):
                original = getattr(cls, name)

                def counted(self, nodeid, *args):
                    calls.setdefault(f"{cls.__name__}.{name}", []).append(nodeid.split("::")[-1])
                    return original(self, nodeid, *args)

                setattr(cls, name, counted)

            for cls in (Tracer, Ledger):
                count(cls, "on_test_begin")
                count(cls, "on_test_end")

            def sessionfinish(session):
                with open("calls.json", "w") as fh:
                    json.dump(calls, fh)

            return sessionfinish

        pytest_sessionfinish = _counting()
    """, "test_gates.py": """
        import os
        from unittest.mock import patch

        def test_a():
            pass

        def test_patch_never_called():
            with patch("app.f"):
                pass

        def test_b():
            pass

        def test_env_leak():
            os.environ["LW_GATE_LEAK"] = "1"

        def test_c():
            pass
    """}).run()
    run.result.assert_outcomes(passed=5)
    assert run.report is not None and run.report["errors"] == []
    assert [f["test"].split("::")[-1] for f in run.leaks] == ["test_env_leak"]
    calls = json.loads((suite.pytester.path / "calls.json").read_text())
    assert calls == {"Tracer.on_test_end": ["test_patch_never_called"],
                     "Ledger.on_test_end": ["test_env_leak"],
                     "Ledger.on_test_begin": ["test_c"]}, calls
