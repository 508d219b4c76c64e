"""Pytrees: flatten/unflatten, node types, paths, treedefs, registration, prefix broadcasting."""

from __future__ import annotations

import collections
import dataclasses
from typing import Any, NamedTuple

import numpy as np
import pytest

import autovec
from autovec import errors, vmap
from autovec.tree import (
    PyTreeDef,
    broadcast_prefix,
    register_pytree_node,
    tree_flatten,
    tree_flatten_with_path,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
)


class Point(NamedTuple):
    x: Any
    y: Any


@dataclasses.dataclass
class Layer:
    w: Any
    b: Any


@dataclasses.dataclass(frozen=True)
class Frozen:
    a: Any
    b: Any = 0


@dataclasses.dataclass
class WithDerived:
    a: Any
    cache: Any = dataclasses.field(init=False, default=None)


class Box:
    """A user type registered as a pytree node, with hashable aux data."""

    def __init__(self, content, label):
        self.content, self.label = content, label

    def __eq__(self, other):
        return isinstance(other, Box) and (self.content, self.label) == (other.content, other.label)


register_pytree_node(Box, lambda b: ((b.content,), b.label), lambda label, c: Box(c[0], label))

TREES = [
    1.0,
    np.arange(3),
    (),
    [],
    {},
    None,
    (1, 2),
    [1, [2, (3, None)], {"k": 4}],
    {"b": 1, "a": (2, 3), "c": {"z": 5, "y": None}},
    Point(1, (2, 3)),
    Layer(w=[1, 2], b=3),
    Frozen(a=1, b=(2,)),
    Box([1, 2], "label"),
    collections.OrderedDict([("z", 1), ("a", 2)]),
    collections.defaultdict(list, {"b": 1, "a": 2}),
    (Point(Layer(1, 2), None), [Box({"q": 3}, 7)]),
]


@pytest.mark.parametrize(
    "tree", TREES, ids=[repr(type(t).__name__) + str(i) for i, t in enumerate(TREES)]
)
def test_flatten_unflatten_roundtrip(tree):
    leaves, treedef = tree_flatten(tree)
    rebuilt = tree_unflatten(treedef, leaves)
    assert type(rebuilt) is type(tree)
    if isinstance(tree, np.ndarray):
        assert rebuilt is tree
    else:
        assert rebuilt == tree
    assert treedef.num_leaves == len(leaves)
    assert tree_structure(rebuilt) == treedef
    assert tree_leaves(treedef.unflatten(leaves)) == [*leaves]


def test_leaves_come_left_to_right_with_dict_keys_sorted():
    tree = {"b": [1, 2], "a": (3, {"y": 4, "x": 5}), "c": None}
    assert tree_leaves(tree) == [3, 5, 4, 1, 2]
    # Insertion order does not matter for a dict: same structure.
    assert tree_structure({"a": 1, "b": 2}) == tree_structure({"b": 1, "a": 2})
    assert list(tree_unflatten(tree_structure({"b": 0, "a": 0}), [1, 2])) == ["a", "b"]


def test_ordered_dict_keeps_its_order():
    od = collections.OrderedDict([("z", 1), ("a", 2)])
    assert tree_leaves(od) == [1, 2]
    assert tree_structure(od) != tree_structure(collections.OrderedDict([("a", 1), ("z", 2)]))
    assert tree_structure(od) != tree_structure({"z": 1, "a": 2})


def test_defaultdict_keeps_its_factory():
    dd = collections.defaultdict(list, {"b": 1, "a": 2})
    assert tree_leaves(dd) == [2, 1]
    rebuilt = tree_map(lambda v: v * 10, dd)
    assert type(rebuilt) is collections.defaultdict and rebuilt.default_factory is list
    assert rebuilt == {"a": 20, "b": 10}


def test_dict_keys_that_cannot_be_sorted():
    with pytest.raises(TypeError, match="sorted"):
        tree_flatten({1: "a", "b": 2})


def test_none_is_an_empty_node_not_a_leaf():
    assert tree_leaves(None) == []
    assert tree_leaves([None, 1, (None,)]) == [1]
    assert tree_structure(None) != tree_structure(1)
    assert tree_unflatten(tree_structure([None, 1]), [5]) == [None, 5]


def test_namedtuple_and_dataclass_nodes():
    assert tree_leaves(Point(1, (2, 3))) == [1, 2, 3]
    p = tree_map(lambda v: v + 1, Point(1, 2))
    assert type(p) is Point and p == Point(2, 3)
    assert tree_structure(Point(1, 2)) != tree_structure((1, 2))
    layer = tree_map(lambda v: v * 2, Layer(w=1, b=[2]))
    assert type(layer) is Layer and layer == Layer(w=2, b=[4])
    frozen = tree_map(lambda v: -v, Frozen(1, 2))
    assert frozen == Frozen(-1, -2)
    derived = WithDerived(1)
    derived.cache = 9
    rebuilt = tree_map(lambda v: v + 1, derived)
    assert (rebuilt.a, rebuilt.cache) == (2, 10)


def test_registered_type():
    b = Box([1, 2], "tag")
    leaves, treedef = tree_flatten(b)
    assert leaves == [1, 2]
    assert tree_unflatten(treedef, [3, 4]) == Box([3, 4], "tag")
    assert tree_structure(Box([1, 2], "other")) != treedef  # aux data is part of the structure
    assert "Box" in repr(treedef)


