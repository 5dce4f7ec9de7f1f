"""The ledger of outstanding leaks: what is still leaked right now, and who leaked it.

A failing test did not start from a leak; it started from the state it inherited.
The ledger answers "what was still leaked when this test began" in the same run,
without re-running anything: it is fed by the collector's observer calls.

- A test's leak (a finding the collector made, or one still *pending* because wider
  fixtures are open) opens an entry on its subject, with the subject's value before
  the polluter ran (its *baseline*).
- A later leak on the same subject joins that entry: the state still differs from
  the baseline, and every polluter along the way is a suspect.
- When any later change puts the subject back to its baseline (compared with
  :func:`leakwatch.changes.same`, never ``==``), the owner of that window is recorded
  as the *cleaner* and the entry is dropped.

Entries hold the baseline value (a user object, needed to see it put back) and the
findings (plain strings). Reloads and subjects without a baseline stay outstanding
until the session ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..changes import Change, same
from ..findings import INFO, Finding

#: How many cleaned entries are kept for the summary (oldest dropped first).
CLEANED_KEPT = 200


class Outstanding:
    """One subject whose state still differs from what it was before its first polluter.

    Plain and slotted, like :class:`Cleaned`, not dataclasses: defined at every enabled start-up
    (a dataclass costs ~0.3 ms).
    """

    __slots__ = ("subject", "kind", "module", "baseline", "findings", "runnable", "set_up_by",
                 "serial")

    def __init__(self, subject: str, kind: str, module: str | None, baseline: Any,
                 findings: list[Finding] | None = None, runnable: dict[str, str] | None = None,
                 set_up_by: dict[str, str] | None = None, serial: int = 0) -> None:
        self.subject = subject
        self.kind = kind
        self.module = module
        self.baseline = baseline
        self.findings: list[Finding] = [] if findings is None else findings
        #: For fixture polluters: a node id whose run sets the fixture up (to re-run it).
        self.runnable: dict[str, str] = {} if runnable is None else runnable
        #: For fixture polluters: the test during whose setup the fixture was set up.
        self.set_up_by: dict[str, str] = {} if set_up_by is None else set_up_by
        self.serial = serial  # order in which the entry last got a polluter (recency)

    @property
    def permanent(self) -> bool:
        return self.baseline is _NO_BASELINE


class Cleaned:
    """Made once when a cleaner puts a subject back; never changed afterwards."""

    __slots__ = ("subject", "polluters", "cleaner")

    def __init__(self, subject: str, polluters: tuple[str, ...], cleaner: str) -> None:
        self.subject = subject
        self.polluters = polluters
        self.cleaner = cleaner


class _NoBaseline:
    __slots__ = ()


_NO_BASELINE: Any = _NoBaseline()


def _key(kind: str, subject: str) -> str:
    """Env keys and attribute paths live in different namespaces."""
    return f"env:{subject}" if kind == "env" else subject


class Ledger:
    """A collector observer (see ``Collector.observers``).

    Called as a test begins only while leaks are in force (``test_begin_if``), and as it
    ends only when its window changed something (``test_end_if_changed``): in a clean
    run, no call per test. What those calls kept per test is read from the collector
    instead (the open test; the window a restoration was seen in)."""

    test_begin_if = "entries"
    test_end_if_changed = True

    def __init__(self, collector: Any) -> None:
        self.collector = collector
        self.entries: dict[str, Outstanding] = {}
        self.cleaned: list[Cleaned] = []
        self._serial = 0
        self._seen_findings = 0
        self._fixture_first_test: dict[int, str] = {}
        #: Subjects put back, by whom and in which test's window (``_window``): within that
        #: window, that owner's "leak" on the subject is the restoration itself (the
        #: collector reports it), not pollution.
        self._cleaned_now: dict[str, tuple[str, int]] = {}
        self._snapshot: list[Outstanding] | None = None
        #: Told (nodeid, the entries in force) when a test begins with leaks in force: the
        #: victims plugin (``VictimsPlugin.began_with_leaks``), called only then.
        self.on_outstanding: Callable[[str, list[Outstanding]], None] | None = None

    # -- observer API -------------------------------------------------------

    @property
    def current_test(self) -> str | None:
        """The test whose window is open (on the collector's stack), None between tests."""
        for record in reversed(getattr(self.collector, "stack", ())):
            if record.owner.type == "test":
                return str(record.owner.name)
        return None

    def _window(self) -> int:
        """Which test's window this is: the number of tests begun so far."""
        return len(getattr(self.collector, "run_order", ()))

    def on_test_begin(self, nodeid: str) -> None:
        self._cleaned_now.clear()  # earlier windows' (their serials no longer match anyway)
        if self.entries and self.on_outstanding is not None:
            try:
                self.on_outstanding(nodeid, self.snapshot())
            except Exception as exc:  # noqa: BLE001 - the victims' part, guarded as its own
                self.collector.record_error("observer VictimsPlugin", exc)

    def on_change(self, record: Any, change: Change) -> None:
        owner = getattr(record, "owner", None)
        if owner is not None and owner.type == "fixture" and not record.finalizing:
            test = self.current_test
            if test is not None:
                self._fixture_first_test.setdefault(id(record), test)
        entry = self.entries.get(_key(change.kind, change.subject))
        if entry is None or entry.permanent:
            return
        if same(entry.baseline, change.after):
            cleaner = owner.label() if owner is not None else "pytest (between tests)"
            self._drop(entry, cleaner)

    def on_test_end(self, nodeid: str, record: Any) -> None:
        found = list(self.collector.last_test_findings)
        for subject in record.entries:  # its pending findings (wider fixtures still open)
            for pending in self.collector.pending.get(subject, ()):
                if pending.record is record:
                    found.append(pending.finding)
        for finding in found:
            self._add(finding, record, nodeid)
        self._seen_findings = len(self.collector.findings)

    def on_fixture_end(self, record: Any) -> None:
        runnable = self._runnable_for_fixture(record)
        for finding in self.collector.findings[self._seen_findings:]:
            if finding.owner == record.owner:
                self._add(finding, record, runnable)
        self._seen_findings = len(self.collector.findings)
        self._fixture_first_test.pop(id(record), None)

    # -- queries -------------------------------------------------------------

    def snapshot(self) -> list[Outstanding]:
        """The entries in force now, copied (a victim keeps what it started with).

        Taken at every test's start: the copy is made once per change of the ledger and
        shared by the tests that start while it holds.
        """
        if self._snapshot is None:
            self._snapshot = [Outstanding(e.subject, e.kind, e.module, e.baseline, list(e.findings),
                                          dict(e.runnable), dict(e.set_up_by), e.serial)
                              for e in self.entries.values()]
        return self._snapshot

    def clear(self) -> None:
        """Session end: let go of the baselines (user objects)."""
        self.entries.clear()
        self._snapshot = None
        self._fixture_first_test.clear()

    # -- internals -----------------------------------------------------------

    def _runnable_for_fixture(self, record: Any) -> str | None:
        node = record.owner.node
        if isinstance(node, str) and node:
            return node
        return self._fixture_first_test.get(id(record))

    def _dropped(self, finding: Finding, record: Any) -> bool:
        """Not a leak in force: info, ignored or filtered, or not a net change of state.

        Tracer findings (a patch over a mock, a late env patch) describe how a test ran,
        not state it left: they have no net change in the owner's record.
        """
        if finding.severity == INFO or self.collector.ignore.finding(finding.kind, finding.subject):
            return True
        if any(drop(finding) for drop in getattr(self.collector, "filters", ())):
            return True
        if finding.kind == "reload":
            return "module" not in finding.detail
        entry = record.entries.get(finding.subject)
        if entry is None:
            return True
        after = entry.now if record.owner.type == "fixture" else entry.after
        return same(entry.before, after)

    def _add(self, finding: Finding, record: Any, runnable: str | None) -> None:
        key = _key(finding.kind, finding.subject)
        cleaned = self._cleaned_now.get(key)
        if (cleaned is not None and cleaned[1] == self._window()
                and cleaned[0] == finding.owner.label()) or self._dropped(finding, record):
            return
        entry = self.entries.get(key)
        if entry is not None and any(f.id == finding.id for f in entry.findings):
            return
        self._serial += 1
        if entry is None:
            baseline, module = _NO_BASELINE, None
            recorded = record.entries.get(finding.subject)
            if recorded is not None and finding.kind != "reload":
                baseline = recorded.before
                module = recorded.change.module
            elif finding.kind == "reload":
                module = finding.subject
            entry = Outstanding(finding.subject, finding.kind, module, baseline)
            self.entries[key] = entry
        entry.findings.append(finding)
        entry.serial = self._serial
        self._snapshot = None
        if runnable is not None:
            entry.runnable[finding.id] = runnable
        first = self._fixture_first_test.get(id(record))
        if first is not None and record.owner.type == "fixture":
            entry.set_up_by[finding.id] = first

    def _drop(self, entry: Outstanding, cleaner: str) -> None:
        key = _key(entry.kind, entry.subject)
        self.entries.pop(key, None)
        self._snapshot = None
        self._cleaned_now[key] = (cleaner, self._window())
        self.cleaned.append(Cleaned(entry.subject, tuple(f.test for f in entry.findings), cleaner))
        del self.cleaned[:-CLEANED_KEPT]
