"""Hostile user state and unusual pytest modes: the outcome of a run never changes.

One inner suite plants every hostile pattern of issue 8 (objects raising in every
dunder, lying metaclasses, spec'd mocks, lazy modules, junk in ``sys.modules``, huge
and self-referential containers, ``__del__`` side effects, env churn from a thread,
a deleted cwd, ``sys.exit``, unittest, doctests, class-scoped and parametrized
fixtures). It runs once plainly and once under leakwatch per mode; outcome counts and
exit codes must be identical, with no INTERNALERROR and a schema-valid report.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from conftest import Run, Suite

from leakwatch.report.json_report import schema

HOSTILE = {
    "app/__init__.py": "",
    "app/hostile.py": """
        import os
        from unittest import mock

        class Boom(Exception):
            pass

        class Meta(type):
            def __eq__(cls, other): raise Boom("meta eq")
            def __hash__(cls): raise Boom("meta hash")
            def __repr__(cls): raise Boom("meta repr")
            def __instancecheck__(cls, obj): raise Boom("instancecheck")
            def __getattr__(cls, name): raise Boom("meta getattr " + name)

        class Hostile(metaclass=Meta):
            def __init__(self):
                object.__setattr__(self, "state", {"k": 1})
            def __eq__(self, other): raise Boom("eq")
            def __hash__(self): raise Boom("hash")
            def __repr__(self): raise Boom("repr")
            def __getattr__(self, name): raise Boom("getattr " + name)
            def __getattribute__(self, name): raise Boom("getattribute " + name)
            def __setattr__(self, name, value): raise Boom("setattr")
            @property
            def __class__(self): raise Boom("__class__")
            def __len__(self): raise Boom("len")
            def __bool__(self): raise Boom("bool")

        class HashableHostile:
            def __eq__(self, other): raise Boom("eq")
            def __hash__(self): return 7
            def __repr__(self): raise Boom("repr")

        class HList(list):
            def __len__(self): raise Boom("list len")
            def __getitem__(self, i): raise Boom("list getitem")
            def __iter__(self): raise Boom("list iter")
            def __eq__(self, other): raise Boom("list eq")

        class HDict(dict):
            def __len__(self): raise Boom("dict len")
            def __getitem__(self, k): raise Boom("dict getitem")
            def __iter__(self): raise Boom("dict iter")
            def keys(self): raise Boom("dict keys")
            def items(self): raise Boom("dict items")
            def values(self): raise Boom("dict values")

        class HSet(set):
            def __len__(self): raise Boom("set len")
            def __iter__(self): raise Boom("set iter")

        class DictProp:
            @property
            def __dict__(self): raise Boom("__dict__")

        DELETED = []

        class Finalizer:
            def __del__(self):
                DELETED.append(1)

        HOSTILE = Hostile()
        HOSTILE_CLASS = Hostile
        HOSTILE_KEYS = {HashableHostile(): 1}
        HLIST = HList([1, 2])
        HDICT = HDict(a=1)
        HSET = HSet({1})
        DICTPROP = DictProp()
        SPEC_DICT = mock.MagicMock(spec=dict)
        SPEC_TYPE = mock.NonCallableMagicMock(spec=type)
        SPEC_MODULE = mock.NonCallableMagicMock(spec=type(os))
        BIG = list(range(200_000))
        SELF = []
        SELF.append(SELF)
        SELF_DICT = {}
        SELF_DICT["me"] = SELF_DICT
        FIN = Finalizer()
        HOLDER = type("Holder", (), {})()
        HOLDER.hostile = Hostile()
        HOLDER.items = HList([3])
    """,
    "app/lazy.py": """
        _loaded = {}
        def __getattr__(name):
            if name.startswith("sub"):
                _loaded[name] = object()
                return _loaded[name]
            raise AttributeError(name)
    """,
    "conftest.py": """
        import os, threading, time, pytest

        @pytest.fixture
        def env_churn():
            stop = threading.Event()
            def churn():
                i = 0
                while not stop.is_set():
                    os.environ["LW_CHURN"] = str(i)
                    os.environ.pop("LW_CHURN", None)
                    i += 1
            t = threading.Thread(target=churn, daemon=True)
            t.start()
            time.sleep(0.02)
            yield  # leakwatch polls at the teardown boundary while the thread still runs
            stop.set()
            t.join()

        @pytest.fixture(scope="class")
        def class_fix(request):
            request.cls.shared = []
            yield "c"

        @pytest.fixture(params=[1, 2], scope="module")
        def mod_param(request):
            return request.param
    """,
    "test_hostile.py": """
        import os, sys, tempfile, unittest, pytest
        from unittest import mock
        from app import hostile, lazy

        def test_replace_hostile():
            hostile.HOSTILE = hostile.Hostile.__new__(hostile.Hostile)  # no state: not equivalent
        def test_mutate_hostile_state():
            object.__getattribute__(hostile.HOLDER.hostile, "state")["k"] = 2
        def test_hostile_keys():
            hostile.HOSTILE_KEYS[hostile.HashableHostile()] = 2  # the user's __eq__ raises: fails
        def test_hostile_containers():
            list.append(hostile.HLIST, 3)
            dict.__setitem__(hostile.HDICT, "b", hostile.Hostile())
            set.add(hostile.HSET, 2)
        def test_holder():
            hostile.HOLDER.hostile = hostile.Hostile()
            list.append(hostile.HOLDER.items, hostile.Hostile())
        def test_hostile_class_attribute():
            type.__setattr__(hostile.Hostile, "added", hostile.Hostile())
        def test_spec_mocks():
            hostile.SPEC_DICT["x"] = 1
            hostile.SPEC_TYPE = mock.MagicMock(spec=list)
            hostile.NEW_SPEC = mock.NonCallableMagicMock(spec=type(os))
        def test_lazy_module():
            assert lazy.sub_a is not None
            with pytest.raises(AttributeError):
                lazy.other
        def test_sys_modules_junk():
            sys.modules["lw_none_mod"] = None
            sys.modules["lw_obj_mod"] = hostile.Hostile()
            sys.modules["lw_mock_mod"] = mock.MagicMock(spec=type(os))
        def test_big_and_self():
            hostile.BIG.append(1)
            hostile.SELF.append(hostile.SELF)
            hostile.SELF_DICT["again"] = hostile.SELF_DICT
        def test_finalizer():
            hostile.FIN = None
        def test_env_churn(env_churn):
            for _ in range(50):
                os.environ.get("LW_CHURN")
        def test_deleted_cwd(monkeypatch):
            d = tempfile.mkdtemp()
            monkeypatch.chdir(d)
            os.rmdir(d)
        def test_sys_exit():
            sys.exit(3)
        def test_fail_hostile_assert():
            assert hostile.HashableHostile() in []

        @pytest.mark.parametrize("x", [1, 2, hostile.HashableHostile()], ids=["a", "b", "h"])
        def test_param(x, mod_param):
            assert x != 2 if type(x) is int else True

        class TestClassScoped:
            def test_a(self, class_fix):
                self.shared.append(1)
            def test_b(self, class_fix):
                assert class_fix == "c"

        class TestUnit(unittest.TestCase):
            @classmethod
            def setUpClass(cls):
                cls.conn = object()
            def test_u(self):
                self.assertTrue(True)
            def test_skip(self):
                self.skipTest("no")
            def test_fail(self):
                self.assertEqual(1, 2)

        @pytest.mark.xfail(strict=True)
        def test_xfail():
            assert False

        def doctested():
            '''
            >>> 1 + 1
            2
            '''
    """,
}


def _plain(suite: Suite, *args: str) -> pytest.RunResult:
    return suite.pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def _same_outcomes(suite: Suite, *args: str) -> Run:
    plain = _plain(suite, *args)
    watched = suite.run(*args)
    assert "INTERNALERROR" not in plain.stdout.str() + watched.output
    assert watched.result.parseoutcomes() == plain.parseoutcomes()
    assert watched.result.ret == plain.ret
    assert watched.report is not None  # written and schema-valid (Suite.run validates)
    return watched


def _no_user_dunder_ran(run: Run) -> None:
    """Boom is raised only by the user's own tests (in FAILURES), never by leakwatch."""
    head = run.output.split("= FAILURES =")[0]
    assert "Boom" not in head
    assert "leakwatch internal error" not in run.output
    assert run.report is not None and run.report["errors"] == []
    assert "Boom" not in json.dumps(run.report)
    # The leakwatch section itself (pytest's own summary lines may quote the user's
    # failing assertions, which call the hostile __repr__: that is pytest, not us).
    lines = run.output.splitlines()
    start = next((i for i, line in enumerate(lines) if "= leakwatch =" in line), None)
    if start is not None:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("=")), len(lines))
        assert not any("Boom" in line for line in lines[start:end])


