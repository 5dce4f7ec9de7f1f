"""SARIF 2.1.0 output, validated against the official OASIS schema shipped in tests/data/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import Suite
from test_ci_xdist import EXPECTED, PLANTED, SECRET_VALUE

from leakwatch.report import sarif

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


def validate(doc: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_the_shipped_schema_is_the_official_one() -> None:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    jsonschema.Draft4Validator.check_schema(schema)
    with pytest.raises(AssertionError):  # the validator does reject a wrong document
        validate({"version": "2.1.0", "runs": [{"results": []}]})


@pytest.mark.parametrize("xdist", [False, True])
def test_one_result_per_finding(app_suite: Suite, xdist: bool) -> None:
    path = app_suite.pytester.path / "leaks.sarif"
    args = ["-n", "2"] if xdist else []
    run = app_suite.files(**PLANTED).run(*args, f"--leakwatch-sarif={path}")
    assert run.result.ret == 0
    doc = json.loads(path.read_text("utf-8"))
    validate(doc)
    assert doc["version"] == "2.1.0"
    (sarif_run,) = doc["runs"]
    results = sarif_run["results"]
    assert len(results) == len(run.leaks)
    assert {r["partialFingerprints"]["leakwatchId/v1"] for r in results} == {f["id"] for f in run.leaks}
    # rule ids per kind, each rule index pointing at its rule
    rules = sarif_run["tool"]["driver"]["rules"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    assert {r["ruleId"] for r in results} == {f"leakwatch/{kind}" for kind, _, _ in EXPECTED}
    assert {r["level"] for r in results if r["ruleId"] != "leakwatch/attribute"} == {"error"}
    assert SECRET_VALUE not in path.read_text("utf-8")


def test_locations_point_at_the_origin_or_the_test(app_suite: Suite) -> None:
    path = app_suite.pytester.path / "leaks.sarif"
    app_suite.files(**PLANTED).run(f"--leakwatch-sarif={path}")
    (sarif_run,) = json.loads(path.read_text("utf-8"))["runs"]
    by_rule = {r["ruleId"]: r["locations"][0]["physicalLocation"] for r in sarif_run["results"]}
    mock = by_rule["leakwatch/mock"]
    assert mock["artifactLocation"] == {"uri": "test_polluters.py", "uriBaseId": "ROOTDIR"}
    assert mock["region"]["startLine"] == 7  # the patch(...).start() line
    container = by_rule["leakwatch/container"]  # origin read from the test's code
    assert container["artifactLocation"]["uri"] == "test_more.py"
    assert container["region"]["startLine"] == 11
    base = sarif_run["originalUriBaseIds"]["ROOTDIR"]["uri"]
    assert base.startswith("file:///") and base.endswith("/")


def test_render_from_a_report_dict_is_pure() -> None:
    report = {
        "tool": {"name": "leakwatch", "version": "9.9"}, "complete": False,
        "incomplete_reasons": ["internal error in env"], "run": {"rootdir": "/proj"},
        "leaks": [{
            "id": "brand-new:0123456789ab", "test": "/elsewhere/t.py::test_x",
            "owner": {"type": "fixture", "name": "db", "scope": "session",
                      "location": "/elsewhere/conftest.py:12", "node": None},
            "kind": "brand-new", "subject": "x", "severity": "warning", "phase": "fixture-teardown",
            "change": "changed", "detail": {}, "origin": None, "critical": False,
        }],
    }
    doc = sarif.render(report)
    validate(doc)
    (result,) = doc["runs"][0]["results"]
    assert result["level"] == "warning" and result["ruleId"] == "leakwatch/brand-new"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "file:///elsewhere/conftest.py"
    assert location["region"]["startLine"] == 12
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_unwritable_sarif_path_is_a_usage_error(app_suite: Suite) -> None:
    run = app_suite.files(**PLANTED).run("--leakwatch-sarif=/nonexistent-dir/x.sarif", report=False)
    assert run.result.ret == 4
    assert "--leakwatch-sarif" in run.output


def test_a_fault_in_an_output_is_one_warning(app_suite: Suite) -> None:
    path = app_suite.pytester.path / "leaks.sarif"
    app_suite.files(**PLANTED, **{"conftest.py": """
        import leakwatch.report.sarif as sarif

        def boom(report):
            raise RuntimeError("sarif renderer broke")

        sarif.render = boom
    """})
    run = app_suite.run(f"--leakwatch-sarif={path}", "--leakwatch-fail")
    assert run.result.ret == 1  # the gate still decides on the leaks, nothing else changed
    run.result.assert_outcomes(passed=9)
    assert run.report is not None and not run.report["complete"]
    assert any("sarif renderer broke" in e["message"] for e in run.report["errors"])
    assert "leakwatch internal error in sarif_output" in run.output
    assert not path.exists()
