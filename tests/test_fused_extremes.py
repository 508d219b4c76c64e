"""Float max and min in the numba backend's groups (autovec/interpreters/fused_kernels.py):
NumPy's result where the kernel can know it, and NumPy's own code where the result is NaN or
zero (which NaN, and which zero when both signs occur, NumPy's SIMD order decides).  Bit for
bit against the per-example Python loop, warnings included."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _fused_checks import same_bits as _same
from _fused_checks import warned

import autovec
from autovec.interpreters import fused

needs_numba = pytest.mark.skipif(not fused.NUMBA_AVAILABLE, reason="numba is not installed")


@pytest.fixture(autouse=True)
def _numpy_default_errstate():
    with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
        yield


def max_error(x, y):
    return np.max(np.abs(x - y))


def min_product(x, y):
    return np.min(x * y - 1.0, axis=-1, keepdims=True)


def grid_max(x, y):
    return np.max(x * y + 1.0, axis=(-2, -1))  # two axes: one run


CASES = [(max_error, (3,)), (max_error, (8,)), (max_error, (61,)), (max_error, (300,)),
         (min_product, (4, 17)), (grid_max, (6, 5))]  # fmt: skip


def _loop(fun, x, y):
    return np.stack([fun(a, b) for a, b in zip(x, y)])


def _run(fun, x, y):
    """jit(vmap(fun)) with numba: (result, warnings, its FusedProgram) after two calls."""
    jitted = autovec.jit(autovec.vmap(fun), backend="numba")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        jitted(x, y)
        got = jitted(x, y)
    (entry,) = jitted._cache.values()
    return got, [str(w.message) for w in seen], entry.fn


@needs_numba
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0].__name__}-{c[1]}" for c in CASES])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_float_extremes_fuse_and_equal_the_loop(case, dtype):
    fun, shape = case
    rng = np.random.default_rng(shape[-1])
    x, y = (rng.standard_normal((9, *shape)).astype(dtype) for _ in range(2))
    got, seen, entry = _run(fun, x, y)
    _same(got, np.stack([fun(a, b) for a, b in zip(x, y)]))
    assert not seen and entry.redos == 0  # the kernel gave the result
    assert any(r.name.endswith(("_max", "_min")) for r in entry.runners)


@needs_numba
@pytest.mark.parametrize("special", ["nan", "zeros", "signed zeros", "inf"])
def test_nan_and_zero_extremes_are_numpys(special):
    """Rows whose extreme is NaN or zero: NumPy's bits and NumPy's warnings, via NumPy code."""
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((6, 40)), rng.standard_normal((6, 40))
    if special == "nan":
        x[2, 5], y[3, 39] = np.nan, -np.nan
    elif special == "zeros":
        y[1] = x[1]  # |x - y| is 0 everywhere in row 1
    elif special == "signed zeros":
        x[4], y[4] = 0.0, 0.0
        x[4, ::3] = -0.0
    else:
        x[0, 0], y[0, 0] = np.inf, np.inf  # inf - inf: NaN, and NumPy warns
    got, seen, entry = _run(max_error, x, y)
    want, loop_said = warned(_loop, max_error, x, y)
    _same(got, want)
    assert set(seen) == loop_said
    assert entry.redos >= 1  # the kernel stopped and NumPy's code ran


# ----------------------------------------------------------------- where with computed values


def huber(x, y):
    d = x - y
    a = np.abs(d)
    return np.sum(np.where(a < 1.0, 0.5 * d * d, a - 0.5))


def safe_inverse(x, y):
    return np.where(x != 0.0, 1.0 / x, y * 2.0) + y


def nested(x, y):
    r = np.where(x > 0, np.where(y > 0, x * y, x - y), y * 3.0)
    return r + np.where(r < 1e300, r * 1e10, 0.0)


def after_sum(x, y):
    s = np.sum(x * y)
    return np.where(s > 0, s * 1e300, s * 2.0)  # after the reduction: not kept, NumPy's


WHERES = [huber, safe_inverse, nested, after_sum]


@needs_numba
@pytest.mark.parametrize("fun", WHERES, ids=[f.__name__ for f in WHERES])
@pytest.mark.parametrize("data", ["plain", "dropped overflow", "dropped zero"])
def test_values_where_drops_warn_as_numpy(fun, data):
    """A value ``where`` drops is still computed for every element in the kernel: NumPy's
    warnings (overflow, division by zero) where only dropped elements raise them."""
    rng = np.random.default_rng(11)
    x, y = rng.standard_normal((8, 30)), rng.standard_normal((8, 30))
    if data == "dropped overflow":
        x[3, 4], y[3, 4] = 1e200, -1e200  # |d| is large: where takes a - 0.5; d * d overflows
        x[5, 7], y[5, 7] = 1e300, 1e300  # x * y and the like overflow
    elif data == "dropped zero":
        x[2, 9] = 0.0  # 1 / x divides by zero where where takes y * 2
    got, seen, entry = _run(fun, x, y)
    want, loop_said = warned(_loop, fun, x, y)
    _same(got, want)
    assert set(seen) == loop_said
    if data == "plain":
        assert not seen and entry.redos == 0
    if fun is not after_sum:
        assert any(r.group.kept for r in entry.runners)  # where's values joined a group
    with np.errstate(all="raise"):
        try:
            want = np.stack([fun(a, b) for a, b in zip(x, y)])
        except FloatingPointError:
            with pytest.raises(FloatingPointError):
                autovec.jit(autovec.vmap(fun), backend="numba")(x, y)
        else:
            _same(autovec.jit(autovec.vmap(fun), backend="numba")(x, y), want)
