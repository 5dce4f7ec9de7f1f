"""An installed leakwatch that is off costs a pytest run almost nothing.

The plugin and its sub-plugins are imported by every pytest session (entry point) to add
their options; the detector's modules (mock and wrapt interceptors, ctypes cores, tabulate
reporters) must be imported only by a session that enables leakwatch.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("leakwatch.collector", "leakwatch.interceptors", "leakwatch.versions", "leakwatch.safe",
         "leakwatch.report.terminal", "unittest.mock", "wrapt", "tabulate", "ctypes",
         # the finding model defines dataclasses (about 0.4 ms each to define): the options
         # and the sub-plugins' kinds need only the catalogue, leakwatch.kinds
         "leakwatch.findings")


def test_disabled_session_imports_no_detector_module(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain=f"""
        import sys

        HEAVY = {HEAVY!r}

        def test_nothing_heavy_loaded():
            assert [name for name in HEAVY if name in sys.modules] == []
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist",
                                           "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=1)


def test_enabled_session_loads_the_detector(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_on="""
        import sys

        def test_loaded():
            assert "leakwatch.collector" in sys.modules
    """)
    result = pytester.runpytest_subprocess("--leakwatch", "-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=1)


def test_subplugins_import_light() -> None:
    code = ("import sys, leakwatch.plugin, leakwatch.breadth, leakwatch.tracer, leakwatch.victims, "
            f"leakwatch.ci; print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
