"""The process-wide values every test can leave changed, as :class:`Slot` s.

One :class:`SlotProbe` reads them all at each window boundary (and, to date a
change to its phase, at the phase boundaries). Reads are C calls or attribute
loads (``os.getcwd()`` is the dearest, about 1 µs); nothing here runs user code:
values are compared by identity, or by equality of builtin scalars that the
reader itself built. Signal handlers are one fused slot (29 C calls) expanded
into one subject per signal only when something changed.
"""

from __future__ import annotations

import faulthandler
import functools
import operator
import os
import signal
import sys
import threading
import time
import types
import warnings
from collections.abc import Callable
from itertools import chain
from typing import Any

from .. import safe
from ..changes import MISSING, Change, SeqState
from .slots import Slot, put_back_list, seq_same, seq_state

try:  # the optional accelerator (leakwatch/_gather.c): the same reads, one C call each
    from .. import _gather as _native
except ImportError:  # pragma: no cover - built where a compiler was found at install
    _native = None  # type: ignore[assignment]

NOT_RESTORABLE = "restore"
_is = operator.is_


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:  # the directory was deleted under us
        return "<deleted>"


def _chdir(before: Any) -> None:
    if type(before) is str and before != "<deleted>":
        os.chdir(before)


def _setattr(owner: Any, name: str) -> Callable[[Any], None]:
    def restore(before: Any) -> None:
        setattr(owner, name, before)

    return restore


def _socket_timeout() -> Any:
    module = sys.modules.get("socket")
    return module.getdefaulttimeout() if module is not None else None


def _set_socket_timeout(before: Any) -> None:
    module = sys.modules.get("socket")
    if module is not None:
        module.setdefaulttimeout(before)


_LOCALE_CATEGORIES: tuple[int, ...] = tuple(
    getattr(__import__("_locale"), name) for name in
    ("LC_CTYPE", "LC_NUMERIC", "LC_TIME")
    if hasattr(__import__("_locale"), name)
)


_NO_LOCALE = (None,) * len(_LOCALE_CATEGORIES)  # setlocale(category, None) only asks


def _locale() -> Any:
    """Each category's locale name: cheaper than the composed LC_ALL string."""
    import _locale as c_locale

    return tuple(map(c_locale.setlocale, _LOCALE_CATEGORIES, _NO_LOCALE))


def _native_locale() -> Callable[[], Any] | None:
    """``_gather.locale_names`` for these categories (one C call per poll, no import
    statement run), where it was built and answers as :func:`_locale` does."""
    names = getattr(_native, "locale_names", None) if _native is not None else None
    if names is None:
        return None
    read = functools.partial(names, _LOCALE_CATEGORIES)
    try:
        return read if read() == _locale() else None
    except Exception:
        return None


def _set_locale(before: Any) -> None:
    import _locale as c_locale

    if type(before) is tuple and len(before) == len(_LOCALE_CATEGORIES):
        for category, name in zip(_LOCALE_CATEGORIES, before, strict=True):
            if c_locale.setlocale(category, None) != name:
                c_locale.setlocale(category, name)


def _timezone() -> tuple[Any, ...]:
    return (time.tzname, time.timezone, time.altzone, time.daylight)


def _c_level(python_read: Callable[[], Any], read: Callable[[], Any] | None) -> Callable[[], Any]:
    """``read``, a reader made of C callables only (no Python frame at each poll), where it
    answers as ``python_read`` does now; else ``python_read``."""
    try:
        if read is not None and read() == python_read():
            return read
    except Exception:  # noqa: BLE001 - the Python reader then
        pass
    return python_read


def _timezone_reader() -> Callable[[], Any]:
    """time's four zone attributes from its module dict, in one C call."""
    ns = safe.module_dict(time)
    fields = operator.itemgetter("tzname", "timezone", "altzone", "daylight")
    return _c_level(_timezone, functools.partial(fields, ns) if ns is not None else None)


def _socket_timeout_reader() -> Callable[[], Any]:
    """``_socket.getdefaulttimeout`` itself (what ``socket.getdefaulttimeout`` is) when
    the module is already imported (leakwatch imports nothing of the user's)."""
    module = sys.modules.get("_socket")
    return _c_level(_socket_timeout, getattr(module, "getdefaulttimeout", None)
                    if module is not None and "socket" in sys.modules else None)


def _tzset(before: Any) -> None:
    time.tzset()  # TZ itself is an env var: put back by the env restore, which runs first


