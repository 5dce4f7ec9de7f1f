"""SARIF 2.1.0, rendered from the JSON report: one result per finding, one rule per kind.

Code-scanning UIs (GitHub, Azure DevOps, IDE viewers) read SARIF; leakwatch's
findings map onto it directly: the rule is the finding kind, the location is the
line that made the change (or the test), ``partialFingerprints`` carries the
stable id so a leak keeps its identity across runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..findings import KINDS
from . import locate

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"leak": "error", "warning": "warning", "info": "note"}
ROOT = "ROOTDIR"


def rule_id(kind: str) -> str:
    return f"leakwatch/{kind}"


def _rules(report: dict[str, Any]) -> list[dict[str, Any]]:
    kinds = list(KINDS)
    for f in report.get("leaks", []):
        if f["kind"] not in kinds:
            kinds.append(f["kind"])
    rules = []
    for kind in kinds:
        severity, meaning = KINDS.get(kind, ("warning", f"{kind} finding"))
        rules.append({
            "id": rule_id(kind),
            "name": "".join(p.capitalize() for p in kind.split("-")) + "Leak",
            "shortDescription": {"text": f"State leaked between tests: {kind}"},
            "fullDescription": {"text": f"A test or fixture left {meaning} behind."},
            "defaultConfiguration": {"level": LEVELS.get(severity, "warning")},
            "properties": {"tags": ["test-isolation", "leakwatch"]},
        })
    return rules


def _location(finding: dict[str, Any], report: dict[str, Any],
              lines: dict[str, int]) -> dict[str, Any]:
    where = locate.place(finding, report, lines)
    artifact: dict[str, Any]
    if where.relative:
        artifact = {"uri": where.path, "uriBaseId": ROOT}
    else:
        artifact = {"uri": Path(where.path).as_uri() if Path(where.path).is_absolute() else where.path}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if where.line:
        physical["region"] = {"startLine": where.line}
    return {
        "physicalLocation": physical,
        "logicalLocations": [{"fullyQualifiedName": finding["test"], "kind": "function"}],
    }


def render(report: dict[str, Any]) -> dict[str, Any]:
    rules = _rules(report)
    index = {r["id"]: i for i, r in enumerate(rules)}
    lines = locate.test_lines(report)
    results = []
    for f in report.get("leaks", []):
        rid = rule_id(f["kind"])
        results.append({
            "ruleId": rid,
            "ruleIndex": index[rid],
            "level": LEVELS.get(f["severity"], "warning"),
            "message": {"text": locate.message(f)},
            "locations": [_location(f, report, lines)],
            "partialFingerprints": {"leakwatchId/v1": f["id"]},
            "properties": {
                "leakwatchId": f["id"], "test": f["test"], "owner": f["owner"],
                "phase": f["phase"], "subject": f["subject"], "critical": f["critical"],
                **({"worker": f["detail"]["worker"]} if "worker" in f.get("detail", {}) else {}),
            },
        })
    rootdir = str(report.get("run", {}).get("rootdir", "."))
    root_uri = Path(rootdir).as_uri() if Path(rootdir).is_absolute() else rootdir
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "leakwatch",
                "version": report["tool"]["version"],
                "informationUri": "https://pypi.org/project/leakwatch/",
                "rules": rules,
            }},
            "originalUriBaseIds": {ROOT: {"uri": root_uri.rstrip("/") + "/"}},
            "invocations": [{
                "executionSuccessful": bool(report.get("complete", True)),
                "toolExecutionNotifications": [
                    {"level": "warning", "message": {"text": reason}}
                    for reason in report.get("incomplete_reasons", [])
                ],
            }],
            "results": results,
        }],
    }


def write(path: Path, report: dict[str, Any]) -> None:
    from .json_report import write as write_json

    write_json(path, render(report))
