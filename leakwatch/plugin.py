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
from typing import TYPE_CHECKING, Any

import pytest

from . import options as options_mod

if TYPE_CHECKING:  # imported when a session enables leakwatch: an installed plugin that
    # is off must not cost every pytest run its imports (mock, wrapt, ctypes, tabulate)
    from .collector import Collector
    from .findings import Owner
    from .gate import Gate

def _skip_assert_rewriting() -> None:
    """Import leakwatch's own modules with the normal import system.

    pytest rewrites the asserts of every module of a distribution that has a ``pytest11``
    entry point. leakwatch's modules have no asserts worth rewriting, and where bytecode
    is not written (``PYTHONDONTWRITEBYTECODE``, common in CI images) the rewriting hook
    recompiles them from source in every run: about 40 ms here. Uses pytest's private
    ``_must_rewrite`` set; if that changes, this does nothing.
    """
    try:
        for finder in sys.meta_path:
            if type(finder).__name__ == "AssertionRewritingHook":
                must = getattr(finder, "_must_rewrite", None)
                if isinstance(must, set):
                    must.discard(__name__.partition(".")[0])
    except Exception:  # noqa: BLE001 - an optimisation only
        pass


_skip_assert_rewriting()

#: Sub-plugins: modules with optional ``addoption(parser)``, ``addhooks(pluginmanager)``
#: and ``register(config, collector)``. Each feature lives in its own module.
SUBPLUGINS: tuple[str, ...] = (
    "leakwatch.breadth",
    "leakwatch.tracer",
    "leakwatch.victims",
    "leakwatch.ci",
)

COLLECTOR: pytest.StashKey[Collector] = pytest.StashKey()
GATE: pytest.StashKey[Gate] = pytest.StashKey()
_EARLY = pytest.StashKey[Any]()


class _Session:
    """What the per-test hooks need, found by the config's id instead of through
    ``config.stash`` (pytest's ``Stash.get`` is three Python calls, and the hooks asked
    it seven times per test): the collector, and per-test facts computed once."""

    __slots__ = ("config", "collector", "user_hooks", "known_fixtures", "item", "nodeid",
                 "user_code")

    def __init__(self, config: pytest.Config, collector: Collector) -> None:
        self.config = config
        self.collector = collector
        self.user_hooks: bool | None = None  # see _user_hooks
        #: FixtureDef -> whether it is code of the user's (asked for every test).
        self.known_fixtures: dict[Any, bool] = {}
        #: The running test, and whether code of the user's runs in its setup/teardown.
        self.item: pytest.Item | None = None
        self.nodeid = ""  # the running test's (pytest 9 builds item.nodeid at each access)
        self.user_code = True


#: id(config) -> its session state (the config is kept in it and checked: ids are reused).
_SESSIONS: dict[int, _Session] = {}


def _session(config: pytest.Config) -> _Session | None:
    state = _SESSIONS.get(id(config))
    return state if state is not None and state.config is config else None


def _collector(config: pytest.Config) -> Collector | None:
    state = _SESSIONS.get(id(config))
    if state is not None and state.config is config:
        return state.collector
    return None


_BROKEN: set[str] = set()


def _subplugin_failed(name: str, exc: BaseException) -> None:
    """A broken sub-plugin is one stderr line, not a traceback: installed, leakwatch runs in
    every pytest session, enabled or not, and must never be what breaks it."""
    if name not in _BROKEN:
        _BROKEN.add(name)
        sys.stderr.write(f"leakwatch internal error in {name}: {type(exc).__name__}: {exc}; "
                         "that part of leakwatch is off\n")


def _subplugins() -> list[types.ModuleType]:
    import importlib

    modules = []
    for name in SUBPLUGINS:
        if name in _BROKEN:
            continue
        try:
            modules.append(importlib.import_module(name))
        except Exception as exc:  # noqa: BLE001
            _subplugin_failed(name, exc)
    return modules


