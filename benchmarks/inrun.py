"""How long each of leakwatch's per-test parts takes *inside* a run, in µs per call.

A part timed alone in a loop runs hot; in a run it starts cold after pytest's own work
between tests, and costs several times as much (benchmarks/RESULTS.md, sixteenth pass).
This wraps each part in ``time.perf_counter_ns`` inside real runs of a generated suite (run.py's
``leakwatch`` and ``plain`` variants, interleaved after a warm-up, as per_test.py runs them) and
prints the median over runs of each part's mean: where a test's extra time goes, part by
part, and whether a change moved it (a wall ratio on a noisy machine cannot show a part
of 1 %). pytest's own ``PYTEST_CURRENT_TEST`` update (four per test, through leakwatch's
env wrappers) is timed with leakwatch and without it.

    python benchmarks/inrun.py                      # 2,000 x 200, 4 runs each
    python benchmarks/inrun.py --tests 1000 --runs 6

Each wrapper adds ~0.1-0.2 µs to the part it times (and to the parts that contain it). The
same file is the plugin the runs load (``-p inrun``): a part whose name is not found any
more is reported as missing, not skipped silently.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
OUT_VAR = "LEAKWATCH_INRUN_OUT"

#: (label, module, attribute path) of each part timed in a ``--leakwatch`` run.
PARTS: tuple[tuple[str, str, str], ...] = (
    ("Collector.begin_test", "leakwatch.collector", "Collector.begin_test"),
    ("Collector.end_test", "leakwatch.collector", "Collector.end_test"),
    ("Collector._poll (in end_test)", "leakwatch.collector", "Collector._poll"),
    ("quiet check, C (in _poll)", "leakwatch.versions", "same_reads"),
    ("EnvironProbe.poll (in _poll)", "leakwatch.probes.environ", "EnvironProbe.poll"),
    ("WatchGraph.poll (in _poll)", "leakwatch.graph", "WatchGraph.poll"),
    ("list-length scan, C (in WatchGraph.poll)", "leakwatch.graph", "words_changed"),
)
PYTEST_KEY = ("pytest's PYTEST_CURRENT_TEST update", "_pytest.runner", "_update_current_test_var")

_totals: dict[str, list[int]] = {}
_missing: list[str] = []


def _timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    clock = time.perf_counter_ns
    cell = _totals.setdefault(label, [0, 0])

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = clock()
        try:
            return fn(*args, **kwargs)
        finally:
            cell[0] += clock() - start
            cell[1] += 1

    return timed


def _wrap(label: str, module_name: str, path: str) -> None:
    try:
        owner: Any = __import__(module_name, fromlist=["_"])
        *outer, name = path.split(".")
        for part in outer:
            owner = getattr(owner, part)
        fn = getattr(owner, name)
    except (ImportError, AttributeError):
        fn = None
    if not callable(fn):  # gone, or None where the C part was not built: left as it is
        _missing.append(label)
        return
    setattr(owner, name, _timed(label, fn))


# -- the plugin (loaded in the timed runs) -----------------------------------------------


def pytest_configure(config: Any) -> None:
    if not os.environ.get(OUT_VAR):
        return
    _wrap(*PYTEST_KEY)
    if config.getoption("leakwatch", False):
        for part in PARTS:
            _wrap(*part)


def pytest_unconfigure(config: Any) -> None:
    out = os.environ.get(OUT_VAR)
    if not out:
        return
    means = {label: total / calls / 1000 for label, (total, calls) in _totals.items() if calls}
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"means": means, "missing": _missing}) + "\n")


# -- the runner ----------------------------------------------------------------------------


def _run(suite: Path, python: str, tag: str, out: str) -> dict[str, Any]:
    """One run of ``tag`` (run.py's variant of that name) with this file as a plugin."""
    from run import CHILD_ENV, COMMON, variants  # the runner's own settings (bytecode on)

    env = dict(CHILD_ENV, **{OUT_VAR: out},
               PYTHONPATH=os.pathsep.join(p for p in (str(HERE), CHILD_ENV.get("PYTHONPATH")) if p))
    subprocess.run([python, "-m", "pytest", *COMMON, "-p", "inrun", *variants([])[tag]],
                   cwd=suite, env=env, check=True, stdout=subprocess.DEVNULL)
    with open(out, encoding="utf-8") as fh:
        row: dict[str, Any] = json.loads(fh.readlines()[-1])
    return row


def main() -> None:
    sys.path.insert(0, str(HERE))
    from run import suite_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--python", default=sys.executable)
    opts = parser.parse_args()
    suite = suite_dir(opts.tests, opts.modules)
    tags = ["leakwatch", "plain"]
    runs: dict[str, list[dict[str, Any]]] = {tag: [] for tag in tags}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "inrun.jsonl")
        for tag in tags:  # warm-up: page cache, .pyc files
            _run(suite, opts.python, tag, out)
        for r in range(opts.runs):  # interleaved, in rotating order (as per_test.py)
            for tag in tags[r % 2:] + tags[: r % 2]:
                runs[tag].append(_run(suite, opts.python, tag, out))

    def median(tag: str, label: str) -> str:
        values = [row["means"][label] for row in runs[tag] if label in row["means"]]
        return f"{statistics.median(values):.2f}" if values else "-"

    print(f"### In-run µs per call, {opts.tests:,} x {opts.modules}, median of {opts.runs} runs\n")
    print("| part | with leakwatch | plain pytest |")
    print("| --- | --- | --- |")
    for label, _, _ in PARTS:
        print(f"| {label} | {median('leakwatch', label)} | |")
    print(f"| {PYTEST_KEY[0]} | {median('leakwatch', PYTEST_KEY[0])} | {median('plain', PYTEST_KEY[0])} |")
    missing = sorted({m for rows in runs.values() for row in rows for m in row["missing"]})
    if missing:
        print(f"\nnot found (renamed?): {', '.join(missing)}")


if __name__ == "__main__":
    main()
