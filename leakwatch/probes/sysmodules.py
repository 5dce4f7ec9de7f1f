"""``sys.modules``: entries removed, replaced, or faked; and which modules to watch.

A genuine first import (absent -> a real module) is never a change; it only
adds the module to the watch graph when it is watched. A module replaced by
another object of the same name (delete and re-import, or a fake) is a change.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from .. import safe
from ..changes import MISSING, Change
from ..graph import WatchGraph
from ..versions import DictCore, quiet_word, untracked


class SysModulesProbe:
    name = "sys.modules"

    def __init__(self, core: DictCore, graph: WatchGraph, is_watched: Callable[[str, Any], bool],
                 on_new_module: Callable[[str, Any], None] | None = None) -> None:
        self.core = core
        self.graph = graph
        self.is_watched = is_watched
        self.on_new_module = on_new_module
        self._handle: Any = None
        self._snapshot: dict[str, Any] = {}
        self._modules: dict[str, Any] | None = None
        self._mark_handle: Any = None
        self._mark_snapshot: dict[str, Any] = {}
        self._phases: dict[str, str] = {}
        #: Modules first imported in the window the last poll closed (import-time side
        #: effects, such as a library registering an import hook, are judged with it).
        self.first_imports: set[str] = set()

    def start(self) -> None:
        self._modules = sys.modules
        self._handle = self.core.add_unlogged(sys.modules)
        self._mark_handle = self.core.add_unlogged(sys.modules)
        self._snapshot = untracked(dict.copy(sys.modules))
        self._mark_snapshot = self._snapshot
        for name, module in self._snapshot.items():
            self._maybe_watch(name, module)

    def _maybe_watch(self, name: str, module: Any) -> None:
        if type(name) is str and safe.is_module(module) and self.is_watched(name, module):
            self.graph.add_module(name, module)
        if self.on_new_module is not None and type(name) is str:
            self.on_new_module(name, module)

    def mark(self, phase_ended: str) -> None:
        """Date entries changed in the phase that ended (imports in later phases
        move the dict's version tag, so the tag alone cannot)."""
        if self._mark_handle is None or not self.core.changed([self._mark_handle]):
            return
        self.core.accept(self._mark_handle)
        old, new = self._mark_snapshot, untracked(dict.copy(sys.modules))
        self._mark_snapshot = new
        names = new.keys() ^ old.keys()
        if len(names) == 0 and len(new) == len(old):
            pairs = zip(new.items(), old.items(), strict=True)
            names = {k for (k, v), (k2, v2) in pairs if v is not v2 or k != k2}
        for name in names:
            self._phases.setdefault(name, phase_ended)

    def quiet(self) -> list[tuple[Any, str, Any]] | None:
        """What, while it reads the same, means :meth:`poll` has nothing to report:
        ``same_reads`` entries (source, mode, expected) the collector checks in one C call
        for all quiet probes (``Collector._poll``); None when that cannot be said now."""
        word = quiet_word(self._handle)
        ns = safe.module_dict(sys)
        if word is None or ns is None:
            return None
        return [((ns, "modules"), "i", self._modules), word]

    #: :meth:`settle` has something to do only while this attribute is truthy (the collector
    #: reads it instead of calling: a quiet poll then makes no call here).
    settle_if = "first_imports"

    def settle(self) -> None:
        """What a poll that found nothing does besides: no module was first imported."""
        if self.first_imports:
            self.first_imports = set()

    def poll(self) -> list[Change]:
        if sys.modules is not self._modules:  # pragma: no cover - nobody does this
            self.start()
            return []
        self.first_imports = set()
        if not self.core.changed([self._handle]):
            return []
        self.core.accept(self._handle)
        version = self.core.version(self._handle)
        old, new = self._snapshot, untracked(dict.copy(sys.modules))
        self._snapshot = new
        self._mark_snapshot = new
        self.core.accept(self._mark_handle)
        phases, self._phases = self._phases, {}
        out: list[Change] = []
        for name in new.keys() - old.keys():
            module = new[name]
            if safe.is_module(module):
                self.first_imports.add(name)
                self._maybe_watch(name, module)
            else:
                kind = "mock" if safe.is_mock(module) else "sys-modules"
                out.append(Change(f"sys.modules[{name!r}]", kind, MISSING, module, "module", version,
                                  None, _extra(name, phases)))
        for name in old.keys() - new.keys():
            module = old[name]
            self.graph.remove_module(name)
            out.append(Change(f"sys.modules[{name!r}]", "sys-modules", module, MISSING, "module",
                              version, None, _extra(name, phases)))
        for name, module in new.items():
            previous = old.get(name, MISSING)
            if previous is MISSING or previous is module:
                continue
            if safe.is_module(previous) and safe.is_module(module):
                kind = "reload"
            elif safe.is_mock(module):
                kind = "mock"
            else:
                kind = "sys-modules"
            was_watched = name in self.graph.modules
            self.graph.remove_module(name)
            if safe.is_module(module):
                self._maybe_watch(name, module)
            out.append(Change(f"sys.modules[{name!r}]", kind, previous, module, "module", version,
                              None, _extra(name, phases, watched=was_watched)))
        return out


def _extra(name: str, phases: dict[str, str], **more: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {"name": name, **more}
    phase = phases.get(name)
    if phase is not None:
        extra["phase"] = phase
    return extra
