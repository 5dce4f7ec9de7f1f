"""The ``pytest_leakwatch_probes`` hook: how a project or plugin adds its own probes."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookspec
def pytest_leakwatch_probes(config: pytest.Config) -> list[Any] | None:
    """Return probes to run with leakwatch's own (only called when leakwatch is enabled).

    A probe has ``name`` (str), ``start()``, ``poll() -> list[leakwatch.changes.Change]``
    (changes since the previous poll) and ``mark(phase_ended)`` (may do nothing); it may
    have ``restore(change, before)`` used by ``--leakwatch-restore``. Register new
    finding kinds with ``leakwatch.findings.register_kind``. Exceptions raised by the
    hook, the probe's construction or any of its methods become one leakwatch warning.
    See docs/probes.md.
    """
