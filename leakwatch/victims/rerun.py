"""Run a few tests, in a given order, in a fresh pytest process like the original one.

Same interpreter, plugins, options, ini file, rootdir and working directory as the
session that saw the failure; what would make the re-run differ from "these tests,
in this order, once" or would touch the user's artifacts is taken out:

- the positional test paths (we pass node ids, which pytest runs in the order given);
- ordering and stopping: ``-p no:randomly``, ``-p no:cacheprovider`` (no ``--lf``/
  ``--ff``/``--nf``/``--sw`` reordering, no writes to the user's cache), ``-n 0``
  when xdist is installed, ``-x``/``--maxfail`` removed;
- outputs: JUnit XML, leakwatch/HTML/JSON reports, coverage, ``--basetemp`` (each run
  gets its own, so pytest's temp-dir rotation never deletes the user's);
- the environment is the one the session started with (a leaked env var must not
  reach the re-run), minus pytest's per-test variables.

Outcomes come back through :mod:`leakwatch.victims.outcomes`, one line per report.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .outcomes import OUTCOMES_FILE

#: Set in re-runs: the victims plugin does not confirm again inside them.
CHILD_FLAG = "LEAKWATCH_VICTIMS_CHILD"

#: Options dropped from the re-runs; True when the option takes a value.
DROPPED: dict[str, bool] = {
    "--leakwatch-confirm": False, "--leakwatch-confirm-budget": True,
    "--leakwatch-report": True, "--leakwatch-fail": False,
    "--junitxml": True, "--junit-xml": True, "--junit-prefix": True,
    "--maxfail": True, "-x": False, "--exitfirst": False,
    "-n": True, "--numprocesses": True, "--dist": True, "--maxprocesses": True,
    "--lf": False, "--last-failed": False, "--ff": False, "--failed-first": False,
    "--nf": False, "--new-first": False, "--sw": False, "--stepwise": False,
    "--sw-skip": False, "--stepwise-skip": False, "--lfnf": True,
    "--last-failed-no-failures": True, "--cache-clear": False,
    "--html": True, "--self-contained-html": False, "--json-report": False,
    "--json-report-file": True, "--report-log": True, "--result-log": True,
    "--cov": True, "--cov-report": True, "--cov-config": True, "--cov-append": False,
    "--cov-branch": False, "--cov-fail-under": True, "--no-cov": False,
    "--pdb": False, "--trace": False, "--pdbcls": True, "--basetemp": True,
    "--randomly-seed": True, "--randomly-dont-reorganize": False,
    "--random-order": False, "--random-order-bucket": True, "--random-order-seed": True,
    "--looponfail": False, "-f": False,
}

#: pytest's per-test or per-worker variables, never inherited by a re-run.
DROPPED_ENV = ("PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT",
               "PYTEST_XDIST_TESTRUNUID", CHILD_FLAG, OUTCOMES_FILE)

#: Outcomes that count as the victim failing, and as it passing.
FAILING = ("failed", "xfailed")
PASSING = ("passed", "xpassed")


def strip_args(args: list[str], positional: set[str]) -> list[str]:
    """The user's arguments without test paths and the options listed in DROPPED."""
    out: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        if token in positional:
            continue
        name, eq, _ = token.partition("=")
        if token == "-p" and i < len(args) and args[i] in ("randomly", "random_order"):
            i += 1
            continue
        takes_value = DROPPED.get(name)
        if takes_value is None and len(token) > 2 and token[:2] in ("-n",) and token[1] != "-":
            continue  # -n4, -nauto
        if takes_value is None and token.startswith("-") and not token.startswith("--") \
                and len(token) > 2 and "x" in token[1:] and token[1:].isalpha():
            token = "-" + token[1:].replace("x", "")  # -xvs -> -vs
            if token == "-":
                continue
        if takes_value is None:
            out.append(token)
            continue
        if takes_value and not eq and i < len(args) and args[i] not in positional \
                and not args[i].startswith("-"):
            i += 1  # the option's value
    return out


