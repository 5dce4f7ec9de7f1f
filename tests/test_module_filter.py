"""Which modules are watched (leakwatch/watching.py), and its per-directory answers."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from leakwatch.watching import ModuleFilter


def _module(name: str, filename: str | None) -> types.ModuleType:
    module = types.ModuleType(name)
    if filename is not None:
        module.__file__ = filename
    return module


def test_modules_under_the_rootdir_are_watched_and_venvs_and_site_packages_are_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One answer per directory: the second module of a directory is not judged again
    (start-up asks about every module imported, a few dozen directories hold them all)."""
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "env" / "lib").mkdir()
    judge = ModuleFilter(str(tmp_path))
    judged: list[str] = []
    real = judge._watched_file

    def counting(filename: str) -> bool:
        judged.append(filename)
        return real(filename)

    monkeypatch.setattr(judge, "_watched_file", counting)
    assert judge("app.a", _module("app.a", str(tmp_path / "app" / "a.py")))
    assert judge("app.b", _module("app.b", str(tmp_path / "app" / "b.py")))
    assert judged == [str(tmp_path / "app" / "a.py")]
    assert judge("conftest", _module("conftest", str(tmp_path / "conftest.py")))
    assert not judge("lib.x", _module("lib.x", str(tmp_path / "env" / "lib" / "x.py")))
    assert not judge("dep", _module("dep", str(tmp_path / "site-packages" / "dep.py")))
    assert not judge("json", _module("json", "/usr/lib/python3/json/__init__.py"))
    assert not judge("builtin", _module("builtin", None))
    assert not judge("leakwatch.graph", _module("leakwatch.graph", str(tmp_path / "leakwatch" / "graph.py")))


def test_a_relative_module_file_is_judged_against_the_cwd_each_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative ``__file__`` (a module imported through ``''`` on ``sys.path``) names a
    different file once the cwd moves: it is not answered from the directory cache."""
    (tmp_path / "root").mkdir()
    (tmp_path / "elsewhere").mkdir()
    judge = ModuleFilter(str(tmp_path / "root"))
    monkeypatch.chdir(tmp_path / "root")
    assert judge("pkg.mod", _module("pkg.mod", "pkg/mod.py"))
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert not judge("pkg.mod", _module("pkg.mod", "pkg/mod.py"))
