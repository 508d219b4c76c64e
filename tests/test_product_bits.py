"""Bits under vmap that ``check_vmap``'s tolerance cannot see: signed zeros (-0.0 and
+0.0 told apart) of products and extremes, float16 dot products, and the parts of complex
results rebuilt from their real and imaginary parts (infinite, NaN or -0.0).

A sum of products that are all -0.0 (zeros times negative numbers) is +0.0 where NumPy
sums from +0.0 (BLAS, einsum, its dot loops), but NumPy's ``dot``/``inner``/``tensordot`` of
two operands holding one number each multiply them, which keeps -0.0.  The batched paths
(einsum over the stack, the short unrolled dot of large stacks, BLAS) must give the loop's
sign either way; ``check_vmap`` compares values, which cannot see it.
"""

from __future__ import annotations

import numpy as np
import pytest

import autovec
from tests._fused_checks import same_bits

FUNCTIONS = {
    "dot": np.dot,
    "inner": np.inner,
    "matmul": np.matmul,
    "vdot": np.vdot,
    "vecdot": np.vecdot,
    "tensordot": lambda a, b: np.tensordot(a, b, 1),
    "einsum": lambda a, b: np.einsum("i,i->", a, b),
    "multi_dot": lambda a, b: np.linalg.multi_dot([a, b]),
}
# Per-example shapes of both operands (the contraction is the last axis of the first).
VECTORS = [1, 2, 3, 4, 5, 9]
SHAPES = [
    ((1, 1), (1,)),
    ((1,), (1, 1)),
    ((1, 1), (1, 1)),
    ((1, 1, 1), (1,)),
    ((2, 1), (1,)),
    ((1,), (1, 3)),
]


def _check(f, a: np.ndarray, b: np.ndarray, in_axes: tuple) -> None:
    def lane(v, ax, i):
        return v[i] if ax == 0 else v

    n = a.shape[0] if in_axes[0] == 0 else b.shape[0]
    want = np.stack([f(lane(a, in_axes[0], i), lane(b, in_axes[1], i)) for i in range(n)])
    for g in (autovec.vmap(f, in_axes), autovec.jit(autovec.vmap(f, in_axes))):
        same_bits(g(a, b), want)


def _operands(shape_a, shape_b, batch, dtype, pattern):
    if pattern == "negative_zeros":  # -0.0 times 1.0
        a = np.full((batch, *shape_a), -0.0, dtype)
        b = np.ones((batch, *shape_b), dtype)
    else:  # 0.0 times negative numbers
        a = np.zeros((batch, *shape_a), dtype)
        b = -np.arange(1, 1 + np.prod(shape_b, dtype=int)).reshape(shape_b).astype(dtype)
        b = np.broadcast_to(b, (batch, *shape_b)).copy()
    return a, b


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("n", VECTORS)
@pytest.mark.parametrize("batch", [5, 4096])  # 4096: the unrolled dot of large stacks
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
@pytest.mark.parametrize("pattern", ["negative_zeros", "zeros_times_negatives"])
def test_dot_of_vectors_keeps_the_loops_zero_sign(name, n, batch, dtype, pattern) -> None:
    f = FUNCTIONS[name]
    a, b = _operands((n,), (n,), batch, dtype, pattern)
    for in_axes in ((0, 0), (0, None), (None, 0)):
        _check(f, a if in_axes[0] == 0 else a[0], b if in_axes[1] == 0 else b[0], in_axes)


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name", ["dot", "inner", "matmul", "tensordot"])
@pytest.mark.parametrize("batch", [5, 4096])
def test_one_number_operands_keep_the_loops_zero_sign(shapes, name, batch) -> None:
    f = FUNCTIONS[name]
    a, b = _operands(*shapes, batch, np.float64, "negative_zeros")
    try:
        f(a[0], b[0])
    except ValueError:
        pytest.skip("NumPy refuses these shapes")
    _check(f, a, b, (0, 0))
    _check(f, a, b[0], (0, None))


