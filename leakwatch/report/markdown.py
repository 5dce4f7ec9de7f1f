"""Markdown, rendered from the JSON report: PR comments and ``$GITHUB_STEP_SUMMARY``.

Kept short on purpose (a PR comment is read, not searched): a summary line, then
one table row per finding up to ``limit``, then how many more are in the report.
"""

from __future__ import annotations

from typing import Any

from . import locate


def cell(text: object, width: int = 120) -> str:
    """A table cell: one line, pipes escaped, long text cut."""
    s = " ".join(str(text).split())
    if len(s) > width:
        s = s[: width - 1] + "…"
    s = s.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def summary_text(report: dict[str, Any]) -> str:
    s = report.get("summary", {})
    text = (f"{s.get('leak', 0)} leaks, {s.get('warning', 0)} warnings, {s.get('info', 0)} info "
            f"in {s.get('tests_run', 0)} tests")
    if not report.get("complete", True):
        text += " (INCOMPLETE: " + "; ".join(report.get("incomplete_reasons", [])) + ")"
    return text


def render(report: dict[str, Any], limit: int = 50, title: str = "leakwatch") -> str:
    lines = [f"### {title}", "", summary_text(report), ""]
    baseline = report.get("baseline")
    if isinstance(baseline, dict):
        lines += [f"Baseline: {baseline.get('known', 0)} known, {baseline.get('new', 0)} new, "
                  f"{baseline.get('fixed', 0)} fixed", ""]
    leaks = report.get("leaks", [])
    if leaks:
        lines += ["| test or fixture | kind | subject | change | where |",
                  "| --- | --- | --- | --- | --- |"]
        lines_by_test = locate.test_lines(report)
        for f in leaks[:limit]:
            where = locate.place(f, report, lines_by_test)
            at = f"{where.path}:{where.line}" if where.line else where.path
            owner = f.get("owner") or {}
            who = f["test"] if owner.get("type") == "test" else f"fixture {owner.get('name')}"
            kind = f["kind"] + ("" if f["severity"] == "leak" else f" ({f['severity']})")
            lines.append(f"| `{cell(who)}` | {cell(kind)} | `{cell(f['subject'])}` | "
                         f"{cell(f['change'])} | {cell(at)} |")
        if len(leaks) > limit:
            lines += ["", f"… {len(leaks) - limit} more in the JSON report."]
    return "\n".join(lines) + "\n"


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Findings by stable id: new (only in NEW), fixed (only in OLD), unchanged (both)."""
    before = {f["id"]: f for f in old.get("leaks", [])}
    after = {f["id"]: f for f in new.get("leaks", [])}
    return {
        "new": [after[i] for i in after if i not in before],
        "fixed": [before[i] for i in before if i not in after],
        "unchanged": [after[i] for i in after if i in before],
    }


def render_diff(parts: dict[str, list[dict[str, Any]]]) -> str:
    lines = ["### leakwatch diff", "",
             f"{len(parts['new'])} new, {len(parts['fixed'])} fixed, "
             f"{len(parts['unchanged'])} unchanged", ""]
    for name in ("new", "fixed", "unchanged"):
        if not parts[name]:
            continue
        lines += [f"#### {name}", "", "| id | test | kind | subject |", "| --- | --- | --- | --- |"]
        for f in parts[name]:
            lines.append(f"| `{f['id']}` | `{cell(f['test'])}` | {cell(f['kind'])} | "
                         f"`{cell(f['subject'])}` |")
        lines.append("")
    return "\n".join(lines)
