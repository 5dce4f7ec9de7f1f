"""Terminal section, JSON report, gate, options, secrets, grouping."""

from __future__ import annotations

import json

import pytest
from conftest import Suite

LEAKY = {"test_leaky.py": """
    import os
    from app import runner

    def test_leaks():
        runner.settings.debug = True
    def test_clean():
        pass
"""}


def test_not_enabled_does_nothing(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_off.py": """
        import importlib
        from unittest import mock
        from app import runner

        def test_no_wrappers():
            assert type(importlib.reload).__name__ == "function"
            assert type(mock._patch.__dict__["__enter__"]).__name__ == "function"
            runner.settings.debug = True
    """}).run(leakwatch=False, report=False)
    run.result.assert_outcomes(passed=1)
    assert "leakwatch" not in run.result.stdout.str().replace("plugins: leakwatch", "")


def test_enabled_by_ini(app_suite: Suite) -> None:
    app_suite.files(**LEAKY, **{"pytest.ini": "[pytest]\nleakwatch = true\n"})
    run = app_suite.run(leakwatch=False)
    assert run.find("instance-attribute", "app.runner.settings.debug")


def test_terminal_table_and_summary(app_suite: Suite) -> None:
    run = app_suite.files(**LEAKY).run()
    out = run.result.stdout
    out.fnmatch_lines([
        "*= leakwatch =*",
        "test or fixture*kind*subject*change*origin*",
        "test_leaky.py::test_leaks [[]call[]]*instance-attribute*app.runner.settings.debug*False -> True*",
        "leakwatch: 1 leaks, 0 warnings, 0 info from 1 of 2 tests/fixtures*",
    ])


def test_nothing_leaked_is_one_short_line(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_ok.py": "def test_ok():\n    pass\n"}).run()
    assert "= leakwatch =" not in run.result.stdout.str()
    run.result.stdout.fnmatch_lines(["leakwatch: no leaks in 1 tests*"])


def test_quiet_shows_top_rows_and_verbose_all(app_suite: Suite) -> None:
    body = "from app import runner\n" + "".join(
        f"def test_{i}():\n    runner.ATTR_{i} = {i}\n" for i in range(8)
    )
    app_suite.files(**{"test_many.py": body})
    quiet = app_suite.run("-q")
    assert "... 3 more rows (use -v to see all)" in quiet.result.stdout.str()
    verbose = app_suite.run("-v")
    assert "more rows" not in verbose.result.stdout.str()
    assert verbose.result.stdout.str().count("app.runner.ATTR_") == 8


def test_repeated_growth_is_one_grouped_row(app_suite: Suite) -> None:
    body = "from app import runner\n" + "".join(
        f"def test_{i}():\n    runner.ComponentRegistry._components['c{i}'] = object\n" for i in range(12)
    )
    run = app_suite.files(**{"test_grow.py": body}).run()
    assert len(run.leaks) == 12  # the report keeps every finding
    out = run.result.stdout.str()
    assert out.count("_components") == 1
    assert "12 tests/fixtures" in out and "in 12 findings" in out


def test_gate(app_suite: Suite) -> None:
    app_suite.files(**LEAKY)
    assert app_suite.run().result.ret == 0
    gated = app_suite.run("--leakwatch-fail")
    assert gated.result.ret == 1
    assert "leakwatch: failing the run (--leakwatch-fail): 1 leak finding from 1 test" in gated.output
    assert gated.result.stdout.lines[-1].startswith("leakwatch: failing the run")


def test_gate_passes_on_clean_and_warning_only(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_warn.py": """
        from app import runner
        runner.LAZY = None

        def test_lazy_init():
            runner.LAZY = runner.Settings()
    """}).run("--leakwatch-fail")
    assert run.result.ret == 0
    assert [f["severity"] for f in run.leaks] == ["warning"]


def test_gate_by_ini_and_failed_tests_keep_exit_code(app_suite: Suite) -> None:
    app_suite.files(**LEAKY, **{"pytest.ini": "[pytest]\nleakwatch_fail = true\n",
                               "test_fail.py": "def test_fail():\n    assert False\n"})
    run = app_suite.run()
    assert run.result.ret == 1
    run.result.assert_outcomes(passed=2, failed=1)


def test_json_report_fields_and_stable_ids(app_suite: Suite) -> None:
    app_suite.files(**LEAKY)
    first = app_suite.run()
    app_suite.files(**{"test_leaky.py": "\n\n\n" + LEAKY["test_leaky.py"]})  # shift every line
    second = app_suite.run()
    assert first.report and second.report
    assert first.report["schema_version"] == "1.0"
    assert first.report["complete"] is True
    assert first.report["summary"]["leak"] == 1
    assert first.report["summary"]["tests_with_leaks"] == ["test_leaky.py::test_leaks"]
    assert first.report["run"]["core"] in ("dict-watcher", "version-tag", "copy-compare")
    assert [f["id"] for f in first.leaks] == [f["id"] for f in second.leaks]
    leak = first.leaks[0]
    assert leak["test"] == "test_leaky.py::test_leaks" and leak["phase"] == "call"
    assert leak["origin"] is None or "line" in leak["origin"]


def test_report_is_written_atomically(app_suite: Suite) -> None:
    run = app_suite.files(**LEAKY).run()
    leftovers = [p.name for p in app_suite.pytester.path.iterdir() if p.name.endswith(".tmp")]
    assert run.report is not None and leftovers == []


def test_secret_values_never_in_clear(app_suite: Suite) -> None:
    app_suite.files(**{"test_secret.py": """
        import os
        def test_env():
            os.environ["API_TOKEN"] = "tok-very-secret-123"
            os.environ["APP_COLOR"] = "plain-visible-blue"
    """})
    hidden = app_suite.run()
    for text in (hidden.output, json.dumps(hidden.report)):
        assert "tok-very-secret-123" not in text
        assert "plain-visible-blue" not in text
    shown = app_suite.run("--leakwatch-show-values")
    assert "plain-visible-blue" in json.dumps(shown.report)
    assert "tok-very-secret-123" not in shown.output + json.dumps(shown.report)
    assert shown.find("env", "API_TOKEN")[0]["change"] == "added <masked>"


def test_ignore_patterns_and_default_cache_names(app_suite: Suite) -> None:
    app_suite.files(**{
        "pytest.ini": "[pytest]\nleakwatch_ignore =\n    env:IGNORED_*\n    container:app.runner.HANDLERS\n",
        "test_ign.py": """
            import functools
            import os
            from app import runner

            class Lazy:
                @functools.cached_property
                def value(self):
                    return 42
            lazy = Lazy()

            def test_ignored():
                os.environ["IGNORED_X"] = "1"
                runner.HANDLERS.append(1)
                runner._cache = {"k": 1}
                runner.ComponentRegistry._memo = 1
                assert lazy.value == 42
            def test_not_ignored():
                os.environ["KEPT"] = "1"
        """,
    })
    run = app_suite.run()
    assert [f["subject"] for f in run.leaks] == ["KEPT"]


@pytest.mark.parametrize(
    ("ini", "message"),
    [
        ("leakwatch_ignore = bogus:thing", "leakwatch_ignore: unknown kind 'bogus'"),
        ("leakwatch_ignore = nocolon", "is not a kind:subject pattern"),
        ("leakwatch_targets = app.runner.log_event", "leakwatch_targets: 'app.runner.log_event' is not"),
        ("leakwatch_depth = deep", "leakwatch_depth: 'deep' is not a whole number"),
        ("leakwatch_modules = app.[x", "unbalanced"),
    ],
)
def test_bad_settings_are_usage_errors(app_suite: Suite, ini: str, message: str) -> None:
    app_suite.files(**LEAKY, **{"pytest.ini": f"[pytest]\n{ini}\n"})
    run = app_suite.run(report=False)
    assert run.result.ret == 4
    assert message in run.output
    assert "Traceback" not in run.output


def test_unwritable_report_path_is_usage_error(app_suite: Suite) -> None:
    app_suite.files(**LEAKY)
    result = app_suite.pytester.runpytest_subprocess("--leakwatch",
                                                     "--leakwatch-report=/nonexistent/dir/r.json")
    assert result.ret == 4
    assert "--leakwatch-report: cannot write" in result.stderr.str()


def test_critical_targets_first(app_suite: Suite) -> None:
    app_suite.files(**{
        "pytest.ini": "[pytest]\nleakwatch_targets =\n    app.runner:log_event\n",
        "test_targets.py": """
            from unittest.mock import patch
            from app import runner
            def test_a_other():
                runner.settings.debug = True
            def test_b_target():
                patch("app.runner.log_event").start()
        """,
    })
    run = app_suite.run()
    assert run.leaks[0]["subject"] == "app.runner.log_event"
    assert run.leaks[0]["critical"] is True
    assert run.leaks[1]["critical"] is False
    lines = run.result.stdout.str().splitlines()
    rows = [i for i, line in enumerate(lines) if "test_targets.py::" in line]
    assert "test_b_target" in lines[rows[0]]


def test_targets_watch_modules_outside_rootdir(suite: Suite) -> None:
    suite.files(**{
        "pytest.ini": "[pytest]\nleakwatch_targets =\n    json:dumps\n",
        "test_json.py": """
            import json
            from unittest.mock import MagicMock
            def test_mock_json():
                json.dumps = MagicMock()
        """,
    })
    run = suite.run()
    assert run.find("mock", "json.dumps", "test_mock_json")[0]["critical"] is True


def test_extra_modules_by_glob(suite: Suite, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "osiris").mkdir()
    (outside / "osiris" / "__init__.py").write_text("STATE = {}\n")
    suite.files(**{
        "pytest.ini": f"[pytest]\npythonpath = {outside}\nleakwatch_modules =\n    osiris*\n",
        "test_glob.py": """
            import osiris
            def test_mutate():
                osiris.STATE["x"] = 1
        """,
    })
    run = suite.run()
    assert run.find("container", "osiris.STATE['x']", "test_mutate")