_DECIMAL_FIELDS = ("prec", "rounding", "Emin", "Emax", "capitals", "clamp")


def _decimal() -> Any:
    module = sys.modules.get("decimal")
    if module is None:
        return None
    ctx = module.getcontext()
    if type(ctx) is not module.Context:
        return ("<custom context>", id(ctx))
    return (ctx.prec, ctx.rounding, ctx.Emin, ctx.Emax, ctx.capitals, ctx.clamp)


def _decimal_reader() -> Callable[[], Any]:
    """``_gather.decimal_fields`` over decimal's own ``getcontext`` and ``Context`` when
    decimal is already imported (leakwatch imports nothing of the user's) and the C scan
    was built: one C call per poll instead of six attribute reads in Python."""
    module = sys.modules.get("decimal")
    fields = getattr(_native, "decimal_fields", None) if _native is not None else None
    if module is None or fields is None:
        return _decimal
    ns = safe.module_dict(module) or {}
    getcontext, context = ns.get("getcontext"), ns.get("Context")
    if getcontext is None or type(context) is not type:
        return _decimal
    return _c_level(_decimal, functools.partial(fields, getcontext, context))


def _set_decimal(before: Any) -> None:
    module = sys.modules.get("decimal")
    if module is None or type(before) is not tuple or len(before) != len(_DECIMAL_FIELDS):
        return
    ctx = module.getcontext()
    for name, value in zip(_DECIMAL_FIELDS, before, strict=True):
        setattr(ctx, name, value)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _set_umask(before: Any) -> None:
    if type(before) is int:
        os.umask(before)


def _set_faulthandler(before: Any) -> None:
    if before is False:
        faulthandler.disable()
    elif before is True and not faulthandler.is_enabled():
        faulthandler.enable(file=sys.__stderr__ or sys.stderr)


#: The default asyncio policy, created lazily by the first ``get_event_loop_policy()``:
#: that creation is not a change.
DEFAULT_POLICY: Any = type("DefaultPolicy", (), {"__repr__": lambda self: "<default policy>"})()


_EVENTS_NS: list[Any] = [None]  # asyncio.events' namespace, once imported


def _policy_object() -> Any:
    ns = _EVENTS_NS[0]
    if ns is None:
        module = sys.modules.get("asyncio.events")
        if module is None:
            return None
        ns = _EVENTS_NS[0] = safe.module_dict(module) or {}
    return ns.get("_event_loop_policy")


def _asyncio_policy() -> Any:
    # Read in every test (the quiet check): the namespace's get, once it is known, without
    # a call to _policy_object (here and in _asyncio_loop).
    ns = _EVENTS_NS[0]
    policy = ns.get("_event_loop_policy") if ns is not None else _policy_object()
    if policy is None or type(policy) is _DEFAULT_POLICY_TYPE[0]:
        return DEFAULT_POLICY
    if _DEFAULT_POLICY_TYPE[0] is None:
        _DEFAULT_POLICY_TYPE[0] = _default_policy_type()
        if type(policy) is _DEFAULT_POLICY_TYPE[0]:
            return DEFAULT_POLICY
    return policy


_DEFAULT_POLICY_TYPE: list[Any] = [None]


def _set_asyncio_policy(before: Any) -> None:
    module = sys.modules.get("asyncio.events")
    ns = safe.module_dict(module) if module is not None else None
    if ns is not None and before is not DEFAULT_POLICY:
        ns["_event_loop_policy"] = before
    elif ns is not None and type(ns.get("_event_loop_policy")) is not _default_policy_type():
        ns["_event_loop_policy"] = None


def _default_policy_type() -> Any:
    module = sys.modules.get("asyncio")
    return getattr(module, "DefaultEventLoopPolicy", None) if module is not None else None


_LOCAL_CACHE: list[Any] = [None, None]  # [policy, its thread-local loop holder]


def _loop_local() -> Any:
    policy = _policy_object()
    if policy is None:
        return None
    if _LOCAL_CACHE[0] is policy:
        return _LOCAL_CACHE[1]
    pdict = safe.instance_dict(policy)
    local = pdict.get("_local") if pdict is not None else None
    if local is None or safe.defining_module(type(local)) != "asyncio.events":
        local = None
    _LOCAL_CACHE[0], _LOCAL_CACHE[1] = policy, local
    return local


