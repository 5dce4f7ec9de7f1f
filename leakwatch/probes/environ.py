"""``os.environ``: keys added, removed or changed.

Watches ``os.environ._data`` (the dict behind the mapping) through the version
core, so an untouched environment costs one tag read per poll. Values are
kept only to compare them; reports show a short hash unless values were asked for.
"""

from __future__ import annotations

import os
from typing import Any

from .. import interceptors, versions
from ..changes import MISSING, Change
from ..versions import DictCore


class EnvironProbe:
    name = "env"

    def __init__(self, core: DictCore) -> None:
        self.core = core
        self._data: dict[Any, Any] | None = None
        self._handle: Any = None
        self._snapshot: dict[Any, Any] = {}
        self._environ: object = None
        self._mark_handle: Any = None
        self._mark_snapshot: dict[Any, Any] = {}
        self._phases: dict[Any, str] = {}
        self._tracked = False
        self._seen: tuple[int, int, int] | None = None
        self._os_ns: dict[str, Any] = vars(os)
        self._hooks: tuple[Any, Any] = (None, None)
        self._os_tag = 0  # the address of os's namespace's version tag word

    def _backing(self) -> dict[Any, Any] | None:
        env = os.environ
        data = getattr(env, "_data", None) if type(env) is os._Environ else None
        return data if type(data) is dict else None

    def start(self) -> None:
        self._environ = os.environ
        self._data = self._backing()
        if self._data is not None:
            # Tags only (never in a batch): with the dict-watcher core, pytest's four writes
            # of its key per test would otherwise each log an entry for the graph to skip.
            self._handle = self.core.add_unlogged(self._data)
            self._mark_handle = self.core.add_unlogged(self._data)
            # pytest's own key is left out of every snapshot: it moves in every phase.
            self._snapshot = dict.copy(self._data)
            self._snapshot.pop(_CURRENT_TEST_KEY, None)
            self._mark_snapshot = dict.copy(self._snapshot)
        self._tracked = interceptors.env_writes_tracked()
        self._hooks = interceptors.env_write_hooks()
        os_tag = versions.quiet_word(self.core.add_unlogged(self._os_ns))
        if os_tag is None:
            self._tracked = False  # no tag to tell that os.putenv was swapped: always diff
        else:
            self._os_tag = os_tag[0]
        self._seen = self._writes()

    def _writes(self) -> tuple[int, int, int] | None:
        """(tracked writes, length without pytest's key, ``os``'s namespace tag): the fast
        "unchanged" check. None: writes cannot be counted now (the poll diffs).

        pytest writes ``PYTEST_CURRENT_TEST`` in every phase, so the dict's tag moves in
        every test; when every write goes through the wrapped ``os.putenv`` and
        ``os.unsetenv``, the count of the others says whether a diff is needed. A test
        that replaced one of them (``patch("os.putenv")``) wrote unseen: the namespace's
        tag moved (or they are not the wrapped ones now). (A write straight into
        ``os.environ._data`` that keeps its length is the documented blind spot.)
        """
        data = self._data
        ns, hooks = self._os_ns, self._hooks
        if data is None or not self._tracked or ns.get("putenv") is not hooks[0] \
                or ns.get("unsetenv") is not hooks[1]:
            return None
        n = len(data)
        if _CURRENT_TEST_KEY in data:
            n -= 1
        # The count is the global itself (no call per test); the tag word is one C read.
        return (interceptors._env_write_count, n, versions.word(self._os_tag))

    def mark(self, phase_ended: str) -> None:
        """Note which keys changed in the phase that just ended.

        pytest itself writes ``PYTEST_CURRENT_TEST`` in every phase, so the dict's
        version tag cannot date a user's change; a C-level items diff can.
        """
        if self._data is None or self._tracked:
            return  # the wrapped os.environ records each write's phase (poll reads it)
        if not self.core.changed([self._mark_handle]):
            return
        self.core.accept(self._mark_handle)
        new = dict.copy(self._data)
        new.pop(_CURRENT_TEST_KEY, None)  # pytest's own key moves every phase: leave it out
        old = self._mark_snapshot
        self._mark_snapshot = new
        if new == old:  # bytes keys and values: compared in C
            return
        for k, _ in new.items() - old.items():
            self._phases[k] = phase_ended
        for k in old.keys() - new.keys():
            self._phases[k] = phase_ended

    def poll(self) -> list[Change]:
        if os.environ is not self._environ:
            # os.environ itself was replaced: compare what we can, then re-root.
            out = [Change("os.environ", "attribute", self._environ, os.environ, "binding", None, "os")]
            self.start()
            return out
        if self._data is None:
            return []
        if self._tracked:
            # pytest's own key moves the tag in every test: the write count (and the
            # length) say first whether anything else was written.
            seen = self._writes()
            if seen is not None and seen == self._seen:
                return []
            self._seen = seen
            data = self._data
            if _CURRENT_TEST_KEY not in data and data == self._snapshot:
                # Written and put back (the usual moved count: a monkeypatch.setenv undone
                # at teardown): one C comparison of exact str/bytes against the snapshot, no
                # copy and no tag reads (the tag is accepted by the next poll that diffs).
                return []
            if not self.core.changed([self._handle]):
                return []
        elif not self.core.changed([self._handle]):
            return []
        self.core.accept(self._handle)
        version = self.core.version(self._handle)
        old, new = self._snapshot, dict.copy(self._data)
        new.pop(_CURRENT_TEST_KEY, None)
        decode_key = os.environ.decodekey  # type: ignore[attr-defined]
        decode_value = os.environ.decodevalue  # type: ignore[attr-defined]
        self._snapshot = new
        tracked = self._tracked
        if not tracked:
            self._mark_snapshot = dict.copy(new)
            self.core.accept(self._mark_handle)
        phases, self._phases = self._phases, {}
        if new == old:  # put back (monkeypatch.setenv): exact str/bytes, compared in C
            return []

        def phase_of(k: Any) -> dict[str, Any]:
            if tracked:
                phase = interceptors.env_write_phase(decode_key(k))
                return {"phase": phase} if phase else {}
            return _phase(phases, k)

        out = []
        for k, v in new.items():
            ov = old.get(k, MISSING)
            if ov is MISSING or ov != v:
                out.append(Change(decode_key(k), "env", ov if ov is MISSING else decode_value(ov),
                                  decode_value(v), "env", version, None, phase_of(k)))
        for k in old.keys() - new.keys():
            out.append(Change(decode_key(k), "env", decode_value(old[k]), MISSING, "env", version, None,
                              phase_of(k)))
        return out


def _encoded_key(name: str) -> Any:
    """``name`` as ``os.environ._data`` stores it (bytes on POSIX, upper-case str on
    Windows): looking up the other type would compare str with bytes (``python -bb``)."""
    encode = getattr(os.environ, "encodekey", None)
    try:
        return encode(name) if encode is not None else name
    except Exception:  # noqa: BLE001
        return name


_CURRENT_TEST_KEY = _encoded_key("PYTEST_CURRENT_TEST")


def _phase(phases: dict[Any, str], key: Any) -> dict[str, Any]:
    phase = phases.get(key)
    return {"phase": phase} if phase else {}
