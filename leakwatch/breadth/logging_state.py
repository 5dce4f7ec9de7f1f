"""Logging configuration: each logger's level, handlers, ``propagate`` and
``disabled``; ``logging.disable``; the logger class.

Every existing logger's ``__dict__`` is watched through one batch of the version core
(the dict-watcher log on 3.12+, one C scan of the tags on 3.11: the graph's check) and
its handler list by length; only a logger
whose dict or list moved is looked at. New loggers (``getLogger`` of a new name)
are not changes: they join the watch at the next poll. pytest's own handlers
(caplog, live logging) are added and removed around each phase: gone at every poll,
but the one around the call phase is there at the setup/call mark, which leaves
pytest's handler classes out when it compares handler lists.
"""

from __future__ import annotations

import logging
import operator
import sys
from typing import Any

from .. import safe, versions
from ..changes import MISSING, Change, SeqState
from ..graph import _DETACH_INLINE, _detach_inline_values
from ..versions import DictCore, native_length_offsets, quiet_word
from .slots import seq_state

_FIELDS = ("level", "propagate", "disabled")
_NO_FIELDS = (MISSING,) * len(_FIELDS)
_NEW_LOGGER = (logging.NOTSET, True, False)


def _label(name: str) -> str:
    return "logging.getLogger()" if name == "root" else f"logging.getLogger({name!r})"


def _loggers() -> list[tuple[str, logging.Logger]]:
    manager = logging.Logger.manager
    out: list[tuple[str, logging.Logger]] = [("root", logging.root)]
    for name, logger in list(manager.loggerDict.items()):
        if type(name) is str and logging.Logger in safe.mro(type(logger)):
            out.append((name, logger))  # type: ignore[arg-type]
    return out


class _Watched:
    __slots__ = ("name", "logger", "ldict", "handle", "fields", "handlers", "handlers_state",
                 "mark_fields", "mark_handlers")

    def __init__(self, name: str, logger: logging.Logger, core: DictCore, fresh: bool) -> None:
        self.name = name
        self.logger = logger
        self.ldict: dict[str, Any] = safe.instance_dict(logger) or {}
        if _DETACH_INLINE and self.ldict:
            # 3.13+: attribute stores (logger.level = ...) may bypass a dict that shares the
            # object's inline values; detached, every store goes through the dict.
            _detach_inline_values(self.ldict)
        self.handle = core.add(self.ldict)
        self.handlers = self.ldict.get("handlers")
        if fresh:
            # Born inside the window: compared with a logger as getLogger() makes it.
            self.fields: tuple[Any, ...] = _NEW_LOGGER
            self.handlers_state: Any = SeqState(())
        else:
            self.fields = self.read_fields()
            self.handlers_state = seq_state(self.handlers)
        self.mark_fields = self.fields
        self.mark_handlers = self.handlers_state

    def read_fields(self) -> tuple[Any, ...]:
        return tuple(map(self.ldict.get, _FIELDS, _NO_FIELDS))


def _restore_field(ldict: dict[str, Any], field: str) -> Any:
    def restore(before: Any) -> None:
        if before is MISSING:
            ldict.pop(field, None)
        else:
            ldict[field] = before
        logging.Logger.manager._clear_cache()  # type: ignore[attr-defined]

    return restore


def _restore_handlers(ldict: dict[str, Any], original: Any) -> Any:
    def restore(before: Any) -> None:
        if ldict.get("handlers") is not original:
            ldict["handlers"] = original
        if type(before) is SeqState and type(original) is list:
            original[:] = list(before)

    return restore


def _describe_level(before: Any, after: Any) -> str:
    return f"{_level(before)} -> {_level(after)}"


def _level(value: Any) -> str:
    if type(value) is int:
        name = logging.getLevelName(value)
        return name if type(name) is str else str(value)
    return safe.safe_repr(value)


