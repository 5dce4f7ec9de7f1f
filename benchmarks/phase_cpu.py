"""A pytest plugin that splits a run's CPU time into phases, for comparing two variants.

The wall ratio of a whole run mixes start-up, the test loop and exit; this says which one
moved. It records the process's CPU time (user + sys) at ``pytest_configure``, at the end of
collection, when the first test begins, when the last test ends and at exit, and appends one
line per run to the file named by ``PHASE_CPU_OUT`` (tagged with ``PHASE_CPU_TAG``)::

    cd benchmarks/out/suite-2000x200c0
    PYTHONPATH=../.. PHASE_CPU_OUT=/tmp/p.txt PHASE_CPU_TAG=plain python -m pytest -q -p phase_cpu
    PYTHONPATH=../.. PHASE_CPU_OUT=/tmp/p.txt PHASE_CPU_TAG=lw python -m pytest -q -p phase_cpu --leakwatch
    python benchmarks/phase_cpu.py /tmp/p.txt     # medians per phase, and each tag's difference to "plain"

Interleave the variants (plain, lw, plain, lw, ...) over ten rounds or so: the machine drifts.
"""

from __future__ import annotations

import atexit
import collections
import os
import resource
import statistics
import sys
from collections.abc import Generator
from itertools import pairwise

import pytest

_PHASES = ("configure", "collected", "first", "last", "exit")
_at: dict[str, float] = {}


def _mark(name: str) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _at[name] = usage.ru_utime + usage.ru_stime


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    _mark("configure")


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    _mark("collected")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None
                            ) -> Generator[None, object, object]:
    if "first" not in _at:
        _mark("first")
    try:
        return (yield)
    finally:
        if nextitem is None:
            _mark("last")


@atexit.register
def _write() -> None:
    out = os.environ.get("PHASE_CPU_OUT")
    if not out or "configure" not in _at:
        return
    _mark("exit")
    # "start" is the CPU time up to pytest_configure; each other phase ends at its name.
    parts = [f"start:{_at['configure'] * 1000:.1f}"]
    parts += [f"{b}:{(_at[b] - _at[a]) * 1000:.1f}" for a, b in pairwise(_PHASES)
              if a in _at and b in _at]
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(os.environ.get("PHASE_CPU_TAG", "?") + " " + " ".join(parts) + "\n")


def summarize(path: str) -> str:
    """Median CPU ms per phase for each tag, and each tag's difference to ``plain``."""
    runs: dict[str, dict[str, list[float]]] = collections.defaultdict(
        lambda: collections.defaultdict(list))
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            tag, *parts = line.split()
            for part in parts:
                name, value = part.split(":")
                runs[tag][name].append(float(value))
            runs[tag]["total"].append(sum(float(p.split(":")[1]) for p in parts))
    lines = []
    plain = runs.get("plain")
    for tag, phases in runs.items():
        cells = []
        for name, values in phases.items():
            median = statistics.median(values)
            diff = f" ({median - statistics.median(plain[name]):+.1f})" if plain and tag != "plain" else ""
            cells.append(f"{name} {median:.1f}{diff}")
        lines.append(f"{tag}: " + ", ".join(cells))
    return "\n".join(lines)


if __name__ == "__main__":
    print(summarize(sys.argv[1]))