def _each_subplugin(function: str, *args: Any) -> None:
    """Call ``function(*args)`` of every sub-plugin that has it; a failure is one line."""
    for module in _subplugins():
        fn = getattr(module, function, None)
        if fn is not None:
            try:
                fn(*args)
            except Exception as exc:  # noqa: BLE001
                _subplugin_failed(module.__name__, exc)


def pytest_addoption(parser: pytest.Parser) -> None:
    options_mod.addoption(parser)
    _each_subplugin("addoption", parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    _each_subplugin("addhooks", pluginmanager)


class _EarlyListener:
    """Keeps the interceptors installed from conftest import until the collector exists."""

    current_label = None  # no windows

    def on_reload(self, module: Any, before: Any, origin: Any) -> None:
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
    try:
        opts = options_mod.parse(config)  # UsageError on a bad value: exit 4 before any test
        from .collector import Collector
        from .gate import Gate

        collector = Collector(opts, str(config.rootpath))
    except pytest.UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - a bug of ours must not become a traceback
        _startup_failed(config, exc)
        return
    collector.listen()
    early = config.stash.get(_EARLY, None)
    if early is not None:
        from . import interceptors

        interceptors.unlisten(early)
    config.stash[COLLECTOR] = collector
    _SESSIONS[id(config)] = _Session(config, collector)
    config.stash[GATE] = Gate(opts.fail)
    for module in _subplugins():
        register = getattr(module, "register", None)
        if register is not None:
            with collector.guard(module.__name__.rpartition(".")[2]):
                register(config, collector)
    config.addinivalue_line("markers", "leakwatch: leakwatch settings for this test")


def _drop_getattr_static_cache() -> None:
    """Empty ``inspect.getattr_static``'s class cache, where it holds classes strongly.

    On CPython 3.12.0-3.12.3 (gh-118013, fixed in 3.12.4) that cache is an ``lru_cache``
    keyed by MRO tuples, and pluggy looks each registered plugin object's hooks up with
    ``getattr_static``. Our plugin objects' classes then outlive ``sys.modules`` at
    interpreter shutdown, and through their functions' globals so does the whole session
    (items, test modules): the first shutdown collection frees ~5,000 objects instead of
    ~60,000, and the remaining ~80,000 are traversed once more and freed one by one
    (benchmarks/RESULTS.md, eleventh pass: the shutdown took ~40 ms longer than plain
    pytest's on 2,000 x 200, ~8 ms with this; in every run with the plugin installed,
    enabled or not). It is a cache: emptying it changes no outcome.
    Where the cache holds weak references (3.12.4+, 3.13) or does not exist (3.11),
    nothing is done.
    """
    import inspect

    cached = inspect.__dict__.get("_shadowed_dict_from_mro_tuple")
    clear = getattr(cached, "cache_clear", None)
    if clear is not None:
        try:
            clear()
        except Exception:  # noqa: BLE001  # pragma: no cover - a full cache changes no outcome
            pass


def _startup_failed(config: pytest.Config, exc: BaseException) -> None:
    """One line instead of an INTERNALERROR: the run goes on without leakwatch."""
    import traceback

    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" ({where[0].filename}:{where[0].lineno})" if where else ""
    sys.stderr.write(f"leakwatch internal error in start-up: {type(exc).__name__}: {exc}{at}; "
                     "leakwatch is off for this run\n")
    early = config.stash.get(_EARLY, None)
    if early is not None:
        from . import interceptors

        interceptors.unlisten(early)
        del config.stash[_EARLY]


def pytest_unconfigure(config: pytest.Config) -> None:
    _drop_getattr_static_cache()
    if _session(config) is not None:
        del _SESSIONS[id(config)]
    collector = config.stash.get(COLLECTOR, None)
    if collector is None:
        early = config.stash.get(_EARLY, None)
        if early is not None:
            from . import interceptors

            interceptors.unlisten(early)
        return
    collector.stop()
    collector.release()
    gate = config.stash.get(GATE, None)
    if gate is not None and gate.message:
        from .report import terminal

        terminal.final_line(config, gate.message)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    state = _session(session.config)
    if state is not None:
        needed = True
        with state.collector.guard("fixture"):
            needed = _fixture_windows_needed(session, state)
        pm = session.config.pluginmanager
        if needed and not pm.has_plugin("leakwatch-fixtures"):
            pm.register(_FixtureWindows(), "leakwatch-fixtures")
        state.collector.start()
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None
                            ) -> Generator[None, object, object]:
    state = _SESSIONS.get(id(item.config))
    if state is None or state.config is not item.config:
        return (yield)
    collector = state.collector
    nodeid = item.nodeid
    state.item, state.nodeid, state.user_code = item, nodeid, True
    try:  # the guard, inlined (per test); it runs no code of the user's
        state.user_code = _runs_user_fixtures(item, state)
    except Exception as exc:  # noqa: BLE001
        collector.record_error("phase", exc)
    collector.begin_test(nodeid, functools.partial(_item_codes, item), not state.user_code)
    try:
        return (yield)
    finally:
        # Only where the teardown hook did not close the window (end_test's own first check,
        # read here: after a normal teardown the stack is empty, and no call is made).
        if collector.stack:
            collector.end_test(state.nodeid if state.item is item else item.nodeid)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    # A plain impl, not a wrapper: nothing is needed after the call (cheaper per test).
    state = _SESSIONS.get(id(item.config))
    if state is not None and state.config is item.config and (
            state.user_code or state.item is not item):
        # A boundary only where code of the user's runs around the call (computed at the
        # test's start): a test with pytest's fixtures only is in its "call" phase already.
        state.collector.set_phase("call")


