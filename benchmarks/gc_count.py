"""A pytest plugin that counts the garbage collector's collections per generation in a run.

A full collection costs tens of milliseconds on a 2,000-test suite, and when one falls due
depends on how many objects have been allocated: a plugin's start-up allocations can tip a
run of a given size into one more full collection than plain pytest makes at that size (and
a slightly larger suite into none; benchmarks/RESULTS.md, seventeenth pass, Python 3.13).
``run.py`` runs each variant once more with this plugin, untimed, and reports the counts
beside the ratios, so that a ratio moved by such a threshold can be told from one moved by
per-test work. The counts are the same run after run (with a fixed hash seed)::

    cd benchmarks/out/suite-2000x200c0
    PYTHONPATH=../.. LEAKWATCH_GC_COUNT_OUT=/tmp/gc.txt python -m pytest -q -p gc_count --leakwatch

Collections are counted from this plugin's import (``-p`` plugins are imported before
setuptools entry points, so before leakwatch's own start-up) to the start of
``pytest_unconfigure``: the collections pytest forces at exit (its unraisable-exception
plugin's) are left out, they are the same in every variant.
"""

from __future__ import annotations

import gc
import os
from typing import Any

import pytest

OUT_VAR = "LEAKWATCH_GC_COUNT_OUT"
_collections = [0, 0, 0]


def _count(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop":
        _collections[info["generation"]] += 1


gc.callbacks.append(_count)


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    out = os.environ.get(OUT_VAR)
    if out:
        with open(out, "w") as f:
            f.write(" ".join(map(str, _collections)) + "\n")
