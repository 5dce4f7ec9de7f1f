"""Env values never in clear, in every output format, unless asked; secrets never.

One inner run writes every format leakwatch has: terminal, JSON, SARIF, JUnit XML
properties, GitHub workflow commands and step summary, and (through the CLI) the
markdown table and the HTML page. Env values also reach findings indirectly, through
reprs of attributes and dict keys that copied them: those are masked too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Suite

SECRET = "tok-very-secret-123"
PASSWORD = "pw-hunter2-xyz"
PLAIN = "plain-visible-blue"

TESTS = {"test_secret.py": f"""
    import os
    from app import runner

    def test_env():
        os.environ["API_TOKEN"] = "{SECRET}"
        os.environ["APP_COLOR"] = "{PLAIN}"
        os.environ["DB_PASSWORD"] = "{PASSWORD}"

    def test_copied_into_state():
        runner.settings.token = os.environ["API_TOKEN"]
        runner.settings.color = os.environ["APP_COLOR"]
        runner.ComponentRegistry._components[os.environ["DB_PASSWORD"]] = 1
        runner.HANDLERS.append(os.environ["API_TOKEN"])
"""}


def _outputs(suite: Suite, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, str]:
    base = suite.pytester.path
    summary = base / "step-summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run = suite.run(f"--leakwatch-sarif={base / 'out.sarif'}", f"--junitxml={base / 'junit.xml'}",
                    "-v", *args)
    run.result.assert_outcomes(passed=2)
    assert run.report is not None
    report = base / "leakwatch-report.json"
    cli = [sys.executable, "-m", "leakwatch.cli"]
    markdown = subprocess.run([*cli, "show", str(report), "--format", "markdown"],
                              capture_output=True, text=True, check=False)
    table = subprocess.run([*cli, "show", str(report)], capture_output=True, text=True, check=False)
    page = base / "page.html"
    subprocess.run([*cli, "html", str(report), "-o", str(page)], capture_output=True, check=False)
    out = {
        "terminal": run.output,
        "json": report.read_text(),
        "junit": (base / "junit.xml").read_text(),
        "markdown": markdown.stdout + markdown.stderr,
        "table": table.stdout + table.stderr,
    }
    for name, path in (("sarif", base / "out.sarif"), ("summary", summary), ("html", page)):
        out[name] = Path(path).read_text() if Path(path).exists() else ""
    return out


def test_no_env_value_in_any_output(app_suite: Suite, monkeypatch: pytest.MonkeyPatch) -> None:
    app_suite.files(**TESTS)
    outputs = _outputs(app_suite, monkeypatch)
    assert outputs["json"] and outputs["terminal"]
    for name, text in outputs.items():
        for value in (SECRET, PASSWORD, PLAIN):
            assert value not in text, (name, value)
    # The indirect copies are still reported, with the value masked or hashed.
    assert "app.runner.settings.token" in outputs["json"]
    assert "added '<masked>'" in outputs["json"]
    assert "<sha256:" in outputs["json"]
    for name in ("sarif", "html", "summary"):
        assert outputs[name], f"{name} output was not written"


def test_show_values_still_masks_secrets(app_suite: Suite, monkeypatch: pytest.MonkeyPatch) -> None:
    app_suite.files(**TESTS)
    outputs = _outputs(app_suite, monkeypatch, "--leakwatch-show-values")
    assert PLAIN in outputs["json"]
    for name, text in outputs.items():
        for value in (SECRET, PASSWORD):
            assert value not in text, (name, value)
