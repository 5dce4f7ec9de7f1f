"""The probe API: the ``pytest_leakwatch_probes`` hook, the ``leakwatch.probes`` entry points,
and containment of third-party probe errors."""

from __future__ import annotations

from pathlib import Path

from conftest import Suite

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "probes"

SETTINGS_TESTS = """
    from settings import settings

    def test_overrides():
        settings.DEBUG = True
    def test_override_undone():
        old = settings.TIME_ZONE
        settings.TIME_ZONE = "Europe/Paris"
        try:
            pass
        finally:
            settings.TIME_ZONE = old
    def test_victim():
        assert settings.DEBUG is False
"""


def _example_files() -> dict[str, str]:
    return {
        "settings.py": (EXAMPLE / "settings.py").read_text(),
        "conftest.py": (EXAMPLE / "conftest_settings_probe.py").read_text(),
        "test_settings.py": SETTINGS_TESTS,
    }


def test_hook_probe_finds_and_restores(suite: Suite) -> None:
    suite.files(**_example_files())
    run = suite.run()
    run.result.assert_outcomes(passed=2, failed=1)
    found = run.find("app-settings", "settings.DEBUG")
    assert [f["test"] for f in found] == ["test_settings.py::test_overrides"]
    assert found[0]["severity"] == "leak"
    assert not run.find("app-settings", "settings.TIME_ZONE")  # put back in finally

    restored = suite.run("--leakwatch-restore")
    restored.result.assert_outcomes(passed=3)
    assert restored.find("app-settings", "settings.DEBUG")[0]["restored"] is True


def test_entry_point_probe(suite: Suite) -> None:
    """A distribution's ``leakwatch.probes`` entry point: a callable(config) -> probe."""
    files = _example_files()
    files["myprobes.py"] = files.pop("conftest.py") + (
        "\n\ndef settings_probe(config):\n    from settings import settings\n"
        "    return SettingsProbe(settings)\n")
    files["myprobes-1.0.dist-info/METADATA"] = "Metadata-Version: 2.1\nName: myprobes\nVersion: 1.0\n"
    files["myprobes-1.0.dist-info/entry_points.txt"] = (
        "[leakwatch.probes]\nsettings = myprobes:settings_probe\n")
    run = suite.files(**files).run()
    run.result.assert_outcomes(passed=2, failed=1)
    assert [f["test"] for f in run.find("app-settings", "settings.DEBUG")] == [
        "test_settings.py::test_overrides"]


def test_broken_third_party_probes_are_contained(suite: Suite) -> None:
    run = suite.files(**{
        "conftest.py": """
            from leakwatch.changes import Change

            class BadPoll:
                name = "bad-poll"
                def start(self): pass
                def mark(self, phase): raise RuntimeError("mark broke")
                def poll(self): return ["not a change"]

            class BadStart:
                name = "bad-start"
                def start(self): raise RuntimeError("start broke")
                def mark(self, phase): pass
                def poll(self): return []

            def pytest_leakwatch_probes(config):
                return [BadPoll(), BadStart()]
        """,
        "conftest_plugin_broken.py": "",
        "test_it.py": """
            import os
            def test_env():
                os.environ["STILL_SEEN"] = "1"
            def test_ok():
                pass
        """,
    }).run()
    run.result.assert_outcomes(passed=2)
    assert run.report is not None
    components = {e["component"] for e in run.report["errors"]}
    assert any("bad-poll" in c for c in components), components
    assert any("bad-start" in c for c in components), components
    assert run.report["complete"] is False
    assert run.find("env", "STILL_SEEN", "test_env")  # the other probes went on


def test_hook_that_raises_is_contained(suite: Suite) -> None:
    run = suite.files(**{
        "conftest.py": """
            def pytest_leakwatch_probes(config):
                raise ValueError("hook broke")
        """,
        "test_it.py": "def test_ok():\n    pass\n",
    }).run()
    run.result.assert_outcomes(passed=1)
    assert run.report is not None
    assert any("hook broke" in e["message"] for e in run.report["errors"])
