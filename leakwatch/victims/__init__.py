"""Victims: explain failures by inherited leaks, name the polluter, confirm by re-running (issue 4).

- :mod:`.ledger` keeps the leaks still in force and who left them (a collector observer);
- :mod:`.relevance` ranks them for a failing test by what its code touched;
- :mod:`.explain` writes the failure section and the JSON ``victims`` entries;
- :mod:`.confirm` and :mod:`.rerun` re-run victim and polluters (``--leakwatch-confirm``);
- :mod:`.hooks` is the pytest plugin object tying them together.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

#: Default for --leakwatch-confirm-budget, seconds for all re-runs of one session.
DEFAULT_BUDGET = 300.0


def _budget(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: the budget must be more than 0 seconds")
    return value


def addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("leakwatch")
    group.addoption("--leakwatch-confirm", action="store_true", default=False,
                    help="After the run, re-run each failed test that inherited leaks alone and "
                         "after its suspected polluters, in fresh pytest processes.")
    group.addoption("--leakwatch-confirm-budget", metavar="SECONDS", type=_budget,
                    default=DEFAULT_BUDGET,
                    help=f"Time for all --leakwatch-confirm re-runs (default {DEFAULT_BUDGET:.0f}s).")


def register(config: pytest.Config, collector: Any) -> None:
    from .hooks import VictimsPlugin
    from .ledger import Ledger

    ledger = Ledger(collector)
    plugin = VictimsPlugin(config, collector, ledger, dict(os.environ))
    collector.observers.append(ledger)  # the plugin hears from it (Ledger.on_outstanding)
    collector.report_extras["victims"] = plugin.report_victims
    collector.report_extras["victims_confirm"] = plugin.report_confirm
    config.pluginmanager.register(plugin, "leakwatch-victims")
