"""``@pytest.mark.leakwatch(allow=[...], skip=True)``: per-test suppression, validated up front."""

from __future__ import annotations

import pytest
from conftest import Suite

MARKED = {"test_marked.py": """
    import os
    import pytest
    from app import runner

    @pytest.mark.leakwatch(allow=["instance-attribute:app.runner.settings.*"])
    def test_allowed():
        runner.settings.debug = True
        runner.ComponentRegistry._components["still-reported"] = object

    @pytest.mark.leakwatch(skip=True)
    def test_skipped():
        runner.service.client.connected = True
        os.environ["LW_MARKER_SKIPPED"] = "1"

    def test_after():
        pass

    def test_unmarked():
        runner.HANDLERS.append(print)
"""}


def test_allow_and_skip_suppress_only_that_test(app_suite: Suite) -> None:
    run = app_suite.files(**MARKED).run()
    run.result.assert_outcomes(passed=4)
    assert not run.find(subject="app.runner.settings.debug")
    assert run.find(kind="container", subject="app.runner.ComponentRegistry._components['still-reported']",
                    test="::test_allowed")
    assert not run.by_test("::test_skipped")
    assert run.find(kind="container", test="::test_unmarked")
    # the skipped test's changes are still fenced in its own window: not blamed on the next test
    assert not run.by_test("::test_after")


def test_suppressed_findings_do_not_fail_the_gate(app_suite: Suite) -> None:
    app_suite.files(**{"test_only.py": """
        import pytest
        from app import runner

        @pytest.mark.leakwatch(allow=["*:app.runner.*"])
        def test_accepted():
            runner.settings.debug = True
    """})
    run = app_suite.run("--leakwatch-fail")
    assert run.result.ret == 0
    assert run.leaks == []


@pytest.mark.parametrize("marker, message", [
    ('allow=["nosuchkind:x"]', "unknown kind 'nosuchkind'"),
    ('allow=["no-colon"]', "is not a kind:subject pattern"),
    ('allow=["env:FOO[*"]', "unbalanced"),
    ('allow=[3]', "is not a string"),
    ("skip='yes'", "skip: 'yes' is not True or False"),
    ("alow=['env:X']", "unknown argument(s) alow"),
    ("'env:X'", "keyword arguments only"),
])
def test_bad_marker_is_a_usage_error(app_suite: Suite, marker: str, message: str) -> None:
    app_suite.files(**{"test_bad.py": f"""
        import pytest

        @pytest.mark.leakwatch({marker})
        def test_x():
            pass
    """})
    run = app_suite.run(report=False)
    assert run.result.ret == 4, run.output
    assert "@pytest.mark.leakwatch on test_bad.py::test_x" in run.output
    assert message in run.output
    assert "1 passed" not in run.output


def test_marker_is_ignored_when_leakwatch_is_off(app_suite: Suite) -> None:
    app_suite.files(**{"test_bad.py": """
        import pytest

        @pytest.mark.leakwatch(allow=["nosuchkind:x"])
        def test_x():
            pass
    """})
    run = app_suite.run("-p", "no:warnings", leakwatch=False, report=False)
    assert run.result.ret == 0


def test_bad_marker_under_xdist_is_a_usage_error(app_suite: Suite) -> None:
    app_suite.files(**{"test_bad.py": """
        import pytest

        @pytest.mark.leakwatch(allow=["nosuchkind:x"])
        def test_x():
            pass
    """})
    run = app_suite.run("-n", "2", report=False)
    assert run.result.ret == 4, run.output
    assert "unknown kind 'nosuchkind'" in run.output
    assert "INTERNALERROR" not in run.output


def test_marker_applies_in_xdist_workers(app_suite: Suite) -> None:
    run = app_suite.files(**MARKED).run("-n", "2")
    assert not run.find(subject="app.runner.settings.debug")
    assert not run.by_test("::test_skipped")
    assert run.find(kind="container", test="::test_unmarked")