def _asyncio_loop() -> Any:
    ns = _EVENTS_NS[0]
    policy = ns.get("_event_loop_policy") if ns is not None else _policy_object()
    if policy is None:
        return None  # no policy yet (the usual case): no loop either
    cached = _LOCAL_CACHE
    local = cached[1] if cached[0] is policy else _loop_local()
    return getattr(local, "_loop", None) if local is not None else None


def _events_quiet() -> tuple[Any, str, Any, Any] | None:
    """The quiet check's entry for "the policy global is what it was", read as a namespace
    entry (None until the readers have found asyncio.events' namespace: leakwatch imports
    ``unittest.mock``, which imports asyncio, so they find it at the probe's start)."""
    ns = _EVENTS_NS[0]
    if ns is None or "_event_loop_policy" not in ns:
        return None
    return ((ns, "_event_loop_policy"), "i", ns["_event_loop_policy"], None)


def _asyncio_policy_quiet(value: Any) -> tuple[Any, str, Any, Any] | None:
    """:func:`_asyncio_policy`'s quiet entry: the raw global, while the reader answers
    ``value`` for it (each quiet check then makes no Python call for the policy)."""
    if _asyncio_policy() is not value:
        return None
    return _events_quiet()


def _asyncio_loop_quiet(value: Any) -> tuple[Any, str, Any, Any] | None:
    """:func:`_asyncio_loop`'s: no policy (the usual case) means no loop, so the raw
    policy global staying None says it; with a policy, the reader is called."""
    if value is not None or _asyncio_loop() is not None:
        return None
    entry = _events_quiet()
    if entry is None or entry[2] is not None:  # a policy now: its loop needs the reader
        return None
    return entry


def _set_asyncio_loop(before: Any) -> None:
    local = _loop_local()
    if local is not None:
        local._loop = before


def _describe_loop(before: Any, after: Any) -> str:
    if after is None or after is MISSING:
        return f"current event loop unset (was {safe.safe_repr(before)})"
    ldict = safe.instance_dict(after) or {}
    state = "closed" if ldict.get("_closed") is True else "still open"
    return f"event loop {safe.safe_repr(after)} left set as current, {state}"


def _children() -> Any:
    """True when this process has a child (running, or exited and not waited for).

    ``waitid(..., WNOWAIT)`` only looks: nothing is reaped.
    """
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)  # type: ignore[attr-defined]
    except ChildProcessError:
        return False
    except (OSError, AttributeError):
        return None
    return True


def _child_pids() -> list[str]:
    pids: list[str] = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as fh:
                pids.extend(fh.read().split())
    except OSError:
        pass
    return pids


def _describe_children(before: Any, after: Any) -> str:
    if after is True:
        pids = _child_pids()
        shown = ", ".join(pids[:5]) if pids else "?"
        return f"child processes left running or not waited for (pids {shown}); not restorable"
    return f"child processes {safe.safe_repr(before)} -> {safe.safe_repr(after)}"


def _describe_value(before: Any, after: Any) -> str:
    return f"{_short(before)} -> {_short(after)}"


def _short(value: Any) -> str:
    if value is MISSING:
        return "<missing>"
    if type(value) is tuple:
        return "(" + ", ".join(_short(v) for v in value) + ")"
    return safe.safe_repr(value, 60)


def library_hooks_only(first_imports: Callable[[], set[str]]) -> Callable[[Any, Any], bool]:
    """Only additions, each an import hook whose class's module was first imported in the
    same window: a package registering its finder at import (toolz's ``tlz``), not a
    leak. A hook a test installs, a mock, or a removal still counts."""

    def benign(before: Any, after: Any) -> bool:
        if type(before) is not SeqState or type(after) is not SeqState:
            return False
        kept = {id(x) for x in after}
        if any(id(x) not in kept for x in before):
            return False
        seen = {id(x) for x in before}
        added = [x for x in after if id(x) not in seen]
        new_modules = first_imports()
        for item in added:
            if safe.is_mock(item):
                return False
            owner = item if safe.is_class(item) else type(item)
            if (safe.defining_module(owner) or "") not in new_modules:
                return False
        return bool(added)

    return benign


def _native_or(name: str, python_read: Callable[[], Any]) -> Callable[[], Any]:
    """The C twin of a syscall read where it was built (no Python frame, and no
    ChildProcessError raised and caught per test for "no child"), else the Python one.
    tests/test_native_scan.py checks that both answer the same."""
    read = getattr(_native, name, None) if _native is not None else None
    return read if read is not None else python_read