_HOOKS_AROUND = ("pytest_runtest_setup", "pytest_runtest_teardown")


def _is_ours(module: str) -> bool:
    return module.startswith(("_pytest.", "pytest.", "pluggy.", "leakwatch.")) or module in (
        "_pytest", "pytest", "leakwatch")


def _user_hooks(config: pytest.Config, state: _Session) -> bool:
    """Some plugin or conftest other than pytest's and ours implements the setup or
    teardown hook (computed once: every conftest is loaded by the first test)."""
    cached = state.user_hooks
    if cached is None:
        cached = False
        for name in _HOOKS_AROUND:
            for impl in getattr(config.pluginmanager.hook, name).get_hookimpls():
                module = getattr(impl.function, "__module__", None)
                if type(module) is not str or not _is_ours(module):
                    cached = True
        state.user_hooks = cached
    return cached


def _is_user_fixture(name: str, fixturedef: Any) -> bool:
    if fixturedef.scope != "function":
        return False  # wider fixtures have windows of their own
    return _is_user_code(name, fixturedef)


def _is_user_code(name: str, fixturedef: Any) -> bool:
    """A fixture not of pytest's own (xunit ``setup_*`` and unittest ``setUp*`` ones,
    which pytest makes, run the user's methods)."""
    func: Any = fixturedef.func
    if type(func) is types.MethodType:
        func = func.__func__
    module = func.__module__ if type(func) is types.FunctionType else None
    return type(module) is not str or not module.startswith("_pytest.") or name.startswith(
        ("_xunit_setup", "_unittest_"))


