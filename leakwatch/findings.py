"""The finding model: what leaked, who leaked it, and how bad it is.

Findings are plain data: they hold strings, never user objects, so a report can
be kept for the whole session without keeping user objects alive.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

LEAK = "leak"
WARNING = "warning"
INFO = "info"
SEVERITIES = (LEAK, WARNING, INFO)

#: Every finding kind, with its default severity and a one-line meaning.
KINDS: dict[str, tuple[str, str]] = {
    "mock": (LEAK, "a unittest.mock object left on watched state"),
    "reload": (LEAK, "a module reloaded or replaced in sys.modules, and the reload survives"),
    "env": (LEAK, "an os.environ key added, removed or changed"),
    "sys-modules": (LEAK, "a sys.modules entry removed, or a non-module inserted"),
    "attribute": (LEAK, "a module attribute rebound, added or deleted"),
    "class-attribute": (LEAK, "a class attribute rebound, added or deleted"),
    "instance-attribute": (LEAK, "an attribute of an object reachable from a watched module changed"),
    "container": (LEAK, "the contents of a dict, list or set reachable from a watched module changed"),
}

#: Order in reports: mocks first, then reloads, then the rest.
KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}


def register_kind(kind: str, severity: str, meaning: str) -> None:
    """Add a finding kind (probes, the tracer and third-party probes call this at import)."""
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    if kind not in KINDS:
        KINDS[kind] = (severity, meaning)
        KIND_ORDER[kind] = len(KIND_ORDER)
SEVERITY_ORDER = {LEAK: 0, WARNING: 1, INFO: 2}


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
