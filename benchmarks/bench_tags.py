"""Micro-benchmark: reading N dict version tags after the cache was flushed.

Why the version-tag core reads tags through a memoryview of the address space
(``versions._RawTagBatch``) rather than ctypes cells: in a test run the watched
dicts and the cells are cold, and each ctypes cell is an object of its own (two
cache misses per dict instead of one).

    python benchmarks/bench_tags.py [N]
"""

from __future__ import annotations

import ctypes
import operator
import random
import sys
import time

from leakwatch.versions import _raw_words


def main(n: int = 1600) -> None:
    dicts: list[dict[str, object]] = []
    ballast = []
    for i in range(n):
        dicts.append({"a": i, "b": [1] * random.randint(1, 30)})
        ballast.append([0] * random.randint(1, 100))  # spread the dicts over memory
    random.shuffle(dicts)
    offset = object.__basicsize__ + ctypes.sizeof(ctypes.c_ssize_t)
    value = operator.attrgetter("value")
    cells = [ctypes.c_uint64.from_address(id(d) + offset) for d in dicts]
    get = operator.itemgetter(*[(id(d) + offset) // 8 for d in dicts])
    words = _raw_words()
    junk = bytearray(32 * 1024 * 1024)

    def flush() -> None:
        for i in range(0, len(junk), 64):
            junk[i] = (junk[i] + 1) & 255

    def timed(read: object) -> float:
        total = 0.0
        for _ in range(30):
            flush()
            start = time.perf_counter()
            read()  # type: ignore[operator]
            total += time.perf_counter() - start
        return total / 30 * 1e6

    print(f"Python {sys.version.split()[0]}, {n} dicts, cold cache:")
    print(f"  ctypes cells      {timed(lambda: list(map(value, cells))):7.1f} us")
    print(f"  memoryview getter {timed(lambda: get(words)):7.1f} us")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1600)
