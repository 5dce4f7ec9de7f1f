"""Cheap "did this dict change?" checks: the core that keeps per-test cost low.

CPython gives every dict a version tag (PEP 509, ``ma_version_tag``) that is set
from a process-wide counter on every mutation. Comparing tags tells which of
thousands of watched dicts changed at a cost of one memory read each, and the
tag's value tells *when* (compared with :meth:`DictVersions.marker` values
recorded at phase boundaries). The layout is checked at start-up against
``len()``; where it does not hold (another implementation, a future CPython) the
:class:`CopyCompare` core compares identity-wise copies instead: same answers,
cost proportional to the watched size.
"""

from __future__ import annotations

import atexit
import functools
import operator
import sys
import weakref
from array import array
from collections.abc import Callable
from itertools import compress
from typing import Any, Protocol, TypeVar

_value = operator.attrgetter("value")

#: 64-bit CPython: the layout every core but copy-compare reads (8-byte words and sizes).
_WORD_64 = sys.maxsize == 2**63 - 1

try:  # the optional C twin of the tag scan (leakwatch/_gather.c), built where a compiler was
    from . import _gather  # found; without it the same answers come from a memoryview
except ImportError:  # pragma: no cover - depends on the build
    _gather = None  # type: ignore[assignment]


def _ctypes() -> Any:
    """ctypes, imported when a Python read of memory is needed: where the C scan was built
    it is not (its import is ~2 ms of every enabled start-up)."""
    import ctypes

    return ctypes


def _ctypes_word(addr: int) -> int:
    return int(_ctypes().c_uint64.from_address(addr).value)


#: The 8-byte word at an address inside an object we hold (here, and in the probes: a tag
#: word whose address ``quiet_word`` gave): ``_gather.word_at`` (C, no Python frame per
#: read) where it was built, else a ctypes cell.
word: Callable[[int], int] = (
    getattr(_gather, "word_at", None) if _gather is not None else None) or _ctypes_word


def _no_c_scan(addresses: Any, seen: Any) -> list[int]:
    raise RuntimeError("the C scan was not built")


#: The C scan itself, no Python frame (only called when :func:`native_length_offsets` or
#: the tag core said it is there): positions whose word moved; ``seen`` is updated in place.
words_changed: Callable[[Any, Any], list[int]] = (
    _gather.words_changed if _gather is not None else _no_c_scan)
#: The same scan, ``seen`` left as it is (phase marks: the poll must still see the move).
words_differ: Callable[[Any, Any], list[int]] = (
    _gather.words_differ if _gather is not None else _no_c_scan)


_S = TypeVar("_S")


def _kept_tracked(snapshot: _S) -> _S:
    return snapshot


#: ``_gather.untracked`` where built: our snapshot copies leave the garbage collector's
#: lists (each full collection traversed every watched dict and list twice, the original
#: and our copy); without the C part they stay tracked, as any copy.
untracked: Callable[[_S], _S] = (
    getattr(_gather, "untracked", None) if _gather is not None else None) or _kept_tracked
#: ``_gather.private`` where built: leakwatch's own slotted bookkeeping objects (graph
#: nodes, tags) leave the garbage collector's lists too; without the C part they stay.
private: Callable[[_S], _S] = (
    getattr(_gather, "private", None) if _gather is not None else None) or _kept_tracked


class Batch(Protocol):
    """Many handles checked together; the hot path of every poll."""

    #: Whether :meth:`sync` does anything (False: the batch keeps its own state, and the
    #: graph's poll, which runs per test, makes no call to it).
    syncs: bool

    def changed(self) -> list[int]: ...

    def sync(self, indices: list[int]) -> None: ...


class DictCore(Protocol):
    name: str
    dates_changes: bool

    def add(self, d: dict[Any, Any]) -> Any: ...

    def add_unlogged(self, d: dict[Any, Any]) -> Any:
        """:meth:`add` for a dict only ever checked through ``changed([handle])`` (never in
        a batch): the dict-watcher core then reads its tag and does not log its writes."""

    def batch(self, handles: list[Any], previous: Any = None) -> Batch: ...

    def changed(self, handles: list[Any]) -> list[int]: ...

    def accept(self, handle: Any) -> None: ...

    def version(self, handle: Any) -> int | None: ...

    def marker(self) -> int | None: ...

    def marker_call(self) -> Callable[[], int | None]: ...


