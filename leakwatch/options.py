"""Command-line options and ini settings, validated once at start-up.

A bad value is a :class:`pytest.UsageError` (exit code 4) naming the option and
the fix, raised before any test runs.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

import pytest

from .kinds import KINDS


def addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("leakwatch", "leakwatch: find tests that leak state")
    group.addoption("--leakwatch", action="store_true", default=None,
                    help="Fingerprint state around every test and report what leaked.")
    group.addoption("--leakwatch-report", metavar="PATH", default=None,
                    help="Write the JSON leak report to PATH (atomically).")
    group.addoption("--leakwatch-fail", action="store_true", default=None,
                    help="Exit non-zero when any finding of severity 'leak' exists.")
    group.addoption("--leakwatch-show-values", action="store_true", default=False,
                    help="Show env values in clear in reports (secret-looking keys stay masked).")
    group.addoption("--leakwatch-core", default=None,
                    choices=("auto", "dict-watcher", "version-tag", "copy-compare"),
                    help="Change-detection core (default auto: dict watchers on 3.12+, version "
                         "tags on 3.11, identity copies elsewhere).")
    parser.addini("leakwatch", "Enable leakwatch (like --leakwatch).", type="bool", default=False)
    parser.addini("leakwatch_fail", "Fail the run on leaks (like --leakwatch-fail).", type="bool",
                  default=False)
    parser.addini("leakwatch_report", "Path of the JSON leak report.", default="")
    parser.addini("leakwatch_modules", "Extra module-name globs to watch (e.g. osiris.*).",
                  type="linelist", default=[])
    parser.addini("leakwatch_ignore", "kind:subject globs of findings to ignore.",
                  type="linelist", default=[])
    parser.addini("leakwatch_targets", "Critical targets module:attr, checked at every boundary.",
                  type="linelist", default=[])
    parser.addini("leakwatch_depth", "How deep to follow objects from watched globals (default 2).",
                  default="2")
    parser.addini("leakwatch_core", "Change-detection core: auto, dict-watcher, version-tag or copy-compare.",
                  default="auto")


class Options:
    """Every setting, validated (made by :func:`parse`, when leakwatch is enabled).

    A plain class, not a dataclass: this module is imported by every pytest session where
    leakwatch is installed, and defining a dataclass costs that session about 0.4 ms.
    """

    __slots__ = ("enabled", "report", "fail", "show_values", "modules", "ignore", "targets",
                 "depth", "core")

    def __init__(self, enabled: bool = False, report: Path | None = None, fail: bool = False,
                 show_values: bool = False, modules: list[str] | None = None,
                 ignore: list[str] | None = None, targets: list[tuple[str, str]] | None = None,
                 depth: int = 2, core: str = "auto") -> None:
        self.enabled = enabled
        self.report = report
        self.fail = fail
        self.show_values = show_values
        self.modules: list[str] = [] if modules is None else modules
        self.ignore: list[str] = [] if ignore is None else ignore
        self.targets: list[tuple[str, str]] = [] if targets is None else targets
        self.depth = depth
        self.core = core


def is_enabled(config: pytest.Config) -> bool:
    flag = config.getoption("leakwatch", None)
    return bool(flag) or bool(config.getini("leakwatch"))


def parse(config: pytest.Config) -> Options:
    """Read and validate everything; raise UsageError on the first bad value."""
    opts = Options(enabled=is_enabled(config))
    opts.fail = bool(config.getoption("leakwatch_fail", None) or config.getini("leakwatch_fail"))
    opts.show_values = bool(config.getoption("leakwatch_show_values", False))
    report = config.getoption("leakwatch_report", None) or config.getini("leakwatch_report")
    if report:
        path = Path(report)
        if not path.is_absolute():
            path = Path(config.invocation_params.dir) / path
        parent = path.parent
        if path.is_dir():
            raise pytest.UsageError(
                f"--leakwatch-report: {report!r} is a directory; give a file path such as leaks.json")
        if not parent.is_dir() or not os.access(parent, os.W_OK):
            raise pytest.UsageError(
                f"--leakwatch-report: cannot write {str(path)!r}: directory {str(parent)!r} does not "
                "exist or is not writable; create it or choose another path")
        opts.report = path
    opts.modules = [m.strip() for m in config.getini("leakwatch_modules") if m.strip()]
    for pattern in opts.modules:
        _check_glob("leakwatch_modules", pattern)
    for pattern in config.getini("leakwatch_ignore"):
        pattern = pattern.strip()
        if not pattern:
            continue
        kind, sep, subject = pattern.partition(":")
        if not sep or not subject:
            raise pytest.UsageError(
                f"leakwatch_ignore: {pattern!r} is not a kind:subject pattern "
                "(e.g. 'env:MY_APP_*' or '*:pkg.mod._registry*')")
        if not any(fnmatch.fnmatchcase(k, kind) for k in KINDS) and kind != "*":
            raise pytest.UsageError(
                f"leakwatch_ignore: unknown kind {kind!r} in {pattern!r}; known kinds: "
                + ", ".join(KINDS))
        _check_glob("leakwatch_ignore", pattern)
        opts.ignore.append(pattern)
    for target in config.getini("leakwatch_targets"):
        target = target.strip()
        if not target:
            continue
        module, sep, attr = target.partition(":")
        if not sep or not module or not attr or not all(p.isidentifier() for p in attr.split(".")) \
                or not all(p.isidentifier() for p in module.split(".")):
            raise pytest.UsageError(
                f"leakwatch_targets: {target!r} is not of the form package.module:attribute "
                "(e.g. 'app.runner:log_event')")
        opts.targets.append((module, attr))
    depth = str(config.getini("leakwatch_depth")).strip()
    if not depth.isdigit() or not 0 <= int(depth) <= 6:
        raise pytest.UsageError(f"leakwatch_depth: {depth!r} is not a whole number from 0 to 6")
    opts.depth = int(depth)
    core = config.getoption("leakwatch_core", None) or str(config.getini("leakwatch_core")).strip()
    if core not in ("auto", "dict-watcher", "version-tag", "copy-compare"):
        raise pytest.UsageError(
            f"leakwatch_core: {core!r} is not one of auto, dict-watcher, version-tag, copy-compare")
    opts.core = core
    return opts


def _check_glob(option: str, pattern: str) -> None:
    if pattern.count("[") != pattern.count("]"):
        raise pytest.UsageError(f"{option}: {pattern!r} has an unbalanced '[' ... ']' in its glob")
