"""Which outstanding leaks matter to a failing test: ranked by what its code touches.

A failing test may have run with dozens of outstanding leaks; the one that broke it
is usually on a name its code used. Knowing that exactly would need tracing; we
get most of it cheaply, and only when a test fails:

- the code objects that ran: the test function, the frames of the failure's
  traceback, and one level of functions the test reaches through its module's
  globals (``runner.run_job`` -> ``run_job``'s own names; a local helper's too). Their ``co_names``
  are the global and attribute names they use; their string constants are the
  env keys they mention;
- the modules involved: the test module's imports, the modules of those frames.

Everything is read through C attributes of code, function and frame objects and
``dict.get`` on exact-``str`` keys: no user code runs (see :mod:`leakwatch.safe`).
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass, field
from typing import Any

import pytest

from .. import safe
from ..findings import KIND_ORDER, Finding
from .ledger import Outstanding

#: Upper bound on code objects read for one failure (keeps a failure cheap).
MAX_CODES = 300
#: How many times names are resolved through the test module's globals: the test's own
#: names, then those of the helpers it calls (``helper()`` -> ``runner.log_event``).
REACH_LEVELS = 2
#: Frames of the machinery around a test, not the code under test: their names say nothing.
RUNNER_MODULES = ("_pytest.", "pytest", "pluggy", "leakwatch.", "unittest.mock", "wrapt")

#: Relevance levels: 3 the code that ran uses the leaked name; 2 it uses the module;
#: 1 process-wide state any code may read, or a module its test module imports;
#: 0 nothing links them.
USES_NAME, USES_MODULE, PROCESS_WIDE, UNRELATED = 3, 2, 1, 0

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Usage:
    """What the failing test's code touched, as names and module names."""

    names: set[str] = field(default_factory=set)
    strings: set[str] = field(default_factory=set)
    modules: set[str] = field(default_factory=set)
    imported: set[str] = field(default_factory=set)  # by the test module, maybe unused
    test_module: str | None = None
    _codes: int = 0

    def add_code(self, code: Any, module: str | None) -> None:
        if type(code) is not types.CodeType or self._codes >= MAX_CODES:
            return
        self._codes += 1
        if module:
            self.modules.add(module)
        self.names.update(n for n in code.co_names if type(n) is str)
        for const in code.co_consts:
            if type(const) is str and len(const) <= 200:
                self.strings.add(const)
            elif type(const) is types.CodeType:
                self.add_code(const, None)


@dataclass
class Ranked:
    """One suspect: a polluter's finding on an outstanding subject, with why it matters."""

    entry: Outstanding
    finding: Finding
    score: int
    reason: str

    def sort_key(self) -> tuple[int, int, int, int, str]:
        return (-self.score, 0 if self.finding.critical else 1, KIND_ORDER.get(self.finding.kind, 99),
                -self.entry.serial, self.finding.subject)


def _function_code(fn: Any) -> tuple[Any, str | None, dict[str, Any] | None]:
    """A plain function's code, module name and globals, unwrapping methods and wraps."""
    for _ in range(5):
        if type(fn) is types.MethodType:
            fn = fn.__func__
        elif type(fn) in (classmethod, staticmethod):
            fn = fn.__func__
        elif type(fn) is types.FunctionType:
            fdict = safe.instance_dict(fn) or {}
            inner = fdict.get("__wrapped__")
            if type(inner) is types.FunctionType:
                fn = inner
                continue
            glb = fn.__globals__
            name = glb.get("__name__") if type(glb) is dict else None
            return fn.__code__, name if type(name) is str else None, glb if type(glb) is dict else None
        else:
            break
    return None, None, None


def _reach(usage: Usage, names: set[str], glb: dict[str, Any]) -> None:
    """Functions the test reaches through its module's globals (one call level)."""
    attrs = set(usage.names)
    for name in list(names):
        value = glb.get(name)
        if value is None:
            continue
        if safe.is_module(value):
            ns = safe.module_dict(value) or {}
            modname = ns.get("__name__")
            if type(modname) is str:
                usage.modules.add(modname)
            for attr in attrs:
                code, module, _ = _function_code(ns.get(attr))
                usage.add_code(code, module)
        elif safe.is_class(value):
            module = safe.defining_module(value)
            if module:
                usage.modules.add(module)
            for klass in safe.mro(value):
                cns = safe.class_namespace(klass)
                if cns is None:
                    continue
                for attr in attrs:
                    code, fmodule, _ = _function_code(cns.get(attr))
                    usage.add_code(code, fmodule)
        else:
            code, module, _ = _function_code(value)
            usage.add_code(code, module)


