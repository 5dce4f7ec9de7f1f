"""--leakwatch-confirm against detect-test-pollution: pytest runs and seconds to name a polluter.

Builds synthetic suites (N passing tests, one polluter, one victim at the end, a few
coincidental leaks), then for each:

- leakwatch: one ordinary run with ``--leakwatch --leakwatch-confirm``; counted are the
  re-runs it starts and their seconds (``victims_confirm`` in the JSON report), and the
  whole wall time of the command;
- detect-test-pollution (``pip install detect-test-pollution``): given the failing test,
  as its README says (``--failing-test ... --tests ...``); counted are its pytest runs
  (its ``_run_pytest`` is wrapped) and its wall time. It needs the failing test's id
  first, i.e. a full run that failed; that run is not counted.

Two polluter kinds: ``mock`` (a patch started and never stopped: leakwatch sees it
and names it; the pair run confirms it) and ``hidden`` (state leakwatch cannot see, a
function's default list: leakwatch falls back to delta debugging).

Usage: python benchmarks/bench_confirm.py [--sizes 50,200] [--python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

APP = {
    "app/__init__.py": "",
    "app/runner.py": """
        def log_event(msg):
            return msg
    """,
    "app/hidden.py": """
        def store(_items=[]):
            return _items
    """,
}


def build_suite(root: Path, size: int, polluter_kind: str) -> str:
    """Write the suite; returns the victim's node id."""
    for name, text in APP.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    (root / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    tests = root / "tests"
    tests.mkdir()
    polluter_at = size // 3
    per_file = 25
    for start in range(0, size, per_file):
        lines = ["import os", "from unittest.mock import patch", "from app import hidden, runner", ""]
        for i in range(start, min(start + per_file, size)):
            if i == polluter_at and polluter_kind == "mock":
                body = 'patch("app.runner.log_event").start()'
            elif i == polluter_at:
                body = "hidden.store().append(1)"
            elif i % 40 == 7:  # coincidental leaks: real suites have many
                body = f'os.environ["NOISE_{i}"] = "1"'
            else:
                body = f"assert {i} >= 0"
            lines += [f"def test_{i:04d}():", f"    {body}", ""]
        (tests / f"test_{start:04d}.py").write_text("\n".join(lines))
    (tests / "test_zz_victim.py").write_text(textwrap.dedent("""
        from app import hidden, runner

        def test_victim():
            assert runner.log_event("x") == "x"
            assert hidden.store() == []
    """))
    return "tests/test_zz_victim.py::test_victim"


def run_leakwatch(python: str, root: Path) -> dict[str, Any]:
    report = root / "leaks.json"
    started = time.monotonic()
    subprocess.run([python, "-m", "pytest", "--leakwatch", "--leakwatch-confirm", "-p", "no:cacheprovider",
                    "-p", "no:randomly", "-q", f"--leakwatch-report={report}"], cwd=root,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.monotonic() - started
    data = json.loads(report.read_text())
    victim = data["victims"][0] if data["victims"] else {}
    conf = victim.get("confirmation") or {}
    return {"tool": "leakwatch --leakwatch-confirm", "runs": conf.get("runs"),
            "confirm_seconds": conf.get("seconds"), "wall_seconds": round(wall, 2),
            "method": conf.get("method"), "polluters": conf.get("polluters")}


_DTP_DRIVER = """
import json, sys, time
import detect_test_pollution as dtp
runs = []
real = dtp._run_pytest
def counted(*args):
    t = time.monotonic()
    try:
        return real(*args)
    finally:
        runs.append(time.monotonic() - t)
dtp._run_pytest = counted
started = time.monotonic()
import contextlib, io
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = dtp.main(sys.argv[1:])
found = [l.split(": ", 1)[1] for l in out.getvalue().splitlines() if "the polluting test is" in l]
print(json.dumps({"runs": len(runs), "seconds": round(sum(runs), 2), "code": code,
                  "wall": round(time.monotonic() - started, 2), "found": found}))
"""


def run_dtp(python: str, root: Path, victim: str) -> dict[str, Any]:
    proc = subprocess.run([python, "-c", _DTP_DRIVER, "--failing-test", victim, "--tests", "tests"],
                          cwd=root, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTEST_ADDOPTS": "-p no:cacheprovider"})
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"tool": "detect-test-pollution", "runs": data["runs"], "confirm_seconds": data["seconds"],
            "wall_seconds": data["wall"], "method": "bisect", "polluters": data["found"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        for kind in ("mock", "hidden"):
            with tempfile.TemporaryDirectory(prefix="bench-confirm-") as tmp:
                root = Path(tmp)
                victim = build_suite(root, size, kind)
                for result in (run_leakwatch(args.python, root), run_dtp(args.python, root, victim)):
                    rows.append({"tests": size + 1, "polluter": kind, **result})
                    print(json.dumps(rows[-1]), flush=True)
    print()
    print("| tests | polluter | tool | pytest runs | seconds in re-runs | wall seconds | found |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        found = ", ".join(p.rpartition("::")[2] for p in (r["polluters"] or [])) or "-"
        print(f"| {r['tests']} | {r['polluter']} | {r['tool']} | {r['runs']} | {r['confirm_seconds']} | "
              f"{r['wall_seconds']} | {found} ({r['method']}) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
