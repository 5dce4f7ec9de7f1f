"""The fail-on-leak gate: the only part of leakwatch allowed to change an exit code."""

from __future__ import annotations

import pytest

from .collector import Collector
from .findings import LEAK


class Gate:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.message: str | None = None

    def decide(self, collector: Collector, exitstatus: int) -> int | None:
        """The new exit status, or None to leave pytest's alone."""
        leaks = [f for f in collector.findings if f.severity == LEAK]
        if not self.enabled or not leaks:
            return None
        owners = {f.owner.label() for f in leaks}
        self.message = (
            f"leakwatch: failing the run (--leakwatch-fail): {len(leaks)} leak finding"
            f"{'s' if len(leaks) != 1 else ''} from {len(owners)} test"
            f"{'s' if len(owners) != 1 else ''} or fixtures"
        )
        if exitstatus == pytest.ExitCode.OK:
            return int(pytest.ExitCode.TESTS_FAILED)
        return None
