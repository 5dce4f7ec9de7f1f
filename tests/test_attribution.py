"""Who leaked: tests by phase, wider-scoped fixtures by scope and location."""

from __future__ import annotations

from conftest import Suite


def test_phase_setup_call_teardown(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_phases.py": """
        import os
        import pytest
        from app import runner

        @pytest.fixture
        def leaky_setup():
            runner.settings.debug = True
            yield

        @pytest.fixture
        def leaky_teardown():
            yield
            os.environ["TEARDOWN_VAR"] = "1"

        def test_setup_leak(leaky_setup):
            pass
        def test_teardown_leak(leaky_teardown):
            pass
        def test_call_leak():
            runner.HANDLERS.append(1)
    """}).run()
    run.result.assert_outcomes(passed=3)
    assert run.find("instance-attribute", "app.runner.settings.debug")[0]["phase"] == "setup"
    teardown = run.find("env", "TEARDOWN_VAR")[0]
    assert teardown["phase"] == "teardown"
    # The fixture's code runs below pytest's hook calls: the origin walk, which stops at the
    # first of them (interceptors.caller_origin), still finds the line.
    assert (teardown["origin"]["line"], teardown["origin"]["function"]) == (14, "leaky_teardown")
    assert run.find("container", "app.runner.HANDLERS")[0]["phase"] == "call"


def test_phase_of_changes_without_a_date(app_suite: Suite) -> None:
    # Lists carry no version: their phase comes from the boundaries leakwatch checks,
    # which it does only around code of the user's (here, fixtures of the file).
    run = app_suite.files(**{"test_list_phases.py": """
        import pytest
        from app import runner

        @pytest.fixture
        def appends_in_setup():
            runner.HANDLERS.append("setup")
            yield

        @pytest.fixture
        def appends_in_teardown():
            yield
            runner.HANDLERS.append("teardown")

        def test_a_setup(appends_in_setup):
            pass
        def test_b_teardown(appends_in_teardown):
            pass
        def test_c_builtin_fixtures_only(monkeypatch, tmp_path):
            monkeypatch.setenv("LW_RESTORED", "1")
            runner.HANDLERS.append("call")
    """}).run()
    run.result.assert_outcomes(passed=3)
    found = {f["test"].split("::")[1]: f["phase"] for f in run.find("container", "app.runner.HANDLERS")}
    assert found == {"test_a_setup": "setup", "test_b_teardown": "teardown",
                     "test_c_builtin_fixtures_only": "call"}
    assert run.find("env", "LW_RESTORED") == []


def test_a_conftest_setup_hook_is_user_code(app_suite: Suite) -> None:
    run = app_suite.files(**{
        "conftest.py": """
            from app import runner

            def pytest_runtest_setup(item):
                if item.name == "test_hooked":
                    runner.HANDLERS.append("hook")
        """,
        "test_hooked.py": """
            def test_hooked():
                pass
        """,
    }).run()
    run.result.assert_outcomes(passed=1)
    assert [f["phase"] for f in run.find("container", "app.runner.HANDLERS")] == ["setup"]


def test_fixture_scopes_attributed_to_fixture(app_suite: Suite) -> None:
    run = app_suite.files(**{
        "conftest.py": """
            import os
            import pytest

            @pytest.fixture(scope="session")
            def session_env():
                os.environ["SESSION_VAR"] = "1"
                yield
        """,
        "test_scopes.py": """
            import os
            import pytest
            from app import runner

            @pytest.fixture(scope="module")
            def module_leak():
                runner.ComponentRegistry._components["from_fixture"] = 1
                yield

            @pytest.fixture(scope="module")
            def module_restores():
                os.environ["RESTORED_VAR"] = "1"
                yield
                del os.environ["RESTORED_VAR"]

            @pytest.fixture(scope="class")
            def class_leak():
                runner.settings.debug = True
                yield

            def test_first(module_leak, module_restores, session_env):
                pass
            def test_second(module_leak, module_restores):
                pass
            class TestC:
                def test_in_class(self, class_leak):
                    pass
        """,
    }).run()
    run.result.assert_outcomes(passed=3)
    module = run.find("container", "app.runner.ComponentRegistry._components['from_fixture']")
    assert len(module) == 1
    owner = module[0]["owner"]
    assert owner["type"] == "fixture" and owner["name"] == "module_leak" and owner["scope"] == "module"
    assert owner["location"].endswith("test_scopes.py:6")
    assert module[0]["test"] == "test_scopes.py"
    assert module[0]["phase"] == "fixture-setup"
    session = run.find("env", "SESSION_VAR")
    assert session and session[0]["owner"]["scope"] == "session"
    cls = run.find("instance-attribute", "app.runner.settings.debug")
    assert cls and cls[0]["owner"]["scope"] == "class"
    assert not run.find("env", "RESTORED_VAR")
    # No test is blamed for what a fixture did.
    assert all(f["owner"]["type"] == "fixture" for f in run.leaks)


def test_restoring_wider_fixtures_yield_nothing(app_suite: Suite) -> None:
    run = app_suite.files(**{
        "conftest.py": """
            import os
            import pytest
            from unittest import mock

            @pytest.fixture(scope="session", autouse=True)
            def session_patch():
                with mock.patch.dict(os.environ, {"SESSION_VAR": "1"}):
                    yield

            @pytest.fixture(scope="module")
            def mp():
                m = pytest.MonkeyPatch()
                yield m
                m.undo()
        """,
        "test_ok.py": """
            from app import runner

            def test_uses(mp):
                mp.setattr(runner.settings, "debug", True)
            def test_other(mp):
                mp.setitem(runner.ComponentRegistry._components, "k", 1)
        """,
    }).run()
    run.result.assert_outcomes(passed=2)
    assert run.leaks == []


def test_test_changes_under_module_fixture_belong_to_test(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_mixed.py": """
        import os
        import pytest

        @pytest.fixture(scope="module")
        def mod():
            os.environ["A"] = "1"
            yield
            del os.environ["A"]

        def test_one(mod):
            os.environ["B"] = "2"
        def test_two(mod):
            pass
    """}).run()
    run.result.assert_outcomes(passed=2)
    assert [(f["test"], f["subject"]) for f in run.leaks] == [("test_mixed.py::test_one", "B")]


def test_unittest_setupclass_is_info(suite: Suite) -> None:
    run = suite.files(**{"test_ut.py": """
        import unittest

        class TestCase(unittest.TestCase):
            @classmethod
            def setUpClass(cls):
                cls.shared = object()
            def test_a(self):
                pass
    """}).run()
    run.result.assert_outcomes(passed=1)
    assert not run.severe()
