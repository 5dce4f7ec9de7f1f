"""The victims plugin object: pytest hooks that turn the ledger into explanations.

Registered by :func:`leakwatch.victims.register` only when leakwatch is enabled.
Every hook body runs inside ``collector.guard("victims")``: an error here is one
warning in the leakwatch report, never a change to the user's run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from .ledger import Ledger, Outstanding

if TYPE_CHECKING:  # explain, relevance, confirm and rerun are imported when a victim shows up
    from .confirm import Confirmation
    from .rerun import Rerunner


def _child_flag() -> str:
    """The env var a confirmation's child run carries (imported only for ``--leakwatch-confirm``:
    the re-runner is not needed by a run that does not confirm)."""
    from .rerun import CHILD_FLAG

    return CHILD_FLAG


#: JUnit XML ``<property>`` carrying the top suspects (pytest writes sections to JUnit only
#: with junit_logging; properties always).
JUNIT_PROPERTY = "leakwatch_suspects"


class Victim:
    """A test that failed (or xfailed) after beginning with leaks outstanding, and its suspects.

    Plain and slotted, not a dataclass: defined at every enabled start-up (a dataclass costs ~0.3 ms).
    """

    __slots__ = ("test", "phase", "outcome", "suspects", "more", "polluters", "confirmation", "phases")

    def __init__(self, test: str, phase: str, outcome: str, suspects: list[dict[str, Any]], more: int,
                 polluters: list[str], confirmation: Confirmation | None = None,
                 phases: list[str] | None = None) -> None:
        self.test = test
        self.phase = phase
        self.outcome = outcome
        self.suspects = suspects
        self.more = more
        self.polluters = polluters
        self.confirmation = confirmation
        self.phases: list[str] = [] if phases is None else phases

    def to_json(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "phase": self.phase,
            "outcome": self.outcome,
            "suspects": self.suspects,
            "more": self.more,
            "confirmed": self.confirmation.confirmed if self.confirmation else None,
            "confirmation": self.confirmation.to_json() if self.confirmation else None,
        }


def _outcome(report: pytest.TestReport) -> str | None:
    if report.failed:
        return "failed" if report.when == "call" else "error"
    if report.skipped and hasattr(report, "wasxfail"):
        return "xfailed"
    return None


class VictimsPlugin:
    def __init__(self, config: pytest.Config, collector: Any, ledger: Ledger,
                 environ: dict[str, str]) -> None:
        self.config = config
        self.collector = collector
        self.ledger = ledger
        self.environ = environ
        self.began_with: dict[str, list[Outstanding]] = {}
        self.victims: dict[str, Victim] = {}
        ledger.on_outstanding = self.began_with_leaks
        # Under xdist each worker confirms its own victims (it knows the order they ran
        # in); results reach the controller with the worker's report (leakwatch.ci).
        self.confirm = bool(config.getoption("leakwatch_confirm", False)) \
            and not os.environ.get(_child_flag())
        self.budget = float(config.getoption("leakwatch_confirm_budget", 300.0) or 300.0)
        self.confirm_stats: dict[str, Any] | None = None
        self._explaining = False

    # -- told by the ledger ---------------------------------------------------

    def began_with_leaks(self, nodeid: str, outstanding: list[Outstanding]) -> None:
        """A test begins while leaks are in force (the ledger asks only then: a clean
        suite pays no call per test for this)."""
        if outstanding:
            self.began_with[nodeid] = outstanding
            if not self._explaining:
                # From the first test that begins with a leak outstanding on: a
                # makereport wrapper for every report of a clean suite would be wasted.
                self._explaining = True
                self.config.pluginmanager.register(_Reports(self), "leakwatch-victim-reports")

    def _explain(self, item: pytest.Item, call: pytest.CallInfo[None],
                 report: pytest.TestReport) -> None:
        nodeid = item.nodeid
        outcome = _outcome(report)
        entries = self.began_with.get(nodeid)
        if report.when == "teardown":
            self.began_with.pop(nodeid, None)
        if outcome is None or not entries:
            return
        from .explain import polluters, section_text, suspects_json
        from .relevance import rank, usage_of

        ranked = rank(entries, usage_of(item, call.excinfo))
        if not ranked:
            return
        text = section_text(ranked, str(self.config.rootpath), hint=not self.confirm)
        report.sections.append(("leakwatch", text))
        victim = self.victims.get(nodeid)
        if victim is not None:
            victim.phases.append(report.when)
            return
        suspects = suspects_json(ranked)
        self.victims[nodeid] = Victim(nodeid, report.when, outcome, suspects,
                                      len(ranked) - len(suspects), polluters(ranked), None,
                                      [report.when])
        top = "; ".join(f"{s['test']}: {s['kind']} {s['subject']}" for s in suspects[:3])
        # On the item, for the reports still to come (JUnit reads the teardown report's), and
        # on this one (made before). No ``in`` test: user properties may hold user objects.
        item.user_properties.append((JUNIT_PROPERTY, top))
        report.user_properties.append((JUNIT_PROPERTY, top))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Before the core writes the report (trylast): confirm, so results are in it."""
        with self.collector.guard("victims"):
            if self.confirm and self.victims:
                self._confirm_all(session)
        self.began_with.clear()
        self.ledger.clear()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        with self.collector.guard("victims"):
            self._summary(terminalreporter)

    # -- report ---------------------------------------------------------------

    def report_victims(self) -> list[dict[str, Any]]:
        return [v.to_json() for v in self.victims.values()]

    def report_confirm(self) -> dict[str, Any] | None:
        """Totals of --leakwatch-confirm (None when it did not run)."""
        return self.confirm_stats

    def _summary(self, tr: Any) -> None:
        if hasattr(self.config, "workerinput"):
            return  # xdist worker: the controller prints
        # Through the report extra: under xdist the controller's includes the workers' victims.
        make = self.collector.report_extras.get("victims", self.report_victims)
        victims = make()
        if not victims:
            return
        tr.write_sep("-", "leakwatch victims")
        for victim in victims:
            tr.write_line(_summary_line(victim))
        if self.confirm_stats is not None:
            stats = self.confirm_stats
            tr.write_line(f"leakwatch confirm: {stats['victims']} victims, {stats['runs']} pytest runs, "
                          f"{stats['seconds']:.1f}s (budget {self.budget:.0f}s)")

    # -- confirmation ---------------------------------------------------------

    def _rerunner(self, session: pytest.Session) -> Rerunner:
        from .rerun import Rerunner, base_env, strip_args

        config = self.config
        positional = {str(a) for a in config.args}
        args = strip_args([str(a) for a in config.invocation_params.args], positional)
        extra: list[str] = [f"--rootdir={config.rootpath}"]
        if config.inipath is not None and "-c" not in args and not any(
                a.startswith("--config-file") for a in args):
            extra += ["-c", str(config.inipath)]
        if config.pluginmanager.hasplugin("xdist"):
            extra += ["-n", "0"]
        locations: dict[str, str] = {}
        for item in getattr(session, "items", None) or []:
            _, sep, rest = item.nodeid.partition("::")
            if sep:
                locations[item.nodeid] = f"{item.path}::{rest}"
        return Rerunner(args, base_env(self.environ), str(config.invocation_params.dir),
                        str(config.rootpath), time.monotonic() + self.budget, locations, extra=extra,
                        own_report=self.collector.options.report is not None)

    def _confirm_all(self, session: pytest.Session) -> None:
        tr = self.config.pluginmanager.get_plugin("terminalreporter")

        def progress(text: str) -> None:
            if tr is not None:
                tr.write_line(f"leakwatch confirm: {text}")

        rerunner = self._rerunner(session)
        from .confirm import Confirmer

        confirmer = Confirmer(rerunner, progress)
        if tr is not None:
            tr.write_sep("-", f"leakwatch confirm: {len(self.victims)} victims, "
                              f"budget {self.budget:.0f}s")
        try:
            order = self.collector.run_order
            for victim in self.victims.values():
                index = order.index(victim.test) if victim.test in order else len(order)
                ran_before = list(dict.fromkeys(order[:index]))
                victim.confirmation = confirmer.confirm(victim.test, victim.polluters, ran_before)
        except KeyboardInterrupt:
            # Ctrl-C while re-running: stop confirming, but let the report be written.
            progress("interrupted; the remaining victims stay unconfirmed")
        finally:
            rerunner.close()
        self.confirm_stats = {"victims": len(self.victims), "runs": rerunner.runs,
                              "seconds": round(rerunner.seconds, 3), "budget": self.budget}


def _summary_line(victim: dict[str, Any]) -> str:
    """One victim in the terminal summary, from its JSON form."""
    top = victim["suspects"][0] if victim.get("suspects") else None
    line = f"{victim['test']} ({victim.get('outcome')})"
    if top is not None:
        line += f" ran with {top['kind']} {top['subject']} left by {top['test']}"
    conf = victim.get("confirmation")
    if conf is not None:
        if victim.get("confirmed"):
            line += f" -- CONFIRMED by re-run ({conf['method']}): " + ", ".join(conf["polluters"][:3])
        elif victim.get("confirmed") is False:
            line += f" -- not confirmed: {conf['reason']}"
        else:
            line += f" -- undecided: {conf['reason']}"
    return line


class _Reports:
    """The victims' makereport wrapper, registered by :meth:`VictimsPlugin.on_test_begin`
    once a test begins with a leak outstanding."""

    def __init__(self, victims: VictimsPlugin) -> None:
        self.victims = victims

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]
                                  ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        victims = self.victims
        if victims.began_with:  # only tests that began with a leak outstanding are explained
            with victims.collector.guard("victims"):
                victims._explain(item, call, report)
        return report
