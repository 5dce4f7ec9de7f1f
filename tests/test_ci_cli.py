"""The ``leakwatch`` command: show, diff, html (rendered from JSON reports only)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Suite
from test_ci_xdist import PLANTED, SECRET_VALUE

from leakwatch import cli
from leakwatch.report import html


@pytest.fixture
def report_file(app_suite: Suite) -> Path:
    run = app_suite.files(**PLANTED).run()
    assert run.report is not None and len(run.leaks) >= 7
    return app_suite.pytester.path / "leakwatch-report.json"


def _load(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def test_show_table(report_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["show", str(report_file)]) == 0
    out = capsys.readouterr().out
    assert "test_polluters.py::test_mock_left" in out and "app.runner.log_event" in out
    assert "test_polluters.py:7" in out  # where: the origin line
    assert out.rstrip().endswith("in 9 tests")
    assert SECRET_VALUE not in out


def test_show_markdown(report_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["show", str(report_file), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### leakwatch\n")
    rows = [line for line in out.splitlines() if line.startswith("| `")]
    assert len(rows) == len(_load(report_file)["leaks"])
    assert "&lt;sha256:" in out and SECRET_VALUE not in out


def test_diff_new_fixed_unchanged(report_file: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    old = _load(report_file)
    new = copy.deepcopy(old)
    fixed = new["leaks"].pop(0)
    added = dict(copy.deepcopy(new["leaks"][0]), id="container:ffffffffffff", subject="app.new.X")
    new["leaks"].append(added)
    new_path = tmp_path / "new.json"
    new_path.write_text(json.dumps(new))
    assert cli.main(["diff", str(report_file), str(new_path)]) == 0
    out = capsys.readouterr().out
    assert f"1 new, 1 fixed, {len(old['leaks']) - 1} unchanged" in out
    new_row = next(line for line in out.splitlines() if line.startswith("new "))
    assert "container:ffffffffffff" in new_row
    fixed_row = next(line for line in out.splitlines() if line.startswith("fixed "))
    assert fixed["test"] in fixed_row
    assert cli.main(["diff", str(report_file), str(new_path), "--fail-on-new"]) == 1
    assert cli.main(["diff", str(report_file), str(report_file), "--fail-on-new"]) == 0
    capsys.readouterr()
    assert cli.main(["diff", str(report_file), str(new_path), "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "#### new" in md and "#### fixed" in md and "`container:ffffffffffff`" in md


@pytest.mark.parametrize("content, message", [
    (None, "cannot read"),
    ("{nope", "is not JSON"),
    ('{"tool": {"name": "other"}, "leaks": []}', "is not a leakwatch report"),
    ('{"tool": {"name": "leakwatch", "version": "1"}, "leaks": []}', "is not a leakwatch report"),
])
def test_bad_input_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     content: str | None, message: str) -> None:
    path = tmp_path / "r.json"
    if content is not None:
        path.write_text(content)
    assert cli.main(["show", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("leakwatch: error: ") and message in err
    assert err.count("\n") == 1


def test_html_is_self_contained(report_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "leaks.html"
    assert cli.main(["html", str(report_file), "-o", str(out)]) == 0
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    for external in ("http://", "https://", "<link", "src="):
        assert external not in page
    assert page.count('<tr id="row-') == len(_load(report_file)["leaks"])
    assert SECRET_VALUE not in page


def test_html_escapes_hostile_text(report_file: Path) -> None:
    report = _load(report_file)
    report["leaks"][0]["subject"] = "</script><script>alert(1)</script>"
    page = html.render(report)
    assert "<script>alert(1)" not in page
    assert page.count("</script>") == 2  # the data block and the page's own script


def test_console_script_is_installed(report_file: Path) -> None:
    script = Path(sys.executable).parent / "leakwatch"
    assert script.exists(), "pip install -e . should install the leakwatch console script"
    done = subprocess.run([str(script), "show", str(report_file)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "app.runner.log_event" in done.stdout
