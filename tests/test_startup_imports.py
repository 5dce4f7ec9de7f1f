"""An installed leakwatch that is off costs a pytest run almost nothing.

The plugin and its sub-plugins are imported by every pytest session (entry point) to add
their options; the detector's modules (mock and wrapt interceptors, ctypes cores, tabulate
reporters) must be imported only by a session that enables leakwatch.
"""

from __future__ import annotations

import inspect
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


#: CPython 3.12.0-3.12.3 keep every class ``inspect.getattr_static`` has seen in an lru_cache
#: (gh-118013); pluggy looks up each registered plugin object's hooks with it.
CLASS_CACHE = inspect.__dict__.get("_shadowed_dict_from_mro_tuple")

CACHE_AT_EXIT = """
    import atexit, inspect, sys

    class _Plugin:  # a plugin object, as leakwatch and most plugins register
        def pytest_sessionstart(self, session):
            pass

    def pytest_configure(config):
        config.pluginmanager.register(_Plugin(), "a-plugin-object")
        inspect.getattr_static(_Plugin(), "absent", None)  # in the cache whatever pluggy does

    @atexit.register
    def _report():
        size = inspect._shadowed_dict_from_mro_tuple.cache_info().currsize
        sys.stdout.write(f"CLASSES-CACHED-AT-EXIT={size}\\n")
"""


@pytest.mark.skipif(CLASS_CACHE is None, reason="only CPython 3.12.0-3.12.3 cache classes strongly")
@pytest.mark.parametrize(("args", "emptied"), [
    (["-p", "no:leakwatch"], False),  # what pytest and pluggy leave: the cache is full at exit
    ([], True),  # leakwatch installed, off
    (["--leakwatch"], True),
])
def test_session_end_empties_the_getattr_static_class_cache(
        pytester: pytest.Pytester, args: list[str], emptied: bool) -> None:
    """Classes held there keep the session alive past ``sys.modules`` at shutdown, which
    then traverses the whole heap once more (plugin._drop_getattr_static_cache)."""
    pytester.makeconftest(CACHE_AT_EXIT)
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    result = pytester.runpytest_subprocess(*args, "-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=1)
    line = "CLASSES-CACHED-AT-EXIT=0" if emptied else "CLASSES-CACHED-AT-EXIT=[1-9]*"
    result.stdout.fnmatch_lines([line])


#: What an enabled run imports only when it has something to say: the describer and the
#: static origin finder (a change to describe), the grouping and the table (findings to
#: show), the re-runner (--leakwatch-confirm), the baseline (--leakwatch-baseline).
ON_DEMAND = ("leakwatch.describe", "leakwatch.static_origin", "leakwatch.report.grouping",
             "tabulate", "leakwatch.victims.rerun", "leakwatch.ci.baseline")

MODULES_AT_EXIT = """
    import atexit, sys

    ON_DEMAND = {on_demand!r}

    @atexit.register
    def _report():
        sys.stdout.write("IMPORTED=" + ",".join(m for m in ON_DEMAND if m in sys.modules) + "\\n")
"""


@pytest.mark.parametrize(("body", "imported"), [
    ("def test_clean(monkeypatch):\n    monkeypatch.setattr(helper, 'FLAG', 2)\n", ""),
    ("def test_leaks():\n    helper.FLAG = 3\n",
     "leakwatch.describe,leakwatch.static_origin,leakwatch.report.grouping,tabulate"),
])
def test_an_enabled_run_imports_what_it_reports_with_only_when_it_reports(
        pytester: pytest.Pytester, body: str, imported: str) -> None:
    """A run that changes nothing never imports the modules that describe and show findings
    (each module is ~0.2-0.5 ms of start-up); one with a leak does, and reports it."""
    pytester.makeconftest(MODULES_AT_EXIT.format(on_demand=ON_DEMAND))
    pytester.makepyfile(helper="FLAG = 1\n")
    pytester.makepyfile(test_a="import helper\n\n" + body)
    result = pytester.runpytest_subprocess("--leakwatch", "-p", "no:cacheprovider", "-p", "no:xdist",
                                           "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"IMPORTED={imported}"])
    assert ("helper.FLAG" in result.stdout.str()) is bool(imported)
