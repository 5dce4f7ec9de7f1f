"""CI ecosystem: xdist merge, baselines, SARIF, annotations, JUnit (issue 6).

A sub-plugin of :mod:`leakwatch.plugin`: ``addoption`` adds the options,
``register`` (called in ``pytest_configure`` when leakwatch is enabled) registers
one :class:`~leakwatch.ci.hooks.CIPlugin` that owns all of it. Every other format
is rendered from the JSON report dict (``collector.outputs``), never from live
objects, so ``leakwatch show/diff/html`` see exactly what CI saw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # sub-plugins are imported by every pytest run: keep them light
    from ..collector import Collector


def addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("leakwatch")
    group.addoption("--leakwatch-baseline", metavar="FILE", default=None,
                    help="Accepted leaks by id: with --leakwatch-fail, only leaks not in FILE fail.")
    group.addoption("--leakwatch-update-baseline", action="store_true", default=False,
                    help="(Re)write the --leakwatch-baseline FILE from this run's findings.")
    group.addoption("--leakwatch-sarif", metavar="PATH", default=None,
                    help="Write the findings as SARIF 2.1.0 to PATH (code scanning).")
    parser.addini("leakwatch_baseline", "Baseline file of accepted leak ids.", default="")
    parser.addini("leakwatch_sarif", "Path of the SARIF 2.1.0 output.", default="")


def register(config: pytest.Config, collector: Collector) -> None:
    from ..plugin import GATE
    from .hooks import CIPlugin

    gate = config.stash.get(GATE, None)
    config.pluginmanager.register(CIPlugin(config, collector, gate), "leakwatch-ci")
