"""The finding model: what leaked, who leaked it, and how bad it is.

Findings are plain data: they hold strings, never user objects, so a report can
be kept for the whole session without keeping user objects alive.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
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


class _Fields:
    """Equality, hash, repr and dict by ``__slots__``: what the frozen dataclasses these
    classes were gave them, without defining a dataclass at every enabled start-up (that
    cost more than the rest of this module). The report groups findings by owner."""

    __slots__: tuple[str, ...] = ()

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined, no-any-return]

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


class Origin(_Fields):
    """Where a change was made: a source line, and the function it is in. One is made for
    every recorded write."""

    __slots__ = ("file", "line", "function")

    def __init__(self, file: str, line: int, function: str | None = None) -> None:
        self.file = file
        self.line = line
        self.function = function

    def short(self) -> str:
        return f"{self.file}:{self.line}"


class Owner(_Fields):
    """Who is responsible: a test (by nodeid) or a fixture (by scope and location). One is
    made for every test."""

    __slots__ = ("type", "name", "scope", "location", "node")

    def __init__(self, type: str, name: str, scope: str = "function",  # noqa: A002
                 location: str | None = None, node: str | None = None) -> None:
        self.type = type  # "test" | "fixture"
        self.name = name  # nodeid for a test, fixture name for a fixture
        self.scope = scope
        self.location = location  # fixture definition "file:line"
        self.node = node  # for a fixture: the nodeid of the node it belongs to

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
            "owner": self.owner.as_dict(),
            "kind": self.kind,
            "subject": self.subject,
            "severity": self.severity,
            "phase": self.phase,
            "change": self.change,
            "detail": self.detail,
            "origin": self.origin.as_dict() if self.origin else None,
            "critical": self.critical,
        }
        if self.restored is not None:
            out["restored"] = self.restored
        return out
