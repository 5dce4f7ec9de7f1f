"""Confirm a victim by re-running: alone, after each suspect, then by delta debugging.

The ledger names suspects cheaply, from state; a re-run proves it. For one victim:

1. run it alone: if it fails there too, it is no pollution victim (``confirmed: false``);
2. run the most relevant suspect, then the victim: a failure confirms that polluter
   (two runs in all, the usual case: the leak on a name the failing code uses);
3. otherwise delta debugging, as detect-test-pollution does, but starting from the
   suspects: all of them, then the victim; if that fails, bisect among them (a handful
   of tests, not the suite); if not (the polluter left nothing leakwatch saw), bisect
   over every test that ran before the victim.

All re-runs share one deadline (``--leakwatch-confirm-budget``); when it runs out the
victim's ``confirmed`` stays ``null`` with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .rerun import FAILING, PASSING, Rerunner


@dataclass
class Confirmation:
    confirmed: bool | None = None
    method: str | None = None  # "pair" | "bisect"
    polluters: list[str] = field(default_factory=list)
    alone: str | None = None
    reason: str = ""
    runs: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "polluters": list(self.polluters), "alone": self.alone,
                "reason": self.reason, "runs": self.runs, "seconds": round(self.seconds, 3)}


class _OutOfTime(Exception):
    pass


class Confirmer:
    """Confirms one victim at a time with a shared :class:`Rerunner`."""

    def __init__(self, rerunner: Rerunner, progress: Callable[[str], None]) -> None:
        self.rerunner = rerunner
        self.progress = progress

    def _outcome(self, tests: list[str], victim: str) -> str:
        outcomes = self.rerunner.run([*tests, victim])
        if outcomes is None:
            raise _OutOfTime
        return outcomes.get(victim, "not run")

    def _fails_after(self, tests: list[str], victim: str) -> bool:
        return self._outcome(tests, victim) in FAILING

    def confirm(self, victim: str, suspects: list[str], ran_before: list[str]) -> Confirmation:
        result = Confirmation()
        runs, started = self.rerunner.runs, time.monotonic()
        try:
            self._confirm(result, victim, suspects, ran_before)
        except _OutOfTime:
            result.confirmed = None
            result.reason = "confirm budget exhausted"
        result.runs = self.rerunner.runs - runs
        result.seconds = time.monotonic() - started
        self.progress(f"{victim}: {_verdict(result)} ({result.runs} runs, {result.seconds:.1f}s)")
        return result

    def _confirm(self, result: Confirmation, victim: str, suspects: list[str],
                 ran_before: list[str]) -> None:
        self.progress(f"{victim}: running it alone")
        result.alone = self._outcome([], victim)
        if result.alone not in PASSING:
            result.confirmed = False
            result.reason = f"{result.alone} when run alone: not a pollution victim"
            return
        earlier = set(ran_before)
        candidates = [s for s in suspects if s != victim and (s in earlier or "::" not in s)]
        if candidates:
            polluter = candidates[0]  # the most relevant suspect: usually the one
            self.progress(f"{victim}: after {polluter}")
            if self._fails_after([polluter], victim):
                result.confirmed, result.method, result.polluters = True, "pair", [polluter]
                result.reason = "passes alone, fails after the polluter"
                return
        self._bisect(result, victim, candidates, ran_before)

    def _bisect(self, result: Confirmation, victim: str, suspects: list[str],
                ran_before: list[str]) -> None:
        chosen = set(suspects)
        start = [t for t in suspects if t not in set(ran_before)] + \
            [t for t in ran_before if t in chosen]
        if len(start) >= 2:
            self.progress(f"{victim}: after its {len(start)} suspects together")
        if len(start) < 2 or not self._fails_after(start, victim):
            start = [t for t in ran_before if t != victim]
            self.progress(f"{victim}: after the {len(start)} tests that ran before it")
            if not start or not self._fails_after(start, victim):
                result.confirmed = False
                result.reason = "passes after its suspects and after all earlier tests: " \
                                "not reproduced (flaky, or depends on something else)"
                return
        tests, verified = start, True
        while len(tests) > 1:
            half = len(tests) // 2
            self.progress(f"{victim}: bisecting, {len(tests)} tests left")
            if self._fails_after(tests[:half], victim):
                tests, verified = tests[:half], True
            else:
                tests, verified = tests[half:], False  # as detect-test-pollution: checked at the end
        if not verified and not self._fails_after(tests, victim):
            result.confirmed = False
            result.reason = "reproduced after all earlier tests, but by no single one of them " \
                            "(it takes several together)"
            return
        result.confirmed, result.method, result.polluters = True, "bisect", tests
        result.reason = "passes alone, fails after this test"


def _verdict(result: Confirmation) -> str:
    if result.confirmed:
        return f"confirmed ({result.method}): " + ", ".join(result.polluters[:3])
    if result.confirmed is False:
        return "not confirmed: " + result.reason
    return "undecided: " + result.reason
