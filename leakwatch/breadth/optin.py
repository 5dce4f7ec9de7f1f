"""Opt-in probes, off by default because they cost more than a few µs per test.

* ``random`` -- the global ``random`` generator's state (``random.getstate()``,
  ~17 µs): a test that seeds or draws from it changes what later tests draw.
  Severity warning. Restore puts the state back.
* ``fds`` -- open file descriptors (``os.listdir('/proc/self/fd')``, ~16 µs;
  Linux only). Not restorable (closing a descriptor someone holds is unsafe).
* ``files`` -- entries created or deleted directly in the rootdir and the cwd
  (one ``os.scandir`` each, ~10-50 µs depending on the directory). Not restored.
"""

from __future__ import annotations

import os
import random
from typing import Any

from ..changes import MISSING
from .slots import Slot
from .surfaces import NOT_RESTORABLE


def _random_state() -> Any:
    return random.getstate()


def _set_random_state(before: Any) -> None:
    if type(before) is tuple:
        random.setstate(before)


def _describe_random(before: Any, after: Any) -> str:
    return "global random state changed (seeded or drawn from)"


def _fds() -> Any:
    try:
        return frozenset(os.listdir("/proc/self/fd"))
    except OSError:
        return None


def _describe_set(label: str) -> Any:
    def describe(before: Any, after: Any) -> str:
        b = before if type(before) is frozenset else frozenset()
        a = after if type(after) is frozenset else frozenset()
        added, removed = sorted(a - b), sorted(b - a)
        parts = []
        if added:
            parts.append(f"+{len(added)} ({', '.join(added[:5])})")
        if removed:
            parts.append(f"-{len(removed)} ({', '.join(removed[:5])})")
        return f"{label}: " + (", ".join(parts) or "changed")

    return describe


def _entries(directory: str) -> Any:
    def read() -> Any:
        try:
            with os.scandir(directory) as it:
                return frozenset(e.name for e in it if e.name != "__pycache__")
        except OSError:
            return MISSING

    return read


def optin_slots(names: list[str], rootdir: str) -> list[Slot]:
    slots: list[Slot] = []
    if "random" in names:
        slots.append(Slot("random.getstate()", "random-state", _random_state, "eq", _set_random_state,
                          _describe_random))
    if "fds" in names:
        slots.append(Slot("open file descriptors", "file-descriptor", _fds, "eq", None,
                          _describe_set("file descriptors"), at_marks=False,
                          detail={NOT_RESTORABLE: "not restorable: leakwatch never closes descriptors"}))
    if "files" in names:
        directories = {os.path.abspath(rootdir), os.path.abspath(os.getcwd())}
        for directory in sorted(directories):
            slots.append(Slot(f"files in {directory}", "files", _entries(directory), "eq", None,
                              _describe_set("entries"), at_marks=False,
                              detail={NOT_RESTORABLE: "not restorable: leakwatch never deletes "
                                                      "or recreates files"}))
    return slots