def process_slots(pytest_restores_warnings: bool,
                  first_imports: Callable[[], set[str]] = set) -> list[Slot]:
    """Every default single-value surface. Objects are looked up at read time, except
    the lists that are refilled in place (their original objects are kept)."""
    slots = [
        Slot("os.getcwd()", "cwd", _native_or("getcwd", _cwd), "eq", _chdir, _describe_value),
        Slot("sys.path", "sys-path", lambda: sys.path, "seq", put_back_list(sys, "path", sys.path),
             source=(sys, "path")),
        Slot("sys.meta_path", "import-hooks", lambda: sys.meta_path, "seq",
             put_back_list(sys, "meta_path", sys.meta_path), source=(sys, "meta_path"),
             benign=library_hooks_only(first_imports)),
        Slot("sys.path_hooks", "import-hooks", lambda: sys.path_hooks, "seq",
             put_back_list(sys, "path_hooks", sys.path_hooks), source=(sys, "path_hooks"),
             benign=library_hooks_only(first_imports)),
        Slot("sys.argv", "sys-argv", lambda: sys.argv, "seq", put_back_list(sys, "argv", sys.argv),
             source=(sys, "argv")),
    ]
    for name in ("stdin", "stdout", "stderr"):
        slots.append(Slot(f"sys.{name}", "std-streams", _getter(sys, name), "is", _setattr(sys, name),
                          source=(sys, name)))
    for owner, name, label in ((sys, "excepthook", "sys"), (sys, "unraisablehook", "sys"),
                               (threading, "excepthook", "threading")):
        slots.append(Slot(f"{label}.{name}", "excepthook", _getter(owner, name), "is",
                          _setattr(owner, name), source=(owner, name)))
    slots += [
        Slot("sys.gettrace()", "trace-hook", sys.gettrace, "is", sys.settrace),
        Slot("sys.getprofile()", "trace-hook", sys.getprofile, "is", sys.setprofile),
        Slot("threading.settrace()", "trace-hook", _getter(threading, "_trace_hook"), "is",
             _setattr(threading, "_trace_hook"), source=(threading, "_trace_hook")),
        Slot("threading.setprofile()", "trace-hook", _getter(threading, "_profile_hook"), "is",
             _setattr(threading, "_profile_hook"), source=(threading, "_profile_hook")),
    ]
    filters: list[Any] = warnings.filters  # type: ignore[assignment]
    if pytest_restores_warnings:
        # pytest runs each test inside catch_warnings(): a copy of the filters that it
        # throws away afterwards. Only the original list can carry a change out of a test.
        # A private module holds it (one per call: each session keeps its own list), so
        # that the C check reads it as a namespace entry, no Python call per test, like the
        # other sourced slots.
        holder = types.ModuleType("leakwatch.breadth.surfaces.originals")
        vars(holder)["filters"] = filters
        slots.append(Slot("warnings.filters", "warnings", _getter(holder, "filters"), "seq",
                          _refill_filters(filters), source=(holder, "filters")))
    else:
        slots.append(Slot("warnings.filters", "warnings", lambda: warnings.filters, "seq",
                          _refill_filters(filters)))
        slots.append(Slot("warnings.showwarning", "warnings", _getter(warnings, "showwarning"), "is",
                          _setattr(warnings, "showwarning"), source=(warnings, "showwarning")))
    slots += [
        Slot("socket.getdefaulttimeout()", "socket-timeout", _socket_timeout_reader(), "eq",
             _set_socket_timeout, _describe_value),
        Slot("locale.setlocale()", "locale", _native_locale() or _locale, "eq", _set_locale,
             _describe_value),
        Slot("time.tzname", "timezone", _timezone_reader(), "eq", _tzset, _describe_value),
        Slot("decimal.getcontext()", "decimal", _decimal_reader(), "eq", _set_decimal,
             _describe_value),
        Slot("sys.getrecursionlimit()", "recursion-limit", sys.getrecursionlimit, "eq",
             sys.setrecursionlimit, _describe_value),
        Slot("os.umask()", "umask", _native_or("umask", _umask), "eq", _set_umask, _describe_value),
        Slot("faulthandler.is_enabled()", "faulthandler", faulthandler.is_enabled, "eq",
             _set_faulthandler, _describe_value),
        Slot("asyncio event loop policy", "asyncio", _asyncio_policy, "is", _set_asyncio_policy,
             quiet_entry=_asyncio_policy_quiet),
        Slot("asyncio current event loop", "asyncio", _asyncio_loop, "is", _set_asyncio_loop,
             _describe_loop, quiet_entry=_asyncio_loop_quiet),
        Slot("child processes", "child-process", _native_or("has_children", _children), "eq",
             None, _describe_children,
             at_marks=False, detail={NOT_RESTORABLE: "not restorable: leakwatch never kills processes"},
             silent_if=lambda after: after is not True),
    ]
    return slots