@pytest.mark.parametrize("mode", [
    ("--doctest-modules", "test_hostile.py"),
    ("--import-mode=importlib", "--leakwatch-core=copy-compare", "test_hostile.py"),
], ids=["doctest-version-tag", "importlib-copy-compare"])
def test_hostile_suite_identical_outcomes(suite: Suite, mode: tuple[str, ...]) -> None:
    suite.files(**HOSTILE)
    run = _same_outcomes(suite, *mode)
    run.result.assert_outcomes(passed=20 if "--doctest-modules" in mode else 19, failed=6,
                               skipped=1, xfailed=1)
    _no_user_dunder_ran(run)
    assert run.report is not None and run.report["complete"] is True
    found = {(f["kind"], f["subject"]) for f in run.leaks}
    assert ("attribute", "app.hostile.HOSTILE") in found
    assert ("container", "app.hostile.BIG") in found
    assert ("container", "app.hostile.SELF") in found
    assert ("instance-attribute", "app.hostile.HOLDER.hostile") in found
    assert ("mock", "app.hostile.SPEC_TYPE") in found
    assert ("sys-modules", "sys.modules['lw_obj_mod']") in found
    big = run.find("container", "app.hostile.BIG")[0]
    assert "too large to compare items" in big["change"]
    # Containers whose len/iteration is Python code are not entered: no user code ran.
    assert not any(f["subject"].startswith(("app.hostile.HLIST", "app.hostile.HDICT",
                                            "app.hostile.HSET")) for f in run.leaks)
    assert not run.by_test("test_env_churn") or all(
        f["subject"] == "LW_CHURN" for f in run.by_test("test_env_churn"))


