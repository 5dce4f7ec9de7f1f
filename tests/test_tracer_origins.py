"""Tracer origins: the line that left each env write, module attribute, mock and MonkeyPatch."""

from __future__ import annotations

import pytest
from conftest import Suite

#: Both monitoring cores run every inner suite: sys.monitoring (3.12+; on 3.11 auto is the
#: shim) and the setprofile shim forced (``--leakwatch-trace`` turns it on for 3.11).
CORES = [("--leakwatch-tracer=auto", "--leakwatch-trace"), ("--leakwatch-tracer=shim", "--leakwatch-trace")]


@pytest.fixture(params=CORES, ids=["auto", "shim"])
def core_args(request: pytest.FixtureRequest) -> tuple[str, ...]:
    return tuple(request.param)


def test_env_write_and_delete_origins(app_suite: Suite, core_args: tuple[str, ...]) -> None:
    run = app_suite.files(**{"test_env_origin.py": """
        import os

        def test_sets():
            os.environ["APP_MODE"] = "prod-secret-value"
        def test_deletes():
            os.environ.pop("HOME", None)
        def test_update():
            os.environ.update({"APP_OTHER": "1"})
        def test_identity():
            assert type(os.environ) is os._Environ
            assert os.environ is os.environ.copy.__self__
    """}).run(*core_args)
    run.result.assert_outcomes(passed=4)
    sets = run.find("env", "APP_MODE", "test_sets")[0]
    assert sets["origin"]["file"].endswith("test_env_origin.py") and sets["origin"]["line"] == 5
    assert sets["origin"]["function"] == "test_sets"
    assert sets["detail"]["written_by"] == "test_env_origin.py::test_sets"
    deleted = run.find("env", "HOME", "test_deletes")[0]
    assert deleted["origin"]["line"] == 7
    assert run.find("env", "APP_OTHER", "test_update")[0]["origin"]["line"] == 9
    assert "test_env_origin.py:5" in run.output  # the terminal row's origin column
    assert "prod-secret-value" not in run.output and "prod-secret-value" not in str(run.report)


