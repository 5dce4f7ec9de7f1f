"""Victims: a failing test's report names the leaks it inherited and who left them."""

from __future__ import annotations

from typing import Any

from conftest import Run, Suite


def _victim(run: Run, suffix: str) -> dict[str, Any]:
    assert run.report is not None
    found = [v for v in run.report["victims"] if v["test"].endswith(suffix)]
    assert len(found) == 1, run.report["victims"]
    victim: dict[str, Any] = found[0]
    return victim


def _section(run: Run, test_name: str) -> str:
    """The ``leakwatch`` section printed under ``test_name``'s failure."""
    out = run.result.stdout.str()
    start = out.index(f"_ {test_name} _")
    end = min(i for i in (out.find("\n___", start + 1), out.find("= short test summary", start))
              if i != -1)
    block = out[start:end]
    if "- leakwatch -" not in block:
        return ""
    return block[block.index("- leakwatch -"):]


def test_victim_of_a_leaked_mock_names_the_polluter(app_suite: Suite) -> None:
    run = app_suite.files(**{
        "test_a_polluter.py": """
            from unittest.mock import patch

            def test_starts_a_patch():
                patch("app.runner.log_event").start()  # never stopped
        """,
        "test_b_noise.py": """
            from app import runner

            def test_unrelated_flag():
                runner.settings.debug = True
        """,
        "test_c_victim.py": """
            from app import runner

            def helper():
                return runner.log_event("x")

            def test_logs():
                assert helper() == "x"
        """,
    }).run("--junitxml=junit.xml")
    run.result.assert_outcomes(passed=2, failed=1)
    section = _section(run, "test_logs")
    lines = section.splitlines()
    assert "2 outstanding leaks" in lines[1]
    assert "mock app.runner.log_event" in lines[2]  # the relevant one first
    assert "left by test_a_polluter.py::test_starts_a_patch [call] at test_a_polluter.py:5" in lines[3]
    assert "code that ran uses 'log_event'" in lines[3]
    victim = _victim(run, "test_logs")
    assert victim["outcome"] == "failed" and victim["phase"] == "call"
    assert victim["confirmed"] is None
    top = victim["suspects"][0]
    assert top["test"] == "test_a_polluter.py::test_starts_a_patch"
    assert (top["kind"], top["subject"]) == ("mock", "app.runner.log_event")
    assert top["leak_id"] in {f["id"] for f in run.leaks}
    junit = (app_suite.pytester.path / "junit.xml").read_text()
    assert 'name="leakwatch_suspects" value="test_a_polluter.py::test_starts_a_patch: mock' in junit
    run.result.stdout.fnmatch_lines([
        "*- leakwatch victims -*",
        "test_c_victim.py::test_logs (failed) ran with mock app.runner.log_event left by "
        "test_a_polluter.py::test_starts_a_patch",
    ])


