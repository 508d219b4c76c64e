"""Random per-example functions built from the steps the numba backend fuses (arithmetic,
``where``, max/min, sign, tests of a float's class, slices, casts, sums, means, var/std),
jitted with numba and with ``auto``, against the Python loop: the same bits (NaN where NaN)
and the same warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autovec
from autovec.interpreters import fused

needs_numba = pytest.mark.skipif(not fused.NUMBA_AVAILABLE, reason="numba is not installed")

UNARY = [
    lambda a: a * 2.0,
    lambda a: a - 1.5,
    np.abs,
    np.negative,
    lambda a: a * a,
    lambda a: np.sqrt(np.abs(a)),
    lambda a: np.maximum(a, 0.25),
    lambda a: np.minimum(a, -0.5) + a,
    lambda a: a.astype(np.float32).astype(a.dtype),
    np.floor,
    np.sign,
    np.reciprocal,
    lambda a: np.where(np.isnan(a) | np.isinf(a), 0.5, a),
    lambda a: np.where(np.isfinite(a), a, -a) * np.signbit(a),
]
BINARY = [
    np.add,
    np.subtract,
    np.multiply,
    lambda a, b: a / (np.abs(b) + 1.0),
    lambda a, b: np.where(a > b, a * b, b - a),
    np.maximum,
    lambda a, b: np.where(b != 0, a / b, a),  # divides by the zeros it drops
]
REDUCE = [np.sum, np.mean, np.max, np.min, np.var, lambda a: np.std(a, ddof=1)]
SLICES = [slice(1, None), slice(None, -1), slice(2, None), slice(1, -1)]

step = st.one_of(
    st.tuples(st.just("unary"), st.integers(0, len(UNARY) - 1)),
    st.tuples(st.just("binary"), st.integers(0, len(BINARY) - 1), st.integers(0, 2)),
    st.tuples(st.just("slice"), st.integers(0, len(SLICES) - 1)),
    st.tuples(st.just("reduce"), st.integers(0, len(REDUCE) - 1)),
)


def build(steps):
    def f(x, y):
        vals = [y, x * 0.5, x]  # the last is the current value: slices of x fuse
        for s in steps:
            a = vals[-1]
            if s[0] == "unary":
                v = UNARY[s[1]](a)
            elif s[0] == "binary":
                b = vals[s[2]]
                if np.shape(b) != np.shape(a):  # a reduced or sliced value: a number of b
                    b = np.sum(b) * 0.01
                v = BINARY[s[1]](a, b)
            elif s[0] == "slice":
                v = a[SLICES[s[1]]] if np.ndim(a) and np.shape(a)[0] >= 4 else a
            else:
                v = REDUCE[s[1]](a) if np.ndim(a) else a
            vals.append(v)
        return vals[-1] + np.sum(vals[-2]) * 0.5

    return f


def _same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan)
    assert np.array_equal(
        np.where(nan, 0, got).view(np.uint8), np.where(nan, 0, want).view(np.uint8)
    )


def _messages(seen):  # the loop divides NumPy scalars: "scalar divide"
    return {str(w.message).replace("scalar ", "") for w in seen}


@pytest.fixture(autouse=True)
def _numpy_default_errstate():
    with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
        yield


@needs_numba
@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    steps=st.lists(step, min_size=2, max_size=7),
    dtype=st.sampled_from(["float64", "float32"]),
    n=st.sampled_from([5, 9, 64, 130]),
    special=st.booleans(),
    seed=st.integers(0, 2**16),
    lead=st.sampled_from([None, *range(len(SLICES))]),
)
def test_random_fused_functions_equal_the_loop(steps, dtype, n, special, seed, lead):
    rng = np.random.default_rng(seed)
    x, y = ((rng.standard_normal((6, n)) * 10.0 ** rng.integers(-3, 4, (6, n))).astype(dtype)
            for _ in range(2))  # fmt: skip
    if special:
        x.reshape(-1)[rng.integers(0, x.size, 3)] = rng.choice([np.nan, np.inf, -0.0, 1e30], 3)
    f = build(steps if lead is None else [("slice", lead), *steps])  # a slice of x first
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        want = np.stack([f(a, b) for a, b in zip(x, y)])
    for backend in ("numba", "auto"):
        jitted = autovec.jit(autovec.vmap(f), backend=backend)
        with warnings.catch_warnings(record=True) as got_seen:
            warnings.simplefilter("always")
            jitted(x, y)
            got = jitted(x, y)  # auto: the kernels, compiled on this call
        _same(got, want)
        assert _messages(got_seen) == _messages(seen)
