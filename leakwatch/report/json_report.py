"""The JSON leak report: the source of truth every other format is rendered from.

Validated against ``leakwatch/schema/report.schema.json`` in the tests; written
atomically (temp file in the same directory, then ``os.replace``).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from .. import __version__
from ..collector import Collector
from ..findings import KINDS, SEVERITIES

SCHEMA_VERSION = "1.0"


def schema() -> dict[str, Any]:
    text = resources.files("leakwatch").joinpath("schema/report.schema.json").read_text("utf-8")
    return dict(json.loads(text))


def _iso(ts: float) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.UTC).isoformat()


def build(collector: Collector, config: pytest.Config) -> dict[str, Any]:
    import time

    findings = sorted(collector.findings, key=lambda f: f.sort_key())
    by_severity = {s: 0 for s in SEVERITIES}
    by_kind: dict[str, int] = {}
    for f in findings:
        by_severity[f.severity] = by_severity.get(f.severity, 0) + 1
        by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
    now = time.time()
    report = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "leakwatch", "version": __version__},
        "complete": collector.complete,
        "incomplete_reasons": list(collector.incomplete_reasons),
        "run": {
            "started": _iso(collector.started),
            "finished": _iso(now),
            "duration_s": round(now - collector.started, 3),
            "python": platform.python_version(),
            "implementation": sys.implementation.name,
            "platform": sys.platform,
            "pytest": pytest.__version__,
            "rootdir": str(config.rootpath),
            "args": [str(a) for a in config.invocation_params.args],
            "core": collector.core_name(),
            "watched_modules": collector.watched_modules(),
            "depth": collector.options.depth,
            "values_shown": collector.options.show_values,
        },
        "summary": {
            "tests_run": collector.tests_run,
            "findings": len(findings),
            "leak": by_severity.get("leak", 0),
            "warning": by_severity.get("warning", 0),
            "info": by_severity.get("info", 0),
            "by_kind": {k: by_kind[k] for k in KINDS if k in by_kind},
            "tests_with_leaks": sorted(collector.tests_with_leaks),
        },
        "leaks": [f.to_json() for f in findings],
        "errors": [{"component": e.component, "message": e.message} for e in collector.errors],
    }
    for key, make in collector.report_extras.items():
        with collector.guard(f"report {key}"):
            report[key] = make()
    return report


def write(path: Path, report: dict[str, Any]) -> None:
    """Atomic write: a reader sees the old file or the whole new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2, sort_keys=False)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