def usage_of(item: Any, excinfo: Any) -> Usage:
    """What the failing test touched: its function, its traceback, one level beyond."""
    usage = Usage()
    # Only pytest's own Function items: a plugin's custom item may compute ``obj`` itself.
    code, module, glb = _function_code(item.obj if isinstance(item, pytest.Function) else None)
    usage.test_module = module
    usage.add_code(code, module)
    tb = getattr(excinfo, "tb", None) if excinfo is not None else None
    while type(tb) is types.TracebackType:  # fixtures and code the failure went through
        frame = tb.tb_frame
        fglobals = frame.f_globals
        name = fglobals.get("__name__") if type(fglobals) is dict else None
        if type(name) is str and not name.startswith(RUNNER_MODULES):
            usage.add_code(frame.f_code, name)
        tb = tb.tb_next
    if glb is not None:
        for key, value in list(glb.items()):
            if type(key) is str and safe.is_module(value):
                ns = safe.module_dict(value) or {}
                modname = ns.get("__name__")
                if type(modname) is str:
                    usage.imported.add(modname)
            elif type(key) is str and safe.is_class(value):
                defined = safe.defining_module(value)
                if defined and defined != module:
                    usage.imported.add(defined)
        resolved: set[str] = set()
        for _level in range(REACH_LEVELS):
            fresh = usage.names - resolved
            resolved |= fresh
            _reach(usage, fresh, glb)
    return usage


def _path_names(entry: Outstanding) -> list[str]:
    """The identifiers of a subject's path below its module, bracketed keys left out."""
    rest = entry.subject
    if entry.module and rest.startswith(entry.module + "."):
        rest = rest[len(entry.module) + 1:]
    rest = re.sub(r"\[[^\]]*\]", "", rest)
    return _IDENT.findall(rest)


def score(entry: Outstanding, finding: Finding, usage: Usage) -> tuple[int, str]:
    """How strongly the failing test's code is linked to this outstanding leak, and why."""
    kind = entry.kind
    if kind == "env":
        if entry.subject in usage.strings:
            return USES_NAME, f"its code mentions env key {entry.subject}"
        return PROCESS_WIDE, "process environment"
    if kind == "reload":
        module = entry.subject
        test_module = usage.test_module or ""
        stale = finding.detail.get("stale_bindings") or []
        held = [s.partition(" ")[0][len(test_module) + 1:] for s in stale
                if test_module and type(s) is str and s.startswith(test_module + ".")]
        used = [name for name in held if name in usage.names]
        if used:
            return USES_NAME, f"it uses {used[0]}, a pre-reload object of {module}"
        if held:
            return PROCESS_WIDE, f"its module holds pre-reload objects of {module}"
        if module in usage.modules:
            return USES_NAME, f"it uses the reloaded module {module}"
        if module in usage.imported:
            return PROCESS_WIDE, f"its module imports the reloaded module {module}"
        return UNRELATED, ""
    if kind == "sys-modules":
        inner = re.findall(r"sys\.modules\['([^']*)'\]", entry.subject)
        name = inner[0] if inner else ""
        if name and (name in usage.modules or name.split(".")[0] in usage.names):
            return USES_NAME, f"it imports {name}"
        return PROCESS_WIDE, "sys.modules"
    names = _path_names(entry)
    wanted = [n for n in (names[-1:] + names[:1]) if n in usage.names] if names else []
    module_hit = entry.module is not None and entry.module in usage.modules
    if wanted and module_hit:
        return USES_NAME, f"code that ran uses {wanted[0]!r}"
    if wanted:
        return USES_MODULE, f"code that ran uses a name {wanted[0]!r}"
    if module_hit:
        return USES_MODULE, f"it uses module {entry.module}"
    if entry.module is not None and entry.module in usage.imported:
        return PROCESS_WIDE, f"its module imports {entry.module}"
    return UNRELATED, ""


def rank(entries: list[Outstanding], usage: Usage) -> list[Ranked]:
    """Every (entry, polluter) pair, most relevant first."""
    out: list[Ranked] = []
    for entry in entries:
        for finding in entry.findings:
            points, reason = score(entry, finding, usage)
            out.append(Ranked(entry, finding, points, reason))
    out.sort(key=Ranked.sort_key)
    return out
