"""Process-wide dicts: ``builtins`` names and ``sys.path_importer_cache`` fakes.

Both are watched through the version core: untouched, each costs one memory
read per poll. ``sys.path_importer_cache`` fills itself whenever a new directory
is imported from, so only entries that are not the import system's own finders
(mocks, objects of classes defined in watched code) are reported.
"""

from __future__ import annotations

import builtins
import sys
from collections.abc import Callable
from typing import Any

from .. import safe
from ..changes import MISSING, Change
from ..versions import DictCore, quiet_word

_IMPORT_SYSTEM_MODULES = frozenset({
    "builtins", "importlib._bootstrap_external", "_frozen_importlib_external", "zipimport",
    "importlib.machinery", "importlib._bootstrap", "_frozen_importlib", "importlib.readers",
})


def _put_back(target: dict[Any, Any], key: Any) -> Callable[[Any], None]:
    def restore(before: Any) -> None:
        if before is MISSING:
            target.pop(key, None)
        else:
            target[key] = before

    return restore


class DictProbe:
    """Keys of one process-wide dict added, rebound or deleted, by identity."""

    def __init__(self, name: str, kind: str, target: dict[Any, Any], core: DictCore,
                 label: Callable[[Any], str], keep: Callable[[Any, Any, Any], bool]) -> None:
        self.name = name
        self.kind = kind
        self.target = target
        self.core = core
        self.label = label
        self.keep = keep
        self._handle: Any = None
        self._snapshot: dict[Any, Any] = {}
        self._mark_handle: Any = None
        self._mark_snapshot: dict[Any, Any] = {}
        self._phases: dict[Any, str] = {}

    def start(self) -> None:
        self._handle = self.core.add_unlogged(self.target)
        self._mark_handle = self.core.add_unlogged(self.target)
        self._snapshot = self._mark_snapshot = dict.copy(self.target)

    def mark(self, phase_ended: str) -> None:
        if not self.core.changed([self._mark_handle]):
            return
        self.core.accept(self._mark_handle)
        new = dict.copy(self.target)
        for key, _, _ in _diff(self._mark_snapshot, new):
            self._phases[key] = phase_ended
        self._mark_snapshot = new

    def poll(self) -> list[Change]:
        if not self.core.changed([self._handle]):
            return []
        self.core.accept(self._handle)
        self.core.accept(self._mark_handle)
        old, new = self._snapshot, dict.copy(self.target)
        self._snapshot = self._mark_snapshot = new
        phases, self._phases = self._phases, {}
        out: list[Change] = []
        for key, before, after in _diff(old, new):
            if not self.keep(key, before, after):
                continue
            extra: dict[str, Any] = {"restore": _put_back(self.target, key), "probe": self.name}
            phase = phases.get(key)
            if phase is not None:
                extra["phase"] = phase
            out.append(Change(self.label(key), self.kind, before, after, "process", None, None, extra))
        return out


def _diff(old: dict[Any, Any], new: dict[Any, Any]) -> list[tuple[Any, Any, Any]]:
    """Keys (exact str keys only: these dicts have no others) whose value changed identity."""
    pairs = []
    for key, value in new.items():
        if type(key) is not str:
            continue
        before = old.get(key, MISSING)
        if before is not value:
            pairs.append((key, before, value))
    for key in old.keys() - new.keys():
        if type(key) is str:
            pairs.append((key, old[key], MISSING))
    return pairs


#: Module metadata the import system rewrites on ``builtins`` (six's tests reload it):
#: not behaviour. ``__import__`` and ``__build_class__`` are kept: patching them is.
_BUILTINS_METADATA = frozenset({"_", "__spec__", "__loader__", "__package__", "__name__",
                                "__doc__", "__file__", "__cached__", "__path__"})


def builtins_probe(core: DictCore) -> DictProbe:
    def keep(key: Any, before: Any, after: Any) -> bool:
        # "_" is the interactive displayhook's last result.
        return key not in _BUILTINS_METADATA

    return DictProbe("builtins", "builtins", safe.module_dict(builtins) or {}, core,
                     lambda key: f"builtins.{key}", keep)


def importer_cache_probe(core: DictCore, is_watched_module: Callable[[str], bool]) -> DictProbe:
    def keep(key: Any, before: Any, after: Any) -> bool:
        value = after if after is not MISSING else before
        return _is_fake(value, is_watched_module)

    return DictProbe("sys.path_importer_cache", "import-hooks", sys.path_importer_cache, core,
                     lambda key: f"sys.path_importer_cache[{key!r}]", keep)


def _is_fake(value: Any, is_watched_module: Callable[[str], bool]) -> bool:
    if value is None or value is MISSING:
        return False
    if safe.is_mock(value):
        return True
    module = safe.defining_module(type(value)) or ""
    if module in _IMPORT_SYSTEM_MODULES:
        return False
    return bool(is_watched_module(module))


class DictsProbe:
    """Several :class:`DictProbe` s behind one version-core call per boundary."""

    name = "process-dicts"

    def __init__(self, core: DictCore, probes: list[DictProbe]) -> None:
        self.core = core
        self.probes = probes
        self._handles: list[Any] = []
        self._mark_handles: list[Any] = []

    def start(self) -> None:
        for probe in self.probes:
            probe.start()
        self._handles = [p._handle for p in self.probes]
        self._mark_handles = [p._mark_handle for p in self.probes]

    def mark(self, phase_ended: str) -> None:
        for i in self.core.changed(self._mark_handles):
            self.probes[i].mark(phase_ended)

    def quiet(self) -> list[tuple[Any, str, Any]] | None:
        """What, while it reads the same, means :meth:`poll` has nothing to report:
        ``same_reads`` entries (source, mode, expected) the collector checks in one C call
        for all quiet probes (``Collector._poll``); None when that cannot be said now."""
        words = [quiet_word(h) for h in self._handles]
        return None if any(w is None for w in words) else words  # type: ignore[return-value]

    def poll(self) -> list[Change]:
        out: list[Change] = []
        for i in self.core.changed(self._handles):
            out.extend(self.probes[i].poll())
        return out
