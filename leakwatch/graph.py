"""The watch graph: state reachable from watched modules, to a bounded depth.

Roots are watched modules. From each module's globals the graph reaches:

* depth 1 -- classes defined in that module (their class attributes), objects
  held by a global (their instance ``__dict__``, whatever module defines their
  class), and dicts, lists and sets held by a global (their contents);
* depth 2 -- the same, one step further: objects, dicts, lists and sets held by
  a class attribute or by an attribute of a depth-1 object
  (``Registry._components``, ``service.client.flag``, ``settings.items``).

``max_depth`` (ini ``leakwatch_depth``) moves that bound. Container items are
compared one level deep, by identity; mocks, functions, modules and immutable
values are never entered.

Each node is polled through a :mod:`leakwatch.versions` core, so a test that
changes nothing costs one version-tag read per watched dict and one ``len`` per
list or set (a dict-watcher core: nothing per dict); only the nodes that changed are
diffed (``poll``).
"""

from __future__ import annotations

import operator
import sys
import types
from array import array
from collections.abc import Callable, Iterator
from itertools import compress
from typing import Any

from . import safe, versions
from .changes import MISSING, Change, SeqState, SetState
from .ignore import IgnoreRules
from .versions import DictCore, native_length_offsets, private, untracked, words_changed, words_differ

#: Containers larger than this are compared by length only (documented).
MAX_ITEMS = 10_000
#: At most this many nodes are created under one watched module.
MAX_NODES_PER_MODULE = 2_000

_EXACT_CONTAINERS = {id(dict): "dict", id(list): "list", id(set): "set"}
_NON_CALLABLE_MOCK: type = safe._NonCallableMock

_CLASS_SKIP = frozenset(
    {"__dict__", "__weakref__", "__module__", "__doc__", "__qualname__", "__firstlineno__",
     "__static_attributes__", "__annotations__", "__orig_bases__", "__parameters__",
     "__match_args__", "__dataclass_fields__", "__dataclass_params__", "__hash__"}
)

#: On CPython 3.13+, an instance ``__dict__`` can share the object's inline values, and
#: attribute stores then bypass the dict (no version tag update). Inserting and deleting a
#: non-str key turns it into an ordinary dict for good: same keys, same order, no user code.
_DETACH_INLINE = sys.version_info >= (3, 13)
_DETACH_KEY = object()


def _detach_inline_values(d: dict[Any, Any]) -> None:
    d[_DETACH_KEY] = None
    del d[_DETACH_KEY]


class Node:
    """One watched dict, list or set, and where it was found."""

    __slots__ = (
        "obj", "kind", "path", "depth", "module", "handle", "snapshot", "children",
        "parents", "safe_keys", "cls_module", "test_class", "cls",
    )

    def __init__(self, obj: Any, kind: str, path: str, depth: int, module: str) -> None:
        self.obj = obj
        self.kind = kind  # module | class | instance | dict | list | set
        self.path = path
        self.depth = depth
        self.module = module
        self.handle: Any = None
        self.snapshot: Any = None
        self.children: dict[Any, int] = {}  # key -> id(child node obj)
        self.parents = 0
        self.safe_keys: bool | None = None  # dict nodes: keys all exact builtins (None: not asked yet)
        self.cls_module: str | None = None
        self.test_class = False
        self.cls: type | None = None  # instance node: its real type; class node: the class


_BINDING_KINDS = {"module": "attribute", "class": "class-attribute", "instance": "instance-attribute"}


def _binding_kind(node_kind: str) -> str:
    return _BINDING_KINDS.get(node_kind, "container")


def key_label(key: Any) -> str:
    if safe.is_safe_scalar_type(type(key)):
        text = repr(key)
        return text if len(text) <= 60 else text[:57] + "..."
    return safe.safe_repr(key, 60)


