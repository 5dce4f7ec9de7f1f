"""Where a finding points, for formats that want a file and a line (SARIF, annotations).

Rendered from the JSON report only: the origin (the line that made the change) when
known, else the fixture's definition, else the test's own file and line (from the
report's ``tests`` list), with paths made relative to the run's rootdir.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple


class Place(NamedTuple):
    path: str  # relative to rootdir (POSIX separators) when under it, else absolute
    line: int | None
    relative: bool


def _rel(path: str, rootdir: str) -> tuple[str, bool]:
    if not os.path.isabs(path):
        return path.replace(os.sep, "/"), True
    try:
        rel = os.path.relpath(path, rootdir)
    except ValueError:  # pragma: no cover - another drive
        return path, False
    if rel.startswith(".."):
        return path, False
    return rel.replace(os.sep, "/"), True


def test_lines(report: dict[str, Any]) -> dict[str, int]:
    """nodeid -> 1-based line of the test's definition, where the report has it."""
    out: dict[str, int] = {}
    for entry in report.get("tests") or []:
        if isinstance(entry, dict) and isinstance(entry.get("line"), int):
            out[str(entry.get("nodeid"))] = entry["line"]
    return out


def place(finding: dict[str, Any], report: dict[str, Any],
          lines: dict[str, int] | None = None) -> Place:
    rootdir = str(report.get("run", {}).get("rootdir", ""))
    origin = finding.get("origin")
    if origin:
        path, relative = _rel(str(origin["file"]), rootdir)
        return Place(path, int(origin["line"]) or None, relative)
    owner = finding.get("owner") or {}
    location = owner.get("location")
    if owner.get("type") == "fixture" and isinstance(location, str) and ":" in location:
        file, _, line = location.rpartition(":")
        path, relative = _rel(file, rootdir)
        return Place(path, int(line) if line.isdigit() else None, relative)
    test = str(finding.get("test", ""))
    file = test.split("::", 1)[0]
    test_line = (lines if lines is not None else test_lines(report)).get(test)
    path, relative = _rel(file, rootdir)
    return Place(path, test_line, relative)


def message(finding: dict[str, Any]) -> str:
    """One line: who leaked what (the change text is already value-safe)."""
    owner = finding.get("owner") or {}
    who = finding["test"] if owner.get("type") == "test" else \
        f"fixture {owner.get('name')!r} ({owner.get('scope')})"
    return f"{who} leaked {finding['kind']} {finding['subject']}: {finding['change']}"
