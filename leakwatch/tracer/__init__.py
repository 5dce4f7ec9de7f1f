"""The tracer: origins (file:line) and tracer-only findings (issue 3).

A sub-plugin of :mod:`leakwatch.plugin`: options here, the work in
:mod:`.core` (wiring), :mod:`.monitor` (sys.monitoring / 3.11 shim),
:mod:`.stale`, :mod:`.lateenv` and :mod:`.patches` (finding kinds). Design and
costs: docs/tracer.md.
"""

from __future__ import annotations

from typing import Any

import pytest

from ..kinds import WARNING, register_kind

register_kind("late-env-patch", WARNING,
              "an env var set by a test after a module read it at import: the change cannot take effect")
register_kind("patch-target-miss", WARNING,
              "a patch replaced a name that other modules hold under their own name: they are untouched")
register_kind("patch-over-mock", WARNING, "a patch whose original is a mock left by an earlier test")
register_kind("stale-code", WARNING, "a test ran a function from before a module's reload")
register_kind("monkeypatch-not-undone", WARNING,
              "a pytest.MonkeyPatch created by hand whose changes were never undone")


def addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("leakwatch")
    group.addoption("--leakwatch-trace", action="store_true", default=False,
                    help="Also trace where it costs or intrudes: stale-code detection on 3.11 "
                         "(sys.setprofile), and live origins of module attribute writes (swaps "
                         "watched modules' __class__ for a subclass).")
    group.addoption("--leakwatch-tracer", default="auto", choices=("auto", "shim", "off"),
                    help="Tracer: auto (sys.monitoring on 3.12+, else the 3.11 shim), shim "
                         "(force the setprofile shim), off (no tracer: the core detector alone).")


class _Hooks:
    """pytest hooks of the tracer: its summary line and its shutdown."""

    def __init__(self, tracer: Any) -> None:
        self.tracer = tracer

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        if hasattr(config, "workerinput") or config.pluginmanager.has_plugin("dsession"):
            return  # xdist: the tests ran in the workers, their tracers' counts are not here
        try:
            terminalreporter.write_line(self.tracer.summary_line())
        except Exception:  # pragma: no cover - never break the run
            pass

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        with self.tracer.collector.guard("tracer"):
            self.tracer.stop()


def register(config: pytest.Config, collector: Any) -> None:
    from .core import Tracer

    mode = str(config.getoption("leakwatch_tracer", "auto") or "auto")
    trace = bool(config.getoption("leakwatch_trace", False))
    if mode == "off":  # the core detector alone (benchmarks/bench_tracer.py compares with it)
        from .. import interceptors

        interceptors.drop_tracer_wrappers()
        return
    tracer = Tracer(collector, mode, trace)
    tracer.start()
    collector.observers.append(tracer)
    collector.report_extras["tracer"] = tracer.describe
    config.pluginmanager.register(_Hooks(tracer), "leakwatch-tracer")
