"""Regression tests for the false-positive classes found on real suites (docs/validation.md).

Each class is planted next to the true leak it must not hide, in one inner run:
the false positive must be gone and its look-alike leak must still be reported.
"""

from __future__ import annotations

import json

from conftest import Run, Suite

LIB = {
    "lib/__init__.py": "",
    "lib/core.py": """
        import sys, types, weakref

        class LazyDescr:
            # six.moves' _LazyDescr: resolves, stores the value, deletes itself from the class.
            def __init__(self, name):
                self.name = name
            def __get__(self, obj, tp):
                result = 42
                setattr(obj, self.name, result)
                try:
                    delattr(obj.__class__, self.name)
                except AttributeError:
                    pass
                return result

        class Moves(types.ModuleType):  # six.moves is a module object
            lazy_thing = LazyDescr("lazy_thing")
            plain = 1

        class reify:
            # pyramid's reify / Django's cached_property: a non-data descriptor in Python.
            def __init__(self, fn):
                self.fn = fn
                self.name = fn.__name__
            def __get__(self, obj, tp):
                if obj is None:
                    return self
                value = obj.__dict__[self.name] = self.fn(obj)
                return value

        class Service:
            def __init__(self):
                self.ready = True
            @reify
            def connection(self):
                return object()
            def send(self):
                return 1

        class CountingAttr:
            cls_counter = 0  # attrs' creation counter
            def __init__(self):
                CountingAttr.cls_counter += 1

        LIMIT = 5
        _GLOBAL_MODULES_CACHE = {}
        internal_code = set()
        HANDLERS = []

        def internalcode(fn):
            internal_code.add(fn.__code__)
            return fn

        class Settings:
            def __init__(self, debug=False):
                self.debug = debug
                self.ignore = ["threading", "queue"]

        settings = Settings()

        def reset_config():
            global settings
            settings = Settings()

        moves = Moves("lib.moves")
        import argparse
        THIRD = argparse.Namespace(public=0, validate_called={})  # a class from outside
        service = Service()

        def weak_module(name):
            mod = types.ModuleType(name)
            sys.modules[name] = weakref.proxy(mod, lambda _: sys.modules.pop(name, None))
            return mod
    """,
}

TESTS = {"test_fp.py": """
    import gc, unittest
    from unittest import mock
    import pytest
    from lib import core

    KEEP = []

    def test_lazy_descriptor_deletes_itself():
        assert core.moves.lazy_thing == 42
    def test_class_attribute_deleted_for_real():
        del core.Moves.plain

    def test_reify_fills_instance():
        assert core.service.connection is core.service.connection
    def test_method_shadowed_by_mock():
        core.service.send = mock.MagicMock()

    def test_library_counter():
        core.CountingAttr(); core.CountingAttr()
    def test_config_int_raised():
        core.LIMIT = 100

    def test_upper_case_cache():
        core._GLOBAL_MODULES_CACHE["m"] = (1, 2)

    def test_code_registry():
        def f():
            pass
        core.internalcode(f)
    def test_handler_registry():
        core.HANDLERS.append(lambda: None)

    def test_reset_config():
        core.reset_config()
    def test_configure_and_reset():
        core.settings = core.Settings(debug=True)
        core.reset_config()
    def test_configure():
        core.settings = core.Settings(debug=True)
        core.settings.ignore.append("x")
    def test_configure_and_leave():
        core.settings = core.Settings(debug=True)

    def test_third_party_private():
        core.THIRD._SearchStrategy__label = 3
        core.THIRD.validate_called[12345] = True  # hypothesis strategies' per-thread memo
    def test_third_party_public():
        core.THIRD.public = 1
    def test_third_party_private_mock():
        core.THIRD._client = mock.Mock()

    def test_weak_module_created():
        KEEP.append(core.weak_module("lw_weak_tpl"))
    def test_weak_module_collected():
        KEEP.clear()
        gc.collect()

    class TestUnit(unittest.TestCase):
        @classmethod
        def setUpClass(cls):
            pass
        def test_u(self):
            pass

    @pytest.fixture(scope="class")
    def shared(request):
        request.cls.items = []
        yield

    @pytest.mark.usefixtures("shared")
    class TestShared:
        def test_append(self):
            self.items.append(1)
"""}


