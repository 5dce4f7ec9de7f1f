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

import ctypes
import operator
import sys
from typing import Any, Protocol

_value = operator.attrgetter("value")


class DictCore(Protocol):
    name: str

    def add(self, d: dict[Any, Any]) -> Any: ...

    def changed(self, handles: list[Any]) -> list[int]: ...

    def accept(self, handle: Any) -> None: ...

    def version(self, handle: Any) -> int | None: ...

    def marker(self) -> int | None: ...


class _Tag:
    __slots__ = ("dict", "cell", "seen")

    def __init__(self, d: dict[Any, Any], cell: Any) -> None:
        self.dict = d
        self.cell = cell
        self.seen: int = cell.value


class VersionTags:
    """Reads ``ma_version_tag`` through ctypes; O(1) per dict, no user code."""

    name = "version-tag"

    def __init__(self) -> None:
        self._offset = object.__basicsize__ + ctypes.sizeof(ctypes.c_ssize_t)
        self._probe: dict[int, int] = {}
        if not self._works():
            raise RuntimeError("dict version tags are not available")

    def _cell(self, d: dict[Any, Any]) -> Any:
        return ctypes.c_uint64.from_address(id(d) + self._offset)

    def _works(self) -> bool:
        if sys.implementation.name != "cpython" or ctypes.sizeof(ctypes.c_void_p) != 8:
            return False
        used_offset = object.__basicsize__
        d: dict[Any, Any] = {"a": 1, "b": 2, "c": 3}
        if ctypes.c_ssize_t.from_address(id(d) + used_offset).value != 3:
            return False
        cell = self._cell(d)
        before = cell.value
        d["d"] = 4
        middle = cell.value
        d["d"] = 5
        after = cell.value
        other: dict[str, int] = {}
        other["x"] = 1
        return bool(before != middle != after and self._cell(other).value > after)

    def add(self, d: dict[Any, Any]) -> _Tag:
        return _Tag(d, self._cell(d))

    def changed(self, handles: list[_Tag]) -> list[int]:
        cells = [h.cell for h in handles]
        now = list(map(_value, cells))
        seen = [h.seen for h in handles]
        if now == seen:
            return []
        return [i for i, (a, b) in enumerate(zip(now, seen, strict=True)) if a != b]

    def accept(self, handle: _Tag) -> None:
        handle.seen = handle.cell.value

    def version(self, handle: _Tag) -> int:
        return int(handle.cell.value)

    def marker(self) -> int:
        """The process-wide version counter now: mutate a private dict, read its tag."""
        self._probe[0] = self._probe.get(0, 0) + 1
        return int(self._cell(self._probe).value)


class _Copy:
    __slots__ = ("dict", "keys", "values")

    def __init__(self, d: dict[Any, Any]) -> None:
        self.dict = d
        self.keys = tuple(d)
        self.values = tuple(d.values())


class CopyCompare:
    """Fallback core: keep key/value tuples, compare by identity. O(size)."""

    name = "copy-compare"

    def add(self, d: dict[Any, Any]) -> _Copy:
        return _Copy(d)

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


def best_core(prefer: str | None = None) -> DictCore:
    """The fastest core that passes its self-test (``prefer='copy-compare'`` forces the fallback)."""
    if prefer != CopyCompare.name:
        try:
            return VersionTags()
        except Exception:
            pass
    return CopyCompare()
