"""Process-wide probes (issue 5): each kind found on the right test; the correct pattern gives nothing.

Inner suites run in subprocesses: the polluters really change the process.
"""

from __future__ import annotations

import pytest
from conftest import Suite

POLLUTERS = """
    import asyncio, builtins, decimal, faulthandler, logging, os, signal, socket, subprocess
    import sys, threading, time, warnings

    ev = threading.Event()
    PROCS = []

    def test_cwd(tmp_path):
        os.chdir(tmp_path)
    def test_sys_path():
        sys.path.insert(0, "/nonexistent/plugin-dir")
    class FakeFinder:
        def find_spec(self, *a, **k):
            return None
    def test_meta_path():
        sys.meta_path.append(FakeFinder())
    def test_importer_cache():
        sys.path_importer_cache["/nonexistent/fake"] = FakeFinder()
    def test_argv():
        sys.argv.append("--debug")
    def test_stdout():
        sys.stdout = open(os.devnull, "w")
    def test_builtins():
        builtins.app_helper = len
    def test_warnings():
        warnings.simplefilter("error")
    def test_log_handler():
        logging.getLogger("app").addHandler(logging.NullHandler())
    def test_log_level():
        logging.getLogger().setLevel(logging.CRITICAL)
    def test_log_disable():
        logging.disable(logging.INFO)
    def test_thread():
        threading.Thread(target=ev.wait, name="poller").start()
    def test_daemon_thread():
        threading.Thread(target=ev.wait, name="heartbeat", daemon=True).start()
    def test_signal():
        signal.signal(signal.SIGUSR1, lambda *a: None)
    def test_excepthook():
        sys.excepthook = lambda *a: None
    def test_socket_timeout():
        socket.setdefaulttimeout(3.0)
    def test_timezone(monkeypatch):
        os.environ["TZ"] = "UTC+05"
        time.tzset()
    def test_decimal():
        decimal.getcontext().prec = 5
    def test_recursion_limit():
        sys.setrecursionlimit(sys.getrecursionlimit() + 100)
    def test_umask():
        os.umask(0o077)
    def test_asyncio_loop():
        asyncio.set_event_loop(asyncio.new_event_loop())
    def test_child_process():
        PROCS.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]))
    def test_faulthandler():
        faulthandler.disable()
    def test_zz_cleanup():
        ev.set()
        for p in PROCS:
            p.kill()
            p.wait()
    def tracer(*a):
        return None
    def test_setprofile():  # last: a later test unsetting it would be that test's change
        sys.setprofile(tracer)
"""

EXPECTED = {
    # kind: (subject, test, severity)
    "cwd": ("os.getcwd()", "test_cwd", "leak"),
    "sys-path": ("sys.path", "test_sys_path", "leak"),
    "import-hooks": ("sys.meta_path", "test_meta_path", "leak"),
    "sys-argv": ("sys.argv", "test_argv", "leak"),
    "std-streams": ("sys.stdout", "test_stdout", "leak"),
    "builtins": ("builtins.app_helper", "test_builtins", "leak"),
    "warnings": ("warnings.filters", "test_warnings", "leak"),
    "logging": ("logging.getLogger('app').handlers", "test_log_handler", "leak"),
    "thread": ("thread 'poller'", "test_thread", "leak"),
    "daemon-thread": ("thread 'heartbeat'", "test_daemon_thread", "warning"),
    "signal": ("signal.getsignal(SIGUSR1)", "test_signal", "leak"),
    "trace-hook": ("sys.getprofile()", "test_setprofile", "leak"),
    "excepthook": ("sys.excepthook", "test_excepthook", "leak"),
    "socket-timeout": ("socket.getdefaulttimeout()", "test_socket_timeout", "leak"),
    "timezone": ("time.tzname", "test_timezone", "leak"),
    "decimal": ("decimal.getcontext()", "test_decimal", "leak"),
    "recursion-limit": ("sys.getrecursionlimit()", "test_recursion_limit", "leak"),
    "umask": ("os.umask()", "test_umask", "leak"),
    "asyncio": ("asyncio current event loop", "test_asyncio_loop", "leak"),
    "child-process": ("child processes", "test_child_process", "leak"),
    "faulthandler": ("faulthandler.is_enabled()", "test_faulthandler", "warning"),
}


