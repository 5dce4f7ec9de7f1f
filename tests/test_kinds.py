"""Every finding kind: a planted leak is found and attributed; the correct pattern yields nothing."""

from __future__ import annotations

from conftest import Suite


def test_env_leak_found_and_masked(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_env.py": """
        import os
        def test_sets():
            os.environ["APP_MODE"] = "production-secret-value"
        def test_deletes():
            os.environ.pop("HOME", None)
        def test_after():
            pass
    """}).run()
    run.result.assert_outcomes(passed=3)
    added = run.find("env", "APP_MODE")
    assert len(added) == 1
    assert added[0]["test"] == "test_env.py::test_sets"
    assert added[0]["phase"] == "call"
    assert added[0]["severity"] == "leak"
    assert run.find("env", "HOME", "test_deletes")[0]["change"].startswith("removed")
    assert "production-secret-value" not in run.output
    assert "production-secret-value" not in str(run.report)
    assert not run.by_test("test_after")


def test_env_correct_patterns_yield_nothing(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_env_ok.py": """
        import os
        from unittest import mock
        import pytest

        @pytest.fixture(scope="module")
        def module_env():
            old = os.environ.get("MOD_VAR")
            os.environ["MOD_VAR"] = "1"
            yield
            if old is None:
                del os.environ["MOD_VAR"]
            else:
                os.environ["MOD_VAR"] = old

        def test_monkeypatch(monkeypatch):
            monkeypatch.setenv("APP_MODE", "x")
            monkeypatch.delenv("HOME")
        def test_patch_dict():
            with mock.patch.dict(os.environ, {"APP_MODE": "y"}):
                pass
        @mock.patch.dict(os.environ, {"APP_MODE": "z"})
        def test_patch_dict_decorator():
            assert os.environ["APP_MODE"] == "z"
        def test_module_fixture(module_env):
            assert os.environ["MOD_VAR"] == "1"
        def test_set_and_restore():
            os.environ["TMP_VAR"] = "1"
            del os.environ["TMP_VAR"]
    """}).run()
    run.result.assert_outcomes(passed=5)
    assert run.leaks == []
    assert "leakwatch: no leaks in 5 tests" in run.output


def test_mocks_left_behind_with_origin(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_mocks.py": """
        import sys
        from unittest import mock
        from unittest.mock import MagicMock, patch
        from app import runner

        def test_patcher_started():
            patcher = patch("app.runner.log_event")
            patcher.start()
        def test_patch_object_started():
            patch.object(runner.ComponentRegistry, "load_specs").start()
        def test_direct_assignment():
            runner.HANDLERS.append(MagicMock(name="handler"))
        def test_registry_mock():
            runner.ComponentRegistry._components["bad.component"] = MagicMock()
        def test_fake_module():
            sys.modules["psycopg2"] = MagicMock()
        def plain(x):
            return x
        def test_autospec():
            runner.helper = mock.create_autospec(plain)
        def test_async_and_property():
            runner.settings.fetch = mock.AsyncMock()
    """}).run()
    run.result.assert_outcomes(passed=7)
    started = run.find("mock", "app.runner.log_event")
    assert len(started) == 1
    assert started[0]["test"] == "test_mocks.py::test_patcher_started"
    assert started[0]["origin"]["line"] == 9 and started[0]["origin"]["file"].endswith("test_mocks.py")
    obj = run.find("mock", "app.runner.ComponentRegistry.load_specs")
    assert obj and obj[0]["origin"]["line"] == 11
    assert run.find("mock", "app.runner.HANDLERS", "test_direct_assignment")
    assert run.find("mock", "app.runner.ComponentRegistry._components['bad.component']")
    assert run.find("mock", "sys.modules['psycopg2']", "test_fake_module")
    assert run.find("mock", "app.runner.helper", "test_autospec")
    assert run.find("mock", "app.runner.settings.fetch", "test_async_and_property")
    assert {f["kind"] for f in run.leaks} == {"mock"}
    assert "mock left" in run.output


def test_mock_correct_patterns_yield_nothing(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_mocks_ok.py": """
        import sys
        import pytest
        from unittest.mock import MagicMock, patch
        from app import runner

        @pytest.fixture
        def stopped_patcher():
            p = patch("app.runner.log_event")
            yield p.start()
            p.stop()

        @pytest.fixture(scope="module")
        def module_patch():
            with patch.object(runner.ComponentRegistry, "load_specs"):
                yield

        def test_with_patch():
            with patch("app.runner.log_event") as m:
                runner.log_event("x")
        @patch("app.runner.log_event")
        def test_decorator(m):
            pass
        def test_monkeypatch(monkeypatch):
            monkeypatch.setattr(runner, "log_event", MagicMock())
            monkeypatch.setitem(sys.modules, "psycopg2", MagicMock())
            monkeypatch.setitem(runner.ComponentRegistry._components, "x", MagicMock())
        def test_fixture(stopped_patcher):
            pass
        def test_module_fixture(module_patch):
            pass
        def test_local_mock():
            m = MagicMock()
            m.anything.goes()
    """}).run()
    run.result.assert_outcomes(passed=6)
    assert run.leaks == []


def test_module_class_and_instance_attributes(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_attrs.py": """
        from app import runner
        COUNTER = 0

        def test_global_counter():
            global COUNTER
            COUNTER += 1
        def test_module_attr_added():
            runner.EXTRA = "x"
        def test_module_attr_deleted():
            del runner.OFFLINE
        def test_class_attr():
            runner.ComponentRegistry.strict = True
        def test_settings_flag():
            runner.settings.debug = True
        def test_deep_client_flag():
            runner.service.client.connected = True
        class TestState:
            seen = []
            def test_state_on_test_class(self):
                TestState.seen.append(1)
    """}).run()
    run.result.assert_outcomes(passed=7)
    counter = run.find("attribute", "test_attrs.COUNTER")
    assert counter and counter[0]["test"] == "test_attrs.py::test_global_counter"
    assert counter[0]["change"] == "0 -> 1"
    assert run.find("attribute", "app.runner.EXTRA")[0]["change"].startswith("added")
    assert run.find("attribute", "app.runner.OFFLINE")[0]["change"].startswith("deleted")
    assert run.find("class-attribute", "app.runner.ComponentRegistry.strict")
    flag = run.find("instance-attribute", "app.runner.settings.debug")
    assert flag and flag[0]["change"] == "False -> True"
    assert run.find("instance-attribute", "app.runner.service.client.connected")
    assert run.find("container", "test_attrs.TestState.seen", "test_state_on_test_class")
    assert len(run.leaks) == 7


def test_attribute_correct_patterns_yield_nothing(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_attrs_ok.py": """
        import pytest
        from app import runner

        @pytest.fixture(scope="module")
        def debug_settings():
            runner.settings.debug = True
            yield
            runner.settings.debug = False

        def test_read_only():
            assert runner.settings.debug is False
        def test_monkeypatch(monkeypatch):
            monkeypatch.setattr(runner.settings, "debug", True)
            monkeypatch.setattr(runner.ComponentRegistry, "strict", True, raising=False)
            monkeypatch.setattr(runner.service.client, "connected", True)
            monkeypatch.delattr(runner, "OFFLINE")
        def test_module_fixture(debug_settings):
            assert runner.settings.debug
    """}).run()
    run.result.assert_outcomes(passed=3)
    assert run.leaks == []


def test_containers(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_containers.py": """
        from app import runner

        def test_registry_item():
            runner.ComponentRegistry._components["extra"] = object
        def test_set_item():
            runner.ComponentRegistry.flags.add("fast")
        def test_list_in_singleton():
            runner.service.items.append("job")
        def test_clean():
            runner.service.items.append("tmp")
            runner.service.items.remove("tmp")
    """}).run()
    run.result.assert_outcomes(passed=4)
    item = run.find("container", "app.runner.ComponentRegistry._components['extra']")
    assert item and item[0]["test"].endswith("test_registry_item")
    assert run.find("container", "app.runner.ComponentRegistry.flags", "test_set_item")
    assert run.find("container", "app.runner.service.items", "test_list_in_singleton")
    assert not run.by_test("test_clean")


def test_container_correct_patterns_yield_nothing(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_containers_ok.py": """
        from unittest import mock
        from app import runner

        def test_patch_dict():
            with mock.patch.dict(runner.ComponentRegistry._components, {"x": 1}):
                pass
        def test_monkeypatch_setitem(monkeypatch):
            monkeypatch.setitem(runner.ComponentRegistry._components, "y", 2)
        def test_local_copy():
            items = list(runner.service.items)
            items.append(1)
    """}).run()
    run.result.assert_outcomes(passed=3)
    assert run.leaks == []


def test_sys_modules(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_sysmod.py": """
        import sys
        import types
        import app.drivers

        def test_removed():
            del sys.modules["app.drivers"]
        def test_fake_object():
            sys.modules["fakelib"] = types.SimpleNamespace(x=1)
        def test_first_import_is_fine():
            import colorsys
            import app.drivers
            import app.runner
        def test_monkeypatched(monkeypatch):
            monkeypatch.setitem(sys.modules, "otherfake", object())
            monkeypatch.delitem(sys.modules, "app")
    """}).run()
    run.result.assert_outcomes(passed=4)
    removed = run.find("sys-modules", "sys.modules['app.drivers']")
    assert removed and removed[0]["test"].endswith("test_removed")
    assert removed[0]["change"].startswith("removed")
    fake = run.find("sys-modules", "sys.modules['fakelib']")
    assert fake and fake[0]["test"].endswith("test_fake_object")
    assert not run.by_test("test_first_import_is_fine")
    assert not run.by_test("test_monkeypatched")


def test_reloads_and_stale_bindings(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_reload.py": """
        import importlib
        import sys
        import pytest
        from app.drivers import Driver
        from app import runner

        @pytest.fixture
        def reloaded_runner():
            yield importlib.reload(runner)

        def test_reload_in_fixture(reloaded_runner):
            pass
        def test_replaced():
            del sys.modules["app.drivers"]
            import app.drivers
        def test_no_reload():
            assert Driver
    """}).run()
    run.result.assert_outcomes(passed=3)
    reload = run.find("reload", "app.runner", "test_reload_in_fixture")
    assert len(reload) == 1
    assert reload[0]["phase"] == "setup"
    assert reload[0]["origin"]["line"] == 10
    assert reload[0]["detail"]["rebound"] >= 5
    assert "test_reload.runner" not in str(reload[0]["detail"]["stale_bindings"])
    replaced = run.find("reload", "app.drivers", "test_replaced")
    assert len(replaced) == 1
    assert "replaced in sys.modules" in replaced[0]["change"]
    assert "test_reload.Driver -> pre-reload app.drivers.Driver" in replaced[0]["detail"]["stale_bindings"]
    # folded: no separate attribute rows for the reloaded module
    assert not run.find("attribute", "app.runner.log_event")
    assert not run.by_test("test_no_reload")