def test_victim_of_an_env_leak_never_shows_the_value(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_env.py": """
        import os

        def test_sets_env():
            os.environ["APP_REGION"] = "secret-region-value"

        def test_reads_env():
            if "APP_REGION" in os.environ:
                raise AssertionError("APP_REGION is set")
    """}).run()
    run.result.assert_outcomes(passed=1, failed=1)
    section = _section(run, "test_reads_env")
    assert "env APP_REGION: added <sha256:" in section
    assert "its code mentions env key APP_REGION" in section
    assert "secret-region-value" not in run.output
    assert "secret-region-value" not in str(run.report)
    top = _victim(run, "test_reads_env")["suspects"][0]
    assert (top["test"], top["kind"], top["relevance"]) == ("test_env.py::test_sets_env", "env", 3)


def test_victim_of_a_registry_mutation(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_registry.py": """
        from app.runner import ComponentRegistry

        def test_registers_in_place():
            ComponentRegistry._components["bad.component"] = object

        def test_registry_starts_empty():
            assert ComponentRegistry._components == {}
    """}).run()
    run.result.assert_outcomes(passed=1, failed=1)
    section = _section(run, "test_registry_starts_empty")
    assert "container app.runner.ComponentRegistry._components['bad.component']" in section
    assert "left by test_registry.py::test_registers_in_place [call]" in section
    top = _victim(run, "test_registry_starts_empty")["suspects"][0]
    assert top["kind"] == "container" and top["relevance"] == 3


def test_victim_of_a_reload(app_suite: Suite) -> None:
    run = app_suite.files(**{
        "test_a_reload.py": """
            import importlib
            from app import drivers

            def test_reloads():
                importlib.reload(drivers)
        """,
        "test_b_victim.py": """
            from app.drivers import Driver  # bound before the reload

            def test_driver_is_current():
                from app import drivers
                assert Driver is drivers.Driver
        """,
    }).run()
    run.result.assert_outcomes(passed=1, failed=1)
    section = _section(run, "test_driver_is_current")
    assert "reload app.drivers" in section
    assert "it uses Driver, a pre-reload object of app.drivers" in section
    top = _victim(run, "test_driver_is_current")["suspects"][0]
    assert (top["test"], top["kind"]) == ("test_a_reload.py::test_reloads", "reload")


def test_failure_without_leaks_has_no_section(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_plain.py": """
        import os
        from app import runner

        def test_patches_correctly(monkeypatch):
            monkeypatch.setattr(runner, "log_event", lambda m: None)
            monkeypatch.setenv("APP_REGION", "x")

        def test_fails():
            assert runner.log_event("x") == "y"
    """}).run()
    run.result.assert_outcomes(passed=1, failed=1)
    assert _section(run, "test_fails") == ""
    assert "leakwatch victims" not in run.output
    assert run.report is not None and run.report["victims"] == []


def test_a_cleaned_leak_is_no_longer_outstanding(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_clean.py": """
        from app import runner

        ORIGINAL = runner.log_event

        def test_pollutes():
            runner.log_event = lambda m: None

        def test_cleans_up():
            runner.log_event = ORIGINAL

        def test_fails():
            assert 0
    """}).run()
    run.result.assert_outcomes(passed=2, failed=1)
    assert _section(run, "test_fails") == ""
    assert run.report is not None and run.report["victims"] == []


def test_setup_error_and_teardown_error_get_the_section(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_phases.py": """
        import pytest
        from app import runner

        def test_pollutes():
            runner.OFFLINE = "yes"

        @pytest.fixture
        def broken_setup():
            assert runner.OFFLINE is None
            yield

        @pytest.fixture
        def broken_teardown():
            yield
            assert runner.OFFLINE is None

        def test_setup_fails(broken_setup):
            pass

        def test_teardown_fails(broken_teardown):
            pass
    """}).run()
    run.result.assert_outcomes(passed=2, errors=2)
    out = run.result.stdout.str()
    assert out.count("left by test_phases.py::test_pollutes [call]") == 2
    setup_victim = _victim(run, "test_setup_fails")
    teardown_victim = _victim(run, "test_teardown_fails")
    assert (setup_victim["phase"], setup_victim["outcome"]) == ("setup", "error")
    assert (teardown_victim["phase"], teardown_victim["outcome"]) == ("teardown", "error")
    assert setup_victim["suspects"][0]["subject"] == "app.runner.OFFLINE"
    assert setup_victim["suspects"][0]["relevance"] == 3  # the fixture's frame uses OFFLINE


def test_xfailed_victim_is_listed(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_x.py": """
        import pytest
        from app import runner

        def test_pollutes():
            runner.settings.debug = True

        @pytest.mark.xfail(reason="inherits leaked state")
        def test_expects_defaults():
            assert runner.settings.debug is False
    """}).run("-rx")
    run.result.assert_outcomes(passed=1, xfailed=1)
    victim = _victim(run, "test_expects_defaults")
    assert victim["outcome"] == "xfailed"
    assert victim["suspects"][0]["subject"] == "app.runner.settings.debug"
    run.result.stdout.fnmatch_lines(["test_x.py::test_expects_defaults (xfailed) ran with "
                                     "instance-attribute app.runner.settings.debug left by "
                                     "test_x.py::test_pollutes"])


def test_many_leaks_are_cut_short(app_suite: Suite) -> None:
    body = "from app import runner\n" + "".join(
        f"def test_leak_{i}():\n    runner.ATTR_{i} = {i}\n" for i in range(8)
    ) + "def test_uses_attr_3():\n    assert runner.ATTR_3 is None\n"
    run = app_suite.files(**{"test_many.py": body}).run()
    section = _section(run, "test_uses_attr_3")
    assert "8 outstanding leaks" in section
    assert "... 3 more (see the leakwatch report)" in section
    assert section.splitlines()[2].endswith("app.runner.ATTR_3: added 3")
    assert _victim(run, "test_uses_attr_3")["more"] == 0  # the report keeps up to 20


def test_examples_demo_victims_name_their_polluters(suite: Suite) -> None:
    import shutil
    from pathlib import Path

    examples = Path(__file__).resolve().parent.parent / "examples"
    shutil.copytree(examples, suite.pytester.path, dirs_exist_ok=True)
    run = suite.run()
    assert run.result.ret == 0
    victims = {v["test"].rpartition("::")[2]: v for v in (run.report or {})["victims"]}
    assert victims["test_job_is_logged"]["suspects"][0]["test"].endswith("test_mock_left_on_log_event")
    assert victims["test_registry_is_empty"]["suspects"][0]["subject"] == \
        "shop.registry.ComponentRegistry.load_specs"
    assert victims["test_driver_is_current"]["suspects"][0]["kind"] == "reload"


def test_an_error_inside_victims_is_one_warning_and_the_run_goes_on(app_suite: Suite) -> None:
    run = app_suite.files(**{
        "conftest.py": """
            import leakwatch.victims.relevance as relevance

            def broken(*args):
                raise RuntimeError("victims bug")

            relevance.usage_of = broken
        """,
        "test_broken.py": """
            from app import runner

            def test_pollutes():
                runner.settings.debug = True

            def test_fails():
                assert runner.settings.debug is False
        """,
    }).run()
    run.result.assert_outcomes(passed=1, failed=1)
    assert run.result.ret == 1
    assert _section(run, "test_fails") == ""
    assert run.report is not None
    assert run.report["complete"] is False
    assert [e["component"] for e in run.report["errors"]] == ["victims"]
    assert "victims bug" in run.report["errors"][0]["message"]
    assert run.find("instance-attribute", "app.runner.settings.debug")  # the report goes on


def test_victim_of_a_module_fixture_names_the_fixture_and_its_first_test(app_suite: Suite) -> None:
    run = app_suite.files(**{
        "test_a_fixture.py": """
            import pytest
            from unittest.mock import patch

            @pytest.fixture(scope="module")
            def patched_log():
                patch("app.runner.log_event").start()  # never stopped
                yield

            def test_first(patched_log):
                pass
        """,
        "test_b_victim.py": """
            from app import runner

            def test_logs():
                assert runner.log_event("x") == "x"
        """,
    }).run()
    run.result.assert_outcomes(passed=1, failed=1)
    section = _section(run, "test_logs")
    assert "left by fixture 'patched_log' (module), set up for test_a_fixture.py::test_first " \
           "[fixture-setup] at test_a_fixture.py:7" in section
    top = _victim(run, "test_logs")["suspects"][0]
    assert (top["test"], top["set_up_by"]) == ("test_a_fixture.py", "test_a_fixture.py::test_first")


def test_leaks_still_pending_under_an_open_session_fixture_are_outstanding(app_suite: Suite) -> None:
    # With a session fixture open, the collector keeps test findings pending until it is
    # finalized; the ledger must not wait for that.
    run = app_suite.files(**{
        "conftest.py": """
            import pytest

            @pytest.fixture(scope="session", autouse=True)
            def session_resource():
                yield
        """,
        "test_pending.py": """
            from app import runner

            def test_pollutes():
                runner.settings.debug = True

            def test_expects_defaults():
                assert runner.settings.debug is False
        """,
    }).run()
    run.result.assert_outcomes(passed=1, failed=1)
    assert "left by test_pending.py::test_pollutes [call]" in _section(run, "test_expects_defaults")
    top = _victim(run, "test_expects_defaults")["suspects"][0]
    assert (top["subject"], top["relevance"]) == ("app.runner.settings.debug", 3)
