"""Process-wide surfaces beyond env/sys.modules/watched modules, the probe API, restore (issue 5).

A sub-plugin of :mod:`leakwatch.plugin`: ``addoption`` adds ``--leakwatch-restore``
and the opt-in probe switch, ``addhooks`` the ``pytest_leakwatch_probes`` hook,
``register`` (leakwatch enabled, before the baseline) adds the probes to the
collector and, with ``--leakwatch-restore``, the restorer. See docs/probes.md.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from . import kinds as _kinds  # noqa: F401 - registers the finding kinds at import
from .names import OPT_IN

__all__ = ["addoption", "addhooks", "register"]


def addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("leakwatch")
    group.addoption("--leakwatch-restore", action="store_true", default=None,
                    help="After a test or fixture leaks, put back what can safely be put back "
                         "(the report still lists it, restored: true).")
    group.addoption("--leakwatch-probes", default=None, metavar="NAMES",
                    help="Opt-in probes, comma-separated: " + ", ".join(OPT_IN) +
                         " (each costs 10-50 µs per test; docs/probes.md).")
    parser.addini("leakwatch_restore", "Restore leaked state after each test (like "
                  "--leakwatch-restore).", type="bool", default=False)
    parser.addini("leakwatch_probes", "Opt-in probes: " + ", ".join(OPT_IN) + ".",
                  type="linelist", default=[])


def addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import hookspec

    pluginmanager.add_hookspecs(hookspec)
    if pluginmanager.get_plugin("leakwatch-breadth-options") is None:
        pluginmanager.register(_OptionCheck(), "leakwatch-breadth-options")


class _OptionCheck:
    """Validates this sub-plugin's options where a bad value can still be a usage error
    (exit 4): ``register`` runs under the collector's guard, which contains errors."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        from ..options import is_enabled

        if is_enabled(config):
            _optin_names(config)


def _optin_names(config: pytest.Config) -> list[str]:
    raw = config.getoption("leakwatch_probes", None)
    names = [n.strip() for n in raw.split(",")] if raw else []
    names += [n.strip() for n in config.getini("leakwatch_probes")]
    names = [n for n in names if n]
    unknown = [n for n in names if n not in OPT_IN]
    if unknown:
        raise pytest.UsageError(f"--leakwatch-probes: unknown probe(s) {', '.join(unknown)}; "
                                f"known: {', '.join(OPT_IN)}")
    return names


def register(config: pytest.Config, collector: Any) -> None:
    names = _optin_names(config)
    pytest_restores_warnings = config.pluginmanager.has_plugin("warnings")
    plugin = _DeferredStart(config, collector, names, pytest_restores_warnings)
    config.pluginmanager.register(plugin, "leakwatch-breadth")


class _DeferredStart:
    """Adds the probes when the run starts (after collection, before the baseline).

    The dict probes need the collector's version core, which exists only once the
    collector starts, and third-party probes may come from conftests found during
    collection. This plugin's ``pytest_runtestloop`` wrapper runs before
    leakwatch's own (registered later, so called first).
    """

    def __init__(self, config: pytest.Config, collector: Any, optin: list[str],
                 pytest_restores_warnings: bool) -> None:
        self.config = config
        self.collector = collector
        self.optin = optin
        self.pytest_restores_warnings = pytest_restores_warnings
        self.restorer: Any = None
        if config.getoption("leakwatch_restore", None) or config.getini("leakwatch_restore"):
            from .restore import Restorer

            self.restorer = Restorer(collector)
            collector.observers.append(self.restorer)
            config.pluginmanager.register(_RestoreFixtures(collector, self.restorer),
                                          "leakwatch-restore-fixtures")

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        with self.collector.guard("breadth"):
            self._add_probes()
        return (yield)

    def _add_probes(self) -> None:
        from . import thirdparty
        from .dicts import DictsProbe, builtins_probe, importer_cache_probe
        from .logging_state import LoggingProbe
        from .optin import optin_slots
        from .surfaces import SignalsProbe, SlotProbe, process_slots
        from .threads import ThreadsProbe

        collector = self.collector
        core = _core(collector)
        slots = process_slots(self.pytest_restores_warnings, _first_imports(collector))
        slots += optin_slots(self.optin, collector.rootdir)
        in_fixture = _in_fixture(collector)
        dicts = DictsProbe(core, [builtins_probe(core), importer_cache_probe(core, _watched(collector))])
        probes: list[Any] = [SlotProbe(slots, in_fixture), SignalsProbe(), ThreadsProbe(core, in_fixture),
                             LoggingProbe(core), dicts]
        collector.extra_probes.extend(probes)
        collector.extra_probes.extend(thirdparty.load(self.config, collector.guard))

