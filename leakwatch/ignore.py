"""What is not worth reporting: cache-like names and user ``kind:subject`` globs.

Default ignore list (documented in docs/configuration.md):

* attribute names matching ``*cache*`` (and ``*Cache*``, ``*CACHE*``), ``*_memo*``,
  ``_abc_*``, ``*__pytest*``, ``_pytest*``, ``__warningregistry__``, ``__slotnames__``,
  ``__abstractmethods__``, ``_value2member_map_``, ``tearDown_exceptions``,
  ``validate_called`` -- state that Python, ``abc``, ``enum``, ``copyreg``, ``unittest``,
  hypothesis (its strategies' per-thread memo), pytest
  or the code itself fills lazily, whose growth never changes behaviour;
* the env var ``PYTEST_CURRENT_TEST``, which pytest itself sets around each test.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable

DEFAULT_IGNORED_NAMES = (
    "*cache*",
    "*Cache*",
    "*CACHE*",
    "*_memo*",
    "_abc_*",
    "*__pytest*",
    "_pytest*",
    "__warningregistry__",
    "__slotnames__",
    "__abstractmethods__",
    "_value2member_map_",
    "_member_map_",
    "__protocol_attrs__",
    "__non_callable_proto_members__",
    "_is_runtime_protocol",
    "tearDown_exceptions",
    "validate_called",
)

DEFAULT_IGNORED_SUBJECTS = ("env:PYTEST_CURRENT_TEST",)


def _compile(patterns: Iterable[str]) -> re.Pattern[str] | None:
    parts = [fnmatch.translate(p) for p in patterns]
    return re.compile("|".join(parts)) if parts else None


_WILDCARDS = frozenset("*?[")


def _split_simple(patterns: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...],
                                                      tuple[str, ...], list[str]]:
    """The patterns as exact names, prefixes (``x*``) and substrings (``*x*``), which
    ``str`` methods match in C, and the rest (for a regex).

    The alternation of translated globs backtracks over each name once per ``*x*`` pattern
    (~8 k instructions a name: ~400 unique names at start-up on 200 modules); the same
    tests as ``in``/``startswith`` cost a few hundred. Same answers: fnmatch's ``*`` is any
    run of characters, and matching is case-sensitive in both.
    """
    exact: set[str] = set()
    prefixes: list[str] = []
    parts: list[str] = []
    rest: list[str] = []
    for p in patterns:
        inner = p[1:-1] if len(p) > 2 and p[0] == "*" and p[-1] == "*" else None
        if not _WILDCARDS & set(p):
            exact.add(p)
        elif inner is not None and not _WILDCARDS & set(inner):
            parts.append(inner)
        elif p.endswith("*") and not _WILDCARDS & set(p[:-1]):
            prefixes.append(p[:-1])
        else:
            rest.append(p)
    return frozenset(exact), tuple(prefixes), tuple(parts), rest


class IgnoreRules:
    """Matches attribute names (cheap, applied while walking) and findings (by glob)."""

    def __init__(self, user_patterns: Iterable[str] = (), use_defaults: bool = True) -> None:
        self.user_patterns = tuple(user_patterns)
        names = DEFAULT_IGNORED_NAMES if use_defaults else ()
        self._exact, self._prefixes, self._parts, rest = _split_simple(names)
        self._names = _compile(rest)
        subjects = (DEFAULT_IGNORED_SUBJECTS if use_defaults else ()) + self.user_patterns
        self._subjects = _compile(subjects)
        self._name_cache: dict[str, bool] = {}

    def name(self, name: str) -> bool:
        """True when an attribute of this name is cache-like noise."""
        hit = self._name_cache.get(name)
        if hit is None:
            hit = (name in self._exact or name.startswith(self._prefixes)
                   or any(map(name.__contains__, self._parts))
                   or bool(self._names and self._names.match(name)))
            if len(self._name_cache) < 100_000:
                self._name_cache[name] = hit
        return hit

    def finding(self, kind: str, subject: str) -> bool:
        return bool(self._subjects and self._subjects.match(f"{kind}:{subject}"))
