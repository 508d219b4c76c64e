"""Batched reductions are as accurate as the loop, whatever the batch axis and memory order.

NumPy sums pairwise along the axis it iterates innermost; if the batch axis lies inside an
example in memory, a naive batched sum is a running sum (float16: 7% off for 10^6 numbers).
Each case measures the error of vmap and of the Python loop against a float64 reference and
asserts vmap's is no worse than twice the loop's.
"""

from __future__ import annotations

import numpy as np
import pytest

import autovec
import autovec.numpy as anp
from autovec.prims.reductions import example_layout_p

B, N, M = 3, 1000, 1000  # 10^6 numbers per example
_DATA: dict = {}


def _batch(dtype: type, in_axes: int, order: str) -> np.ndarray:
    """B examples of shape (N, M), batch axis at ``in_axes``, C or Fortran order.  Values in
    [0.01, 0.05) keep float16 sums of 10^6 of them finite."""
    key = (dtype, in_axes, order)
    if key not in _DATA:
        base = np.random.default_rng(0).uniform(0.01, 0.05, (B, N, M)).astype(dtype)
        moved = np.moveaxis(base, 0, in_axes)
        _DATA[key] = np.asfortranarray(moved) if order == "F" else np.ascontiguousarray(moved)
    return _DATA[key]


def _examples(xs: np.ndarray, in_axes: int) -> list:
    """What the loop iterates over: views of the batch (the loop's own memory layout)."""
    ax = in_axes % xs.ndim
    return [xs[(slice(None),) * ax + (i,)] for i in range(xs.shape[ax])]


def _rel_error(got: np.ndarray, ref: np.ndarray) -> float:
    got = np.asarray(got, dtype=np.float64)
    return float(np.max(np.abs(got - ref) / np.abs(ref)))


def _check(f, dtype, in_axes, order, transform=autovec.vmap) -> None:
    with np.errstate(under="ignore"):  # float16 squares of small deviations
        _check_errors(f, dtype, in_axes, order, transform)


def _check_errors(f, dtype, in_axes, order, transform) -> None:
    xs = _batch(dtype, in_axes, order)
    examples = _examples(xs, in_axes)
    ref = np.stack([f(x.astype(np.float64)) for x in examples])
    loop = np.stack([f(x) for x in examples])
    got = transform(f, in_axes=in_axes)(xs)
    assert got.dtype == loop.dtype and got.shape == loop.shape
    loop_err, got_err = _rel_error(loop, ref), _rel_error(got, ref)
    assert got_err <= 2 * loop_err + np.finfo(dtype).eps, (got_err, loop_err)


def _jit_vmap(f, in_axes):
    return autovec.jit(autovec.vmap(f, in_axes=in_axes))


REDUCE = {
    "sum": lambda x: np.sum(x),
    "mean": lambda x: np.mean(x),
    "var": lambda x: np.var(x),
    "sum_axis1": lambda x: x.sum(axis=1),
    "var_axis1": lambda x: np.var(x, axis=1),
}


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("in_axes", [0, 1, -1])
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("name", sorted(REDUCE))
def test_as_accurate_as_the_loop(name, dtype, in_axes, order):
    _check(REDUCE[name], dtype, in_axes, order)


AXIS_FORMS = {
    "sum_axis0": lambda x: x.sum(axis=0),
    "mean_axis-1": lambda x: x.mean(axis=-1),
    "sum_axes01": lambda x: np.sum(x, axis=(0, 1)),
    "std": lambda x: x.std(),
    "mean_keepdims": lambda x: np.mean(x, axis=1, keepdims=True),
}


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("in_axes", [1, -1])
@pytest.mark.parametrize("name", sorted(AXIS_FORMS))
def test_axis_forms(name, in_axes, order):
    _check(AXIS_FORMS[name], np.float32, in_axes, order)


COMPOSITES = {
    "nansum": lambda x: np.nansum(x),
    "nanmean_axis1": lambda x: np.nanmean(x, axis=1),
    "nanvar": lambda x: np.nanvar(x),
    "average": lambda x: np.average(x),
    "norm_axis1": lambda x: np.linalg.norm(x, axis=1),
    "vector_norm": lambda x: anp.linalg.vector_norm(x, ord=1),
}


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_composites(name):
    _check(COMPOSITES[name], np.float32, -1, "C")


@pytest.mark.parametrize("in_axes,order", [(-1, "C"), (0, "F"), (1, "C")])
@pytest.mark.parametrize("name", ["sum", "var", "sum_axis1"])
def test_under_jit_of_vmap(name, in_axes, order):
    _check(REDUCE[name], np.float32, in_axes, order, transform=_jit_vmap)


