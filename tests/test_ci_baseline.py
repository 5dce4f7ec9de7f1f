"""Baselines: accepted leaks by id; the gate fails only on new ones; usage errors at start-up."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Suite

OLD = {"test_old.py": """
    from app import runner

    def test_old_leak():
        runner.settings.debug = True

    def test_old_env():
        import os
        os.environ["LW_BASELINE_OLD"] = "1"
"""}

NEW = {"test_new.py": """
    from app import runner

    def test_new_leak():
        runner.ComponentRegistry._components["new"] = object
"""}


def _baseline(suite: Suite) -> Path:
    return suite.pytester.path / "leakwatch-baseline.json"


def test_update_writes_accepted_ids_and_passes_the_gate(app_suite: Suite) -> None:
    app_suite.files(**OLD)
    path = _baseline(app_suite)
    run = app_suite.run(f"--leakwatch-baseline={path}", "--leakwatch-update-baseline",
                        "--leakwatch-fail")
    assert run.result.ret == 0, run.output
    data = json.loads(path.read_text())
    assert data["format"] == "leakwatch-baseline/1"
    assert sorted(e["id"] for e in data["leaks"]) == sorted(f["id"] for f in run.severe())
    assert all(set(e) == {"id", "kind", "test", "subject"} for e in data["leaks"])
    run.result.stdout.fnmatch_lines(["leakwatch baseline: 0 known, 2 new, 0 fixed (written to *)"])


def test_known_leaks_pass_and_a_new_one_fails(app_suite: Suite) -> None:
    app_suite.files(**OLD)
    path = _baseline(app_suite)
    app_suite.run(f"--leakwatch-baseline={path}", "--leakwatch-update-baseline")
    known = app_suite.run(f"--leakwatch-baseline={path}", "--leakwatch-fail")
    assert known.result.ret == 0, known.output
    known.result.stdout.fnmatch_lines(["leakwatch baseline: 2 known, 0 new, 0 fixed"])
    assert known.report is not None and known.report["baseline"]["known"] == 2
    assert len(known.severe()) == 2  # still reported, just accepted

    app_suite.files(**NEW)
    new = app_suite.run(f"--leakwatch-baseline={path}", "--leakwatch-fail")
    assert new.result.ret == 1
    new.result.stdout.fnmatch_lines([
        "leakwatch baseline: 2 known, 1 new, 0 fixed",
        "leakwatch: failing the run (--leakwatch-fail): 1 leak finding from 1 test or fixtures "
        "not in the baseline",
    ])
    assert new.report is not None
    (new_leak,) = new.find(subject="app.runner.ComponentRegistry._components['new']")
    assert new.report["baseline"]["new_ids"] == [new_leak["id"]]


def test_fixed_leaks_are_counted(app_suite: Suite) -> None:
    app_suite.files(**OLD)
    path = _baseline(app_suite)
    app_suite.run(f"--leakwatch-baseline={path}", "--leakwatch-update-baseline")
    app_suite.files(**{"test_old.py": "def test_old_leak():\n    pass\n"})
    run = app_suite.run(f"--leakwatch-baseline={path}", "--leakwatch-fail")
    assert run.result.ret == 0
    run.result.stdout.fnmatch_lines(["leakwatch baseline: 0 known, 0 new, 2 fixed"])
    assert run.report is not None and len(run.report["baseline"]["fixed_ids"]) == 2


def test_ids_survive_line_moves(app_suite: Suite) -> None:
    app_suite.files(**OLD)
    path = _baseline(app_suite)
    app_suite.run(f"--leakwatch-baseline={path}", "--leakwatch-update-baseline")
    text = (app_suite.pytester.path / "test_old.py").read_text()
    (app_suite.pytester.path / "test_old.py").write_text("# moved\n\n\n" + text)
    run = app_suite.run(f"--leakwatch-baseline={path}", "--leakwatch-fail")
    assert run.result.ret == 0
    run.result.stdout.fnmatch_lines(["leakwatch baseline: 2 known, 0 new, 0 fixed"])


def test_baseline_gate_under_xdist(app_suite: Suite) -> None:
    app_suite.files(**OLD)
    path = _baseline(app_suite)
    app_suite.run("-n", "2", f"--leakwatch-baseline={path}", "--leakwatch-update-baseline")
    assert len(json.loads(path.read_text())["leaks"]) == 2
    assert app_suite.run("-n", "2", f"--leakwatch-baseline={path}", "--leakwatch-fail").result.ret == 0
    app_suite.files(**NEW)
    assert app_suite.run("-n", "2", f"--leakwatch-baseline={path}", "--leakwatch-fail").result.ret == 1


def test_without_fail_the_baseline_never_changes_the_exit_code(app_suite: Suite) -> None:
    app_suite.files(**OLD)
    path = _baseline(app_suite)
    path.write_text(json.dumps({"format": "leakwatch-baseline/1", "leaks": []}))
    run = app_suite.run(f"--leakwatch-baseline={path}")
    assert run.result.ret == 0
    run.result.stdout.fnmatch_lines(["leakwatch baseline: 0 known, 2 new, 0 fixed"])


def test_missing_baseline_is_a_usage_error(app_suite: Suite) -> None:
    app_suite.files(**OLD)
    run = app_suite.run("--leakwatch-baseline=nope.json", report=False)
    assert run.result.ret == 4
    assert "--leakwatch-baseline" in run.output and "does not exist" in run.output
    assert "--leakwatch-update-baseline" in run.output
    assert "passed" not in run.result.stdout.str()  # no test ran


def test_malformed_baseline_is_a_usage_error(app_suite: Suite) -> None:
    app_suite.files(**OLD)
    path = _baseline(app_suite)
    for text in ("{not json", json.dumps({"leaks": [{"id": 1}]}), json.dumps([1, 2])):
        path.write_text(text)
        run = app_suite.run(f"--leakwatch-baseline={path}", report=False)
        assert run.result.ret == 4, text
        assert "--leakwatch-baseline" in run.output


def test_update_flag_needs_a_file(app_suite: Suite) -> None:
    app_suite.files(**OLD)
    run = app_suite.run("--leakwatch-update-baseline", report=False)
    assert run.result.ret == 4
    assert "--leakwatch-update-baseline needs --leakwatch-baseline" in run.output


def test_update_replaces_a_broken_file(app_suite: Suite) -> None:
    app_suite.files(**OLD)
    path = _baseline(app_suite)
    path.write_text("garbage")
    run = app_suite.run(f"--leakwatch-baseline={path}", "--leakwatch-update-baseline")
    assert run.result.ret == 0
    assert len(json.loads(path.read_text())["leaks"]) == 2
