"""Findings about how patches were made, not just what they left behind.

* ``patch-target-miss``: ``patch("a.b.name")`` replaced ``a.b.name`` but other
  watched modules hold the same object under their own name (``from a.b import
  name``), and the patch's mock was never called by the time its owner ended:
  the code under test looked the name up elsewhere. Patch where it is looked up.
  (A mock that was called reached its code: the other bindings are irrelevant.)
* ``patch-over-mock``: the original a patch replaces is itself a mock an earlier
  test left behind; the test "passes" against a mock of a mock.
* ``monkeypatch-not-undone``: ``pytest.MonkeyPatch()`` created by hand (not the
  fixture, not ``MonkeyPatch.context()``) with changes still registered when its
  test or fixture ended: nobody called ``undo()``.
"""

from __future__ import annotations

import os
import types
from typing import Any

from .. import interceptors, safe
from ..findings import Finding, Origin

#: Types whose instances are never a function or a class: most globals (strings, numbers,
#: containers, modules) are ruled out without a walk of their type's MRO.
_NEVER_HELD = safe.IMMUTABLE_IDS | frozenset(map(id, (dict, list, set, tuple)))

#: Patches kept for judging when their owner ends; past this many (a patch in a loop), each
#: is judged at once and kept only if its original is held elsewhere (as before the
#: deferral), so a loop does not keep thousands of mocks alive until its test ends.
PENDING_CAP = 256

TARGET_MISS = "patch-target-miss"
OVER_MOCK = "patch-over-mock"
NOT_UNDONE = "monkeypatch-not-undone"


