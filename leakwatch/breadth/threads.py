"""Threads started during a window and still alive at its end.

``threading._active`` (ident -> Thread) is a plain dict: the version core says
whether it changed at one memory read, so a test that starts no thread costs
nothing more. A thread that is still alive is a subject of its own
(``thread 'name'``): non-daemon threads are leaks (they keep the interpreter
from exiting), daemon threads warnings. A thread that ends later is not a change
unless a fixture window is open (its finalization joining the thread it started).
Threads cannot be stopped safely, so the restore never tries; the finding says so.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .. import safe
from ..changes import MISSING, Change
from ..versions import DictCore, quiet_word
from .surfaces import NOT_RESTORABLE


def _active() -> dict[Any, Any] | None:
    ns = safe.module_dict(threading) or {}
    active = ns.get("_active")
    return active if type(active) is dict else None


def thread_subject(thread: Any) -> str:
    tdict = safe.instance_dict(thread) or {}
    name = tdict.get("_name")
    return f"thread {name!r}" if type(name) is str else f"thread {safe.safe_repr(thread)}"


def _describe(before: Any, after: Any) -> str:
    if after is MISSING:
        return f"thread ended (was {safe.safe_repr(before)})"
    tdict = safe.instance_dict(after) or {}
    target = tdict.get("_target")
    daemon = tdict.get("_daemonic") is True
    what = f"target {safe.safe_repr(target)}" if target is not None else \
        f"{safe.type_label(after)}.run"
    return (f"{'daemon' if daemon else 'non-daemon'} thread still running ({what}); "
            "not restorable")


class ThreadsProbe:
    name = "threads"

    def __init__(self, core: DictCore, report_endings: Callable[[], bool] = lambda: True) -> None:
        self.core = core
        #: Whether a thread ending is worth a change now. A leaked thread that ends during a
        #: later test is still the first test's leak; one that a fixture's finalization
        #: stops puts that fixture's state back.
        self.report_endings = report_endings
        self._active: dict[Any, Any] | None = None
        self._handle: Any = None
        self._snapshot: dict[Any, Any] = {}
        self._mark_handle: Any = None
        self._mark_snapshot: dict[Any, Any] = {}
        self._phases: dict[Any, str] = {}

    def start(self) -> None:
        self._active = _active()
        if self._active is None:
            return
        self._handle = self.core.add(self._active)
        self._mark_handle = self.core.add(self._active)
        self._snapshot = dict.copy(self._active)
        self._mark_snapshot = self._snapshot

    def mark(self, phase_ended: str) -> None:
        if self._active is None or not self.core.changed([self._mark_handle]):
            return
        self.core.accept(self._mark_handle)
        new = dict.copy(self._active)
        for ident in new.keys() - self._mark_snapshot.keys():
            self._phases[ident] = phase_ended
        self._mark_snapshot = new

    def quiet(self) -> list[tuple[Any, str, Any]] | None:
        """What, while it reads the same, means :meth:`poll` has nothing to report:
        ``same_reads`` entries (source, mode, expected) the collector checks in one C call
        for all quiet probes (``Collector._poll``); None when that cannot be said now."""
        if self._active is None:
            return []
        word = quiet_word(self._handle)
        return None if word is None else [word]

    def poll(self) -> list[Change]:
        if self._active is None or not self.core.changed([self._handle]):
            return []
        self.core.accept(self._handle)
        self.core.accept(self._mark_handle)
        old, new = self._snapshot, dict.copy(self._active)
        self._snapshot = self._mark_snapshot = new
        phases, self._phases = self._phases, {}
        out: list[Change] = []
        for ident in new.keys() - old.keys():
            out.append(self._change(new[ident], MISSING, new[ident], phases.get(ident)))
        ended = old.keys() - new.keys()
        if ended and not self.report_endings():
            return out
        for ident in ended:
            out.append(self._change(old[ident], old[ident], MISSING, None))
        return out

    def _change(self, thread: Any, before: Any, after: Any, phase: str | None) -> Change:
        tdict = safe.instance_dict(thread) or {}
        kind = "daemon-thread" if tdict.get("_daemonic") is True else "thread"
        extra: dict[str, Any] = {"describe": _describe, "probe": self.name,
                                 "detail": {NOT_RESTORABLE: "not restorable: threads cannot be "
                                            "stopped safely; join it in the test or a fixture"}}
        if phase is not None:
            extra["phase"] = phase
        if after is MISSING:
            extra["silent"] = True  # a thread ending is never anyone's leak
        return Change(thread_subject(thread), kind, before, after, "process", None, None, extra)
