"""Process-wide wrappers (wrapt) that tell the collector *who* did something.

* ``importlib.reload``: which module, its namespace just before, and the caller;
* ``unittest.mock`` patchers (``_patch``, ``_patch_dict``) entered and exited:
  where each still-active patch was started, so a mock left behind can name the
  line that started it;
* ``os.environ``: who wrote or deleted each key last (through ``os.putenv`` and
  ``os.unsetenv``, which ``os.environ`` calls for every write and delete: module
  functions, so a call binds no method, and ``os.environb`` is seen too), and which keys
  module bodies read while being imported (``os.environ.encodekey``, the instance
  attribute every read, write and delete calls: a wrapper found in an instance's dict is
  not bound at each call, as one on ``os._Environ.__getitem__`` was, ~13 k instructions
  each time pytest popped its own key; ``os.environ`` keeps its type and identity);
* ``pytest.MonkeyPatch()`` created by hand (not by the fixture): where, and by whom;
* attribute writes on watched modules, through :func:`watch_module` (the module's
  ``__class__`` becomes a ``ModuleType`` subclass that records the writer).

Listeners may also define ``on_env_write(key, digest, origin, reads)`` and
``on_patch(record, new)``; both are optional and called guarded.

Installed only while at least one enabled leakwatch session listens (nested
pytester sessions each register), removed when the last one leaves: installed
but not enabled, leakwatch changes nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
import threading
import types
import weakref
from collections.abc import Callable
from types import FrameType
from typing import Any, Protocol
from unittest import mock

import wrapt

from . import safe
from .findings import Origin

_lock = threading.RLock()
_listeners: list[Listener] = []
_originals: list[tuple[Any, str, Any]] = []

_SKIP_DIRS = tuple(
    os.path.dirname(p) + os.sep
    for p in (wrapt.__file__ or "", __file__, importlib.__file__ or "")
)
_SKIP_FILES = frozenset(
    {mock.__file__, __import__("contextlib").__file__, __import__("functools").__file__}
)
#: Frames skipped when looking for the line that read an env var.
_ENV_SKIP = frozenset({os.__file__, __import__("_collections_abc").__file__, __file__})
#: How many frames above an env read are searched for a module body being imported.
_IMPORT_DEPTH = 8
#: importlib's table of module locks: empty when no module is being imported anywhere.
_IMPORTS_IN_PROGRESS: Any = getattr(importlib._bootstrap, "_module_locks", None)  # type: ignore[attr-defined]


class Listener(Protocol):
    @property
    def current_label(self) -> Callable[[], tuple[str, str] | None] | None:
        """What gives the (owner label, phase) of the window open now; None for a listener
        without windows (the tracer): :func:`_started_by` then makes no call to it."""

    def on_reload(self, module: Any, before: dict[str, Any] | None, origin: Origin | None) -> None: ...


# Plain slotted classes, not dataclasses: defined at every enabled start-up (a dataclass costs
# ~0.3 ms to define). Nothing compares or hashes their instances.
class PatchRecord:
    __slots__ = ("origin", "attribute", "target", "original", "started_by")

    def __init__(self, origin: Origin | None, attribute: str | None, target: Any, original: Any,
                 started_by: tuple[str, str] | None) -> None:
        self.origin = origin
        self.attribute = attribute
        self.target = target
        self.original = original
        self.started_by = started_by  # (owner label, phase)


#: id(new value) -> (record, patcher): patches entered and not yet exited.
active_patches: dict[int, tuple[PatchRecord, Any]] = {}
#: id(patched dict) -> record: ``patch.dict`` entered and not yet exited.
active_dict_patches: dict[int, tuple[PatchRecord, Any]] = {}


class EnvWrite:
    """The last write (or delete) of one env key: where, by whom, and the value written.

    The value itself, not its digest: hashing every write (pytest's monkeypatch writes
    several per test) cost more than the rest of the record. It stays in this object, in
    memory; what leaves this module is a digest (:func:`digest`) or a mask.
    """

    __slots__ = ("origin", "value", "started_by")

    def __init__(self, origin: Origin | None, value: str | None,
                 started_by: tuple[str, str] | None) -> None:
        self.origin = origin
        self.value = value  # None: the key was deleted (or the value was not a str)
        self.started_by = started_by


class EnvRead:
    """An env key read while a module body executed (import time)."""

    __slots__ = ("module", "ns_id", "line", "reader", "digest")

    def __init__(self, module: str, ns_id: int, line: Origin, reader: Origin | None,
                 digest: str | None) -> None:
        self.module = module
        self.ns_id = ns_id  # id() of the module's namespace, to tell a replaced module
        self.line = line  # the line of the module body executing
        self.reader = reader  # the line that called os.environ/os.getenv, if elsewhere
        self.digest = digest  # None: the key was unset


class AttrWrite:
    __slots__ = ("origin", "value", "started_by")

    def __init__(self, origin: Origin | None, value: Any, started_by: tuple[str, str] | None) -> None:
        self.origin = origin
        self.value = value  # the object written (identity is compared), or MISSING_VALUE
        self.started_by = started_by


class HandMonkeyPatch:
    __slots__ = ("ref", "origin", "started_by")

    def __init__(self, ref: Any, origin: Origin | None, started_by: tuple[str, str] | None) -> None:
        self.ref = ref  # () -> the MonkeyPatch or None
        self.origin = origin
        self.started_by = started_by


#: env key -> last write seen while a session listens.
env_writes: dict[str, EnvWrite] = {}
#: env key -> module name -> the read made by that module's body.
env_reads: dict[str, dict[str, EnvRead]] = {}
#: (module name, attribute) -> the last write through a watched module's ``__setattr__``.
attr_writes: dict[tuple[str, str], AttrWrite] = {}
#: id(MonkeyPatch) -> the hand-made instance's record.
hand_monkeypatches: dict[int, HandMonkeyPatch] = {}
MISSING_VALUE: Any = object()


def digest(value: Any) -> str | None:
    """A short hash of an env value (values never leave this module in clear)."""
    if type(value) is not str:
        return None
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()[:8]


#: The file checks of :func:`caller_origin`, made once per file instead of per frame:
#: filename -> (None, skipped always, skipped when pytest's frames are skipped too, a hook
#: call of pluggy's). In pluggy's files the hook flag depends on the function, so there the
#: key is id(code object) and the code is kept in the entry (its id cannot be reused while
#: the entry exists). Bounded.
_FRAME_VERDICTS: dict[int | str, tuple[Any, bool, bool, bool]] = {}


try:
    from ._gather import caller_origin as _built_walk

    #: ``_gather.caller_origin`` where the C part was built (tests set it to None to compare).
    _native_walk: Any = _built_walk
except ImportError:  # pragma: no cover - no compiler where it was installed
    _native_walk = None


def _frame_verdict(code: Any) -> tuple[Any, bool, bool, bool]:
    filename = code.co_filename
    ours = (filename in _SKIP_FILES or filename.startswith(_SKIP_DIRS)
            or filename.startswith("<frozen"))
    pluggy = "pluggy" in filename
    skipped = ours or "_pytest" in filename or pluggy
    if not pluggy:
        verdict: tuple[Any, bool, bool, bool] = (None, ours, skipped, False)
        key: int | str = filename
    else:
        verdict, key = (code, ours, skipped, pluggy and code.co_name == "_multicall"), id(code)
    if len(_FRAME_VERDICTS) < 10_000:
        _FRAME_VERDICTS[key] = verdict
    return verdict


def caller_origin(skip_pytest: bool = False) -> Origin | None:
    """The first frame outside leakwatch, wrapt, importlib, mock and contextlib (and
    pytest and pluggy with ``skip_pytest``).

    With ``skip_pytest``, the walk stops at the first hook call (pluggy's ``_multicall``):
    user code that ran inside a hook (a fixture, a test, a conftest hook) is below it, so
    what is above it only called pytest (the session's main loop, or a test running pytest
    in-process). A write made by pytest itself (``monkeypatch`` undone at teardown) has no
    origin, and finding that out no longer walks the whole stack (every such write did).

    The walk is ``_gather.caller_origin`` where the C part was built (the same steps, about
    a tenth of the time: it runs for every env write and every patch entered).
    """
    walk = _native_walk
    if walk is not None:
        found: Origin | None = walk(1, _FRAME_VERDICTS, _frame_verdict, 2 if skip_pytest else 1,
                                    skip_pytest, Origin)
        return found
    frame: FrameType | None = sys._getframe(1)
    which = 2 if skip_pytest else 1
    verdicts = _FRAME_VERDICTS
    while frame is not None:
        code = frame.f_code
        verdict = verdicts.get(code.co_filename) or verdicts.get(id(code))
        if verdict is None:
            verdict = _frame_verdict(code)
        if not verdict[which]:
            return Origin(code.co_filename, frame.f_lineno, code.co_name)
        if verdict[3] and skip_pytest:
            return None
        frame = frame.f_back
    return None


_PATCH_TYPE: Any = mock._patch  # type: ignore[attr-defined]


def _own_dict(patcher: Any) -> dict[str, Any]:
    """A ``unittest.mock`` patcher's own ``__dict__`` (stdlib objects: no user code)."""
    if type(patcher) in (_PATCH_TYPE, mock._patch_dict):  # type: ignore[attr-defined]
        return patcher.__dict__  # type: ignore[no-any-return]
    return safe.instance_dict(patcher) or {}


def _notify(method: str, *args: Any) -> None:
    for listener in list(_listeners):
        fn = getattr(listener, method, None)
        if fn is not None:
            try:
                fn(*args)
            except Exception:  # pragma: no cover - a listener must never break user code
                pass


#: The listeners' ``current_label`` callables, latest listener first (taken when each
#: listens): what :func:`_started_by` asks, read without a lookup per listener.
_askers: list[Callable[[], tuple[str, str] | None]] = []


def _started_by() -> tuple[str, str] | None:
    for ask in _askers:
        label = ask()
        if label is not None:
            return label
    return None


def _reask() -> None:
    _askers[:] = [ask for listener in reversed(_listeners)
                  if (ask := listener.current_label) is not None]


def _reload(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if not _listeners:
        return wrapped(*args, **kwargs)
    module = args[0] if args else kwargs.get("module")
    before = None
    origin = None
    try:
        ns = safe.module_dict(module)
        before = dict.copy(ns) if ns is not None else None
        origin = caller_origin()
        name = before.get("__name__") if before is not None else None
        if type(name) is str:
            for reads in env_reads.values():  # the body runs again: its reads start over
                reads.pop(name, None)
    except Exception:  # pragma: no cover - never break the caller
        pass
    result = wrapped(*args, **kwargs)
    for listener in list(_listeners):
        try:
            listener.on_reload(module, before, origin)
        except Exception:  # pragma: no cover
            pass
    return result


def _patch_enter(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    new = wrapped(*args, **kwargs)
    if _listeners:
        try:
            # _own_dict(), inlined for the exact patcher (every patch a test makes)
            ns = instance.__dict__ if type(instance) is _PATCH_TYPE else _own_dict(instance)
            walk = _native_walk  # caller_origin(), without its frame
            origin = walk(1, _FRAME_VERDICTS, _frame_verdict, 1, False, Origin) \
                if walk is not None else caller_origin()
            started = None
            for ask in _askers:  # _started_by(), inlined (every patch)
                started = ask()
                if started is not None:
                    break
            record = PatchRecord(
                origin, ns.get("attribute"), ns.get("target"), ns.get("temp_original"), started)
            with _lock:
                active_patches[id(new)] = (record, new)
                ns_id = id(instance)
                active_patches.setdefault(-ns_id, (record, new))
            for listener in list(_listeners):  # _notify("on_patch", ...), inlined (every patch)
                fn = getattr(listener, "on_patch", None)
                if fn is not None:
                    try:
                        fn(record, new)
                    except Exception:  # noqa: BLE001  # pragma: no cover - never break user code
                        pass
        except Exception:  # pragma: no cover
            pass
    return new


def _patch_exit(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        entry = active_patches.pop(-id(instance), None)
        if entry is not None:
            active_patches.pop(id(entry[1]), None)
    except Exception:  # pragma: no cover
        pass
    return wrapped(*args, **kwargs)


def _dict_enter(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = wrapped(*args, **kwargs)
    if _listeners:
        try:
            ns = _own_dict(instance)
            target = ns.get("in_dict")
            record = PatchRecord(caller_origin(), None, target, None, _started_by())
            active_dict_patches[id(target)] = (record, instance)
        except Exception:  # pragma: no cover
            pass
    return result


def _dict_exit(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        ns = _own_dict(instance)
        entry = active_dict_patches.get(id(ns.get("in_dict")))
        if entry is not None and entry[1] is instance:
            del active_dict_patches[id(ns.get("in_dict"))]
    except Exception:  # pragma: no cover
        pass
    return wrapped(*args, **kwargs)


# -- os.environ ------------------------------------------------------------------


def _import_read(key: Any, value: Any) -> None:
    """Record ``key`` if a module body (import time) is reading it, a few frames up.

    Called by :func:`_env_encodekey` only while an import is in progress (importlib holds a
    per-module lock while a module body runs, reloads included); nothing is built until a
    module body is found. Frame 2 is ``os._Environ.__getitem__``.
    """
    frame: FrameType | None = sys._getframe(2)
    first: FrameType | None = None
    depth = 0
    while frame is not None and depth < _IMPORT_DEPTH:
        code = frame.f_code
        filename = code.co_filename
        if filename not in _ENV_SKIP and not filename.startswith("<frozen"):
            if first is None:
                first = frame
            if code.co_name == "<module>":
                ns = frame.f_globals
                name = ns.get("__name__")
                if type(name) is str and type(key) is str:
                    line = Origin(filename, frame.f_lineno, "<module>")
                    reader = None  # the module body read it itself (the usual case)
                    if first is not frame:  # a helper it called read it: that line too
                        fcode = first.f_code
                        reader = Origin(fcode.co_filename, first.f_lineno, fcode.co_name)
                    env_reads.setdefault(key, {})[name] = EnvRead(
                        name, id(ns), line, reader, digest(value))
                return
        frame = frame.f_back
        depth += 1


#: ``os._Environ.__getitem__``'s code: the one caller of ``encodekey`` that reads.
_ENVIRON_GETITEM: Any = getattr(os._Environ.__dict__.get("__getitem__"), "__code__", None)
#: ``os.environ``'s own store and value decoder (stdlib objects: no user code runs).
_ENVIRON_DATA: Any = vars(os.environ).get("_data")
_ENVIRON_DECODE: Any = vars(os.environ).get("decodevalue")


def _env_encodekey(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``os.environ.encodekey``, called by every read, write and delete of a key: a read
    (its caller is ``os._Environ.__getitem__``) made while a module body may be running is
    recorded with the value it finds. Where the C part was built, its entry (:func:`_entry`)
    sends the calls made while no module lock is held straight through; without it, the
    first check below does the same."""
    encoded = wrapped(*args, **kwargs)
    if _IMPORTS_IN_PROGRESS is not None and not _IMPORTS_IN_PROGRESS:
        return encoded  # no module body runs anywhere (the usual call): nothing to record
    if _listeners and args and sys._getframe(1).f_code is _ENVIRON_GETITEM:
        try:
            raw = _ENVIRON_DATA.get(encoded)  # a dict: _ENV_READS installs only then
            _import_read(args[0], None if raw is None else _ENVIRON_DECODE(raw))
        except Exception:  # pragma: no cover - never break the reader
            pass
    return encoded


#: Writes through ``os.environ``/``os.environb`` so far, pytest's own key left out: while
#: it has not moved (and the length has not), the environment has not changed. Read by
#: the env probe as a global (a function call per test cost more than the read).
_env_write_count = 0
_PYTEST_KEY = "PYTEST_CURRENT_TEST"
_PYTEST_KEY_BYTES = _PYTEST_KEY.encode("ascii")


def _is_pytest_key(key: Any) -> bool:
    """pytest's own ``PYTEST_CURRENT_TEST``, written several times per test: not counted,
    not recorded. Exact types only (no user __eq__), str with str and bytes with bytes
    (python -bb)."""
    kind = type(key)
    return (kind is str and key == _PYTEST_KEY) or (kind is bytes and key == _PYTEST_KEY_BYTES)


def _env_write(key: Any, value: Any) -> None:
    global _env_write_count
    _env_write_count += 1
    if type(key) is not str:
        return
    walk = _native_walk  # caller_origin(skip_pytest=True), without its frame
    origin = walk(1, _FRAME_VERDICTS, _frame_verdict, 2, True, Origin) if walk is not None \
        else caller_origin(skip_pytest=True)
    started = None
    for ask in _askers:  # _started_by(), inlined (every env write)
        started = ask()
        if started is not None:
            break
    env_writes[key] = EnvWrite(origin, value if type(value) is str else None, started)
    reads = env_reads.get(key)
    if reads:
        _notify("on_env_write", key, digest(value), origin, dict(reads))


def _decoded(text: Any) -> str | None:
    """A key or value as ``os.environ`` shows it: ``os.putenv`` gets them encoded."""
    if type(text) is str:
        return text
    return os.fsdecode(text) if type(text) is bytes else None


#: How ``os.fsdecode`` decodes bytes (what ``os.environ`` shows of what ``os.putenv`` got).
_FS_ENCODING = sys.getfilesystemencoding()
_FS_ERRORS = sys.getfilesystemencodeerrors()


def _env_putenv(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = wrapped(*args, **kwargs)
    if _listeners and len(args) == 2:
        key, value = args
        try:
            if type(key) is bytes and type(value) is bytes:
                # What os.environ passes on POSIX (the usual call): decoded as os.fsdecode
                # does, without its two calls per argument; pytest's own key left out.
                if key != _PYTEST_KEY_BYTES:
                    _env_write(key.decode(_FS_ENCODING, _FS_ERRORS),
                               value.decode(_FS_ENCODING, _FS_ERRORS))
            elif not _is_pytest_key(key):
                _env_write(_decoded(key), _decoded(value))
        except Exception:  # pragma: no cover
            pass
    return result


def _env_unsetenv(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = wrapped(*args, **kwargs)
    if _listeners and args:
        key = args[0]
        try:
            if type(key) is bytes:  # as in _env_putenv
                if key != _PYTEST_KEY_BYTES:
                    _env_write(key.decode(_FS_ENCODING, _FS_ERRORS), None)
            elif not _is_pytest_key(key):
                _env_write(_decoded(key), None)
        except Exception:  # pragma: no cover
            pass
    return result


def env_origin(key: str, value: Any) -> EnvWrite | None:
    """The recorded write that left ``key`` at ``value`` (a str, or not a str for deleted)."""
    record = env_writes.get(key)
    if record is None:
        return None
    written = record.value
    if type(value) is not str:
        return record if written is None else None
    # Exact str against exact str (or None): builtin comparison, no user __eq__.
    return record if written is not None and written == value else None


# -- pytest.MonkeyPatch made by hand -------------------------------------------------

try:
    from _pytest import monkeypatch as _pytest_monkeypatch

    #: Where the ``monkeypatch`` fixture and ``MonkeyPatch.context()`` make theirs: checked
    #: first, without walking frames (every test that uses the fixture comes through here).
    _PYTEST_MONKEYPATCH: str | None = _pytest_monkeypatch.__file__
except Exception:  # pragma: no cover - pytest not importable
    _PYTEST_MONKEYPATCH = None


def _monkeypatch_init(wrapped: Any, instance: Any, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
    result = wrapped(*args, **kwargs)
    if _listeners:
        try:
            caller = sys._getframe(1).f_code.co_filename
            if caller == _PYTEST_MONKEYPATCH:
                return result  # the fixture or MonkeyPatch.context(): pytest undoes those
            origin = caller_origin()
            if origin is not None and "_pytest" not in origin.file:  # not the fixture/context()
                started_by = _started_by()
                # Held strongly while its window is open (a local ``mp`` dies with the test,
                # its changes do not), weakly when made outside any window.
                ref: Any = (lambda obj=instance: obj) if started_by else weakref.ref(instance)
                hand_monkeypatches[id(instance)] = HandMonkeyPatch(ref, origin, started_by)
        except Exception:  # pragma: no cover
            pass
    return result


# -- watched modules' attribute writes -------------------------------------------------


class WatchedModule(types.ModuleType):
    """A watched module: ``setattr``/``delattr`` on it record the line that did them.

    Assigned to ``module.__class__`` (allowed for ``ModuleType`` subclasses), so
    ``isinstance(m, ModuleType)`` stays true and the module object keeps its identity.
    Reads are untouched (``tp_getattro`` is inherited). Writes from inside the module
    (``global X; X = 1``) go to the namespace directly and are not seen here.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        types.ModuleType.__setattr__(self, name, value)
        _record_attr(self, name, value)

    def __delattr__(self, name: str) -> None:
        types.ModuleType.__delattr__(self, name)
        _record_attr(self, name, MISSING_VALUE)


def _record_attr(module: Any, name: Any, value: Any) -> None:
    if not _listeners or type(name) is not str:
        return
    try:
        if value is not MISSING_VALUE and safe.is_module(value):
            return  # a submodule import binding its parent's attribute
        ns = safe.module_dict(module) or {}
        modname = ns.get("__name__")
        if type(modname) is str:
            attr_writes[(modname, name)] = AttrWrite(caller_origin(skip_pytest=True), value,
                                                     _started_by())
    except Exception:  # pragma: no cover
        pass


_swapped: list[Any] = []


def watch_module(module: Any) -> bool:
    """Make a plain module record who writes its attributes; False if it cannot be."""
    if type(module) is not types.ModuleType:
        return False
    try:
        module.__class__ = WatchedModule
    except TypeError:  # pragma: no cover
        return False
    _swapped.append(module)
    return True


def unwatch_modules() -> None:
    while _swapped:
        module = _swapped.pop()
        if type(module) is WatchedModule:
            module.__class__ = types.ModuleType  # type: ignore[assignment]


def attribute_origin(module: str | None, name: Any, value: Any) -> AttrWrite | None:
    """The recorded write that left ``module.name`` bound to ``value`` (identity)."""
    if module is None or type(name) is not str:
        return None
    record = attr_writes.get((module, name))
    if record is None:
        return None
    from .changes import MISSING

    want = MISSING_VALUE if value is MISSING else value
    return record if record.value is want else None


_TARGETS: tuple[tuple[Any, str, Any], ...] = (
    (importlib, "reload", _reload),
    (mock._patch, "__enter__", _patch_enter),  # type: ignore[attr-defined]
    (mock._patch, "__exit__", _patch_exit),  # type: ignore[attr-defined]
    (mock._patch_dict, "_patch_dict", _dict_enter),  # type: ignore[attr-defined]
    (mock._patch_dict, "_unpatch_dict", _dict_exit),  # type: ignore[attr-defined]
)
#: ``os.environ.encodekey``, where ``os._Environ.__getitem__`` calls it (CPython's does):
#: else the keys module bodies read are not recorded (late-env-patch has nothing to say).
_ENV_READS: tuple[tuple[Any, str, Any], ...] = (
    ((os.environ, "encodekey", _env_encodekey),)
    if _ENVIRON_GETITEM is not None and "encodekey" in _ENVIRON_GETITEM.co_names
    and callable(vars(os.environ).get("encodekey")) and type(_ENVIRON_DATA) is dict
    and callable(_ENVIRON_DECODE) else ())


def _environ_calls(method: str, name: str) -> bool:
    """Whether ``os._Environ.<method>`` calls ``os.<name>`` (CPython's do)."""
    code = getattr(os._Environ.__dict__.get(method), "__code__", None)
    return code is not None and name in code.co_names and callable(getattr(os, name, None))


#: ``os.putenv``/``os.unsetenv``, where ``os.environ`` writes and deletes through them (else
#: its writes are not tracked, and the env probe compares the whole environment at each poll).
_ENV_WRITES: tuple[tuple[Any, str, Any], ...] = (
    ((os, "putenv", _env_putenv), (os, "unsetenv", _env_unsetenv))
    if _environ_calls("__setitem__", "putenv") and _environ_calls("__delitem__", "unsetenv")
    else ())
#: Wrappers only the tracer needs; :func:`drop_tracer_wrappers` removes them (``--leakwatch-tracer=off``).
_TRACER_WRAPPERS = frozenset({_env_encodekey, _env_putenv, _env_unsetenv, "monkeypatch"})


def listen(listener: Listener) -> None:
    with _lock:
        if not _listeners:
            _install()
        _listeners.append(listener)
        _reask()


def unlisten(listener: Listener) -> None:
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)
        _reask()
        if not _listeners:
            _uninstall()
            unwatch_modules()
            active_patches.clear()
            active_dict_patches.clear()
            env_writes.clear()
            env_reads.clear()
            attr_writes.clear()
            hand_monkeypatches.clear()


def _targets() -> list[tuple[Any, str, Any]]:
    targets = [*_TARGETS, *_ENV_READS, *_ENV_WRITES]
    try:
        from _pytest.monkeypatch import MonkeyPatch

        targets.append((MonkeyPatch, "__init__", _monkeypatch_init))
    except Exception:  # pragma: no cover - pytest not importable
        pass
    return targets


try:
    from ._gather import Passthrough as _built_passthrough

    #: ``_gather.Passthrough`` where the C part was built (tests set it to None to compare).
    _passthrough: Any = _built_passthrough
except ImportError:  # pragma: no cover - no compiler where it was installed
    _passthrough = None

#: The ``os.environ`` wrappers whose calls for pytest's own key need nothing of them.
_PASS_PYTEST_KEY = frozenset({_env_encodekey, _env_putenv, _env_unsetenv})


def _entry(wrapper: Any) -> Any:
    """What wrapt calls: the wrapper, or where the C part was built, a ``Passthrough`` in
    front of it that sends the calls which need nothing of it straight to the wrapped
    function, without a Python frame of ours (each wrapper would only have found that out
    and called it):

    * the ``os.environ`` ones: pytest writes ``PYTEST_CURRENT_TEST`` three times per test
      and pops it once (a read and a delete); :func:`_is_pytest_key`;
    * ``os.environ.encodekey`` also while no module body is being imported anywhere
      (importlib's table of module locks is empty): a read then records nothing, and a
      write or delete is seen by the ``os.putenv``/``os.unsetenv`` wrappers;
    * ``MonkeyPatch.__init__`` called from pytest's own ``monkeypatch.py`` (the fixture
      and ``MonkeyPatch.context()``: pytest undoes those; :func:`_monkeypatch_init`'s first
      check), once per test that uses the fixture.
    """
    if _passthrough is None:
        return wrapper
    if wrapper in _PASS_PYTEST_KEY:
        reads = wrapper is _env_encodekey and type(_IMPORTS_IN_PROGRESS) is dict
        return _passthrough(wrapper, key=_PYTEST_KEY, key_bytes=_PYTEST_KEY_BYTES,
                            idle=_IMPORTS_IN_PROGRESS if reads else None)
    if wrapper is _monkeypatch_init and type(_PYTEST_MONKEYPATCH) is str:
        return _passthrough(wrapper, caller_file=_PYTEST_MONKEYPATCH)
    return wrapper


def _install() -> None:
    for owner, name, wrapper in _targets():
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        _originals.append((owner, name, original))
        # A plain function reached through an instance's dict (``os.environ.encodekey``) is
        # wrapped as a staticmethod: wrapt then calls the wrapper directly, where for a
        # function it would look up ``__self__`` at each call and raise and clear an
        # AttributeError (~4 k instructions; staticmethods are callable since 3.10).
        target = staticmethod(original) if not isinstance(owner, (type, types.ModuleType)) \
            and type(original) is types.FunctionType else original
        setattr(owner, name, wrapt.FunctionWrapper(target, _entry(wrapper)))


def env_writes_tracked() -> bool:
    """True while ``os.environ`` writes are wrapped: each carries its owner and phase."""
    return any(owner is os and name == "putenv" for owner, name, _ in _originals)


def env_write_hooks() -> tuple[Any, Any]:
    """The ``os.putenv`` and ``os.unsetenv`` installed now: the env probe trusts the write
    count only while they are still ``os``'s own (a test may patch ``os.putenv``)."""
    ns = vars(os)
    return ns.get("putenv"), ns.get("unsetenv")


def env_write_phase(key: str) -> str | None:
    record = env_writes.get(key)
    return record.started_by[1] if record is not None and record.started_by else None


def drop_tracer_wrappers() -> None:
    """Put back what only the tracer wraps (env, ``MonkeyPatch``): the core detector alone."""
    with _lock:
        kept = []
        for owner, name, original in _originals:
            wrapper = _tracer_wrapper_of(owner, name)
            if wrapper in _TRACER_WRAPPERS:
                setattr(owner, name, original)
            else:
                kept.append((owner, name, original))
        _originals[:] = kept
        env_reads.clear()
        env_writes.clear()
        hand_monkeypatches.clear()


def _tracer_wrapper_of(owner: Any, name: str) -> Any:
    if owner is os.environ:
        return _env_encodekey if name == "encodekey" else None
    if owner is os:
        return {"putenv": _env_putenv, "unsetenv": _env_unsetenv}.get(name)
    if name == "__init__" and getattr(owner, "__name__", "") == "MonkeyPatch":
        return "monkeypatch"
    return None


def _uninstall() -> None:
    while _originals:
        owner, name, original = _originals.pop()
        setattr(owner, name, original)


def patch_origin(value: Any) -> PatchRecord | None:
    entry = active_patches.get(id(value))
    return entry[0] if entry is not None and entry[1] is value else None


def dict_patch_origin(container: Any) -> PatchRecord | None:
    entry = active_dict_patches.get(id(container))
    return entry[0] if entry is not None else None
