"""``--leakwatch-restore``: put back what a test or a fixture left changed.

An observer of the collector. When a test's window closes, each of its net
changes that would be reported is put back (env, cwd, ``sys.path`` and friends,
module and class attributes, watched containers, reloaded modules' contents,
``sys.modules`` entries, warnings, logging, signals, builtins, ...), so later
tests run clean; the finding stays in the report with ``restored: true``. Threads
and processes are never touched: their findings say so. When a class, module or
session fixture is finalized, its own leftovers are put back the same way.

A test's change that an open wider fixture's ``MonkeyPatch`` will undo at its
finalization is left alone (that is the correct pattern, not a leak).

After restoring, the probes are polled once with no window open
(``collector.checkpoint``), so the restore is nobody's change.
"""

from __future__ import annotations

import os
import sys
from typing import Any
from unittest import mock

from .. import interceptors, safe
from ..changes import MISSING, Change, SeqState, SetState, same
from ..collector import Collector, Entry, Record
from ..findings import Finding, Owner

#: Order of restores: reloaded module contents first (so attribute restores win), the
#: environment before the time zone (``TZ`` then ``time.tzset``).
_LATE_KINDS = ("timezone",)


class Restorer:
    def __init__(self, collector: Collector) -> None:
        self.collector = collector
        self.restored: set[tuple[Owner, str]] = set()
        self.deferred: dict[tuple[Owner, str], Entry] = {}
        self.monkeypatches: dict[int, Any] = {}

    # -- collector observer -------------------------------------------------

    def on_finding(self, finding: Finding) -> None:
        key = (finding.owner, finding.subject)
        if key in self.restored:
            finding.restored = True
        elif key in self.deferred:
            entry = self.deferred.pop(key)
            if self._restore_entries([(finding.subject, entry)]):
                finding.restored = True
                self.restored.add(key)
        self._note_unrestorable(finding)

    def on_test_end(self, nodeid: str, record: Record) -> None:
        todo: list[tuple[str, Entry]] = []
        for subject, entry in record.entries.items():
            if not self._worth_restoring(subject, entry, entry.after):
                continue
            if self._undone_by_open_monkeypatch(entry.change):
                self.deferred[(record.owner, subject)] = entry
                continue
            todo.append((subject, entry))
        done = self._restore_entries(todo)
        for subject in done:
            self.restored.add((record.owner, subject))
        for finding in self.collector.last_test_findings:
            if (finding.owner, finding.subject) in self.restored:
                finding.restored = True

    def on_fixture_end(self, record: Record) -> None:
        todo = [(s, e) for s, e in record.entries.items() if self._worth_restoring(s, e, e.now)]
        done = self._restore_entries(todo, use_now=True)
        for subject in done:
            self.restored.add((record.owner, subject))
        for finding in reversed(self.collector.findings):
            if finding.owner != record.owner:
                break
            if (finding.owner, finding.subject) in self.restored:
                finding.restored = True

    # -- deciding -------------------------------------------------------------

    def _worth_restoring(self, subject: str, entry: Entry, after: Any) -> bool:
        change = entry.change
        if same(entry.before, after) or change.extra.get("silent"):
            return False
        if self.collector.ignore.finding(change.kind, subject):
            return False
        if change.kind == "attribute" and safe.is_module(after) and (
            entry.before is MISSING or safe.is_module(entry.before)
        ):
            return False  # a submodule import binding its parent's attribute
        return True

    def _undone_by_open_monkeypatch(self, change: Change) -> bool:
        target = change.extra.get("target")
        key = change.extra.get("key")
        owner_class = change.extra.get("owner_class")
        for mp in self.monkeypatches.values():
            mdict = safe.instance_dict(mp) or {}
            for obj, name, *_ in mdict.get("_setattr", ()):
                if name == key and (obj is owner_class or safe.module_dict(obj) is target
                                    or safe.instance_dict(obj) is target):
                    return True
            for dic, name, *_ in mdict.get("_setitem", ()):
                if change.kind == "env" and dic is os.environ and name == change.subject:
                    return True
                if dic is target and type(name) is type(key) and name == key:
                    return True
        return False

    # -- restoring ------------------------------------------------------------

    def _restore_entries(self, todo: list[tuple[str, Entry]], use_now: bool = False) -> list[str]:
        done: list[str] = []
        if not todo:
            return done
        todo.sort(key=lambda item: _order(item[1].change))
        for subject, entry in todo:
            with self.collector.guard("restore"):
                if self._restore_one(subject, entry.change, entry.before,
                                     entry.now if use_now else entry.after):
                    done.append(subject)
        self._quiet_checkpoint()
        return done

    def _quiet_checkpoint(self) -> None:
        """Poll with no window open: the restore becomes the new baseline, nobody's change."""
        collector = self.collector
        stack = collector.stack[:]
        kept = [(p, p.now) for plist in collector.pending.values() for p in plist]
        collector.stack.clear()
        try:
            collector.checkpoint()
        finally:
            collector.stack[:] = stack
            for pending, now in kept:
                pending.now = now  # still the leaking test's value: the restore is not a fix

    def _restore_one(self, subject: str, change: Change, before: Any, after: Any) -> bool:
        extra = change.extra
        restore = extra.get("restore")
        if restore is not None:
            restore(before)
            return True
        if change.kind == "env":
            if before is MISSING:
                os.environ.pop(subject, None)
            else:
                os.environ[subject] = before
            return True
        if change.container == "reload":
            return self._undo_reload(change)
        if change.container == "module":
            return _put_back_sys_module(extra.get("name"), before)
        if change.container in ("list", "set"):
            return _refill(extra.get("target"), change.container, before)
        target = extra.get("target")
        if "key" not in extra or type(target) is not dict:
            return False
        key = extra["key"]
        if safe.is_mock(after):
            _stop_patchers(after)
        owner_class = extra.get("owner_class")
        if owner_class is not None:
            if before is MISSING:
                if key in target:
                    delattr(owner_class, key)
            elif target.get(key, MISSING) is not before:
                setattr(owner_class, key, before)
            return True
        if before is MISSING:
            target.pop(key, None)
        elif target.get(key, MISSING) is not before:
            target[key] = before
        return True

    def _undo_reload(self, change: Change) -> bool:
        before_ns = change.extra.get("before_ns")
        graph = self.collector.graph
        node = graph.modules.get(change.module or "") if graph is not None else None
        if type(before_ns) is not dict or node is None or type(node.obj) is not dict:
            return False
        ns = node.obj
        ns.clear()
        ns.update(before_ns)
        return True

    def _note_unrestorable(self, finding: Finding) -> None:
        if finding.restored:
            return
        why = finding.detail.get("restore")
        if type(why) is str:
            finding.restored = False


def _order(change: Change) -> int:
    if change.container == "reload":
        return 0
    if change.kind in _LATE_KINDS:
        return 2
    return 1


def _refill(target: Any, container: str, before: Any) -> bool:
    if container == "list" and type(target) is list and type(before) is SeqState:
        target[:] = list(before)
        return True
    if container == "set" and type(target) is set and type(before) is SetState:
        target.clear()
        target.update(before)
        return True
    return False


def _put_back_sys_module(name: Any, before: Any) -> bool:
    if type(name) is not str:
        return False
    if before is MISSING:
        sys.modules.pop(name, None)
    else:
        sys.modules[name] = before
    return True


def _stop_patchers(value: Any) -> None:
    """Stop the started patchers that put ``value`` in place (``patch(...).start()``)."""
    active = getattr(mock._patch, "_active_patches", None)  # type: ignore[attr-defined]
    if type(active) is not list:
        return
    for patcher in list(active):
        pdict = safe.instance_dict(patcher) or {}
        entry = interceptors.active_patches.get(-id(patcher))
        new = entry[1] if entry is not None else pdict.get("new")
        if new is value:
            patcher.stop()
