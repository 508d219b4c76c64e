"""``autovec.vmap(fun, in_axes, out_axes, *, axis_size, axis_name)`` with JAX's semantics.

Every result is compared with ``reference_vmap`` below: an independent, obviously correct
Python loop (slice each example out of every mapped argument, call ``fun``, stack), written
without autovec's own pytree code.  Plain-NumPy code (ndarray methods, operators, indexing)
runs under vmap and must give what the loop gives.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import namedtuple
from typing import Any

import numpy as np
import pytest

import autovec
import autovec.numpy as anp
from autovec import vmap
from autovec.core import Tracer
from autovec.testing import check_vmap, in_axes_combinations

# --------------------------------------------------------------------- the reference loop


def _take(tree: Any, axes: Any, i: int) -> Any:
    """Example ``i`` of ``tree``: each leaf indexed at ``i`` along its axis from the prefix
    tree ``axes`` (an int or None covers a whole subtree)."""
    if axes is None:
        return tree
    if isinstance(axes, int):
        if isinstance(tree, dict):
            return {k: _take(v, axes, i) for k, v in tree.items()}
        if isinstance(tree, tuple) and hasattr(tree, "_fields"):
            return type(tree)(*(_take(v, axes, i) for v in tree))
        if isinstance(tree, (list, tuple)):
            return type(tree)(_take(v, axes, i) for v in tree)
        return np.take(np.asarray(tree), i, axis=axes)
    if isinstance(axes, dict):
        return {k: _take(tree[k], axes[k], i) for k in tree}
    return type(tree)(_take(t, a, i) for t, a in zip(tree, axes))


def _size(tree: Any, axes: Any) -> set:
    if axes is None:
        return set()
    if isinstance(axes, int):
        if isinstance(tree, dict):
            return set().union(*(_size(v, axes) for v in tree.values()))
        if isinstance(tree, (list, tuple)):
            return set().union(set(), *(_size(v, axes) for v in tree))
        return {np.shape(tree)[axes]}
    if isinstance(axes, dict):
        return set().union(*(_size(tree[k], axes[k]) for k in tree))
    return set().union(set(), *(_size(t, a) for t, a in zip(tree, axes)))


def _stack(outs: list, out_axes: Any, template: Any) -> Any:
    """Stack the per-example outputs, the batch axis where ``out_axes`` says."""
    if isinstance(template, dict):
        oa = out_axes if isinstance(out_axes, dict) else dict.fromkeys(template, out_axes)
        return {k: _stack([o[k] for o in outs], oa[k], template[k]) for k in template}
    if dataclasses.is_dataclass(template):
        names = [f.name for f in dataclasses.fields(template)]
        oa = out_axes if isinstance(out_axes, dict) else dict.fromkeys(names, out_axes)
        return type(template)(
            **{n: _stack([getattr(o, n) for o in outs], oa[n], getattr(template, n)) for n in names}
        )
    if isinstance(template, (list, tuple)):
        oa = out_axes if isinstance(out_axes, (list, tuple)) else [out_axes] * len(template)
        parts = [_stack([o[k] for o in outs], oa[k], template[k]) for k in range(len(template))]
        return type(template)(*parts) if hasattr(template, "_fields") else type(template)(parts)
    if template is None:
        return None
    if out_axes is None:
        return template
    arr = np.stack([np.asarray(o) for o in outs])
    return np.moveaxis(arr, 0, out_axes)


def reference_vmap(fun, in_axes=0, out_axes=0, *, axis_size=None):
    """vmap as a plain loop over the examples (the specification every test compares to)."""

    def run(*args, **kwargs):
        axes = in_axes if isinstance(in_axes, (list, tuple)) else [in_axes] * len(args)
        axes = list(axes)
        sizes = set().union(set(), *(_size(a, ax) for a, ax in zip(args, axes)))
        sizes |= _size(kwargs, 0) if kwargs else set()
        (n,) = sizes or {axis_size}
        outs = [
            fun(
                *(_take(a, ax, i) for a, ax in zip(args, axes)),
                **{k: _take(v, 0, i) for k, v in kwargs.items()},
            )
            for i in range(n)
        ]
        assert n > 0, "the reference loop needs at least one example"
        return _stack(outs, out_axes, outs[0])

    return run


def assert_tree_equal(got: Any, want: Any, exact: bool = False) -> None:
    """Same structure, leaves: ndarrays (never tracers) of the same shape, dtype, values."""
    assert type(got) is type(want), (type(got), type(want))
    if isinstance(want, dict):
        assert sorted(got) == sorted(want)
        for k in want:
            assert_tree_equal(got[k], want[k], exact)
    elif dataclasses.is_dataclass(want):
        for f in dataclasses.fields(want):
            assert_tree_equal(getattr(got, f.name), getattr(want, f.name), exact)
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_tree_equal(g, w, exact)
    elif want is None:
        assert got is None
    elif isinstance(want, np.ndarray):
        assert not isinstance(got, Tracer)
        assert isinstance(got, np.ndarray), type(got)
        assert got.shape == want.shape and got.dtype == want.dtype, (got, want)
        if exact or want.dtype.kind not in "fc":
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    else:
        assert got == want


def same_as_loop(fun, *args, in_axes=0, out_axes=0, axis_size=None, **kwargs) -> Any:
    got = vmap(fun, in_axes, out_axes, axis_size=axis_size)(*args, **kwargs)
    want = reference_vmap(fun, in_axes, out_axes, axis_size=axis_size)(*args, **kwargs)
    assert_tree_equal(got, want)
    return got


RNG = np.random.default_rng(0)
X = RNG.normal(size=(4, 3))
Y = RNG.normal(size=(3, 4))
W = RNG.normal(size=(3,))
INTS = RNG.integers(-5, 5, size=(4, 3))

# ------------------------------------------------------------------------------ in_axes


@pytest.mark.parametrize("axis", [0, 1, -1, -2])
def test_int_and_negative_in_axes(axis):
    got = same_as_loop(lambda a: np.sin(a) * 2.0, X, in_axes=axis)
    assert got.shape == (X.shape[axis], X.shape[1 - axis % 2])


def test_in_axes_as_tuple_list_and_none():
    f = lambda a, b, c: a * b + c
    same_as_loop(f, X, W, 1.0, in_axes=(0, None, None))
    same_as_loop(f, X, Y, 2.0, in_axes=(0, 1, None))
    out = same_as_loop(f, X, Y, X, in_axes=[0, -1, 0])
    assert out.shape == (4, 3)
    # None for an argument: it is the same for every example, even if it has a leading axis.
    same_as_loop(lambda a, b: a @ b, X, Y, in_axes=(0, None))


def test_in_axes_single_int_applies_to_every_argument_and_leaf():
    tree = {"w": X, "b": [X[:, 0], (INTS,)]}
    same_as_loop(lambda t, s: t["w"] * t["b"][0] + t["b"][1][0] + s, tree, X)


def test_in_axes_prefix_trees():
    params = {"w": Y, "b": W}
    data = (X, INTS)
    f = lambda p, d: (d[0] @ p["w"] + p["b"][0]) * d[1].sum()
    same_as_loop(f, params, data, in_axes=(None, 0))
    same_as_loop(f, params, data, in_axes=({"w": 1, "b": None}, (0, 0)))
    same_as_loop(f, params, data, in_axes=({"w": None, "b": None}, [0, None]))
    # A list in_axes entry stands for a tuple argument (and the other way round), as in JAX.
    same_as_loop(f, params, data, in_axes=(None, [0, 0]))
    same_as_loop(lambda xs: xs[0] + xs[1], [X, X.T], in_axes=((0, 1),))


def test_keyword_arguments_are_mapped_along_axis_0():
    f = lambda a, *, scale, shift=0.0: a * scale + shift
    got = vmap(f, in_axes=(1,))(Y, scale=np.arange(4.0), shift=np.ones(4))
    want = np.stack([Y[:, i] * i + 1.0 for i in range(4)])
    np.testing.assert_array_equal(got, want)
    # A keyword pytree is mapped leaf by leaf.
    k = np.arange(4.0) - 1.5
    got = vmap(lambda a, cfg: a * cfg["k"] + cfg["m"][0])(X, cfg={"k": k, "m": [Y.T]})
    np.testing.assert_array_equal(got, np.stack([X[i] * k[i] + Y.T[i] for i in range(4)]))


def test_keyword_arguments_follow_jax():
    # JAX maps every keyword argument along axis 0, whatever in_axes says.
    f = lambda a, b: a - b
    got = vmap(f, in_axes=None, axis_size=4)(X[0], b=X)
    np.testing.assert_array_equal(got, np.stack([X[0] - X[i] for i in range(4)]))
    got = vmap(f, in_axes=(1,))(Y, b=X)
    np.testing.assert_array_equal(got, np.stack([Y[:, i] - X[i] for i in range(4)]))


def test_axis_size_when_nothing_is_batched():
    got = vmap(lambda a: a * 2.0, in_axes=None, axis_size=5)(W)
    np.testing.assert_array_equal(got, np.broadcast_to(W * 2.0, (5, 3)))
    assert got.flags.writeable  # a real array, as the loop's np.stack would give
    got = vmap(lambda: anp.ones(2), axis_size=3)()
    np.testing.assert_array_equal(got, np.ones((3, 2)))
    got = vmap(lambda a: a, in_axes=0, axis_size=4)(X)  # agrees with the batch: fine
    np.testing.assert_array_equal(got, X)


def test_axis_name_is_accepted():
    got = vmap(lambda a: a.sum(), axis_name="batch")(X)
    np.testing.assert_array_equal(got, X.sum(axis=1))


@pytest.mark.parametrize("in_axes", [0, 1, -1])
def test_batch_size_zero(in_axes):
    empty = np.zeros((0, 3)) if in_axes == 0 else np.zeros((3, 0))
    got = vmap(lambda a: (a.sum(), a * 2, a @ np.ones((3, 2))), in_axes=in_axes)(empty)
    assert [g.shape for g in got] == [(0,), (0, 3), (0, 2)]
    assert [g.dtype for g in got] == [np.float64] * 3
    got = vmap(lambda a: (a > 0).astype(np.int8).sum(dtype=np.int8))(np.zeros((0, 5)))
    assert got.shape == (0,) and got.dtype == np.int8
    got = vmap(lambda a, b: a + b, in_axes=(0, None))(np.zeros((0, 2), np.float32), 1.0)
    assert got.shape == (0, 2) and got.dtype == np.float32


# ----------------------------------------------------------------------------- out_axes


@pytest.mark.parametrize("out_axes", [0, 1, 2, -1, -2, -3])
def test_out_axes_ints_and_negatives(out_axes):
    f = lambda a: np.outer(a, a[:2])
    got = same_as_loop(f, X, out_axes=out_axes)
    assert got.shape[out_axes] == 4


def test_out_axes_none_for_unbatched_outputs():
    f = lambda a, w: (a * w, w.sum(), 3.0)
    got = same_as_loop(f, X, W, in_axes=(0, None), out_axes=(0, None, None))
    assert got[2] == 3.0 and isinstance(got[1], np.float64)
    # The unbatched output is exactly the per-example value.
    assert got[1] == W.sum()


def test_out_axes_pytrees():
    f = lambda a: {"a": a, "pair": (a.sum(), np.outer(a, a))}
    same_as_loop(f, X, out_axes={"a": 1, "pair": (0, -1)})
    g = lambda a: {"a": a, "pair": (np.outer(a, a), np.outer(a, a[:2]))}
    same_as_loop(g, X, out_axes={"a": -1, "pair": 2})  # a prefix: 2 for both leaves of pair
    same_as_loop(lambda a: [a, a * 2], X, out_axes=[1, 0])
    same_as_loop(lambda a: (a, [a, a]), X, out_axes=(1, [0, 1]))


# ---------------------------------------------------------------------- output pytrees

Pair = namedtuple("Pair", "first second")


@dataclasses.dataclass
class Stats:
    mean: Any
    spread: Any


@pytest.mark.parametrize(
    "fun",
    [
        lambda a: (a, a.sum()),
        lambda a: [a.max(), (a.min(), a.argmax())],
        lambda a: {"z": a * 2, "a": {"n": a.mean()}},
        lambda a: Pair(a.sum(), a[::-1]),
        lambda a: Stats(a.mean(), a.std()),
        lambda a: (a, None),
        lambda a: (),
    ],
    ids=["tuple", "list", "dict", "namedtuple", "dataclass", "none", "empty"],
)
def test_output_pytrees(fun):
    got = same_as_loop(fun, X)
    want_type = type(fun(X[0]))
    assert type(got) is want_type


def test_dict_outputs_have_sorted_keys_as_in_jax():
    got = vmap(lambda a: {"z": a, "a": a.sum()})(X)
    assert list(got) == ["a", "z"]


@pytest.mark.parametrize(
    ("fun", "dtype"),
    [
        (lambda a: 3, np.int64),
        (lambda a: 2.5, np.float64),
        (lambda a: True, np.bool_),
        (lambda a: 1j, np.complex128),
        (lambda a: np.float32(2.0), np.float32),
        (lambda a: np.array(7, np.int8), np.int8),
        (lambda a: a.sum(), np.float64),
        (lambda a: a[0], np.float64),
        (lambda a: (a > 0).all(), np.bool_),
    ],
)
def test_scalar_and_0d_outputs_become_arrays(fun, dtype):
    got = vmap(fun)(X)
    assert type(got) is np.ndarray and got.shape == (4,) and got.dtype == dtype
    np.testing.assert_array_equal(got, np.stack([np.asarray(fun(x)) for x in X]))


def test_outputs_are_numpy_arrays_never_tracers():
    outs = vmap(lambda a, w: (a, w, a * w, a[0], np.asarray(w), anp.zeros(2)), in_axes=(0, None))(
        X, W
    )
    for o in outs:
        assert type(o) is np.ndarray
        assert o.flags.writeable
    # An unbatched input returned as is comes back broadcast over the batch, as a real copy.
    np.testing.assert_array_equal(outs[1], np.broadcast_to(W, (4, 3)))
    outs[1][0, 0] = 99.0
    assert W[0] != 99.0


def test_outputs_never_share_memory_with_inputs_or_each_other():
    # The loop's np.stack gives fresh arrays: writing into a result must not change the
    # arguments or another result, even when the function returns its input or a view of it.
    x = X.copy()
    funs = {
        "identity": lambda a: a,
        "slice": lambda a: a[1:],
        "transpose": lambda a: a.T,
        "reshape": lambda a: a.reshape(3, 1),
        "pair": lambda a: (a, a),
        "view_then_base": lambda a: (lambda c: (c[1:], c))(a * 2),
        "base_then_view": lambda a: (lambda c: (c, c[::-1]))(a * 2),
    }
    for name, f in funs.items():
        for in_axes in (0, 1):
            outs = vmap(f, in_axes=in_axes)(x if in_axes == 0 else x.T)
            outs = outs if isinstance(outs, tuple) else (outs,)
            for k, o in enumerate(outs):
                assert not np.shares_memory(o, x), (name, in_axes)
                for other in outs[k + 1 :]:
                    assert not np.shares_memory(o, other), (name, in_axes)
    np.testing.assert_array_equal(x, X)
    np.testing.assert_array_equal(vmap(lambda a: a, in_axes=1)(Y), Y.T)


# ------------------------------------------------------------------------------- nesting


def test_pairwise_distances_by_nested_vmap_equal_the_double_loop():
    pts_a = RNG.normal(size=(5, 3))
    pts_b = RNG.normal(size=(4, 3))
    dist = lambda p, q: np.sqrt(np.sum((p - q) ** 2))
    got = vmap(vmap(dist, (None, 0)), (0, None))(pts_a, pts_b)
    want = np.array([[dist(p, q) for q in pts_b] for p in pts_a])
    assert got.shape == (5, 4)
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_nested_vmap_over_different_axes():
    a = RNG.normal(size=(2, 3, 4))
    f = lambda v: v * np.arange(v.shape[0]) + v.max()
    got = vmap(vmap(f, in_axes=1), in_axes=2)(a)  # outer over axis 2, inner over (old) axis 1
    want = np.stack([np.stack([f(a[:, j, k]) for j in range(3)]) for k in range(4)])
    np.testing.assert_allclose(got, want)
    got = vmap(vmap(f, in_axes=0, out_axes=1), in_axes=-1, out_axes=-1)(a)
    want = np.stack([np.stack([f(a[i, :, k]) for i in range(2)], axis=1) for k in range(4)], -1)
    np.testing.assert_allclose(got, want)


def test_nested_vmap_keeps_the_two_batch_axes_apart():
    # Same size for both batches: confusing the two axes would go unnoticed in the shapes.
    a = RNG.normal(size=(3, 3))
    b = RNG.normal(size=(3, 3))
    got = vmap(lambda u: vmap(lambda v: u @ v + u[0])(b))(a)
    want = np.array([[ai @ bj + ai[0] for bj in b] for ai in a])
    np.testing.assert_allclose(got, want)
    got = vmap(lambda u: vmap(lambda v: u[v.argmax()] - v.sum())(b))(a)
    want = np.array([[ai[bj.argmax()] - bj.sum() for bj in b] for ai in a])
    np.testing.assert_allclose(got, want)


def test_triple_nesting():
    a = RNG.normal(size=(2, 3, 4, 5))
    got = vmap(vmap(vmap(lambda v: (v**2).sum())))(a)
    np.testing.assert_allclose(got, (a**2).sum(-1))


def test_inner_vmap_closing_over_outer_values():
    ws = RNG.normal(size=(3, 4))
    xs = RNG.normal(size=(5, 4))
    got = vmap(lambda w: vmap(lambda x: np.dot(w, x))(xs))(ws)
    np.testing.assert_allclose(got, ws @ xs.T)


# ----------------------------------------------------------------------- wraps metadata


def test_functools_wraps_metadata():
    def scaled_norm(vector, scale=1.0):
        """Length of ``vector`` times ``scale``."""
        return np.sqrt((vector**2).sum()) * scale

    v = vmap(scaled_norm)
    assert v.__name__ == "scaled_norm"
    assert v.__doc__ == scaled_norm.__doc__
    assert v.__qualname__ == scaled_norm.__qualname__
    assert v.__module__ == scaled_norm.__module__
    assert v.__wrapped__ is scaled_norm
    assert vmap(vmap(scaled_norm)).__name__ == "scaled_norm"
    assert functools.partial(vmap, in_axes=1)(np.sum).__name__ == "sum"


# --------------------------------------------------------------- plain numpy under vmap


def _mlp(xp):
    def mlp(w1, b1, w2, x):
        h = xp.tanh(x @ w1 + b1)
        logits = xp.dot(h, w2)
        z = logits - xp.max(logits)
        return z - xp.log(xp.sum(xp.exp(z)))

    return mlp


def test_same_function_with_numpy_and_autovec_numpy_gives_identical_results():
    w1, b1, w2 = RNG.normal(size=(3, 8)), RNG.normal(size=8), RNG.normal(size=(8, 4))
    args = (w1, b1, w2, X)
    axes = (None, None, None, 0)
    with_np = vmap(_mlp(np), in_axes=axes)(*args)
    with_anp = vmap(_mlp(anp), in_axes=axes)(*args)
    assert with_np.dtype == with_anp.dtype and with_np.shape == with_anp.shape == (4, 4)
    np.testing.assert_array_equal(with_np, with_anp)  # the very same operations
    np.testing.assert_allclose(with_np, np.stack([_mlp(np)(w1, b1, w2, x) for x in X]))


METHOD_FUNS = {
    "sum": lambda a: a.sum() + a.sum(axis=0).sum() + a.sum(0, keepdims=True)[0, 0],
    "mean": lambda a: a.mean(axis=-1),
    "max": lambda a: a.max(axis=1) - a.max(),
    "min": lambda a: a.min(0),
    "reshape": lambda a: a.reshape(-1) + a.reshape(a.shape[1], a.shape[0]).ravel(),
    "reshape_args": lambda a: a.reshape(2, 3),
    "transpose": lambda a: a.transpose() + a.transpose(1, 0) + a.transpose((1, 0)),
    "astype": lambda a: a.astype(np.int32) + a.astype("float32").astype(np.int32),
    "dot": lambda a: a.dot(np.arange(3.0)) + a.T.dot(a).sum(),
    "T": lambda a: a.T,
    "shape": lambda a: np.zeros(a.shape) + a.shape[0] + a.ndim + a.size + a.dtype.itemsize,
    "nbytes": lambda a: a * a.itemsize + a.nbytes,
    "len": lambda a: a * len(a),
    "iteration": lambda a: sum(row * k for k, row in enumerate(a)),
    "unpacking": lambda a: (lambda r0, r1: r0 - r1)(*a),
    "operators": lambda a: (-a + 2 * a - a / 3 + a**2) % 1.5 // 0.25 + abs(a) + (+a),
    "comparisons": lambda a: (a < 0) ^ (a >= 1) | (a == a.max()) & ~(a != 0),
    "matmul_op": lambda a: a @ a.T @ np.ones(2),
    "rmatmul": lambda a: np.ones((3, 2)) @ a,
    "reflected": lambda a: 1.0 - a + (2.0 / (a + 3.0)) * np.arange(3.0),
    "inplace": lambda a: _inplace(a),
    "np_functions": lambda a: np.exp(a) + np.sum(a, axis=1, keepdims=True) + np.mean(a),
    "np_ufunc_reduce": lambda a: np.add.reduce(a) + np.maximum.reduce(a, axis=1).sum(),
    "argmax": lambda a: a.argmax() + a.argmin(axis=1).sum(),
    "clip": lambda a: a.clip(-0.5, 0.5),
    "var_std": lambda a: a.var() + a.std(axis=0),
    "prod": lambda a: a.prod(axis=1),
    "any_all": lambda a: (a > 0).any(axis=0) | (a > 0).all(),
    "squeeze": lambda a: a[None].squeeze(0),
    "flatten": lambda a: a.flatten(),
    "copy": lambda a: a.copy() * 2,
    "conj": lambda a: a.conj(),
    "swapaxes": lambda a: a.swapaxes(0, 1),
    "real_imag": lambda a: a.real + a.imag,
}


def _inplace(a):
    b = a * 1.0
    b += 1.0
    b *= a
    return b


@pytest.mark.parametrize("name", sorted(METHOD_FUNS))
def test_ndarray_methods_and_operators_under_vmap(name):
    x = RNG.normal(size=(2, 3))
    assert check_vmap(METHOD_FUNS[name], x, nested=True) > 0


INDEX_FUNS = {
    "slice": lambda a: a[1:],
    "slice_step": lambda a: a[::-2, 1:3],
    "int": lambda a: a[0],
    "negative_int": lambda a: a[-1, -2],
    "none": lambda a: a[None, :, None],
    "ellipsis": lambda a: a[..., 1],
    "ellipsis_none": lambda a: a[None, ..., 0],
    "int_array": lambda a: a[np.array([2, 0, 2])],
    "int_array_2d": lambda a: a[np.array([[0, 1], [2, 2]])],
    "int_list": lambda a: a[[1, 0]],
    "int_array_axis1": lambda a: a[:, np.array([3, 0])],
    "two_int_arrays": lambda a: a[np.array([0, 2]), np.array([1, 3])],
    "split_arrays": lambda a: a[np.array([0, 1]), 1:3, np.array([1])] if a.ndim == 3 else a[0],
    "bool_mask": lambda a: a[np.array([True, False, True])],
    "bool_mask_2d": lambda a: a[np.arange(12).reshape(3, 4) % 3 == 0],
    "bool_mask_axis1": lambda a: a[:, np.array([True, False, False, True])],
    "negative_indices": lambda a: a[np.array([-1, -3])],
    "mixed": lambda a: a[1:, np.array([0, 0, 3])],
    "empty_slice": lambda a: a[2:1],
}


@pytest.mark.parametrize("name", sorted(INDEX_FUNS))
def test_indexing_under_vmap(name):
    x = RNG.normal(size=(3, 4))
    assert check_vmap(INDEX_FUNS[name], x) > 0
    x3 = RNG.normal(size=(2, 3, 4))
    if name in ("split_arrays", "ellipsis", "none", "slice"):
        assert check_vmap(INDEX_FUNS[name], x3) > 0


def test_batched_integer_index_arrays():
    x = RNG.normal(size=(4, 5))
    idx = np.array([[0, 4], [1, 1], [3, 2], [2, 0]])
    # Both batched: each example picks from its own row.
    got = vmap(lambda row, i: row[i])(x, idx)
    np.testing.assert_array_equal(got, np.stack([x[k][idx[k]] for k in range(4)]))
    # Only the index batched: one plain table shared by every example.  NumPy has no hook
    # for ndarray[tracer], so the table is indexed through autovec.numpy (test_errors checks
    # that plain table[i] says so).
    table = RNG.normal(size=(5, 3))
    got = vmap(lambda i: anp.getitem(table, i))(idx)
    np.testing.assert_array_equal(got, np.stack([table[i] for i in idx]))
    # Mapped along with the index, the table is a tracer and plain indexing works.
    got = vmap(lambda t, i: t[i])(np.stack([table] * 4), idx)
    np.testing.assert_array_equal(got, np.stack([table[i] for i in idx]))
    # A batched scalar index.
    got = vmap(lambda row, i: row[i])(x, np.array([4, 0, 2, 1]))
    np.testing.assert_array_equal(got, x[np.arange(4), [4, 0, 2, 1]])
    # Index arrays and slices mixed, both batched, on a 3-d example.
    x3 = RNG.normal(size=(4, 2, 3, 5))
    i1 = RNG.integers(0, 3, size=(4, 2))
    i2 = RNG.integers(0, 5, size=(4, 2))
    for f in (lambda a, i, j: a[:, i, j], lambda a, i, j: a[1, i, j], lambda a, i, j: a[:, i, 2:]):
        got = vmap(f)(x3, i1, i2)
        want = np.stack([f(x3[k], i1[k], i2[k]) for k in range(4)])
        np.testing.assert_array_equal(got, want)
    combos = [c for c in in_axes_combinations((x[0], idx[0])) if c[0] is not None]
    assert check_vmap(lambda a, i: a[i], x[0], idx[0], in_axes=combos) > 0


def test_integer_and_boolean_dtypes_are_exact():
    ints = RNG.integers(-100, 100, size=(5, 4)).astype(np.int8)
    f = lambda a: (a * 3 + 7) // 2 - (a % 5) + (a.sum(dtype=np.int8) >> 1)
    got = vmap(f)(ints)
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got, np.stack([f(a) for a in ints]))
    bools = RNG.random((5, 4)) < 0.5
    g = lambda b: (b & ~b[::-1]) | b.any()
    np.testing.assert_array_equal(vmap(g)(bools), np.stack([g(b) for b in bools]))


def test_vmap_of_a_numpy_function_directly():
    np.testing.assert_array_equal(vmap(np.sin)(X), np.sin(X))
    np.testing.assert_array_equal(vmap(np.sum)(X), X.sum(axis=1))
    np.testing.assert_array_equal(vmap(np.dot, in_axes=(0, None))(X, W), X @ W)
    np.testing.assert_array_equal(vmap(anp.outer)(X, X).shape, (4, 3, 3))


def test_python_lists_of_arrays_as_arguments():
    got = vmap(lambda parts: parts[0] * parts[1])([X, X + 1])
    np.testing.assert_array_equal(got, X * (X + 1))


def test_numpy_scalar_and_python_scalar_arguments_unbatched():
    got = vmap(lambda a, s, t: a * s + t, in_axes=(0, None, None))(X, np.float32(2.0), 1)
    np.testing.assert_array_equal(got, X * 2.0 + 1)
    # A Python float stays weak unbatched: float32 examples stay float32.
    got = vmap(lambda a, s: a * s, in_axes=(0, None))(X.astype(np.float32), 2.0)
    assert got.dtype == np.float32


def test_vmap_is_exported_at_top_level():
    assert autovec.vmap is vmap
    assert callable(autovec.numpy.where)
