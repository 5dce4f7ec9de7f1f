"""The collector: polls the probes at owner boundaries and turns net changes into findings.

Time is cut into windows, each owned by whoever is running: a test (its setup,
call and teardown, with function-scoped fixtures), or a wider-scoped fixture
(while it sets up and while it is finalized). At every window boundary the
probes are polled once; each change goes to the owner of the window that just
ended. A test's changes that are still in force at the end of its teardown are
its leaks. A fixture's changes are judged when it is finalized: if the state it
touched is not back to what it was before the fixture ran, the fixture leaked.

The after-state of one window is the before-state of the next, so a test costs
one poll plus three phase markers (see :mod:`leakwatch.versions`).
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable
from itertools import chain
from typing import TYPE_CHECKING, Any

from . import interceptors, safe, versions
from .changes import MISSING, Change, same
from .findings import INFO, KINDS, WARNING, Finding, Origin, Owner
from .graph import WatchGraph
from .ignore import IgnoreRules
from .options import Options
from .probes import Probe
from .probes.environ import EnvironProbe
from .probes.sysmodules import SysModulesProbe
from .versions import CopyCompare, DictWatchers, VersionTags, best_core
from .watching import ModuleFilter

if TYPE_CHECKING:  # made at the first change to describe: a clean run never imports it
    from .describe import Describer

#: After a quiet member's part of the check failed at a test's setup/call boundary, the
#: marks there skip the check this many times and call ``mark`` (at that first boundary it
#: does what ``mark_quiet`` would). pytest's capture and logging plugins swap
#: ``sys.stdout``/``sys.stderr`` and hang their handlers around every phase, so at the
#: setup/call boundary of a test with a fixture of the user's the process-state and logging
#: parts fail every time: asking cost ~3 µs per test in place. Asked again after that many,
#: in case it holds by then.
MARK_RECHECK = 31

#: A quiet member's settle as the fast poll runs it: (probe name, its ``settle``, the
#: probe, the attribute that must be truthy for it to run, or None: always).
_Settle = tuple[str, Callable[[], None], Any, "str | None"]


# Plain slotted classes, not dataclasses: defined at every enabled start-up (a dataclass costs
# ~0.3 ms to define). Compared by identity: the lookups on them (``record in self.stack``,
# ``list.remove``) mean this record, and field equality would compare before/after values
# with ``==``, running a user's ``__eq__``.
class Entry:
    """The net change of one subject inside one owner's windows."""

    __slots__ = ("before", "after", "change", "phase", "now", "in_finalize")

    def __init__(self, before: Any, after: Any, change: Change, phase: str, now: Any = None,
                 in_finalize: bool = False) -> None:
        self.before = before
        self.after = after
        self.change = change
        self.phase = phase
        self.now = now  # for fixtures: the subject's latest value, whoever changed it
        self.in_finalize = in_finalize  # first changed while the fixture was being finalized



class Pending:
    """A test's change still in force at its end while wider fixtures are open.

    It becomes a finding when every fixture that was open has been finalized
    without putting the subject back (a module-scoped ``MonkeyPatch`` undoing a
    test's ``setattr`` is the correct pattern, not a leak).
    """

    __slots__ = ("finding", "record", "change", "before", "now", "fixtures")

    def __init__(self, finding: Finding, record: Record, change: Change, before: Any, now: Any,
                 fixtures: set[int]) -> None:
        self.finding = finding
        self.record = record
        self.change = change
        self.before = before
        self.now = now
        self.fixtures = fixtures



class Record:
    __slots__ = ("owner", "entries", "reloads", "phase", "since", "markers", "finalizing", "codes")

    def __init__(self, owner: Owner, entries: dict[str, Entry] | None = None,
                 reloads: dict[str, Origin | None] | None = None, phase: str = "setup",
                 since: str = "setup", markers: list[tuple[str, int]] | None = None,
                 finalizing: bool = False, codes: Any = None) -> None:
        self.owner = owner
        self.entries: dict[str, Entry] = {} if entries is None else entries
        self.reloads: dict[str, Origin | None] = {} if reloads is None else reloads
        self.phase = phase
        #: The phase when everything was last checked (a full mark or a poll): a change
        #: found without a date happened between it and ``phase`` (see ``set_phase``).
        self.since = since
        self.markers: list[tuple[str, int]] = [] if markers is None else markers
        self.finalizing = finalizing
        #: Returns the code objects of the owner's own functions (test, fixtures), for
        #: ``static_origin``; called only when a finding lacks an origin.
        self.codes = codes



class InternalError:
    __slots__ = ("component", "message", "traceback")

    def __init__(self, component: str, message: str, traceback: str) -> None:
        self.component = component
        self.message = message
        self.traceback = traceback