def test_nested_vmap():
    """vmap(vmap(sum)): two batch axes inside the examples' memory."""
    xs = np.moveaxis(_batch(np.float32, 0, "C").reshape(B, N, 10, 100), (0, 1), (3, 2))
    xs = np.ascontiguousarray(xs)  # (10, 100, N, B): both batch axes innermost
    ref = np.einsum("kjnb->bn", xs.astype(np.float64))  # (b, n) -> sum of that example
    loop = np.array([[xs[:, :, n, b].sum() for n in range(N)] for b in range(B)])
    got = autovec.vmap(autovec.vmap(np.sum, in_axes=2), in_axes=3)(xs)
    assert _rel_error(got, ref) <= 2 * _rel_error(loop, ref) + np.finfo(np.float32).eps


# ------------------------------------------------------------- only copies where it matters


def _layout(x: np.ndarray, axes: tuple) -> np.ndarray:
    return example_layout_p.impl(np, x, batch_axes=(0,), axes=axes)


def test_layout_is_left_alone_where_it_changes_nothing():
    c = np.zeros((4, 50, 60), np.float32)
    assert _layout(c, (1, 2)) is c  # the batch axis is already outermost
    # Integers add exactly in any order: their sums are not given the equation at all (their
    # means are: NumPy sums them in float64).
    ints = np.zeros((60, 50, 4), np.int64).transpose(2, 1, 0)
    for f, bound in ((np.sum, False), (np.mean, True)):
        program = autovec.jit(autovec.vmap(f)).lower(ints).program
        assert any(e.prim is example_layout_p for e in program.eqns) is bound
    f = np.zeros((4, 50, 60), np.float64, order="F")
    assert _layout(f, (1,)) is not f  # batch innermost, the reduced axis next: copy
    # The example's innermost axis is kept: the loop sums axis 2 with a running sum as well.
    assert _layout(f, (2,)) is f
    small = np.zeros((4, 5), np.float64, order="F")
    assert _layout(small, (1,)) is small  # fewer than 8 numbers: no pairwise sum at all


def test_layout_keeps_values_and_example_order():
    x = np.random.default_rng(1).random((20, 30, 4)).transpose(2, 0, 1)  # batch innermost
    y = _layout(x, (1, 2))
    assert np.array_equal(x, y) and not np.shares_memory(x, y)
    assert y.strides[0] > y.strides[1] > y.strides[2]


# Short sums, where no pairwise block is reached, still depend on the layout for float16
# (NumPy adds an innermost run in float32, other axes step by step in float16) and for 4 to
# 7 complex numbers (NumPy counts both parts toward its 8-number block): the loop's bits.
@pytest.mark.parametrize("transform", ["vmap", "jit(vmap)", "vmap(jit)"])
@pytest.mark.parametrize("size", [2, 3, 4, 7])
@pytest.mark.parametrize("dtype", [np.float16, np.complex64, np.float32])
def test_short_sums_of_fortran_batches_are_the_loops_bit_for_bit(dtype, size, transform):
    rng = np.random.default_rng(size)  # magnitudes 0.5-3: float16 squares do not underflow
    base = rng.uniform(0.5, 3.0, (40, size)) * rng.choice([-1.0, 1.0], (40, size))
    if np.dtype(dtype).kind == "c":
        base = base + 1j * base[::-1]
    x = np.asfortranarray(base.astype(dtype))
    f = lambda v: (v * v).sum() + v.mean()  # noqa: E731
    wrap = {
        "vmap": autovec.vmap(f),
        "jit(vmap)": autovec.jit(autovec.vmap(f)),
        "vmap(jit)": autovec.vmap(autovec.jit(f)),
    }[transform]
    np.testing.assert_array_equal(wrap(x), np.stack([f(r) for r in x]))


# Means and variances of integers and booleans are float64 sums: the layout shows in them
# as in float sums (int8 examples along axis 1 differed from the loop in the last bits).
@pytest.mark.parametrize("transform", ["vmap", "jit(vmap)"])
@pytest.mark.parametrize("name", ["mean", "var", "std"])
@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.bool_, np.uint16])
@pytest.mark.parametrize("size", [9, 200, 9000])
def test_integer_means_and_variances_are_the_loops_bit_for_bit(dtype, name, size, transform):
    rng = np.random.default_rng(size)
    x = (rng.standard_normal((size, 5)) * 100).astype(dtype)  # examples along axis 1
    f = getattr(np, name)
    wrap = autovec.vmap(f, in_axes=1)
    wrap = autovec.jit(wrap) if transform == "jit(vmap)" else wrap
    want = np.stack([f(x[:, i]) for i in range(5)])
    got = wrap(x)
    assert got.dtype == want.dtype and np.array_equal(got.view(np.uint8), want.view(np.uint8))