def _getter(owner: Any, name: str) -> Callable[[], Any]:
    ns = safe.module_dict(owner)
    if ns is not None:
        get = ns.get
        return lambda: get(name)
    return lambda: getattr(owner, name, None)


def _refill_filters(original: list[Any]) -> Callable[[Any], None]:
    put_back = put_back_list(warnings, "filters", original)

    def restore(before: Any) -> None:
        if warnings.filters is original:
            put_back(before)
        elif type(before) is SeqState:
            original[:] = list(before)  # inside pytest's catch_warnings: fix the real list only
        mutated = getattr(warnings, "_filters_mutated", None)
        if mutated is not None:
            mutated()

    return restore


#: The signals code under test installs handlers for (``SIGRTMIN``+ and the rest
#: are left out: each read is a C call, and 13 cost well under a µs).
_STANDARD_SIGNALS: tuple[int, ...] = tuple(
    int(getattr(signal, name)) for name in
    ("SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
     "SIGCHLD", "SIGCONT", "SIGTSTP", "SIGWINCH", "SIGXCPU", "SIGBREAK")
    if hasattr(signal, name)
)

#: The C function: ``signal.getsignal`` converts to enums in Python (20x slower).
_getsignal: Callable[[int], Any] = getattr(__import__("_signal"), "getsignal", signal.getsignal)


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return str(sig)