class _Tag:
    """One watched dict: the address of its tag word, and the tag last accepted.

    An address, not a ctypes cell: a cell is an object of its own (about 1 µs to make,
    and one more object for every garbage collection to traverse, 1,600 at 200 modules).
    """

    __slots__ = ("dict", "addr", "seen")

    def __init__(self, d: dict[Any, Any], addr: int, seen: int) -> None:
        self.dict = d
        self.addr = addr
        self.seen = seen


class _TagBatch:
    """Cells and last-seen tags in parallel lists: one C-level map and one list compare."""

    __slots__ = ("handles", "cells", "seen")
    syncs = True

    def __init__(self, handles: list[_Tag]) -> None:
        self.handles = handles
        cell = _ctypes().c_uint64.from_address
        self.cells = [cell(h.addr) for h in handles]
        self.seen = [h.seen for h in handles]

    def changed(self) -> list[int]:
        now = list(map(_value, self.cells))
        if now == self.seen:
            return []
        return list(compress(range(len(now)), map(operator.ne, now, self.seen)))

    def sync(self, indices: list[int]) -> None:
        for i in indices:
            self.seen[i] = self.handles[i].seen


class _RawTagBatch:
    """The same check in one C call: ``itemgetter`` over a read-only view of memory.

    ctypes cells are Python objects of their own: reading 1,600 of them after a test
    has evicted them from the cache costs two misses each. Indexing a memoryview of
    the address space at each dict's tag word costs one (about 2.5x faster when cold;
    benchmarks/RESULTS.md). Only the tag words of dicts we hold references to are read.
    """

    __slots__ = ("handles", "get", "seen", "order")
    syncs = False

    def __init__(self, handles: list[_Tag], offset: int) -> None:
        self.handles = handles
        # Read in address order: neighbouring dicts share pages (fewer TLB and cache
        # misses); ``order`` maps a read position back to the caller's index.
        order = sorted(range(len(handles)), key=lambda i: id(handles[i].dict))
        index = [(id(handles[i].dict) + offset) // 8 for i in order]
        seen = [handles[i].seen for i in order]
        if len(index) == 1:  # itemgetter of one index returns a scalar: keep tuples
            index.append(index[0])
            seen.append(seen[0])
            order.append(order[0])
        self.order = order
        self.get = operator.itemgetter(*index) if index else None
        self.seen = tuple(seen)

    def changed(self) -> list[int]:
        if self.get is None:
            return []
        now = self.get(_raw_words())
        if now == self.seen:
            return []
        order = self.order
        out = sorted({order[i] for i in _positions_differing(now, self.seen)})
        self.seen = now
        return out

    def sync(self, indices: list[int]) -> None:
        return None


def native_length_offsets() -> tuple[int, int] | None:
    """Offsets of the length word in a list (``ob_size``) and a set (``used``) for the C
    scan, or None (not built, or the layout fails the check: the caller uses ``len``).

    Checked on objects whose other fields would give a different answer: a set with a
    deleted entry (``fill`` != ``used``), a list grown past its first allocation.
    """
    if _gather is None or not _WORD_64:
        return None
    try:
        base = object.__basicsize__
        items: list[int] = list(range(5))
        members = {1, 2, 3}
        members.discard(3)

        def reads_len(obj: Any, offset: int) -> bool:
            seen = array("Q", [0])
            _gather.words_changed(array("Q", [id(obj) + offset]), seen)
            return seen[0] == len(obj)

        for _ in range(2):
            if not (reads_len(items, base) and reads_len(members, base + 8)):
                return None
            items.extend(range(20))
            members.add(len(members) + 10)
        return base, base + 8
    except Exception:  # noqa: BLE001 - no accelerator then
        return None


class _NativeTagBatch:
    """:class:`_RawTagBatch` in C (``leakwatch._gather.words_changed``): one load per dict,
    no Python int made per read, the next addresses prefetched so that the cache misses of
    a poll overlap. Same addresses, same answers (``tests/test_cores.py``)."""

    __slots__ = ("handles", "addresses", "seen", "order")
    syncs = False

    def __init__(self, handles: list[_Tag], offset: int) -> None:
        self.handles = handles
        order = sorted(range(len(handles)), key=lambda i: id(handles[i].dict))
        self.order = order
        self.addresses = array("Q", [id(handles[i].dict) + offset for i in order])
        self.seen = array("Q", [handles[i].seen for i in order])

    def changed(self) -> list[int]:
        positions = _gather.words_changed(self.addresses, self.seen)
        if not positions:
            return []
        order = self.order
        return sorted(order[i] for i in positions)

    def sync(self, indices: list[int]) -> None:
        return None


def _positions_differing(now: tuple[Any, ...], seen: tuple[Any, ...], step: int = 64) -> list[int]:
    """Indices where two equal-length tuples of ints differ, by chunks: a test usually
    changes a few dicts, so most chunks compare equal in one C call."""
    out: list[int] = []
    for start in range(0, len(now), step):
        a = now[start:start + step]
        b = seen[start:start + step]
        if a != b:
            out.extend(compress(range(start, start + len(a)), map(operator.ne, a, b)))
    return out


_RAW: list[memoryview] = []
#: Covers user-space addresses on x86-64 and aarch64 (48-bit virtual addresses).
_RAW_LIMIT = 1 << 48


def _raw_words() -> memoryview:
    """The process's address space as 8-byte words (created once, never written)."""
    if not _RAW:
        ctypes = _ctypes()
        raw = (ctypes.c_char * _RAW_LIMIT).from_address(0)
        _RAW.append(memoryview(raw).cast("B").cast("Q"))
    return _RAW[0]


class VersionTags:
    """Reads ``ma_version_tag`` (the C scan, else a memoryview or ctypes); O(1) per dict,
    no user code."""

    name = "version-tag"
    #: Tags date each dict change against phase markers: no per-boundary dict checks.
    dates_changes = True

    def __init__(self) -> None:
        self._offset = object.__basicsize__ + 8  # after ma_used (a Py_ssize_t)
        self._probe: dict[int, Any] = {}
        if not self._works():
            raise RuntimeError("dict version tags are not available")
        #: The address space as words (tags read by index, an int each), when it works.
        #: Not made where the C scan was built: it reads the words (and ctypes stays
        #: unimported); asked for when a test turns the C scan off.
        self._raw_checked: bool | None = None
        self._words: memoryview | None = None
        #: Use the C scan when it was built (tests turn it off to compare both).
        self.native = _gather is not None
        #: One tag word's read: ``_gather.word_at`` itself where it was built (a dict's
        #: ``changed`` and ``accept``, several times per test, then run no Python frame for
        #: it), else through the memoryview when it works, else ctypes.
        self._read: Callable[[int], int] = word if _gather is not None else self._read_words
        #: The C marker (``_gather.bump_tag``), checked here against the Python one.
        self._bump: Callable[[dict[int, Any], int], int] | None = self._native_bump()

    @property
    def _raw_ok(self) -> bool:
        """Whether tags can be read by address (the C scan, else the memoryview)."""
        if _gather is not None and self.native:
            return True
        if self._raw_checked is None:
            self._raw_checked = self._raw_works()
            self._words = _raw_words() if self._raw_checked else None
        return self._raw_checked

    def _raw_works(self) -> bool:
        """The memoryview read gives the same tag as ctypes, before and after a write."""
        try:
            d: dict[str, int] = {}
            index = (id(d) + self._offset) // 8
            if id(d) + self._offset >= _RAW_LIMIT:
                return False
            words = _raw_words()
            cell = _ctypes().c_uint64.from_address
            first = words[index] == cell(id(d) + self._offset).value
            d["x"] = 1
            return bool(first and words[index] == cell(id(d) + self._offset).value)
        except Exception:
            return False

    def _native_bump(self) -> Callable[[dict[int, Any], int], int] | None:
        """``_gather.bump_tag`` when it was built and moves the counter as a write does:
        each call reads more than the last, and less than a write made after it."""
        if _gather is None or not hasattr(_gather, "bump_tag"):
            return None
        bump = _gather.bump_tag
        try:
            first = bump(self._probe, self._offset)
            second = bump(self._probe, self._offset)
            other: dict[str, int] = {}
            other["x"] = 1
            if first < second < self._tag(other):
                return bump
        except Exception:
            pass
        return None

    def _tag(self, d: dict[Any, Any]) -> int:
        return word(id(d) + self._offset)

    def _works(self) -> bool:
        if sys.implementation.name != "cpython" or not _WORD_64:
            return False
        used_offset = object.__basicsize__
        d: dict[Any, Any] = {"a": 1, "b": 2, "c": 3}
        if word(id(d) + used_offset) != 3:  # ma_used
            return False
        before = self._tag(d)
        d["d"] = 4
        middle = self._tag(d)
        d["d"] = 5
        after = self._tag(d)
        other: dict[str, int] = {}
        other["x"] = 1
        return bool(before != middle != after and self._tag(other) > after)

    def _read_words(self, addr: int) -> int:
        words = self._words
        if words is not None and addr < _RAW_LIMIT:
            return words[addr >> 3]
        return word(addr)

    def add(self, d: dict[Any, Any]) -> _Tag:
        addr = id(d) + self._offset
        return private(_Tag(d, addr, self._read(addr)))

    def add_unlogged(self, d: dict[Any, Any]) -> _Tag:
        return VersionTags.add(self, d)  # a tag, never a watcher (DictWatchers overrides add)

    def batch(self, handles: list[_Tag], previous: Any = None
              ) -> _TagBatch | _RawTagBatch | _NativeTagBatch:
        if self._raw_ok and all(id(h.dict) + self._offset < _RAW_LIMIT for h in handles):
            if _gather is not None and self.native:
                return _NativeTagBatch(handles, self._offset)
            return _RawTagBatch(handles, self._offset)
        return _TagBatch(handles)

    def changed(self, handles: list[_Tag]) -> list[int]:
        if len(handles) == 1:  # most callers (one probe, one dict): no lists built
            h = handles[0]
            return [] if self._read(h.addr) == h.seen else [0]
        now = list(map(self._read, [h.addr for h in handles]))
        seen = [h.seen for h in handles]
        if now == seen:
            return []
        return [i for i, (a, b) in enumerate(zip(now, seen, strict=True)) if a != b]

    def accept(self, handle: _Tag) -> None:
        handle.seen = self._read(handle.addr)

    def version(self, handle: _Tag) -> int:
        return self._read(handle.addr)

    def marker(self) -> int:
        """The process-wide version counter now: mutate a private dict, read its tag.

        Three times per test (begin, and each phase boundary): one C call where
        ``_gather`` was built (``bump_tag``), else the same write and read in Python.
        """
        if self._bump is not None:
            return self._bump(self._probe, self._offset)
        self._probe[0] = self._probe.get(0, 0) + 1
        return self._read(id(self._probe) + self._offset)  # the dict object never moves

    def marker_call(self) -> Callable[[], int | None]:
        """:meth:`marker` as one callable for the collector to keep: the C marker bound to
        its arguments where it was built (a phase boundary then runs no Python frame for
        it), else the method."""
        if self._bump is not None:
            return functools.partial(self._bump, self._probe, self._offset)
        return self.marker


class _Copy:
    __slots__ = ("dict", "keys", "values")

    def __init__(self, d: dict[Any, Any]) -> None:
        self.dict = d
        self.keys = tuple(d)
        self.values = tuple(d.values())


class _CopyBatch:
    __slots__ = ("core", "handles")
    syncs = False

    def __init__(self, core: CopyCompare, handles: list[_Copy]) -> None:
        self.core = core
        self.handles = handles

    def changed(self) -> list[int]:
        return self.core.changed(self.handles)

    def sync(self, indices: list[int]) -> None:
        return None


class CopyCompare:
    """Fallback core: keep key/value tuples, compare by identity. O(size)."""

    name = "copy-compare"
    dates_changes = False

    def add(self, d: dict[Any, Any]) -> _Copy:
        return _Copy(d)

    def add_unlogged(self, d: dict[Any, Any]) -> _Copy:
        return self.add(d)

    def batch(self, handles: list[_Copy], previous: Any = None) -> _CopyBatch:
        return _CopyBatch(self, handles)

    def changed(self, handles: list[_Copy]) -> list[int]:
        out = []
        for i, h in enumerate(handles):
            d = h.dict
            if len(d) != len(h.keys) or not all(map(operator.is_, d, h.keys)) or not all(
                map(operator.is_, d.values(), h.values)
            ):
                out.append(i)
        return out

    def accept(self, handle: _Copy) -> None:
        handle.keys = tuple(handle.dict)
        handle.values = tuple(handle.dict.values())

    def version(self, handle: _Copy) -> None:
        return None

    def marker(self) -> None:
        return None

    def marker_call(self) -> Callable[[], None]:
        return self.marker


#: The one watcher leakwatch registers per process (CPython allows 8), and its event log.
_watcher: dict[str, Any] = {}


def _install_watcher() -> tuple[int, list[int]]:
    """Register a dict watcher whose callback appends the dict's address to a log.

    The callback does nothing else (no allocation beyond the append, no user code,
    never raises); the watcher is cleared at exit, before the interpreter tears down.
    """
    if "id" in _watcher:
        return _watcher["id"], _watcher["log"]
    log: list[int] = []
    if _gather is not None and hasattr(_gather, "add_watcher"):
        # The callback in C (leakwatch/_gather.c): one append per write, no ctypes trip.
        wid = _gather.add_watcher(log)
        _watcher.update(id=wid, log=log, cb=None, base=0, batches=weakref.WeakSet(),
                        watch=_gather.watch, unwatch=_gather.unwatch)
        atexit.register(_gather.clear_watcher)
        return wid, log
    append = log.append

    def callback(event: int, d: int, key: int, value: int) -> int:
        append(d)
        return 0

    ctypes = _ctypes()
    watch_cb = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                ctypes.c_void_p)
    cb = watch_cb(callback)
    api = ctypes.pythonapi
    api.PyDict_AddWatcher.argtypes = [watch_cb]
    api.PyDict_AddWatcher.restype = ctypes.c_int
    api.PyDict_Watch.argtypes = [ctypes.c_int, ctypes.py_object]
    api.PyDict_Watch.restype = ctypes.c_int
    api.PyDict_Unwatch.argtypes = [ctypes.c_int, ctypes.py_object]
    api.PyDict_Unwatch.restype = ctypes.c_int
    api.PyDict_ClearWatcher.argtypes = [ctypes.c_int]
    api.PyDict_ClearWatcher.restype = ctypes.c_int
    wid = api.PyDict_AddWatcher(cb)
    if wid < 0:
        raise RuntimeError("no free dict watcher id")
    _watcher.update(id=wid, log=log, cb=cb, base=0, batches=weakref.WeakSet(),
                    watch=api.PyDict_Watch, unwatch=api.PyDict_Unwatch)
    atexit.register(api.PyDict_ClearWatcher, wid)
    return wid, log


