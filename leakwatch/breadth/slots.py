"""A slot: one process-wide value, read cheaply, compared, described and put back.

Most process-wide surfaces are one value behind a C call or a module attribute
(``os.getcwd()``, ``sys.stdout``, ``signal.getsignal(SIGTERM)``). Each is a
:class:`Slot`; :class:`~leakwatch.breadth.surfaces.SlotProbe` reads them all at
each boundary. How a slot compares says what a change is:

* ``"is"`` -- identity (objects: streams, hooks, handlers, policies);
* ``"eq"`` -- equality of values leakwatch itself built from builtin scalars
  (strings, ints, tuples of them), never user objects;
* ``"seq"`` -- a list read by identity item by item (``sys.path``), kept as a
  :class:`~leakwatch.changes.SeqState`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from ..changes import SeqState

_is = operator.is_


class Slot:
    """One process-wide value and how to read, compare, describe and put it back.

    Plain and slotted, not a dataclass: defined at every enabled start-up (a dataclass costs ~0.3 ms).
    """

    __slots__ = ("subject", "kind", "read", "mode", "restore", "describe", "at_marks", "detail",
                 "source", "silent_if", "benign", "quiet_entry")

    def __init__(self, subject: str, kind: str, read: Callable[[], Any], mode: str = "is",
                 restore: Callable[[Any], None] | None = None,
                 describe: Callable[[Any, Any], str] | None = None, at_marks: bool = True,
                 detail: dict[str, Any] | None = None, source: tuple[Any, str] | None = None,
                 silent_if: Callable[[Any], bool] | None = None,
                 benign: Callable[[Any, Any], bool] | None = None,
                 quiet_entry: Callable[[Any], tuple[Any, str, Any, Any] | None] | None = None
                 ) -> None:
        self.subject = subject
        self.kind = kind
        self.read = read
        self.mode = mode  # "is" | "eq" | "seq"
        self.restore = restore
        self.describe = describe
        #: Read at phase boundaries too (to date the change); off for the costlier reads.
        self.at_marks = at_marks
        self.detail: dict[str, Any] = {} if detail is None else detail
        #: ``(module, attribute)`` when the value is a plain module attribute: such slots are
        #: read together, one ``operator.attrgetter`` call per module.
        self.source = source
        #: A change to this value is bookkeeping, not anyone's leak (children all waited for).
        self.silent_if = silent_if
        #: ``(before, after) -> bool``: a change that is a library's own doing, not a leak
        #: (an import hook a third-party package installs when first imported).
        self.benign = benign
        #: ``(value the last poll read) -> entry | None``: a ``same_reads`` entry (source,
        #: mode, expected, state) that holds only while :attr:`read` would still answer that
        #: value, read without a Python call (the collector's quiet check runs per test);
        #: None: the check calls :attr:`read`.
        self.quiet_entry = quiet_entry



def seq_state(value: Any) -> Any:
    """A list's items by identity (exact ``list`` only; anything else is kept as is)."""
    if type(value) is list:
        return SeqState(list.copy(value))
    return value


def seq_same(value: Any, state: Any, obj: Any) -> bool:
    """``value`` (a list read now) holds the same objects as ``state``, and is ``obj``."""
    if value is not obj:
        return False
    if type(value) is not list or type(state) is not SeqState:
        return value is state
    return len(value) == len(state) and all(map(_is, value, state))


def put_back_list(owner: Any, attr: str, original: Any) -> Callable[[Any], None]:
    """A restore for ``owner.attr`` (a list): rebind the original object, then refill it."""

    def restore(before: Any) -> None:
        if getattr(owner, attr) is not original:
            setattr(owner, attr, original)
        if type(before) is SeqState and type(original) is list:
            original[:] = list(before)

    return restore
