"""The change-detection cores agree with each other and with a naive full fingerprint."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import APP, Suite

from leakwatch.changes import MISSING
from leakwatch.graph import WatchGraph
from leakwatch.ignore import IgnoreRules
from leakwatch.versions import CopyCompare, VersionTags, best_core

CORES = [CopyCompare, VersionTags]


@pytest.mark.parametrize("core_type", CORES)
def test_core_detects_every_mutation(core_type: Any) -> None:
    core = core_type()
    d: dict[str, Any] = {"a": 1}
    handle = core.add(d)
    assert core.changed([handle]) == []
    for mutate in (lambda: d.__setitem__("b", 2), lambda: d.pop("a"), lambda: d.update(c=3),
                   lambda: d.__setitem__("c", object()), lambda: d.clear()):
        mutate()
        assert core.changed([handle]) == [0]
        core.accept(handle)
        assert core.changed([handle]) == []


def test_version_markers_order_changes() -> None:
    core = VersionTags()
    d: dict[str, int] = {}
    handle = core.add(d)
    m1 = core.marker()
    d["x"] = 1
    m2 = core.marker()
    assert m1 < core.version(handle) < m2


def test_best_core_prefers_tags_and_can_be_forced() -> None:
    assert best_core().name == "version-tag"
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
    fast = app_suite.run("--leakwatch-core=version-tag")
    naive = app_suite.run("--leakwatch-core=copy-compare")
    assert naive.report and naive.report["run"]["core"] == "copy-compare"

    def key(run: Any) -> list[tuple[str, str, str, str]]:
        return sorted((f["test"], f["kind"], f["subject"], f["phase"]) for f in run.leaks)

    assert key(fast) == key(naive)
    assert len(fast.leaks) >= 7


def test_app_fixture_is_shared() -> None:
    assert "app/runner.py" in APP
