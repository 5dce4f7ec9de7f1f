"""The tracer's cost: ``--leakwatch`` (tracer on, default settings) vs the core detector alone.

The core detector alone is ``--leakwatch --leakwatch-tracer=off`` (no env/MonkeyPatch
wrappers, no module class swap, no monitoring). Plain pytest is timed too, for scale.
Suite: benchmarks/generate.py (the perf benchmark's synthetic suite: tests spending
about a millisecond each, monkeypatch and ``with patch`` used correctly).

``--reload`` adds a session fixture that reloads one module, so pre-reload code is
armed and the monitoring core is live for the whole run (on 3.11 with
``--leakwatch-trace`` the shim's profile function then sees every call: the cost
that makes it opt-in there).

Every variant runs once per round in rotating order after a warm-up round; reported
is the median over rounds of each variant's ratio, in CPU time of the pytest process
(user+sys; robust on a shared machine) and in wall time.

    python benchmarks/bench_tracer.py [--tests 1000] [--modules 100] [--rounds 5] [--reload]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate  # noqa: E402

COMMON = ["-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly"]

RELOAD_CONFTEST = """

import pytest as _pytest


@_pytest.fixture(scope="session", autouse=True)
def _reloaded():
    importlib.reload(importlib.import_module("pkg.mod_0"))
    yield
"""


def variants() -> dict[str, list[str]]:
    out = {
        "plain": ["-p", "no:leakwatch"],
        "core": ["--leakwatch", "--leakwatch-tracer=off"],
        "tracer": ["--leakwatch"],
    }
    if sys.version_info < (3, 12):
        out["tracer+trace"] = ["--leakwatch", "--leakwatch-trace"]
    return out


def run_once(suite: Path, args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child): CPU time is far less noisy on a shared box."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pytest", *COMMON, *args], cwd=suite,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        tail = output.decode(errors="replace")[-2000:]
        raise SystemExit(f"pytest {' '.join(args)} exited {proc.returncode}:\n{tail}")
    return elapsed, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=1000)
    parser.add_argument("--modules", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reload", action="store_true", help="arm stale code for the whole run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lw-bench-tracer-") as tmp:
        suite = generate(Path(tmp) / "suite", args.tests, args.modules)
        if args.reload:
            conftest = suite / "tests" / "conftest.py"
            conftest.write_text(conftest.read_text() + RELOAD_CONFTEST)
        names = list(variants())
        for name in names:  # warm-up (pyc files, page cache)
            run_once(suite, variants()[name])
        wall: dict[str, list[float]] = {n: [] for n in names}
        cpu: dict[str, list[float]] = {n: [] for n in names}
        for r in range(args.rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                w, c = run_once(suite, variants()[name])
                wall[name].append(w)
                cpu[name].append(c)

    def ratio(times: dict[str, list[float]], name: str, base: str) -> float:
        return statistics.median(t / b for t, b in zip(times[name], times[base], strict=True))

    print(f"Python {sys.version.split()[0]}, {args.tests} tests x {args.modules} modules, "
          f"{args.rounds} rounds{', one module reloaded' if args.reload else ''}")
    print("| variant | median CPU s | CPU vs core alone | CPU vs plain | wall vs core alone |")
    print("| --- | --- | --- | --- | --- |")
    for n in names:
        print(f"| {n} | {statistics.median(cpu[n]):.2f} | {ratio(cpu, n, 'core'):.3f} | "
              f"{ratio(cpu, n, 'plain'):.3f} | {ratio(wall, n, 'core'):.3f} |")

if __name__ == "__main__":
    main()
