"""What leakwatch's process-wide wrappers add to each operation they wrap, hot, in µs.

The tracer's wrappers (leakwatch/interceptors.py) sit on ``os.putenv``/``os.unsetenv``,
``os._Environ.__getitem__``, the ``unittest.mock`` patchers and ``MonkeyPatch.__init__``:
every test that uses ``monkeypatch`` or ``patch`` goes through some of them, and pytest
writes its own env key in every phase. This times each operation with the wrappers off and
on (a listener registered, as a session does), in one process:

    python benchmarks/wrappers.py

Hot loops: the numbers are a floor. In a run each operation is cold (pytest's work between
tests evicts it), and costs two to three times as much (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import os
import sys
import timeit
import types
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from _pytest import monkeypatch as pytest_monkeypatch


def _operations() -> dict[str, Callable[[], Any]]:
    target = types.ModuleType("lw_bench_wrappers_target")
    target.f = lambda: 1  # type: ignore[attr-defined]
    sys.modules[target.__name__] = target
    # MonkeyPatch() as the fixture makes it: called from pytest's monkeypatch.py.
    space: dict[str, Any] = {"MonkeyPatch": pytest.MonkeyPatch}
    exec(compile("def from_fixture():\n    return MonkeyPatch()\n", pytest_monkeypatch.__file__,
                 "exec"), space)

    def set_and_pop_pytest_key() -> None:
        os.environ["PYTEST_CURRENT_TEST"] = "x"
        os.environ.pop("PYTEST_CURRENT_TEST")

    def set_and_delete_user_key() -> None:
        os.environ["LW_BENCH_WRAPPERS"] = "x"
        del os.environ["LW_BENCH_WRAPPERS"]

    def patch_and_unpatch() -> None:
        patcher = mock.patch(f"{target.__name__}.f", new=1)
        patcher.__enter__()
        patcher.__exit__(None, None, None)

    return {
        "MonkeyPatch() by the fixture": space["from_fixture"],
        "MonkeyPatch() by hand": pytest.MonkeyPatch,
        "os.environ[pytest's key] = v": lambda: os.environ.__setitem__("PYTEST_CURRENT_TEST", "x"),
        "pytest's key set and popped": set_and_pop_pytest_key,
        "os.environ.get(missing key)": lambda: os.environ.get("LW_BENCH_WRAPPERS_MISSING"),
        "a user key set and deleted": set_and_delete_user_key,
        "patch entered and exited": patch_and_unpatch,
    }


def _time(operations: dict[str, Callable[[], Any]], number: int = 2000) -> dict[str, float]:
    return {name: min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6
            for name, fn in operations.items()}


class _Listener:
    """A listener without windows, as the tracer is: no label is asked."""

    current_label = None

    def on_reload(self, *args: Any) -> None:
        return None


def main() -> int:
    from leakwatch import interceptors

    operations = _operations()
    off = _time(operations)
    listener = _Listener()
    interceptors.listen(listener)
    try:
        on = _time(operations)
    finally:
        interceptors.unlisten(listener)
    print(f"Python {sys.version.split()[0]}: µs per operation, hot (best of 5 x 2,000)")
    print("| operation | wrappers off | on | added |")
    print("| --- | --- | --- | --- |")
    for name in operations:
        print(f"| {name} | {off[name]:.2f} | {on[name]:.2f} | +{on[name] - off[name]:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