class Collector:
    """One per enabled pytest session."""

    def __init__(self, options: Options, rootdir: str) -> None:
        self.options = options
        self.rootdir = rootdir
        self.findings: list[Finding] = []
        self.errors: list[InternalError] = []
        self.incomplete_reasons: list[str] = []
        self.tests_run = 0
        self.tests_with_leaks: set[str] = set()
        self.started = time.time()
        self.stack: list[Record] = []
        self.fixtures: dict[int, Record] = {}
        self.core: Any = None
        #: The core's marker as kept at start (``marker_call``: C, no Python frame, where built).
        self._marker: Callable[[], int | None] = lambda: None
        self.graph: WatchGraph | None = None
        self.probes: list[Probe] = []
        #: The quiet group (see _quiet_now): its members, their settle() methods, the ids
        #: in this poll's check, each one's part of it (kept until that probe is polled),
        #: the ids of all members, the check itself (None: to build), for how many probes.
        self._quiet_members: list[Any] = []
        self._quiet_settle: dict[int, Any] = {}
        #: Members' ``mark_quiet`` (what ``mark`` does when nothing of theirs moved since
        #: the last poll), asked at a phase boundary where their part of the check holds,
        #: and their ``marks_after`` (the phases after which ``mark`` reads anything; at
        #: other boundaries it is called without the check).
        self._quiet_marks: dict[int, tuple[Any, Any]] = {}
        #: The members whose part of the check failed at the setup/call boundary, and at
        #: how many more of those it is not asked (see set_phase).
        self._mark_misses: dict[int, int] = {}
        self._quiet_ids: set[int] = set()
        self._quiet_parts: dict[int, tuple[Any, ...]] = {}
        self._quiet_member_ids: set[int] = set()
        self._quiet_spec: tuple[Any, ...] | None = None
        #: With the joined check: (the probes outside the group, the members' settle()
        #: methods a poll without marks runs, and all of them, for a poll after marks), what
        #: a quiet poll runs; None where a poll must take the slow path.
        self._quiet_fast: tuple[list[Any], list[_Settle], list[_Settle]] | None = None
        #: Whether probes were read at a phase boundary (``mark``) since the last poll: only
        #: then do the members whose ``settle`` only undoes a mark's notes need it.
        self._marked = False
        self._quiet_for = -1
        #: Polls in which no quiet probe had to be polled, and how many of them took the
        #: fast path (tests check that both are used).
        self.quiet_polls = 0
        self.quiet_fast_polls = 0
        self._describer: Describer | None = None
        self.ignore = IgnoreRules(options.ignore)
        self.filter = ModuleFilter(rootdir, options.modules, [m for m, _ in options.targets])
        self.targets = [f"{m}.{a}" for m, a in options.targets]
        self._pending_reloads: list[tuple[str, Origin | None]] = []
        self.pending: dict[str, list[Pending]] = {}
        #: Objects told about what happens (the victims ledger, sub-plugins). Optional
        #: methods: on_test_begin(nodeid), on_change(record, change), on_finding(finding),
        #: on_test_end(nodeid, record), on_fixture_end(record). Calls are guarded.
        self.observers: list[Any] = []
        #: The tests begun, in run order (node ids): kept here, one append per test, for the
        #: CI and victims plugins, instead of an observer call per test in each.
        self.run_order: list[str] = []
        #: Probes added by sub-plugins and the ``pytest_leakwatch_probes`` hook, before start().
        self.extra_probes: list[Probe] = []
        #: Callables (report: dict, config) run at session end with the JSON report's content.
        self.outputs: list[Any] = []
        #: Callables () -> bool: whether an output will use the report this run (a SARIF
        #: file, a baseline, GitHub annotations). With none, no report file and no xdist
        #: controller to send it to, the report is not built (plugin.pytest_sessionfinish).
        self.report_wanted: list[Any] = []
        #: Extra top-level JSON report keys: name -> callable returning JSON-able data.
        self.report_extras: dict[str, Any] = {}
        #: Predicates (finding) -> bool: True drops the finding (the ``leakwatch`` marker's
        #: allow/skip, leakwatch.ci). Checked with the ignore list in ``_finish``.
        self.filters: list[Any] = []
        #: Findings of the most recently ended test (for makereport-time consumers).
        self.last_test_findings: list[Finding] = []
        self._started = False
        self._listening = False
        self._just_closed = False
        self._calls: dict[str, list[tuple[Any, Any, Any]]] = {}
        self._calls_for = -1
        #: (core name, watched modules) kept by ``release`` for anything asked afterwards.
        self._released: tuple[str, int] = ("none", 0)

    # -- life cycle -------------------------------------------------------

    def listen(self) -> None:
        """Install the interceptors (before conftests are imported)."""
        with self.guard("interceptors"):
            interceptors.listen(self)
            self._listening = True

    def start(self) -> None:
        """Take the baseline (after collection, before the first test)."""
        if self._started:
            return
        with self.guard("start"):
            if self.options.core == "copy-compare":
                self.core = CopyCompare()
            elif self.options.core == "version-tag":
                self.core = VersionTags()
            elif self.options.core == "dict-watcher":
                self.core = DictWatchers()
            else:
                self.core = best_core()
            self.graph = WatchGraph(self.core, self.ignore, self.options.depth,
                                    is_test_module=self.filter.is_test_module)
            self.probes = [
                SysModulesProbe(self.core, self.graph, self.filter),
                EnvironProbe(self.core),
                _GraphProbe(self.graph),
                *self.extra_probes,
            ]
            self._marker = self.core.marker_call()
            for probe in self.probes:
                with self.guard(probe.name):
                    probe.start()
            self._started = True

    def stop(self) -> None:
        if self._listening:
            with self.guard("interceptors"):
                interceptors.unlisten(self)
            self._listening = False

    def release(self) -> None:
        """Drop the watch graph and the probes' snapshots once the report is written.

        pytest collects garbage twice at exit (its unraisable-exception plugin): with
        the snapshots of every watched dict and list still held, each of those full
        collections would traverse them all (thousands of objects at 200 modules).
        Findings stay.
        """
        self._released = (self.core_name(), self.watched_modules())
        self.graph = None
        self.probes = []
        self.extra_probes = []
        self.core = None
        self._quiet_spec, self._quiet_members, self._quiet_settle = None, [], {}
        self._quiet_marks, self._mark_misses = {}, {}
        self._quiet_fast = None
        self._quiet_parts, self._quiet_ids, self._quiet_member_ids = {}, set(), set()

    def guard(self, component: str) -> _Guard:
        """Contain any exception inside leakwatch: record it, never raise."""
        return _Guard(self, component)

    def record_error(self, component: str, exc: BaseException) -> None:
        message = f"{type(exc).__name__}: {exc}"
        # A broken probe fails at every boundary: one warning per component and message.
        if not any(e.component == component and e.message == message for e in self.errors):
            tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-4))
            self.errors.append(InternalError(component, message, tb))
        reason = f"internal error in {component}"
        if reason not in self.incomplete_reasons:
            self.incomplete_reasons.append(reason)

    def notify(self, method: str, *args: Any) -> None:
        for observer, fn, _ in self._observer_calls(method):
            try:  # the guard, inlined: this runs several times per test
                fn(*args)
            except Exception as exc:  # noqa: BLE001
                self.record_error(f"observer {type(observer).__name__}", exc)

    def _observer_calls(self, method: str) -> list[tuple[Any, Any, Any]]:
        """The observers' bound methods for ``method``, looked up once (observers are our
        own objects, added at configure time; the cache is redone if more are added), each
        with its gate for the per-test calls: ``on_test_begin`` is made only while the
        attribute an observer names in ``test_begin_if`` is truthy, and ``on_test_end`` of
        an observer with ``test_end_if_changed`` only for a window that changed something,
        of one with ``test_end_when`` only while one of the containers its named attribute
        holds is not empty (a call per test and observer fewer where there is nothing to
        do; the gates are read, not called)."""
        calls = self._calls.get(method) if self._calls_for == len(self.observers) else None
        if calls is None:
            if self._calls_for != len(self.observers):
                self._calls, self._calls_for = {}, len(self.observers)
            calls = self._calls[method] = [
                (o, fn, _gate(o, method)) for o in self.observers
                if (fn := getattr(o, method, None)) is not None]
        return calls

    # -- interceptor callbacks --------------------------------------------

    def current_label(self) -> tuple[str, str] | None:
        if not self.stack:
            return None
        top = self.stack[-1]
        owner = top.owner  # Owner.label(), inlined for a test (every env write and patch)
        return (owner.name if owner.type == "test" else owner.label()), top.phase

    def on_reload(self, module: Any, before: dict[str, Any] | None, origin: Origin | None) -> None:
        ns = safe.module_dict(module) or {}
        name = ns.get("__name__")
        if type(name) is str:
            self._pending_reloads.append((name, origin))

    # -- polling ----------------------------------------------------------

    def _poll(self) -> list[Change]:
        changes: list[Change] = []
        if len(self.probes) != self._quiet_for:
            self._quiet_plan()
        spec, same = self._quiet_spec, versions.same_reads
        quiet = False
        if spec is not None and same is not None:
            try:  # _quiet_now(), inlined: this runs at the end of every test
                quiet = bool(same(*spec))
            except Exception as exc:  # noqa: BLE001
                self._quiet_failed(exc)
        fast = self._quiet_fast
        marked, self._marked = self._marked, False
        if quiet and fast is not None:
            # The usual poll: the group's members settle, the others are polled; no
            # per-probe lookups (this runs at the end of every test).
            loud, settles, after_marks = fast
            for name, settle_now, member, gate in (after_marks if marked else settles):
                try:
                    if gate is None or getattr(member, gate):  # settle_if: nothing to settle
                        settle_now()
                except Exception as exc:  # noqa: BLE001
                    self.record_error(name, exc)
            for probe in loud:
                try:  # per probe: one failing probe must not blind the others
                    changes.extend(probe.poll())
                except Exception as exc:  # noqa: BLE001
                    self.record_error(probe.name, exc)
            self.quiet_polls += 1
            self.quiet_fast_polls += 1
            return changes
        moved = False
        for probe in self.probes:
            key = id(probe)
            if key in self._quiet_ids and (quiet or self._quiet_now(self._quiet_parts.get(key))):
                settle = self._quiet_settle.get(key)
                if settle is not None:
                    try:
                        settle()
                    except Exception as exc:  # noqa: BLE001
                        self.record_error(probe.name, exc)
                continue
            try:  # per probe: one failing probe must not blind the others
                changes.extend(probe.poll())
            except Exception as exc:  # noqa: BLE001
                self.record_error(probe.name, exc)
            if key in self._quiet_member_ids:
                self._quiet_parts.pop(key, None)  # it moved on: asked again
                moved = True
        if moved:
            self._quiet_spec = self._quiet_fast = None
            self._quiet_fill()
        elif self._quiet_ids:
            self.quiet_polls += 1
            if self._quiet_spec is None:
                self._quiet_spec = self._quiet_join()
                self._quiet_fast = self._quiet_fast_path()
        return changes

    def _quiet_fast_path(self) -> tuple[list[Any], list[_Settle], list[_Settle]] | None:
        """What a poll runs when the joined check holds: the probes outside it are polled
        and its members settle (all of them after a phase boundary's marks; without
        marks, not those whose ``settle`` only undoes a mark's notes: a probe says so with
        ``settles_marks_only``; and a probe whose ``settle_if`` names an attribute of its
        own only while that is truthy). None (the slow path) while a member has no part of
        the check (it is polled and asked again), or without a joined check."""
        if self._quiet_spec is None:
            return None
        ids, members = self._quiet_ids, self._quiet_member_ids
        loud = [p for p in self.probes if id(p) not in ids]
        if any(id(p) in members for p in loud):
            return None
        settling = [p for p in self.probes if id(p) in ids and id(p) in self._quiet_settle]
        after_marks: list[_Settle] = []
        for p in settling:
            gate = getattr(type(p), "settle_if", None)
            after_marks.append((p.name, self._quiet_settle[id(p)], p,
                                gate if type(gate) is str else None))
        settles = [entry for entry in after_marks
                   if getattr(type(entry[2]), "settles_marks_only", False) is not True]
        return loud, settles, after_marks

    def _quiet_now(self, check: tuple[Any, ...] | None) -> bool:
        """Whether the quiet probes (``quiet()``: sys.modules, threads, process dicts,
        signals, logging, process state) have nothing to report, in one C call
        (``same_reads`` over their version tags, lengths, identities and readers) instead of
        a Python poll each: these change in few tests, and asking each of them cost more per
        test than the watch graph's poll. ``check`` is the joined check of all of them, or
        one probe's part of it (False when there is none, or without the C build).

        Without the joined check (after a poll in which one of them moved, until one in
        which none did), each one's own part is checked: only the ones that moved are
        polled, and only they are asked again. A suite in which one of them moves in every
        test (a first import per test) pays a few part checks, not a rebuild of the joined
        check each time."""
        same = versions.same_reads
        if check is None or same is None:
            return False
        try:
            return bool(same(*check))
        except Exception as exc:  # noqa: BLE001
            self._quiet_failed(exc)
            return False

    def _quiet_failed(self, exc: Exception) -> None:
        self.record_error("quiet check", exc)
        self._quiet_members, self._quiet_ids, self._quiet_parts = [], set(), {}
        self._quiet_member_ids, self._quiet_spec, self._quiet_fast = set(), None, None
        self._quiet_marks = {}
        self._quiet_for = len(self.probes)  # polled one by one from now on

    def _quiet_plan(self) -> None:
        self._quiet_for = len(self.probes)
        members: list[Any] = [p for p in self.probes if callable(getattr(type(p), "quiet", None))]
        if versions.same_reads is None:
            members = []  # no C check: every probe polled, as before
        self._quiet_members = members
        self._quiet_member_ids = {id(p) for p in members}
        self._quiet_settle = {id(p): p.settle for p in members
                              if callable(getattr(type(p), "settle", None))}
        self._quiet_marks = {
            id(p): (p.mark_quiet, getattr(type(p), "marks_after", None)) for p in members
            if callable(getattr(type(p), "mark_quiet", None))}
        self._quiet_parts, self._quiet_spec, self._quiet_fast = {}, None, None
        self._mark_misses = {}
        self._quiet_fill()

    def _quiet_fill(self) -> None:
        """Ask the members that have no part (new, or polled since) for theirs. A probe
        that cannot say now what means "nothing to report" (``quiet()`` None) is polled
        and asked again after its poll."""
        parts = self._quiet_parts
        for probe in self._quiet_members:
            key = id(probe)
            if key in parts:
                continue
            try:
                mine = probe.quiet()
            except Exception as exc:  # noqa: BLE001
                self.record_error(probe.name, exc)
                mine = None
            if mine is not None:
                parts[key] = versions.same_reads_args(mine)
        self._quiet_ids = set(parts)

    def _quiet_join(self) -> tuple[Any, ...] | None:
        """Every member's part as one ``same_reads`` call (None: no member has a part)."""
        every = list(self._quiet_parts.values())
        if not every:
            return None
        return (tuple(chain.from_iterable(p[0] for p in every)), b"".join(p[1] for p in every),
                tuple(chain.from_iterable(p[2] for p in every)),
                tuple(chain.from_iterable(p[3] for p in every)))

    def _assign(self, changes: list[Change]) -> None:
        """Give the changes found now to the owner of the window that just ended."""
        top = self.stack[-1] if self.stack else None
        reloads, self._pending_reloads = self._pending_reloads, []
        if top is not None:
            for name, origin in reloads:
                top.reloads.setdefault(name, origin)
        for change in changes:
            # A list's or set's contents share the subject of the binding that holds
            # it (``Cls.items``): only a change of the same nature moves ``now``.
            for record in self.fixtures.values():
                entry = record.entries.get(change.subject)
                if entry is not None and entry.change.container == change.container:
                    entry.now = change.after
            for pending in self.pending.get(change.subject, ()):
                if pending.change.container == change.container:
                    pending.now = change.after
            if self.observers:
                self.notify("on_change", top, change)
            if top is None:
                continue
            phase = self._phase_of(top, change)
            entry = top.entries.get(change.subject)
            if entry is None or (entry.change.container != change.container
                                 and change.container == "binding"):
                # New, or the binding of a list/set whose contents this owner changed
                # first: the binding change (old list -> new list) says it all.
                top.entries[change.subject] = Entry(change.before, change.after, change, phase,
                                                    change.after, top.finalizing)
            elif entry.change.container != change.container:
                continue  # contents of a list this owner bound itself: the binding says it
            else:
                entry.after = change.after
                entry.now = change.after
                entry.change = change
                entry.phase = phase

    @staticmethod
    def _phase_of(record: Record, change: Change) -> str:
        if record.owner.type == "fixture":
            return "fixture-teardown" if record.finalizing else "fixture-setup"
        hinted = change.extra.get("phase")
        if type(hinted) is str:
            return hinted
        if change.version is not None and record.markers:
            phase = record.markers[0][0]
            for name, marker in record.markers:
                if change.version >= marker:
                    phase = name
            return phase
        if record.since == record.phase:
            return record.phase
        # Boundaries in between were not checked because no code of the user's ran
        # on their far side (set_phase): the change is the test body's.
        return "call"

    def checkpoint(self) -> None:
        if not self._started:
            return
        self._just_closed = False
        try:  # the guard, inlined (here and in the other per-test methods): it runs per test
            changes = self._poll()
            if changes or self._pending_reloads:  # else nothing to give anyone (the usual poll)
                self._assign(changes)
            if self.stack:
                self.stack[-1].since = self.stack[-1].phase
        except Exception as exc:  # noqa: BLE001
            self.record_error("poll", exc)

    # -- tests ------------------------------------------------------------

    def begin_test(self, nodeid: str, codes: Any = None, body_only: bool = False) -> None:
        """Open a test's window. ``body_only``: only pytest's own fixtures run in its setup
        and teardown (``plugin._runs_user_fixtures``), so whatever it changes is the body's:
        the record is in its "call" phase from the start and the plugin makes no phase
        boundaries for it (two calls per test fewer; see :meth:`set_phase`)."""
        if not self._started:
            self.start()
        try:
            # What happened since the last window is nobody's leak (pytest's own work
            # between tests); polling moves the baseline on and keeps open fixtures current.
            # Right after a test's window closed nothing of the user's ran: skip the poll.
            if not self._just_closed:
                self.checkpoint()
            self._just_closed = False
            self.run_order.append(nodeid)
            record = Record(Owner("test", nodeid), codes=codes)
            if body_only:
                record.phase = record.since = "call"
            marker = self._marker()
            if marker is not None:
                record.markers.append((record.phase, marker))
            self.stack.append(record)
        except Exception as exc:  # noqa: BLE001
            self.record_error("begin", exc)
        if self.observers:
            # notify(), inlined with its cache read (one frame per test fewer)
            calls = self._calls.get("on_test_begin") if self._calls_for == len(self.observers) else None
            for observer, fn, gate in calls if calls is not None else self._observer_calls("on_test_begin"):
                try:
                    if gate is None or getattr(observer, gate):
                        fn(nodeid)
                except Exception as exc:  # noqa: BLE001
                    self.record_error(f"observer {type(observer).__name__}", exc)

    def set_phase(self, phase: str) -> None:
        """A phase boundary of the open test: every probe marks what changed in the phase
        that ended, and dicts are dated by the core's O(1) marker.

        The plugin calls it only for a test with code of the user's in its setup or
        teardown. A test whose setup and teardown run only pytest's own fixtures opens
        in its "call" phase (``begin_test(body_only=True)``) and has no boundaries:
        whatever it changed, its body did. Reading every probe at both boundaries was half
        of leakwatch's per-test cost (benchmarks/RESULTS.md).
        """
        if not self.stack:
            return
        record = self.stack[-1]
        self._marked = True
        # A quiet member with ``mark_quiet`` whose own part of the C check still holds has
        # not moved since the last poll: it is told so instead of reading everything again
        # (a test with a fixture of the user's crosses two boundaries; the process-state
        # slots' full read was the costliest mark). Each part on its own: pytest's logging
        # plugin adds its handlers around every phase, so the joined check never holds here.
        # A part that failed at the setup/call boundary is not asked at the next MARK_RECHECK.
        ended = record.phase
        # Only at a test's first boundary: there ``mark`` and ``mark_quiet`` agree when the
        # part holds (no notes yet, the marks compare with the poll's values); later, a
        # part that holds means "back to the poll's values", which only mark_quiet knows.
        misses = self._mark_misses if ended == "setup" else None
        for probe in self.probes:
            # Read per probe: a failing check (_quiet_failed) empties it for the rest.
            quiet = self._quiet_marks.get(id(probe)) if self._quiet_marks else None
            if quiet is not None and (quiet[1] is None or ended in quiet[1]):
                key = id(probe)
                skips = misses.get(key, 0) if misses is not None else 0
                if skips:
                    misses[key] = skips - 1  # type: ignore[index]
                elif self._quiet_now(self._quiet_parts.get(key)):
                    try:
                        quiet[0](ended)  # mark_quiet
                    except Exception as exc:  # noqa: BLE001
                        self.record_error(probe.name, exc)
                    continue
                elif misses is not None:
                    misses[key] = MARK_RECHECK
            try:
                probe.mark(ended)
            except Exception as exc:  # noqa: BLE001
                self.record_error(probe.name, exc)
        record.since = phase
        try:
            record.phase = phase
            marker = self._marker()
            if marker is not None:
                record.markers.append((phase, marker))
        except Exception as exc:  # noqa: BLE001
            self.record_error("phase", exc)

    def end_test(self, nodeid: str) -> None:
        if not self.stack or self.stack[-1].owner.type != "test" or self.stack[-1].owner.name != nodeid:
            return
        if self._started:
            try:  # checkpoint(), inlined (it runs at the end of every test)
                changes = self._poll()
                if changes or self._pending_reloads:
                    self._assign(changes)
            except Exception as exc:  # noqa: BLE001
                self.record_error("poll", exc)
        record = self.stack.pop()
        self.tests_run += 1
        self._just_closed = not self.stack
        changed = bool(record.entries or record.reloads)
        if not changed:
            self.last_test_findings = []  # nothing changed (the usual case): nothing to emit
        else:
            before = len(self.findings)
            try:
                self._emit(record, {s: (e.before, e.after) for s, e in record.entries.items()})
            except Exception as exc:  # noqa: BLE001
                self.record_error("findings", exc)
            self.last_test_findings = [f for f in self.findings[before:] if f.owner == record.owner]
        if self.observers:
            # notify(), inlined with its cache read (one frame per test fewer)
            calls = self._calls.get("on_test_end") if self._calls_for == len(self.observers) else None
            for observer, fn, gate in (
                    calls if calls is not None else self._observer_calls("on_test_end")):
                try:
                    if gate is None or (changed if gate is True else any(getattr(observer, gate))):
                        fn(nodeid, record)
                except Exception as exc:  # noqa: BLE001
                    self.record_error(f"observer {type(observer).__name__}", exc)

    # -- fixtures ---------------------------------------------------------

    def fixture_setup_begin(self, key: int, owner: Owner, codes: Any = None) -> None:
        if not self._started:
            self.start()
        with self.guard("fixture"):
            self.checkpoint()
            record = Record(owner, codes=codes)
            self.fixtures[key] = record
            self.stack.append(record)

    def fixture_setup_end(self, key: int) -> None:
        record = self.fixtures.get(key)
        if record is None or not self.stack or self.stack[-1] is not record:
            return
        with self.guard("fixture"):
            self.checkpoint()
        self.stack.pop()

    def fixture_finalize_begin(self, key: int) -> None:
        record = self.fixtures.get(key)
        if record is None or record.finalizing:
            return
        with self.guard("fixture"):
            self.checkpoint()
            record.finalizing = True
            self.stack.append(record)

    def fixture_finalize_end(self, key: int) -> None:
        record = self.fixtures.get(key)
        if record is None or not record.finalizing:
            return
        with self.guard("fixture"):
            self.checkpoint()
        if self.stack and self.stack[-1] is record:
            self.stack.pop()
        elif record in self.stack:
            self.stack.remove(record)
        del self.fixtures[key]
        with self.guard("findings"):
            resolved = self._resolve_pending(key) | self._resolve_open_tests(record)
            net = {s: (e.before, e.now) for s, e in record.entries.items()
                   if not (e.in_finalize and s in resolved)}
            self._emit(record, net)
        if self.observers:
            self.notify("on_fixture_end", record)

    def _resolve_pending(self, key: int) -> set[str]:
        """Fixture ``key`` is finalized: drop the test changes it put back, emit the rest."""
        touched: set[str] = set()
        for subject, plist in list(self.pending.items()):
            for pending in list(plist):
                if key not in pending.fixtures:
                    continue
                touched.add(subject)
                if same(pending.before, pending.now):
                    plist.remove(pending)
                    continue
                pending.fixtures.discard(key)
                if not pending.fixtures:
                    plist.remove(pending)
                    self._finish(pending.finding, pending.record, pending.change)
            if not plist:
                del self.pending[subject]
        return touched

    def _resolve_open_tests(self, fixture: Record) -> set[str]:
        """A fixture finalized inside a test's teardown put back what that test changed."""
        touched: set[str] = set()
        for record in self.stack:
            if record.owner.type != "test":
                continue
            for subject, entry in fixture.entries.items():
                if not entry.in_finalize:
                    continue
                test_entry = record.entries.get(subject)
                if test_entry is not None and same(test_entry.before, entry.now):
                    del record.entries[subject]
                    touched.add(subject)
        return touched

    def flush(self) -> None:
        """Session end: test changes still pending were never put back."""
        with self.guard("findings"):
            for plist in self.pending.values():
                for pending in plist:
                    if not same(pending.before, pending.now):
                        self._finish(pending.finding, pending.record, pending.change)
            self.pending.clear()

    # -- findings ---------------------------------------------------------

    def _emit(self, record: Record, net: dict[str, tuple[Any, Any]]) -> None:
        reloaded = self._reloaded_modules(record, net)
        for subject, (before, after) in net.items():
            entry = record.entries[subject]
            change = entry.change
            if same(before, after):
                continue
            if change.container == "binding" and before is not MISSING and after is not MISSING \
                    and safe.equivalent(before, after):
                continue  # put back as a fresh, equal object (teardown: settings = Settings())
            if change.kind == "attribute" and safe.is_module(after) and (
                before is MISSING or safe.is_module(before)
            ):
                continue  # a submodule import binding its parent's attribute
            if change.kind == "attribute" and change.module in reloaded and before is not MISSING \
                    and not safe.is_mock(after):
                reloaded[change.module]["rebound"] += 1
                continue
            if change.container == "reload":
                continue  # reported once per module below
            if change.kind == "reload" and change.container == "module":
                continue  # module replaced in sys.modules: reported below
            finding = self.describer.finding(record.owner, subject, before, after, change,
                                             entry.phase)
            if finding is None:
                continue
            if record.owner.type == "test" and self.fixtures:
                pending = Pending(finding, record, change, before, after, set(self.fixtures))
                self.pending.setdefault(subject, []).append(pending)
            else:
                self._finish(finding, record, change)
        for module, info in reloaded.items():
            finding = self.describer.reload_finding(record.owner, module, info, self.graph)
            self._finish(finding, record, None)

    def _reloaded_modules(self, record: Record, net: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for subject, (before, after) in net.items():
            entry = record.entries[subject]
            change = entry.change
            if same(before, after):
                continue
            if change.container == "reload" and change.module:
                out[change.module] = {
                    "how": "importlib.reload",
                    "before_ns": change.extra.get("before_ns"),
                    "after_ns": self.graph.modules[change.module].obj
                    if self.graph and change.module in self.graph.modules else None,
                    "origin": record.reloads.get(change.module),
                    "phase": entry.phase,
                    "rebound": 0,
                }
            elif change.kind == "reload" and change.container == "module":
                name = change.extra.get("name")
                if type(name) is str and safe.is_module(before) and safe.is_module(after):
                    out[name] = {
                        "how": "replaced in sys.modules",
                        "before_ns": safe.module_dict(before),
                        "after_ns": safe.module_dict(after),
                        "origin": record.reloads.get(name),
                        "phase": entry.phase,
                        "rebound": 0,
                    }
        return out

    def _finish(self, finding: Finding, record: Record, change: Change | None) -> None:
        if self.ignore.finding(finding.kind, finding.subject):
            return
        if finding.origin is None and change is not None and record.codes is not None:
            with self.guard("static-origin"):
                self._static_origin(finding, record, change)
        if any(drop(finding) for drop in self.filters):
            return
        if change is not None and change.extra.get("test_class") and record.owner.type == "fixture" \
                and record.owner.scope == "class":
            finding.severity = INFO
        if any(finding.subject == t or finding.subject.startswith((t + ".", t + "["))
               for t in self.targets):
            finding.critical = True
        if finding.kind not in KINDS:
            finding.severity = WARNING
        self.findings.append(finding)
        if finding.severity != INFO:
            self.tests_with_leaks.add(finding.test)
        if self.observers:
            self.notify("on_finding", finding)

    @staticmethod
    def _static_origin(finding: Finding, record: Record, change: Change) -> None:
        if finding.kind not in ("attribute", "class-attribute", "instance-attribute",
                                "container", "mock"):
            return
        name = change.extra.get("name")
        key = change.extra.get("key") if change.extra.get("node") == "dict" else None
        mutated = change.container in ("list", "set")
        if mutated:
            name = change.subject.rpartition(".")[2]
        if key is not None and type(key) not in (str, int):
            key = None
        if type(name) is not str and key is None:
            return
        from . import static_origin  # only for a finding without an origin

        origin = static_origin.find(record.codes(), name if type(name) is str else None, key, mutated)
        if origin is not None:
            finding.origin = origin
            finding.detail["origin_from"] = "code"

    # -- summary ----------------------------------------------------------

    @property
    def describer(self) -> Describer:
        """What turns changes into findings, made (and its module imported) at the first
        change: a run that changes nothing never needs it."""
        describer = self._describer
        if describer is None:
            from .describe import Describer

            describer = self._describer = Describer(self.options.show_values)
        return describer

    @property
    def complete(self) -> bool:
        return not self.incomplete_reasons

    def mark_incomplete(self, reason: str) -> None:
        if reason not in self.incomplete_reasons:
            self.incomplete_reasons.append(reason)

    def core_name(self) -> str:
        return getattr(self.core, "name", self._released[0])

    def watched_modules(self) -> int:
        return len(self.graph.modules) if self.graph else self._released[1]

    def pid(self) -> int:
        return os.getpid()


def _gate(observer: Any, method: str) -> Any:
    """An observer's gate for ``method`` (see ``Collector._observer_calls``): for
    ``on_test_begin`` the name of a truthy attribute, for ``on_test_end`` True (only a
    window that changed something) or the name of an attribute holding a tuple of
    containers (only while one is not empty); None: always called."""
    if method == "on_test_begin":
        name = getattr(type(observer), "test_begin_if", None)
        return name if type(name) is str else None
    if method == "on_test_end":
        if getattr(type(observer), "test_end_if_changed", False) is True:
            return True
        name = getattr(type(observer), "test_end_when", None)
        return name if type(name) is str else None
    return None


class _Guard:
    """A context manager cheaper than @contextmanager (it wraps every hook, every test)."""

    __slots__ = ("collector", "component")

    def __init__(self, collector: Collector, component: str) -> None:
        self.collector = collector
        self.component = component

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: Any) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False
        self.collector.record_error(self.component, exc)
        return True


class _GraphProbe:
    """The watch graph, seen as a probe."""

    name = "watched-modules"

    def __init__(self, graph: WatchGraph) -> None:
        self.graph = graph
        #: The graph's own poll (no frame of this wrapper in every test's poll).
        self.poll: Callable[[], list[Change]] = graph.poll

    def start(self) -> None:
        return None

    def mark(self, phase_ended: str) -> None:
        self.graph.mark(phase_ended)
