"""Instructions *and cache misses* of plain pytest vs ``--leakwatch``, as estimated cycles:
deterministic, and closer to wall time than instructions alone.

On a noisy shared machine a wall ratio moves by 5-10 % between rounds, and callgrind's
instruction count, which does not move, misses what costs leakwatch most: its per-test work
starts cold after pytest's own work between tests (benchmarks/RESULTS.md, sixteenth pass).
valgrind's cache simulator counts the misses of a modelled cache hierarchy, the same run
after run, and this turns them into an estimate::

    cycles ~= Ir + L1_PENALTY x (I1 + D1 read and write misses) + LL_PENALTY x (LL misses)

The model is one first-level cache of each kind and one last level. Here the last level is
set to the size of this machine's L2 (1 MiB, 8-way; its L3 is shared and ~4x slower to
reach than L2, so an L2 miss is what a cold start pays); the penalties are typical Zen
latencies (L2 hit ~14 cycles, L3 hit ~50). It is a model: no prefetcher, no branch
predictor, no TLB. Use it to compare two builds or two variants, not as a clock.

    python benchmarks/cachesim.py                         # 1,000 x 200, plain vs --leakwatch
    python benchmarks/cachesim.py --functions             # + per Python function (3.12+)
    python benchmarks/cachesim.py --tests 2000 --python /tmp/bench/bin/python

The two variants run at once (one process each; the counts do not depend on the machine's
load). ``--functions`` runs the ``--leakwatch`` variant a third time, with ``-X perf``
(which adds ~10 % of instructions of its own, so that run is not in the ratios), and joins
callgrind's inclusive counts for each Python function's trampoline with the names the
interpreter writes to ``/tmp/perf-PID.map`` (as ``pyprofile.py`` does for instructions):
estimated cycles per leakwatch function, callees included, and the ratio to its
instructions (well above ~1.4, pytest's own, means it runs cold).
"""

from __future__ import annotations

import argparse
import bisect
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent

