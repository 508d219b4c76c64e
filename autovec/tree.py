"""Pytrees: nested containers of arrays, flattened to a list of leaves and a structure.

Containers: tuple, list, dict (keys sorted, as JAX does), None (a node with no children),
namedtuples, dataclasses (every field is a child) and any type given to
``register_pytree_node``.  Everything else is a leaf.  A ``PyTreeDef`` is hashable, so it
can key the jit cache.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Hashable, Iterable
from typing import Any, NamedTuple


class _NodeKind(NamedTuple):
    flatten: Callable[[Any], tuple[Iterable[Any], Hashable]]
    unflatten: Callable[[Hashable, Iterable[Any]], Any]
    # keys(aux, n) gives the path entry of each child, for error messages.
    keys: Callable[[Any, int], list[str]]


_registry: dict[type, _NodeKind] = {}


def _index_keys(aux: Any, n: int) -> list[str]:
    return [f"[{i}]" for i in range(n)]


def register_pytree_node(
    nodetype: type,
    flatten_func: Callable[[Any], tuple[Iterable[Any], Hashable]],
    unflatten_func: Callable[[Hashable, Iterable[Any]], Any],
) -> None:
    """Make ``nodetype`` a pytree container (JAX's ``register_pytree_node``).

    ``flatten_func(x)`` returns ``(children, aux_data)`` with hashable ``aux_data``;
    ``unflatten_func(aux_data, children)`` rebuilds the value.

    >>> class Pair:
    ...     def __init__(self, a, b): self.a, self.b = a, b
    >>> register_pytree_node(Pair, lambda p: ((p.a, p.b), None), lambda _, c: Pair(*c))
    >>> tree_leaves(Pair(1, (2, 3)))
    [1, 2, 3]
    """
    _registry[nodetype] = _NodeKind(flatten_func, unflatten_func, _index_keys)
    _leaf_types.discard(nodetype)


_registry[tuple] = _NodeKind(lambda t: (t, None), lambda _, c: tuple(c), _index_keys)
_registry[list] = _NodeKind(lambda t: (t, None), lambda _, c: list(c), _index_keys)
_registry[type(None)] = _NodeKind(lambda _: ((), None), lambda _, c: None, _index_keys)


def _sorted_keys(d: dict) -> tuple:
    try:
        return tuple(sorted(d))
    except TypeError:
        raise TypeError(
            f"a pytree dict's keys are sorted (as in JAX), so they must be comparable with "
            f"each other; got keys of types {sorted({type(k).__name__ for k in d})}. Use keys "
            f"of one type (e.g. all str)."
        ) from None


def _dict_flatten(d: dict) -> tuple[list, tuple]:
    keys = _sorted_keys(d)
    return [d[k] for k in keys], keys


_registry[dict] = _NodeKind(
    _dict_flatten,
    lambda keys, c: dict(zip(keys, c, strict=True)),
    lambda keys, n: [f"[{k!r}]" for k in keys],
)


# An OrderedDict keeps its order (it is part of the value, as in JAX); a defaultdict is sorted
# like a dict and remembers its default factory.
_registry[collections.OrderedDict] = _NodeKind(
    lambda d: (list(d.values()), tuple(d)),
    lambda keys, c: collections.OrderedDict(zip(keys, c, strict=True)),
    lambda keys, n: [f"[{k!r}]" for k in keys],
)
_registry[collections.defaultdict] = _NodeKind(
    lambda d: ([d[k] for k in _sorted_keys(d)], (d.default_factory, _sorted_keys(d))),
    lambda aux, c: collections.defaultdict(aux[0], zip(aux[1], c, strict=True)),
    lambda aux, n: [f"[{k!r}]" for k in aux[1]],
)


# Types known to be leaves (arrays, scalars, tracers): one dict miss is all they cost.
_leaf_types: set[type] = set()


def _kind_of(x: Any) -> _NodeKind | None:
    t = type(x)
    kind = _registry.get(t)
    if kind is not None:
        return kind
    if t in _leaf_types:
        return None
    if issubclass(t, tuple) and hasattr(t, "_fields"):  # namedtuple
        kind = _NodeKind(
            lambda nt: (tuple(nt), None),
            lambda _, c, t=t: t(*c),
            lambda _, n, t=t: [f".{f}" for f in t._fields],
        )
    elif dataclasses.is_dataclass(t):
        names = tuple(f.name for f in dataclasses.fields(t))
        kind = _NodeKind(
            lambda dc, names=names: ([getattr(dc, f) for f in names], None),
            lambda _, c, t=t, names=names: _build_dataclass(t, names, c),
            lambda _, n, names=names: [f".{f}" for f in names],
        )
    else:
        _leaf_types.add(t)
        return None
    _registry[t] = kind
    return kind


def _build_dataclass(t: type, names: tuple, children: Iterable[Any]) -> Any:
    values = dict(zip(names, children, strict=True))
    init = {f.name for f in dataclasses.fields(t) if f.init}
    obj = t(**{k: v for k, v in values.items() if k in init})
    for k, v in values.items():  # fields with init=False: set them as they were
        if k not in init:
            object.__setattr__(obj, k, v)
    return obj


class PyTreeDef:
    """The structure of a pytree: node types, their aux data, and where the leaves go."""

    __slots__ = ("node_type", "aux", "children", "num_leaves", "_hash")

    def __init__(self, node_type: type | None, aux: Hashable, children: tuple[PyTreeDef, ...]):
        self.node_type = node_type  # None marks a leaf
        self.aux = aux
        self.children = children
        self.num_leaves = 1 if node_type is None else sum(c.num_leaves for c in children)
        self._hash: int | None = None  # computed when first needed (jit keys), not per call

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash((self.node_type, self.aux, self.children))
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, PyTreeDef)
            and hash(self) == hash(other)
            and self.node_type is other.node_type
            and self.aux == other.aux
            and self.children == other.children
        )

    def __repr__(self) -> str:
        return f"PyTreeDef({self._spell()})"

    def _spell(self) -> str:
        if self.node_type is None:
            return "*"
        inner = ", ".join(c._spell() for c in self.children)
        if self.node_type is tuple:
            return f"({inner}{',' if len(self.children) == 1 else ''})"
        if self.node_type is list:
            return f"[{inner}]"
        if self.node_type is dict:
            return (
                "{"
                + ", ".join(f"{k!r}: {c._spell()}" for k, c in zip(self.aux, self.children))
                + "}"
            )
        if self.node_type is type(None):
            return "None"
        return f"{self.node_type.__name__}({inner})"

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        return tree_unflatten(self, leaves)


LEAF = PyTreeDef(None, None, ())


def _flatten(x: Any, leaves: list, is_leaf: Callable[[Any], bool] | None) -> PyTreeDef:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return LEAF
    kind = _kind_of(x)
    if kind is None:
        leaves.append(x)
        return LEAF
    children, aux = kind.flatten(x)
    return PyTreeDef(type(x), aux, tuple(_flatten(c, leaves, is_leaf) for c in children))


def tree_flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list, PyTreeDef]:
    """Return ``(leaves, treedef)``.

    >>> tree_flatten({"b": 1, "a": (2, None)})
    ([2, 1], PyTreeDef({'a': (*, None), 'b': *}))
    """
    if is_leaf is None:
        t = type(tree)
        if t in _leaf_types:
            return [tree], LEAF
        if t is tuple and all(type(x) in _leaf_types for x in tree):
            return list(tree), _tuple_of_leaves(len(tree))
    leaves: list = []
    return leaves, _flatten(tree, leaves, is_leaf)


_tuples_of_leaves: dict[int, PyTreeDef] = {}


def _tuple_of_leaves(n: int) -> PyTreeDef:
    td = _tuples_of_leaves.get(n)
    if td is None:
        td = _tuples_of_leaves[n] = PyTreeDef(tuple, None, (LEAF,) * n)
    return td


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    """Rebuild a pytree of structure ``treedef`` from its leaves."""
    if treedef is LEAF:
        leaves = list(leaves)
        if len(leaves) != 1:
            raise ValueError(f"expected 1 leaf for {treedef}, got {len(leaves)}")
        return leaves[0]
    if _tuples_of_leaves.get(treedef.num_leaves) is treedef:
        out = tuple(leaves)
        if len(out) != treedef.num_leaves:
            raise ValueError(f"expected {treedef.num_leaves} leaves for {treedef}")
        return out
    it = iter(leaves)
    out = _build(treedef, it)
    if next(it, _sentinel) is not _sentinel:
        raise ValueError(f"too many leaves for {treedef}")
    return out


_sentinel = object()


def _build(td: PyTreeDef, it: Any) -> Any:
    if td.node_type is None:
        leaf = next(it, _sentinel)
        if leaf is _sentinel:
            raise ValueError("too few leaves for the tree structure")
        return leaf
    children = [_build(c, it) for c in td.children]
    nt = td.node_type
    kind = _registry.get(nt) or _kind_of_type(nt)
    return kind.unflatten(td.aux, children)


def _kind_of_type(nt: type) -> _NodeKind:
    kind = _registry.get(nt)
    assert kind is not None, nt  # registered when the tree was flattened
    return kind


def tree_leaves(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> list:
    """The leaves of ``tree``, left to right."""
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree: Any, is_leaf: Callable[[Any], bool] | None = None) -> PyTreeDef:
    """The structure of ``tree``, without its leaves."""
    return tree_flatten(tree, is_leaf)[1]


def tree_map(f: Callable[..., Any], tree: Any, *rest: Any, is_leaf: Any = None) -> Any:
    """Apply ``f`` to the leaves of ``tree`` (and the matching leaves of ``rest``).

    >>> tree_map(lambda a, b: a + b, (1, [2]), (10, [20]))
    (11, [22])
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    others = [treedef_leaves_matching(treedef, r) for r in rest]
    return tree_unflatten(treedef, [f(*xs) for xs in zip(leaves, *others)])


def treedef_leaves_matching(treedef: PyTreeDef, tree: Any) -> list:
    leaves, other = tree_flatten(tree)
    if other != treedef:
        raise ValueError(f"tree structures differ: {treedef} and {other}")
    return leaves


def tree_flatten_with_path(tree: Any) -> tuple[list[tuple[str, Any]], PyTreeDef]:
    """Like ``tree_flatten`` but each leaf comes with its path, e.g. ``"[0]['w']"``."""
    out: list[tuple[str, Any]] = []

    def visit(x: Any, path: str) -> PyTreeDef:
        kind = _kind_of(x)
        if kind is None:
            out.append((path, x))
            return LEAF
        children, aux = kind.flatten(x)
        children = list(children)
        keys = kind.keys(aux, len(children))
        return PyTreeDef(type(x), aux, tuple(visit(c, path + k) for c, k in zip(children, keys)))

    treedef = visit(tree, "")
    return out, treedef


def broadcast_prefix(prefix: Any, tree: Any, *, what: str = "in_axes") -> list[Any]:
    """For each leaf of ``tree``, the leaf of ``prefix`` whose subtree holds it.

    ``prefix`` must be a tree prefix of ``tree`` (JAX's rule for ``in_axes``): each of its
    leaves stands for a whole subtree of ``tree``.  ``None`` in ``prefix`` is a leaf here.
    Raises ``InAxesStructureError`` naming the path where the two differ.
    """
    from autovec.errors import InAxesStructureError

    result: list[Any] = []
    if prefix is None or isinstance(prefix, int):  # the common case: one axis for everything
        return [prefix] * len(tree_leaves(tree))

    def visit(p: Any, t: Any, path: str) -> None:
        pkind = None if p is None else _kind_of(p)
        if pkind is None:  # a leaf of the prefix covers the whole subtree
            result.extend([p] * len(tree_leaves(t)))
            return
        tkind = _kind_of(t)
        if tkind is None or type(t) is not type(p) and not _same_sequence_kind(p, t):
            raise InAxesStructureError(
                f"{what} does not match the structure at {path or 'the top level'}: "
                f"{what} has a {type(p).__name__} there, the value has {_describe(t)}. "
                f"Give a single int or None there, or a {what} tree with the same structure."
            )
        pchildren, paux = pkind.flatten(p)
        tchildren, taux = tkind.flatten(t)
        pchildren, tchildren = list(pchildren), list(tchildren)
        if paux != taux or len(pchildren) != len(tchildren):
            raise InAxesStructureError(
                f"{what} does not match the structure at {path or 'the top level'}: "
                f"{what} has {_describe(p)}, the value has {_describe(t)}. Give one entry "
                f"per element there, or a single int or None for all of them."
            )
        for pc, tc, k in zip(pchildren, tchildren, tkind.keys(taux, len(tchildren))):
            visit(pc, tc, path + k)

    visit(prefix, tree, "")
    return result


def _same_sequence_kind(p: Any, t: Any) -> bool:
    # JAX lets a list prefix stand for a tuple of arguments and vice versa at any level.
    return type(p) in (list, tuple) and type(t) in (list, tuple)


def _describe(x: Any) -> str:
    if isinstance(x, dict):
        return f"a dict with keys {sorted(x)}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of length {len(x)}"
    return f"a {type(x).__name__}"


__all__ = [
    "PyTreeDef",
    "register_pytree_node",
    "tree_flatten",
    "tree_flatten_with_path",
    "tree_leaves",
    "tree_map",
    "tree_structure",
    "tree_unflatten",
]
