"""The finding model: what leaked, who leaked it, and how bad it is.

Findings are plain data: they hold strings, never user objects, so a report can
be kept for the whole session without keeping user objects alive.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from .kinds import (  # re-exported: the probe API imports them from here
    INFO,
    KIND_ORDER,
    KINDS,
    LEAK,
    SEVERITIES,
    SEVERITY_ORDER,
    WARNING,
    register_kind,
)

__all__ = ["INFO", "KIND_ORDER", "KINDS", "LEAK", "SEVERITIES", "SEVERITY_ORDER", "WARNING",
           "Finding", "Origin", "Owner", "register_kind"]


@dataclass(frozen=True)
class Origin:
    """Where a change was made: a source line, and the function it is in."""

    file: str
    line: int
    function: str | None = None

    def short(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Owner:
    """Who is responsible: a test (by nodeid) or a fixture (by scope and location)."""

    type: str  # "test" | "fixture"
    name: str  # nodeid for a test, fixture name for a fixture
    scope: str = "function"
    location: str | None = None  # fixture definition "file:line"
    node: str | None = None  # for a fixture: the nodeid of the node it belongs to

    def label(self) -> str:
        if self.type == "test":
            return self.name
        return f"fixture {self.name!r} ({self.scope})"


@dataclass
class Finding:
    owner: Owner
    kind: str
    subject: str
    change: str
    severity: str
    phase: str
    detail: dict[str, Any] = field(default_factory=dict)
    origin: Origin | None = None
    critical: bool = False
    #: ``--leakwatch-restore``: True when put back, False when it cannot be; None otherwise.
    restored: bool | None = None

    @property
    def test(self) -> str:
        return self.owner.name if self.owner.type == "test" else (self.owner.node or self.owner.name)

    @property
    def id(self) -> str:
        """Stable across runs: no line numbers, no object ids, no values."""
        key = "\x00".join(
            (self.kind, self.subject, self.owner.type, self.owner.name, self.detail.get("shape", ""))
        )
        return f"{self.kind}:{hashlib.sha256(key.encode()).hexdigest()[:12]}"

    def sort_key(self) -> tuple[int, int, int, str, str]:
        return (
            0 if self.critical else 1,
            SEVERITY_ORDER.get(self.severity, 9),
            KIND_ORDER.get(self.kind, 99),
            self.test,
            self.subject,
        )

    def to_json(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "test": self.test,
            "owner": {k: v for k, v in asdict(self.owner).items()},
            "kind": self.kind,
            "subject": self.subject,
            "severity": self.severity,
            "phase": self.phase,
            "change": self.change,
            "detail": self.detail,
            "origin": asdict(self.origin) if self.origin else None,
            "critical": self.critical,
        }
        if self.restored is not None:
            out["restored"] = self.restored
        return out
