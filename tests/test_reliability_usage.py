"""Bad options, ini values and files: a usage error (exit 4) before any test, never a traceback.

The message names the option and says how to fix it. Complements
test_reporting.py::test_bad_settings_are_usage_errors (ignore, targets, depth, modules).
"""

from __future__ import annotations

import os

import pytest
from conftest import Suite

TEST = {"test_one.py": "import os\n\ndef test_one():\n    os.environ['LW_USAGE_RAN'] = '1'\n"}


@pytest.mark.parametrize(("args", "ini", "message"), [
    (("--leakwatch-report=adir",), "", "--leakwatch-report: 'adir' is a directory"),
    (("--leakwatch-report=nodir/sub/r.json",), "", "--leakwatch-report: cannot write"),
    ((), "leakwatch_report = adir", "'adir' is a directory; give a file path"),
    (("--leakwatch-core=fast",), "", "--leakwatch-core"),
    ((), "leakwatch_core = fast", "leakwatch_core: 'fast' is not one of"),
    ((), "leakwatch_depth = 9", "leakwatch_depth: '9' is not a whole number from 0 to 6"),
    ((), "leakwatch_ignore = env:[A", "unbalanced"),
    ((), "leakwatch_targets = 1app:x", "leakwatch_targets: '1app:x' is not of the form"),
    (("--leakwatch-bogus",), "", "unrecognized arguments: --leakwatch-bogus"),
    (("--leakwatch-baseline=missing.json", "--leakwatch-fail"), "",
     "--leakwatch-baseline: '{path}/missing.json' does not exist; create it with "
     "--leakwatch-update-baseline"),
    ((), "leakwatch_baseline = missing.json", "'{path}/missing.json' does not exist"),
    (("--leakwatch-baseline=bad.json",), "", "is not valid JSON"),
    (("--leakwatch-baseline=adir",), "", "--leakwatch-baseline: cannot read"),
    (("--leakwatch-sarif=adir",), "", "--leakwatch-sarif: '{path}/adir' is a directory"),
    (("--leakwatch-sarif=nodir/x.sarif",), "", "--leakwatch-sarif: cannot write"),
])
def test_usage_errors(suite: Suite, args: tuple[str, ...], ini: str, message: str) -> None:
    suite.files(**TEST, **{"bad.json": "{not json", "adir/keep.txt": ""})
    if ini:
        suite.files(**{"pytest.ini": f"[pytest]\n{ini}\n"})
    result = suite.pytester.runpytest_subprocess("--leakwatch", "-p", "no:cacheprovider", *args)
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, output
    assert message.format(path=suite.pytester.path) in output
    assert "Traceback" not in output and "INTERNALERROR" not in output
    assert "test_one" not in output.replace("test_one.py", "")  # no test ran
    assert "LW_USAGE_RAN" not in os.environ


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to any directory")
def test_unwritable_report_dir(suite: Suite) -> None:
    locked = suite.pytester.path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = suite.files(**TEST).pytester.runpytest_subprocess(
            "--leakwatch", f"--leakwatch-report={locked / 'r.json'}")
    finally:
        locked.chmod(0o700)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--leakwatch-report: cannot write" in result.stderr.str()


def test_update_baseline_creates_missing_file(suite: Suite) -> None:
    """The fix the missing-baseline message suggests works."""
    suite.files(**TEST)
    result = suite.pytester.runpytest_subprocess(
        "--leakwatch", "-p", "no:cacheprovider", "--leakwatch-baseline=new.json",
        "--leakwatch-update-baseline")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    assert (suite.pytester.path / "new.json").exists()
