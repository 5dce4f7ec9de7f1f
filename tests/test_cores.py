"""The change-detection cores agree with each other and with a naive full fingerprint."""

from __future__ import annotations

import fnmatch
import sys
from typing import Any

import pytest
from conftest import APP, Suite
from hypothesis import given, settings
from hypothesis import strategies as st

from leakwatch import ignore
from leakwatch.changes import MISSING
from leakwatch.graph import WatchGraph
from leakwatch.ignore import DEFAULT_IGNORED_NAMES, IgnoreRules
from leakwatch.versions import CopyCompare, DictWatchers, VersionTags, best_core

CORES: list[Any] = [CopyCompare, VersionTags]
if sys.version_info >= (3, 12):
    CORES.append(DictWatchers)


@pytest.mark.parametrize("core_type", CORES)
def test_core_detects_every_mutation(core_type: Any) -> None:
    core = core_type()
    d: dict[str, Any] = {"a": 1}
    other: dict[str, Any] = {}
    handle = core.add(d)
    batch = core.batch([core.add(other), handle])
    assert core.changed([handle]) == [] and batch.changed() == []
    for mutate in (lambda: d.__setitem__("b", 2), lambda: d.pop("a"), lambda: d.update(c=3),
                   lambda: d.__setitem__("c", object()), lambda: d.clear()):
        mutate()
        assert core.changed([handle]) == [0]
        assert batch.changed() == [1]
        core.accept(handle)
        batch.sync([1])
        assert core.changed([handle]) == [] and batch.changed() == []


def test_version_markers_order_changes() -> None:
    core = VersionTags()
    d: dict[str, int] = {}
    handle = core.add(d)
    m1 = core.marker()
    d["x"] = 1
    m2 = core.marker()
    assert m1 < core.version(handle) < m2


def test_best_core_and_forcing() -> None:
    assert best_core().name == ("dict-watcher" if sys.version_info >= (3, 12) else "version-tag")
    assert best_core("copy-compare").name == "copy-compare"


def _module(name: str, **attrs: Any) -> Any:
    import types

    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    return m


@pytest.mark.parametrize("core_type", CORES)
def test_graph_poll_finds_changes_at_depth(core_type: Any) -> None:
    class Client:
        def __init__(self) -> None:
            self.flag = False

    class Service:
        def __init__(self) -> None:
            self.client = Client()
            self.items: list[int] = []

    Client.__module__ = Service.__module__ = "fake_mod"
    mod = _module("fake_mod", service=Service(), REG={}, Service=Service)
    graph = WatchGraph(core_type(), IgnoreRules(), max_depth=2)
    graph.add_module("fake_mod", mod)
    assert graph.poll() == []
    mod.service.client.flag = True
    mod.service.items.append(1)
    mod.REG["k"] = 1
    Service.extra = 1
    found = {c.subject: (c.before, c.after) for c in graph.poll()}
    assert found["fake_mod.service.client.flag"] == (False, True)
    assert "fake_mod.service.items" in found
    assert found["fake_mod.REG['k']"] == (MISSING, 1)
    assert found["fake_mod.Service.extra"] == (MISSING, 1)
    assert graph.poll() == []


def test_same_findings_with_either_core(app_suite: Suite) -> None:
    """The optimised core finds exactly what the naive full fingerprint finds."""
    app_suite.files(**{"test_mix.py": """
        import os, sys, importlib
        from unittest.mock import patch, MagicMock
        from app import runner

        def test_a(monkeypatch):
            monkeypatch.setenv("OK", "1")
            os.environ["LEAK"] = "1"
        def test_b():
            patch("app.runner.log_event").start()
            runner.ComponentRegistry._components["x"] = 1
        def test_c():
            runner.service.client.connected = True
            runner.service.items.append(2)
            sys.modules["fake"] = MagicMock()
        def test_d():
            importlib.reload(runner)
        def test_e():
            with patch.object(runner.ComponentRegistry, "load_specs"):
                pass
    """})
    naive = app_suite.run("--leakwatch-core=copy-compare")
    assert naive.report and naive.report["run"]["core"] == "copy-compare"

    def key(run: Any) -> list[tuple[str, str, str, str]]:
        return sorted((f["test"], f["kind"], f["subject"], f["phase"]) for f in run.leaks)

    assert len(naive.leaks) >= 7
    cores = ["version-tag"] + (["dict-watcher"] if sys.version_info >= (3, 12) else [])
    for core in cores:
        fast = app_suite.run(f"--leakwatch-core={core}")
        assert fast.report and fast.report["run"]["core"] == core
        assert key(fast) == key(naive), core


def test_app_fixture_is_shared() -> None:
    assert "app/runner.py" in APP


def test_demo_suite_same_findings_with_every_core(pytester: pytest.Pytester) -> None:
    """The examples/ demo (every failure pattern) under each core: identical findings."""
    import json
    import shutil
    from pathlib import Path

    demo = Path(__file__).parent.parent / "examples"
    shutil.copytree(demo, pytester.path / "examples")
    results = {}
    cores = ["copy-compare", "version-tag"] + (["dict-watcher"] if sys.version_info >= (3, 12) else [])
    for core in cores:
        report = pytester.path / f"{core}.json"
        result = pytester.runpytest_subprocess(
            "--leakwatch", f"--leakwatch-core={core}", f"--leakwatch-report={report}",
            "-p", "no:cacheprovider", str(pytester.path / "examples"))
        assert result.ret == 0
        data = json.loads(report.read_text())
        results[core] = sorted((f["test"], f["kind"], f["subject"], f["phase"], f["severity"])
                               for f in data["leaks"])
    assert len(results["copy-compare"]) >= 6
    for core in cores:
        assert results[core] == results["copy-compare"], core