def _runs_user_fixtures(item: pytest.Item, state: _Session) -> bool:
    """Whether code of the user's runs in this test's setup or teardown.

    When only pytest's own function-scoped fixtures (``monkeypatch``, ``tmp_path``,
    ``capsys`` ...) run there, the probes need not be read at the setup/call and
    call/teardown boundaries: whatever changed was changed by the test body. Wider
    fixtures are not asked about: they have windows of their own. Anything unknown
    (an item type of a plugin, an xunit ``setup_method``) counts as user code. Other
    hooks that run inside the window (``pytest_runtest_logreport`` of a conftest, say)
    do not count: what they change is still this test's, dated ``call``.
    """
    hooks = state.user_hooks  # _user_hooks(), its cached answer read inline (per test)
    if type(item) is not pytest.Function or (
            hooks if hooks is not None else _user_hooks(item.config, state)):
        return True
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return True
    known = state.known_fixtures
    for name, defs in info.name2fixturedefs.items():
        for fixturedef in defs:  # FixtureDef hashes by identity
            user = known.get(fixturedef)
            if user is None:
                user = known[fixturedef] = _is_user_fixture(name, fixturedef)
            if user:
                return True
    return False


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None
                            ) -> Generator[None, object, object]:
    state = _SESSIONS.get(id(item.config))
    if state is None or state.config is not item.config:
        return (yield)
    collector = state.collector
    if state.user_code or state.item is not item:  # as in pytest_runtest_call
        collector.set_phase("teardown")
    try:
        return (yield)
    finally:
        # Close the test's window here, so its findings exist when the teardown
        # report is made (pytest_runtest_makereport: JUnit properties, sections).
        collector.end_test(state.nodeid if state.item is item else item.nodeid)


def _item_codes(item: pytest.Item) -> list[types.CodeType]:
    """Code of the test function, then of the fixtures it uses (for static origins)."""
    from .static_origin import function_code

    codes = []
    code = function_code(getattr(item, "obj", None))
    if code is not None:
        codes.append(code)
    info = getattr(item, "_fixtureinfo", None)
    for defs in getattr(info, "name2fixturedefs", {}).values():
        for fixturedef in defs:
            code = function_code(fixturedef.func)
            if code is not None and code not in codes:
                codes.append(code)
    return codes


def _fixture_codes(fixturedef: pytest.FixtureDef[Any]) -> list[types.CodeType]:
    from .static_origin import function_code

    code = function_code(fixturedef.func)
    return [code] if code is not None else []