def test_every_default_kind_found_on_the_right_test(suite: Suite) -> None:
    # -s: pytest's capture would otherwise put sys.stdout back itself; -p no:warnings:
    # without pytest's per-test catch_warnings, a filter really leaks.
    run = suite.files(**{"test_polluters.py": POLLUTERS}).run("-s", "-p", "no:warnings")
    run.result.assert_outcomes(passed=25)
    assert run.report is not None and run.report["errors"] == []
    for kind, (subject, test, severity) in EXPECTED.items():
        found = run.find(kind, subject)
        assert found, f"{kind} {subject} not reported: {[(f['kind'], f['subject']) for f in run.leaks]}"
        assert [f["test"] for f in found] == [f"test_polluters.py::{test}"], (kind, found)
        assert found[0]["severity"] == severity, (kind, found[0])
        # no fixture of the user's runs around these tests: the boundaries are not
        # checked and every change is the test body's
        assert found[0]["phase"] == "call", found[0]
    assert run.find("import-hooks", "sys.path_importer_cache['/nonexistent/fake']", "test_importer_cache")
    assert run.find("logging", "logging.getLogger().level", "test_log_level")
    assert run.find("logging", "logging.disable()", "test_log_disable")
    thread = run.find("thread", "thread 'poller'")[0]
    assert "non-daemon thread still running" in thread["change"] and "not restorable" in thread["change"]
    assert "CRITICAL" in run.find("logging", "logging.getLogger().level")[0]["change"]
    # threads ending and children reaped in the clean-up test are not its changes
    assert run.by_test("test_zz_cleanup") == []


CORRECT = """
    import asyncio, builtins, decimal, logging, os, signal, socket, subprocess, sys
    import threading, warnings
    import pytest

    @pytest.fixture
    def usr1_handler():
        old = signal.signal(signal.SIGUSR1, lambda *a: None)
        yield
        signal.signal(signal.SIGUSR1, old)

    @pytest.fixture(scope="module")
    def module_cwd(tmp_path_factory):
        old = os.getcwd()
        os.chdir(tmp_path_factory.mktemp("m"))
        yield
        os.chdir(old)

    def test_chdir(monkeypatch, tmp_path):
        monkeypatch.chdir(tmp_path)
    def test_module_cwd(module_cwd):
        pass
    def test_syspath(monkeypatch, tmp_path):
        monkeypatch.syspath_prepend(str(tmp_path))
    def test_argv(monkeypatch):
        monkeypatch.setattr(sys, "argv", ["prog", "--x"])
    def test_print(capsys):
        print("hello")
        assert capsys.readouterr().out == "hello\\n"
    def test_builtins(monkeypatch):
        monkeypatch.setattr(builtins, "open", lambda *a, **k: None)
    def test_warnings_inside_pytest():
        warnings.simplefilter("error")  # pytest's catch_warnings throws this away
    def test_catch_warnings():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
    def test_caplog(caplog):
        caplog.set_level(logging.DEBUG)
        caplog.set_level(logging.DEBUG, logger="app.db")
        logging.getLogger("app").info("hi")
    def test_handler_removed():
        handler = logging.NullHandler()
        logging.getLogger("app").addHandler(handler)
        logging.getLogger("app").removeHandler(handler)
    def test_new_logger():
        logging.getLogger("brand.new.logger").debug("x")
    def test_thread_joined():
        t = threading.Thread(target=lambda: None, name="short")
        t.start()
        t.join()
    def test_signal(usr1_handler):
        pass
    def test_socket_timeout():
        old = socket.getdefaulttimeout()
        socket.setdefaulttimeout(1.0)
        socket.setdefaulttimeout(old)
    def test_decimal():
        with decimal.localcontext() as ctx:
            ctx.prec = 3
    def test_recursion():
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(old + 1)
        sys.setrecursionlimit(old)
    def test_asyncio_run():
        asyncio.run(asyncio.sleep(0))
    def test_subprocess_waited():
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    def test_excepthook(monkeypatch):
        monkeypatch.setattr(sys, "excepthook", lambda *a: None)
    def test_builtins_metadata_rewritten():
        # The import system rewrites these (six's tests reload builtins): not behaviour.
        builtins.__spec__ = type(builtins.__spec__)("builtins", None)
"""


