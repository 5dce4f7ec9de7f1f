"""Turn net changes into findings a person can read: safe reprs, masked env values."""

from __future__ import annotations

import hashlib
import re
import types
import weakref
from typing import Any

from . import interceptors, safe
from .changes import MISSING, Change, SeqState, SetState
from .findings import INFO, KINDS, WARNING, Finding, Origin, Owner
from .graph import WatchGraph, describe_container_change
from .watching import ModuleFilter

SECRET_KEY = re.compile(
    r"(?i)(TOKEN|SECRET|PASSW|PWD|KEY|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|CERT|SIGNATURE|DSN|SALT)"
)

#: Names of library counters (creation order, id generators): see ``Describer.finding``.
COUNTER_NAME = re.compile(r"(?i)(counter|_count$|^count$|serial|next_?id)")


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()[:8]


class Describer:
    def __init__(self, show_values: bool = False) -> None:
        self.show_values = show_values

    # -- env ---------------------------------------------------------------

    def env_value(self, key: str, value: Any) -> str:
        if value is MISSING:
            return "<unset>"
        if SECRET_KEY.search(key):
            return "<masked>"
        if self.show_values:
            text = repr(value)
            return text if len(text) <= 80 else text[:77] + "..."
        return f"<sha256:{digest(value)}>"

    # -- findings ------------------------------------------------------------

    def finding(self, owner: Owner, subject: str, before: Any, after: Any, change: Change,
                phase: str) -> Finding | None:
        kind = change.kind
        severity = KINDS.get(kind, (WARNING, ""))[0]
        detail: dict[str, Any] = {}
        origin: Origin | None = None
        if change.extra.get("silent"):
            return None  # a probe's bookkeeping change (a thread ending), never a finding
        if kind == "env":
            return self._env(owner, subject, before, after, phase)
        if change.container in ("list", "set"):
            if _only_code_added(before, after):
                return None
            text = describe_container_change(before, after, change.container)
            shape = "grew" if _len(after) > _len(before) else "shrank" if _len(after) < _len(before) \
                else "changed"
            detail.update(shape=shape, group=f"{subject} {shape}", before_len=_len(before),
                          after_len=_len(after))
            origin = self._container_origin(change, after, before)
        else:
            if before is MISSING:
                shape, text = "added", f"added {safe.safe_repr(after)}"
            elif after is MISSING:
                shape, text = "deleted", f"deleted (was {safe.safe_repr(before)})"
            else:
                shape, text = "rebound", f"{safe.safe_repr(before)} -> {safe.safe_repr(after)}"
            owner_path = change.extra.get("owner_path") or ""
            group = f"{owner_path}[*] {shape}" if change.extra.get("node") == "dict" else \
                f"{subject} {shape}"
            detail.update(shape=shape, group=group)
            if kind == "mock":
                record = interceptors.patch_origin(after)
                if record is not None:
                    origin = record.origin
                    if record.started_by:
                        detail["started_by"] = record.started_by[0]
                        detail["started_in_phase"] = record.started_by[1]
                detail["mock"] = safe.safe_repr(after)
                text = f"mock left: {safe.safe_repr(after)}" + (
                    f" (was {safe.safe_repr(before)})" if before is not MISSING else "")
            elif change.extra.get("node") == "dict":
                origin = self._dict_patch_origin(change)
            if origin is None and change.extra.get("node") == "module":
                write = interceptors.attribute_origin(change.module, change.extra.get("name"), after)
                if write is not None:  # the tracer's record of the setattr that did it
                    origin = write.origin
                    if write.started_by:
                        detail["written_by"], detail["written_in_phase"] = write.started_by
            if kind in ("attribute", "class-attribute", "instance-attribute") and before is None:
                severity = WARNING
                text += " (lazy initialization?)"
            elif kind in ("attribute", "class-attribute", "instance-attribute") \
                    and type(before) is int and type(after) is int and after > before \
                    and COUNTER_NAME.search(str(change.extra.get("name") or "")) \
                    and not ModuleFilter.is_test_module(change.module or ""):
                # A library's creation counter (attrs' _CountingAttr.cls_counter, id
                # generators) advances whenever it is used; no test can or should undo it.
                # Only counter-like names: a config int raised by a test (freezegun's
                # call_stack_inspection_limit = 100) stays a leak.
                severity = INFO
                text += " (counter advanced)"
            if kind == "sys-modules":
                if after is MISSING and (type(before) is weakref.ProxyType
                                         or type(before) is weakref.CallableProxyType):
                    # A weakref.proxy entry (jinja2's ModuleLoader) is removed by its own
                    # callback when its referent is collected: cleanup, timed by the GC.
                    return None
                if after is MISSING:
                    text = f"removed (was {safe.safe_repr(before)})"
                    detail["shape"] = "removed"
                else:
                    text = f"non-module inserted: {safe.safe_repr(after)}"
                    detail["shape"] = "fake"
        text = self.scrub(_probe_text(change, before, after, text, detail))
        return Finding(owner, kind, self.scrub(subject), text, severity, phase, detail, origin)

    def scrub(self, text: str) -> str:
        """Mask env values that a repr let through (``settings.token = os.environ[...]``).

        Any value of a secret-looking key is masked; other values are hashed unless
        values are shown. Values under 6 characters (``1``, ``true``) are left alone.
        """
        if not text:
            return text
        for key, value in _env_items():
            if len(value) < 6 or value not in text:
                continue
            if SECRET_KEY.search(key):
                text = text.replace(value, "<masked>")
            elif not self.show_values:
                text = text.replace(value, f"<sha256:{digest(value)}>")
        return text

    def _env(self, owner: Owner, key: str, before: Any, after: Any, phase: str) -> Finding:
        if before is MISSING:
            shape = "added"
            text = f"added {self.env_value(key, after)}"
        elif after is MISSING:
            shape = "removed"
            text = f"removed (was {self.env_value(key, before)})"
        else:
            shape = "changed"
            text = f"changed {self.env_value(key, before)} -> {self.env_value(key, after)}"
        record = interceptors.dict_patch_origin(__import__("os").environ)
        origin = record.origin if record else None
        detail = {"shape": shape, "group": f"env:{key} {shape}"}
        write = interceptors.env_origin(key, after) if origin is None else None
        if write is not None:  # the tracer's record of the line that left this value
            origin = write.origin
            if write.started_by:
                detail["written_by"], detail["written_in_phase"] = write.started_by
        return Finding(owner, "env", key, text, KINDS["env"][0], phase, detail, origin)

    def _container_origin(self, change: Change, after: Any, before: Any) -> Origin | None:
        if type(after) in (SeqState, SetState):
            ids = {id(x) for x in before} if type(before) in (SeqState, SetState) else set()
            for item in after:
                if id(item) not in ids and safe.is_mock(item):
                    record = interceptors.patch_origin(item)
                    if record is not None:
                        return record.origin
        return None

    def _dict_patch_origin(self, change: Change) -> Origin | None:
        return None

    # -- reloads -------------------------------------------------------------

    def reload_finding(self, owner: Owner, module: str, info: dict[str, Any],
                       graph: WatchGraph | None) -> Finding:
        before_ns = info.get("before_ns") or {}
        after_ns = info.get("after_ns") or {}
        changed: dict[int, str] = {}
        rebound = 0
        for name, old in before_ns.items():
            if type(name) is not str or (name.startswith("__") and name.endswith("__")):
                continue
            new = after_ns.get(name, MISSING)
            if new is old:
                continue
            rebound += 1
            if safe.is_safe_scalar_type(type(old)) or type(old) is tuple or type(old) is frozenset:
                continue
            changed[id(old)] = name
        stale: list[str] = []
        if graph is not None:
            for modname, ns in graph.module_namespaces():
                if modname == module:
                    continue
                for key, value in list(ns.items()):
                    name = changed.get(id(value))
                    if name is not None and before_ns.get(name) is value:
                        stale.append(f"{modname}.{key} -> pre-reload {module}.{name}")
                        continue
                    defined = _defined_name(value, module)
                    if defined is not None and after_ns.get(defined, MISSING) is not value:
                        stale.append(f"{modname}.{key} -> pre-reload {module}.{defined}")
        stale.sort()
        text = f"{info['how']}: {rebound} attributes changed identity"
        if stale:
            shown = "; ".join(stale[:3])
            more = f" (+{len(stale) - 3} more)" if len(stale) > 3 else ""
            text += f"; {len(stale)} stale bindings: {shown}{more}"
        detail = {"shape": info["how"], "group": f"{module} {info['how']}", "module": module,
                  "rebound": rebound, "stale_bindings": stale[:50]}
        return Finding(owner, "reload", module, text, KINDS["reload"][0], info.get("phase", "call"),
                       detail, info.get("origin"))


