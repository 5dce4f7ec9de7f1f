"""--leakwatch-confirm: re-runs prove a polluter, reject coincidental suspects, stay in budget."""

from __future__ import annotations

from typing import Any

from conftest import Run, Suite

SUITE = {
    # State leakwatch cannot see (a function's default list is never entered): only a
    # re-run can find who leaves it behind.
    "app/hidden.py": """
        def store(_items=[]):
            return _items
    """,
    "test_order.py": """
        import os
        from unittest.mock import patch
        from app import hidden, runner

        def test_hidden_polluter():
            hidden.store().append(1)

        def test_env_noise():
            os.environ["APP_NOISE"] = "1"

        def test_mock_polluter():
            patch("app.runner.log_event").start()

        def test_victim_of_mock():
            assert runner.log_event("x") == "x"

        def test_victim_of_hidden_state():
            assert hidden.store() == []

        def test_fails_alone_too():
            assert 0
    """,
}


def _victims(run: Run) -> dict[str, dict[str, Any]]:
    assert run.report is not None
    return {v["test"].rpartition("::")[2]: v for v in run.report["victims"]}


def test_confirm_proves_pairs_and_rejects_coincidental_suspects(app_suite: Suite) -> None:
    run = app_suite.files(**SUITE).run("--leakwatch-confirm", "-p", "no:randomly", "-x")
    # -x is the user's: the original run stops at the first failure, re-runs never do
    run.result.assert_outcomes(passed=3, failed=1)
    victims = _victims(run)
    mock = victims["test_victim_of_mock"]
    assert mock["confirmed"] is True
    assert mock["confirmation"]["method"] == "pair"
    assert mock["confirmation"]["polluters"] == ["test_order.py::test_mock_polluter"]
    assert mock["confirmation"]["alone"] == "passed"
    assert mock["confirmation"]["runs"] == 2
    run.result.stdout.fnmatch_lines([
        "*leakwatch confirm: test_order.py::test_victim_of_mock: running it alone",
        "*leakwatch confirm: test_order.py::test_victim_of_mock: confirmed (pair): "
        "test_order.py::test_mock_polluter (2 runs*",
        "test_order.py::test_victim_of_mock (failed) ran with mock app.runner.log_event left by "
        "test_order.py::test_mock_polluter -- CONFIRMED by re-run (pair): test_order.py::test_mock_polluter",
        "leakwatch confirm: 1 victims, 2 pytest runs, *s (budget 300s)",
    ])
    assert run.report is not None and run.report["victims_confirm"]["runs"] == 2


def test_confirm_falls_back_to_delta_debugging(app_suite: Suite) -> None:
    run = app_suite.files(**SUITE).run("--leakwatch-confirm", "--junitxml=junit.xml")
    run.result.assert_outcomes(passed=3, failed=3)
    victims = _victims(run)
    assert victims["test_victim_of_mock"]["confirmed"] is True
    hidden = victims["test_victim_of_hidden_state"]
    # Its suspects (the env var, the mock) are coincidental: each pair passes.
    assert {s["test"].rpartition("::")[2] for s in hidden["suspects"]} == \
        {"test_env_noise", "test_mock_polluter"}
    assert hidden["confirmed"] is True
    assert hidden["confirmation"]["method"] == "bisect"
    assert hidden["confirmation"]["polluters"] == ["test_order.py::test_hidden_polluter"]
    alone = victims["test_fails_alone_too"]
    assert alone["confirmed"] is False
    assert alone["confirmation"]["alone"] == "failed"
    assert "not a pollution victim" in alone["confirmation"]["reason"]
    # the original run's outcome and artifacts are untouched by the re-runs
    assert run.result.ret == 1
    junit = (app_suite.pytester.path / "junit.xml").read_text()
    assert 'tests="6"' in junit


def test_budget_bounds_the_re_runs(app_suite: Suite) -> None:
    run = app_suite.files(**SUITE).run("--leakwatch-confirm", "--leakwatch-confirm-budget=0.5")
    run.result.assert_outcomes(passed=3, failed=3)
    for victim in _victims(run).values():
        assert victim["confirmed"] is None
        assert victim["confirmation"]["reason"] == "confirm budget exhausted"
        assert victim["confirmation"]["runs"] == 0


def test_bad_budget_is_a_usage_error(app_suite: Suite) -> None:
    run = app_suite.files(**SUITE).run("--leakwatch-confirm-budget=soon", report=False)
    assert run.result.ret == 4
    assert "--leakwatch-confirm-budget" in run.output and "not a number of seconds" in run.output


def test_under_xdist_workers_confirm_their_victims(app_suite: Suite) -> None:
    run = app_suite.files(**{
        "test_same_file.py": """
            from unittest.mock import patch
            from app import runner

            def test_mock_polluter():
                patch("app.runner.log_event").start()

            def test_victim_of_mock():
                assert runner.log_event("x") == "x"
        """,
        "test_other_file.py": "def test_elsewhere():\n    pass\n",
    }).run("--leakwatch-confirm", "-n", "2", "--dist", "loadfile")
    run.result.assert_outcomes(passed=2, failed=1)
    victim = _victims(run)["test_victim_of_mock"]
    assert victim["confirmed"] is True
    assert victim["confirmation"]["polluters"] == ["test_same_file.py::test_mock_polluter"]
    assert "left by test_same_file.py::test_mock_polluter [call]" in run.output  # the section
    run.result.stdout.fnmatch_lines(["test_same_file.py::test_victim_of_mock (failed) ran with mock "
                                     "app.runner.log_event left by test_same_file.py::test_mock_polluter"
                                     " -- CONFIRMED by re-run (pair): test_same_file.py::test_mock_polluter"])
