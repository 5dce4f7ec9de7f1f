"""Generate a synthetic suite: N tests over files, a project of M modules.

Each module has functions, a class with class-level dict/list registries, a
module-level singleton instance and module-level dicts/lists of ~50 entries --
the state leakwatch watches. Tests use ``monkeypatch`` and ``with patch(...)``
correctly, so nothing leaks: what is measured is pure overhead.

``changes`` makes every test change (and restore, via monkeypatch) that many
watched values, to measure how cost grows with what changed.

    python benchmarks/generate.py OUT --tests 2000 --modules 200
"""

from __future__ import annotations

import argparse
import shutil
import textwrap
from pathlib import Path

TESTS_PER_FILE = 50


def module_source(i: int) -> str:
    return textwrap.dedent(f'''\
        """Synthetic module {i}."""
        import os

        CONFIG = {{"key%d" % j: j for j in range(50)}}
        ITEMS = ["item%d" % j for j in range(50)]
        LIMIT = {i}
        MODE = os.environ.get("BENCH_MODE_{i}", "default")


        def compute_{i}(x):
            return x + {i}


        def helper_{i}(x):
            return compute_{i}(x) * 2


        class Registry{i}:
            _components = {{"base": object}}
            _hooks = []
            name = "registry{i}"

            def register(self, key, value):
                self._components[key] = value


        class Service{i}:
            def __init__(self):
                self.enabled = True
                self.calls = []
                self.options = {{"retries": 3, "timeout": 1.5}}

            def call(self, x):
                return helper_{i}(x)


        service = Service{i}()
        registry = Registry{i}()
    ''')


def test_source(file_index: int, count: int, modules: int, changes: int) -> str:
    lines = [
        "from unittest.mock import patch",
        "import importlib",
        "",
    ]
    for t in range(count):
        n = file_index * TESTS_PER_FILE + t
        i = n % modules
        mod = f"pkg.mod_{i}"
        style = n % 3
        lines.append(f"def test_{t}(monkeypatch):")
        lines.append(f"    m = importlib.import_module({mod!r})")
        if style == 0:
            lines.append(f"    monkeypatch.setenv('BENCH_VAR_{t % 7}', 'x')")
            lines.append("    monkeypatch.setattr(m.service, 'enabled', False)")
            lines.append(f"    assert m.service.call(1) == ({i} + 1) * 2")
        elif style == 1:
            lines.append(f"    with patch({mod + '.compute_' + str(i)!r}, return_value=3):")
            lines.append(f"        assert m.helper_{i}(1) == 6")
        else:
            lines.append(f"    monkeypatch.setitem(m.Registry{i}._components, 'extra', object)")
            lines.append("    assert m.CONFIG['key1'] == 1 and len(m.ITEMS) == 50")
        for c in range(changes):
            j = (i + c + 1) % modules
            lines.append(f"    monkeypatch.setattr(importlib.import_module('pkg.mod_{j}'), 'LIMIT', -1)")
        lines.append("")
    return "\n".join(lines) + "\n"


#: ``--user-fixture``: every test also gets a function-scoped fixture of the user's (most
#: real suites have one, autouse in a conftest). leakwatch then reads its probes at the
#: setup/call and call/teardown boundaries, which a test with pytest's fixtures only skips.
USER_FIXTURE = """
import pytest


@pytest.fixture(autouse=True)
def _user_fixture():
    yield
"""


def generate(out: Path, tests: int, modules: int, changes: int = 0,
             user_fixture: bool = False) -> Path:
    if out.exists():
        shutil.rmtree(out)
    pkg = out / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for i in range(modules):
        (pkg / f"mod_{i}.py").write_text(module_source(i))
    tests_dir = out / "tests"
    tests_dir.mkdir()
    (tests_dir / "conftest.py").write_text(
        "import importlib\n"
        f"for _i in range({modules}):\n"
        "    importlib.import_module('pkg.mod_%d' % _i)\n"
        + (USER_FIXTURE if user_fixture else "")
    )
    files = (tests + TESTS_PER_FILE - 1) // TESTS_PER_FILE
    for f in range(files):
        count = min(TESTS_PER_FILE, tests - f * TESTS_PER_FILE)
        (tests_dir / f"test_f{f}.py").write_text(test_source(f, count, modules, changes))
    (out / "pytest.ini").write_text("[pytest]\npythonpath = .\ntestpaths = tests\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--changes", type=int, default=0)
    parser.add_argument("--user-fixture", action="store_true",
                        help="give every test an autouse function-scoped fixture of the user's")
    args = parser.parse_args()
    generate(args.out, args.tests, args.modules, args.changes, args.user_fixture)
    print(f"wrote {args.tests} tests over {args.modules} modules to {args.out}")


if __name__ == "__main__":
    main()