def test_correct_patterns_yield_nothing(suite: Suite) -> None:
    run = suite.files(**{"test_correct.py": CORRECT}).run()
    run.result.assert_outcomes(passed=20)
    assert run.report is not None and run.report["errors"] == []
    assert run.leaks == [], [(f["test"], f["kind"], f["subject"], f["change"]) for f in run.leaks]


ASYNCIO_LATE = """
def test_a_nothing():
    pass


def test_b_policy_set():
    import asyncio

    class Policy(asyncio.DefaultEventLoopPolicy):
        pass

    asyncio.set_event_loop_policy(Policy())


def test_c_nothing():
    pass


def test_d_policy_set_and_put_back():
    import asyncio

    before = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())
    asyncio.set_event_loop_policy(before)


def test_e_policy_replaced():
    import asyncio

    class Other(asyncio.DefaultEventLoopPolicy):
        pass

    asyncio.set_event_loop_policy(Other())


def test_f_asyncio_run_restores():
    import asyncio

    asyncio.run(asyncio.sleep(0))


def test_g_loop_left_set():
    import asyncio

    asyncio.set_event_loop(asyncio.new_event_loop())
"""


def test_asyncio_policy_and_loop_read_in_the_quiet_check(suite: Suite) -> None:
    # The quiet check reads the policy global as a namespace entry instead of calling the
    # slots' readers: each change is still found on its test (the first custom policy, one
    # replacing it, a loop left set once a policy exists), and nothing where put back.
    run = suite.files(**{"test_asyncio_late.py": ASYNCIO_LATE}).run()
    run.result.assert_outcomes(passed=7)
    assert run.report is not None and run.report["errors"] == []
    found = sorted((f["test"].split("::")[1], f["subject"]) for f in run.find("asyncio"))
    assert found == [
        ("test_b_policy_set", "asyncio event loop policy"),
        ("test_e_policy_replaced", "asyncio event loop policy"),
        ("test_g_loop_left_set", "asyncio current event loop"),
    ], found


def test_probe_failure_is_contained(suite: Suite) -> None:
    """A surface that raises is one leakwatch warning; the run and its outcome go on."""
    run = suite.files(**{"test_x.py": """
        import sys
        def test_breaks_cwd_read(monkeypatch):
            monkeypatch.setattr("os.getcwd", lambda: 1 / 0)
            sys.path.append("/nonexistent/after-break")
        def test_after():
            pass
    """}).run()
    run.result.assert_outcomes(passed=2)
    assert run.report is not None
    assert run.find("sys-path", "sys.path", "test_breaks_cwd_read")


OPT_IN = """
    import os, random

    FILES = []

    def test_draws_global_random():
        random.random()
    def test_local_random():
        random.Random(1).random()
    def test_leaves_fd_open(tmp_path):
        FILES.append(open(tmp_path / "x", "w"))
    def test_closes_fd(tmp_path):
        with open(tmp_path / "y", "w") as fh:
            fh.write("y")
    def test_creates_file():
        open("created-by-test.txt", "w").close()
    def test_writes_in_tmp_path(tmp_path):
        (tmp_path / "fine.txt").write_text("ok")
"""


def test_opt_in_probes(suite: Suite) -> None:
    suite.files(**{"test_optin.py": OPT_IN})
    default = suite.run()
    default.result.assert_outcomes(passed=6)
    assert not {"random-state", "file-descriptor", "files"} & {f["kind"] for f in default.leaks}

    (suite.pytester.path / "created-by-test.txt").unlink()  # left by the run above
    run = suite.run("--leakwatch-probes=random,fds,files")
    run.result.assert_outcomes(passed=6)
    assert run.report is not None and run.report["errors"] == []
    optin = {"random-state", "file-descriptor", "files"}
    kinds = {(f["kind"], f["test"].rpartition("::")[2]) for f in run.leaks if f["kind"] in optin}
    assert {("random-state", "test_draws_global_random"), ("file-descriptor", "test_leaves_fd_open"),
            ("files", "test_creates_file")} <= kinds, kinds
    # the correct patterns (and pytest's own basetemp, made by the first tmp_path) give nothing
    assert not {t for _, t in kinds} & {"test_local_random", "test_closes_fd",
                                         "test_writes_in_tmp_path"}, kinds
    assert run.find("random-state")[0]["severity"] == "warning"
    assert "created-by-test.txt" in run.find("files")[0]["change"]


