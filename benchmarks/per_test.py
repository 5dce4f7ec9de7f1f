"""Per-test cost in place, and the interpreter's shutdown: plain pytest vs ``--leakwatch``.

A run's totals per phase move by tens of milliseconds with where a full garbage collection
(20-50 ms each on this machine) happens to land; the median test does not. Loaded as a
plugin (``-p per_test``), this file records, per test, pytest's own duration of its setup,
call and teardown, the whole ``pytest_runtest_protocol`` and the gap before the next test,
and the moment its ``atexit`` handler runs. That handler is registered before leakwatch's
(``-p`` plugins load first) and so runs after them: what follows it is the interpreter's
shutdown, which no timer inside the process sees. Run as a script, it runs plain pytest and
``pytest --leakwatch`` in interleaved rounds and prints the medians and leakwatch's share::

    python benchmarks/per_test.py --rounds 8                  # 2,000 x 200, this python
    python benchmarks/per_test.py --python /tmp/venv/bin/python --user-fixture

Install leakwatch non-editable in the measured venv (as for run.py and ab.py).
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Generator
from pathlib import Path

import pytest

_durations: dict[str, list[float]] = {"setup": [], "call": [], "teardown": [], "protocol": [],
                                      "gap": []}
_last_end: list[float] = []


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None
                            ) -> Generator[None, object, object]:
    start = time.perf_counter()
    if _last_end:
        _durations["gap"].append(start - _last_end[0])
    try:
        return (yield)
    finally:
        end = time.perf_counter()
        _durations["protocol"].append(end - start)
        _last_end[:] = [end]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _durations[report.when].append(report.duration)


def _write() -> None:
    out = os.environ.get("PER_TEST_OUT")
    if not out or not _durations["protocol"]:
        return
    line: dict[str, float | str] = {
        name: statistics.median(values) * 1e6 for name, values in _durations.items() if values}
    line["tag"] = os.environ.get("PER_TEST_TAG", "?")
    line["atexit"] = time.time()
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")


if __name__ != "__main__":
    atexit.register(_write)


TAGS = ("plain", "leakwatch")
COLUMNS = ("setup", "call", "teardown", "protocol", "gap")


def _run(python: str, suite: Path, tag: str, out: str) -> dict[str, float]:
    from run import CHILD_ENV, COMMON, variants  # the runner's own settings (bytecode on)

    here = str(Path(__file__).parent)
    env = dict(CHILD_ENV, PER_TEST_OUT=out, PER_TEST_TAG=tag,
               PYTHONPATH=os.pathsep.join(p for p in (here, CHILD_ENV.get("PYTHONPATH")) if p))
    start = time.time()
    subprocess.run([python, "-m", "pytest", *COMMON, "-p", "per_test", *variants([])[tag]],
                   cwd=suite, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    end = time.time()
    with open(out, encoding="utf-8") as fh:
        line: dict[str, float] = json.loads(fh.readlines()[-1])
    del line["tag"]
    line["wall"] = (end - start) * 1e3
    line["shutdown"] = (end - line.pop("atexit")) * 1e3
    return line


def main() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from run import suite_dir

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--user-fixture", action="store_true")
    ns = parser.parse_args()
    suite = suite_dir(ns.tests, ns.modules, user_fixture=ns.user_fixture)
    runs: dict[str, list[dict[str, float]]] = {tag: [] for tag in TAGS}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "per_test.jsonl")
        for tag in TAGS:  # warm-up: page cache, .pyc files
            _run(ns.python, suite, tag, out)
        tags = list(TAGS)
        for r in range(ns.rounds):
            for tag in tags[r % 2:] + tags[: r % 2]:
                runs[tag].append(_run(ns.python, suite, tag, out))
    keys = ("wall", *COLUMNS, "shutdown")
    median = {tag: {k: statistics.median(run[k] for run in rows) for k in keys}
              for tag, rows in runs.items()}
    print(f"{ns.tests:,} tests x {ns.modules} modules, {ns.rounds} interleaved rounds, "
          f"{ns.python}; median per test (µs), wall and shutdown (ms)")
    print("| variant | " + " | ".join(keys) + " |")
    print("| --- " * (len(keys) + 1) + "|")
    for tag in TAGS:
        print(f"| {tag} | " + " | ".join(f"{median[tag][k]:.1f}" for k in keys) + " |")
    print("| leakwatch's share | " + " | ".join(
        f"{median['leakwatch'][k] - median['plain'][k]:+.1f}" for k in keys) + " |")


if __name__ == "__main__":
    main()