class LoggingProbe:
    name = "logging"
    #: :meth:`settle` only undoes what marks noted (the collector skips it otherwise).
    settles_marks_only = True

    def __init__(self, core: DictCore) -> None:
        self.core = core
        self._watched: list[_Watched] = []
        self._names: set[str] = set()
        self._registry: dict[Any, Any] = logging.Logger.manager.loggerDict
        self._registry_handle: Any = None
        self._lists: list[Any] = []
        self._lens: list[int] = []
        self._handles: list[Any] = []
        #: The core's batch over ``_handles`` (made anew, from the previous one, when loggers
        #: are added): the watcher log or the C tag scan instead of a Python read per logger.
        self._batch: Any = None
        self._batch_stale = True
        #: ids of pytest's own handler classes, left out of the marks' handler comparison
        #: (found at the first mark: ``_pytest.logging`` is imported by then).
        self._pytest_handlers: frozenset[int] | None = None
        self._mark_lens: list[int] = []
        self._globals: tuple[Any, ...] = ()
        self._mark_globals: tuple[Any, ...] = ()
        self._phases: dict[str, str] = {}
        self._registry_mark_handle: Any = None
        self._born: list[_Watched] = []
        #: :meth:`_quiet_static`, asked once (None: not yet).
        self._static: tuple[Any, ...] | None = None
        #: What the last mark read, as one ``same_reads`` check, and the handler list
        #: lengths it left in ``_mark_lens``; kept only from a mark that dated nothing (see
        #: :meth:`_replayed`). None: the next mark reads.
        self._replay: tuple[tuple[Any, ...], list[int]] | None = None
        #: Marks that replayed, and marks that read (tests check that both happen).
        self.replayed_marks = 0
        self.read_marks = 0

    def _read_globals(self) -> tuple[Any, ...]:
        manager = logging.Logger.manager
        return (manager.disable, manager.loggerClass, logging.getLoggerClass())

    def start(self) -> None:
        self._registry_handle = self.core.add(self._registry)
        self._registry_mark_handle = self.core.add(self._registry)
        self._refresh(fresh=False)
        self._new_batch()
        self._globals = self._mark_globals = self._read_globals()

    def _new_batch(self) -> None:
        # Goes on from the previous batch (a watcher log is read from where it stopped).
        self._batch = self.core.batch(self._handles, self._batch)
        self._batch_stale = False
        # Between polls the collector's quiet check reads every logger's tag: the batch
        # need not be moved on after each quiet poll to keep the watcher's log short.
        unpin = getattr(self._batch, "unpin", None)
        if unpin is not None:
            unpin()

    def _refresh(self, fresh: bool) -> list[_Watched]:
        born: list[_Watched] = []
        for name, logger in _loggers():
            if name not in self._names:
                self._names.add(name)
                born.append(_Watched(name, logger, self.core, fresh))
        self._watched.extend(born)
        self._lists += [w.handlers for w in born]
        self._lens += [len(w.handlers) if type(w.handlers) is list else -1 for w in born]
        self._mark_lens += [len(w.handlers) if type(w.handlers) is list else -1 for w in born]
        self._handles += [w.handle for w in born]
        if born:
            self._batch_stale = True
        return born

    def quiet(self) -> list[tuple[Any, str, Any]] | None:
        """What, while it reads the same, means :meth:`poll` has nothing to report (the
        collector's one C check, ``Collector._quiet_now``): the registry's and each
        logger dict's version tag, each handler list's length word, and the three globals
        (the manager, its ``disable`` and ``loggerClass``, ``logging.getLoggerClass()``).
        None while a logger born at a mark waits for its first poll, or without tags."""
        if self._born or self._batch_stale:
            return None
        if self._static is None:
            self._static = self._quiet_static()
        if not self._static:
            return None
        entries = [quiet_word(self._registry_handle)] + [quiet_word(w.handle) for w in self._watched]
        if any(e is None for e in entries):
            return None
        return self._entries(entries, self._lens, self._globals)  # type: ignore[arg-type]

    def _entries(self, tags: list[tuple[int, str, int]], lens: list[int],
                 globals_: tuple[Any, ...]) -> list[tuple[Any, str, Any]] | None:
        """The check of :meth:`quiet` and of the marks' replay: these tag words, the handler
        lists at these lengths, the globals these objects (None: the manager's ``disable``
        is not ``globals_``'s now, or no static part)."""
        if not self._static:
            return None
        list_at, ldict, cdict, disable_key = self._static
        manager = logging.Logger.manager
        mdict = safe.instance_dict(manager)
        if mdict is None:
            return None
        out: list[tuple[Any, str, Any]] = list(tags)
        for handlers, n in zip(self._lists, lens, strict=True):
            if type(handlers) is list:
                out.append((id(handlers) + list_at, "w", n))
        disable, logger_class, get_class = globals_
        if mdict.get(disable_key, MISSING) is not disable:
            return None
        out += [((cdict, "manager"), "i", manager), ((mdict, disable_key), "i", disable),
                ((mdict, "loggerClass"), "i", logger_class),
                ((ldict, "_loggerClass"), "i", get_class)]
        return out

    def _quiet_static(self) -> tuple[Any, ...]:
        """What :meth:`quiet` reads the same way every time, found once: where a list's
        length word is, logging's and ``Logger``'s namespaces, and the manager's key for
        ``disable`` (a property over ``_disable`` on 3.11-3.13: the stored value, which is
        what the property gives). () when any of it is missing: no quiet check then."""
        offsets = native_length_offsets()
        ldict = safe.module_dict(logging)
        cdict = safe.class_namespace(logging.Logger)
        if not offsets or ldict is None or cdict is None:
            return ()
        manager_type = type(logging.Logger.manager)
        disable_key = "_disable" if type(safe.class_attr(manager_type, "disable")) is property \
            else "disable"
        return (offsets[0], ldict, cdict, disable_key)

    def settle(self) -> None:
        """What a poll that found nothing does besides: marks' dates dropped, the mark
        lengths back to the poll's. Only marks move either (the batch is unpinned: see
        ``_new_batch``), so the collector calls it only after a phase boundary."""
        if self._phases:
            self._forget_marks()
        elif self._mark_lens != self._lens:
            self._mark_lens = list(self._lens)

    def _forget_marks(self) -> None:
        """The marks' notes dropped and their state the poll's again (lengths included)."""
        self._phases = {}
        self._marks_back_to_poll()
        self._mark_lens = list(self._lens)

    def _marks_back_to_poll(self) -> None:
        """After a poll, where marks noted something: every logger's mark state is the
        poll's again. A handler added in a setup and removed in the body leaves no change,
        and the poll does not look at that logger; without this, the next test's marks
        compared with the handler list as it was mid-test and dated a change that was not
        there."""
        for w in self._watched:
            w.mark_fields = w.fields
            w.mark_handlers = w.handlers_state
        self._mark_globals = self._globals

    def mark_quiet(self, phase_ended: str) -> None:
        """:meth:`mark` when this probe's own part of the collector's C check says nothing
        of logging moved since the last poll (the registry's and every logger's tag, the
        handler lists' lengths, the globals): there is nothing to date now, and what
        earlier marks of this test noted has been undone. Those notes are dropped and the
        mark state is the poll's again, so that a change made after this boundary (in
        teardown) is not given an earlier phase's date."""
        if self._phases:
            self._forget_marks()

    def _lens_now(self) -> list[int]:
        try:
            return list(map(len, self._lists))  # handler lists: exact lists, one C pass
        except TypeError:
            return [len(h) if type(h) is list else -1 for h in self._lists]

    def _dirty(self, lens: list[int]) -> tuple[list[_Watched], list[int]]:
        """The loggers whose dict (the batch) or handler list length moved, and the batch's
        indices (synced once those loggers are accepted)."""
        watched = self._watched
        changed = self._batch.changed()
        if lens == self._lens:
            return [watched[i] for i in changed], changed
        idx = set(changed)
        idx.update(i for i, (a, b) in enumerate(zip(lens, self._lens, strict=True)) if a != b)
        return [watched[i] for i in sorted(idx)], changed

    def mark(self, phase_ended: str) -> None:
        if phase_ended == "setup" and self._replayed():
            self.replayed_marks += 1
            return
        self.read_marks += 1
        if self.core.changed([self._registry_mark_handle]):
            self.core.accept(self._registry_mark_handle)
            self._born += self._refresh(fresh=True)
        pytests = self._pytest_handlers
        if pytests is None:
            pytests = self._pytest_handlers = _pytest_handler_types()
        dated = dict(self._phases)
        # Each logger once: its handler list's length moved since the last mark, its dict
        # was written since the poll (a level set in a fixture's setup), or it is new.
        for w in dict.fromkeys(self._lists_changed() + self._dicts_written() + self._born):
            fields = w.read_fields()
            same_fields = _fields_same(fields, w.mark_fields)
            same_handlers = _same_user_handlers(w, w.mark_handlers, pytests)
            if not same_fields or not same_handlers:
                for f, a, b in zip(_FIELDS, fields, w.mark_fields, strict=True):
                    if not _value_same(a, b):
                        self._phases[f"{_label(w.name)}.{f}"] = phase_ended
                if not same_handlers:
                    self._phases[f"{_label(w.name)}.handlers"] = phase_ended
                w.mark_fields = fields
                w.mark_handlers = seq_state(w.ldict.get("handlers"))
        now = self._read_globals()
        if not all(map(operator.is_, now, self._mark_globals)):
            self._phases["logging"] = phase_ended
            self._mark_globals = now
        self._keep_replay(dated, now, phase_ended)

    def _keep_replay(self, dated: dict[str, str], globals_: tuple[Any, ...],
                     phase_ended: str) -> None:
        """After a full setup/call mark that dated nothing (``_phases`` as ``dated``, what
        it was before the mark): what it read, for :meth:`_replayed`."""
        if phase_ended != "setup":
            return  # a later mark compares with the first one's state, not the poll's
        self._replay = None
        if versions.same_reads is None or self._born or self._phases != dated or self._batch_stale:
            return
        if self._static is None:
            self._static = self._quiet_static()
        # The tag words as they read now (quiet() has the ones the poll accepted).
        tags = [(t[0], "w", versions.word(t[0])) for t in
                map(quiet_word, (self._registry_mark_handle, *(w.handle for w in self._watched)))
                if t is not None]
        if len(tags) != len(self._watched) + 1:
            return
        entries = self._entries(tags, self._mark_lens, globals_)
        if entries:
            self._replay = (versions.same_reads_args(entries), list(self._mark_lens))

    def _replayed(self) -> bool:
        """Whether this setup/call mark would do what the last one did, which dated
        nothing: one C check that no logger was made and no logger's dict written since
        that mark (the registry's and every logger's tag word), every handler list at the
        length that mark saw, and the globals the same objects. It then only keeps those
        lengths. Only at a test's first mark, which compares with the poll's state, as the
        one it replays did (a later mark compares with the first's).

        pytest's logging plugin attaches its capture handlers to the root logger around
        every phase: at each setup/call mark of a test with a fixture of the user's, the
        root's list is two longer than at the poll, and the full mark read every logger to
        find that only pytest's handlers moved (about 10 µs in place per test). A handler
        swapped for another in place, the list's length and the logger's dict unchanged, is
        not seen here, as it is not by the poll's quiet check either."""
        replay = self._replay
        if replay is None:
            return False
        same = versions.same_reads
        try:
            held = same is not None and not self._born and bool(same(*replay[0]))
        except Exception:  # noqa: BLE001 - the full mark then says
            held = False
        if not held:
            self._replay = None
            return False
        self._mark_lens = list(replay[1])
        return True

    def _dicts_written(self) -> list[_Watched]:
        """The loggers whose dict's tag word moved since the poll accepted it: a mark reads
        their fields, so that a level or flag set in a phase is dated by that phase."""
        word = versions.word
        out = []
        for w in self._watched:
            tag = quiet_word(w.handle)
            if tag is not None and word(tag[0]) != tag[2]:
                out.append(w)
        return out

    def _lists_changed(self) -> list[_Watched]:
        """The loggers whose handler list's length moved since the last mark, or is not
        the poll's (one ``len`` each); :meth:`_dicts_written` gives those whose level or
        flags may have. Not the poll's: at the setup/call mark the root logger holds
        pytest's two capture handlers; a body that adds two of its own leaves the length the
        call/teardown mark compares with, and was dated by the poll instead of "call"."""
        lens = self._lens_now()
        if lens == self._mark_lens and lens == self._lens:
            return []
        out = [self._watched[i] for i, (a, b, c) in
               enumerate(zip(lens, self._mark_lens, self._lens, strict=True)) if a != b or a != c]
        self._mark_lens = lens
        return out

    def poll(self) -> list[Change]:
        out: list[Change] = []
        phases, self._phases = self._phases, {}
        if phases:
            self._marks_back_to_poll()  # the loggers that moved are brought on below
        if self.core.changed([self._registry_handle]):
            self.core.accept(self._registry_handle)
            self.core.accept(self._registry_mark_handle)
            self._born += self._refresh(fresh=True)
        lens = self._lens_now()  # once: the lists do not move while this poll runs
        dirty, changed = self._dirty(lens)
        dirty += [w for w in self._born if w not in dirty]
        self._born = []
        for w in dirty:
            self.core.accept(w.handle)
            label = _label(w.name)
            fields = w.read_fields()
            for f, before, after in zip(_FIELDS, w.fields, fields, strict=True):
                if _value_same(before, after):
                    continue
                extra: dict[str, Any] = {"restore": _restore_field(w.ldict, f), "probe": self.name}
                if f == "level":
                    extra["describe"] = _describe_level
                _phase(extra, phases, f"{label}.{f}")
                out.append(Change(f"{label}.{f}", "logging", before, after, "process", None, None,
                                  extra))
            w.fields = w.mark_fields = fields
            handlers = w.ldict.get("handlers")
            if not (handlers is w.handlers and _same_handlers(w, w.handlers_state)):
                state = seq_state(handlers)
                extra = {"restore": _restore_handlers(w.ldict, w.handlers), "probe": self.name}
                _phase(extra, phases, f"{label}.handlers")
                container = "list" if type(state) is SeqState and type(w.handlers_state) is SeqState \
                    else "process"
                out.append(Change(f"{label}.handlers", "logging", w.handlers_state, state, container,
                                  None, None, extra))
                w.handlers_state = w.mark_handlers = state
        now = self._read_globals()
        if not all(map(operator.is_, now, self._globals)):
            labels = ("logging.disable()", "logging.Logger.manager.loggerClass",
                      "logging.setLoggerClass()")
            restores = (_restore_disable, _restore_manager_class, _restore_logger_class)
            for label, before, after, restore in zip(labels, self._globals, now, restores, strict=True):
                if before is after or (type(before) is int and before == after):
                    continue
                extra = {"restore": restore, "probe": self.name}
                _phase(extra, phases, "logging")
                if label == "logging.disable()":
                    extra["describe"] = _describe_level
                out.append(Change(label, "logging", before, after, "process", None, None, extra))
            self._globals = self._mark_globals = now
        self._batch.sync(changed)
        if self._batch_stale:
            self._new_batch()
        self._lens = lens
        self._mark_lens = list(lens)
        return out