def test_unknown_opt_in_probe_is_a_usage_error(suite: Suite) -> None:
    run = suite.files(**{"test_a.py": "def test_a():\n    pass\n"}).run("--leakwatch-probes=nope",
                                                                     report=False)
    assert run.result.ret == 4
    assert "unknown probe(s) nope" in run.output


@pytest.mark.parametrize("core", ["auto", "version-tag", "copy-compare"])
def test_logger_born_mid_run_is_watched_by_later_polls(suite: Suite, core: str) -> None:
    # The logging probe checks its loggers' dicts as one batch of the core (watcher log,
    # C tag scan, copies): a logger created inside a test joins that batch, and a later
    # test that changes it is found; the test that only created it is not.
    run = suite.files(**{"test_born.py": """
        import logging

        def test_creates():
            logging.getLogger("born.later").debug("x")
        def test_quiet():
            pass
        def test_changes_it():
            logging.getLogger("born.later").setLevel(logging.ERROR)
        def test_changes_root_handlers():
            logging.getLogger().addHandler(logging.NullHandler())
    """}).run(f"--leakwatch-core={core}")
    run.result.assert_outcomes(passed=4)
    assert run.report is not None and run.report["errors"] == []
    level = run.find("logging", "logging.getLogger('born.later').level")
    assert [f["test"] for f in level] == ["test_born.py::test_changes_it"], run.leaks
    assert "ERROR" in level[0]["change"]
    handlers = run.find("logging", "logging.getLogger().handlers")
    assert [f["test"] for f in handlers] == ["test_born.py::test_changes_root_handlers"], run.leaks
    assert run.by_test("test_creates") == [] and run.by_test("test_quiet") == []


def test_c_level_readers_answer_as_the_python_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """The socket-timeout and time-zone slots read through C callables (no Python frame
    per poll); before and after a change they give what the Python readers give."""
    import socket
    import time

    from leakwatch.breadth import surfaces

    slots = {s.subject: s.read for s in surfaces.process_slots(True)}
    timeout, zone = slots["socket.getdefaulttimeout()"], slots["time.tzname"]
    assert timeout is not surfaces._socket_timeout and zone is not surfaces._timezone
    assert timeout() == surfaces._socket_timeout() and zone() == surfaces._timezone()
    before = socket.getdefaulttimeout()
    socket.setdefaulttimeout(7.5)
    try:
        assert timeout() == surfaces._socket_timeout() == 7.5
    finally:
        socket.setdefaulttimeout(before)
    monkeypatch.setenv("TZ", "UTC+05")
    time.tzset()
    try:
        assert zone() == surfaces._timezone() and zone()[1] == 5 * 3600
    finally:
        monkeypatch.undo()
        time.tzset()
    assert zone() == surfaces._timezone()


def test_each_session_reads_its_own_original_warnings_filters() -> None:
    """With pytest restoring warnings, the filters slot reads the list that was current when
    its session began, through a namespace of its own: a nested session (pytester in-process,
    made inside a test's catch_warnings copy) must not move the outer one's list."""
    import warnings

    from leakwatch.breadth import surfaces

    outer = {s.subject: s for s in surfaces.process_slots(True)}["warnings.filters"]
    seen = outer.read()
    with warnings.catch_warnings():  # a copy of the list is current in here
        inner = {s.subject: s for s in surfaces.process_slots(True)}["warnings.filters"]
        assert inner.read() is warnings.filters is not seen
    assert outer.read() is seen
    ns, name = outer.source  # type: ignore[misc]
    assert vars(ns)[name] is seen


#: A conftest's autouse fixture of the user's: every test then has phase boundaries.
AROUND_EVERY_TEST = """
        import pytest

        @pytest.fixture(autouse=True)
        def around():
            yield
"""


