"""pytest-xdist: workers detect in their own order; the controller merges one report and gate."""

from __future__ import annotations

import pytest
from conftest import Run, Suite

#: One leak of each common kind, spread over two files so that workers share them.
PLANTED = {
    "test_polluters.py": """
        import os, sys
        from unittest import mock
        from app import runner

        def test_mock_left():
            mock.patch("app.runner.log_event").start()

        def test_env_leak():
            os.environ["LW_PLANTED_REGION"] = "plain-value-eu-west-7"

        def test_sys_modules_fake():
            sys.modules["lw_planted_fake"] = object()

        def test_module_attribute():
            runner.Client = dict
    """,
    "test_more.py": """
        from app import runner

        def test_class_attribute():
            runner.ComponentRegistry.strict = True

        def test_instance_attribute():
            runner.settings.debug = True

        def test_container():
            runner.ComponentRegistry._components["bad"] = object

        def test_clean_1():
            pass

        def test_clean_2():
            pass
    """,
}

#: (kind, subject, test) of every planted leak.
EXPECTED = {
    ("mock", "app.runner.log_event", "test_polluters.py::test_mock_left"),
    ("env", "LW_PLANTED_REGION", "test_polluters.py::test_env_leak"),
    ("sys-modules", "sys.modules['lw_planted_fake']", "test_polluters.py::test_sys_modules_fake"),
    ("attribute", "app.runner.Client", "test_polluters.py::test_module_attribute"),
    ("class-attribute", "app.runner.ComponentRegistry.strict", "test_more.py::test_class_attribute"),
    ("instance-attribute", "app.runner.settings.debug", "test_more.py::test_instance_attribute"),
    ("container", "app.runner.ComponentRegistry._components['bad']", "test_more.py::test_container"),
}

#: The planted env value: it must never appear in clear in any output.
SECRET_VALUE = "plain-value-eu-west-7"


def planted(run: Run) -> set[tuple[str, str, str]]:
    return {(f["kind"], f["subject"], f["test"]) for f in run.severe()}


@pytest.mark.parametrize("dist", ["load", "loadscope", "loadfile", "worksteal"])
def test_merged_report_has_every_planted_leak(app_suite: Suite, dist: str) -> None:
    run = app_suite.files(**PLANTED).run("-n", "2", f"--dist={dist}")
    run.result.assert_outcomes(passed=9)
    assert run.report is not None
    assert planted(run) == EXPECTED
    assert run.report["summary"]["tests_run"] == 9
    assert run.report["complete"], run.report["incomplete_reasons"]
    # one tests list, every test once, each with its worker
    tests = run.report["tests"]
    assert sorted(t["nodeid"] for t in tests) == sorted(
        f"{file}::{name}" for file, names in (
            ("test_polluters.py", ["test_mock_left", "test_env_leak", "test_sys_modules_fake",
                                   "test_module_attribute"]),
            ("test_more.py", ["test_class_attribute", "test_instance_attribute", "test_container",
                              "test_clean_1", "test_clean_2"])) for name in names)
    assert {t["worker"] for t in tests} <= {"gw0", "gw1"}


def test_findings_carry_worker_and_preceding_tests(app_suite: Suite) -> None:
    run = app_suite.files(**PLANTED).run("-n", "2")
    assert run.report is not None
    order: dict[str, list[str]] = {}
    for t in run.report["tests"]:
        order.setdefault(t["worker"], []).append(t["nodeid"])
    for f in run.severe():
        worker = f["detail"]["worker"]
        assert worker in order
        mine = order[worker]
        assert f["test"] in mine
        before = mine[: mine.index(f["test"])]
        assert f["detail"]["preceding_tests"] == before
        assert f["detail"]["preceding_count"] == len(before)


def test_controller_prints_one_merged_section(app_suite: Suite) -> None:
    run = app_suite.files(**PLANTED).run("-n", "2")
    out = run.result.stdout.str()
    assert out.count("= leakwatch =") == 1
    assert "no leaks in 0 tests" not in out
    run.result.stdout.fnmatch_lines(["leakwatch: 7 leaks, 0 warnings, * of 9 tests/fixtures*"])


def test_gate_runs_in_the_controller(app_suite: Suite) -> None:
    run = app_suite.files(**PLANTED).run("-n", "2", "--leakwatch-fail")
    assert run.result.ret == 1
    run.result.stdout.fnmatch_lines(["leakwatch: failing the run (--leakwatch-fail): 7 leak findings*"])
    assert run.output.count("failing the run") == 1


def test_gate_passes_a_clean_xdist_run(app_suite: Suite) -> None:
    app_suite.files(**{"test_ok.py": "".join(f"def test_{i}():\n    pass\n" for i in range(6))})
    run = app_suite.run("-n", "2", "--leakwatch-fail")
    assert run.result.ret == 0
    run.result.stdout.fnmatch_lines(["leakwatch: no leaks in 6 tests*"])
    assert run.report is not None and run.report["complete"]


def test_without_xdist_findings_have_no_worker(app_suite: Suite) -> None:
    run = app_suite.files(**PLANTED).run()
    assert planted(run) == EXPECTED
    assert all("worker" not in f["detail"] for f in run.leaks)
    assert [t["nodeid"].rpartition("::")[2] for t in run.report["tests"]][:2] == [  # type: ignore[index]
        "test_class_attribute", "test_instance_attribute"]


def test_env_value_not_in_clear_under_xdist(app_suite: Suite) -> None:
    run = app_suite.files(**PLANTED).run("-n", "2", "-v")
    report_text = (app_suite.pytester.path / "leakwatch-report.json").read_text()
    assert SECRET_VALUE not in report_text
    assert SECRET_VALUE not in run.output


def test_sub_plugin_lists_are_merged_from_workers(app_suite: Suite) -> None:
    """Lists other features add to the report (the victims ledger) come from the workers."""
    app_suite.files(**{"test_v.py": """
        from app import runner

        def test_polluter():
            runner.settings.debug = True

        def test_victim():
            assert runner.settings.debug is False
    """})
    run = app_suite.run("-n", "2", "--dist=loadfile")
    assert run.report is not None
    if "victims" not in run.report:
        pytest.skip("no victims feature in this build")
    assert [v["test"] for v in run.report["victims"]] == ["test_v.py::test_victim"]
