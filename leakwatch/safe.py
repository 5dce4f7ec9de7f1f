"""Accessors that never run user code.

Everything leakwatch learns about user objects goes through here. The rule (see
docs/architecture.md): read ``__dict__`` through the C-level descriptors of the
*real* type, compare by identity, and never call ``__eq__``, ``__hash__``,
``__repr__``, ``__getattr__``, properties or ``hasattr`` on user objects. A
``MagicMock`` answers every attribute and a spec'd mock lies about
``__class__``; ``type()`` never lies.
"""

from __future__ import annotations

import gc
import types
from collections.abc import Callable
from typing import Any
from unittest import mock as _mock

_TYPE_MRO = type.__dict__["__mro__"]
_TYPE_DICT = type.__dict__["__dict__"]
_TYPE_QUALNAME = type.__dict__["__qualname__"]
_TYPE_MODULE = type.__dict__["__module__"]
_MODULE_DICT: Any = vars(types.ModuleType)["__dict__"]
_GETSET = types.GetSetDescriptorType

_NonCallableMock: type = _mock.NonCallableMock
#: ``gc.get_referents``, looked up once: :func:`class_namespace` runs for every class of
#: every MRO the graph and the mock checks walk.
_referents = gc.get_referents

#: Exact types whose equality and hashing are C code that cannot reach user code.
SAFE_SCALARS: frozenset[type] = frozenset(
    {str, int, float, bool, bytes, complex, type(None), type(Ellipsis)}
)

#: Values that can never hold state of their own: skipped when walking.
IMMUTABLE: frozenset[type] = SAFE_SCALARS | {
    frozenset,
    range,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.ModuleType,
    types.CodeType,
    property,
    staticmethod,
    classmethod,
    types.MemberDescriptorType,
    types.GetSetDescriptorType,
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
    types.MethodWrapperType,
    types.ClassMethodDescriptorType,
}

#: The same sets keyed by ``id``: ``cls in SAFE_SCALARS`` hashes ``cls``, and a class whose
#: metaclass defines ``__hash__``/``__eq__`` would run user code (or raise) right there.
SAFE_SCALAR_IDS: frozenset[int] = frozenset(map(id, SAFE_SCALARS))
IMMUTABLE_IDS: frozenset[int] = frozenset(map(id, IMMUTABLE))
_CONTAINER_IDS: frozenset[int] = frozenset(map(id, (dict, list, set, tuple, frozenset)))


def is_safe_scalar_type(cls: type) -> bool:
    """``cls`` is exactly one of :data:`SAFE_SCALARS`, decided by identity (no metaclass code)."""
    return id(cls) in SAFE_SCALAR_IDS


def has_base(cls: type, base: type) -> bool:
    """``base in mro(cls)`` by identity.

    ``x in tuple`` compares with ``==`` after the identity check, which calls the
    ``__eq__`` of a user metaclass for every class in the MRO that is not ``base``.
    """
    try:  # mro(), inlined: this runs for every patch and many reads
        klasses = _TYPE_MRO.__get__(cls)
    except Exception:  # noqa: BLE001  # pragma: no cover - not a type
        return False
    if type(klasses) is not tuple:
        return False
    for klass in klasses:
        if klass is base:
            return True
    return False


def mro(cls: type) -> tuple[type, ...]:
    """The MRO of a real type, read through ``type``'s own descriptor."""
    try:
        result = _TYPE_MRO.__get__(cls)
    except Exception:  # pragma: no cover - not a type
        return ()
    return result if type(result) is tuple else ()


def is_class(obj: object) -> bool:
    """True for a class object, without asking the object."""
    cls = type(obj)
    return cls is type or has_base(cls, type)  # the usual metaclass first: no MRO walk


def is_module(obj: object) -> bool:
    cls = type(obj)
    return cls is types.ModuleType or has_base(cls, types.ModuleType)


_CONTAINER_PROTOCOL = ("__len__", "__iter__", "__getitem__", "keys", "values", "items")


def overrides_container_protocol(cls: type) -> bool:
    """A dict/list/set subclass whose ``len``/iteration/indexing is Python code.

    The graph measures lists and sets with ``len()`` and ``[-1]`` and the copy-compare
    core iterates dicts: on such a subclass that would run user code, so it is not
    entered. C methods (``OrderedDict``'s) are safe.
    """
    for klass in mro(cls):
        if klass is dict or klass is list or klass is set:
            return False
        ns = class_namespace(klass)
        if ns is None:
            continue
        for name in _CONTAINER_PROTOCOL:
            if type(ns.get(name)) is types.FunctionType:
                return True
    return False


