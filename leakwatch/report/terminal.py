"""The ``leakwatch`` section of pytest's terminal summary (tabulate)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import pytest

from ..collector import Collector
from ..findings import INFO, LEAK, WARNING, Finding, Origin

if TYPE_CHECKING:  # the grouping of findings is imported only when there are findings
    from .grouping import Row

DEFAULT_ROWS = 30
QUIET_ROWS = 5


def origin_text(origin: Origin | None, rootdir: str) -> str:
    if origin is None:
        return ""
    path = origin.file
    try:
        rel = os.path.relpath(path, rootdir)
        if not rel.startswith(".."):
            path = rel
    except ValueError:  # pragma: no cover - other drive
        pass
    return f"{path}:{origin.line}"


def _owner_text(f: Finding) -> str:
    if f.owner.type == "test":
        return f"{f.owner.name} [{f.phase}]"
    where = f" @ {f.owner.node}" if f.owner.node else ""
    return f"fixture {f.owner.name} ({f.owner.scope}){where}"


def _row(row: Row, rootdir: str) -> list[str]:
    f = row.first
    if row.grouped:
        owners = sorted({x.owner.label() for x in row.findings})
        who = f"{len(owners)} tests/fixtures (first: {owners[0]})"
        subject = str(f.detail.get("group") or f.subject)
        change = f"{f.change} ... in {len(row.findings)} findings"
    else:
        who = _owner_text(f)
        subject = f.subject
        change = f.change
    kind = f.kind + (" !" if f.critical else "") + ("" if f.severity == LEAK else f" ({f.severity})")
    return [who, kind, subject, change, origin_text(f.origin, rootdir)]


def summary_line(collector: Collector) -> str:
    counts = {LEAK: 0, WARNING: 0, INFO: 0}
    for f in collector.findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    owners = {f.owner.label() for f in collector.findings if f.severity != INFO}
    if not any(counts.values()):
        text = f"leakwatch: no leaks in {collector.tests_run} tests"
    else:
        text = (f"leakwatch: {counts[LEAK]} leaks, {counts[WARNING]} warnings, {counts[INFO]} info "
                f"from {len(owners)} of {collector.tests_run} tests/fixtures")
    text += f" ({collector.watched_modules()} watched modules, core {collector.core_name()})"
    if not collector.complete:
        text += "; INCOMPLETE: " + "; ".join(collector.incomplete_reasons)
    return text


def render(tr: Any, collector: Collector, config: pytest.Config) -> None:
    verbose = int(getattr(config.option, "verbose", 0) or 0)
    findings = list(collector.findings)
    for err in collector.errors[:5]:
        tr.write_line(f"leakwatch internal error in {err.component}: {err.message}", yellow=True)
        if verbose > 0:
            tr.write_line(err.traceback)
    if not findings:
        tr.write_line(summary_line(collector))
        return
    from tabulate import tabulate  # a clean run never needs the table (nor its import)

    from .grouping import group

    tr.write_sep("=", "leakwatch")
    rows = group(findings, at=10**9 if verbose > 1 else 3)
    limit = len(rows) if verbose > 0 else QUIET_ROWS if verbose < 0 else DEFAULT_ROWS
    table = [_row(r, str(config.rootpath)) for r in rows[:limit]]
    text = tabulate(table, headers=["test or fixture", "kind", "subject", "change", "origin"],
                    tablefmt="simple", maxcolwidths=[50, 20, 50, 70, 40])
    for line in text.splitlines():
        tr.write_line(line)
    if len(rows) > limit:
        tr.write_line(f"... {len(rows) - limit} more rows (use -v to see all)")
    tr.write_line(summary_line(collector))


def final_line(config: pytest.Config, message: str) -> None:
    try:
        tw = config.get_terminal_writer()
        tw.line(message, red=True, bold=True)
    except Exception:
        sys.stderr.write(message + "\n")