def test_registering_a_type_already_seen_as_a_leaf():
    class Late:
        def __init__(self, v):
            self.v = v

    obj = Late(5)
    assert tree_leaves(obj) == [obj]  # unknown types are leaves ...
    register_pytree_node(Late, lambda t: ((t.v,), None), lambda _, c: Late(c[0]))
    assert tree_leaves(Late(5)) == [5]  # ... until they are registered
    assert autovec.register_pytree_node is register_pytree_node


def test_treedef_equality_and_hash():
    a = tree_structure({"x": (1, 2), "y": [3]})
    b = tree_structure({"y": ["other"], "x": ("leaves", "differ")})
    assert a == b and hash(a) == hash(b)
    assert a != tree_structure({"x": (1, 2), "y": (3,)})  # list vs tuple
    assert a != tree_structure({"x": (1, 2), "z": [3]})  # keys
    assert a != tree_structure({"x": (1, 2, 3), "y": [3]})  # arity
    assert tree_structure((1, 2)) != tree_structure([1, 2])
    assert tree_structure(Point(1, 2)) != tree_structure((1, 2))
    assert len({a, b, tree_structure((1, 2)), tree_structure((5, 6))}) == 2
    assert isinstance(a, PyTreeDef) and a != "not a treedef"


def test_treedef_repr():
    assert (
        repr(tree_structure({"a": (1, None), "b": [2]})) == "PyTreeDef({'a': (*, None), 'b': [*]})"
    )
    assert repr(tree_structure((1,))) == "PyTreeDef((*,))"


def test_unflatten_with_the_wrong_number_of_leaves():
    with pytest.raises(ValueError, match="2 leaves"):
        tree_unflatten(tree_structure((1, 2)), [1])
    with pytest.raises(ValueError, match="too many"):
        tree_unflatten(tree_structure((1, [2])), [1, 2, 3])
    with pytest.raises(ValueError, match="too few"):
        tree_unflatten(tree_structure((1, [2])), [1])
    with pytest.raises(ValueError, match="1 leaf"):
        tree_unflatten(tree_structure(1), [1, 2])


def test_tree_map_over_several_trees():
    got = tree_map(
        lambda a, b, c: a + b * c, {"p": 1, "q": (2,)}, {"p": 10, "q": (20,)}, {"p": 2, "q": (3,)}
    )
    assert got == {"p": 21, "q": (62,)}
    with pytest.raises(ValueError, match="differ"):
        tree_map(lambda a, b: a, (1, 2), (1, [2]))


def test_is_leaf():
    tree = {"a": (1, 2), "b": [3]}
    leaves = tree_leaves(tree, is_leaf=lambda x: isinstance(x, tuple))
    assert leaves == [(1, 2), 3]


def test_paths():
    paths, _ = tree_flatten_with_path({"w": [1, (2,)], "p": Point(3, Layer(4, 5)), "n": None})
    assert [p for p, _ in paths] == [
        "['p'].x",
        "['p'].y.w",
        "['p'].y.b",
        "['w'][0]",
        "['w'][1][0]",
    ]
    assert [v for _, v in paths] == [3, 4, 5, 1, 2]


def test_broadcast_prefix():
    tree = ({"a": 1, "b": [2, 3]}, 4, None)
    assert broadcast_prefix(0, tree) == [0, 0, 0, 0]
    assert broadcast_prefix(None, tree) == [None] * 4
    assert broadcast_prefix((1, None, 0), tree) == [1, 1, 1, None]
    assert broadcast_prefix(({"a": None, "b": 2}, 0, None), tree) == [None, 2, 2, 0]
    assert broadcast_prefix(({"a": 0, "b": [1, 2]}, 0, None), tree) == [0, 1, 2, 0]
    # A list stands for a tuple and the other way round, as JAX allows.
    assert broadcast_prefix([0, (1, 2)], (5, [6, 7])) == [0, 1, 2]


@pytest.mark.parametrize(
    ("prefix", "tree", "words"),
    [
        ((0, 0), (1, 2, 3), ["length 2", "length 3", "top level"]),
        (({"a": 0},), ({"b": 1},), ["['a']", "['b']", "[0]"]),
        (((0, 0),), (1,), ["tuple", "int", "[0]"]),
        (([0, 0],), ([1, [2, 3], 4],), ["length 2", "length 3", "[0]"]),
        ((Point(0, 0),), ((1, 2),), ["Point", "[0]"]),
        (((0,), 0), (None, 1), ["NoneType", "[0]"]),
    ],
)
def test_broadcast_prefix_errors_name_the_path(prefix, tree, words):
    with pytest.raises(errors.InAxesStructureError) as info:
        broadcast_prefix(prefix, tree, what="in_axes")
    for w in words:
        assert w in str(info.value), (w, str(info.value))


def test_pytrees_through_vmap():
    rng = np.random.default_rng(0)
    params = Layer(w=rng.normal(size=(3, 2)), b=rng.normal(size=2))
    batch = collections.OrderedDict([("x", rng.normal(size=(5, 3))), ("scale", np.arange(5.0))])
    got = vmap(lambda p, d: Point(d["x"] @ p.w + p.b, d["scale"]), in_axes=(None, 0))(params, batch)
    assert type(got) is Point
    np.testing.assert_allclose(got.x, batch["x"] @ params.w + params.b)
    np.testing.assert_array_equal(got.y, np.arange(5.0))
    boxed = vmap(lambda b: Box(b.content * 2, b.label))(Box(np.ones((4, 2)), "k"))
    assert boxed.label == "k" and boxed.content.shape == (4, 2)