def _class_namespace(cls: type) -> dict[str, Any] | None:
    """The real ``dict`` behind ``cls.__dict__`` (the mappingproxy's target)."""
    try:
        proxy = _TYPE_DICT.__get__(cls)
    except Exception:
        return None
    for ref in _referents(proxy):
        if type(ref) is dict:
            return ref
    return None


def class_attr(cls: type, name: str, default: Any = None) -> Any:
    """``name`` looked up in the real dicts of ``cls``'s MRO; no descriptors run."""
    for klass in mro(cls):
        ns = class_namespace(klass)
        if ns is not None and name in ns:
            return ns[name]
    return default


def module_dict(module: object) -> dict[str, Any] | None:
    try:
        result = _MODULE_DICT.__get__(module)
    except Exception:
        return None
    return result if type(result) is dict else None


def _instance_dict(obj: object) -> dict[str, Any] | None:
    """An instance's ``__dict__`` through the C descriptor of its real type.

    Returns None for objects without one, and for types that define ``__dict__``
    themselves (a property could run user code).
    """
    for klass in mro(type(obj)):
        ns = _class_namespace(klass)
        if ns is None:
            continue
        descr = ns.get("__dict__")
        if descr is None:
            continue
        if type(descr) is not _GETSET:
            return None
        try:
            result = descr.__get__(obj, klass)
        except Exception:
            return None
        return result if type(result) is dict else None
    return None


_native_class_namespace: Callable[[Any], dict[str, Any] | None] | None
_native_instance_dict: Callable[[Any], dict[str, Any] | None] | None
try:
    from ._gather import class_namespace as _native_class_namespace
    from ._gather import instance_dict as _native_instance_dict
except ImportError:  # pragma: no cover - no compiler where it was installed
    _native_class_namespace = _native_instance_dict = None

#: The same reads in C where ``leakwatch/_gather.c`` was built (tests compare the two): the
#: mock checks read a MagicMock's ``__dict__`` through seven classes of its MRO, and the
#: graph reads every watched singleton's at start-up; in Python each class cost a frame and
#: a ``gc.get_referents`` call.
class_namespace: Callable[[Any], dict[str, Any] | None] = (
    _native_class_namespace if _native_class_namespace is not None else _class_namespace)
instance_dict: Callable[[Any], dict[str, Any] | None] = (
    _native_instance_dict if _native_instance_dict is not None else _instance_dict)


def is_lazy_descriptor(obj: object) -> bool:
    """A non-data descriptor written in Python that is not a function.

    ``functools.cached_property`` and its many look-alikes (Django's, werkzeug's,
    pyramid's ``reify``, six's lazy attributes) compute a value on first access and
    store it on the instance (or replace themselves): lazy initialization.
    Decided from the descriptor type's own namespaces; nothing is called.
    """
    cls = type(obj)
    if cls is types.FunctionType or is_class(obj):
        return False
    return (
        type(class_attr(cls, "__get__")) is types.FunctionType
        and class_attr(cls, "__set__") is None
        and class_attr(cls, "__delete__") is None
    )


def equivalent(a: Any, b: Any, depth: int = 3) -> bool:
    """Two objects that hold the same state: a fresh, equal replacement of ``a``.

    ``teardown: settings = Settings()`` puts back an object that is not the same
    but holds the same values. Decided without user code: same exact type, and
    item by item identical, or equal exact scalars (C equality), or equivalent
    exact lists/tuples/dicts/sets, or instances of the same class whose
    ``__dict__`` s are equivalent, to ``depth`` levels.
    """
    if a is b:
        return True
    cls = type(a)
    if cls is not type(b) or depth <= 0:
        return False
    if id(cls) in SAFE_SCALAR_IDS:
        return bool(a == b)
    if cls is list or cls is tuple:
        return len(a) == len(b) and all(
            equivalent(x, y, depth - 1) for x, y in zip(a, b, strict=True))
    if cls is set or cls is frozenset:
        # Exact sets of exact scalars: C hashing and equality only.
        return len(a) == len(b) and all(id(type(x)) in SAFE_SCALAR_IDS for x in a) and bool(a == b)
    if cls is dict:
        return _equivalent_dicts(a, b, depth)
    if is_class(a) or is_module(a) or is_mock(a) or id(cls) in IMMUTABLE_IDS \
            or class_attr(cls, "__slots__") is not None:  # slot values are not in __dict__
        return False
    da, db = instance_dict(a), instance_dict(b)
    if da is None or db is None or not da:
        return False
    return _equivalent_dicts(da, db, depth)


