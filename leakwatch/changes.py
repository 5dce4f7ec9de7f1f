"""What a probe reports: one state change of one subject, identity-compared."""

from __future__ import annotations

from typing import Any


class _Missing:
    """The value of a subject that does not exist (a deleted key, an absent env var)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


class SeqState(tuple):  # type: ignore[type-arg]
    """A list's items at one moment; equal to another only item by item, by identity."""

    __slots__ = ()


class SetState(tuple):  # type: ignore[type-arg]
    """A set's items at one moment; equal to another when it holds the same objects."""

    __slots__ = ()


def same(a: Any, b: Any) -> bool:
    """Identity comparison, item-wise for container states. Never calls user ``__eq__``."""
    if a is b:
        return True
    ta, tb = type(a), type(b)
    if ta is SeqState and tb is SeqState:
        return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))
    if ta is SetState and tb is SetState:
        return len(a) == len(b) and {id(x) for x in a} == {id(y) for y in b}
    if ta is str and tb is str:  # env values
        return bool(a == b)
    return False


class Change:
    """One subject went from ``before`` to ``after`` since the previous checkpoint.

    ``kind`` is the finding kind it will become. ``version`` is the dict version
    tag seen when the change was found (used to tell in which phase it happened);
    ``container`` says how to describe it (``binding``, ``seq``, ``set``, ``env``,
    ``module``).

    Plain and slotted, not a dataclass: defined at every enabled start-up (a dataclass costs ~0.3 ms).
    """

    __slots__ = ("subject", "kind", "before", "after", "container", "version", "module", "extra")

    def __init__(self, subject: str, kind: str, before: Any, after: Any, container: str = "binding",
                 version: int | None = None, module: str | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        self.subject = subject
        self.kind = kind
        self.before = before
        self.after = after
        self.container = container
        self.version = version
        self.module = module  # the watched module the subject belongs to
        self.extra: dict[str, Any] = {} if extra is None else extra

