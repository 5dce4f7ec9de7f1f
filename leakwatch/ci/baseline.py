"""Baselines: the leaks a legacy suite already has, accepted by stable id.

A big suite cannot fix every leak before turning the gate on. The baseline file
lists the ids of accepted findings (ids hold no line numbers and no values, so
editing code around a leak does not make it "new"); the gate then fails only on
findings whose id is not in it, and the summary says what was fixed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FORMAT = "leakwatch-baseline/1"
OPTION = "--leakwatch-baseline"


class Comparison:
    """Known (in the baseline and seen), new (seen, not in it), fixed (in it, not seen).

    Plain and slotted, not a dataclass: defined at every enabled start-up (a dataclass costs ~0.3 ms).
    """

    __slots__ = ("known", "new", "fixed")

    def __init__(self, known: list[str] | None = None, new: list[str] | None = None,
                 fixed: list[str] | None = None) -> None:
        self.known: list[str] = [] if known is None else known
        self.new: list[str] = [] if new is None else new
        self.fixed: list[str] = [] if fixed is None else fixed

    def line(self) -> str:
        return (f"leakwatch baseline: {len(self.known)} known, {len(self.new)} new, "
                f"{len(self.fixed)} fixed")

    def to_json(self, path: Path, updated: bool) -> dict[str, Any]:
        return {"file": str(path), "updated": updated, "known": len(self.known),
                "new": len(self.new), "fixed": len(self.fixed), "new_ids": self.new,
                "fixed_ids": self.fixed}


def load(path: Path) -> dict[str, dict[str, Any]]:
    """id -> entry; a missing, unreadable or malformed file is a usage error naming the option."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise pytest.UsageError(
            f"{OPTION}: {str(path)!r} does not exist; create it with "
            "--leakwatch-update-baseline (records this run's leaks as accepted)") from None
    except OSError as exc:
        raise pytest.UsageError(f"{OPTION}: cannot read {str(path)!r}: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise pytest.UsageError(f"{OPTION}: {str(path)!r} is not valid JSON: {exc}") from None
    entries = data.get("leaks") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(entries, list) \
            or not all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in entries):
        raise pytest.UsageError(
            f"{OPTION}: {str(path)!r} is not a leakwatch baseline (expected "
            f'{{"format": "{FORMAT}", "leaks": [{{"id": ...}}, ...]}}); '
            "rewrite it with --leakwatch-update-baseline")
    return {e["id"]: e for e in entries}


def entries_from_report(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings worth accepting (leaks and warnings), with enough to read the file by eye."""
    out: dict[str, dict[str, Any]] = {}
    for f in report.get("leaks", []):
        if f.get("severity") == "info":
            continue
        out[f["id"]] = {"id": f["id"], "kind": f["kind"], "test": f["test"], "subject": f["subject"]}
    return [out[k] for k in sorted(out)]


def write(path: Path, report: dict[str, Any]) -> None:
    """Atomic, sorted by id, so the file diffs cleanly in review."""
    from ..report import json_report

    json_report.write(path, {"format": FORMAT, "leaks": entries_from_report(report)})


def compare(accepted: set[str], report: dict[str, Any]) -> Comparison:
    seen = {e["id"] for e in entries_from_report(report)}
    return Comparison(known=sorted(seen & accepted), new=sorted(seen - accepted),
                      fixed=sorted(accepted - seen))
