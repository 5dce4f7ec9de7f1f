"""GitHub Actions annotations + step summary, and JUnit XML properties on leaking tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from conftest import Suite
from test_ci_xdist import PLANTED, SECRET_VALUE

from leakwatch.report import github


def test_annotations_and_step_summary_on_github(app_suite: Suite,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    summary = app_suite.pytester.path / "step-summary.md"
    summary.write_text("previous step\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run = app_suite.files(**PLANTED).run()
    assert run.result.ret == 0
    lines = run.result.stdout.lines
    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(errors) == len(run.severe())
    assert len(errors) + len(warnings) == len([f for f in run.leaks if f["severity"] != "info"])
    assert ("::error file=test_polluters.py,line=7,title=leakwatch mock leak::"
            "test_polluters.py::test_mock_left leaked mock app.runner.log_event: mock left") \
        in "\n".join(errors)
    text = summary.read_text()
    assert text.startswith("previous step\n")  # appended, not overwritten
    assert "### leakwatch" in text and "| test or fixture |" in text
    assert "&lt;sha256:" in text  # markdown-escaped so GitHub does not eat it as a tag
    assert SECRET_VALUE not in run.output and SECRET_VALUE not in text


def test_nothing_for_github_outside_actions(app_suite: Suite, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    summary = app_suite.pytester.path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run = app_suite.files(**PLANTED).run()
    assert not any(line.startswith("::") for line in run.result.stdout.lines)
    assert not summary.exists()


def test_workflow_command_escaping() -> None:
    finding = {
        "id": "env:0123456789ab", "test": "t.py::test_x[a,b:c]", "kind": "env", "subject": "X",
        "severity": "leak", "change": "added 100%\nnext", "detail": {}, "critical": False,
        "owner": {"type": "test", "name": "t.py::test_x[a,b:c]", "scope": "function"},
        "phase": "call", "origin": {"file": "/r/dir,with:odd.py", "line": 3, "function": None},
    }
    (line,) = github.workflow_commands({"run": {"rootdir": "/r"}, "leaks": [finding]})
    assert line.startswith("::error file=dir%2Cwith%3Aodd.py,line=3,title=leakwatch env leak::")
    assert line.endswith("added 100%25%0Anext")
    assert "\n" not in line


def test_junit_properties_name_the_leaks(app_suite: Suite) -> None:
    xml = app_suite.pytester.path / "junit.xml"
    run = app_suite.files(**PLANTED).run(f"--junitxml={xml}")
    assert run.result.ret == 0
    root = ET.parse(xml).getroot()
    props: dict[str, list[str]] = {}
    for case in root.iter("testcase"):
        props[case.get("name", "")] = [p.get("value", "") for p in case.iter("property")
                                       if p.get("name") == "leakwatch"]
    assert props["test_clean_1"] == [] and props["test_clean_2"] == []
    (mock_prop,) = props["test_mock_left"]
    (mock_finding,) = run.find(kind="mock")
    assert mock_prop.startswith("mock app.runner.log_event: mock left")
    assert mock_prop.endswith(f"[{mock_finding['id']}]")
    (env_prop,) = props["test_env_leak"]
    assert "<sha256:" in env_prop
    assert SECRET_VALUE not in xml.read_text()


def test_junit_properties_under_xdist(app_suite: Suite) -> None:
    xml = app_suite.pytester.path / "junit.xml"
    app_suite.files(**PLANTED).run("-n", "2", f"--junitxml={xml}")
    root = ET.parse(xml).getroot()
    names = {case.get("name") for case in root.iter("testcase")
             if any(p.get("name") == "leakwatch" for p in case.iter("property"))}
    assert {"test_mock_left", "test_env_leak", "test_container"} <= names
    assert "test_clean_1" not in names
