"""The fail-on-leak gate: the only part of leakwatch allowed to change an exit code."""

from __future__ import annotations

import pytest

from .collector import Collector
from .findings import LEAK


class Gate:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.message: str | None = None
        #: Accepted finding ids (``--leakwatch-baseline``, set by leakwatch.ci): leaks
        #: with these ids do not fail the run. None: no baseline, every leak counts.
        self.baseline: set[str] | None = None

    def decide(self, collector: Collector, exitstatus: int) -> int | None:
        """The new exit status, or None to leave pytest's alone."""
        leaks = [f for f in collector.findings if f.severity == LEAK]
        if self.baseline is not None:
            leaks = [f for f in leaks if f.id not in self.baseline]
        if not self.enabled or not leaks:
            return None
        owners = {f.owner.label() for f in leaks}
        self.message = (
            f"leakwatch: failing the run (--leakwatch-fail): {len(leaks)} leak finding"
            f"{'s' if len(leaks) != 1 else ''} from {len(owners)} test"
            f"{'s' if len(owners) != 1 else ''} or fixtures"
            + (" not in the baseline" if self.baseline is not None else "")
        )
        if exitstatus == pytest.ExitCode.OK:
            return int(pytest.ExitCode.TESTS_FAILED)
        return None
