"""Two builds of leakwatch, each installed in its own virtualenv, in one interleaved run.

Telling two builds apart by wall time on a noisy machine needs both in the same rounds: each
round runs every build's plain pytest and ``pytest --leakwatch`` (rotating order, after a
warm-up round), and each build is reported against its own venv's plain pytest in the same
round (the venvs can differ by a few percent even with the same packages).

    python benchmarks/ab.py /tmp/old/bin/python /tmp/new/bin/python --rounds 11
    python benchmarks/ab.py OLD_PY NEW_PY --tests 2000 --modules 200

Install each build non-editable (``pip install --no-deps --force-reinstall .``); the runner turns
bytecode caching on for its children, as run.py does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import Sample, run_once, suite_dir  # noqa: E402

PLAIN = ["-p", "no:leakwatch", "-p", "no:hygiene"]
ENABLED = ["-p", "no:hygiene", "--leakwatch"]


def compare(suite: Path, pythons: dict[str, str], rounds: int) -> dict[str, list[float]]:
    """Per build, its wall ratio against its own plain pytest in each round."""
    runs = [(name, py, kind, args) for name, py in pythons.items()
            for kind, args in (("plain", PLAIN), ("leakwatch", ENABLED))]
    for _, py, _, args in runs:  # warm-up: page cache, .pyc files
        run_once(suite, args, py)
    samples: dict[tuple[str, str], list[Sample]] = {(n, k): [] for n, _, k, _ in runs}
    for r in range(rounds):
        for name, py, kind, args in runs[r % len(runs):] + runs[: r % len(runs)]:
            samples[(name, kind)].append(run_once(suite, args, py))
    return {name: [lw.wall / plain.wall for lw, plain in
                   zip(samples[(name, "leakwatch")], samples[(name, "plain")], strict=True)]
            for name in pythons}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("old", help="python of the venv with the first build")
    parser.add_argument("new", help="python of the venv with the second build")
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--user-fixture", action="store_true",
                        help="every test with an autouse fixture of the user's (generate.py)")
    ns = parser.parse_args()
    suite = suite_dir(ns.tests, ns.modules, user_fixture=ns.user_fixture)
    found = compare(suite, {"old": ns.old, "new": ns.new}, ns.rounds)
    fixture = ", an autouse fixture of the user's in every test" if ns.user_fixture else ""
    print(f"{ns.tests:,} tests x {ns.modules} modules{fixture}, {ns.rounds} interleaved rounds")
    print("| build | median wall ratio vs its own plain pytest | min | max |")
    print("| --- | --- | --- | --- |")
    for name, values in found.items():
        print(f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} |")


if __name__ == "__main__":
    main()
