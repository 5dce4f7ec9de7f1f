"""Which modules are watched: files under pytest's rootdir, plus user globs.

Virtualenvs and site-packages inside the rootdir are excluded, and so is
leakwatch itself.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable
from typing import Any

from . import safe

_EXCLUDED_PARTS = frozenset({"site-packages", "dist-packages", ".tox", ".nox", "node_modules", ".git"})
_TEST_NAME = re.compile(r"(^|\.)(test_[^.]*|[^.]*_test|tests?|conftest)$")


class ModuleFilter:
    def __init__(self, rootdir: str, globs: Iterable[str] = (), always: Iterable[str] = ()) -> None:
        self.root = os.path.abspath(rootdir).rstrip(os.sep) + os.sep
        globs = list(globs)
        self._globs = re.compile("|".join(fnmatch.translate(g) for g in globs)) if globs else None
        self.always = set(always)
        self._venv: dict[str, bool] = {}
        #: An absolute directory -> whether the modules in it are watched: the answer
        #: depends on the directory alone, and the hundreds of modules imported at
        #: start-up (stdlib, site-packages, the project) live in a few dozen of them.
        self._dirs: dict[str, bool] = {}

    def __call__(self, name: str, module: Any) -> bool:
        if name == "leakwatch" or name.startswith("leakwatch."):
            return False
        if name in self.always:
            return True
        if self._globs is not None and self._globs.match(name):
            return True
        ns = safe.module_dict(module)
        filename = ns.get("__file__") if ns is not None else None
        if type(filename) is not str or not filename:
            return False
        directory, sep, _ = filename.rpartition(os.sep)
        if not sep or not os.path.isabs(filename):
            return self._watched_file(filename)  # relative: what it names moves with the cwd
        hit = self._dirs.get(directory)
        if hit is None:
            hit = self._dirs[directory] = self._watched_file(filename)
        return hit

    def _watched_file(self, filename: str) -> bool:
        path = os.path.abspath(filename)
        if not path.startswith(self.root):
            return False
        rel_parts = path[len(self.root):].split(os.sep)[:-1]
        if _EXCLUDED_PARTS.intersection(rel_parts):
            return False
        return not self._in_venv(rel_parts)

    def _in_venv(self, rel_parts: list[str]) -> bool:
        current = self.root
        for part in rel_parts:
            current = os.path.join(current, part)
            hit = self._venv.get(current)
            if hit is None:
                hit = os.path.exists(os.path.join(current, "pyvenv.cfg"))
                self._venv[current] = hit
            if hit:
                return True
        return False

    @staticmethod
    def is_test_module(name: str) -> bool:
        return bool(_TEST_NAME.search(name))
