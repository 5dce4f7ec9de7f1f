"""Probes: each watches one surface and reports :class:`~leakwatch.changes.Change` s.

A probe is a small object with ``name``, ``start()`` (take the baseline),
``poll() -> list[Change]`` (changes since the previous poll) and ``mark(phase)``
(a cheap note at a phase boundary). The collector calls every probe in one
uniform loop, each call guarded, as CPython's ``save_env`` does.
"""

from __future__ import annotations

from typing import Protocol

from ..changes import Change


class Probe(Protocol):
    name: str

    def start(self) -> None: ...

    def poll(self) -> list[Change]: ...

    def mark(self, phase_ended: str) -> None: ...
