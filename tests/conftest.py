"""Shared helpers: run a real inner pytest session under leakwatch and read its report.

Inner suites run in a subprocess (``runpytest_subprocess``): they plant real
leaks (env vars, sys.modules fakes) that must not reach this process, and the
plugin is then found through its installed entry point, as users get it.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from typing import Any

import jsonschema
import pytest

from leakwatch.report.json_report import schema


@dataclass
class Run:
    result: pytest.RunResult
    report: dict[str, Any] | None

    @property
    def leaks(self) -> list[dict[str, Any]]:
        return self.report["leaks"] if self.report else []

    @property
    def output(self) -> str:
        return self.result.stdout.str() + self.result.stderr.str()

    def by_test(self, test_suffix: str) -> list[dict[str, Any]]:
        return [f for f in self.leaks if f["test"].endswith(test_suffix)]

    def find(self, kind: str | None = None, subject: str | None = None,
             test: str | None = None) -> list[dict[str, Any]]:
        out = []
        for f in self.leaks:
            if kind is not None and f["kind"] != kind:
                continue
            if subject is not None and f["subject"] != subject:
                continue
            if test is not None and not f["test"].endswith(test):
                continue
            out.append(f)
        return out

    def severe(self) -> list[dict[str, Any]]:
        return [f for f in self.leaks if f["severity"] == "leak"]


class Suite:
    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester

    def files(self, **files: str) -> Suite:
        for name, text in files.items():
            path = self.pytester.path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return self

    def run(self, *args: str, leakwatch: bool = True, report: bool = True) -> Run:
        report_path = self.pytester.path / "leakwatch-report.json"
        if report_path.exists():
            report_path.unlink()
        argv = ["-p", "no:cacheprovider", *args]
        if leakwatch:
            argv.insert(0, "--leakwatch")
        if report:
            argv.append(f"--leakwatch-report={report_path}")
        result = self.pytester.runpytest_subprocess(*argv)
        data = None
        if report and report_path.exists():
            data = json.loads(report_path.read_text())
            jsonschema.validate(data, schema())
        return Run(result, data)


@pytest.fixture
def suite(pytester: pytest.Pytester) -> Suite:
    return Suite(pytester)


#: A small application package used by many inner suites.
APP = {
    "app/__init__.py": "",
    "app/runner.py": """
        import os
        OFFLINE = os.environ.get("APP_OFFLINE")
        COUNTER = 0

        def log_event(msg):
            return msg

        class ComponentRegistry:
            _components = {}
            flags = set()

            @classmethod
            def load_specs(cls):
                return 1

        class Client:
            def __init__(self):
                self.connected = False

        class Service:
            def __init__(self):
                self.client = Client()
                self.items = []

        class Settings:
            def __init__(self):
                self.debug = False

        settings = Settings()
        service = Service()
        HANDLERS = []
    """,
    "app/drivers.py": """
        class Driver:
            pass
    """,
}


@pytest.fixture
def app_suite(suite: Suite) -> Suite:
    return suite.files(**APP)
