"""Instructions per Python function, inclusive, in one pytest run: deterministic, by name.

callgrind counts instructions exactly, run after run, but sees only C functions: every
Python function is ``_PyEval_EvalFrameDefault``. With ``-X perf`` (CPython 3.12+) each
Python function runs through a trampoline of its own, whose address the interpreter
writes to ``/tmp/perf-PID.map`` with the function's name; callgrind reports each
trampoline as an unnamed function with its inclusive count. This joins the two, so a
pass can ask "how many instructions does ``Collector._poll`` cost per test?" and get the
same answer twice, where wall time on a shared machine moves by 5-10 % between runs.

    python benchmarks/pyprofile.py PYTHON SUITE_DIR [--match leakwatch] [--min 0.5] \\
        [-- pytest args...]
    python benchmarks/pyprofile.py .venv/bin/python benchmarks/out/suite-1000x200c0 \\
        -- --leakwatch

Counts are inclusive (callees included: a wrapper's count includes the function it
wraps) and carry ``-X perf``'s own cost (about 10 % more instructions overall). Recursive
calls are counted once (the outermost). Needs valgrind and Python 3.12+.
"""

from __future__ import annotations

import argparse
import bisect
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

#: One line of ``callgrind_annotate --inclusive=yes``: the count, then an unnamed function
#: (a trampoline) by address; a quote-number suffix marks a recursive copy.
_LINE = re.compile(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+\?\?\?:0x([0-9a-f]+)('\d+)? \[\?\?\?\]")


def read_perf_map(path: Path) -> tuple[list[int], list[tuple[int, int, str]]]:
    """The trampolines ``-X perf`` wrote to ``/tmp/perf-PID.map``, sorted by address: their
    start addresses (for ``bisect``), and each one's (start, size, name); cachesim.py's
    ``--functions`` reads them too."""
    entries = []
    for line in path.read_text(errors="replace").splitlines():
        start, size, name = line.split(" ", 2)
        entries.append((int(start, 16), int(size, 16), name))
    entries.sort()
    return [e[0] for e in entries], entries


def inclusive_by_function(annotated: str, perf_map: Path) -> dict[str, int]:
    """Python function name -> its inclusive instruction count."""
    starts, entries = read_perf_map(perf_map)
    found: dict[str, int] = {}
    for line in annotated.splitlines():
        m = _LINE.match(line)
        if m is None or m.group(3):
            continue
        address = int(m.group(2), 16)
        i = bisect.bisect_right(starts, address) - 1
        if i < 0 or address >= entries[i][0] + entries[i][1]:
            continue
        name = entries[i][2]
        count = int(m.group(1).replace(",", ""))
        found[name] = max(found.get(name, 0), count)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("python")
    parser.add_argument("suite", type=Path)
    parser.add_argument("--match", default="leakwatch",
                        help="regular expression a function's name or file must match")
    parser.add_argument("--min", type=float, default=0.5, help="smallest count shown, millions")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    ns = parser.parse_args(argv[:cut])
    args = ["-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:hygiene", *argv[cut + 1:]]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONHASHSEED"] = "0"
    subprocess.run([ns.python, "-m", "pytest", *args], cwd=ns.suite, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)  # bytecode
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        proc = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", ns.python, "-X", "perf",
             "-m", "pytest", *args], cwd=ns.suite, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        proc.wait()
        perf_map = Path(f"/tmp/perf-{proc.pid}.map")  # valgrind runs the program as this pid
        if not perf_map.exists():
            sys.exit(f"no {perf_map}: -X perf needs CPython 3.12+ built with perf support")
        annotated = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100",
                                    str(out)], capture_output=True, text=True, check=True).stdout
        total = re.search(r"([\d,]+) \(100\.0+%\)\s+PROGRAM TOTALS", annotated)
        counts = inclusive_by_function(annotated, perf_map)
        perf_map.unlink()
    if total is not None:
        print(f"whole run: {int(total.group(1).replace(',', '')) / 1e6:,.1f} M instructions "
              "(with -X perf)")
    pattern = re.compile(ns.match)
    for name, count in sorted(counts.items(), key=lambda kv: -kv[1]):
        if count / 1e6 < ns.min:
            break
        if pattern.search(name):
            print(f"{count / 1e6:10.2f} M  {name.removeprefix('py::')}")


if __name__ == "__main__":
    main()