#: ``_gather.dict_same`` where it was built: whether a dict still holds its snapshot's keys
#: and values, by identity, without a copy (graph._diff_dict; None: the Python diff).
dict_same: Callable[[dict[Any, Any], dict[Any, Any]], bool] | None = (
    getattr(_gather, "dict_same", None) if _gather is not None else None)

#: ``_gather.same_reads`` where it was built: the collector's one-call check that the
#: quiet probes have nothing to report (``Collector._poll``); None: each probe is polled.
same_reads: Callable[..., bool] | None = (
    getattr(_gather, "same_reads", None) if _gather is not None else None)


def same_reads_args(entries: Any) -> tuple[tuple[Any, ...], bytes, tuple[Any, ...], tuple[Any, ...]]:
    """``same_reads``' four arguments from entries ``(source, mode, expected)``, or with a
    fourth item, a list's state (the collector's parts, the logging marks' replay)."""
    cols = tuple(zip(*entries, strict=True)) if entries else ((), (), ())
    states = cols[3] if len(cols) > 3 else (None,) * len(cols[0])
    return tuple(cols[0]), "".join(cols[1]).encode("ascii"), tuple(cols[2]), tuple(states)


def quiet_word(handle: Any) -> tuple[int, str, int] | None:
    """A version-tag handle as a ``same_reads`` entry: the address of the dict's tag word,
    ``"w"``, and the tag last accepted. None for a copy-compare handle (no tag)."""
    if type(handle) is not _Tag:
        return None
    return (handle.addr, "w", handle.seen)


