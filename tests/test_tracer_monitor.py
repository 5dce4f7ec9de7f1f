"""The monitoring protocol: both cores pass the same tests (the coverage.py pattern)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from types import CodeType, FrameType
from typing import Any

import pytest

from leakwatch.tracer.monitor import FREE_TOOL_IDS, Monitor, ProfileShim, SysMonitoring, make

CORES = ["shim"] + (["monitoring"] if sys.version_info >= (3, 12) else [])


def _armed_fn(x: int) -> int:
    return x + 1


def _other_fn(x: int) -> int:
    return x - 1


def _caller() -> int:
    return _armed_fn(1)


@pytest.fixture(params=CORES)
def core(request: pytest.FixtureRequest) -> Iterator[tuple[Monitor, list[tuple[CodeType, Any]]]]:
    if request.param == "shim" and (sys.getprofile() is not None and sys.gettrace() is not None):
        pytest.skip("both trace slots are taken by another tool (coverage/debugger)")
    monitor: Monitor = ProfileShim() if request.param == "shim" else SysMonitoring()
    seen: list[tuple[CodeType, Any]] = []

    def callback(code: CodeType, frame: FrameType) -> None:
        seen.append((code, frame.f_back.f_code.co_name if frame.f_back else None))

    monitor.start(callback)
    if monitor.degraded:
        pytest.skip(f"core degraded here: {monitor.degraded}")
    try:
        yield monitor, seen
    finally:
        monitor.stop()


def test_only_armed_code_fires(core: tuple[Monitor, list[tuple[CodeType, Any]]]) -> None:
    monitor, seen = core
    for i in range(100):
        _other_fn(i)
    assert monitor.events == 0
    monitor.arm(_armed_fn.__code__)
    _caller()
    for i in range(100):
        _other_fn(i)
    monitor.disarm(_armed_fn.__code__)
    _caller()
    assert monitor.events == 1
    assert seen == [(_armed_fn.__code__, "_caller")]
    assert monitor.armed() == 0


def test_identity_not_equality(core: tuple[Monitor, list[tuple[CodeType, Any]]]) -> None:
    """A reload's fresh code equals the stale code; only the armed object may fire."""
    monitor, seen = core
    ns_old: dict[str, Any] = {}
    ns_new: dict[str, Any] = {}
    src = "def f(x):\n    return x * 2\n"
    exec(compile(src, "<same>", "exec"), ns_old)
    exec(compile(src, "<same>", "exec"), ns_new)
    assert ns_old["f"].__code__ == ns_new["f"].__code__
    assert ns_old["f"].__code__ is not ns_new["f"].__code__
    monitor.arm(ns_old["f"].__code__)
    ns_new["f"](1)
    assert monitor.events == 0
    ns_old["f"](1)
    assert monitor.events == 1
    monitor.disarm(ns_old["f"].__code__)


def test_shim_never_drops_an_existing_profile_function() -> None:
    if sys.getprofile() is not None or sys.gettrace() is not None:
        pytest.skip("a profiler/tracer is active in this process")
    calls: list[str] = []

    def other(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code is _other_fn.__code__:
            calls.append(event)

    sys.setprofile(other)
    try:
        shim = ProfileShim()
        shim.start(lambda code, frame: None)
        shim.arm(_armed_fn.__code__)
        assert sys.getprofile() is other and shim.slot == "trace"
        _caller()
        _other_fn(1)
        assert shim.events == 1 and calls == ["call"]
        shim.stop()
        assert sys.getprofile() is other and sys.gettrace() is None
        sys.settrace(other)  # both slots taken: degrade, touch nothing
        shim2 = ProfileShim()
        shim2.start(lambda code, frame: None)
        shim2.arm(_armed_fn.__code__)
        assert shim2.degraded and shim2.armed() == 0
        shim2.stop()
        assert sys.gettrace() is other and sys.getprofile() is other
    finally:
        sys.settrace(None)
        sys.setprofile(None)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is 3.12+")
def test_monitoring_never_steals_a_tool_id() -> None:
    mon: Any = getattr(sys, "monitoring")  # noqa: B009
    taken = []
    for tool in FREE_TOOL_IDS:
        if mon.get_tool(tool) is None:
            mon.use_tool_id(tool, "someone-else")
            taken.append(tool)
    try:
        core = SysMonitoring()
        core.start(lambda code, frame: None)
        assert core.tool_id is None and core.degraded
        core.arm(_armed_fn.__code__)
        _caller()
        assert core.events == 0
        core.stop()
        for tool in (0, 1, 2, 5):
            assert mon.get_tool(tool) != "leakwatch"
    finally:
        for tool in taken:
            mon.free_tool_id(tool)


def test_make_picks_the_core_for_this_python() -> None:
    assert make("shim").name == "profile-shim"
    expected = "sys.monitoring" if sys.version_info >= (3, 12) else "profile-shim"
    assert make("auto").name == expected