def _run(app: Suite, *args: str) -> Run:
    run = app.files(**LIB, **TESTS).run("-v", *args)
    run.result.assert_outcomes(passed=20)
    assert run.report is not None and run.report["complete"] is True
    return run


def _check(run: Run) -> None:
    subjects = {(f["test"].rpartition("::")[2], f["subject"]): f for f in run.leaks}
    tests = {t for t, _ in subjects}
    # False positives: gone.
    for clean in ("test_lazy_descriptor_deletes_itself", "test_reify_fills_instance",
                  "test_upper_case_cache", "test_code_registry", "test_reset_config",
                  "test_configure_and_reset", "test_u", "test_third_party_private"):
        assert clean not in tests, [f for f in run.leaks if f["test"].endswith(clean)]
    assert ("test_weak_module_collected", "sys.modules['lw_weak_tpl']") not in subjects
    assert not any("TestUnit" in f["test"] or "tearDown_exceptions" in f["subject"] for f in run.leaks)
    assert "SeqState" not in json.dumps(run.report) + run.output
    # The counter is kept as info: visible, never a leak.
    counter = subjects[("test_library_counter", "lib.core.CountingAttr.cls_counter")]
    assert counter["severity"] == "info" and counter["change"] == "0 -> 2 (counter advanced)"
    # Their look-alikes: still leaks.
    assert subjects[("test_class_attribute_deleted_for_real", "lib.core.Moves.plain")]["severity"] \
        == "leak"
    assert subjects[("test_method_shadowed_by_mock", "lib.core.service.send")]["kind"] == "mock"
    assert subjects[("test_config_int_raised", "lib.core.LIMIT")]["change"] == "5 -> 100"
    assert ("test_handler_registry", "lib.core.HANDLERS") in subjects
    assert ("test_third_party_public", "lib.core.THIRD.public") in subjects
    assert subjects[("test_third_party_private_mock", "lib.core.THIRD._client")]["kind"] == "mock"
    assert ("test_configure", "lib.core.settings") in subjects
    assert ("test_configure_and_leave", "lib.core.settings") in subjects
    assert ("test_weak_module_created", "sys.modules['lw_weak_tpl']") in subjects


def test_false_positive_classes_version_tag(suite: Suite) -> None:
    _check(_run(suite))


def test_false_positive_classes_copy_compare(suite: Suite) -> None:
    _check(_run(suite, "--leakwatch-core=copy-compare"))


def test_library_import_hook_is_not_a_leak(suite: Suite) -> None:
    """toolz's ``tlz`` installs a meta_path finder when first imported: the package's doing
    (outside the rootdir here; the same holds inside it). A finder a test installs is a leak."""
    suite.files(**{
        "pytest.ini": "[pytest]\npythonpath = site-packages\n",
        "site-packages/libhook/__init__.py": """
            import sys

            class LibFinder:
                def find_spec(self, name, path, target=None):
                    return None

            sys.meta_path.append(LibFinder())
        """,
        "test_hooks.py": """
            import sys

            class OwnFinder:
                def find_spec(self, name, path, target=None):
                    return None

            def test_first_import_of_library():
                import libhook  # noqa: F401
            def test_own_finder():
                sys.meta_path.append(OwnFinder())
        """,
    })
    run = suite.run()
    run.result.assert_outcomes(passed=2)
    assert not run.by_test("test_first_import_of_library"), run.leaks
    own = run.by_test("test_own_finder")
    assert own and own[0]["subject"] == "sys.meta_path"


def test_project_import_hook_at_first_import_is_not_a_leak(suite: Suite) -> None:
    """The same when the package is project code under the rootdir (toolz's own suite)."""
    suite.files(**{
        "hookpkg/__init__.py": """
            import sys

            class PkgFinder:
                def find_spec(self, name, path, target=None):
                    return None

            sys.meta_path.append(PkgFinder())

            def install():
                sys.meta_path.append(PkgFinder())
        """,
        "test_pkg.py": """
            def test_first_import():
                import hookpkg  # noqa: F401
            def test_installs_explicitly():
                import hookpkg
                hookpkg.install()
        """,
    })
    run = suite.run()
    run.result.assert_outcomes(passed=2)
    assert not run.by_test("test_first_import"), run.leaks
    assert run.by_test("test_installs_explicitly")