class WatchGraph:
    """All watched nodes, polled together."""

    def __init__(
        self,
        core: DictCore,
        ignore: IgnoreRules,
        max_depth: int = 2,
        watched_class_module: Callable[[str], bool] | None = None,
        is_test_module: Callable[[str], bool] | None = None,
    ) -> None:
        self.core = core
        self.ignore = ignore
        self.max_depth = max_depth
        self.nodes: dict[int, Node] = {}
        self.modules: dict[str, Node] = {}
        self._dict_nodes: list[Node] = []
        self._seq_nodes: list[Node] = []
        self._seq_dirty = True
        self._seq_objs: list[Any] = []
        self._seq_lens: list[int] = []
        #: The C scan of list/set lengths (``versions.native_length_offsets``): the address
        #: of each length word, and the lengths last read there (updated by the scan).
        self._len_offsets = native_length_offsets() if core.name != "copy-compare" else None
        self._seq_addrs: array[int] | None = None
        self._seq_words: array[int] | None = None
        self._seq_order: list[int] = []
        self._seq_pos: dict[int, int] = {}
        self._dict_dirty = True
        #: An empty batch from the start: the dict-watcher core's log is then read from
        #: the moment the graph exists, so a write between the first snapshot and the
        #: first poll is seen (a batch made at the first poll would start after it).
        self._batch: Any = core.batch([], None)
        self._counts: dict[str, int] = {}
        self.watched_class_module = watched_class_module or (lambda name: False)
        self.is_test_module = is_test_module or (lambda name: False)
        self.truncated: set[str] = set()
        self._seq_phase: dict[int, str] = {}

    # -- building ---------------------------------------------------------

    def add_module(self, name: str, module: types.ModuleType) -> None:
        if name in self.modules:
            return
        d = safe.module_dict(module)
        if d is None:
            return
        node = self._add_node(d, "module", name, 0, name)
        if node is not None:
            node.parents += 1
            self.modules[name] = node

    def remove_module(self, name: str) -> None:
        node = self.modules.pop(name, None)
        if node is not None:
            self._release(id(node.obj))

    def _add_node(self, obj: Any, kind: str, path: str, depth: int, module: str) -> Node | None:
        key = id(obj)
        existing = self.nodes.get(key)
        if existing is not None:
            return existing
        count = self._counts.get(module, 0)
        if count >= MAX_NODES_PER_MODULE:
            self.truncated.add(module)
            return None
        self._counts[module] = count + 1
        node = private(Node(obj, kind, path, depth, module))  # ours: not the GC's to traverse
        self.nodes[key] = node
        if kind in ("module", "class", "instance", "dict"):
            if kind == "instance" and _DETACH_INLINE and self.core.name != "copy-compare":
                _detach_inline_values(obj)
            node.snapshot = snapshot = untracked(dict.copy(obj))  # private: not the GC's
            # Whether the keys are all exact builtins is asked by the diff, and only when
            # a dict's keys changed (node.safe_keys None: not known yet): most watched
            # dicts never are, and asking 1,600 of them at start-up cost 10 % of the build.
            node.handle = self.core.add(obj)
            self._dict_nodes.append(node)
            self._dict_dirty = True
            if depth < self.max_depth and kind != "dict":
                self._link_all(node, snapshot)
        else:
            node.snapshot = self._seq_state(obj, kind)
            self._seq_nodes.append(node)
            self._seq_dirty = True
        return node

    def _release(self, key: int) -> None:
        node = self.nodes.get(key)
        if node is None:
            return
        node.parents -= 1
        if node.parents > 0:
            return
        del self.nodes[key]
        self._counts[node.module] = self._counts.get(node.module, 1) - 1
        if node.kind in ("list", "set"):
            self._seq_nodes.remove(node)
            self._seq_dirty = True
        else:
            self._dict_nodes.remove(node)
            self._dict_dirty = True
        for child in list(node.children.values()):
            self._release(child)
        node.children.clear()

    def _link_all(self, parent: Node, snapshot: dict[Any, Any]) -> None:
        """:meth:`_link` for each item of a new module, class or instance node, with the
        checks that hold for the whole node made once (its kind, its depth): this loop
        runs for every global of every watched module at start-up."""
        immutable = safe.IMMUTABLE_IDS
        exact_containers = _EXACT_CONTAINERS
        skip_name = self._skip_name
        depth = parent.depth + 1
        children = parent.children
        prefix = parent.path + "."
        module = parent.module
        add_node = self._add_node
        for k, v in snapshot.items():
            cls = type(v)
            if id(cls) in immutable or cls is tuple or skip_name(parent, k):
                continue  # functions, strings, numbers (most globals); dunders, ignored names
            exact = exact_containers.get(id(cls))
            if exact is not None:  # an exact dict, list or set (the usual global)
                child = add_node(v, exact, prefix + k, depth, module)
            else:
                child = self._object_child(parent, k, v, cls, depth)
            if child is not None:
                child.parents += 1
                children[k] = id(child.obj)

    def _link(self, parent: Node, key: Any, value: Any) -> None:
        child = self._child_of(parent, key, value)
        if child is not None:
            child.parents += 1
            parent.children[key] = id(child.obj)

    def _unlink(self, parent: Node, key: Any) -> None:
        child = parent.children.pop(key, None)
        if child is not None:
            self._release(child)

    def _skip_name(self, parent: Node, key: Any) -> bool:
        if type(key) is not str:
            return parent.kind != "dict"
        if parent.kind == "module":
            return key.startswith("__") and key.endswith("__") or self.ignore.name(key)
        if parent.kind == "class":
            return key in _CLASS_SKIP or self.ignore.name(key)
        if parent.kind == "instance":
            return self.ignore.name(key)
        return False

    def _child_of(self, parent: Node, key: Any, value: Any) -> Node | None:
        cls = type(value)
        if id(cls) in safe.IMMUTABLE_IDS or cls is tuple:
            return None  # most globals (functions, strings, numbers): decided first
        depth = parent.depth + 1
        if depth > self.max_depth or parent.kind in ("list", "set"):
            return None
        if parent.kind == "dict":
            return None  # container items are compared, not entered
        if self._skip_name(parent, key):
            return None
        exact = _EXACT_CONTAINERS.get(id(cls))
        if exact is not None:  # an exact dict, list or set (the usual global): no MRO walks
            return self._add_node(value, exact, f"{parent.path}.{key}", depth, parent.module)
        return self._object_child(parent, key, value, cls, depth)

    def _object_child(self, parent: Node, key: Any, value: Any, cls: type, depth: int
                      ) -> Node | None:
        """The node of a value that is not an exact container: a class defined in the
        parent's module, a dict/list/set subclass, an object with a ``__dict__``; or none."""
        # One walk of the MRO answers what is_mock, is_module, is_class and has_base would
        # each ask again (this runs for every non-trivial global at start-up).
        is_cls = False
        base_kind = None
        for klass in safe.mro(cls):
            if klass is _NON_CALLABLE_MOCK or klass is types.ModuleType:
                return None  # a mock (left behind: the binding reports it) or a module
            if klass is type:
                is_cls = True
            elif base_kind is None:
                base_kind = _EXACT_CONTAINERS.get(id(klass))
        path = f"{parent.path}.{key}"
        if is_cls:
            if not (parent.kind == "module" or parent.kind == "class"):
                return None
            ns = safe.class_namespace(value)
            if ns is None:
                return None
            defined_in = ns.get("__module__")  # safe.defining_module, the namespace read once
            if type(defined_in) is not str:
                defined_in = safe.defining_module(value)
            if defined_in != parent.module:
                return None
            node = self._add_node(ns, "class", path, depth, parent.module)
            if node is not None:
                node.cls = value  # for a class node: the class itself (restore uses setattr)
                node.cls_module = defined_in
                node.test_class = self.is_test_module(defined_in or "")
            return node
        if base_kind is not None:
            if safe.overrides_container_protocol(cls):
                return None  # its len/iteration is Python code: measuring it runs user code
            return self._add_node(value, base_kind, path, depth, parent.module)
        idict = safe.instance_dict(value)
        if idict is None:
            return None
        node = self._add_node(idict, "instance", path, depth, parent.module)
        if node is not None and node.cls is None:
            node.cls = cls
        return node

    @staticmethod
    def _seq_state(obj: Any, kind: str) -> Any:
        if kind == "list":
            n = list.__len__(obj)
            return untracked(SeqState(list.copy(obj))) if n <= MAX_ITEMS else n
        n = set.__len__(obj)
        return untracked(SetState(set.copy(obj))) if n <= MAX_ITEMS else n

    # -- polling ----------------------------------------------------------

    def _rebuild_seq_arrays(self) -> None:
        # Read in address order (neighbours share pages and cache lines: fewer misses);
        # ``_seq_order`` maps back to the nodes, whose order the report keeps.
        order = sorted(range(len(self._seq_nodes)), key=lambda i: id(self._seq_nodes[i].obj))
        self._seq_order = order
        self._seq_pos = {id(self._seq_nodes[i]): pos for pos, i in enumerate(order)}
        self._seq_objs = [self._seq_nodes[i].obj for i in order]
        self._seq_lens = [self._state_len(self._seq_nodes[i].snapshot) for i in order]
        if self._len_offsets is not None:
            list_at, set_at = self._len_offsets
            self._seq_addrs = array("Q", [id(self._seq_nodes[i].obj) + (
                list_at if self._seq_nodes[i].kind == "list" else set_at) for i in order])
            self._seq_words = array("Q", self._seq_lens)
        self._seq_dirty = False

    @staticmethod
    def _state_len(state: Any) -> int:
        return state if type(state) is int else len(state)

    def _seq_changed(self) -> list[Node]:
        """Lists and sets whose length changed: one C-level ``map(len)`` and one compare.

        Lengths only: reading each list's last item as well costs two more cache misses
        per list (34 instead of 17 µs per poll on 600 lists, benchmarks/RESULTS.md) for the rare in-place
        replacement that keeps the length, which is then seen only when the list is
        diffed for another reason (docs/architecture.md, known limits).
        """
        if self._seq_dirty:
            self._rebuild_seq_arrays()
        nodes = self._seq_nodes
        if self._seq_addrs is not None and self._seq_words is not None:
            # One C pass, misses overlapped by prefetching (versions.native_length_offsets).
            return self._seq_moved(words_changed(self._seq_addrs, self._seq_words))
        now = list(map(len, self._seq_objs))
        if now == self._seq_lens:
            return []
        order = self._seq_order
        changed = sorted(order[i] for i, (a, b) in enumerate(zip(now, self._seq_lens, strict=True))
                         if a != b)
        return [nodes[i] for i in changed]

    def _seq_moved(self, positions: list[int]) -> list[Node]:
        """The nodes at the C scan's positions (address order), in the nodes' order."""
        if not positions:
            return []  # the usual poll: no list or set changed length
        nodes, order = self._seq_nodes, self._seq_order
        return [nodes[i] for i in sorted(order[p] for p in positions)]

    def mark(self, phase_ended: str) -> None:
        """At a phase boundary: note which nodes changed in the phase that ended.

        Dicts under the version-tag core are dated by their tags instead (free);
        lists and sets, and every node under the copy-compare core, are checked here.
        """
        if self._seq_nodes:
            if self._seq_dirty:
                self._rebuild_seq_arrays()
            if self._seq_addrs is not None and self._seq_words is not None:
                # The poll's C scan without its store (the words are the lengths the poll
                # last saw, as _seq_lens): 600 lists cost ~3 µs, not ~20 in map(len).
                nodes, order, dated = self._seq_nodes, self._seq_order, self._seq_phase
                for position in words_differ(self._seq_addrs, self._seq_words):
                    dated.setdefault(id(nodes[order[position]]), phase_ended)
            elif (now := list(map(len, self._seq_objs))) != self._seq_lens:
                for i, a, b in zip(self._seq_order, now, self._seq_lens, strict=True):
                    if a != b:
                        self._seq_phase.setdefault(id(self._seq_nodes[i]), phase_ended)
        if not self.core.dates_changes and self._dict_nodes:
            handles = [n.handle for n in self._dict_nodes]
            for i in self.core.changed(handles):
                self._seq_phase.setdefault(id(self._dict_nodes[i]), phase_ended)

    def poll(self) -> list[Change]:
        """Changes since the previous poll; snapshots move forward."""
        changes: list[Change] = []
        if self._dict_dirty or self._batch is None:
            # The new batch goes on from where the previous one stopped (the watcher core
            # reads a log: starting at its end would lose the writes since the last poll).
            self._batch = self.core.batch([n.handle for n in self._dict_nodes], self._batch)
            self._dict_dirty = False
        nodes = self._dict_nodes
        indices = self._batch.changed()
        if indices:
            same, accept = versions.dict_same, self.core.accept
            for node in [nodes[i] for i in indices]:
                if id(node.obj) in self.nodes:
                    if same is not None and same(node.obj, node.snapshot):
                        # Written and put back (a test's monkeypatch or patch, the usual
                        # dirty dict): one C identity pass, no copy; the snapshot still
                        # says what the dict holds.
                        accept(node.handle)
                    else:
                        self._diff_dict(node, changes)
            if not self._dict_dirty and self._batch.syncs:
                self._batch.sync(indices)
        if self._seq_nodes:
            if not self._seq_dirty and self._seq_addrs is not None and self._seq_words is not None:
                # _seq_changed()'s C pass, without its frame: no list changed length (the
                # usual poll) costs one call.
                positions = words_changed(self._seq_addrs, self._seq_words)
                seq = self._seq_moved(positions) if positions else []
            else:
                seq = self._seq_changed()
            for node in seq:
                if id(node.obj) in self.nodes:
                    self._diff_seq(node, changes)
        if self._seq_phase:
            self._seq_phase.clear()
        return changes

    def _diff_dict(self, node: Node, out: list[Change]) -> None:
        """A dirty dict that :meth:`poll` found not put back as it was (the C identity
        pass, ``versions.dict_same``, ran there; without the C part, every dirty dict)."""
        old = node.snapshot
        d = node.obj
        new = untracked(dict.copy(d))
        self.core.accept(node.handle)
        if len(new) == len(old) and all(map(operator.is_, new, old)):
            # The same key objects in the same order (the usual case: values rebound, or
            # put back as a test's monkeypatch does): values by identity in one C pass, no
            # key compared or looked up. A dict whose writes were all undone ends here.
            pairs = [(k, before, after) for k, before, after in
                     compress(zip(new, old.values(), new.values(), strict=True),
                              map(operator.is_not, new.values(), old.values()))]
            node.snapshot = new
            if not pairs:
                return
            self._report_dict(node, old, pairs, out)
            return
        # Keys all exact builtins (str, int, ...), before and now: they may be compared and
        # looked up in C. Asked of every kind: a str subclass with its own __eq__ can be an
        # attribute name too.
        safe_ids = safe.SAFE_SCALAR_IDS.__contains__
        safe_old = node.safe_keys
        if safe_old is None:
            safe_old = all(map(safe_ids, map(id, map(type, old))))
        safe_keys = safe_old and all(map(safe_ids, map(id, map(type, new))))
        if safe_keys and len(new) == len(old) and list(new) == list(old):
            # Same keys in the same order (the usual case: values rebound or put back).
            # Builtin keys compare in C; values by identity, also in C: a dict whose
            # writes were all undone costs no Python-level loop.
            pairs = [(k, old[k], new[k]) for k in
                     compress(new, map(operator.is_not, new.values(), old.values()))]
        elif safe_keys:
            pairs = []
            for k, v in new.items():
                ov = old.get(k, MISSING)
                if ov is not v:
                    pairs.append((k, ov, v))
            for k in old.keys() - new.keys():
                pairs.append((k, old[k], MISSING))
        else:
            oldm = {id(k): (k, v) for k, v in old.items()}
            newm = {id(k): (k, v) for k, v in new.items()}
            pairs = []
            for ik, (k, v) in newm.items():
                ov = oldm.get(ik, (k, MISSING))[1]
                if ov is not v:
                    pairs.append((k, ov, v))
            for ik in oldm.keys() - newm.keys():
                k, v = oldm[ik]
                pairs.append((k, v, MISSING))
        node.snapshot = new
        node.safe_keys = safe_keys
        self._report_dict(node, old, pairs, out)

    def _report_dict(self, node: Node, old: dict[Any, Any], pairs: list[tuple[Any, Any, Any]],
                     out: list[Change]) -> None:
        """The changes of one diffed dict node: its key, value before and value now."""
        phase = self._seq_phase.get(id(node))
        version = self.core.version(node.handle)
        kind = _binding_kind(node.kind)
        for k, before, after in pairs:
            if node.kind == "module" and k == "__spec__" and before is not MISSING and after is not MISSING:
                extra: dict[str, Any] = {"before_ns": old}
                if phase is not None:
                    extra["phase"] = phase
                out.append(Change(node.path, "reload", before, after, "reload", version, node.module, extra))
                continue
            if node.kind != "dict" and self._skip_report(node, k, before, after):
                self._relink(node, k, after)
                continue
            if node.kind == "dict":
                subject = f"{node.path}[{key_label(k)}]"
            else:
                subject = f"{node.path}.{k}"
            change_kind = kind
            if after is not MISSING and safe.is_mock(after):
                change_kind = "mock"
            extra = {"node": node.kind, "name": k if type(k) is str else None,
                     "test_class": node.test_class, "owner_path": node.path,
                     "target": node.obj, "key": k,
                     "owner_class": node.cls if node.kind == "class" else None}
            if phase is not None:
                extra["phase"] = phase
            out.append(Change(subject, change_kind, before, after, "binding", version, node.module, extra))
            self._relink(node, k, after)

    def _skip_report(self, node: Node, key: Any, before: Any, after: Any = None) -> bool:
        if type(key) is not str:
            return False
        if node.kind == "module":
            return key.startswith("__") and key.endswith("__") or self.ignore.name(key)
        if node.kind == "class":
            # A memoizing descriptor that deletes itself from its class on first access
            # (six.moves' _LazyDescr) is lazy initialization, not a test's doing.
            return key in _CLASS_SKIP or self.ignore.name(key) or (
                after is MISSING and safe.is_lazy_descriptor(before))
        if self.ignore.name(key):
            return True
        if key.startswith("_") and node.cls is not None and not safe.is_mock(after) \
                and safe.defining_module(node.cls) not in self.modules:
            # Private state of an object whose class is not watched code (hypothesis
            # strategies held by a test module fill _SearchStrategy__label, _unwrapped
            # lazily): that library's bookkeeping. Public attributes stay watched.
            return True
        # A cached_property-like descriptor (functools', Django's, werkzeug's, pyramid's
        # reify: a non-data descriptor in Python) fills the instance dict on first access.
        return (
            before is MISSING
            and node.cls is not None
            and not safe.is_mock(after)
            and safe.is_lazy_descriptor(safe.class_attr(node.cls, key))
        )

    def _relink(self, node: Node, key: Any, value: Any) -> None:
        self._unlink(node, key)
        if value is not MISSING:
            self._link(node, key, value)

    def _seq_length_is(self, node: Node, length: int) -> None:
        """Move one list's known length on in place (a rebuild sorts every list)."""
        pos = self._seq_pos.get(id(node))
        if self._seq_dirty or pos is None:
            self._seq_dirty = True
            return
        self._seq_lens[pos] = length
        if self._seq_words is not None:
            self._seq_words[pos] = length

    def _diff_seq(self, node: Node, out: list[Change]) -> None:
        before = node.snapshot
        after = self._seq_state(node.obj, node.kind)
        self._seq_length_is(node, self._state_len(after))
        phase = self._seq_phase.get(id(node))
        from .changes import same

        if type(before) is not int and type(after) is not int and same(before, after):
            node.snapshot = after
            return
        if type(before) is int and type(after) is int and before == after:
            return
        node.snapshot = after
        kind = "container"
        added = _added_items(before, after)
        if any(safe.is_mock(x) for x in added):
            kind = "mock"
        out.append(
            Change(node.path, kind, before, after, node.kind, None, node.module,
                   {"node": node.kind, "phase": phase, "owner_path": node.path, "target": node.obj})
        )

    # -- queries ----------------------------------------------------------

    def module_namespaces(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, node in self.modules.items():
            yield name, node.obj

    def current(self, subject_node_path: str) -> Node | None:
        for node in self.nodes.values():
            if node.path == subject_node_path:
                return node
        return None


def _added_items(before: Any, after: Any) -> list[Any]:
    if type(after) is int:
        return []
    if type(before) is int:
        return list(after)
    ids = {id(x) for x in before}
    return [x for x in after if id(x) not in ids]


def describe_container_change(before: Any, after: Any, kind: str) -> str:
    """``+2 items, -1 item`` style text for a list or set change, no reprs of user objects."""
    if type(before) is int or type(after) is int:
        b = before if type(before) is int else len(before)
        a = after if type(after) is int else len(after)
        return f"length {b} -> {a} (too large to compare items)"
    added = _added_items(before, after)
    after_ids = {id(x) for x in after}
    removed = [x for x in before if id(x) not in after_ids]
    parts = []
    if added:
        shown = ", ".join(safe.safe_repr(x, 40) for x in added[:3])
        more = f" +{len(added) - 3} more" if len(added) > 3 else ""
        parts.append(f"+{len(added)} ({shown}{more})")
    if removed:
        parts.append(f"-{len(removed)}")
    if not parts:
        parts.append("reordered or replaced in place")
    return f"{kind} {len(before)} -> {len(after)} items: " + ", ".join(parts)