def test_env_origin_of_monkeypatch_by_hand_and_its_finding(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_mp.py": """
        import os
        import pytest
        from app import runner

        def test_hand_made():
            mp = pytest.MonkeyPatch()
            mp.setenv("APP_HAND", "1")
            mp.setattr(runner, "COUNTER", 5)
        def test_hand_made_undone():
            mp = pytest.MonkeyPatch()
            mp.setenv("APP_HAND2", "1")
            mp.undo()
        def test_context():
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("APP_CTX", "1")
        def test_fixture(monkeypatch):
            monkeypatch.setenv("APP_FIX", "1")
    """}).run()
    run.result.assert_outcomes(passed=4)
    found = run.find("monkeypatch-not-undone")
    assert len(found) == 1, found
    f = found[0]
    assert f["test"] == "test_mp.py::test_hand_made" and f["severity"] == "warning"
    assert f["origin"]["line"] == 7 and f["subject"].startswith("MonkeyPatch@")
    assert "setenv APP_HAND" in f["change"] and "setattr app.runner.COUNTER" in f["change"]
    env = run.find("env", "APP_HAND")[0]
    assert env["origin"]["line"] == 8  # the mp.setenv line, not pytest's internals
    attr = run.find("attribute", "app.runner.COUNTER")[0]
    assert attr["origin"]["line"] == 9
    assert not run.by_test("test_hand_made_undone") and not run.by_test("test_context")
    assert not run.by_test("test_fixture")


def test_mock_origins_start_and_patch_object_start(app_suite: Suite, core_args: tuple[str, ...]) -> None:
    run = app_suite.files(**{"test_started.py": """
        from unittest.mock import MagicMock, patch
        from app import runner


        def test_start():
            p = patch("app.runner.log_event")
            p.start()
        def test_patch_object_start():
            patch.object(runner.ComponentRegistry, "load_specs").start()
        def test_assigned_on_module():
            runner.log_event = MagicMock(name="assigned")
    """}).run(*core_args)
    run.result.assert_outcomes(passed=3)
    started = run.find("mock", "app.runner.log_event", "test_start")[0]
    assert started["origin"]["line"] == 8
    obj = run.find("mock", "app.runner.ComponentRegistry.load_specs", "test_patch_object_start")[0]
    assert obj["origin"]["line"] == 10
    assigned = run.find("mock", "app.runner.log_event", "test_assigned_on_module")[0]
    assert assigned["origin"]["line"] == 12  # through the watched module's __setattr__
    assert "test_started.py:8" in run.output and "test_started.py:10" in run.output


def test_module_attribute_origins_keep_module_type(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_attrs.py": """
        import types
        from app import runner

        def test_setattr():
            runner.COUNTER = 3
        def test_delattr():
            del runner.HANDLERS
        def test_still_a_module():
            assert isinstance(runner, types.ModuleType)
            import sys
            assert sys.modules["app.runner"] is runner
    """}).run()
    run.result.assert_outcomes(passed=3)
    assert run.find("attribute", "app.runner.COUNTER", "test_setattr")[0]["origin"]["line"] == 6
    assert run.find("attribute", "app.runner.HANDLERS", "test_delattr")[0]["origin"]["line"] == 8
    # By default the origin comes from the test's code; module classes are left alone.
    assert run.report is not None and run.report["tracer"]["watched_module_classes"] == 0
    live = app_suite.run("--leakwatch-trace")
    live.result.assert_outcomes(passed=3)
    assert live.find("attribute", "app.runner.COUNTER", "test_setattr")[0]["origin"]["line"] == 6
    assert live.report is not None and live.report["tracer"]["watched_module_classes"] >= 1


def test_without_leakwatch_nothing_is_wrapped(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_plain.py": """
        import os, types
        from app import runner

        def test_plain():
            assert type(runner) is types.ModuleType
            assert type(type(os.environ).__dict__["__getitem__"]) is types.FunctionType
            assert type(vars(os.environ)["encodekey"]) is types.FunctionType
            assert type(os.putenv) is type(os.unsetenv) is types.BuiltinFunctionType
    """}).run(leakwatch=False, report=False)
    run.result.assert_outcomes(passed=1)


def test_env_writes_through_environb_and_with_putenv_patched(app_suite: Suite) -> None:
    """Writes are seen where os.environ makes them (``os.putenv``/``os.unsetenv``), so
    ``os.environb`` writes carry their writer too. A test that replaces ``os.putenv``
    (its writes are not counted then) still has its same-length change found: the env
    probe diffs while the wrapped functions are not os's own."""
    run = app_suite.files(**{"conftest.py": """
        import os
        os.environ["LW_SAME_LENGTH"] = "a"  # in the baseline
    """, "test_env_paths.py": """
        import os
        from unittest.mock import patch

        def test_bytes():
            os.environb[b"LW_BYTES"] = b"1"
        def test_putenv_patched():
            with patch("os.putenv"):
                os.environ["LW_SAME_LENGTH"] = "b"  # the length stays, the count too
        def test_clean(monkeypatch):
            monkeypatch.setenv("LW_SAME_LENGTH", "c")
    """}).run()
    run.result.assert_outcomes(passed=3)
    found = sorted((f["test"].rpartition("::")[2], f["subject"]) for f in run.find("env"))
    assert found == [("test_bytes", "LW_BYTES"), ("test_putenv_patched", "LW_SAME_LENGTH")]
    assert run.find("env", "LW_BYTES")[0]["detail"]["written_by"] == "test_env_paths.py::test_bytes"


def test_examples_demo_shows_tracer_findings(suite: Suite) -> None:
    import shutil
    from pathlib import Path

    examples = Path(__file__).resolve().parent.parent / "examples"
    shutil.copytree(examples, suite.pytester.path, dirs_exist_ok=True)
    run = suite.run("--leakwatch-trace")
    assert run.result.ret == 0
    env = run.find("env", "SHOP_REGION")[0]
    assert env["origin"]["file"].endswith("tests/test_1_polluters.py")
    late = run.find("late-env-patch", "SHOP_OFFLINE", "test_offline_mode")[0]
    assert late["detail"]["module"] == "shop.config"
    assert late["detail"]["consumed_at"]["file"].endswith("shop/config.py")
    stale = run.find("stale-code", "shop.drivers.Driver.connect")[0]
    assert stale["test"].endswith("test_driver_patch_reaches_connect")
    assert stale["detail"]["reloaded_by"].endswith("test_with_reloaded_drivers")
    for row in ("late-env-patch", "stale-code", "tests/test_1_polluters.py:"):
        assert row in run.result.stdout.str() or row in run.output


def test_tracer_off_is_the_core_detector_alone(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_off.py": """
        import os, types
        from app import runner

        def test_sets(monkeypatch):
            os.environ["APP_OFF"] = "1"
            monkeypatch.setenv("APP_OFFLINE", "1")
            assert type(runner) is types.ModuleType
    """}).run("--leakwatch-tracer=off")
    run.result.assert_outcomes(passed=1)
    assert run.find("env", "APP_OFF")[0]["origin"] is None
    assert not run.find("late-env-patch")
    assert run.report is not None and "tracer" not in run.report


def test_origin_walk_stops_at_the_hook_call() -> None:
    # With pytest's frames skipped, the walk ends at the first hook call: code that ran
    # inside a hook (a test, a fixture, a conftest hook) is found below it; a write made by
    # pytest's own code there has no origin, not the line of whoever called pytest (here:
    # this test, as a test running pytest in-process would be).
    import types

    import pluggy

    from leakwatch import interceptors

    spec = pluggy.HookspecMarker("lwtest")
    impl = pluggy.HookimplMarker("lwtest")

    class Spec:
        @spec
        def lwtest_hook(self) -> None: ...

    seen: list[object] = []
    space: dict[str, object] = {"caller_origin": interceptors.caller_origin, "seen": seen}
    source = "def lwtest_hook():\n    seen.append(caller_origin(skip_pytest=True))\n"
    exec(compile(source, "/site-packages/_pytest/lwtest_fake.py", "exec"), space)
    pytest_code = types.SimpleNamespace(lwtest_hook=impl(space["lwtest_hook"]))

    class UserPlugin:
        @impl
        def lwtest_hook(self) -> None:
            seen.append(interceptors.caller_origin(skip_pytest=True))

    manager = pluggy.PluginManager("lwtest")
    manager.add_hookspecs(Spec)
    manager.register(pytest_code)
    manager.hook.lwtest_hook()
    assert seen == [None]
    manager.unregister(pytest_code)
    manager.register(UserPlugin())
    manager.hook.lwtest_hook()
    found = seen[1]
    assert isinstance(found, interceptors.Origin) and found.function == "lwtest_hook"
    assert found.file == __file__


def test_env_writes_are_recorded_as_os_environ_shows_them() -> None:
    """The ``os.putenv``/``os.unsetenv`` wrappers record each write under the key and value
    ``os.environ`` shows (``os.fsdecode`` of what they were handed, undecodable bytes
    included), from bytes and from str, and leave pytest's own key out."""
    import os

    from leakwatch import interceptors

    class Quiet:
        current_label = None

        def on_reload(self, *args: object) -> None: ...

    listener = Quiet()
    raw_key, raw_value = b"LW_DECODE_\xff", b"v\xfe"
    interceptors.listen(listener)
    try:
        before = interceptors._env_write_count
        os.environb[raw_key] = raw_value
        shown = os.fsdecode(raw_key)
        record = interceptors.env_writes[shown]
        assert record.value == os.fsdecode(raw_value) == os.environ[shown]
        assert record.origin is not None and record.origin.function == (
            "test_env_writes_are_recorded_as_os_environ_shows_them")
        del os.environb[raw_key]
        assert interceptors.env_writes[shown].value is None
        os.putenv("LW_DECODE_STR", "s")  # str straight to os.putenv: recorded as given
        os.unsetenv("LW_DECODE_STR")
        assert interceptors.env_writes["LW_DECODE_STR"].value is None
        os.putenv(b"PYTEST_CURRENT_TEST", b"x")  # pytest's key: neither recorded nor counted
        assert interceptors._env_write_count == before + 4
        assert "PYTEST_CURRENT_TEST" not in interceptors.env_writes
    finally:
        os.environb.pop(raw_key, None)
        interceptors.unlisten(listener)
