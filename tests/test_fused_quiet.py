"""NaNs in the data keep the numba backend's kernels: the ordered comparisons and what is
made of them (maximum, minimum, sign) raise no floating-point flag on a NaN, as NumPy's
do not, so a call whose loop gives no warning runs fused, not again as NumPy code; and
sign, reciprocal, abs, the tests of a float's class (isnan, isinf, isfinite, signbit) and
``~`` of booleans join kernels with NumPy's bits."""

from __future__ import annotations

import numpy as np
import pytest
from _fused_checks import same_bits, warned

import autovec
from autovec.interpreters import fused

needs_numba = pytest.mark.skipif(not fused.NUMBA_AVAILABLE, reason="numba is not installed")


@pytest.fixture(autouse=True)
def _numpy_default_errstate():
    """NumPy's default error state (the suite raises on everything): the fused program runs
    only where underflow is ignored, as it is by default."""
    with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
        yield


QUIET = {
    "maximum": lambda x: np.maximum(x, 0.5) * 2.0,
    "relu": lambda x: np.maximum(x, 0.0) * 2.0,  # (a constant the compiler folds in)
    "positive part": lambda x: np.where(x > 0.0, x, 0.0) * 2.0,
    "relu sum": lambda x: np.sum(np.maximum(x, 0.0) * 3.0),
    "minimum": lambda x: np.minimum(-0.5, x) * 2.0,
    "greater": lambda x: np.where(x > 0.5, x, -x) + 1.0,
    "less": lambda x: np.where(x < 0.5, 2.0 * x, x) + 1.0,
    "less_equal": lambda x: np.where(0.25 <= x, x, 3.0) * 2.0,
    "compare two": lambda x: np.where(x * 0.5 >= x - 1.0, x, 0.0) * 2.0,
    "sign": lambda x: np.sign(x) * 2.0 + 1.0,
    "isnan": lambda x: np.where(np.isnan(x), 0.0, x) * 2.0,
    "isinf": lambda x: np.where(np.isinf(x), 1.0, x) * 2.0,
    "isfinite": lambda x: np.where(np.isfinite(x), x, -1.0) * 2.0,
    "signbit": lambda x: np.where(np.signbit(x), 3.0, x) * 2.0,
    "invert": lambda x: np.where(~np.isnan(x) & ~(x > 1.0), x, 3.0) * 2.0,
    "reciprocal": lambda x: np.reciprocal(np.abs(x) + 1.0) * 2.0,
    "abs": lambda x: np.abs(x) * 2.0 - 1.0,
}


def _data(dtype):
    x = np.linspace(-3, 3, 48 * 40).reshape(48, 40).astype(dtype)
    x[1, 3], x[2, 7], x[3, 9], x[4, 11], x[5, 13] = np.nan, -0.0, np.inf, -np.inf, 0.0
    x[6, :] = np.nan
    return x


@needs_numba
@pytest.mark.parametrize("name", list(QUIET))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_nans_keep_the_kernel(name, dtype):
    fn = QUIET[name]
    x = _data(dtype)
    want, want_warns = warned(lambda a: np.stack([fn(r) for r in a]), x)
    jitted = autovec.jit(autovec.vmap(fn), backend="numba")
    got, got_warns = warned(jitted, x, calls=2)
    same_bits(got, want)
    assert got_warns == want_warns == set()
    entry = next(iter(jitted._cache.values())).fn
    assert isinstance(entry, fused.FusedProgram) and entry.ready
    assert entry.redos == 0, "a flag the loop does not raise sent the call back to NumPy"
    assert len(entry.program.eqns) == 1  # every step in the one kernel


@needs_numba
@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "uint32"])
def test_integer_sign_and_abs(dtype):
    info = np.iinfo(dtype)
    x = np.array([info.min, -1, 0, 1, 7, info.max] * 8, dtype=np.int64)
    x = x[(x >= info.min) & (x <= info.max)].astype(dtype).reshape(4, -1)
    fn = lambda a: np.sign(a) * 3 + np.abs(a)  # noqa: E731  (abs of the minimum wraps)
    want = np.stack([fn(r) for r in x])
    jitted = autovec.jit(autovec.vmap(fn), backend="numba")
    same_bits(jitted(x), want)
    entry = next(iter(jitted._cache.values())).fn
    assert isinstance(entry, fused.FusedProgram) and entry.redos == 0
    assert len(entry.program.eqns) == 1


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_quiet_comparisons_order_every_pair_of_edges(dtype):
    """The integer keys order floats as IEEE does: both zeros equal, subnormals, the
    largest numbers and the infinities in place, NaN unordered."""
    info = np.finfo(dtype)
    edges = [0.0, -0.0, info.smallest_subnormal, -info.smallest_subnormal, info.tiny, 1.0]
    edges += [-1.0, 1.5, info.max, -info.max, np.inf, -np.inf, np.nan]
    edges = np.array(edges, dtype=dtype)
    a, b = (np.repeat(edges, len(edges)), np.tile(edges, len(edges)))
    a, b = np.tile(a, (4, 1)), np.tile(b, (4, 1))  # 4 examples of every pair

    def fn(x, y):
        return (
            (x < y) * 1 + (x <= y) * 2 + (x > y) * 4 + (x >= y) * 8 + (np.maximum(x, y) == y) * 16
        )

    want = np.stack([fn(x, y) for x, y in zip(a, b)])
    jitted = autovec.jit(autovec.vmap(fn), backend="numba")
    same_bits(jitted(a, b), want)
    entry = next(iter(jitted._cache.values())).fn
    assert entry.redos == 0 and len(entry.program.eqns) == 1