def _fixture_owner(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Owner:
    from .findings import Owner

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


class _FixtureWindows:
    """Opens a window for each wider-scoped fixture (its setup, its teardown).

    A plugin of its own, registered at the start of the test loop only when some test can
    set up such a fixture (:func:`_fixture_windows_needed`): these hooks run for every
    fixture of every test, function-scoped ones included, which a suite without a wider
    fixture would pay for nothing.
    """

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_fixture_setup(self, fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
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
        collector.fixture_setup_begin(key, owner, functools.partial(_fixture_codes, fixturedef))
        try:
            return (yield)
        finally:
            collector.fixture_setup_end(key)
            with collector.guard("fixture"):
                fixturedef.addfinalizer(functools.partial(collector.fixture_finalize_begin, key))

    def pytest_fixture_post_finalizer(self, fixturedef: pytest.FixtureDef[Any],
                                      request: pytest.FixtureRequest) -> None:
        collector = _collector(request.config)
        if collector is not None and fixturedef.scope != "function":
            collector.fixture_finalize_end(id(fixturedef))


def _fixture_windows_needed(session: pytest.Session, state: _Session) -> bool:
    """Whether any test of the session can set up a fixture wider than the function.

    Yes when one is in a test's fixture closure (autouse and ``usefixtures`` included),
    and whenever it cannot be ruled out: an item that is not a plain test function, a
    conftest or plugin with setup/teardown hooks, or code of the user's that asks for
    ``request`` (it could call ``request.getfixturevalue`` on a wider fixture). pytest's
    own function-scoped fixtures asking for ``request`` (``tmp_path``) do not count.
    """
    if _user_hooks(session.config, state):
        return True
    known: dict[Any, bool] = {}
    for item in session.items:
        if type(item) is not pytest.Function:
            return True
        info = getattr(item, "_fixtureinfo", None)
        if info is None or "request" in info.argnames:
            return True
        for name, defs in info.name2fixturedefs.items():
            for fixturedef in defs:
                needs = known.get(fixturedef)
                if needs is None:
                    needs = known[fixturedef] = fixturedef.scope != "function" or (
                        "request" in fixturedef.argnames and _is_user_code(name, fixturedef))
                if needs:
                    return True
    return False


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
    # An xdist worker collects every test but runs only its share: no "N of M ran" there.
    worker = hasattr(config, "workerinput")
    items = 0 if worker else len(getattr(session, "items", []) or [])
    if collector.tests_run < items:
        collector.mark_incomplete(f"{collector.tests_run} of {items} collected tests ran")
    if session.shouldfail or session.shouldstop:
        reason = session.shouldfail or session.shouldstop
        collector.mark_incomplete(f"session stopped early: {reason}")
    if not worker and collector.options.report is None and not _report_wanted(collector):
        _apply_gate(session, collector)  # nothing reads a report: it is not built
        return
    from .report import json_report

    report = None
    errors = len(collector.errors)
    with collector.guard("json-report"):
        report = json_report.build(collector, config)
    for output in collector.outputs:
        if report is not None:
            with collector.guard(getattr(output, "__name__", "output")):
                output(report, config)
    if report is not None and len(collector.errors) != errors:
        # A report extra or an output failed: rebuild so it says so (complete: false).
        with collector.guard("json-report"):
            report = json_report.build(collector, config)
    if report is None:  # building it failed: still leave a valid, incomplete report behind
        with collector.guard("json-report fallback"):
            report = _minimal_report(collector, config)
    if worker:
        return  # the xdist controller merges, writes the report and applies the gate
    if collector.options.report is not None and report is not None:
        with collector.guard("json-report"):
            json_report.write(collector.options.report, report)
    _apply_gate(session, collector)


def _report_wanted(collector: Collector) -> bool:
    """Whether an output will read the report (building it reads every test's outcome:
    ~5 ms at 2,000 tests, for nothing in a plain ``pytest --leakwatch``)."""
    wanted = True
    with collector.guard("json-report"):
        wanted = any(want() for want in collector.report_wanted)
    return wanted


def _apply_gate(session: pytest.Session, collector: Collector) -> None:
    gate = session.config.stash[GATE]
    new_status = None
    with collector.guard("gate"):
        new_status = gate.decide(collector, int(session.exitstatus))
    if new_status is not None:
        session.exitstatus = new_status


def _minimal_report(collector: Collector, config: pytest.Config) -> dict[str, Any]:
    """The schema's required fields only, from plain collector data: what a reader of an
    incomplete run needs (which findings were made, which component failed and why)."""
    import datetime
    import platform

    from . import __version__
    from .report import json_report

    leaks = []
    for finding in collector.findings:
        try:
            leaks.append(finding.to_json())
        except Exception:  # noqa: BLE001 - keep the others
            continue
    iso = datetime.datetime.fromtimestamp(collector.started, datetime.UTC).isoformat()
    counts = {s: sum(1 for f in leaks if f["severity"] == s) for s in ("leak", "warning", "info")}
    return {
        "schema_version": json_report.SCHEMA_VERSION,
        "tool": {"name": "leakwatch", "version": __version__},
        "complete": False,
        "incomplete_reasons": list(collector.incomplete_reasons) or ["report could not be built"],
        "run": {"started": iso, "finished": iso, "duration_s": 0, "python": platform.python_version(),
                "pytest": pytest.__version__, "rootdir": str(config.rootpath),
                "args": [str(a) for a in config.invocation_params.args], "core": collector.core_name(),
                "watched_modules": 0, "depth": collector.options.depth,
                "values_shown": collector.options.show_values},
        "summary": {"tests_run": collector.tests_run, "findings": len(leaks), **counts,
                    "by_kind": {}, "tests_with_leaks": []},
        "leaks": leaks,
        "errors": [{"component": e.component, "message": e.message} for e in collector.errors],
    }


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    collector = _collector(config)
    if collector is None or hasattr(config, "workerinput"):  # xdist: the controller prints
        return
    try:
        from .report import terminal

        terminal.render(terminalreporter, collector, config)
    except Exception as exc:  # pragma: no cover - the reporter must never break the run
        terminalreporter.write_line(f"leakwatch internal error in terminal report: {exc!r}")