@pytest.mark.parametrize("core_type", CORES)
def test_an_unlogged_handle_is_checked_by_its_tag_and_logs_nothing(core_type: Any) -> None:
    """``add_unlogged`` (os.environ's backing dict, sys.modules): ``changed`` still says
    when it moved; with the dict-watcher core its writes no longer go to the log that the
    graph's batch reads (pytest writes its own env key four times per test)."""
    from leakwatch import versions

    core = core_type()
    d: dict[str, Any] = {"a": 1}
    handle = core.add_unlogged(d)
    log = versions._watcher.get("log") if core_type is DictWatchers else None
    before = len(log) if log is not None else 0
    d["b"] = 2
    assert core.changed([handle]) == [0]
    core.accept(handle)
    assert core.changed([handle]) == []
    if log is not None:
        assert len(log) == before  # nothing logged for it
        watched: dict[str, Any] = {}
        core.add(watched)
        watched["x"] = 1
        assert log[-1] == id(watched)  # while a logged dict's write is


@pytest.mark.skipif(sys.version_info < (3, 12), reason="dict watchers need Python 3.12")
def test_an_unpinned_batch_lets_the_log_be_trimmed_and_then_reads_everything(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The logging probe's batch is unpinned (it never moves on while the quiet check holds):
    the log is trimmed past it all the same, and its next read answers every dict (a full
    read), so a write it did not see is not lost."""
    import weakref

    from leakwatch import versions

    core = DictWatchers()
    # Only this test's batches pin the log (an outer leakwatch session's graph batch would
    # hold it back; that batch then reads every dict once, as the unpinned one does here).
    monkeypatch.setitem(versions._watcher, "batches", weakref.WeakSet())
    busy: dict[str, Any] = {}
    quiet_dicts: list[dict[str, Any]] = [{}, {}, {}]
    pinned = core.batch([core.add(busy)])
    unpinned = core.batch([core.add(d) for d in quiet_dicts])
    unpinned.unpin()
    quiet_dicts[1]["seen later"] = 1
    for i in range(5000):  # past the trim threshold (4096 entries)
        busy["k"] = i
        if i % 1000 == 999:
            assert pinned.changed() == [0]
    assert versions._watcher["base"] > unpinned.pos  # trimmed past the unpinned batch
    assert len(versions._watcher["log"]) < 4096
    assert unpinned.changed() == [0, 1, 2]  # entries lost: every dict, not none
    assert unpinned.changed() == []
    quiet_dicts[2]["x"] = 1
    assert unpinned.changed() == [2]


def test_graph_snapshots_are_out_of_the_garbage_collectors_lists() -> None:
    """The graph's copies of watched dicts and lists are private: where the C part was built
    they are untracked (full collections no longer traverse them), and what they hold lives
    as long as they do."""
    import gc
    import weakref

    from leakwatch import versions

    if versions.untracked is versions._kept_tracked:
        pytest.skip("the C part was not built")

    class Held:
        pass

    held = Held()
    ref = weakref.ref(held)
    mod = _module("fake_gc_mod", REG={"k": held}, ITEMS=[1, 2], NAMES={"a"})
    graph = WatchGraph(best_core(), IgnoreRules(), max_depth=2)
    graph.add_module("fake_gc_mod", mod)
    snapshots = [n.snapshot for n in graph.nodes.values() if not isinstance(n.snapshot, int)]
    assert len(snapshots) == 4  # the module, REG, ITEMS and NAMES
    assert not any(gc.is_tracked(s) for s in snapshots)
    mod.REG["k"] = 1
    graph.poll()  # the snapshot taken now is untracked too
    assert not any(gc.is_tracked(n.snapshot) for n in graph.nodes.values()
                   if not isinstance(n.snapshot, int))
    del held, snapshots
    gc.collect()
    assert ref() is None  # the old snapshot went with the poll; nothing kept it
    assert versions.untracked(mod) is mod and gc.is_tracked(mod)  # only copies of containers


_NAME_CHARS = "_acehmoyptsCAHEX"


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet=_NAME_CHARS, max_size=14), max_size=20),
       st.sampled_from(["cache", "_pytest", "_abc_impl", "__slotnames__", "x__pytesty",
                        "tearDown_exceptions", "memo", "a_memo", "CACHE_", "validate_called"]))
def test_ignored_names_match_as_the_globs_do(names: list[str], known: str) -> None:
    """The attribute-name ignore rules answer with ``str`` tests (substring, prefix,
    exact) what fnmatch's globs answer, for the default patterns and any name: the
    regex they replace backtracked ~8 k instructions a name at start-up."""
    rules = IgnoreRules()
    for name in [*names, known, known + "x", "x" + known]:
        expected = any(fnmatch.fnmatchcase(name, p) for p in DEFAULT_IGNORED_NAMES)
        assert rules.name(name) is expected, name
        assert rules.name(name) is expected, name  # and from the cache
    assert rules._names is None  # every default is one of the simple shapes


def test_ignored_names_with_a_pattern_of_another_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ignore, "DEFAULT_IGNORED_NAMES", ("*cache*", "_x?y", "[ab]z*", "exact"))
    rules = IgnoreRules()
    assert rules._names is not None
    for name, hit in [("a_cache", True), ("_xzy", True), ("_xy", False), ("bz1", True),
                      ("cz", False), ("exact", True), ("exactly", False)]:
        assert rules.name(name) is hit, name