def test_phase_dates_of_process_state_with_fixtures_of_the_users(suite: Suite) -> None:
    """With a fixture of the user's around every test, the process-wide probes date what
    they find: a handler set in a fixture's setup is "setup", one set in a test body
    "call". A change made in setup and undone in the body leaves nothing behind (no finding,
    and no date left over for a later test), and the tests in between, which change
    nothing, find nothing."""
    run = suite.files(**{"conftest.py": AROUND_EVERY_TEST + """
        import signal

        @pytest.fixture
        def sets_usr2():
            signal.signal(signal.SIGUSR2, lambda *a: None)
            yield

        @pytest.fixture
        def sets_timeout():
            import socket
            socket.setdefaulttimeout(7.0)
            yield
    """, "test_dates.py": """
        import signal, socket

        def test_a_set_in_setup_undone_in_body(sets_usr2, sets_timeout):
            signal.signal(signal.SIGUSR2, signal.SIG_DFL)
            socket.setdefaulttimeout(None)
        def test_b_nothing():
            pass
        def test_c_nothing():
            pass
        def test_d_body_leaks():
            signal.signal(signal.SIGUSR2, lambda *a: None)
            socket.setdefaulttimeout(3.0)
        def test_e_setup_leaks(sets_usr2, sets_timeout):
            pass
        def test_f_nothing():
            pass
    """}).run()
    run.result.assert_outcomes(passed=6)
    for kind, subject in (("signal", "signal.getsignal(SIGUSR2)"),
                          ("socket-timeout", "socket.getdefaulttimeout()")):
        found = [(f["test"].rpartition("::")[2], f["phase"]) for f in run.find(subject=subject)]
        assert found == [("test_d_body_leaks", "call"), ("test_e_setup_leaks", "setup")], (
            kind, found)


REPLAY_COUNTED = """
        import json
        from leakwatch.plugin import COLLECTOR

        @pytest.hookimpl(tryfirst=True)
        def pytest_sessionfinish(session):
            probe = [p for p in session.config.stash[COLLECTOR].probes if p.name == "logging"][0]
            with open("replays.json", "w") as fh:
                json.dump({"replayed": probe.replayed_marks, "read": probe.read_marks}, fh)
"""

NO_REPLAY = """
        from leakwatch.breadth import logging_state

        logging_state.LoggingProbe._keep_replay = lambda self, *args: None
"""


def test_logging_marks_replay_only_while_nothing_of_logging_moved(suite: Suite) -> None:
    """At the setup/call mark of a test with a fixture of the user's, pytest's capture
    handlers hang on the root logger. The first such mark reads every logger; the next
    ones, while no logger was made, no logger's dict written and every handler list has
    the length that mark saw, only check that in C (``LoggingProbe._replayed``). A handler
    a fixture leaves, a level a fixture sets, a logger made in setup, each still gets its
    date; the findings are those of a run that reads at every mark."""
    import json

    conftest = AROUND_EVERY_TEST + """
        import logging

        @pytest.fixture
        def adds_handler():
            logging.getLogger().addHandler(logging.NullHandler())
            yield

        @pytest.fixture
        def sets_level():
            logging.getLogger("lw.level").setLevel(logging.ERROR)
            yield

        @pytest.fixture
        def new_logger_with_handler():
            logging.getLogger("lw.born").addHandler(logging.NullHandler())
            yield
    """
    tests = {"test_replay.py": """
        import logging
        import pytest

        LEVEL = logging.getLogger("lw.level")  # in the baseline

        @pytest.mark.parametrize("n", range(6))
        def test_a_clean(n, caplog):
            logging.getLogger("lw.level").warning("only logs")
        def test_b_setup_leak(adds_handler):
            pass
        @pytest.mark.parametrize("n", range(3))
        def test_c_clean(n):
            pass
        def test_d_level_in_setup(sets_level):
            pass
        def test_e_clean():
            pass
        def test_f_born_in_setup(new_logger_with_handler):
            pass
        def test_g_body_leak():
            logging.getLogger("lw.level").addHandler(logging.NullHandler())
        @pytest.mark.parametrize("n", range(3))
        def test_h_clean(n):
            pass
        def test_i_two_in_body():  # as many as pytest hangs there around the call
            logging.getLogger().addHandler(logging.NullHandler())
            logging.getLogger().addHandler(logging.NullHandler())
    """}

    def found(run: object) -> list[tuple[str, str, str]]:
        return sorted((f["test"].rpartition("::")[2], f["subject"], f["phase"])
                      for f in run.find("logging"))  # type: ignore[attr-defined]

    replayed = suite.files(**{"conftest.py": conftest + REPLAY_COUNTED, **tests}).run()
    replayed.result.assert_outcomes(passed=18)
    counts = json.loads((suite.pytester.path / "replays.json").read_text())
    read = suite.files(**{"conftest.py": conftest + NO_REPLAY, **tests}).run()
    read.result.assert_outcomes(passed=18)
    # Neither run's marks failed (a failing mark is an internal error, not a finding).
    assert replayed.report and read.report
    assert replayed.report["errors"] == read.report["errors"] == []
    assert found(replayed) == found(read) == [
        ("test_b_setup_leak", "logging.getLogger().handlers", "setup"),
        ("test_d_level_in_setup", "logging.getLogger('lw.level').level", "setup"),
        ("test_f_born_in_setup", "logging.getLogger('lw.born').handlers", "setup"),
        ("test_g_body_leak", "logging.getLogger('lw.level').handlers", "call"),
        ("test_i_two_in_body", "logging.getLogger().handlers", "call"),
    ]
    # Most setup/call marks replayed; the first, and each after something of logging
    # moved, read (the leaks above, and the marks that follow them).
    assert counts["replayed"] >= 8, counts
    assert counts["read"] >= 4, counts