def base_env(environ: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in environ.items() if k not in DROPPED_ENV}
    addopts = env.get("PYTEST_ADDOPTS")
    if addopts:
        env["PYTEST_ADDOPTS"] = shlex.join(strip_args(shlex.split(addopts), set()))
    env[CHILD_FLAG] = "1"
    return env


class Rerunner:
    """Runs node ids in order, within a shared deadline; counts runs and time.

    Plain and slotted, not a dataclass: defined at every enabled start-up (a dataclass costs ~0.3 ms).
    """

    __slots__ = ("args", "env", "cwd", "rootdir", "deadline", "locations", "extra", "own_report",
                 "runs", "seconds", "_tmp", "_cache_fallback")

    def __init__(self, args: list[str], env: dict[str, str], cwd: str, rootdir: str, deadline: float,
                 locations: dict[str, str] | None = None, extra: list[str] | None = None,
                 own_report: bool = False, runs: int = 0, seconds: float = 0.0,
                 _tmp: tempfile.TemporaryDirectory[str] | None = None,
                 _cache_fallback: bool = False) -> None:
        self.args = args
        self.env = env
        self.cwd = cwd
        self.rootdir = rootdir
        self.deadline = deadline
        #: nodeid -> path::rest to pass
        self.locations: dict[str, str] = {} if locations is None else locations
        self.extra: list[str] = [] if extra is None else extra  # e.g. -n 0 when xdist is installed
        self.own_report = own_report  # the session writes a leakwatch report: re-runs write theirs aside
        self.runs = runs
        self.seconds = seconds
        self._tmp = _tmp
        self._cache_fallback = _cache_fallback

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _argument(self, nodeid: str) -> str:
        known = self.locations.get(nodeid)
        if known is not None:
            return known
        path, sep, rest = nodeid.partition("::")
        return str(Path(self.rootdir) / path) + (sep + rest if sep else "")

    def command(self, nodeids: list[str], workdir: str) -> list[str]:
        extra = ["-p", "leakwatch.victims.outcomes", "-p", "no:randomly", "-q",
                 f"--basetemp={Path(workdir) / 'basetemp'}"]
        if self.own_report:
            extra.append(f"--leakwatch-report={Path(workdir) / 'leakwatch-report.json'}")
        if self._cache_fallback:
            extra += ["-o", f"cache_dir={Path(workdir) / 'cache'}"]
        else:
            extra += ["-p", "no:cacheprovider"]
        return [sys.executable, "-m", "pytest", *self.args, *self.extra, *extra,
                *[self._argument(n) for n in nodeids]]

    def run(self, nodeids: list[str]) -> dict[str, str] | None:
        """Each test's outcome (``failed`` wins over later phases), or None when out of time."""
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="leakwatch-confirm-")
        for _attempt in range(2):
            timeout = self.remaining()
            if timeout <= 1:
                return None
            workdir = tempfile.mkdtemp(dir=self._tmp.name)
            outcomes = Path(workdir) / "outcomes.jsonl"
            env = dict(self.env)
            env[OUTCOMES_FILE] = str(outcomes)
            started = time.monotonic()
            self.runs += 1
            try:
                proc = subprocess.run(self.command(nodeids, workdir), cwd=self.cwd, env=env,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                self.seconds += time.monotonic() - started
                return None
            self.seconds += time.monotonic() - started
            if proc.returncode == 4 and not outcomes.exists() and not self._cache_fallback:
                self._cache_fallback = True  # ini addopts use cacheprovider options
                continue
            return _read(outcomes)
        return {}

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _read(path: Path) -> dict[str, str]:
    result: dict[str, str] = {}
    if not path.exists():
        return result
    for line in path.read_text("utf-8").splitlines():
        try:
            data: Any = json.loads(line)
        except ValueError:
            continue
        nodeid, outcome = data.get("nodeid"), data.get("outcome")
        if type(nodeid) is not str or type(outcome) is not str:
            continue
        previous = result.get(nodeid)
        if previous in ("failed",) or (previous in ("xfailed", "skipped") and outcome == "passed"):
            continue  # a teardown pass does not undo a failure, xfail or skip
        result[nodeid] = outcome
    return result