class Patches:
    def __init__(self, tracer: Any) -> None:
        self.tracer = tracer
        self._index: dict[int, list[tuple[str, str]]] = {}
        #: module name -> (its namespace, the ids it put in ``_index``), per indexed module.
        self._indexed: dict[str, tuple[Any, list[int]]] = {}
        self._index_size = -1
        #: (the patch's mock, its owner's record, the patch and the phase it was made in,
        #: or past PENDING_CAP the finding already made): judged when that record ends
        #: (found by identity: no label is made per patch), and only if the mock was
        #: never called.
        self._misses: list[tuple[Any, Any, interceptors.PatchRecord | Finding, str]] = []

    # -- patch-target-miss / patch-over-mock -------------------------------------

    def on_patch(self, record: interceptors.PatchRecord, new: Any) -> None:
        # Runs for every patch a test makes: the usual case (a module's function replaced
        # by a MagicMock) is decided with exact-type checks before any helper is called.
        stack = self.tracer.collector.stack
        owner_record = stack[-1] if stack else None
        attribute = record.attribute
        if owner_record is None or type(attribute) is not str:
            return
        original = record.original
        if safe.is_mock(original):
            target_name = _target_name(record.target)
            if target_name is not None:
                self._over_mock(owner_record, f"{target_name}.{attribute}", original, record.origin)
        elif (type(record.target) is types.ModuleType or safe.is_module(record.target)) and (
                type(original) is types.FunctionType or _may_be_held(original)):
            phase = self.tracer.phase(owner_record)
            if safe.is_mock(new) and len(self._misses) < PENDING_CAP:
                # A mock: the other bindings are looked up when its owner ends, and only if
                # it was never called (a called mock reached its code). The usual patch is
                # called, and costs no lookup (nor, until one is needed, the holders' index).
                self._misses.append((new, owner_record, record, phase))
                return
            finding = self._target_miss(owner_record, record, phase)
            if finding is None:
                return
            if safe.is_mock(new):  # past the cap: kept, judged by its calls at the owner's end
                self._misses.append((new, owner_record, finding, phase))
            else:
                self.tracer.emit(owner_record, finding)

    def _over_mock(self, owner_record: Any, path: str, original: Any, origin: Origin | None) -> None:
        label = owner_record.owner.label()
        left = interceptors.patch_origin(original)
        by: str | None = left.started_by[0] if left is not None and left.started_by else None
        where = left.origin if left is not None else None
        if by is None:
            for finding in reversed(self.tracer.collector.findings):
                if finding.kind == "mock" and finding.subject == path:
                    by, where = finding.owner.label(), finding.origin
                    break
        if by is None or by == label:
            return
        at = f" (started at {self.tracer.short(where)})" if where is not None else ""
        text = (f"patched over {safe.safe_repr(original)}, a mock left by {by}{at}: this test runs "
                f"against a mock of a mock; fix the earlier test")
        detail = {"shape": "over-mock", "group": f"{path} over-mock", "left_by": by,
                  "left_at": where.short() if where is not None else None}
        self.tracer.emit(owner_record, Finding(owner_record.owner, OVER_MOCK, path, text, "warning",
                                               self.tracer.phase(owner_record), detail, origin))

    def _target_miss(self, owner_record: Any, record: interceptors.PatchRecord,
                     phase: str) -> Finding | None:
        """The finding when other watched modules still hold what the patch replaced."""
        target_name = _target_name(record.target)
        attribute, original = record.attribute, record.original
        if target_name is None or type(attribute) is not str:
            return None
        path = f"{target_name}.{attribute}"
        misses = []
        for module, name in self._holders(original):
            if module == target_name or self.tracer.collector.filter.is_test_module(module):
                continue
            node = self.tracer.graph_module(module)
            if node is not None and node.obj.get(name) is original:
                misses.append(f"{module}.{name}")
        if not misses:
            return None
        misses.sort()
        text = (f"patched {path}, but {', '.join(misses[:3])}"
                f"{f' (+{len(misses) - 3} more)' if len(misses) > 3 else ''} still hold"
                f"{'s' if len(misses) == 1 else ''} the original (bound by 'from {target_name} import "
                f"{attribute}'): code there is not patched; patch {misses[0]!r} instead")
        detail = {"shape": "miss", "group": f"{path} miss", "untouched": misses[:20],
                  "patch_instead": misses[:20]}
        return Finding(owner_record.owner, TARGET_MISS, path, text, "warning", phase, detail,
                       record.origin)

    def _holders(self, obj: Any) -> list[tuple[str, str]]:
        """Watched (module, name) bindings of functions and classes, indexed by identity.

        Brought up to date only when the number of watched modules changed, and then
        only for the modules that came or went (a suite importing its modules test by
        test would otherwise re-read every namespace each time); candidates are checked
        against the live namespace before being reported.
        """
        graph = self.tracer.collector.graph
        if graph is None:
            return []
        if len(graph.modules) != self._index_size:
            self._reindex(dict(graph.module_namespaces()))
            self._index_size = len(graph.modules)
        return self._index.get(id(obj), [])

    def _reindex(self, namespaces: dict[str, Any]) -> None:
        index = self._index
        for module in [m for m, (ns, _) in self._indexed.items() if namespaces.get(m) is not ns]:
            for key in self._indexed.pop(module)[1]:
                kept = [b for b in index.get(key, ()) if b[0] != module]
                if kept:
                    index[key] = kept
                else:
                    index.pop(key, None)
        for module, ns in namespaces.items():
            if module in self._indexed:
                continue
            keys: list[int] = []
            for name, value in list(ns.items()):
                cls = type(value)
                if cls is types.FunctionType or cls is types.BuiltinFunctionType or cls is type or (
                        id(cls) not in _NEVER_HELD and safe.is_class(value)):
                    index.setdefault(id(value), []).append((module, name))
                    keys.append(id(value))
            self._indexed[module] = (ns, keys)

    # -- monkeypatch-not-undone ------------------------------------------------------

    def owner_ended(self, record: Any) -> None:
        # Called only when something is pending (Tracer.on_test_end checks both first).
        if self._misses:
            kept = []
            for entry in self._misses:
                mock, owner_record, patch, phase = entry
                if owner_record is not record:
                    kept.append(entry)
                elif not _was_called(mock):
                    finding = patch if isinstance(patch, Finding) else self._target_miss(
                        owner_record, patch, phase)
                    if finding is not None:
                        self.tracer.emit(owner_record, finding)
            self._misses[:] = kept  # in place: the tracer's end_work holds this list
        if not interceptors.hand_monkeypatches:
            return
        label = record.owner.label()
        for key, hand in list(interceptors.hand_monkeypatches.items()):
            if hand.started_by is None or hand.started_by[0] != label:
                continue
            del interceptors.hand_monkeypatches[key]
            mp = hand.ref()
            if mp is None:
                continue
            changes = _pending_changes(mp)
            if not changes:
                continue
            where = hand.origin.short() if hand.origin is not None else "?"
            shown = ", ".join(changes[:4]) + (f" (+{len(changes) - 4} more)" if len(changes) > 4 else "")
            text = (f"pytest.MonkeyPatch() created by hand and never undone: {len(changes)} change"
                    f"{'s' if len(changes) != 1 else ''} still registered ({shown}); call undo() or "
                    "use the monkeypatch fixture")
            detail = {"shape": "not-undone", "group": "MonkeyPatch not undone", "changes": changes[:20]}
            self.tracer.emit(record, Finding(record.owner, NOT_UNDONE, f"MonkeyPatch@{where}", text,
                                             "warning", self.tracer.phase(record), detail, hand.origin))


