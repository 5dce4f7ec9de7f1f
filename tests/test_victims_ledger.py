"""The ledger and the re-run command line, in-process (no inner session, no leaks)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from leakwatch.changes import MISSING, Change
from leakwatch.collector import Entry, Record
from leakwatch.findings import Finding, Owner
from leakwatch.ignore import IgnoreRules
from leakwatch.victims.ledger import Ledger
from leakwatch.victims.rerun import _read, base_env, strip_args


def _collector() -> Any:
    return SimpleNamespace(last_test_findings=[], pending={}, findings=[], ignore=IgnoreRules([]),
                           filters=[])


def _run_test(ledger: Ledger, collector: Any, nodeid: str, subject: str, before: Any,
              after: Any, kind: str = "attribute") -> Record:
    """One test's window: its change, then its end (with a finding if state moved)."""
    ledger.on_test_begin(nodeid)
    record = Record(Owner("test", nodeid))
    change = Change(subject, kind, before, after, "binding", None, "app.runner")
    record.entries[subject] = Entry(before, after, change, "call", after)
    ledger.on_change(record, change)
    finding = Finding(record.owner, kind, subject, "changed", "leak", "call")
    collector.last_test_findings = [finding]
    collector.findings.append(finding)
    ledger.on_test_end(nodeid, record)
    return record


def test_ledger_keeps_polluters_until_a_cleaner_puts_the_state_back() -> None:
    collector = _collector()
    ledger = Ledger(collector)
    original, first, second = object(), object(), object()
    _run_test(ledger, collector, "t::a", "app.runner.x", original, first)
    _run_test(ledger, collector, "t::b", "app.runner.x", first, second)
    entry = ledger.entries["app.runner.x"]
    assert entry.baseline is original
    assert [f.test for f in entry.findings] == ["t::a", "t::b"]
    assert [e.subject for e in ledger.snapshot()] == ["app.runner.x"]
    _run_test(ledger, collector, "t::c", "app.runner.x", second, original)  # puts it back
    assert ledger.entries == {}
    assert ledger.cleaned[-1].polluters == ("t::a", "t::b")
    assert ledger.cleaned[-1].cleaner == "t::c"


def test_ledger_separates_env_keys_and_skips_info_and_ignored() -> None:
    collector = _collector()
    collector.ignore = IgnoreRules(["env:IGNORED_*"])
    ledger = Ledger(collector)
    _run_test(ledger, collector, "t::env", "APP_MODE", MISSING, "1", kind="env")
    _run_test(ledger, collector, "t::ignored", "IGNORED_X", MISSING, "1", kind="env")
    assert list(ledger.entries) == ["env:APP_MODE"]
    # a change of env APP_MODE back to unset cleans it; an attribute of that name does not
    ledger.on_change(None, Change("APP_MODE", "attribute", "1", MISSING, "binding"))
    assert "env:APP_MODE" in ledger.entries
    ledger.on_change(None, Change("APP_MODE", "env", "1", MISSING, "env"))
    assert ledger.entries == {}
    assert ledger.cleaned[-1].cleaner == "pytest (between tests)"


def test_strip_args_drops_paths_ordering_outputs_and_stopping() -> None:
    args = ["--leakwatch", "-p", "no:cacheprovider", "tests/", "-x", "--maxfail", "3",
            "--junitxml=out.xml", "--leakwatch-report", "leaks.json", "-n", "4", "--leakwatch-confirm",
            "-k", "not slow", "-xvs", "--basetemp=/tmp/b", "-p", "randomly", "--lf", "tests/test_a.py::t"]
    assert strip_args(args, {"tests/", "tests/test_a.py::t"}) == [
        "--leakwatch", "-p", "no:cacheprovider", "-k", "not slow", "-vs"]


def test_base_env_cleans_addopts_and_pytest_variables() -> None:
    env = base_env({"PATH": "/bin", "PYTEST_CURRENT_TEST": "t (call)",
                    "PYTEST_ADDOPTS": "-x --lf -v", "PYTEST_XDIST_WORKER": "gw0"})
    assert env == {"PATH": "/bin", "PYTEST_ADDOPTS": "-v", "LEAKWATCH_VICTIMS_CHILD": "1"}


def test_outcomes_keep_the_worst_phase(tmp_path: Any) -> None:
    path = tmp_path / "outcomes.jsonl"
    lines = [("a", "setup", "passed"), ("a", "call", "failed"), ("a", "teardown", "passed"),
             ("b", "setup", "passed"), ("b", "call", "xfailed"), ("b", "teardown", "passed"),
             ("c", "setup", "passed"), ("c", "call", "passed"), ("c", "teardown", "failed")]
    path.write_text("".join(f'{{"nodeid": "{n}", "when": "{w}", "outcome": "{o}"}}\n'
                            for n, w, o in lines) + "not json\n")
    assert _read(path) == {"a": "failed", "b": "xfailed", "c": "failed"}
