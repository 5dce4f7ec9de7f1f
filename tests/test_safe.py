"""The no-user-code accessors, against objects that punish any call into them."""

from __future__ import annotations

import functools
import types
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leakwatch import safe
from leakwatch.changes import MISSING, SeqState, SetState, same


class Trap(Exception):
    pass


class Hostile:
    """Every protocol a careless fingerprint would call raises."""

    def __init__(self) -> None:
        object.__setattr__(self, "payload", 1)

    def __eq__(self, other: object) -> bool:
        raise Trap("__eq__")

    def __hash__(self) -> int:
        raise Trap("__hash__")

    def __repr__(self) -> str:
        raise Trap("__repr__")

    def __getattr__(self, name: str) -> Any:
        raise Trap(f"__getattr__ {name}")

    def __getattribute__(self, name: str) -> Any:
        raise Trap(f"__getattribute__ {name}")

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # noqa: F811
        raise Trap("__class__")

    def __len__(self) -> int:
        raise Trap("__len__")


class LyingMeta(type):
    def __instancecheck__(cls, obj: object) -> bool:
        raise Trap("__instancecheck__")

    @property
    def __mro__(cls) -> Any:  # type: ignore[override]
        raise Trap("__mro__")


class WithLyingMeta(metaclass=LyingMeta):
    pass


def test_hostile_object_is_read_without_calls() -> None:
    h = Hostile()
    assert safe.instance_dict(h) == {"payload": 1}
    assert safe.is_mock(h) is False
    assert safe.is_class(h) is False
    assert safe.is_module(h) is False
    assert safe.safe_repr(h).startswith("<test_safe.Hostile object at 0x")
    assert same(h, h) and not same(h, Hostile())
    assert same(SeqState([h, 1]), SeqState([h, 1]))
    assert not same(SetState([h]), SetState([Hostile()]))


def test_lying_metaclass() -> None:
    assert safe.is_class(WithLyingMeta)
    assert safe.defining_module(WithLyingMeta) == __name__
    assert safe.safe_repr(WithLyingMeta) == "<class test_safe.WithLyingMeta>"
    assert type in safe.mro(LyingMeta)


def test_specd_mock_does_not_fool_detection() -> None:
    m = mock.MagicMock(spec=dict)
    assert isinstance(m, dict)  # the lie a careless check would believe
    assert safe.is_mock(m)
    assert not safe.is_class(m)
    nc = mock.NonCallableMagicMock(spec=types.ModuleType)
    assert safe.is_mock(nc) and not safe.is_module(nc)


@pytest.mark.parametrize("factory", [
    mock.Mock, mock.MagicMock, mock.AsyncMock, mock.NonCallableMock, mock.PropertyMock,
    lambda: mock.create_autospec(lambda x: x), lambda: mock.create_autospec(dict),
])
def test_every_mock_flavour_is_a_mock(factory: Any) -> None:
    assert safe.is_mock(factory())


def _function_with_a_mock_attribute() -> None:
    pass


_function_with_a_mock_attribute.mock = "not a mock"  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", [1, "s", None, object(), functools.partial(print), [], {}, len, types,
                                   _function_with_a_mock_attribute, lambda: None])
def test_non_mocks(value: object) -> None:
    assert not safe.is_mock(value)


def test_safe_repr_is_capped_and_names_things() -> None:
    assert safe.safe_repr("x" * 500, 20) == repr("x" * 500)[:17] + "..."
    assert safe.safe_repr(mock.MagicMock(name="log_event")) == "<MagicMock 'log_event'>"
    assert safe.safe_repr(types) == "<module types>"
    assert safe.safe_repr([1, 2]) == "<list of 2 items>"
    assert safe.safe_repr(test_non_mocks) == "<function test_safe.test_non_mocks>"


def test_instance_dict_refuses_custom_dict_descriptor() -> None:
    class Custom:
        @property
        def __dict__(self) -> Any:  # type: ignore[override]
            raise Trap("__dict__ property")

    assert safe.instance_dict(Custom()) is None


def test_missing_is_only_same_as_itself() -> None:
    assert same(MISSING, MISSING) and not same(MISSING, None)


@given(st.lists(st.one_of(st.integers(), st.text(), st.none()), max_size=20))
def test_seq_state_identity_semantics(items: list[object]) -> None:
    a = SeqState(items)
    assert same(a, SeqState(list(items)))
    assert not same(a, SeqState([*items, object()]))
    if items:
        changed = list(items)
        changed[len(items) // 2] = object()
        assert not same(a, SeqState(changed))


class HostileMeta(type):
    def __eq__(cls, other: object) -> bool:
        raise Trap("meta __eq__")

    def __hash__(cls) -> int:
        raise Trap("meta __hash__")


class WithHostileMeta(metaclass=HostileMeta):
    pass


def test_type_checks_are_by_identity() -> None:
    """``x in tuple``/``x in frozenset`` would call a metaclass's ``__eq__``/``__hash__``."""
    obj = WithHostileMeta()
    assert not safe.is_class(obj) and not safe.is_module(obj) and not safe.is_mock(obj)
    assert safe.is_class(WithHostileMeta)
    assert not safe.is_safe_scalar_type(WithHostileMeta)
    assert safe.has_base(WithHostileMeta, object) and not safe.has_base(WithHostileMeta, dict)
    assert safe.safe_repr(obj).startswith("<test_safe.WithHostileMeta object at")
    assert not safe.equivalent(obj, WithHostileMeta())  # no state: never "equal"


def test_container_protocol_overrides() -> None:
    import collections

    class PyList(list):  # type: ignore[type-arg]
        def __len__(self) -> int:
            raise Trap("__len__")

    assert safe.overrides_container_protocol(PyList)
    assert safe.overrides_container_protocol(collections.UserDict)
    for cls in (collections.OrderedDict, collections.defaultdict, collections.Counter, list):
        assert not safe.overrides_container_protocol(cls)


def test_lazy_descriptors() -> None:
    class Reify:
        def __get__(self, obj: object, tp: type) -> int:
            return 1

    class Data(Reify):
        def __set__(self, obj: object, value: object) -> None:
            pass

    assert safe.is_lazy_descriptor(Reify())
    assert safe.is_lazy_descriptor(functools.cached_property(lambda self: 1))
    assert not safe.is_lazy_descriptor(Data())
    assert not safe.is_lazy_descriptor(test_lazy_descriptors)  # plain functions: methods
    assert not safe.is_lazy_descriptor(property(lambda self: 1))


def test_equivalent_is_structural_and_safe() -> None:
    class Settings:
        def __init__(self, debug: bool = False) -> None:
            self.debug = debug
            self.ignore = ["a", "b"]
            self.nested = {"k": (1, "x")}

        def __eq__(self, other: object) -> bool:
            raise Trap("__eq__")

        __hash__ = None  # type: ignore[assignment]

    assert safe.equivalent(Settings(), Settings())
    assert not safe.equivalent(Settings(), Settings(debug=True))
    changed = Settings()
    changed.ignore.append("c")
    assert not safe.equivalent(Settings(), changed)
    assert not safe.equivalent(Settings(), Hostile())
    assert safe.equivalent([1, "a"], [1, "a"]) and not safe.equivalent([1], [1.0])
    assert not safe.equivalent(float("nan"), float("nan"))