def test_logging_handlers_are_dated_past_pytests_own(suite: Suite) -> None:
    """pytest's logging plugin hangs a capture handler on the root logger around the call
    phase: the setup/call mark sees it, the next mark does not. A handler a fixture leaves
    on the root logger is still dated "setup" and one the body leaves "call"; tests that
    only log (caplog included) leave nothing."""
    run = suite.files(**{"conftest.py": AROUND_EVERY_TEST + """
        import logging

        @pytest.fixture
        def adds_handler():
            handler = logging.NullHandler()
            logging.getLogger().addHandler(handler)
            yield handler

        SHARED = logging.NullHandler()

        @pytest.fixture
        def shared_handler_put_back():
            logging.getLogger("lw.shared").addHandler(SHARED)
            yield
            logging.getLogger("lw.shared").removeHandler(SHARED)

        @pytest.fixture
        def shared_handler_left():
            logging.getLogger("lw.shared").addHandler(SHARED)
            yield

        SWAP = logging.getLogger("lw.swap")  # in the baseline: no logger is born below

        @pytest.fixture
        def swaps_in_teardown():
            first = logging.NullHandler()
            logging.getLogger("lw.swap").addHandler(first)
            yield first
            logging.getLogger("lw.swap").addHandler(logging.NullHandler())
    """, "test_log_dates.py": """
        import logging

        def test_a_logs(caplog):
            logging.getLogger("lw.dates").warning("hello")
            assert "hello" in caplog.text
        def test_b_setup_leak(adds_handler):
            pass
        def test_c_logs():
            logging.getLogger().warning("again")
        def test_d_body_leak():
            logging.getLogger("lw.dates").addHandler(logging.NullHandler())
        def test_e_added_in_setup_removed_in_body(adds_handler):
            logging.getLogger().removeHandler(adds_handler)
        def test_f_body_leak_on_root():
            logging.getLogger().addHandler(logging.NullHandler())
        def test_g_shared_put_back(shared_handler_put_back):
            pass
        def test_h_shared_left(shared_handler_left):
            pass
        def test_i_undone_in_body_then_left_in_teardown(swaps_in_teardown):
            logging.getLogger("lw.swap").removeHandler(swaps_in_teardown)
    """}).run()
    run.result.assert_outcomes(passed=9)
    found = sorted((f["test"].rpartition("::")[2], f["subject"], f["phase"])
                   for f in run.find("logging"))
    # Each test's change dated by its own marks, not by what an earlier test's marks saw
    # and its teardown put back (test_g's handler is the very object test_h leaves), nor by
    # what a mark of its own saw and the body undid (test_i: the leak is its teardown's).
    assert found == [("test_b_setup_leak", "logging.getLogger().handlers", "setup"),
                     ("test_d_body_leak", "logging.getLogger('lw.dates').handlers", "call"),
                     ("test_f_body_leak_on_root", "logging.getLogger().handlers", "call"),
                     ("test_h_shared_left", "logging.getLogger('lw.shared').handlers", "setup"),
                     ("test_i_undone_in_body_then_left_in_teardown",
                      "logging.getLogger('lw.swap').handlers", "teardown")]