def test_interrupted_sessions_write_incomplete_report(suite: Suite) -> None:
    suite.files(**HOSTILE, **{"test_z_interrupt.py": """
        import os
        def test_leak_then_interrupt():
            os.environ["LW_BEFORE_INTERRUPT"] = "1"
        def test_ctrl_c():
            raise KeyboardInterrupt
        def test_never_runs():
            pass
    """})
    ctrl_c = _same_outcomes(suite, "test_z_interrupt.py")
    assert ctrl_c.result.ret == pytest.ExitCode.INTERRUPTED
    assert ctrl_c.report is not None and ctrl_c.report["complete"] is False
    assert "session interrupted" in ctrl_c.report["incomplete_reasons"]
    assert ctrl_c.find("env", "LW_BEFORE_INTERRUPT")
    for args in (("-x",), ("--maxfail=2",)):
        run = _same_outcomes(suite, *args, "test_hostile.py", "-k", "not big_and_self")
        assert run.report is not None and run.report["complete"] is False
        assert any("stopped early" in r for r in run.report["incomplete_reasons"])


def _report(path: Any) -> dict[str, Any]:
    data = json.loads(path.read_text())
    jsonschema.validate(data, schema())
    return dict(data)


def test_last_failed_and_cacheprovider(suite: Suite) -> None:
    """--lf needs the cache plugin that Suite.run turns off: run these by hand."""
    suite.files(**HOSTILE)
    report = suite.pytester.path / "lf.json"
    first = suite.pytester.runpytest_subprocess("test_hostile.py")  # fills .pytest_cache
    plain = suite.pytester.runpytest_subprocess("--lf", "test_hostile.py")
    watched = suite.pytester.runpytest_subprocess("--lf", "--leakwatch",
                                                  f"--leakwatch-report={report}", "test_hostile.py")
    assert first.ret == plain.ret == watched.ret == 1
    assert plain.parseoutcomes() == watched.parseoutcomes()
    assert "INTERNALERROR" not in watched.stdout.str() + watched.stderr.str()
    data = _report(report)
    assert data["summary"]["tests_run"] == sum(
        n for k, n in plain.parseoutcomes().items() if k in ("passed", "failed", "skipped", "xfailed"))
