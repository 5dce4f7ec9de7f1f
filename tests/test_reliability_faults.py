"""Faults inside leakwatch: one warning naming the component, the rest keeps working.

Each case injects an exception into one component from the inner suite's conftest
(``LW_FAULT`` picks which), then checks: the user's outcome is the one plain pytest
gives, no INTERNALERROR, exactly one ``leakwatch internal error in <component>``
line, the report is written, schema-valid, ``complete: false`` with the reason,
and another component still found its leak.
"""

from __future__ import annotations

import pytest
from conftest import Suite

CONFTEST = """
    import os
    import pytest
    from leakwatch import collector, describe, interceptors, graph, plugin
    from leakwatch.probes import environ, sysmodules
    from leakwatch.report import terminal

    FAULT = os.environ.get("LW_FAULT", "")

    def boom(*args, **kwargs):
        raise RuntimeError("injected " + FAULT)

    if FAULT == "sys.modules":
        sysmodules.SysModulesProbe.poll = boom
    elif FAULT == "env":
        environ.EnvironProbe.poll = boom
    elif FAULT == "env-start":
        environ.EnvironProbe.start = boom
    elif FAULT == "watched-modules":
        graph.WatchGraph.poll = boom
    elif FAULT == "phase":
        graph.WatchGraph.mark = boom
    elif FAULT == "findings":
        describe.Describer.finding = boom
    elif FAULT == "terminal":
        terminal.render = boom
    elif FAULT == "json-build":
        from leakwatch.report import json_report
        json_report.build = boom
    elif FAULT == "interceptors":
        interceptors.caller_origin = boom
    elif FAULT == "start-up":
        collector.Collector.__init__ = boom

    class BrokenObserver:
        def on_test_end(self, nodeid, record):
            raise RuntimeError("injected observer")

    def pytest_sessionstart(session):
        lw = session.config.stash.get(plugin.COLLECTOR, None)
        if lw is None:
            return
        if FAULT == "observer":
            lw.observers.append(BrokenObserver())
        elif FAULT == "report-extra":
            lw.report_extras["broken"] = boom
"""

TESTS = """
    import os
    import pytest
    from unittest import mock
    from app import runner

    @pytest.fixture(autouse=True)
    def user_fixture():  # user code around the test: its phase boundaries are checked
        yield

    def test_leaks_everywhere():
        os.environ["LW_FAULT_ENV"] = "1"
        runner.settings.debug = True
        mock.patch("app.runner.log_event").start()
    def test_fails():
        assert False
"""


@pytest.mark.parametrize(("fault", "component", "still_found"), [
    ("sys.modules", "sys.modules", "env"),
    ("env", "env", "instance-attribute"),
    ("env-start", "env", "instance-attribute"),
    ("watched-modules", "watched-modules", "env"),
    ("phase", None, "env"),  # marks run under "phase" or inside the core's own guard
    ("findings", "findings", None),
    ("observer", "observer BrokenObserver", "env"),
    ("report-extra", "report broken", "env"),
    ("json-build", "json-report", "env"),  # a minimal report is written instead
])
def test_fault_in_component_is_one_warning(app_suite: Suite, monkeypatch: pytest.MonkeyPatch,
                                           fault: str, component: str | None,
                                           still_found: str | None) -> None:
    monkeypatch.setenv("LW_FAULT", fault)
    run = app_suite.files(**{"conftest.py": CONFTEST, "test_x.py": TESTS}).run()
    run.result.assert_outcomes(passed=1, failed=1)
    assert run.result.ret == 1
    assert "INTERNALERROR" not in run.output
    assert run.report is not None and run.report["complete"] is False
    injected = [e for e in run.report["errors"] if "injected" in e["message"]]
    assert len(injected) == 1, run.report["errors"]  # one warning, however often it failed
    component = component or injected[0]["component"]
    assert injected[0]["component"] == component
    line = f"leakwatch internal error in {component}: RuntimeError: injected"
    assert run.output.count(line) == 1, run.output
    assert f"internal error in {component}" in run.report["incomplete_reasons"]
    if still_found is not None:
        assert run.find(still_found), run.leaks  # the other components kept working
    if fault == "env":
        verbose = app_suite.run("-v")
        assert "Traceback (most recent call last)" in verbose.output  # short traceback with -v
        assert verbose.output.count("RuntimeError: injected env") == 2  # the line + traceback


def test_fault_in_terminal_reporter(app_suite: Suite, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LW_FAULT", "terminal")
    run = app_suite.files(**{"conftest.py": CONFTEST, "test_x.py": TESTS}).run()
    run.result.assert_outcomes(passed=1, failed=1)
    assert "INTERNALERROR" not in run.output
    assert run.output.count("leakwatch internal error in terminal report") == 1
    assert run.report is not None and run.find("env", "LW_FAULT_ENV")  # written before the summary


def test_fault_in_interceptor_wrapper_keeps_user_patch(app_suite: Suite,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrapper's own failure is swallowed: the user's patch works, the mock is still found."""
    monkeypatch.setenv("LW_FAULT", "interceptors")
    run = app_suite.files(**{"conftest.py": CONFTEST, "test_x.py": TESTS + """
    def test_patch_still_works():
        with mock.patch("app.runner.COUNTER", 5):
            assert runner.COUNTER == 5
        assert runner.COUNTER == 0
    """}).run()
    run.result.assert_outcomes(passed=2, failed=1)
    assert "INTERNALERROR" not in run.output
    assert run.find("mock", "app.runner.log_event")


def test_fault_at_start_up_is_one_line_not_a_traceback(app_suite: Suite,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LW_FAULT", "start-up")
    app_suite.files(**{"conftest.py": CONFTEST, "test_x.py": TESTS})
    plain = app_suite.pytester.runpytest_subprocess("-p", "no:cacheprovider")
    run = app_suite.run()
    assert run.result.parseoutcomes() == plain.parseoutcomes()
    assert run.result.ret == plain.ret == 1
    assert "INTERNALERROR" not in run.output and "Traceback" not in run.output
    assert run.output.count("leakwatch internal error in start-up: RuntimeError: injected") == 1
    assert "leakwatch is off for this run" in run.output


def test_broken_subplugin_is_one_line_enabled_or_not(app_suite: Suite,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Sub-plugins are imported in pytest_addoption, even when leakwatch is not enabled."""
    app_suite.files(**{"lwbreak.py": """
        import leakwatch.plugin
        leakwatch.plugin.SUBPLUGINS = (*leakwatch.plugin.SUBPLUGINS, "leakwatch.no_such_part")
    """, "test_x.py": TESTS})
    monkeypatch.setenv("PYTHONPATH", str(app_suite.pytester.path))
    for enabled in (False, True):
        run = app_suite.run("-p", "lwbreak", leakwatch=enabled, report=enabled)
        run.result.assert_outcomes(passed=1, failed=1)
        assert "INTERNALERROR" not in run.output and "Traceback" not in run.output
        assert run.output.count("leakwatch internal error in leakwatch.no_such_part: "
                                "ModuleNotFoundError") == 1
    assert run.find("env", "LW_FAULT_ENV")  # the rest of leakwatch works
