"""The optional C scan (leakwatch/_gather.c) gives the pure-Python reads' answers.

coverage.py's model: two interchangeable cores. Where no compiler was found at install the
accelerator is absent and these tests skip; .ci/run builds it and says so.
"""

from __future__ import annotations

import functools
import os
import random
import subprocess
import sys
import types
from array import array
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leakwatch import versions
from leakwatch.versions import VersionTags, _NativeTagBatch, _RawTagBatch, native_length_offsets

pytestmark = pytest.mark.skipif(versions._gather is None, reason="the C accelerator was not built")


def test_native_tag_batch_reports_what_the_memoryview_batch_reports() -> None:
    core = VersionTags()
    assert core._raw_ok
    rng = random.Random(7)
    dicts: list[dict[str, Any]] = [{"k": i} for i in range(300)]
    handles = [core.add(d) for d in dicts]
    native = _NativeTagBatch(handles, core._offset)
    raw = _RawTagBatch(handles, core._offset)
    for _ in range(30):
        for d in rng.sample(dicts, rng.randrange(0, 6)):
            d[rng.choice("abc")] = object()  # a write moves the tag
        got = native.changed()
        assert got == raw.changed()
        assert got == sorted(got)
    assert native.changed() == [] == raw.changed()


def test_the_core_picks_the_native_batch_and_can_be_told_not_to() -> None:
    core = VersionTags()
    handles = [core.add({"x": 1})]
    assert type(core.batch(handles)) is _NativeTagBatch
    core.native = False
    assert type(core.batch(handles)) is _RawTagBatch


def test_the_c_word_read_answers_as_ctypes() -> None:
    d: dict[str, int] = {"a": 1}
    tags = VersionTags()
    addr = id(d) + tags._offset
    assert versions.word is versions._gather.word_at
    assert versions.word(addr) == versions._ctypes_word(addr) == tags.version(tags.add(d))
    d["b"] = 2
    assert versions.word(addr) == versions._ctypes_word(addr)
    assert versions.word(id(d) + object.__basicsize__) == 2  # ma_used
    with pytest.raises(ValueError):
        versions.word(addr + 1)  # unaligned: refused, not read


NO_CTYPES = """
import sys
from leakwatch import versions
core = versions.best_core()
tags = versions.VersionTags()
watched = {}
batch = core.batch([core.add(watched)])
watched["x"] = 1
assert batch.changed() == [0] and tags.marker() < tags.marker()
tag_batch = tags.batch([tags.add(watched)])
watched["y"] = 2
assert tag_batch.changed() == [0]
print("ctypes" in sys.modules)
"""