def _was_called(mock: Any) -> bool:
    """The mock's own ``called`` flag, read from its ``__dict__`` (no mock code runs)."""
    if type(mock) is types.FunctionType:  # autospec'd function: it records the calls itself
        fdict = safe.instance_dict(mock) or {}
        return fdict.get("called") is True
    ns = safe.instance_dict(mock) or {}
    if ns.get("_mock_called") is True:
        return True
    # A spec'd/autospec'd mock may count through its delegate.
    delegate = ns.get("_mock_delegate")
    if delegate is not None:
        return (safe.instance_dict(delegate) or {}).get("_mock_called") is True
    return False


def _pending_changes(mp: Any) -> list[str]:
    ns = safe.instance_dict(mp) or {}
    out: list[str] = []
    setattrs = ns.get("_setattr")
    if type(setattrs) is list:
        for item in setattrs:
            if type(item) is tuple and len(item) == 3:
                out.append(f"setattr {_obj_name(item[0])}.{item[1]}")
    setitems = ns.get("_setitem")
    if type(setitems) is list:
        for item in setitems:
            if type(item) is tuple and len(item) == 3:
                if item[0] is os.environ:
                    out.append(f"setenv {item[1]}" if type(item[1]) is str else "setenv ?")
                else:
                    key = item[1] if type(item[1]) in safe.SAFE_SCALARS else "?"
                    out.append(f"setitem {safe.safe_repr(item[0], 40)}[{key!r}]")
    if ns.get("_cwd") is not None:
        out.append("chdir")
    if ns.get("_savesyspath") is not None:
        out.append("syspath_prepend")
    return out


def _obj_name(obj: Any) -> str:
    if safe.is_module(obj):
        name = (safe.module_dict(obj) or {}).get("__name__")
        return name if type(name) is str else "?"
    if safe.is_class(obj):
        return f"{safe.defining_module(obj) or '?'}.{safe.qualname(obj)}"
    return safe.safe_repr(obj, 40)


def _may_be_held(original: Any) -> bool:
    """Functions and classes only: scalars and shared singletons would match everywhere."""
    cls = type(original)
    return cls is types.FunctionType or cls is types.BuiltinFunctionType or safe.is_class(original)


def _target_name(target: Any) -> str | None:
    if safe.is_module(target):
        name = (safe.module_dict(target) or {}).get("__name__")
        return name if type(name) is str else None
    if safe.is_class(target):
        return f"{safe.defining_module(target) or '?'}.{safe.qualname(target)}"
    return None