def _equivalent_dicts(a: dict[Any, Any], b: dict[Any, Any], depth: int) -> bool:
    if len(a) != len(b):
        return False
    if not all(id(type(k)) in SAFE_SCALAR_IDS for k in a) or not all(
            id(type(k)) in SAFE_SCALAR_IDS for k in b):
        return False
    for key, value in a.items():
        other = b.get(key, _ABSENT)
        if other is _ABSENT or not equivalent(value, other, depth - 1):
            return False
    return True


_ABSENT = object()


def qualname(cls: type) -> str:
    try:
        name = _TYPE_QUALNAME.__get__(cls)
    except Exception:
        name = "?"
    return name if type(name) is str else "?"


def defining_module(cls: type) -> str | None:
    """The ``__module__`` a class was defined in, read from its own namespace."""
    ns = class_namespace(cls)
    value = ns.get("__module__") if ns is not None else None
    if value is None:
        try:
            value = _TYPE_MODULE.__get__(cls)  # static (C) types: derived from tp_name
        except Exception:
            return None
    return value if type(value) is str else None


def type_label(obj: object) -> str:
    cls = type(obj)
    module = defining_module(cls) or "?"
    name = qualname(cls)
    return name if module == "builtins" else f"{module}.{name}"


def is_mock(obj: object) -> bool:
    """Any ``unittest.mock`` object, including autospec'd functions.

    ``create_autospec`` on a function returns a real function carrying the mock
    in its ``__dict__`` under ``mock``.
    """
    cls = type(obj)
    if id(cls) in SAFE_SCALAR_IDS:
        return False  # str, int, ...: never a mock (decided without an MRO walk)
    if cls is types.FunctionType:
        # A plain function (what most patches replace): its own __dict__, read through
        # the function type's C descriptor, says; no MRO walk.
        try:
            fdict = _FUNCTION_DICT.__get__(obj, types.FunctionType)
        except Exception:  # noqa: BLE001  # pragma: no cover - a C getter of a real function
            return False
        if type(fdict) is dict:
            inner = fdict.get("mock")
            if inner is not None and has_base(type(inner), _NonCallableMock):
                return True
        return False
    return has_base(cls, _NonCallableMock)


#: ``types.FunctionType``'s own ``__dict__`` descriptor (C): a function's attribute dict.
_FUNCTION_DICT: Any = vars(types.FunctionType)["__dict__"]


def mock_name(obj: object) -> str | None:
    d = instance_dict(obj)
    if d is None:
        return None
    if type(obj) is types.FunctionType:
        d = instance_dict(d.get("mock"))
        if d is None:
            return None
    for key in ("_mock_name", "_mock_new_name"):
        value = d.get(key)
        if type(value) is str and value:
            return value
    return None


def safe_repr(obj: object, limit: int = 80) -> str:
    """A repr that never calls user code, capped at ``limit`` characters."""
    cls = type(obj)
    try:
        if id(cls) in SAFE_SCALAR_IDS:
            text = repr(obj)
        elif is_mock(obj):
            name = mock_name(obj)
            kind = "autospec function" if cls is types.FunctionType else qualname(cls)
            text = f"<{kind} {name!r}>" if name else f"<{kind}>"
        elif is_class(obj):
            text = f"<class {defining_module(obj) or '?'}.{qualname(obj)}>"  # type: ignore[arg-type]
        elif is_module(obj):
            d = module_dict(obj) or {}
            name = d.get("__name__")
            text = f"<module {name if type(name) is str else '?'}>"
        elif cls is types.FunctionType or cls is types.BuiltinFunctionType:
            text = f"<function {_function_name(obj)}>"
        elif id(cls) in _CONTAINER_IDS:
            text = f"<{cls.__name__} of {len(obj)} items>"  # type: ignore[arg-type]
        else:
            text = f"<{type_label(obj)} object at {id(obj):#x}>"
    except Exception:  # pragma: no cover - last resort
        text = f"<object at {id(obj):#x}>"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def _function_name(fn: object) -> str:
    if type(fn) is types.FunctionType:
        return f"{fn.__module__}.{fn.__qualname__}"  # type: ignore[attr-defined]
    name = getattr(fn, "__qualname__", None)  # builtins: C attributes only
    return name if type(name) is str else "?"

