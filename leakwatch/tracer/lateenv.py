"""Late env patches: a test sets an env var that a module already consumed at import.

``OFFLINE = os.environ.get("SHOP_OFFLINE") == "1"`` runs once, when ``shop.config``
is imported. A test that later does ``monkeypatch.setenv("SHOP_OFFLINE", "1")``
changes ``os.environ`` correctly and undoes it correctly, yet the module never
sees it: the test passes alone only if the variable happened to be set before
the import. The interceptors record which keys module bodies read (and a hash
of the value seen); this module turns a later differing write into a finding.
"""

from __future__ import annotations

import sys
from typing import Any

from .. import interceptors, safe
from ..findings import Finding, Origin

KIND = "late-env-patch"


class LateEnv:
    """Candidates are kept per window and judged when it ends.

    ``setenv`` followed by ``importlib.reload(module)`` in the same window is the
    correct pattern: the reload drops the candidate. Writes by the window that
    reloaded the module (its teardown putting the env back) are the reload's
    business, reported as a ``reload`` leak, not here.
    """

    def __init__(self, tracer: Any) -> None:
        self.tracer = tracer
        self._seen: set[tuple[str, str, str]] = set()
        #: id(record) -> (record, [(key, module name, finding)])
        self._candidates: dict[int, tuple[Any, list[tuple[str, str, Finding]]]] = {}
        #: module name -> owner label of the window that last reloaded it.
        self.reloaded_by: dict[str, str] = {}

    def on_env_write(self, key: str, new: str | None, origin: Origin | None,
                     reads: dict[str, interceptors.EnvRead]) -> None:
        record = self.tracer.current_record()
        if record is None:
            return  # outside any test or fixture (collection, conftest import)
        label = record.owner.label()
        for name, read in reads.items():
            if read.digest == new or not self.tracer.is_watched(name):
                continue
            if self.reloaded_by.get(name) == label:
                continue
            module = sys.modules.get(name)
            ns = safe.module_dict(module) if module is not None else None
            if ns is None or id(ns) != read.ns_id:
                continue  # the module was replaced since: the new one read it afresh
            if (label, key, name) in self._seen:
                continue
            self._seen.add((label, key, name))
            entry = self._candidates.setdefault(id(record), (record, []))
            entry[1].append((key, name, self._finding(record, key, new, origin, read)))

    def on_reload(self, name: str, record: Any) -> None:
        """``name`` was reloaded in ``record``'s window: its earlier env reads are re-done."""
        if record is None:
            return
        label = record.owner.label()
        self.reloaded_by[name] = label
        for _, items in self._candidates.values():
            kept = [c for c in items if not (c[1] == name)]
            for key, module, _finding in items:
                if module == name:
                    self._seen.discard((label, key, module))
            items[:] = kept

    def owner_ended(self, record: Any) -> None:
        entry = self._candidates.pop(id(record), None)
        if entry is None or entry[0] is not record:
            return
        for _, _, finding in entry[1]:
            self.tracer.emit(record, finding)

    def _finding(self, record: Any, key: str, new: str | None, origin: Origin | None,
                 read: interceptors.EnvRead) -> Finding:
        describer = self.tracer.collector.describer
        seen = "<unset>" if read.digest is None else (
            "<masked>" if describer.env_value(key, "") == "<masked>" else f"<sha256:{read.digest}>")
        now = "unset" if new is None else "set"
        consumed = f"{_rel(read.line.file, self.tracer.rootdir)}:{read.line.line}"
        text = (f"{key} {now} after {read.module} read it at import ({consumed}, value then {seen}); "
                f"the change cannot take effect: {read.module} keeps its import-time value "
                "until it is reloaded")
        detail: dict[str, Any] = {
            "shape": "late", "group": f"env:{key} late", "key": key, "module": read.module,
            "consumed_at": {"file": read.line.file, "line": read.line.line},
            "value_at_import": seen,
        }
        if read.reader is not None:
            detail["read_by"] = {"file": read.reader.file, "line": read.reader.line,
                                 "function": read.reader.function}
        return Finding(record.owner, KIND, key, text, "warning", self.tracer.phase(record), detail,
                       origin)


def _rel(path: str, root: str) -> str:
    return path[len(root):].lstrip("/") if root and path.startswith(root) else path
