"""Fold repeated findings into one row: the same growth in 400 tests is one line."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..findings import Finding

#: A shape seen in at least this many owners is shown as one grouped row.
GROUP_AT = 3


@dataclass
class Row:
    findings: list[Finding] = field(default_factory=list)

    @property
    def first(self) -> Finding:
        return self.findings[0]

    @property
    def grouped(self) -> bool:
        return len(self.findings) > 1


def group(findings: list[Finding], at: int = GROUP_AT) -> list[Row]:
    """Rows in report order; findings sharing kind, severity and group key across
    ``at`` or more owners become one row."""
    buckets: dict[tuple[str, str, str], list[Finding]] = {}
    for f in findings:
        key = (f.kind, f.severity, str(f.detail.get("group") or f.subject))
        buckets.setdefault(key, []).append(f)
    rows: list[Row] = []
    for f in sorted(findings, key=Finding.sort_key):
        key = (f.kind, f.severity, str(f.detail.get("group") or f.subject))
        bucket = buckets.get(key)
        if bucket is None:
            continue
        owners = {x.owner for x in bucket}
        if len(owners) >= at and not f.critical:
            rows.append(Row(list(bucket)))
            del buckets[key]
        else:
            rows.append(Row([f]))
    return rows
