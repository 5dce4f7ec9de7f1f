"""Outcome-preservation regressions found while running real suites (docs/validation.md).

attrs' ``TestCloudpickleCompat`` failed only under leakwatch: cloudpickle picks its
module reducer from a dispatch table keyed by the *exact* type ``types.ModuleType``,
and a watched module whose ``__class__`` had been swapped for a subclass fell through
to ``cannot pickle 'WatchedModule' object``. Anything that tests ``type(m) is
ModuleType`` is affected the same way.
"""

from __future__ import annotations

from conftest import Suite


def test_watched_modules_keep_their_exact_type(app_suite: Suite) -> None:
    app_suite.files(**{"test_exact.py": """
        import io, pickle, sys, types
        from app import runner

        def test_touch():
            runner.COUNTER = 1  # a write through the module, as any test does

        def test_exact_type_dispatch():
            # cloudpickle's Pickler: reducers looked up by exact type
            buf = io.BytesIO()
            pickler = pickle.Pickler(buf)
            pickler.dispatch_table = {types.ModuleType: lambda m: (__import__, (m.__name__,))}
            pickler.dump(runner)
            assert type(runner) is types.ModuleType
            assert type(sys.modules["test_exact"]) is types.ModuleType
    """})
    plain = app_suite.pytester.runpytest_subprocess("-p", "no:cacheprovider")
    run = app_suite.run()
    assert plain.parseoutcomes() == {"passed": 2}
    assert run.result.parseoutcomes() == plain.parseoutcomes(), run.output
