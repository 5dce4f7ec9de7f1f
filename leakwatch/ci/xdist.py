"""pytest-xdist: workers detect in their own order, the controller merges.

Each xdist worker is a full leakwatch session (the plugin loads there too): it
sees only the tests it runs, in its own order, which is exactly the order that
matters for leaks. A worker must not write the report, print the section or
apply the gate; instead it hands its JSON report to the controller through
``config.workeroutput`` (execnet carries plain strings safely). The controller,
which runs no test, turns the workers' findings back into :class:`Finding`
objects inside its own collector, so the terminal section, the JSON report and
the gate work unchanged on the merged run.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ..collector import Collector, InternalError
from ..findings import Finding, Origin, Owner

WORKEROUTPUT_KEY = "leakwatch"
#: A worker that found an invalid ``leakwatch`` marker sends the message here.
USAGE_ERROR_KEY = "leakwatch_usage_error"
#: How many preceding tests a finding carries in ``detail["preceding_tests"]``; the
#: full order is always in the report's top-level ``tests`` list.
PRECEDING_CAP = 200


def worker_id(config: pytest.Config) -> str | None:
    """The xdist worker id (``gw0``...) when this process is a worker, else None."""
    workerinput = getattr(config, "workerinput", None)
    if isinstance(workerinput, dict):
        wid = workerinput.get("workerid")
        return str(wid) if wid is not None else "gw?"
    return None


def is_controller(config: pytest.Config) -> bool:
    """True in the xdist controller (``-n N`` with N > 0): it runs no test itself."""
    return worker_id(config) is None and config.pluginmanager.hasplugin("dsession")


def finding_from_json(data: dict[str, Any]) -> Finding:
    """The inverse of :meth:`Finding.to_json` (the id is recomputed and checked)."""
    owner = data["owner"]
    origin = data.get("origin")
    finding = Finding(
        owner=Owner(str(owner["type"]), str(owner["name"]), str(owner.get("scope", "function")),
                    owner.get("location"), owner.get("node")),
        kind=str(data["kind"]),
        subject=str(data["subject"]),
        change=str(data["change"]),
        severity=str(data["severity"]),
        phase=str(data["phase"]),
        detail=dict(data.get("detail") or {}),
        origin=Origin(str(origin["file"]), int(origin["line"]), origin.get("function"))
        if origin else None,
        critical=bool(data.get("critical", False)),
    )
    return finding


def worker_payload(report: dict[str, Any]) -> str:
    """What a worker sends: its whole JSON report, as one string."""
    return json.dumps(report)


#: Report keys the merge handles itself; other list-valued keys that sub-plugins add
#: through ``report_extras`` (e.g. ``victims``) are concatenated across workers.
CORE_KEYS = frozenset({"schema_version", "tool", "complete", "incomplete_reasons", "run", "summary",
                       "leaks", "errors", "tests", "baseline"})


def extra_lists(report: dict[str, Any]) -> dict[str, list[Any]]:
    """A worker report's other list-valued top-level keys (sub-plugins' extras)."""
    return {k: v for k, v in report.items() if k not in CORE_KEYS and isinstance(v, list)}


def merge(collector: Collector, wid: str, payload: str) -> dict[str, Any]:
    """Add one worker's report to the controller's collector; return the report, with its
    ``tests`` labelled with the worker."""
    report: dict[str, Any] = json.loads(payload)
    for data in report.get("leaks", []):
        finding = finding_from_json(data)
        finding.detail.setdefault("worker", wid)
        collector.findings.append(finding)
        if finding.severity != "info":
            collector.tests_with_leaks.add(finding.test)
    collector.tests_run += int(report.get("summary", {}).get("tests_run", 0))
    for err in report.get("errors", []):
        collector.errors.append(InternalError(f"{wid}: {err.get('component')}",
                                              str(err.get("message")), ""))
    for reason in report.get("incomplete_reasons", []):
        collector.mark_incomplete(f"{wid}: {reason}")
    tests = report.get("tests")
    report["tests"] = [dict(t, worker=wid) for t in tests] if isinstance(tests, list) else []
    return report