def test_tensordot_of_one_number_each_is_a_product_in_the_dot_shape() -> None:
    a, b = np.full((3, 1, 1), -0.0), np.ones((3, 1, 1))
    for axes in (0, 1, 2, ([0, 1], [1, 0])):

        def f(x, y, axes=axes):
            return np.tensordot(x, y, axes)

        _check(f, a, b, (0, 0))


@pytest.mark.parametrize("name", ["convolve", "correlate"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("taps", [1, 3, 9])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_convolutions_of_two_batched_operands_keep_the_loops_zero_sign(name, mode, taps, dtype):
    fn = getattr(np, name)

    def f(x, w):
        return fn(x, w, mode)

    x, w = _operands((7,), (taps,), 4, dtype, "zeros_times_negatives")
    _check(f, x, w, (0, 0))
    _check(f, x, w[0], (0, None))
    _check(f, x[0], w, (None, 0))


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("initial", [0.0, -0.0])
@pytest.mark.parametrize("length", range(1, 8))  # rows NumPy folds into ``initial`` as a whole
def test_max_and_min_with_initial_break_zero_ties_as_numpy(name, initial, length) -> None:
    reduce = getattr(np, name)

    def f(x):
        return reduce(x, initial=initial)

    x = np.random.default_rng(length).choice(np.array([0.0, -0.0]), (40, length))
    _check(lambda x, _: f(x), x, np.zeros(1), (0, None))


@pytest.mark.parametrize("name", ["dot", "matmul", "vdot", "inner"])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_float16_dots_of_large_stacks_are_the_loops_bits(name, k) -> None:
    # NumPy sums float16 products in float32 and rounds once; summing in float16 (the
    # unrolled dot of large stacks) rounds after every step.
    rng = np.random.default_rng(k)
    with np.errstate(under="ignore"):  # numbers and sums too small for float16
        a = rng.standard_normal((3000, k)).astype(np.float16)
        b = rng.standard_normal((3000, k)).astype(np.float16)
        _check(FUNCTIONS[name], a, b, (0, 0))


@pytest.mark.parametrize("name", ["convolve", "correlate"])
@pytest.mark.parametrize("other", [np.float16, np.int8])
def test_float16_convolutions_sum_in_float32_as_numpy(name, other) -> None:
    fn = getattr(np, name)
    rng = np.random.default_rng(0)
    with np.errstate(under="ignore"):
        x = (rng.standard_normal((200, 40)) * 3).astype(np.float16)
        w = (rng.standard_normal((200, 5)) * 3).astype(other)
        want = np.stack([fn(a, b, "full") for a, b in zip(x, w)])
        got = autovec.vmap(lambda a, b: fn(a, b, "full"))(x, w)
    assert got.dtype == want.dtype == np.float16
    # Summed in float32 and rounded once, as NumPy's loop, in another order: a rare number
    # lands on the other side of a float16 rounding (summed in float16, most differed).
    assert np.mean(got != want) < 1e-3
    np.testing.assert_allclose(got.astype(float), want.astype(float), rtol=1e-3, atol=0.05)


@pytest.mark.parametrize(
    "name",
    ["round", "round1", "round_neg", "nan_to_num", "corrcoef", "histogram"],
)
def test_complex_results_keep_each_part(name) -> None:
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -2.5, -0.04, 1e-310, 1e308])
    rng = np.random.default_rng(0)
    z = rng.choice(special, (40, 6)) + 0j
    z.imag = rng.choice(special, (40, 6))
    f = {
        "round": np.round,
        "round1": lambda z: np.round(z, 1),
        "round_neg": lambda z: np.round(z, -1),
        "nan_to_num": np.nan_to_num,
        "corrcoef": lambda z: np.corrcoef(np.nan_to_num(z).reshape(2, 3)),
        "histogram": lambda z: np.histogram(np.arange(6.0), 3, weights=np.nan_to_num(z))[0],
    }[name]
    with np.errstate(all="ignore"):
        want = np.stack([f(row) for row in z])
        for g in (autovec.vmap(f), autovec.jit(autovec.vmap(f))):
            same_bits(g(z), want)