class _RestoreFixtures:
    """Notes the ``MonkeyPatch`` a wider fixture returns, so that restore leaves what it
    will undo alone. Registered only with ``--leakwatch-restore``: fixture hooks run for
    every fixture of every test."""

    def __init__(self, collector: Any, restorer: Any) -> None:
        self.collector = collector
        self.restorer = restorer

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[Any],
                             request: pytest.FixtureRequest) -> Generator[None, object, object]:
        result = yield
        if fixturedef.scope != "function":
            with self.collector.guard("restore"):
                from _pytest.monkeypatch import MonkeyPatch

                from .. import safe

                if MonkeyPatch in safe.mro(type(result)):
                    self.restorer.monkeypatches[id(fixturedef)] = result
        return result

    def pytest_fixture_post_finalizer(self, fixturedef: pytest.FixtureDef[Any]) -> None:
        self.restorer.monkeypatches.pop(id(fixturedef), None)


class _CollectorCore:
    """The collector's change-detection core, looked up at each call.

    These probes are built before the collector creates its core (in ``start()``, which
    then starts them), and one core per session matters: the dict-watcher core holds one
    of CPython's eight dict-watcher slots.
    """

    def __init__(self, collector: Any) -> None:
        self.collector = collector

    @property
    def name(self) -> str:
        return str(self.collector.core.name)

    def add(self, d: dict[Any, Any]) -> Any:
        return self.collector.core.add(d)

    def add_unlogged(self, d: dict[Any, Any]) -> Any:
        return self.collector.core.add_unlogged(d)

    def changed(self, handles: list[Any]) -> list[int]:
        # Asked several times per test: from the first call on, the core's own method
        # answers (an instance attribute shadows this one), without this extra frame.
        core = self.collector.core
        if core is not None:
            self.changed = core.changed  # type: ignore[method-assign]
        return core.changed(handles)  # type: ignore[no-any-return]

    def batch(self, handles: list[Any], previous: Any = None) -> Any:
        return self.collector.core.batch(handles, previous)

    def accept(self, handle: Any) -> None:
        self.collector.core.accept(handle)

    def version(self, handle: Any) -> int | None:
        return self.collector.core.version(handle)  # type: ignore[no-any-return]

    def marker(self) -> int | None:
        return self.collector.core.marker()  # type: ignore[no-any-return]


def _core(collector: Any) -> Any:
    return _CollectorCore(collector)


def _in_fixture(collector: Any) -> Any:
    def in_fixture() -> bool:
        stack = collector.stack
        return bool(stack) and stack[-1].owner.type == "fixture"

    return in_fixture


def _first_imports(collector: Any) -> Any:
    """Modules the core's sys.modules probe saw first imported in the window just polled
    (it polls before the breadth probes)."""

    def first_imports() -> set[str]:
        for probe in collector.probes:
            if probe.name == "sys.modules":
                return set(getattr(probe, "first_imports", ()))
        return set()

    return first_imports


def _watched(collector: Any) -> Any:
    import sys

    def is_watched_module(name: str) -> bool:
        module = sys.modules.get(name)
        return module is not None and bool(collector.filter(name, module))

    return is_watched_module
