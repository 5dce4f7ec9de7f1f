"""Property tests: the safe accessors and the watch graph never run user code, and the
graph reports exactly what a naive identity diff of the watched state says changed.

Every object here is a ``Spy``: each protocol a careless fingerprint could call
(``__eq__``, ``__hash__``, ``__repr__``, ``__getattr__``, ``__len__``, ``__bool__``,
``__iter__``, ``__class__``) records the call and raises.
"""

from __future__ import annotations

import sys
import types
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leakwatch import safe, versions
from leakwatch.changes import MISSING
from leakwatch.graph import WatchGraph
from leakwatch.ignore import IgnoreRules
from leakwatch.versions import CopyCompare, DictWatchers, VersionTags

CALLS: list[str] = []


class Trap(Exception):
    pass


def _record(name: str) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        CALLS.append(name)
        raise Trap(name)
    return method


class SpyMeta(type):
    __eq__ = _record("meta __eq__")
    __hash__ = _record("meta __hash__")  # type: ignore[assignment]
    __repr__ = _record("meta __repr__")
    __instancecheck__ = _record("meta __instancecheck__")


class Spy(metaclass=SpyMeta):
    __eq__ = _record("__eq__")
    __hash__ = _record("__hash__")  # type: ignore[assignment]
    __repr__ = _record("__repr__")
    __getattr__ = _record("__getattr__")
    __len__ = _record("__len__")
    __bool__ = _record("__bool__")
    __iter__ = _record("__iter__")

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # noqa: F811
        CALLS.append("__class__")
        raise Trap("__class__")


def _spy(**attrs: Any) -> Spy:
    obj = Spy()
    d = safe.instance_dict(obj)
    assert d is not None
    d.update(attrs)
    return obj


class SpyList(list):  # type: ignore[type-arg]
    __len__ = _record("list __len__")
    __getitem__ = _record("list __getitem__")
    __iter__ = _record("list __iter__")


FACTORIES: list[Any] = [
    _spy, Spy, lambda: Spy, lambda: SpyList, lambda: SpyList([1]), lambda: mock.MagicMock(spec=dict),
    lambda: mock.NonCallableMagicMock(spec=Spy), lambda: mock.create_autospec(lambda x: x),
    lambda: {"a": _spy()}, lambda: [_spy(), 1], lambda: types.ModuleType("m"), lambda: None,
    lambda: "text", lambda: 10**30, lambda: (_spy(),), lambda: frozenset({1}), lambda: {1, 2},
]


@given(st.lists(st.sampled_from(range(len(FACTORIES))), min_size=2, max_size=6))
def test_safe_accessors_never_call_user_code(picks: list[int]) -> None:
    CALLS.clear()
    objs = [FACTORIES[i]() for i in picks]
    for obj in objs:
        safe.safe_repr(obj, 30)
        safe.is_mock(obj), safe.is_class(obj), safe.is_module(obj)
        safe.instance_dict(obj), safe.mro(type(obj)), safe.type_label(obj)
        safe.is_lazy_descriptor(obj)
        if safe.is_class(obj):
            safe.class_namespace(obj), safe.defining_module(obj), safe.qualname(obj)
            safe.overrides_container_protocol(obj)
        for other in objs:
            safe.equivalent(obj, other)
    assert len(safe.safe_repr(objs[0], 30)) <= 30
    assert CALLS == []


# -- the watch graph against a naive identity diff ---------------------------------

KEYS = ["k0", "k1", "k2"]
ATTRS = ["a0", "a1", "a2"]
GLOBALS = ["g0", "g1"]

op = st.one_of(
    st.tuples(st.just("D"), st.sampled_from(["set", "del"]), st.sampled_from(KEYS),
              st.sampled_from(["int", "spy", "none", "same"])),
    st.tuples(st.just("L"), st.sampled_from(["append", "pop"]), st.just(""),
              st.sampled_from(["int", "spy", "same"])),
    st.tuples(st.just("O"), st.sampled_from(["set", "del"]), st.sampled_from(ATTRS),
              st.sampled_from(["int", "spy", "none", "same"])),
    st.tuples(st.just("I"), st.sampled_from(["set", "del"]), st.sampled_from(KEYS),
              st.sampled_from(["int", "spy", "same"])),
    st.tuples(st.just("IL"), st.sampled_from(["append", "pop"]), st.just(""),
              st.sampled_from(["int", "spy"])),
    st.tuples(st.just("G"), st.sampled_from(["set", "del"]), st.sampled_from(GLOBALS),
              st.sampled_from(["int", "spy", "none"])),
)

