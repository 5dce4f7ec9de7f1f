"""One small monitoring protocol, two interchangeable cores (the coverage.py pattern).

The tracer needs one thing from the interpreter: "tell me when one of *these*
code objects starts running". Everything else stays untouched.

* :class:`SysMonitoring` (Python >= 3.12): ``sys.monitoring`` with a tool id of
  its own (never the debugger's, coverage's, profiler's or optimizer's, and only
  if free), and *local* ``PY_START`` events on the chosen code objects only:
  code that was never armed runs with no instrumentation at all.
* :class:`ProfileShim` (Python 3.11, or forced): ``sys.setprofile`` (or
  ``sys.settrace`` if the profile slot is taken) with a Python callback that
  checks each ``call`` event against the armed set. That callback runs on
  *every* Python call while anything is armed, so on 3.11 it is opt-in
  (``--leakwatch-trace``) and installed only while something is armed. It never
  replaces an existing trace or profile function: if both slots are taken it
  degrades (arming does nothing) and says so once.

Both cores count the callbacks they receive (``events``) so tests can prove
that untouched code costs nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any, Protocol

#: Called with the code object that started and its frame.
StartCallback = Callable[[CodeType, FrameType], None]

#: Tool ids never taken: 0 debugger, 1 coverage, 2 profiler, 5 optimizer.
FREE_TOOL_IDS = (4, 3)


class Monitor(Protocol):
    name: str
    events: int
    #: Why the core cannot watch anything (the slot/tool id is taken), else None.
    degraded: str | None

    def start(self, callback: StartCallback) -> None: ...

    def arm(self, code: CodeType) -> None: ...

    def disarm(self, code: CodeType) -> None: ...

    def armed(self) -> int: ...

    def stop(self) -> None: ...

    def describe(self) -> dict[str, Any]: ...


class SysMonitoring:
    """``sys.monitoring`` local ``PY_START`` events on armed code objects only."""

    name = "sys.monitoring"

    def __init__(self) -> None:
        self.events = 0
        self.degraded: str | None = None
        self.tool_id: int | None = None
        #: id(code) -> code. Keyed by identity: code objects compare *equal* by content, and
        #: a reloaded module's fresh code equals the stale code it replaces.
        self._armed: dict[int, CodeType] = {}
        self._callback: StartCallback | None = None

    def start(self, callback: StartCallback) -> None:
        self._callback = callback
        mon: Any = getattr(sys, "monitoring")  # noqa: B009 - 3.12+ only
        for tool in FREE_TOOL_IDS:
            if mon.get_tool(tool) is None:
                try:
                    mon.use_tool_id(tool, "leakwatch")
                except ValueError:  # pragma: no cover - taken in between
                    continue
                self.tool_id = tool
                mon.register_callback(tool, mon.events.PY_START, self._on_start)
                return
        self.degraded = "no free sys.monitoring tool id (3 and 4 are taken)"

    def _on_start(self, code: CodeType, offset: int) -> Any:
        self.events += 1
        callback = self._callback
        if callback is not None:
            try:
                callback(code, sys._getframe(1))
            except Exception:  # pragma: no cover - never raise into user code
                pass
        return None

    def arm(self, code: CodeType) -> None:
        if self.tool_id is None or id(code) in self._armed:
            return
        mon: Any = getattr(sys, "monitoring")  # noqa: B009
        mon.set_local_events(self.tool_id, code, mon.events.PY_START)
        self._armed[id(code)] = code

    def disarm(self, code: CodeType) -> None:
        if self.tool_id is None or self._armed.get(id(code)) is not code:
            return
        mon: Any = getattr(sys, "monitoring")  # noqa: B009
        mon.set_local_events(self.tool_id, code, 0)
        del self._armed[id(code)]

    def armed(self) -> int:
        return len(self._armed)

    def stop(self) -> None:
        if self.tool_id is None:
            return
        mon: Any = getattr(sys, "monitoring")  # noqa: B009
        for code in list(self._armed.values()):
            try:
                mon.set_local_events(self.tool_id, code, 0)
            except Exception:  # pragma: no cover
                pass
        self._armed.clear()
        mon.register_callback(self.tool_id, mon.events.PY_START, None)
        mon.free_tool_id(self.tool_id)
        self.tool_id = None

    def describe(self) -> dict[str, Any]:
        return {"core": self.name, "tool_id": self.tool_id, "degraded": self.degraded,
                "cost": "local PY_START events on armed code objects only; other code: none"}


class ProfileShim:
    """The same subset on ``sys.setprofile`` / ``sys.settrace`` (3.11)."""

    name = "profile-shim"

    def __init__(self) -> None:
        self.events = 0
        self.degraded: str | None = None
        self.slot: str | None = None  # "profile" | "trace" while installed
        self._armed: dict[int, CodeType] = {}  # by identity, as in SysMonitoring
        self._callback: StartCallback | None = None
        self._installed: Any = None

    def start(self, callback: StartCallback) -> None:
        self._callback = callback

    def _hook(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "call":
            code = frame.f_code
            if self._armed.get(id(code)) is code:
                self.events += 1
                callback = self._callback
                if callback is not None:
                    try:
                        callback(code, frame)
                    except Exception:  # pragma: no cover - never raise into user code
                        pass
        return None  # no local tracing: only 'call' events reach the hook

    def _install(self) -> None:
        if self.slot is not None or self.degraded is not None:
            return
        if sys.getprofile() is None:
            sys.setprofile(self._hook)
            self.slot = "profile"
        elif sys.gettrace() is None:
            sys.settrace(self._hook)
            self.slot = "trace"
        else:
            self.degraded = "sys.setprofile and sys.settrace are both in use by another tool"
            return
        self._installed = self._hook

    def _uninstall(self) -> None:
        if self.slot == "profile" and sys.getprofile() == self._installed:
            sys.setprofile(None)
        elif self.slot == "trace" and sys.gettrace() == self._installed:
            sys.settrace(None)
        self.slot = None
        self._installed = None

    def arm(self, code: CodeType) -> None:
        self._install()
        if self.slot is not None:
            self._armed[id(code)] = code

    def disarm(self, code: CodeType) -> None:
        if self._armed.get(id(code)) is code:
            del self._armed[id(code)]

    def armed(self) -> int:
        return len(self._armed)

    def stop(self) -> None:
        self._armed.clear()
        self._uninstall()

    def describe(self) -> dict[str, Any]:
        return {"core": self.name, "slot": self.slot, "degraded": self.degraded,
                "cost": "one Python call per Python function call while code is armed"}


def has_sys_monitoring() -> bool:
    return sys.version_info >= (3, 12) and hasattr(sys, "monitoring")


def make(prefer: str = "auto") -> Monitor:
    """``auto``: sys.monitoring where it exists, else the shim; ``shim``/``monitoring`` force one."""
    if prefer == "shim" or (prefer == "auto" and not has_sys_monitoring()):
        return ProfileShim()
    return SysMonitoring()