#: ``_gather.log_hits`` where it was built (tests set it to None to compare both).
_log_hits: Callable[[list[int], int, dict[int, int], int], list[int]] | None = (
    getattr(_gather, "log_hits", None) if _gather is not None else None)


class _WatchBatch:
    """Changed indices from the watcher's log: O(changes), not O(watched).

    ``pos`` is an absolute position in the process-wide log (``_watcher["base"]``
    entries were trimmed from its front); several sessions (pytester in-process
    runs nest them) each read the log at their own pace.
    """

    __slots__ = ("index", "pos", "size", "__weakref__")
    syncs = False

    def __init__(self, handles: list[_Tag]) -> None:
        self.index = {id(h.dict): i for i, h in enumerate(handles)}
        self.size = len(handles)
        self.pos = _watcher["base"] + len(_watcher["log"])
        _watcher["batches"].add(self)

    def unpin(self) -> None:
        """Let the log be trimmed past this batch: for an owner that knows, from each of its
        dicts' tags, when none was written (the logging probe, in the collector's quiet
        check), so it need not be moved on after every quiet poll to let the log be trimmed.
        When entries it did not read are trimmed, its next :meth:`changed` answers every index
        (a full read)."""
        _watcher["batches"].discard(self)

    def changed(self) -> list[int]:
        log: list[int] = _watcher["log"]
        base: int = _watcher["base"]
        end = base + len(log)
        if self.pos == end:
            return []
        if self.pos < base:  # entries we did not read were trimmed: assume the worst
            self.pos = end
            return list(range(len(self.index)))
        index = self.index
        if _log_hits is not None:  # in C (leakwatch/_gather.c): no set, no Python loop
            hits = _log_hits(log, self.pos - base, index, self.size)
        else:
            hits = sorted({index[a] for a in log[self.pos - base:] if a in index})
        self.pos = end
        if len(log) > 4096:
            _trim()
        return hits

    def sync(self, indices: list[int]) -> None:
        return None