#: In a list: pytest's collection calls getattr on every module global, a Spy would record it.
SAME = [_spy()]


def _value(kind: str, n: int) -> Any:
    return {"int": 1000 + n, "spy": _spy(), "none": None, "same": SAME[0]}[kind]


def _build() -> tuple[types.ModuleType, dict[str, Any]]:
    mod = types.ModuleType("lwfuzz_mod")
    ns = safe.module_dict(mod)
    assert ns is not None
    inner = {"k0": 1, "k1": _spy()}
    items = [_spy(), 2]
    ns.update(D={"k0": _spy(), "k1": 5}, L=[_spy(), 3], O=_spy(a0=1, a1=_spy(), inner=inner,
                                                               items=items), g0=_spy())
    return mod, ns


def _state(ns: dict[str, Any]) -> dict[str, Any]:
    """The naive fingerprint: identity-wise copies of every watched container."""
    o = safe.instance_dict(ns["O"])
    assert o is not None
    return {
        "D": dict.copy(ns["D"]), "L": list.copy(ns["L"]), "O": dict.copy(o),
        "I": dict.copy(o["inner"]), "IL": list.copy(o["items"]),
        "G": {g: ns.get(g, MISSING) for g in GLOBALS},
    }


def _expected(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    out: set[str] = set()

    def dict_diff(a: dict[str, Any], b: dict[str, Any], fmt: str) -> None:
        for k in a.keys() | b.keys():
            if a.get(k, MISSING) is not b.get(k, MISSING):
                out.add(fmt.format(k))

    def list_diff(a: list[Any], b: list[Any], subject: str) -> None:
        # Lists are polled by length (docs/architecture.md: an in-place change that keeps
        # the length is the documented limit); a length change is diffed by identity.
        if len(a) != len(b):
            out.add(subject)

    dict_diff(before["D"], after["D"], "lwfuzz_mod.D['{}']")
    list_diff(before["L"], after["L"], "lwfuzz_mod.L")
    dict_diff(before["O"], after["O"], "lwfuzz_mod.O.{}")
    dict_diff(before["I"], after["I"], "lwfuzz_mod.O.inner['{}']")
    list_diff(before["IL"], after["IL"], "lwfuzz_mod.O.items")
    dict_diff(before["G"], after["G"], "lwfuzz_mod.{}")
    return out


def _apply(ns: dict[str, Any], ops: list[tuple[str, str, str, str]]) -> None:
    o = safe.instance_dict(ns["O"])
    assert o is not None
    for n, (target, action, key, kind) in enumerate(ops):
        container: Any = {"D": ns["D"], "O": o, "I": o["inner"], "G": ns}.get(target)
        if target in ("L", "IL"):
            seq = ns["L"] if target == "L" else o["items"]
            if action == "append":
                seq.append(_value(kind, n))
            elif len(seq) > 1:  # keep one item
                seq.pop()
        elif action == "set":
            container[key] = _value(kind, n)
        else:
            container.pop(key, None)


_WATCHER_CORES = [(DictWatchers, True), (DictWatchers, False)] if sys.version_info >= (3, 12) else []


@pytest.mark.parametrize("core,native", [(VersionTags, True), (VersionTags, False),
                                         (CopyCompare, False), *_WATCHER_CORES])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds=st.lists(st.lists(op, max_size=8), min_size=1, max_size=3))
def test_graph_poll_equals_naive_identity_diff(core: Any, native: bool,
                                               rounds: list[list[tuple[str, str, str, str]]]
                                               ) -> None:
    """``native``: the C scan of tags and list lengths, the C dict identity check and the
    C read of the watcher's log (leakwatch/_gather.c) when it was built; False: the
    pure-Python reads. Both must match the naive oracle."""
    if native and versions._gather is None:
        pytest.skip("the C accelerator was not built here")
    CALLS.clear()
    mod, ns = _build()
    accelerated = {"_gather": versions._gather, "dict_same": versions.dict_same,
                   "_log_hits": versions._log_hits}
    with mock.patch.multiple(versions, **(accelerated if native else dict.fromkeys(accelerated))):
        graph = WatchGraph(core(), IgnoreRules(), 2)
        graph.add_module("lwfuzz_mod", mod)
        for ops in rounds:
            before = _state(ns)
            _apply(ns, ops)
            after = _state(ns)
            got = {c.subject for c in graph.poll()}
            assert got == _expected(before, after)
    assert CALLS == []
