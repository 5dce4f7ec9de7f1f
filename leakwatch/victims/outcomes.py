"""Loaded (``-p leakwatch.victims.outcomes``) into the pytest runs that confirm a victim.

It writes one JSON line per test report to the file named by the environment
variable below, so the confirming session reads outcomes without parsing
terminal output or depending on the child's exit code.
"""

from __future__ import annotations

import json
import os

import pytest

OUTCOMES_FILE = "LEAKWATCH_VICTIMS_OUTCOMES"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = os.environ.get(OUTCOMES_FILE)
    if not path:
        return
    xfail = hasattr(report, "wasxfail")
    if report.failed:
        outcome = "failed"
    elif report.skipped:
        outcome = "xfailed" if xfail else "skipped"
    else:
        outcome = "xpassed" if xfail else "passed"
    line = json.dumps({"nodeid": report.nodeid, "when": report.when, "outcome": outcome})
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
