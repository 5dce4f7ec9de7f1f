"""Time plain pytest vs ``pytest --leakwatch`` (vs peers) in one interleaved run.

Machines here are noisy, so absolute times mean little: every variant runs once
per round, in rotating order (A B C, B C A, ...), after a warm-up round, and we
report the median over rounds of each variant's ratio to plain pytest in the
same round -- wall time, CPU time (user+sys of the child) and peak RSS -- and, from one
more untimed run of each variant (``gc_count.py``), the garbage collector's collections per
generation: a full collection that only one variant makes moves a ratio by itself.

    python benchmarks/run.py                     # 2,000 tests x 200 modules, 5 rounds
    python benchmarks/run.py --scaling           # + per-test overhead vs watched modules / changes
    python benchmarks/run.py --tests 20000 --modules 1000 --rounds 3

Results are printed as markdown and written to benchmarks/out/<python>.md;
benchmarks/RESULTS.md keeps the curated history.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate  # noqa: E402

HERE = Path(__file__).parent
COMMON = ["-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:hypothesispytest",
          "-p", "no:randomly"]


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_kb: int


def variants(extra_leakwatch: list[str], naive: bool = False) -> dict[str, list[str]]:
    out = {
        "plain": ["-p", "no:leakwatch", "-p", "no:hygiene"],
        "leakwatch": ["-p", "no:hygiene", "--leakwatch", *extra_leakwatch],
    }
    if naive:
        out["leakwatch (naive core)"] = ["-p", "no:hygiene", "--leakwatch",
                                         "--leakwatch-core=copy-compare", *extra_leakwatch]
    if importlib.util.find_spec("pytest_hygiene") is not None:
        out["pytest-hygiene"] = ["-p", "no:leakwatch", "--hygiene"]
    return out


#: Bytecode caching on, as on a developer's machine: with PYTHONDONTWRITEBYTECODE set
#: every run recompiles the suite (and an editable install's plugin) and the ratios
#: measure the compiler. Install leakwatch non-editable (``pip install .``) to benchmark.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(suite: Path, args: list[str], python: str = sys.executable) -> Sample:
    cmd = [python, "-m", "pytest", *COMMON, *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=suite, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=CHILD_ENV)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark run failed ({proc.returncode}): {' '.join(cmd)}\n"
                         + output.decode()[-3000:])
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


def interleaved(suite: Path, named: dict[str, list[str]], rounds: int) -> dict[str, list[Sample]]:
    names = list(named)
    for name in names:  # warm-up: page cache, .pyc files
        run_once(suite, named[name])
    samples: dict[str, list[Sample]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            samples[name].append(run_once(suite, named[name]))
    return samples


def ratios(samples: dict[str, list[Sample]], attr: str) -> dict[str, float]:
    base = [getattr(s, attr) for s in samples["plain"]]
    return {
        name: statistics.median(getattr(s, attr) / b for s, b in zip(runs, base, strict=True))
        for name, runs in samples.items()
    }


def suite_dir(tests: int, modules: int, changes: int = 0, user_fixture: bool = False) -> Path:
    path = HERE / "out" / f"suite-{tests}x{modules}c{changes}{'f' if user_fixture else ''}"
    if not (path / "pytest.ini").exists():
        generate(path, tests, modules, changes, user_fixture)
    return path


def gc_collections(suite: Path, args: list[str], python: str = sys.executable) -> str:
    """Collections per generation in one untimed run with ``gc_count.py`` (the same run
    after run: with a fixed hash seed, what is allocated does not move)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "gc.txt"
        env = {**CHILD_ENV, "PYTHONHASHSEED": "0", "LEAKWATCH_GC_COUNT_OUT": str(out),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), CHILD_ENV.get("PYTHONPATH")]))}
        subprocess.run([python, "-m", "pytest", *COMMON, "-p", "gc_count", *args], cwd=suite,
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        return " / ".join(out.read_text().split()) if out.exists() else "?"


def main_table(tests: int, modules: int, rounds: int, extra: list[str], naive: bool) -> list[str]:
    suite = suite_dir(tests, modules)
    named = variants(extra, naive)
    samples = interleaved(suite, named, rounds)
    collections = {name: gc_collections(suite, args) for name, args in named.items()}
    wall, cpu, rss = ratios(samples, "wall"), ratios(samples, "cpu"), ratios(samples, "rss_kb")
    lines = [
        f"### {tests:,} tests x {modules:,} modules, {rounds} interleaved rounds",
        "",
        "| variant | median wall | wall ratio | CPU ratio | peak RSS | RSS delta | GC collections "
        "(gen 0 / 1 / 2) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    base_rss = statistics.median(s.rss_kb for s in samples["plain"])
    for name, runs in samples.items():
        med_wall = statistics.median(s.wall for s in runs)
        med_rss = statistics.median(s.rss_kb for s in runs)
        lines.append(
            f"| {name} | {med_wall:.2f} s | {wall[name]:.3f} | {cpu[name]:.3f} | "
            f"{med_rss / 1024:.1f} MB | {(med_rss - base_rss) / 1024:+.1f} MB | "
            f"{collections[name]} |"
        )
    del rss
    lines += ["", "GC collections: one more untimed run of each variant (`gc_count.py`); a full "
              "collection (gen 2) that one variant makes and the other does not moves the wall "
              "ratio by itself (a threshold, not per-test work)."]
    return lines


def overhead_us(tests: int, modules: int, changes: int, rounds: int, extra: list[str]) -> float:
    suite = suite_dir(tests, modules, changes)
    named = {k: v for k, v in variants(extra).items() if k in ("plain", "leakwatch")}
    samples = interleaved(suite, named, rounds)
    deltas = [(lw.cpu - pl.cpu) for lw, pl in zip(samples["leakwatch"], samples["plain"], strict=True)]
    return statistics.median(deltas) / tests * 1e6


def scaling(rounds: int, extra: list[str]) -> list[str]:
    lines = ["### Per-test overhead (CPU µs per test, median of interleaved pairs)", "",
             "| watched modules | 1,000 tests, 0 changes |", "| --- | --- |"]
    for modules in (100, 200, 500, 1000):
        lines.append(f"| {modules} | {overhead_us(1000, modules, 0, rounds, extra):.1f} |")
    lines += ["", "| values changed (and restored) per test | 1,000 tests x 200 modules |", "| --- | --- |"]
    for changes in (0, 1, 10, 50):
        lines.append(f"| {changes} | {overhead_us(1000, 200, changes, rounds, extra):.1f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scaling", action="store_true")
    parser.add_argument("--scaling-rounds", type=int, default=3)
    parser.add_argument("--leakwatch-args", default="", help="extra args for the leakwatch variant")
    parser.add_argument("--naive", action="store_true",
                        help="also time the naive full fingerprint (--leakwatch-core=copy-compare)")
    args = parser.parse_args()
    extra = args.leakwatch_args.split()
    head = [
        f"## Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"Command: `python benchmarks/run.py {' '.join(sys.argv[1:])}`",
        "",
    ]
    lines = head + main_table(args.tests, args.modules, args.rounds, extra, args.naive)
    print("\n".join(lines), flush=True)
    if args.scaling:
        more = [""] + scaling(args.scaling_rounds, extra)
        print("\n".join(more), flush=True)
        lines += more
    out = HERE / "out" / f"python{platform.python_version()}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