class SlotProbe:
    """Reads every slot at each boundary; reports the ones that changed.

    Cost is what keeps this default. Slots are ordered: module attributes first
    (read with one ``operator.attrgetter`` call per module), then other identity
    and list slots, then value slots. A pass checks identities with one
    ``map(operator.is_)``, each list's items the same way, and the value slots
    with one list ``==`` (builtin scalars the readers built: C equality). Only
    when something differs is each slot looked at. Phase marks read the identity
    and list slots and the value slots except child processes (dated at the poll), once
    per test, at the end of setup.
    """

    name = "process-state"
    #: :meth:`settle` only undoes what :meth:`mark` noted (the collector skips it otherwise).
    settles_marks_only = True
    #: :meth:`mark` reads only when the setup ends (the collector's check before
    #: :meth:`mark_quiet` is made there only).
    marks_after = ("setup",)

    def __init__(self, slots: list[Slot], report_quiet: Callable[[], bool] = lambda: True) -> None:
        sourced = [s for s in slots if s.source is not None and s.mode != "eq"]
        names: dict[int, list[str]] = {}
        owners: list[Any] = []
        for slot in sourced:
            owner, attr = slot.source  # type: ignore[misc]
            if id(owner) not in names:
                owners.append(owner)
                names[id(owner)] = []
            names[id(owner)].append(attr)
        grouped = [s for o in owners for s in sourced if s.source[0] is o]  # type: ignore[index]
        rest = [s for s in slots if s not in grouped and s.mode != "eq"]
        eq_marked = [s for s in slots if s.mode == "eq" and s.at_marks]
        ordered = grouped + rest + eq_marked + [s for s in slots if s.mode == "eq" and not s.at_marks]
        self.slots = ordered
        #: Whether a ``silent_if`` change (children all gone) is worth a change now: only
        #: when a fixture window is open; otherwise a later test's clean-up would cancel
        #: the earlier test's pending leak.
        self.report_quiet = report_quiet
        self._getters = [(o, operator.attrgetter(*names[id(o)])) for o in owners]
        self._single = [len(names[id(o)]) == 1 for o in owners]
        self._rest_reads = [s.read for s in rest]
        self._eq_reads = [s.read for s in ordered if s.mode == "eq"]
        self._reads = [s.read for s in ordered]
        self._modes = [s.mode for s in ordered]
        self._k = len(grouped) + len(rest)
        self._seq = [i for i, s in enumerate(ordered) if s.mode == "seq"]
        #: Value slots also read at phase marks (all but the dearest, child processes).
        self._cwd = list(range(self._k, self._k + len(eq_marked)))
        self._marked_eq_reads = [s.read for s in eq_marked]
        self._values: list[Any] = []
        self._states: list[Any] = []
        self._mark_values: list[Any] = []
        self._mark_states: list[Any] = []
        self._phases: dict[int, str] = {}
        self._flat: Any = None  # (states list, lengths, flat items) of the poll snapshot
        #: Phase given to a change not seen at the setup/call mark: "call". Marks are read
        #: once per test (at the end of setup), not at every boundary: half the cost, and a
        #: change made during teardown is dated "call" (teardowns mostly put things back).
        self._undated: str | None = None
        #: The C "unchanged?" check (``_gather.same_reads``), where it was built: each
        #: slot's source (a module attribute as (its dict, name), else its reader), its
        #: comparison, and the values and list states of the last poll.
        self._same_reads: Any = getattr(_native, "same_reads", None) if _native is not None else None
        self._sources = tuple(self._source(s) for s in ordered)
        self._codes = bytes(ord({"is": "i", "eq": "e", "seq": "s"}[s.mode]) for s in ordered)
        self._expected: tuple[Any, ...] = ()
        self._expected_states: tuple[Any, ...] = ()
        #: The slots a setup mark reads (identity and list slots, then the value slots read
        #: at marks), as the C check takes them; the poll's values' generation (moved on by
        #: every poll that found a change); and the last setup mark's reads and notes, which
        #: :meth:`_replayed` applies again while both still hold.
        marked = self._k + len(eq_marked)
        self._mark_sources = self._sources[:marked]
        self._mark_codes = self._codes[:marked]
        self._generation = 0
        self._replay: tuple[int, tuple[Any, ...], tuple[Any, ...], list[tuple[int, Any, Any]]] | None = None

    @staticmethod
    def _source(slot: Slot) -> Any:
        if slot.source is not None and slot.mode != "eq":
            owner, attr = slot.source
            ns = safe.module_dict(owner)
            if ns is not None:
                return (ns, attr)
        return slot.read

    def _remember(self) -> None:
        """The poll's values and states, as the C check compares them."""
        self._expected = tuple(self._values)
        self._expected_states = tuple(self._states)

    def _read_identity(self) -> list[Any]:
        out: list[Any] = []
        for (owner, getter), single in zip(self._getters, self._single, strict=True):
            if single:
                out.append(getter(owner))
            else:
                out.extend(getter(owner))
        out.extend([read() for read in self._rest_reads])
        return out

    def _read_all(self) -> list[Any]:
        out = self._read_identity()
        out.extend([read() for read in self._eq_reads])
        return out

    def start(self) -> None:
        self._generation += 1
        self._values = self._read_all()
        self._states = [seq_state(v) if m == "seq" else v for v, m in zip(self._values, self._modes,
                                                                          strict=True)]
        self._mark_values = list(self._values)
        self._mark_states = list(self._states)
        self._remember()

    def _same(self, i: int, value: Any, obj: Any, state: Any) -> bool:
        mode = self._modes[i]
        if mode == "is":
            return value is obj
        if mode == "eq":
            return bool(value == obj)
        return seq_same(value, state, obj)

    def _unchanged(self, values: list[Any], old: list[Any], states: list[Any]) -> bool:
        k = self._k
        if not all(map(_is, values[:k], old[:k])) or values[k:] != old[k:]:
            return False
        return self._lists_unchanged(values, states)

    def _lists_unchanged(self, values: list[Any], states: list[Any]) -> bool:
        """The watched lists (same objects as before, so exact lists) hold the same items:
        their lengths as one tuple, their items as one flat identity pass."""
        seq = self._seq
        if not seq:
            return True
        lists = [values[i] for i in seq]
        flat = self._flat if states is self._states else None
        if flat is None or flat[0] is not states:
            flat = (states, tuple(len(states[i]) for i in seq),
                    tuple(chain.from_iterable([states[i] for i in seq])))
            if states is self._states:
                self._flat = flat
        if tuple(map(len, lists)) != flat[1]:
            return False
        return all(map(_is, chain.from_iterable(lists), flat[2]))

    def _lists_look_unchanged(self, values: list[Any], states: list[Any]) -> bool:
        """At phase marks: lengths and first/last items only (the poll checks every item)."""
        for i in self._seq:
            now, state = values[i], states[i]
            if len(now) != len(state) or (state and (now[0] is not state[0] or now[-1] is not state[-1])):
                return False
        return True

    def mark_quiet(self, phase_ended: str) -> None:
        """:meth:`mark` when this probe's own part of the collector's C check says no slot
        moved since the last poll: after a poll (or a settle) the marks compare with the
        poll's values, so reading every slot would find nothing; only the date of later
        changes is set."""
        if phase_ended == "setup":
            self._undated = "call"

    def mark(self, phase_ended: str) -> None:
        if phase_ended != "setup":
            return  # see _undated: one read per test at the setup/call boundary is enough
        self._undated = "call"
        values, states = self._mark_values, self._mark_states
        if self._replayed(phase_ended, values, states):
            return
        now = self._read_identity()
        now.extend([read() for read in self._marked_eq_reads])
        k = self._k
        if all(map(_is, now[:k], values[:k])) and now[k:] == values[k:len(now)] \
                and self._lists_look_unchanged(now, states):
            self._replay = None
            return
        indexes = list(range(k)) + self._cwd
        effects = []
        for value, i in zip(now, indexes, strict=True):
            if not self._same(i, value, values[i], states[i]):
                self._phases[i] = phase_ended
                values[i] = value
                states[i] = seq_state(value) if self._modes[i] == "seq" else value
                effects.append((i, value, states[i]))
        self._replay = None
        if self._same_reads is not None:
            now_states = tuple(seq_state(v) if self._modes[i] == "seq" else v
                               for v, i in zip(now, indexes, strict=True))
            self._replay = (self._generation, tuple(now), now_states, effects)

    def _replayed(self, phase_ended: str, values: list[Any], states: list[Any]) -> bool:
        """The last setup mark's notes again, when the poll's values have not moved since
        it and every slot it reads reads as it did then (one C call). pytest's capture
        swaps ``sys.stdout``/``sys.stderr`` around every phase: each setup mark finds the
        same two "changes", undone before the poll, and read every slot to find them. (The
        values that mark read are held until the next setup mark, as the mark's own notes
        are held until the poll.)"""
        replay = self._replay
        if replay is None or replay[0] != self._generation:
            return False
        try:
            same = self._same_reads(self._mark_sources, self._mark_codes, replay[1], replay[2])
        except Exception:  # noqa: BLE001 - the full read then says
            same = False
        if not same:
            return False
        for i, value, state in replay[3]:
            self._phases[i] = phase_ended
            values[i] = value
            states[i] = state
        return True

    def quiet(self) -> list[tuple[Any, str, Any, Any]] | None:
        """The C check's entries (source, mode, expected, list state), for the collector's
        quiet group: one C call for this probe and the other quiet ones, and no Python
        poll while they all read the same. None without the C build."""
        if self._same_reads is None:
            return None
        entries: list[tuple[Any, str, Any, Any]] = list(zip(
            self._sources, self._codes.decode("ascii"), self._expected, self._expected_states,
            strict=True))
        for i, slot in enumerate(self.slots):
            # A slot read through a Python reader may offer an entry read in C instead.
            if slot.quiet_entry is not None and slot.mode == "is":
                entry = slot.quiet_entry(self._values[i])
                if entry is not None:
                    entries[i] = entry
        return entries

    def settle(self) -> None:
        """What :meth:`poll` does when it finds nothing: no date is pending, and the next
        marks compare with the poll's values."""
        self._undated = None
        if self._phases:
            self._phases = {}
            self._mark_values = list(self._values)
            self._mark_states = list(self._states)

    def poll(self) -> list[Change]:
        out: list[Change] = []
        values, states = self._values, self._states
        # Whether every slot reads as at the last poll: one C call where it was built (the
        # Python reads then run only when something moved), else the reads and a comparison.
        now: list[Any] | None = None
        if self._same_reads is None or not self._same_reads(
                self._sources, self._codes, self._expected, self._expected_states):
            now = self._read_all()
            if self._unchanged(now, values, states):
                now = None
        if now is None:
            self._undated = None
            if self._phases:
                self._phases = {}
                self._mark_values = list(values)
                self._mark_states = list(states)
            return out
        for i, value in enumerate(now):
            if self._same(i, value, values[i], states[i]):
                continue
            state = seq_state(value) if self._modes[i] == "seq" else value
            silent_if = self.slots[i].silent_if
            if silent_if is None or not silent_if(state) or self.report_quiet():
                out.append(self._change(i, states[i], state))
            values[i] = value
            states[i] = state
        self._generation += 1  # the marks' replay was made against the old values
        self._flat = None
        self._phases = {}
        self._undated = None
        self._mark_values = list(values)
        self._mark_states = list(states)
        self._remember()
        return out

    def _change(self, i: int, before: Any, after: Any) -> Change:
        slot = self.slots[i]
        extra: dict[str, Any] = {"restore": slot.restore, "probe": self.name}
        if slot.describe is not None:
            extra["describe"] = slot.describe
        if slot.detail:
            extra["detail"] = slot.detail
        phase = self._phases.get(i, self._undated if slot.at_marks else None)
        if phase is not None:
            extra["phase"] = phase
        if slot.silent_if is not None and slot.silent_if(after):
            extra["silent"] = True
        if slot.benign is not None and slot.benign(before, after):
            extra["silent"] = True
        container = "list" if slot.mode == "seq" and type(before) is SeqState \
            and type(after) is SeqState else "process"
        return Change(slot.subject, slot.kind, before, after, container, None, None, extra)