#: The modelled caches (valgrind's size,associativity,line size): this machine's L1s, and
#: its per-core L2 as the last level (``lscpu``: AMD EPYC family 25).
GEOMETRY = ("--I1=32768,8,64", "--D1=32768,8,64", "--LL=1048576,8,64")
L1_PENALTY = 14
LL_PENALTY = 50
#: callgrind's events, in the order this asks callgrind_annotate to show them.
EVENTS = ("Ir", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw")


@dataclass
class Counts:
    ir: int
    l1_misses: int
    ll_misses: int

    @classmethod
    def of(cls, values: list[int]) -> Counts:
        ir, i1, d1r, d1w, il, dlr, dlw = values
        return cls(ir, i1 + d1r + d1w, il + dlr + dlw)

    @property
    def cycles(self) -> int:
        return self.ir + L1_PENALTY * self.l1_misses + LL_PENALTY * self.ll_misses


def _annotate(out: Path, inclusive: bool) -> str:
    args = ["callgrind_annotate", f"--show={','.join(EVENTS)}", "--threshold=100"]
    if inclusive:
        args.append("--inclusive=yes")
    return subprocess.run([*args, str(out)], capture_output=True, text=True, check=True).stdout


_NUMBER = r"([\d,]+)(?: \(\s*[\d.]+%\))?\s+"
_TOTALS = re.compile(r"\s*" + _NUMBER * len(EVENTS) + r"PROGRAM TOTALS")
_TRAMPOLINE = re.compile(r"\s*" + _NUMBER * len(EVENTS) + r"\?\?\?:0x([0-9a-f]+)('\d+)? \[\?\?\?\]")


def _ints(groups: tuple[str, ...]) -> list[int]:
    return [int(g.replace(",", "")) for g in groups[:len(EVENTS)]]


def totals(annotated: str) -> Counts:
    m = _TOTALS.search(annotated)
    if m is None:
        sys.exit("no PROGRAM TOTALS in callgrind_annotate's output")
    return Counts.of(_ints(m.groups()))


def by_function(annotated: str, perf_map: Path) -> dict[str, Counts]:
    """Python function name -> its inclusive counts (the outermost call of a recursion)."""
    from pyprofile import read_perf_map  # the same join as pyprofile.py's, for more events

    starts, entries = read_perf_map(perf_map)
    found: dict[str, Counts] = {}
    for line in annotated.splitlines():
        m = _TRAMPOLINE.match(line)
        if m is None or m.group(len(EVENTS) + 2):
            continue
        address = int(m.group(len(EVENTS) + 1), 16)
        i = bisect.bisect_right(starts, address) - 1
        if i < 0 or address >= entries[i][0] + entries[i][1]:
            continue
        counts = Counts.of(_ints(m.groups()))
        name = entries[i][2].removeprefix("py::")
        if name not in found or counts.cycles > found[name].cycles:
            found[name] = counts
    return found


def _start(python: str, suite: Path, args: list[str], out: Path, perf: bool,
           env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = ["valgrind", "--tool=callgrind", "--cache-sim=yes", *GEOMETRY,
               f"--callgrind-out-file={out}", python, *(["-X", "perf"] if perf else []),
               "-m", "pytest", *args]
    return subprocess.Popen(command, cwd=suite, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--tests", type=int, default=1000)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--functions", action="store_true",
                        help="also estimated cycles per leakwatch function (CPython 3.12+)")
    parser.add_argument("--match", default=r"leakwatch|wrapt",
                        help="with --functions: regular expression a name or file must match")
    parser.add_argument("--min", type=float, default=1.0,
                        help="with --functions: smallest estimate shown, millions of cycles")
    ns = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from run import CHILD_ENV, COMMON, suite_dir, variants  # the runner's own settings

    if ns.functions and subprocess.run(
            [ns.python, "-c", "import sys; sys.exit(not hasattr(sys, 'activate_stack_trampoline'))"],
            check=False).returncode != 0:
        sys.exit("--functions needs CPython 3.12+ built with perf trampolines (-X perf)")
    suite = suite_dir(ns.tests, ns.modules)
    env = {**CHILD_ENV, "PYTHONHASHSEED": "0"}
    chosen = {name: args for name, args in variants([]).items() if name in ("plain", "leakwatch")}
    for args in chosen.values():  # bytecode written, as in every timed run
        subprocess.run([ns.python, "-m", "pytest", *COMMON, *args], cwd=suite, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    with tempfile.TemporaryDirectory() as tmp:
        runs = {name: (args, False) for name, args in chosen.items()}
        if ns.functions:
            runs["functions"] = (chosen["leakwatch"], True)
        outs = {name: Path(tmp) / f"{name}.out" for name in runs}
        procs = {name: _start(ns.python, suite, [*COMMON, *args], outs[name], perf, env)
                 for name, (args, perf) in runs.items()}
        for proc in procs.values():
            proc.wait()
        plain = totals(_annotate(outs["plain"], inclusive=False))
        watched = totals(_annotate(outs["leakwatch"], inclusive=False))
        functions: dict[str, Counts] = {}
        if ns.functions:
            perf_map = Path(f"/tmp/perf-{procs['functions'].pid}.map")
            if not perf_map.exists():
                sys.exit(f"no {perf_map}: -X perf needs CPython 3.12+ built with perf support")
            functions = by_function(_annotate(outs["functions"], inclusive=True), perf_map)
            perf_map.unlink()
    print(f"{ns.tests:,} tests x {ns.modules} modules, Python {_version(ns.python)}; "
          f"model: {' '.join(GEOMETRY)}, penalties L1 {L1_PENALTY}, LL {LL_PENALTY}")
    print()
    print("| variant | instructions | L1 misses | LL misses | est. cycles | instr. ratio | "
          "est. cycles ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, c in (("plain", plain), ("leakwatch", watched)):
        print(f"| {name} | {c.ir / 1e6:,.1f} M | {c.l1_misses / 1e6:,.2f} M | "
              f"{c.ll_misses / 1e6:,.2f} M | {c.cycles / 1e6:,.1f} M | {c.ir / plain.ir:.4f} | "
              f"{c.cycles / plain.cycles:.4f} |")
    if functions:
        print()
        print(f"Per function: the --leakwatch run with -X perf, inclusive; \"/ test\" divides by "
              f"{ns.tests:,} (per-test parts only).")
        print()
        print("| est. cycles (M) | / test (k) | instructions (M) | est. cycles / instr. | "
              "function |")
        print("| --- | --- | --- | --- | --- |")
        pattern = re.compile(ns.match)
        for name, c in sorted(functions.items(), key=lambda kv: -kv[1].cycles):
            if c.cycles / 1e6 < ns.min:
                break
            if pattern.search(name):
                print(f"| {c.cycles / 1e6:,.2f} | {c.cycles / ns.tests / 1e3:,.1f} | "
                      f"{c.ir / 1e6:,.2f} | {c.cycles / max(c.ir, 1):.2f} | {name} |")


def _version(python: str) -> str:
    return subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                          capture_output=True, text=True, check=True).stdout.strip()


if __name__ == "__main__":
    main()
