"""The likely origin of a leak, read from the test's own code when nothing recorded it live.

Patches, reloads and env writes are recorded as they happen (``interceptors``). A plain
``runner.log_event = MagicMock()``, ``global COUNTER``, ``REGISTRY["k"] = v`` or
``settings.items.append(x)`` in a test or its fixtures is not: for those, the bytecode of
the owner's functions (the test function, then its fixtures) is searched for an
instruction that writes that name. Nothing runs: ``dis`` reads code objects only, and the
search happens only for findings that lack an origin.
"""

from __future__ import annotations

import dis
import types
from collections.abc import Iterable

from .findings import Origin

_WRITES = frozenset({"STORE_ATTR", "DELETE_ATTR", "STORE_GLOBAL", "DELETE_GLOBAL", "STORE_NAME",
                     "DELETE_NAME"})
_LOADS = frozenset({"LOAD_ATTR", "LOAD_GLOBAL", "LOAD_NAME", "LOAD_METHOD", "LOAD_FAST",
                    "LOAD_DEREF"})
_MUTATORS = frozenset({"append", "extend", "insert", "add", "update", "setdefault", "pop",
                       "popitem", "remove", "discard", "clear", "__setitem__", "__delitem__"})
#: ``setattr(obj, "name", v)``, ``monkeypatch.setattr(...)``, ``patch.object(obj, "name")``.
_SETTERS = frozenset({"setattr", "delattr", "setitem", "delitem", "object", "setenv", "delenv"})
_SUBSCR = frozenset({"STORE_SUBSCR", "DELETE_SUBSCR"})


def _codes(code: types.CodeType, depth: int = 0) -> Iterable[types.CodeType]:
    yield code
    if depth < 3:
        for const in code.co_consts:
            if type(const) is types.CodeType:
                yield from _codes(const, depth + 1)


def _line(instr: dis.Instruction, fallback: int) -> int:
    positions = getattr(instr, "positions", None)
    lineno = getattr(positions, "lineno", None) if positions is not None else None
    return int(lineno) if type(lineno) is int else fallback


def find(codes: Iterable[types.CodeType], name: str | None, key: object = None,
         mutated: bool = False) -> Origin | None:
    """The first instruction in ``codes`` that writes attribute/global ``name``, stores
    ``key`` by subscript, or (``mutated``) calls a mutating method on ``name``."""
    for top in codes:
        for code in _codes(top):
            instrs = list(dis.get_instructions(code))
            line = code.co_firstlineno
            for i, instr in enumerate(instrs):
                line = _line(instr, line)
                if name is not None and instr.opname in _WRITES and instr.argval == name:
                    return Origin(code.co_filename, line, code.co_qualname)
                if key is not None and instr.opname in _SUBSCR and i > 0:
                    prev = instrs[i - 1]
                    if prev.opname in ("LOAD_CONST", "RETURN_CONST") and type(prev.argval) is type(key) \
                            and prev.argval == key:
                        return Origin(code.co_filename, line, code.co_qualname)
                if name is not None and instr.opname == "LOAD_CONST" and instr.argval == name and any(
                        p.opname in _LOADS and p.argval in _SETTERS for p in instrs[max(0, i - 3):i]):
                    return Origin(code.co_filename, line, code.co_qualname)  # setattr(obj, "name", v)
                if mutated and name is not None and instr.opname in _LOADS and instr.argval == name:
                    for nxt in instrs[i + 1:i + 3]:
                        if nxt.opname in _LOADS and nxt.argval in _MUTATORS:
                            return Origin(code.co_filename, _line(nxt, line), code.co_qualname)
    return None


def function_code(obj: object) -> types.CodeType | None:
    """The code of a plain function or bound method, without touching user attributes."""
    if type(obj) is types.MethodType:
        obj = obj.__func__
    if type(obj) is types.FunctionType:
        return obj.__code__
    return None