def test_the_cores_do_not_import_ctypes_where_the_c_scan_was_built() -> None:
    """ctypes (~2 ms of each enabled start-up) is imported only for a Python read of
    memory: where the C scan was built it reads the words."""
    out = subprocess.run([sys.executable, "-c", NO_CTYPES], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False", out.stderr


def test_words_differ_reports_without_storing() -> None:
    """``words_differ`` (the graph's phase marks) finds what ``words_changed`` finds and
    leaves ``seen`` alone, so that the poll after the mark still sees the move."""
    from array import array as arr

    lists: list[list[int]] = [[1], [1, 2], []]
    offsets = native_length_offsets()
    assert offsets is not None
    addresses = arr("Q", [id(x) + offsets[0] for x in lists])
    seen = arr("Q", [len(x) for x in lists])
    assert versions._gather.words_differ(addresses, seen) == []
    lists[1].append(3)
    lists[2].append(0)
    assert versions._gather.words_differ(addresses, seen) == [1, 2]
    assert list(seen) == [1, 2, 0]  # not stored
    assert versions._gather.words_changed(addresses, seen) == [1, 2]
    assert list(seen) == [1, 3, 1]
    assert versions._gather.words_differ(addresses, seen) == []
    with pytest.raises(ValueError):
        versions._gather.words_differ(addresses, arr("Q", [1]))


def test_length_words_are_read_where_len_says() -> None:
    offsets = native_length_offsets()
    assert offsets is not None
    list_at, set_at = offsets
    items: list[int] = [1, 2, 3]
    members = {1, 2, 3, 4}
    members.discard(4)  # a dummy entry: "fill" and "used" differ
    addresses = array("Q", [id(items) + list_at, id(members) + set_at])
    seen = array("Q", [3, 3])
    assert versions.words_changed(addresses, seen) == []
    items.append(4)
    members.discard(1)
    assert versions.words_changed(addresses, seen) == [0, 1]
    assert list(seen) == [len(items), len(members)]


def test_bad_buffers_raise_instead_of_reading() -> None:
    with pytest.raises(ValueError):
        versions.words_changed(array("Q", [0, 0]), array("Q", [0]))
    with pytest.raises(TypeError):
        versions.words_changed(array("Q", [0]), b"\0" * 8)  # read-only "seen"


@pytest.mark.skipif(sys.version_info < (3, 12), reason="dict watchers are 3.12+")
def test_the_dict_watcher_callback_is_the_c_one_and_logs_writes() -> None:
    core = versions.DictWatchers()
    assert versions._watcher["cb"] is None  # no ctypes callback object: the C one
    watched: dict[str, int] = {}
    unwatched: dict[str, int] = {}
    batch = core.batch([core.add(watched)])
    unwatched["x"] = 1
    assert batch.changed() == []
    watched["x"] = 1
    del watched["x"]
    assert batch.changed() == [0]
    assert batch.changed() == []


def test_the_c_marker_moves_as_the_python_one_does() -> None:
    """bump_tag is the marker the core uses: each reading is later than the last, earlier
    than any write made after it, and later than any write made before it."""
    core = versions.VersionTags()
    assert core._bump is not None
    d: dict[str, int] = {}
    first = core.marker()
    d["x"] = 1
    after_write = core._read(id(d) + core._offset)
    second = core.marker()
    assert first < after_write < second
    core._bump = None  # the Python marker reads the same counter
    third = core.marker()
    assert second < third
    core._bump = versions._gather.bump_tag
    assert third < core.marker()
    kept = core.marker_call()  # what the collector keeps: the C marker, bound
    assert type(kept) is functools.partial and kept.func is versions._gather.bump_tag
    fourth = kept()
    d["y"] = 2
    assert fourth < core._read(id(d) + core._offset) < kept() < core.marker()
    core._bump = None
    assert core.marker_call() == core.marker  # without the C build: the Python method


@pytest.mark.skipif(sys.version_info < (3, 12), reason="dict watchers are 3.12+")
def test_log_hits_answers_as_the_python_log_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The watcher batch's C read of the log (each watched dict once, in order, other
    batches' dicts and a shared dict handled) against the Python set comprehension."""
    core = versions.DictWatchers()
    rng = random.Random(3)
    dicts: list[dict[str, int]] = [{} for _ in range(40)]
    others: list[dict[str, int]] = [{} for _ in range(10)]
    handles = [core.add(d) for d in dicts] + [core.add(dicts[5])]  # one dict twice
    other_batch = core.batch([core.add(d) for d in others])
    native, pure = core.batch(handles), core.batch(handles)
    for round_ in range(30):
        for _ in range(rng.randrange(0, 12)):
            rng.choice(dicts + others)[f"k{round_}"] = round_
        got = native.changed()
        monkeypatch.setattr(versions, "_log_hits", None)
        want = pure.changed()
        monkeypatch.undo()
        assert got == want
        assert got == sorted(set(got))
        other_batch.changed()
    assert versions._gather.log_hits([1, 2, 1, 3], 1, {1: 0, 3: 2}, 3) == [0, 2]
    assert versions._gather.log_hits([3, 1, 3, 1, 2], 0, {1: 1, 3: 0}, 2) == [0, 1]  # once each
    assert versions._gather.log_hits([1, 2], 2, {1: 0}, 1) == []  # nothing written since
    with pytest.raises(ValueError):
        versions._gather.log_hits([1], 0, {1: 5}, 3)  # a position out of range: no stray write


@pytest.mark.skipif(versions._gather is None or not hasattr(versions._gather, "log_hits"),
                    reason="the C part was not built")
@given(log=st.lists(st.integers(0, 8), max_size=40), start=st.integers(-3, 45),
       n=st.integers(1, 6), data=st.data())
def test_log_hits_is_the_sorted_set_of_positions_written(
        log: list[int], start: int, n: int, data: st.DataObject) -> None:
    """Any log, start (past the end and negative included) and index: each position once,
    in increasing order, whatever order and repetition the log has them in. The C read
    sorts the positions it found instead of flagging them in a table of ``n``."""
    index = data.draw(st.dictionaries(st.integers(0, 8), st.integers(0, n - 1)))
    want = sorted({index[a] for a in log[max(start, 0):] if a in index})
    assert versions._gather.log_hits(log, start, index, n) == want


def test_dict_same_is_an_identity_check_that_runs_no_user_code() -> None:
    """True only for the same key and value objects in the same order; an equal value that
    is another object, a moved key, a subclass: False (the Python diff then looks)."""
    same = versions._gather.dict_same

    class Loud:
        def __eq__(self, other: object) -> bool:
            raise AssertionError("__eq__ ran")

        def __hash__(self) -> int:
            return 1

    key, value = Loud(), Loud()
    d: dict[Any, Any] = {"a": 1, key: value, "b": [1]}
    snap = dict.copy(d)
    assert same(d, snap)
    d["b"] = [1]  # equal, not the same object
    assert not same(d, snap)
    d["b"] = snap["b"]
    assert same(d, snap)
    del d["a"]
    d["a"] = 1  # the same objects, another order
    assert not same(d, snap)
    assert not same({"a": 1}, {"a": 1, "b": 2})

    class Sub(dict):  # type: ignore[type-arg]
        pass

    assert not same(Sub(snap), snap)
    assert versions.dict_same is same


def test_the_c_locale_read_answers_as_the_python_one() -> None:
    import locale

    from leakwatch.breadth import surfaces

    read = surfaces._native_locale()
    assert read is not None
    assert read() == surfaces._locale()
    before = locale.setlocale(locale.LC_TIME)
    other = "C" if before != "C" else "C.UTF-8"
    try:
        locale.setlocale(locale.LC_TIME, other)
    except locale.Error:
        pytest.skip(f"locale {other} is not available")
    try:
        assert read() == surfaces._locale() and read()[2] == other
    finally:
        locale.setlocale(locale.LC_TIME, before)
    assert read() == surfaces._locale()
    first, again = read(), read()
    assert all(a is b for a, b in zip(first, again, strict=True))  # unchanged: the same str
    slots = {s.subject: s.read for s in surfaces.process_slots(True)}
    assert slots["locale.setlocale()"] is not surfaces._locale  # the C one is in use


def test_the_c_cwd_read_gives_the_same_str_until_the_directory_changes(tmp_path: Any) -> None:
    """Read per test: an unchanged cwd comes back as the same str object (no decoding),
    a changed one as the new path, and back again."""
    getcwd = versions._gather.getcwd
    start = os.getcwd()
    assert getcwd() == start and getcwd() is getcwd()
    try:
        os.chdir(tmp_path)
        assert getcwd() == os.getcwd() == str(tmp_path)
    finally:
        os.chdir(start)
    assert getcwd() == start


def test_the_c_decimal_read_answers_as_the_python_one() -> None:
    import decimal

    from leakwatch.breadth import surfaces

    read = surfaces._decimal_reader()
    assert read is not surfaces._decimal  # decimal is imported and the C scan built
    assert read() == surfaces._decimal()
    with decimal.localcontext() as ctx:  # a new current context, then one field moved
        assert read() == surfaces._decimal()
        ctx.prec = 7
        ctx.rounding = decimal.ROUND_DOWN
        assert read() == surfaces._decimal() and read()[:2] == (7, decimal.ROUND_DOWN)

    class Custom(decimal.Context):
        pass

    saved = decimal.getcontext()
    decimal.setcontext(Custom())
    try:  # a subclass's fields could be properties: not read, only its identity
        assert read() == surfaces._decimal() == ("<custom context>", id(decimal.getcontext()))
    finally:
        decimal.setcontext(saved)
    assert read() == surfaces._decimal()


PURE = """
import sys
sys.modules["leakwatch._gather"] = None  # as if it had not been built
from leakwatch import versions
assert versions._gather is None and versions.native_length_offsets() is None
from leakwatch.breadth import surfaces
reads = {s.subject: s.read for s in surfaces.process_slots(True)}
assert reads["os.getcwd()"] is surfaces._cwd and reads["os.umask()"] is surfaces._umask
assert reads["child processes"] is surfaces._children
assert reads["locale.setlocale()"] is surfaces._locale and surfaces._native_locale() is None
assert versions._log_hits is None and versions.VersionTags()._bump is None
assert versions.dict_same is None and surfaces._decimal_reader() is surfaces._decimal
core = versions.best_core()
watched = {}
batch = core.batch([core.add(watched)])
watched["x"] = 1
print(core.name, batch.changed(), type(batch).__name__)
"""


def test_without_the_accelerator_the_pure_reads_answer_the_same() -> None:
    out = subprocess.run([sys.executable, "-c", PURE], capture_output=True, text=True, check=True)
    name, rest = out.stdout.split(" ", 1)
    assert rest.strip().startswith("[0]")
    assert name == ("dict-watcher" if sys.version_info >= (3, 12) else "version-tag")
    if name == "version-tag":
        assert rest.strip().endswith("_RawTagBatch")


def test_the_native_process_reads_answer_as_the_python_ones(tmp_path: Any) -> None:
    """cwd, umask and child processes: the C reads (one syscall each) and surfaces' Python
    reads agree, in the usual case and in the odd ones (a deleted cwd, a child alive)."""
    from leakwatch import _gather
    from leakwatch.breadth import surfaces

    assert _gather.getcwd() == surfaces._cwd()
    assert _gather.umask() == surfaces._umask()
    assert _gather.has_children() is surfaces._children() is False
    before = os.umask(0o027)
    try:
        assert _gather.umask() == surfaces._umask() == 0o027
    finally:
        os.umask(before)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        assert _gather.has_children() is surfaces._children() is True
    finally:
        child.kill()
        child.wait()
    assert _gather.has_children() is surfaces._children() is False
    here = os.getcwd()
    gone = tmp_path / "gone"
    gone.mkdir()
    os.chdir(gone)
    try:
        gone.rmdir()
        assert _gather.getcwd() == surfaces._cwd() == "<deleted>"
    finally:
        os.chdir(here)
    slots = {s.subject: s.read for s in surfaces.process_slots(True)}
    assert slots["os.getcwd()"] is _gather.getcwd and slots["os.umask()"] is _gather.umask
    assert slots["child processes"] is _gather.has_children


def test_same_reads_answers_as_the_python_comparison() -> None:
    # Each mode, unchanged and changed: a module attribute looked up in its dict (rebound,
    # gone), a reader compared by identity and by ==, a list by identity and items.
    from types import ModuleType

    from leakwatch.changes import SeqState

    same_reads = versions._gather.same_reads
    module = ModuleType("lw_same_reads_probe")
    items: list[Any] = [object(), object()]
    marker = object()
    module.__dict__.update(hook=marker, items=items)
    ns = module.__dict__
    box = {"value": "a", "obj": marker}
    sources = ((ns, "hook"), lambda: box["obj"], lambda: box["value"] + "", (ns, "items"))
    expected = (marker, marker, "a", items)
    states = (None, None, None, SeqState(items))
    assert same_reads(sources, b"iies", expected, states) is True
    box["value"] = "b"  # equal by value is enough for 'e', a new object each read
    assert same_reads(sources, b"iies", expected, states) is False
    box["value"] = "a"
    items.append(object())  # the same list, one more item
    assert same_reads(sources, b"iies", expected, states) is False
    items.pop()
    items[0] = object()  # the same length, another object
    assert same_reads(sources, b"iies", expected, states) is False
    assert same_reads(sources, b"iies", expected, (None, None, None, SeqState(items))) is True
    module.hook = object()  # rebound
    assert same_reads(sources, b"iies", expected, states) is False
    del module.hook  # gone: not an error, a difference (the Python reads then raise)
    assert same_reads(sources, b"iies", expected, states) is False
    with pytest.raises(ValueError):
        same_reads(sources, b"ii", expected, states)


def test_same_reads_map_mode_compares_each_answer_by_identity() -> None:
    """Mode 'm' (the signal handlers' one entry): fn(arg) for each arg of a (fn, args)
    source, each by identity with the expected tuple's item; a user __eq__ never runs."""
    same_reads = versions._gather.same_reads

    class Loud:
        def __eq__(self, other: object) -> bool:
            raise AssertionError("a user __eq__ ran")

        __hash__ = object.__hash__

    handlers: dict[int, Any] = {1: Loud(), 2: None, 3: print}
    source = ((handlers.get, (1, 2, 3)),)
    assert same_reads(source, b"m", (tuple(map(handlers.get, (1, 2, 3))),), (None,)) is True
    before = tuple(map(handlers.get, (1, 2, 3)))
    handlers[1] = Loud()  # another handler object
    assert same_reads(source, b"m", (before,), (None,)) is False
    assert same_reads(source, b"m", (before[:2],), (None,)) is False  # not one per arg
    with pytest.raises(ValueError):
        same_reads(((handlers.get, [1]),), b"m", ((None,),), (None,))


def test_the_signals_probe_quiet_entry_follows_the_handlers() -> None:
    """The signals probe's one quiet entry holds while no handler moved, and fails when a
    handler is set (what its poll would report)."""
    import signal

    from leakwatch.breadth.surfaces import SignalsProbe

    probe = SignalsProbe()
    probe.start()
    (entry,) = probe.quiet() or []
    check = (entry[0],), entry[1].encode("ascii"), (entry[2],), (entry[3],)
    assert versions._gather.same_reads(*check) is True
    before = signal.getsignal(signal.SIGUSR1)
    signal.signal(signal.SIGUSR1, lambda *a: None)
    try:
        assert versions._gather.same_reads(*check) is False
        assert [c.subject for c in probe.poll()] == ["signal.getsignal(SIGUSR1)"]
    finally:
        signal.signal(signal.SIGUSR1, before)


def test_the_slot_probe_finds_the_same_changes_with_and_without_the_c_check() -> None:
    from leakwatch.breadth.surfaces import SlotProbe, process_slots

    def run(native: bool) -> list[list[str]]:
        probe = SlotProbe(process_slots(True))
        if not native:
            probe._same_reads = None
        probe.start()
        found = [[c.subject for c in probe.poll()]]
        saved_path, saved_argv = list(sys.path), list(sys.argv)
        try:
            sys.path.append("/lw-same-reads")
            found.append([c.subject for c in probe.poll()])
            sys.argv[:] = [*sys.argv, "--flag"]
            found.append([c.subject for c in probe.poll()])
        finally:
            sys.path[:] = saved_path
            sys.argv[:] = saved_argv
        found.append([c.subject for c in probe.poll()])
        found.append([c.subject for c in probe.poll()])
        return found

    expected = [[], ["sys.path"], ["sys.argv"], ["sys.path", "sys.argv"], []]
    assert run(native=True) == expected == run(native=False)


QUIET_SUITE = {
    "test_quiet.py": """
        import builtins, decimal, logging, os, signal, sys, threading, time, types

        def test_clean():
            pass

        def test_env_put_back(monkeypatch):
            monkeypatch.setenv("LW_QUIET_BACK", "1")

        def test_env():
            os.environ["LW_QUIET_ENV"] = "1"

        def test_env_raw():
            os.environ._data[b"LW_QUIET_RAW"] = b"1"  # past the wrapper: the length moves

        def test_clean_twice():
            pass

        def test_root_level():
            logging.getLogger().setLevel(logging.DEBUG)

        def test_clean_after_level():
            pass

        def test_root_handler():
            logging.getLogger().addHandler(logging.NullHandler())

        def test_disable():
            logging.disable(logging.ERROR)

        def test_signal():
            signal.signal(signal.SIGUSR1, lambda *a: None)

        def test_clean_again():
            pass

        def test_clean_again_twice():
            pass

        def test_decimal():
            decimal.getcontext().prec = 5

        def test_module():
            sys.modules["lw_fake_quiet"] = types.SimpleNamespace(answer=42)

        def test_builtin():
            builtins.lw_leak_quiet = 1

        def test_thread():
            threading.Thread(target=time.sleep, args=(3,), daemon=True).start()

        def test_last():
            pass
    """,
}

QUIET_OFF = """
    from leakwatch import versions

    versions.same_reads = None  # every probe polled one by one, as without the C build
"""

QUIET_SEEN = """
    import json
    import pytest
    from leakwatch.plugin import COLLECTOR

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(session):
        collector = session.config.stash[COLLECTOR]
        names = sorted(p.name for p in collector._quiet_members)
        with open("quiet.json", "w") as fh:
            json.dump({"members": names, "quiet": collector.quiet_polls,
                       "fast": collector.quiet_fast_polls}, fh)
"""


def test_the_quiet_group_finds_what_each_probe_finds(suite: Any) -> None:
    """sys.modules, threads, the process dicts, signals and logging answer "nothing to
    report" in one C call (Collector._quiet_now); a change to any of them still reaches its
    probe, and the report is the one each probe polled on its own gives."""
    import json

    def findings(run: Any) -> set[tuple[str, str, str]]:
        return {(f["test"].rpartition("::")[2], f["kind"], f["subject"]) for f in run.leaks}

    grouped = suite.files(**QUIET_SUITE, **{"conftest.py": QUIET_SEEN}).run()
    grouped.result.assert_outcomes(passed=17)
    seen = json.loads((suite.pytester.path / "quiet.json").read_text())
    assert seen["members"] == ["logging", "process-dicts", "process-state", "signals",
                               "sys.modules", "threads"]
    assert seen["quiet"] >= 4, seen  # the clean tests' polls skipped the group
    assert seen["fast"] >= 2, seen  # ... some by the fast path (Collector._quiet_fast)
    alone = suite.files(**{"conftest.py": QUIET_OFF}).run()
    alone.result.assert_outcomes(passed=17)
    assert findings(grouped) == findings(alone)
    tests = {test for test, _, _ in findings(grouped)}
    assert {("test_env", "env", "LW_QUIET_ENV"), ("test_env_raw", "env", "LW_QUIET_RAW")
            } <= findings(grouped)
    assert {"test_signal", "test_decimal", "test_module", "test_builtin", "test_thread",
            "test_root_level", "test_root_handler", "test_disable"} <= tests
    assert not tests & {"test_clean", "test_clean_twice", "test_env_put_back", "test_clean_again",
                        "test_clean_again_twice", "test_clean_after_level", "test_last"}


def test_passthrough_calls_the_wrapped_method_for_pytests_key_only() -> None:
    """``_gather.Passthrough`` with a key (interceptors._entry): pytest's own key, exactly
    str or bytes, goes straight to the wrapped method; every other call reaches the Python
    wrapper with the same four arguments (a str subclass too: its __eq__ is never asked)."""
    from leakwatch import interceptors

    slow_calls: list[tuple[Any, ...]] = []

    def slow(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        slow_calls.append(args)
        return wrapped(*args, **kwargs)

    class Sneaky(str):
        def __eq__(self, other: object) -> bool:
            raise AssertionError("a user __eq__ ran")

        __hash__ = str.__hash__

    passed = versions._gather.Passthrough(slow, key="PYTEST_CURRENT_TEST",
                                          key_bytes=b"PYTEST_CURRENT_TEST")
    assert passed.slow is slow
    store: dict[Any, Any] = {}
    assert passed(store.__setitem__, store, ("PYTEST_CURRENT_TEST", "a"), {}) is None
    assert passed(store.__setitem__, store, (b"PYTEST_CURRENT_TEST", "b"), {}) is None
    assert passed(store.get, store, ("PYTEST_CURRENT_TEST",), {}) == "a"
    assert slow_calls == []
    for args in [("PYTEST_CURRENT_TESTX", "c"), ("OTHER", "d")]:
        passed(store.__setitem__, store, args, {})
    passed(lambda *a: None, store, (Sneaky("PYTEST_CURRENT_TEST"), "e"), {})
    assert passed(lambda key: store[key], store, (), {"key": "OTHER"}) == "d"  # no args[0]
    assert [str.__str__(a[0]) if a else None for a in slow_calls] == [
        "PYTEST_CURRENT_TESTX", "OTHER", "PYTEST_CURRENT_TEST", None]
    assert type(slow_calls[2][0]) is Sneaky
    with pytest.raises(KeyError):  # errors pass through unchanged, from either path
        passed({}.__getitem__, {}, ("PYTEST_CURRENT_TEST",), {})
    with pytest.raises(KeyError):
        passed({}.__getitem__, {}, ("OTHER",), {})
    # Only some wrappers get one; without the C build each is its own entry.
    assert type(interceptors._entry(interceptors._env_putenv)) is versions._gather.Passthrough
    assert type(interceptors._entry(interceptors._monkeypatch_init)) is versions._gather.Passthrough
    assert interceptors._entry(interceptors._patch_enter) is interceptors._patch_enter
    with pytest.raises(TypeError):
        versions._gather.Passthrough(slow, idle=[])  # a dict, or nothing


def test_passthrough_with_idle_passes_every_call_while_the_dict_is_empty() -> None:
    """``idle``: ``os.environ.__getitem__``'s entry passes every read while importlib's
    table of module locks is empty (no module body runs), and sends them to the wrapper
    (which looks for the module body reading) while it is not."""
    slow_calls: list[tuple[Any, ...]] = []

    def slow(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        slow_calls.append(args)
        return wrapped(*args, **kwargs)

    locks: dict[str, Any] = {}
    passed = versions._gather.Passthrough(slow, key="K", key_bytes=b"K", idle=locks)
    store = {"A": 1}
    assert passed(store.__getitem__, store, ("A",), {}) == 1
    with pytest.raises(KeyError):
        passed(store.__getitem__, store, ("B",), {})
    assert slow_calls == []
    locks["pkg.mod"] = object()  # an import in progress
    assert passed(store.__getitem__, store, ("A",), {}) == 1
    with pytest.raises(KeyError):
        passed(store.__getitem__, store, ("B",), {})
    assert passed(store.get, store, ("K",), {}) is None  # pytest's key still passes
    assert slow_calls == [("A",), ("B",)]


def test_env_reads_without_the_c_entry_are_recorded_only_while_an_import_runs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python wrapper of ``os.environ.encodekey`` on its own (as installed without the
    C part): a read (a call from ``__getitem__``) is looked at only while importlib holds a
    module lock, with the value it found (None: unset); writes and deletes never are."""
    import wrapt

    from leakwatch import interceptors

    seen: list[tuple[Any, Any]] = []
    monkeypatch.setattr(interceptors, "_import_read", lambda key, value: seen.append((key, value)))
    monkeypatch.setattr(interceptors, "_listeners", [object()])
    locks: dict[str, Any] = {}
    monkeypatch.setattr(interceptors, "_IMPORTS_IN_PROGRESS", locks)
    original = vars(os.environ)["encodekey"]
    while type(original) is not types.FunctionType:  # under --leakwatch: ours, installed
        original = original.__wrapped__
        original = original.__func__ if type(original) is staticmethod else original
    monkeypatch.setattr(os.environ, "encodekey",
                        wrapt.FunctionWrapper(staticmethod(original), interceptors._env_encodekey))
    monkeypatch.setenv("LW_FALLBACK_READ", "v")
    monkeypatch.delenv("LW_FALLBACK_UNSET", raising=False)
    assert os.environ.get("LW_FALLBACK_READ") == "v"
    assert seen == []  # no import in progress: nothing recorded
    locks["pkg.mod"] = object()
    assert os.environ.get("LW_FALLBACK_READ") == "v"
    assert "LW_FALLBACK_UNSET" not in os.environ
    os.environ["LW_FALLBACK_WRITTEN"] = "w"
    del os.environ["LW_FALLBACK_WRITTEN"]
    locks.clear()
    assert seen == [("LW_FALLBACK_READ", "v"), ("LW_FALLBACK_UNSET", None)]


def test_passthrough_with_caller_file_passes_calls_made_from_that_file() -> None:
    """``caller_file``: ``MonkeyPatch.__init__``'s entry passes the calls made by code of
    pytest's ``monkeypatch.py`` (the fixture), and sends the others to the wrapper."""
    slow_calls: list[tuple[Any, ...]] = []

    def slow(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        slow_calls.append(args)
        return wrapped(*args, **kwargs)

    fake = "/site-packages/_pytest/monkeypatch_fake.py"
    passed = versions._gather.Passthrough(slow, caller_file=fake)
    space: dict[str, Any] = {"passed": passed}
    exec(compile("def from_there(*args, **kwargs):\n"
                 "    return passed(lambda *a, **k: (a, k), None, args, kwargs)\n", fake, "exec"),
         space)
    assert space["from_there"](1, x=2) == ((1,), {"x": 2})
    assert slow_calls == []
    assert passed(lambda *a: a, None, (3,), {}) == (3,)  # from here: this file
    assert slow_calls == [(3,)]


def test_the_c_frame_walk_finds_the_python_walks_origins() -> None:
    """``_gather.caller_origin`` is interceptors.caller_origin's loop: same origin for the
    plain walk, the walk that skips pytest, and the walk that stops at a hook call."""
    import pluggy

    from leakwatch import interceptors

    # Compiled as leakwatch's own file: the walks skip its frame, as they skip their callers'.
    helper = ("def both(skip_pytest):\n"
              "    native = interceptors.caller_origin(skip_pytest)\n"
              "    saved, interceptors._native_walk = interceptors._native_walk, None\n"
              "    try:\n"
              "        pure = interceptors.caller_origin(skip_pytest)\n"
              "    finally:\n"
              "        interceptors._native_walk = saved\n"
              "    return native, pure\n")
    ours: dict[str, Any] = {"interceptors": interceptors}
    exec(compile(helper, interceptors.__file__, "exec"), ours)
    both = ours["both"]

    def user_code() -> tuple[Any, Any]:
        return both(False)

    native, pure = user_code()
    assert native == pure and native.function == "user_code" and native.file == __file__
    spec, impl = pluggy.HookspecMarker("lwwalk"), pluggy.HookimplMarker("lwwalk")
    seen: list[tuple[Any, Any]] = []

    class Spec:
        @spec
        def lwwalk_hook(self) -> None: ...

    space: dict[str, Any] = {"both": both, "seen": seen}
    exec(compile("def lwwalk_hook():\n    seen.append(both(True))\n",
                 "/site-packages/_pytest/lwwalk_fake.py", "exec"), space)
    manager = pluggy.PluginManager("lwwalk")
    manager.add_hookspecs(Spec)
    manager.register(types.SimpleNamespace(lwwalk_hook=impl(space["lwwalk_hook"])))
    manager.hook.lwwalk_hook()
    assert seen == [(None, None)]  # pytest's code up to the hook call: no origin
    with pytest.raises(TypeError):
        versions._gather.caller_origin(0, {1: "not a verdict"}, lambda c: None, 1, False,
                                       interceptors.Origin)

    class Unsure:
        def __bool__(self) -> bool:
            raise RuntimeError("no answer")

    with pytest.raises(RuntimeError):  # an error in a verdict is raised, not taken for an answer
        versions._gather.caller_origin(0, {}, lambda code: (code, Unsure(), Unsure(), False), 1,
                                       False, interceptors.Origin)


@pytest.mark.parametrize("native", [True, False], ids=["c-walk", "python-walk"])
def test_a_new_function_of_a_known_file_is_judged_without_a_verdict_call(
        monkeypatch: pytest.MonkeyPatch, native: bool) -> None:
    """Each test function is a code object of its own: the walk takes its file's verdict
    (left by the first function of that file) instead of calling ``_frame_verdict`` again.
    pluggy's files keep a verdict per function (the hook flag depends on its name)."""
    from leakwatch import interceptors

    if not native:
        monkeypatch.setattr(interceptors, "_native_walk", None)
    monkeypatch.setattr(interceptors, "_FRAME_VERDICTS", {})
    judged: list[str] = []
    real = interceptors._frame_verdict

    def counting(code: Any) -> Any:
        judged.append(code.co_name)
        return real(code)

    monkeypatch.setattr(interceptors, "_frame_verdict", counting)
    space: dict[str, Any] = {"interceptors": interceptors}
    source = ("def test_one():\n    return interceptors.caller_origin()\n"
              "def test_two():\n    return interceptors.caller_origin()\n")
    exec(compile(source, "/project/tests/test_lwfile.py", "exec"), space)
    first, second = space["test_one"](), space["test_two"]()
    assert (first.function, second.function) == ("test_one", "test_two")
    assert first.file == second.file == "/project/tests/test_lwfile.py"
    assert "test_one" in judged and "test_two" not in judged  # the file's verdict answered
    assert interceptors._FRAME_VERDICTS["/project/tests/test_lwfile.py"][1:] == (False, False, False)

    plug: dict[str, Any] = {"interceptors": interceptors}
    exec(compile(source, "/site-packages/pluggy/_lwfake.py", "exec"), plug)
    plug["test_one"](), plug["test_two"]()
    assert "/site-packages/pluggy/_lwfake.py" not in interceptors._FRAME_VERDICTS
    assert judged.count("test_two") == 1  # pluggy's: judged per function


def test_pytests_key_writes_are_not_counted_and_others_are(suite: Any) -> None:
    """In a run: the installed ``os.environ`` wrappers pass pytest's key through the C
    entry; a test's own writes and deletes still reach the Python wrapper (counted, and
    reported with who wrote them)."""
    run = suite.files(**{"test_keys.py": """
        import os
        from leakwatch import _gather, interceptors

        def test_entry_and_counts():
            for wrapper in (os.putenv, os.unsetenv, vars(os.environ)["encodekey"]):
                assert type(wrapper._self_wrapper) is _gather.Passthrough
            before = interceptors._env_write_count
            current = os.environ["PYTEST_CURRENT_TEST"]
            os.environ["PYTEST_CURRENT_TEST"] = current
            assert interceptors._env_write_count == before
            os.environ["LW_KEYPASS_SET"] = "1"
            os.environ.pop("LW_KEYPASS_SET")
            assert interceptors._env_write_count == before + 2

        def test_leaks():
            os.environ["LW_KEYPASS_LEAK"] = "1"
    """}).run()
    run.result.assert_outcomes(passed=2)
    leak = run.find("env", "LW_KEYPASS_LEAK", "test_leaks")[0]
    assert leak["detail"]["written_by"] == "test_keys.py::test_leaks"  # the wrapper saw it
    assert leak["detail"]["written_in_phase"] == "call"
    assert [f["subject"] for f in run.leaks] == ["LW_KEYPASS_LEAK"]


def test_a_quiet_poll_after_marks_still_settles_the_probes(suite: Any) -> None:
    """The fast poll skips the ``settle`` of probes whose settle only undoes a mark's notes
    (``settles_marks_only``), except after a test whose boundaries were read (a user
    fixture): then a value a fixture changed and put back is forgotten, and a later
    test's change to it is dated by that test's own phase, not the stale mark's. (Without
    that, ``test_moves_cwd`` was dated "setup".)"""
    run = suite.files(**{"test_marks.py": """
        import os
        import pytest

        @pytest.fixture
        def elsewhere():
            here = os.getcwd()
            os.chdir("/")
            yield
            os.chdir(here)

        def test_first():
            pass

        def test_second():
            pass

        def test_fixture_puts_cwd_back(elsewhere):
            pass

        def test_clean():
            pass

        def test_moves_cwd():
            os.chdir("/")
    """}).run()
    run.result.assert_outcomes(passed=5)
    cwd = [f for f in run.leaks if f["kind"] == "cwd"]
    assert [(f["test"].rpartition("::")[2], f["phase"]) for f in cwd] == [("test_moves_cwd", "call")]


def test_instance_dict_and_class_namespace_in_c_give_the_python_answers() -> None:
    """``safe.instance_dict``/``class_namespace`` are the C reads where built; each object
    here gets the same answer (the same dict object, or None) from both, and no property,
    metaclass or ``__getattr__`` of the objects' runs."""
    import types
    from unittest import mock

    from leakwatch import safe

    class Loud(type):
        def __getattribute__(cls, name: str) -> Any:
            raise AssertionError("metaclass code ran")

        def mro(cls) -> list[type]:  # only when the class is made: tp_mro is read after
            return type.mro(cls)

    class WithMeta(metaclass=Loud):
        pass

    class DictProperty:
        @property
        def __dict__(self) -> Any:  # type: ignore[override]
            raise AssertionError("property ran")

    class Slotted:
        __slots__ = ("a",)

    class Plain:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError("__getattr__ ran")

    class SpecLies:
        pass

    liar = mock.MagicMock(spec=SpecLies)
    plain = Plain()
    plain.x = 1  # type: ignore[attr-defined]

    def function() -> None:
        pass

    objects: list[Any] = [mock.MagicMock(), mock.Mock(), liar, mock.create_autospec(function),
                          plain, DictProperty(), Slotted(), WithMeta(), function, types, 3, "s",
                          None, [1], {"a": 1}, len, object(), mock.sentinel.x, type, Loud]
    assert safe.instance_dict is versions._gather.instance_dict
    for obj in objects:
        assert safe.instance_dict(obj) is safe._instance_dict(obj), obj
    for cls in [int, object, type, dict, Plain, DictProperty, Slotted, WithMeta, Loud,
                mock.MagicMock, type(liar), types.ModuleType, 3, "str", None]:
        assert safe.class_namespace(cls) is safe._class_namespace(cls), cls
    assert safe.instance_dict(liar) is not None  # a spec'd mock: its real dict, not __class__'s
    assert safe.instance_dict(plain) == {"x": 1}
    assert safe.instance_dict(DictProperty()) is None
