"""Stale code: pre-reload functions that a later test still executes.

After ``importlib.reload(m)`` (or ``m`` replaced in ``sys.modules``) the old
function and method objects live on wherever something still holds them: a
class bound by ``from m import Driver`` before the reload, a callback in a
registry, an instance of an old class. Patches applied to ``m`` afterwards
replace attributes of the *new* objects, so they never reach that old code.

Only the pre-reload code objects are armed (local ``PY_START`` events on 3.12+),
so code that was never reloaded runs uninstrumented. An armed code object that
fires is disarmed for the rest of the test (one event per function and test)
and re-armed when the next test begins.
"""

from __future__ import annotations

import types
from types import CodeType, FrameType
from typing import Any

from .. import safe
from ..findings import Origin
from .monitor import Monitor


# Plain slotted classes, not dataclasses: defined at every enabled start-up (a dataclass costs
# ~0.3 ms to define). Nothing compares, hashes or rebinds them.
class StaleInfo:
    """Set once when a reloaded module's code is armed; never changed afterwards."""

    __slots__ = ("module", "qualname", "how", "by", "origin")

    def __init__(self, module: str, qualname: str, how: str, by: str | None,
                 origin: Origin | None) -> None:
        self.module = module
        self.qualname = qualname
        self.how = how  # "importlib.reload" | "replaced in sys.modules"
        self.by = by  # owner label of the window that reloaded
        self.origin = origin  # where the reload was called


class Hit:
    __slots__ = ("record", "code", "called_from", "phase")

    def __init__(self, record: Any, code: CodeType, called_from: Origin | None, phase: str) -> None:
        self.record = record
        self.code = code
        self.called_from = called_from
        self.phase = phase


def code_objects(ns: dict[str, Any], module: str) -> list[CodeType]:
    """Code of the functions and methods ``module``'s namespace defined (no user code runs)."""
    out: list[CodeType] = []
    seen: set[int] = set()
    for value in list(ns.values()):
        _collect(value, module, out, seen, 0)
    return out


def _collect(value: Any, module: str, out: list[CodeType], seen: set[int], depth: int) -> None:
    cls = type(value)
    if cls is types.FunctionType:
        if value.__module__ == module:
            _add_code(value.__code__, out, seen)
    elif cls in (staticmethod, classmethod):
        _collect(value.__func__, module, out, seen, depth)
    elif cls is property:
        for fn in (value.fget, value.fset, value.fdel):
            if fn is not None:
                _collect(fn, module, out, seen, depth)
    elif depth < 3 and safe.is_class(value) and safe.defining_module(value) == module:
        if id(value) in seen:
            return
        seen.add(id(value))
        ns = safe.class_namespace(value)
        for item in list(ns.values()) if ns is not None else ():
            _collect(item, module, out, seen, depth + 1)


def _add_code(code: CodeType, out: list[CodeType], seen: set[int]) -> None:
    if id(code) in seen:
        return
    seen.add(id(code))
    out.append(code)
    for const in code.co_consts:
        if type(const) is CodeType:
            _add_code(const, out, seen)


class StaleCode:
    """Arms pre-reload code, collects the hits, turns them into findings per owner."""

    def __init__(self, monitor: Monitor, enabled: bool) -> None:
        self.monitor = monitor
        self.enabled = enabled
        #: id(code) -> (code, info): by identity, never by equality (a reloaded module's
        #: fresh code objects compare equal to the stale ones they replace).
        self.info: dict[int, tuple[CodeType, StaleInfo]] = {}
        self.hits: list[Hit] = []
        self._disarmed: dict[int, CodeType] = {}
        self.current: Any = None  # callable -> the record of the open window, or None

    def arm_namespace(self, module: str, ns: dict[str, Any] | None, how: str, by: str | None,
                      origin: Origin | None) -> int:
        if not self.enabled or not ns:
            return 0
        count = 0
        for code in code_objects(ns, module):
            if id(code) in self.info:
                continue  # already stale since an earlier reload
            self.info[id(code)] = (code, StaleInfo(module, code.co_qualname, how, by, origin))
            self.monitor.arm(code)
            count += 1
        return count

    def on_start(self, code: CodeType, frame: FrameType) -> None:
        entry = self.info.get(id(code))
        if entry is None or entry[0] is not code:
            return
        info = entry[1]
        record = self.current() if self.current is not None else None
        if record is None or record.owner.label() == info.by:
            return
        caller = frame.f_back
        called_from = Origin(caller.f_code.co_filename, caller.f_lineno, caller.f_code.co_name) \
            if caller is not None else None
        phase = "fixture-setup" if record.owner.type == "fixture" and not record.finalizing else \
            "fixture-teardown" if record.owner.type == "fixture" else str(record.phase)
        self.hits.append(Hit(record, code, called_from, phase))
        self.monitor.disarm(code)
        self._disarmed[id(code)] = code

    def rearm(self) -> None:
        """A new test begins: each stale function may be reported again, once."""
        while self._disarmed:
            self.monitor.arm(self._disarmed.popitem()[1])

    def take(self, record: Any) -> list[tuple[StaleInfo, Hit]]:
        mine = [h for h in self.hits if h.record is record]
        if mine:  # in place: the tracer's end_work holds this list
            self.hits[:] = [h for h in self.hits if h.record is not record]
        return [(self.info[id(h.code)][1], h) for h in mine]

    def stop(self) -> None:
        self.monitor.stop()
        self.info.clear()
        self.hits.clear()
        self._disarmed.clear()
