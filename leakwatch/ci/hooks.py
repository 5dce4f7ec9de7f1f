"""The CI plugin object: one per enabled session, registered by ``leakwatch.ci.register``.

It plays one of three roles. In a plain run and in the xdist controller it owns
the outputs (SARIF, GitHub, baseline) and the baseline gate; in an xdist worker
it only labels findings with the worker and its test order and hands the
worker's report to the controller. Every hook body is guarded: a fault here is
one leakwatch warning, never a changed test outcome.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..collector import Collector
from ..findings import Finding
from ..gate import Gate
from . import xdist
from .marker import MarkerFilter

if TYPE_CHECKING:  # imported only by a run with --leakwatch-baseline
    from . import baseline as baseline_mod


def _path(config: pytest.Config, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else Path(config.invocation_params.dir) / path


def _check_writable(option: str, path: Path) -> None:
    if path.is_dir():
        raise pytest.UsageError(f"{option}: {str(path)!r} is a directory; give a file path")
    parent = path.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise pytest.UsageError(f"{option}: cannot write {str(path)!r}: directory {str(parent)!r} "
                                "does not exist or is not writable")


class CIPlugin:
    def __init__(self, config: pytest.Config, collector: Collector, gate: Gate | None) -> None:
        self.config = config
        self.collector = collector
        self.gate = gate
        self.worker = xdist.worker_id(config)
        #: Run order: {nodeid, outcome, line} (plus worker in the controller's merged list).
        self.tests: list[dict[str, Any]] = []
        self._index: dict[str, int] = {}
        self.worker_tests: dict[str, list[dict[str, Any]]] = {}
        self.worker_extras: dict[str, list[Any]] = {}
        self.markers = MarkerFilter()
        baseline_opt = config.getoption("leakwatch_baseline", None) or config.getini("leakwatch_baseline")
        self.baseline_path = _path(config, baseline_opt) if baseline_opt else None
        self.update_baseline = bool(config.getoption("leakwatch_update_baseline", False))
        sarif_opt = config.getoption("leakwatch_sarif", None) or config.getini("leakwatch_sarif")
        self.sarif_path = _path(config, sarif_opt) if sarif_opt else None
        self.accepted: set[str] | None = None
        #: pytest's terminal reporter, whose record gives the outcomes at the end; None
        #: where reports are followed one by one instead (``_listen_to_reports``).
        self._terminal: Any = None
        self._reports: _ReportListener | None = None
        self._controller: bool | None = None
        self.comparison: baseline_mod.Comparison | None = None
        collector.filters.append(self.markers)
        collector.observers.append(self)
        collector.report_extras["tests"] = self.test_list
        collector.report_extras["baseline"] = self.baseline_json
        if self.worker is not None:
            collector.outputs.append(self.send_to_controller)
        else:
            collector.outputs.append(self.baseline_output)
            collector.outputs.append(self.sarif_output)
            collector.outputs.append(self.github_output)
            collector.report_wanted.append(self.wants_report)

    @property
    def controller(self) -> bool:
        """Asked late: xdist registers its controller plugin after leakwatch's configure
        (known for good once the session starts; asked for every report)."""
        if self._controller is None:
            return xdist.is_controller(self.config)
        return self._controller

    # -- start-up validation (UsageError: exit 4, before any test) -----------

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._controller = xdist.is_controller(self.config)
        with self.collector.guard("ci"):
            terminal = self.config.pluginmanager.get_plugin("terminalreporter")
            if self.worker is None and not self._controller and terminal is not None:
                self._terminal = terminal  # outcomes read from its record at the end
            elif not self._controller:
                self._listen_to_reports()
        if self.worker is not None:
            return
        try:
            self._validate()
        except pytest.UsageError:
            raise
        except Exception:  # noqa: BLE001 - any other fault is one leakwatch warning
            with self.collector.guard("ci"):
                raise

    def _validate(self) -> None:
        if self.update_baseline and self.baseline_path is None:
            raise pytest.UsageError("--leakwatch-update-baseline needs --leakwatch-baseline=FILE "
                                    "(or ini leakwatch_baseline)")
        if self.sarif_path is not None:
            _check_writable("--leakwatch-sarif", self.sarif_path)
        if self.baseline_path is None:
            return
        from . import baseline as baseline_mod

        if self.update_baseline:
            _check_writable(baseline_mod.OPTION, self.baseline_path)
            try:
                self.accepted = set(baseline_mod.load(self.baseline_path))
            except pytest.UsageError:
                self.accepted = set()  # about to be rewritten: a missing or broken file is fine
        else:
            self.accepted = set(baseline_mod.load(self.baseline_path))
            if self.gate is not None:
                self.gate.baseline = set(self.accepted)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        try:
            self.markers.collect(items)  # UsageError on a bad marker, before any test runs
        except pytest.UsageError as exc:
            workeroutput = getattr(self.config, "workeroutput", None)
            if self.worker is None or not isinstance(workeroutput, dict):
                raise
            # An xdist worker raising here crashes the controller's scheduler: run nothing
            # instead and let the controller raise the usage error (exit 4).
            workeroutput[xdist.USAGE_ERROR_KEY] = str(exc)
            items[:] = []
            return
        except Exception:  # noqa: BLE001 - a bug of ours: one warning, the run goes on
            with self.collector.guard("marker"):
                raise

    # -- the run's order and outcomes ---------------------------------------

    def _sync_tests(self) -> None:
        """Bring the test list up to the collector's run order (kept there, one append per
        test, rather than an observer call per test here): before each read of it."""
        order, tests, index = self.collector.run_order, self.tests, self._index
        for nodeid in order[len(tests):]:
            index[nodeid] = len(tests)
            tests.append({"nodeid": nodeid, "outcome": "passed"})

    def _listen_to_reports(self) -> None:
        """Follow every report from now on (outcomes and JUnit properties).

        Only where nothing else keeps the reports: in an xdist worker (its list goes to
        the controller) or without pytest's terminal reporter. Otherwise outcomes are read
        from the terminal reporter's record at the end (:meth:`_outcomes_from_terminal`)
        and this listener is registered by the first finding, for the JUnit properties of
        the tests from then on: a hook called three times per test costs every test of a
        clean suite about 20 k instructions (benchmarks/RESULTS.md).
        """
        if self._reports is None:
            self._reports = _ReportListener(self)
            self.config.pluginmanager.register(self._reports, "leakwatch-ci-reports")

    def on_report(self, report: pytest.TestReport) -> None:
        if self.controller:
            return  # the controller's list comes from the workers' reports
        try:  # the guard, inlined: three reports per test
            if self._terminal is None:
                self._apply(report)
            if report.when == "teardown" and self.collector.last_test_findings:
                self._junit_properties(report)
        except Exception as exc:  # noqa: BLE001
            self.collector.record_error("ci", exc)

    def _apply(self, report: Any) -> None:
        self._sync_tests()
        pos = self._index.get(report.nodeid)
        if pos is None:
            return
        entry = self.tests[pos]
        if "line" not in entry:  # pytest computed the location for the report already
            line = report.location[1]
            if isinstance(line, int):
                entry["line"] = line + 1
        if report.failed:
            entry["outcome"] = "failed" if not hasattr(report, "wasxfail") else "xpassed"
        elif report.skipped and entry["outcome"] == "passed":
            entry["outcome"] = "xfailed" if hasattr(report, "wasxfail") else "skipped"

    def _outcomes_from_terminal(self) -> None:
        """The outcomes and lines of the tests run, from the reports pytest's terminal
        reporter kept (every report, in lists by category).

        Passed reports only give a test its line: those of category "" (setup and teardown)
        are skipped and "passed" ones (one call report per test) are read for the line
        alone, so a clean suite costs one dict lookup per test here. Every other report
        goes through the same rules as when they are followed one by one, in run and phase
        order.
        """
        terminal, self._terminal = self._terminal, None
        if terminal is None:
            return
        stats = getattr(terminal, "stats", None)
        if not isinstance(stats, dict):
            return
        self._sync_tests()
        index, tests = self._index, self.tests
        others: list[Any] = []
        for category, reports in stats.items():
            if category == "" or not isinstance(reports, list):
                continue
            if category != "passed":
                others += [r for r in reports if isinstance(r, pytest.TestReport) and r.nodeid in index]
                continue
            for report in reports:
                if not isinstance(report, pytest.TestReport):
                    continue
                pos = index.get(report.nodeid)
                if pos is not None and "line" not in tests[pos]:
                    line = report.location[1]
                    if isinstance(line, int):
                        tests[pos]["line"] = line + 1
        order = {"setup": 0, "call": 1, "teardown": 2}
        others.sort(key=lambda r: (index[r.nodeid], order.get(r.when, 3)))
        for report in others:
            self._apply(report)

    def _junit_properties(self, report: pytest.TestReport) -> None:
        """The test's findings as JUnit XML properties, on its teardown report (the test
        window closed in the teardown hook, before this report). Added by a logreport
        listener registered at the first finding rather than in a makereport wrapper: that
        would cost a generator per report of every test."""
        for f in self.collector.last_test_findings:
            if f.owner.type == "test" and f.owner.name == report.nodeid:
                report.user_properties.append(
                    ("leakwatch", f"{f.kind} {f.subject}: {f.change} [{f.id}]"))

    def on_finding(self, finding: Finding) -> None:
        if self._reports is None and not self.controller:
            self._listen_to_reports()  # this test's teardown report gets its JUnit properties
        if self.worker is None:
            return
        self._sync_tests()
        pos = self._index.get(finding.test, len(self.tests)) if finding.owner.type == "test" \
            else len(self.tests)
        before = [t["nodeid"] for t in self.tests[:pos]]
        finding.detail["worker"] = self.worker
        finding.detail["preceding_count"] = len(before)
        finding.detail["preceding_tests"] = before[-xdist.PRECEDING_CAP:]

    def test_list(self) -> list[dict[str, Any]]:
        if self.controller:
            return [t for wid in sorted(self.worker_tests) for t in self.worker_tests[wid]]
        self._outcomes_from_terminal()
        self._sync_tests()
        return [dict(t) for t in self.tests]

    # -- xdist ------------------------------------------------------------

    def send_to_controller(self, report: dict[str, Any], config: pytest.Config) -> None:
        workeroutput = getattr(config, "workeroutput", None)
        if isinstance(workeroutput, dict):
            workeroutput[xdist.WORKEROUTPUT_KEY] = xdist.worker_payload(report)

    @pytest.hookimpl(optionalhook=True)  # xdist's hook: unknown (INTERNALERROR) without xdist
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        output = getattr(node, "workeroutput", None)
        if isinstance(output, dict) and isinstance(output.get(xdist.USAGE_ERROR_KEY), str):
            raise pytest.UsageError(output[xdist.USAGE_ERROR_KEY])
        with self.collector.guard("xdist"):
            wid = str(getattr(getattr(node, "gateway", None), "id", "gw?"))
            output = getattr(node, "workeroutput", None) or {}
            payload = output.get(xdist.WORKEROUTPUT_KEY) if isinstance(output, dict) else None
            if error or not isinstance(payload, str):
                self.collector.mark_incomplete(f"no leakwatch report from xdist worker {wid}"
                                               + (f" ({error})" if error else ""))
                return
            report = xdist.merge(self.collector, wid, payload)
            self.worker_tests[wid] = report["tests"]
            for key, values in xdist.extra_lists(report).items():
                self._merge_extra(key, values)

    def _merge_extra(self, key: str, values: list[Any]) -> None:
        """Workers' ``victims`` (and other sub-plugin lists) join the controller's own."""
        merged = self.worker_extras.get(key)
        if merged is None:
            merged = self.worker_extras[key] = []
            own = self.collector.report_extras.get(key)

            def combined() -> list[Any]:
                mine = own() if own is not None else None
                return (list(mine) if isinstance(mine, list) else []) + merged

            self.collector.report_extras[key] = combined
        merged.extend(values)

    # -- outputs (plain run and controller) ----------------------------------

    def baseline_json(self) -> dict[str, Any] | None:
        if self.comparison is None or self.baseline_path is None:
            return None
        return self.comparison.to_json(self.baseline_path, self.update_baseline)

    def baseline_output(self, report: dict[str, Any], config: pytest.Config) -> None:
        if self.baseline_path is None or self.accepted is None:
            return
        from . import baseline as baseline_mod

        self.comparison = baseline_mod.compare(self.accepted, report)
        report["baseline"] = self.baseline_json()
        if self.update_baseline:
            baseline_mod.write(self.baseline_path, report)
            if self.gate is not None:
                self.gate.baseline = {e["id"] for e in baseline_mod.entries_from_report(report)}

    def wants_report(self) -> bool:
        """Whether one of the outputs below will use the report."""
        from ..report import github

        return self.baseline_path is not None or self.sarif_path is not None or github.enabled()

    def sarif_output(self, report: dict[str, Any], config: pytest.Config) -> None:
        if self.sarif_path is not None:
            from ..report import sarif

            sarif.write(self.sarif_path, report)

    def github_output(self, report: dict[str, Any], config: pytest.Config) -> None:
        from ..report import github

        if not github.enabled():
            return
        lines = github.workflow_commands(report)
        tr = config.pluginmanager.get_plugin("terminalreporter")
        for line in lines:
            if tr is not None:
                tr.write_line(line)  # starts a fresh line: a command must begin one
            else:  # pragma: no cover - -p no:terminal
                sys.stdout.write(line + "\n")
        github.write_step_summary(report)

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.worker is not None or self.comparison is None:
            return
        with self.collector.guard("ci"):
            line = self.comparison.line()
            if self.update_baseline and self.baseline_path is not None:
                line += f" (written to {self.baseline_path})"
            terminalreporter.write_line(line)


class _ReportListener:
    """``pytest_runtest_logreport`` for the CI plugin, registered only when needed
    (:meth:`CIPlugin._listen_to_reports`)."""

    def __init__(self, plugin: CIPlugin) -> None:
        self.plugin = plugin

    @pytest.hookimpl(tryfirst=True)  # before junitxml's: it reads the user properties
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.plugin.on_report(report)
