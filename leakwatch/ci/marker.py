"""``@pytest.mark.leakwatch(allow=[...], skip=True)``: per-test suppression.

``allow`` takes the same ``kind:subject`` globs as ini ``leakwatch_ignore`` but
only for that test's own findings; ``skip=True`` drops all of them (the test is
still fenced by its own window, so its changes are never blamed on the next
test). Markers are validated after collection, before any test runs: a typo in
a suppression would otherwise silently suppress nothing.
"""

from __future__ import annotations

import fnmatch
from typing import Any

import pytest

from ..findings import KINDS, Finding

MARKER = "leakwatch"


class Rule:
    """The merged ``leakwatch`` markers of one test.

    Plain and slotted, not a dataclass: defined at every enabled start-up (a dataclass costs ~0.3 ms).
    """

    __slots__ = ("skip", "allow")

    def __init__(self, skip: bool = False, allow: list[str] | None = None) -> None:
        self.skip = skip
        self.allow: list[str] = [] if allow is None else allow

    def drops(self, finding: Finding) -> bool:
        if self.skip:
            return True
        key = f"{finding.kind}:{finding.subject}"
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in self.allow)


def _usage(nodeid: str, message: str) -> pytest.UsageError:
    return pytest.UsageError(f"@pytest.mark.leakwatch on {nodeid}: {message}")


def check_pattern(pattern: object, nodeid: str) -> str:
    if not isinstance(pattern, str):
        raise _usage(nodeid, f"allow: {pattern!r} is not a string")
    kind, sep, subject = pattern.partition(":")
    if not sep or not kind or not subject:
        raise _usage(nodeid, f"allow: {pattern!r} is not a kind:subject pattern "
                             "(e.g. 'env:MY_APP_*' or '*:pkg.mod._registry*')")
    if kind != "*" and not any(fnmatch.fnmatchcase(k, kind) for k in KINDS):
        raise _usage(nodeid, f"allow: unknown kind {kind!r} in {pattern!r}; known kinds: "
                     + ", ".join(KINDS))
    if pattern.count("[") != pattern.count("]"):
        raise _usage(nodeid, f"allow: {pattern!r} has an unbalanced '[' ... ']' in its glob")
    return pattern


def _marked(item: pytest.Item, cache: dict[int, bool]) -> bool:
    own = getattr(item, "own_markers", ())
    if own and any(m.name == MARKER for m in own):  # most items have none: no generator
        return True
    parent = item.parent
    key = id(parent)
    hit = cache.get(key)
    if hit is None:
        hit = False
        node = parent
        while node is not None:
            if any(m.name == MARKER for m in getattr(node, "own_markers", ())):
                hit = True
                break
            node = node.parent
        cache[key] = hit
    return hit


def rule_for(item: pytest.Item) -> Rule | None:
    """The merged rule of every ``leakwatch`` marker on the item (UsageError when invalid)."""
    marks = list(item.iter_markers(MARKER))
    if not marks:
        return None
    rule = Rule()
    for mark in marks:
        if mark.args:
            raise _usage(item.nodeid, "takes keyword arguments only: allow=[...], skip=True")
        unknown = set(mark.kwargs) - {"allow", "skip"}
        if unknown:
            raise _usage(item.nodeid, f"unknown argument(s) {', '.join(sorted(unknown))}; "
                                      "expected allow=[...] and/or skip=True")
        skip: Any = mark.kwargs.get("skip", False)
        if not isinstance(skip, bool):
            raise _usage(item.nodeid, f"skip: {skip!r} is not True or False")
        rule.skip = rule.skip or skip
        allow: Any = mark.kwargs.get("allow", [])
        if isinstance(allow, str):
            allow = [allow]
        if not isinstance(allow, (list, tuple)):
            raise _usage(item.nodeid, f"allow: {allow!r} is not a list of kind:subject globs")
        rule.allow.extend(check_pattern(p, item.nodeid) for p in allow)
    return rule


class MarkerFilter:
    """A collector filter: drops a test's findings its marker allows."""

    def __init__(self) -> None:
        self.rules: dict[str, Rule] = {}

    def collect(self, items: list[pytest.Item]) -> None:
        marked: dict[int, bool] = {}  # per parent node: does it carry the marker?
        for item in items:
            if not _marked(item, marked):
                continue  # iter_markers walks the node chain: too slow for every item
            rule = rule_for(item)
            if rule is not None:
                self.rules[item.nodeid] = rule

    def __call__(self, finding: Finding) -> bool:
        if finding.owner.type != "test":
            return False
        rule = self.rules.get(finding.owner.name)
        return rule is not None and rule.drops(finding)