def _trim() -> None:
    """Drop log entries every live batch has read."""
    log: list[int] = _watcher["log"]
    base: int = _watcher["base"]
    upto = min((b.pos for b in _watcher["batches"]), default=base + len(log))
    if upto > base:
        del log[: upto - base]
        _watcher["base"] = upto


class DictWatchers(VersionTags):
    """CPython 3.12+: dict watchers log which watched dicts were written.

    A test that changes nothing costs nothing; the cost follows what changed. Each
    write to a watched dict costs one append to the log: in C when leakwatch/_gather.c
    was built (tens of ns), else through a ctypes callback (a few µs), so hot loops
    writing a watched global pay that. Version tags still date changes.
    """

    name = "dict-watcher"

    def __init__(self) -> None:
        super().__init__()
        if sys.version_info < (3, 12):
            raise RuntimeError("dict watchers need Python 3.12")
        self.wid: int
        self.log: list[int]
        self.wid, self.log = _install_watcher()
        self._watch: Any = _watcher["watch"]
        probe: dict[str, int] = {}
        self._watch(self.wid, probe)
        start = len(self.log)
        probe["x"] = 1
        if len(self.log) != start + 1 or self.log[-1] != id(probe):
            raise RuntimeError("dict watcher self-test failed")
        _watcher["unwatch"](self.wid, probe)

    def add(self, d: dict[Any, Any]) -> _Tag:
        self._watch(self.wid, d)
        addr = id(d) + self._offset  # VersionTags.add, inlined: once per node at start-up
        words = self._words
        return private(_Tag(d, addr, words[addr >> 3] if words is not None
                            and addr < _RAW_LIMIT else self._read(addr)))

    def batch(self, handles: list[_Tag], previous: Any = None) -> _WatchBatch:  # type: ignore[override]
        batch = _WatchBatch(handles)
        if type(previous) is _WatchBatch:
            batch.pos = previous.pos  # go on reading the log where the previous batch stopped
        return batch


def best_core(prefer: str | None = None) -> DictCore:
    """The fastest core that passes its self-test (``prefer`` names one)."""
    if prefer in (None, "auto", DictWatchers.name) and sys.version_info >= (3, 12):
        try:
            return DictWatchers()
        except Exception:
            pass
    if prefer != CopyCompare.name:
        try:
            return VersionTags()
        except Exception:
            pass
    return CopyCompare()