def _probe_text(change: Change, before: Any, after: Any, text: str, detail: dict[str, Any]) -> str:
    """A probe's own wording (``extra["describe"]``) and detail (``extra["detail"]``), if any."""
    hint = change.extra.get("detail")
    if type(hint) is dict:
        detail.update(hint)
    describe = change.extra.get("describe")
    if describe is None:
        return text
    try:
        custom = describe(before, after)
    except Exception:  # a third-party probe's describe must not lose the finding
        return text
    return custom if type(custom) is str else text


def _env_items() -> list[tuple[str, str]]:
    """``os.environ`` decoded from its backing dict (no wrapper of ``os._Environ`` runs)."""
    import os

    env = os.environ
    data = env.__dict__.get("_data") if type(env) is os._Environ else None
    if type(data) is not dict:
        return []
    out = []
    for k, v in data.items():
        try:
            out.append((env.decodekey(k), env.decodevalue(v)))  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - undecodable bytes: nothing to mask
            continue
    return out


def _only_code_added(before: Any, after: Any) -> bool:
    """Only code objects were added: a registry of code (jinja2's ``internal_code``, which
    every compiled template's ``@internalcode`` functions join). Code objects hold no
    state and such a set only grows: not something a test leaves behind."""
    if type(before) is int or type(after) is int:
        return False
    before_ids = {id(x) for x in before}
    after_ids = {id(x) for x in after}
    if not before_ids <= after_ids:
        return False
    added = [x for x in after if id(x) not in before_ids]
    return bool(added) and all(type(x) is types.CodeType for x in added)


def _len(state: Any) -> int:
    return state if type(state) is int else len(state)


def _defined_name(value: Any, module: str) -> str | None:
    """The name a function or class was defined under in ``module``, read without user code."""
    cls = type(value)
    if cls is types.FunctionType:
        if value.__module__ == module and "." not in value.__qualname__:
            return str(value.__name__)
        return None
    if safe.is_class(value) and safe.defining_module(value) == module:
        name = safe.qualname(value)
        return name if "." not in name else None
    return None