def _value_same(a: Any, b: Any) -> bool:
    """Identity, or equality of two exact ints/bools (levels and flags); no user ``__eq__``."""
    return a is b or (type(a) in (int, bool) and type(b) in (int, bool) and a == b)


def _fields_same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return all(map(_value_same, a, b))


def _same_handlers(w: _Watched, state: Any) -> bool:
    handlers = w.ldict.get("handlers")
    if type(handlers) is not list or type(state) is not SeqState:
        return handlers is state
    return len(handlers) == len(state) and all(map(operator.is_, handlers, state))


def _pytest_handler_types() -> frozenset[int]:
    """ids of the handler classes of pytest's logging plugin (``_pytest.logging``): it
    attaches a new capture handler to the root logger around every phase, so they are
    there at the setup/call mark and gone at the next."""
    module = sys.modules.get("_pytest.logging")
    ns = safe.module_dict(module) if module is not None else None
    if ns is None:
        return frozenset()
    names = ("LogCaptureHandler", "_FileHandler", "_LiveLoggingStreamHandler",
             "_LiveLoggingNullHandler")
    return frozenset(id(ns[n]) for n in names if type(ns.get(n)) is type)


def _same_user_handlers(w: _Watched, state: Any, pytests: frozenset[int]) -> bool:
    """:func:`_same_handlers` at a phase mark: the handlers of pytest's own (exact types)
    left out on both sides. Without that, the capture handler pytest adds around the
    call phase made every setup/call mark see a change, and the call/teardown mark re-date
    a fixture's handler as the body's."""
    if _same_handlers(w, state):
        return True
    handlers = w.ldict.get("handlers")
    if type(handlers) is not list or type(state) is not SeqState:
        return False
    mine = [h for h in handlers if id(type(h)) not in pytests]
    then = [h for h in state if id(type(h)) not in pytests]
    return len(mine) == len(then) and all(map(operator.is_, mine, then))


def _phase(extra: dict[str, Any], phases: dict[str, str], key: str) -> None:
    phase = phases.get(key)
    if phase is not None:
        extra["phase"] = phase


def _restore_disable(before: Any) -> None:
    if type(before) is int:
        logging.disable(before)


def _restore_manager_class(before: Any) -> None:
    logging.Logger.manager.loggerClass = before


def _restore_logger_class(before: Any) -> None:
    if safe.is_class(before):
        logging.setLoggerClass(before)
