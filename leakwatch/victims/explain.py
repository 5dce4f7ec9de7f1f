"""What a victim is told: the failure-report section and its JSON counterpart.

Short on purpose: a failure output is read by a person in a hurry. The most
relevant outstanding leaks first, each with its polluter and origin, then
"N more". Texts come from findings, which hold strings only (env values are
already hashed or masked there; nothing here adds a value).
"""

from __future__ import annotations

from typing import Any

from .relevance import UNRELATED, Ranked

#: Suspects shown in a failure section, and kept in the JSON report per victim.
SHOWN = 5
KEPT = 20


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _origin(ranked: Ranked, rootdir: str) -> str:
    from ..report.terminal import origin_text

    text = origin_text(ranked.finding.origin, rootdir)
    return f" at {text}" if text else ""


def section_text(ranked: list[Ranked], rootdir: str, hint: bool = True) -> str:
    """The ``leakwatch`` section of a failing test's report."""
    lines = [f"this test ran with {_count(ranked)} left by earlier tests "
             "(most relevant first):"]
    for item in ranked[:SHOWN]:
        f = item.finding
        lines.append(f"  {f.kind} {f.subject}: {_short(f.change)}")
        why = f"; relevant: {item.reason}" if item.score > UNRELATED and item.reason else ""
        first = item.entry.set_up_by.get(f.id)
        by = f", set up for {first}" if first else ""
        lines.append(f"      left by {f.owner.label()}{by} [{f.phase}]{_origin(item, rootdir)}{why}")
    more = len(ranked) - SHOWN
    if more > 0:
        lines.append(f"  ... {more} more (see the leakwatch report)")
    if hint:
        lines.append("  re-run with --leakwatch-confirm to check which polluter breaks it")
    else:
        lines.append("  --leakwatch-confirm re-runs it after the run: see the leakwatch victims summary")
    return "\n".join(lines) + "\n"


def _count(ranked: list[Ranked]) -> str:
    subjects = {(r.entry.kind, r.entry.subject) for r in ranked}
    n = len(subjects)
    return f"{n} outstanding leak" + ("" if n == 1 else "s")


def suspects_json(ranked: list[Ranked]) -> list[dict[str, Any]]:
    """The ``suspects`` of a victim in the JSON report."""
    out = []
    for item in ranked[:KEPT]:
        f = item.finding
        out.append({
            "test": f.test,
            "leak_id": f.id,
            "kind": f.kind,
            "subject": f.subject,
            "owner": f.owner.label(),
            "relevance": item.score,
            "reason": item.reason,
        })
        first = item.entry.set_up_by.get(f.id)
        if first:
            out[-1]["set_up_by"] = first
    return out


def polluters(ranked: list[Ranked]) -> list[str]:
    """The runnable polluter of each suspect, most relevant first, without repeats."""
    seen: dict[str, None] = {}
    for item in ranked:
        runnable = item.entry.runnable.get(item.finding.id) or item.finding.test
        if runnable:
            seen.setdefault(runnable, None)
    return list(seen)
