"""Faults inside leakwatch are contained; hostile user state never breaks a run."""

from __future__ import annotations

from conftest import Suite


def test_probe_fault_is_one_warning_and_report_incomplete(app_suite: Suite) -> None:
    run = app_suite.files(**{
        "conftest.py": """
            from leakwatch.probes import environ

            def broken(self):
                raise RuntimeError("injected fault")
            environ.EnvironProbe.poll = broken
        """,
        "test_x.py": """
            from app import runner
            def test_one():
                runner.settings.debug = True
            def test_two():
                assert False
        """,
    }).run()
    run.result.assert_outcomes(passed=1, failed=1)
    assert "INTERNALERROR" not in run.output
    assert "leakwatch internal error in env: RuntimeError: injected fault" in run.output
    assert run.report and run.report["complete"] is False
    assert "internal error in env" in run.report["incomplete_reasons"]
    assert run.find("instance-attribute", "app.runner.settings.debug")  # the rest kept working


def test_reporter_fault_keeps_outcome(app_suite: Suite) -> None:
    run = app_suite.files(**{
        "conftest.py": """
            from leakwatch.report import json_report
            def broken(*a, **k):
                raise OSError("disk full")
            json_report.write = broken
        """,
        "test_x.py": "def test_one():\n    pass\n",
    }).run()
    run.result.assert_outcomes(passed=1)
    assert run.result.ret == 0
    assert "leakwatch internal error in json-report: OSError: disk full" in run.output


def test_hostile_module_state(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_hostile.py": """
        import sys
        from unittest import mock

        class Boom(Exception):
            pass

        class Hostile:
            def __eq__(self, other): raise Boom("eq")
            def __hash__(self): return id(self)
            def __repr__(self): raise Boom("repr")
            def __getattr__(self, name): raise Boom(name)

        def __getattr__(name):  # lazy module
            raise AttributeError(name)

        HOSTILE = Hostile()
        SPECCED = mock.MagicMock(spec=dict)
        BIG = list(range(200_000))
        SELF = []
        SELF.append(SELF)
        REG = {Hostile(): 1}

        def test_replace_hostile():
            global HOSTILE
            HOSTILE = Hostile()
        def test_big_list():
            BIG.append(1)
        def test_self_ref():
            SELF.append(SELF)
        def test_hostile_key():
            REG[Hostile()] = 2
        def test_none_in_sys_modules(monkeypatch):
            monkeypatch.setitem(sys.modules, "nothing_here", None)
        def test_exit():
            raise SystemExit(3)
    """}).run()
    run.result.assert_outcomes(passed=5, failed=1)
    assert "INTERNALERROR" not in run.output and "Boom" not in run.output.split("= FAILURES =")[0]
    assert run.report and run.report["complete"] is True
    assert run.find("attribute", "test_hostile.HOSTILE", "test_replace_hostile")
    big = run.find("container", "test_hostile.BIG", "test_big_list")
    assert big and "too large to compare items" in big[0]["change"]
    assert run.find("container", "test_hostile.SELF", "test_self_ref")
    assert len(run.find("container", test="test_hostile_key")) == 1
    assert not run.by_test("test_none_in_sys_modules")


def test_outcomes_identical_with_and_without(app_suite: Suite) -> None:
    app_suite.files(**{"test_mixed.py": """
        import os, unittest, pytest

        @pytest.fixture(scope="class")
        def cls_fix():
            yield 1

        @pytest.mark.parametrize("x", [1, 2, 3])
        def test_param(x):
            assert x != 2
        def test_skip():
            pytest.skip("no")
        @pytest.mark.xfail
        def test_xfail():
            assert False
        def test_error(missing_fixture):
            pass
        class TestK:
            def test_k(self, cls_fix):
                os.environ["K"] = "1"
        class T(unittest.TestCase):
            def test_u(self):
                self.assertTrue(True)
        def doc():
            '''
            >>> 1 + 1
            2
            '''
    """})
    plain = app_suite.pytester.runpytest_subprocess("-p", "no:cacheprovider", "--doctest-modules")
    watched = app_suite.run("--doctest-modules")
    assert plain.parseoutcomes() == watched.result.parseoutcomes()
    assert plain.ret == watched.result.ret
    assert watched.find("env", "K")


def test_exitfirst_marks_report_incomplete(app_suite: Suite) -> None:
    run = app_suite.files(**{"test_x.py": """
        import os
        def test_a():
            os.environ["A_VAR"] = "1"
            assert False
        def test_b():
            pass
    """}).run("-x")
    run.result.assert_outcomes(failed=1)
    assert run.report and run.report["complete"] is False
    assert run.find("env", "A_VAR")