class SignalsProbe:
    """Python-level signal handlers of the standard signals, read in one pass."""

    name = "signals"
    settles_marks_only = True  # as SlotProbe: settle() clears only what mark() set
    marks_after = ("setup",)  # as SlotProbe

    def __init__(self) -> None:
        self._signals = _STANDARD_SIGNALS
        #: :meth:`quiet`'s one entry (made once: it is asked again after every poll that
        #: found something in the quiet group): ``_getsignal`` of each signal, in C.
        self._source = (_getsignal, self._signals)
        self._state: tuple[Any, ...] = ()
        self._mark_state: tuple[Any, ...] = ()
        self._phases: dict[int, str] = {}
        self._undated: str | None = None

    def _read(self) -> tuple[Any, ...]:
        return tuple(map(_getsignal, self._signals))

    def quiet(self) -> list[tuple[Any, str, Any, Any]] | None:
        """What, while it reads the same, means :meth:`poll` has nothing to report:
        ``same_reads`` entries (source, mode, expected, state) the collector checks in one
        C call for all quiet probes (``Collector._poll``); None when that cannot be said
        now. One entry for every signal (mode ``m``: each handler by identity), not one
        reader each: thirteen calls through ``functools.partial`` cost more than the rest
        of the entry."""
        return [(self._source, "m", self._state, None)]

    def settle(self) -> None:
        """What a poll that found nothing does besides: no mark's date is pending, and the
        next marks compare with the poll's handlers (a handler set in a setup and put back
        in the body left a date that a later test's change must not inherit)."""
        self._undated = None
        if self._phases:
            self._phases = {}
            self._mark_state = self._state

    def start(self) -> None:
        self._state = self._mark_state = self._read()

    def mark_quiet(self, phase_ended: str) -> None:
        """:meth:`mark` when no handler moved since the last poll (as SlotProbe's)."""
        if phase_ended == "setup":
            self._undated = "call"

    def mark(self, phase_ended: str) -> None:
        if phase_ended != "setup":
            return  # once per test, as SlotProbe: later changes are dated "call"
        self._undated = "call"
        now = self._read()
        if not all(map(_is, now, self._mark_state)):
            for sig, a, b in zip(self._signals, now, self._mark_state, strict=True):
                if a is not b:
                    self._phases[sig] = phase_ended
            self._mark_state = now

    def poll(self) -> list[Change]:
        now = self._read()
        old = self._state
        if all(map(_is, now, old)):
            self.settle()
            return []
        out: list[Change] = []
        for sig, after, before in zip(self._signals, now, old, strict=True):
            if after is before:
                continue
            extra: dict[str, Any] = {"restore": _signal_restore(sig), "probe": self.name}
            phase = self._phases.get(sig, self._undated)
            if phase is not None:
                extra["phase"] = phase
            out.append(Change(f"signal.getsignal({_signal_name(sig)})", "signal", before, after,
                              "process", None, None, extra))
        self._state = self._mark_state = now
        self._phases = {}
        self._undated = None
        return out


def _signal_restore(sig: int) -> Callable[[Any], None]:
    def restore(before: Any) -> None:
        if before is not None and threading.current_thread() is threading.main_thread():
            signal.signal(sig, before)

    return restore
