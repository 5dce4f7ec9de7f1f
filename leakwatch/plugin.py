"""pytest hooks: the only place leakwatch meets pytest.

Data flow (docs/architecture.md): these hooks mark window boundaries ->
the collector polls the probes -> changes become findings -> reporters render
them -> the gate decides the exit code. Without ``--leakwatch`` (or ini
``leakwatch = true``) every hook returns at once and nothing is installed.
"""

from __future__ import annotations

import functools
import sys
import types
from collections.abc import Generator
from typing import Any

import pytest

from . import options as options_mod
from .collector import Collector
from .findings import Owner
from .gate import Gate
from .report import json_report, terminal

#: Sub-plugins: modules with optional ``addoption(parser)``, ``addhooks(pluginmanager)``
#: and ``register(config, collector)``. Each feature lives in its own module.
SUBPLUGINS: tuple[str, ...] = (
    "leakwatch.breadth",
    "leakwatch.tracer",
    "leakwatch.victims",
    "leakwatch.ci",
)

COLLECTOR = pytest.StashKey[Collector]()
GATE = pytest.StashKey[Gate]()
_EARLY = pytest.StashKey[Any]()


def _collector(config: pytest.Config) -> Collector | None:
    return config.stash.get(COLLECTOR, None)


def _subplugins() -> list[types.ModuleType]:
    import importlib

    return [importlib.import_module(name) for name in SUBPLUGINS]


def pytest_addoption(parser: pytest.Parser) -> None:
    options_mod.addoption(parser)
    for module in _subplugins():
        addoption = getattr(module, "addoption", None)
        if addoption is not None:
            addoption(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    for module in _subplugins():
        addhooks = getattr(module, "addhooks", None)
        if addhooks is not None:
            addhooks(pluginmanager)


class _EarlyListener:
    """Keeps the interceptors installed from conftest import until the collector exists."""

    def on_reload(self, module: Any, before: Any, origin: Any) -> None:
        return None

    def current_label(self) -> None:
        return None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser,
                                  args: list[str]) -> None:
    """Install the interceptors before the first conftest.py is imported."""
    try:
        flag = getattr(early_config.known_args_namespace, "leakwatch", None)
        if not (flag or early_config.getini("leakwatch")):
            return
        from . import interceptors

        listener = _EarlyListener()
        interceptors.listen(listener)
        early_config.stash[_EARLY] = listener
    except Exception as exc:  # pragma: no cover - never break start-up
        sys.stderr.write(f"leakwatch internal error (early set-up): {exc!r}\n")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if not options_mod.is_enabled(config):
        return
    opts = options_mod.parse(config)  # UsageError on a bad value: exit 4 before any test
    collector = Collector(opts, str(config.rootpath))
    collector.listen()
    early = config.stash.get(_EARLY, None)
    if early is not None:
        from . import interceptors

        interceptors.unlisten(early)
    config.stash[COLLECTOR] = collector
    config.stash[GATE] = Gate(opts.fail)
    for module in _subplugins():
        register = getattr(module, "register", None)
        if register is not None:
            with collector.guard(module.__name__.rpartition(".")[2]):
                register(config, collector)
    config.addinivalue_line("markers", "leakwatch: leakwatch settings for this test")


def pytest_unconfigure(config: pytest.Config) -> None:
    collector = config.stash.get(COLLECTOR, None)
    if collector is None:
        early = config.stash.get(_EARLY, None)
        if early is not None:
            from . import interceptors

            interceptors.unlisten(early)
        return
    collector.stop()
    gate = config.stash.get(GATE, None)
    if gate is not None and gate.message:
        terminal.final_line(config, gate.message)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    collector = _collector(session.config)
    if collector is not None:
        collector.start()
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None
                            ) -> Generator[None, object, object]:
    collector = _collector(item.config)
    if collector is None:
        return (yield)
    collector.begin_test(item.nodeid)
    try:
        return (yield)
    finally:
        collector.end_test(item.nodeid)  # no-op unless the teardown hook did not close it


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    collector = _collector(item.config)
    if collector is not None:
        collector.set_phase("call")
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None
                            ) -> Generator[None, object, object]:
    collector = _collector(item.config)
    if collector is None:
        return (yield)
    collector.set_phase("teardown")
    try:
        return (yield)
    finally:
        # Close the test's window here, so its findings exist when the teardown
        # report is made (pytest_runtest_makereport: JUnit properties, sections).
        collector.end_test(item.nodeid)


def _fixture_owner(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Owner:
    func = fixturedef.func
    func = getattr(func, "__func__", func) if type(func) is types.MethodType else func
    location = None
    if type(func) is types.FunctionType:
        code = func.__code__
        location = f"{code.co_filename}:{code.co_firstlineno}"
    node = getattr(request, "node", None)
    nodeid = getattr(node, "nodeid", None)
    return Owner("fixture", fixturedef.argname, fixturedef.scope, location,
                 nodeid if isinstance(nodeid, str) else None)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
                         ) -> Generator[None, object, object]:
    collector = _collector(request.config)
    if collector is None or fixturedef.scope == "function":
        return (yield)
    key = id(fixturedef)
    owner = None
    with collector.guard("fixture"):
        owner = _fixture_owner(fixturedef, request)
    if owner is None:
        return (yield)
    collector.fixture_setup_begin(key, owner)
    try:
        return (yield)
    finally:
        collector.fixture_setup_end(key)
        with collector.guard("fixture"):
            fixturedef.addfinalizer(functools.partial(collector.fixture_finalize_begin, key))


def pytest_fixture_post_finalizer(fixturedef: pytest.FixtureDef[Any],
                                  request: pytest.FixtureRequest) -> None:
    collector = _collector(request.config)
    if collector is not None and fixturedef.scope != "function":
        collector.fixture_finalize_end(id(fixturedef))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After pytest's own session teardown: write the report, apply the gate."""
    config = session.config
    collector = _collector(config)
    if collector is None:
        return
    collector.flush()
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        collector.mark_incomplete("session interrupted")
    items = len(getattr(session, "items", []) or [])
    if collector.tests_run < items:
        collector.mark_incomplete(f"{collector.tests_run} of {items} collected tests ran")
    if session.shouldfail or session.shouldstop:
        reason = session.shouldfail or session.shouldstop
        collector.mark_incomplete(f"session stopped early: {reason}")
    report = None
    with collector.guard("json-report"):
        report = json_report.build(collector, config)
    for output in collector.outputs:
        if report is not None:
            with collector.guard(getattr(output, "__name__", "output")):
                output(report, config)
    if report is not None:
        # Rebuilt so that faults in the outputs above are in it too.
        with collector.guard("json-report"):
            report = json_report.build(collector, config)
    if collector.options.report is not None and report is not None:
        with collector.guard("json-report"):
            json_report.write(collector.options.report, report)
    gate = config.stash[GATE]
    new_status = gate.decide(collector, int(session.exitstatus))
    if new_status is not None:
        session.exitstatus = new_status


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    collector = _collector(config)
    if collector is None:
        return
    try:
        terminal.render(terminalreporter, collector, config)
    except Exception as exc:  # pragma: no cover - the reporter must never break the run
        terminalreporter.write_line(f"leakwatch internal error in terminal report: {exc!r}")
