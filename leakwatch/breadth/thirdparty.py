"""Probes from other code: the ``pytest_leakwatch_probes`` hook and the
``leakwatch.probes`` entry-point group, each loaded and wrapped under a guard.

A third-party probe is wrapped in :class:`ContainedProbe`: its errors are
contained by the collector's guard like ours, and what it returns from ``poll``
is checked (only :class:`~leakwatch.changes.Change` objects with string subject
and kind pass) so one bad probe cannot spoil the changes of the others.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib import metadata
from typing import Any

import pytest

from ..changes import Change

ENTRY_POINT_GROUP = "leakwatch.probes"


class ContainedProbe:
    def __init__(self, probe: Any, source: str) -> None:
        name = getattr(probe, "name", None)
        self.name = f"probe {name if type(name) is str else type(probe).__name__} ({source})"
        self.probe = probe
        self._restore = getattr(probe, "restore", None)

    def start(self) -> None:
        self.probe.start()

    def mark(self, phase_ended: str) -> None:
        mark = getattr(self.probe, "mark", None)
        if mark is not None:
            mark(phase_ended)

    def poll(self) -> list[Change]:
        result = self.probe.poll()
        out: list[Change] = []
        for change in result or ():
            if type(change) is not Change or type(change.subject) is not str \
                    or type(change.kind) is not str:
                raise TypeError(f"{self.name}: poll() must return leakwatch Change objects, "
                                f"got {type(change).__name__}")
            if self._restore is not None and "restore" not in change.extra:
                change.extra["restore"] = functools.partial(self._restore, change)
            change.extra.setdefault("probe", self.name)
            out.append(change)
        return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def load(config: pytest.Config, guard: Any) -> list[ContainedProbe]:
    """Every third-party probe, each source under its own guard."""
    probes: list[ContainedProbe] = []
    hook = getattr(config.hook, "pytest_leakwatch_probes", None)
    for impl in (hook.get_hookimpls() if hook is not None else []):
        source = f"hook {getattr(impl, 'plugin_name', '?')}"
        with guard(source):
            kwargs = {name: config for name in impl.argnames if name == "config"}
            for probe in _as_list(impl.function(**kwargs)):
                probes.append(ContainedProbe(probe, source))
    for entry in _entry_points():
        source = f"entry point {entry.name}"
        with guard(source):
            factory = entry.load()
            for probe in _as_list(factory(config)):
                probes.append(ContainedProbe(probe, source))
    return probes


def _entry_points() -> Iterable[metadata.EntryPoint]:
    return metadata.entry_points(group=ENTRY_POINT_GROUP)
