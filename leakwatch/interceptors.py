"""Process-wide wrappers (wrapt) that tell the collector *who* did something.

* ``importlib.reload``: which module, its namespace just before, and the caller;
* ``unittest.mock`` patchers (``_patch``, ``_patch_dict``) entered and exited:
  where each still-active patch was started, so a mock left behind can name the
  line that started it.

Installed only while at least one enabled leakwatch session listens (nested
pytester sessions each register), removed when the last one leaves: installed
but not enabled, leakwatch changes nothing.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from dataclasses import dataclass
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


class Listener(Protocol):
    def on_reload(self, module: Any, before: dict[str, Any] | None, origin: Origin | None) -> None: ...

    def current_label(self) -> tuple[str, str] | None: ...


@dataclass
class PatchRecord:
    origin: Origin | None
    attribute: str | None
    target: Any
    original: Any
    started_by: tuple[str, str] | None  # (owner label, phase)


#: id(new value) -> (record, patcher): patches entered and not yet exited.
active_patches: dict[int, tuple[PatchRecord, Any]] = {}
#: id(patched dict) -> record: ``patch.dict`` entered and not yet exited.
active_dict_patches: dict[int, tuple[PatchRecord, Any]] = {}


def caller_origin(skip_pytest: bool = False) -> Origin | None:
    """The first frame outside leakwatch, wrapt, importlib, mock and contextlib."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if (
            filename not in _SKIP_FILES
            and not filename.startswith(_SKIP_DIRS)
            and not filename.startswith("<frozen")
            and not (skip_pytest and ("_pytest" in filename or "pluggy" in filename))
        ):
            return Origin(filename, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back
    return None


def _started_by() -> tuple[str, str] | None:
    for listener in reversed(_listeners):
        label = listener.current_label()
        if label is not None:
            return label
    return None


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
            ns = safe.instance_dict(instance) or {}
            record = PatchRecord(
                caller_origin(), ns.get("attribute"), ns.get("target"), ns.get("temp_original"),
                _started_by(),
            )
            with _lock:
                active_patches[id(new)] = (record, new)
                ns_id = id(instance)
                active_patches.setdefault(-ns_id, (record, new))
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
            ns = safe.instance_dict(instance) or {}
            target = ns.get("in_dict")
            record = PatchRecord(caller_origin(), None, target, None, _started_by())
            active_dict_patches[id(target)] = (record, instance)
        except Exception:  # pragma: no cover
            pass
    return result


def _dict_exit(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        ns = safe.instance_dict(instance) or {}
        entry = active_dict_patches.get(id(ns.get("in_dict")))
        if entry is not None and entry[1] is instance:
            del active_dict_patches[id(ns.get("in_dict"))]
    except Exception:  # pragma: no cover
        pass
    return wrapped(*args, **kwargs)


_TARGETS: tuple[tuple[Any, str, Any], ...] = (
    (importlib, "reload", _reload),
    (mock._patch, "__enter__", _patch_enter),  # type: ignore[attr-defined]
    (mock._patch, "__exit__", _patch_exit),  # type: ignore[attr-defined]
    (mock._patch_dict, "_patch_dict", _dict_enter),  # type: ignore[attr-defined]
    (mock._patch_dict, "_unpatch_dict", _dict_exit),  # type: ignore[attr-defined]
)


def listen(listener: Listener) -> None:
    with _lock:
        if not _listeners:
            _install()
        _listeners.append(listener)


def unlisten(listener: Listener) -> None:
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)
        if not _listeners:
            _uninstall()
            active_patches.clear()
            active_dict_patches.clear()


def _install() -> None:
    for owner, name, wrapper in _TARGETS:
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        _originals.append((owner, name, original))
        setattr(owner, name, wrapt.FunctionWrapper(original, wrapper))


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
