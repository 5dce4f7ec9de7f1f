"""The tracer: one object that is both an interceptor listener and a collector observer.

As a listener (:mod:`leakwatch.interceptors`) it hears reloads, env writes and
patches the moment they happen; as an observer it hears window boundaries and
module replacements. It owns the monitoring core (:mod:`.monitor`) and the
tracer-only finding kinds; origins for the core's own findings are looked up by
:mod:`leakwatch.describe` in the interceptors' records.
"""

from __future__ import annotations

import sys
from types import CodeType, FrameType
from typing import Any

from .. import interceptors, safe
from ..findings import Finding, Origin
from .lateenv import LateEnv
from .monitor import Monitor, has_sys_monitoring, make
from .patches import Patches
from .stale import StaleCode

STALE = "stale-code"


class Tracer:
    test_begin_if = "begin_work"
    test_end_when = "end_work"

    def __init__(self, collector: Any, mode: str, trace: bool) -> None:
        self.collector = collector
        self.rootdir = str(collector.rootdir).rstrip("/") + "/"
        self.monitor: Monitor = make("shim" if mode == "shim" else "auto")
        #: Stale-code detection: default on with sys.monitoring; on the shim only when asked.
        self.stale_enabled = self.monitor.name == "sys.monitoring" or trace
        #: Module attribute-write origins swap each watched module's ``__class__`` for a
        #: ModuleType subclass. Code that dispatches on the exact type (cloudpickle's
        #: module reducer, ``type(m) is ModuleType``) then behaves differently, which would
        #: change a user's outcome: opt-in only. By default the origin of such writes comes
        #: from the test's own code (``leakwatch.static_origin``).
        self.module_classes = trace
        self.note: str | None = None
        if not self.stale_enabled:
            self.note = ("stale-code detection off on Python "
                         f"{sys.version_info.major}.{sys.version_info.minor}: its tracer costs one "
                         "Python call per function call there; enable it with --leakwatch-trace")
        self.stale = StaleCode(self.monitor, self.stale_enabled)
        self.stale.current = self.current_record
        #: What makes :meth:`on_test_begin` worth a call (the collector's gate,
        #: ``test_begin_if``): always when module classes are traced, else the stale
        #: functions disarmed in the last test (that dict itself: filled and emptied in place).
        self.begin_work: Any = True if self.module_classes else self.stale._disarmed
        self.late_env = LateEnv(self)
        self.patches = Patches(self)
        #: What :meth:`on_test_end` looks at (the collector's gate, ``test_end_when``: it is
        #: called only while one of them is not empty). Each is filled and emptied in place.
        self.end_work: tuple[Any, ...] = (self.stale.hits, self.patches._misses,
                                          interceptors.hand_monkeypatches,
                                          self.late_env._candidates)
        self._module_count = -1
        self.modules_watched = 0
        self._listening = False

    # -- life cycle --------------------------------------------------------------

    def start(self) -> None:
        if self.stale_enabled:
            self.monitor.start(self._on_start)
        interceptors.listen(self)
        self._listening = True

    def stop(self) -> None:
        if self._listening:
            interceptors.unlisten(self)
            self._listening = False
        self.stale.stop()

    def _on_start(self, code: CodeType, frame: FrameType) -> None:
        self.stale.on_start(code, frame)

    # -- helpers -----------------------------------------------------------------

    def current_record(self) -> Any:
        stack = self.collector.stack
        return stack[-1] if stack else None

    @staticmethod
    def phase(record: Any) -> str:
        if record.owner.type == "fixture":
            return "fixture-teardown" if record.finalizing else "fixture-setup"
        return str(record.phase)

    def is_watched(self, name: str) -> bool:
        graph = self.collector.graph
        return graph is not None and name in graph.modules

    def graph_module(self, name: str) -> Any:
        graph = self.collector.graph
        return graph.modules.get(name) if graph is not None else None

    def short(self, origin: Origin) -> str:
        """``file:line`` relative to the rootdir when under it."""
        path = origin.file
        if path.startswith(self.rootdir):
            path = path[len(self.rootdir):]
        return f"{path}:{origin.line}"

    def emit(self, record: Any, finding: Finding) -> None:
        with self.collector.guard("tracer"):
            self.collector._finish(finding, record, None)

    def describe(self) -> dict[str, Any]:
        info = self.monitor.describe()
        info.update(stale_code=self.stale_enabled, armed=self.monitor.armed(),
                    events=self.monitor.events, watched_module_classes=self.modules_watched,
                    note=self.note)
        return info

    def summary_line(self) -> str:
        m = self.monitor
        where = m.name
        tool = getattr(m, "tool_id", None)
        if tool is not None:
            where += f" tool id {tool}"
        text = f"leakwatch tracer: {where}, {len(self.stale.info)} pre-reload code objects armed, " \
               f"{m.events} events"
        if m.degraded:
            text += f"; degraded: {m.degraded}"
        if self.note:
            text += f"; {self.note}"
        return text

    # -- interceptor listener ------------------------------------------------------

    #: The collector answers for the window; the tracer has no windows (interceptors'
    #: ``_started_by`` asks nothing of it: one call per patch and env write fewer).
    current_label = None

    def on_reload(self, module: Any, before: dict[str, Any] | None, origin: Origin | None) -> None:
        with self.collector.guard("tracer"):
            name = before.get("__name__") if before is not None else None
            if type(name) is not str or not self.is_watched(name):
                return
            record = self.current_record()
            by = record.owner.label() if record is not None else None
            self.late_env.on_reload(name, record)
            self.stale.arm_namespace(name, before, "importlib.reload", by, origin)

    def on_env_write(self, key: str, new: str | None, origin: Origin | None,
                     reads: dict[str, interceptors.EnvRead]) -> None:
        with self.collector.guard("tracer"):
            self.late_env.on_env_write(key, new, origin, reads)

    def on_patch(self, record: interceptors.PatchRecord, new: Any) -> None:
        try:  # the guard, inlined: every patch a test makes comes through here
            self.patches.on_patch(record, new)
        except Exception as exc:  # noqa: BLE001
            self.collector.record_error("tracer", exc)

    # -- collector observer ----------------------------------------------------------

    def on_test_begin(self, nodeid: str) -> None:
        # Runs for every test: each part is asked only when it has something to do.
        if self.module_classes:
            self._watch_new_modules()
        if self.stale._disarmed:
            self.stale.rearm()

    def on_change(self, record: Any, change: Any) -> None:
        if change.kind != "reload" or change.container != "module":
            return
        name = change.extra.get("name")
        if type(name) is not str or not change.extra.get("watched"):
            return
        if safe.is_module(change.before) and safe.is_module(change.after):
            by = record.owner.label() if record is not None else None
            self.stale.arm_namespace(name, safe.module_dict(change.before),
                                     "replaced in sys.modules", by, None)

    def on_fixture_end(self, record: Any) -> None:
        self.on_test_end(None, record)

    def on_test_end(self, nodeid: str | None, record: Any) -> None:
        """A test's or fixture's window ended: judge what it left armed or pending."""
        # For a test, called only while something of ``end_work`` is pending (the
        # collector's gate); for a fixture, always. The checks say which part has work.
        if self.stale.hits:
            self._stale_hits(record)
        if self.patches._misses or interceptors.hand_monkeypatches:
            self.patches.owner_ended(record)
        if self.late_env._candidates:
            self.late_env.owner_ended(record)

    def _stale_hits(self, record: Any) -> None:
        for info, hit in self.stale.take(record):
            subject = f"{info.module}.{info.qualname}"
            by = info.by or "import time"
            at = ""
            if info.origin is not None:  # the function that called reload: often a fixture's
                fn = f" in {info.origin.function}()" if info.origin.function else ""
                at = f"{fn} at {self.short(info.origin)}"
            text = (f"ran pre-reload code {subject}() (stale since {info.how} of {info.module} by "
                    f"{by}{at}); it is reached through an object bound before the reload, so "
                    f"patches on {info.module} do not reach it")
            detail = {"shape": "stale", "group": f"{subject} stale", "module": info.module,
                      "function": info.qualname, "how": info.how, "reloaded_by": info.by,
                      "reload_origin": info.origin.short() if info.origin is not None else None,
                      "reload_function": info.origin.function if info.origin is not None else None}
            self.emit(record, Finding(record.owner, STALE, subject, text, "warning",
                                      hit.phase, detail, hit.called_from))

    def _watch_new_modules(self) -> None:
        graph = self.collector.graph
        if not self.module_classes or graph is None or len(graph.modules) == self._module_count:
            return
        self._module_count = len(graph.modules)
        for name in list(graph.modules):
            module = sys.modules.get(name)
            if module is not None and interceptors.watch_module(module):
                self.modules_watched += 1


def sys_monitoring_available() -> bool:
    return has_sys_monitoring()
