"""Polynomials, closeness, rounding and friends (``autovec/numpy/mathfuncs.py``): eager
equality with NumPy and vmap against the loop (``tests/_cases.py``)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _cases import Case, case_ids, run_case

import autovec
import autovec.numpy as anp
from autovec import errors

_RNG = np.random.default_rng(5)


def _f(*shape: int, dtype: str = "float64") -> np.ndarray:
    return _RNG.normal(size=shape).astype(dtype)


def _i(*shape: int, dtype: str = "int64", low: int = -9, high: int = 10) -> np.ndarray:
    return _RNG.integers(low, high, shape).astype(dtype)


def _nonzero(*shape: int) -> np.ndarray:
    """Coefficients with no zero (so NumPy strips nothing)."""
    x = _RNG.uniform(0.5, 2.0, shape)
    return x * np.where(_RNG.random(shape) < 0.5, -1, 1)


X1, X2, I1 = _f(6), _f(3, 4), _i(5)
P3, P5 = _nonzero(3), _nonzero(5)
SPECIAL = np.array([np.nan, np.inf, -np.inf, 1.5, -0.0, 2.0])
SPECIAL_C = SPECIAL.astype(complex)
SPECIAL_C.imag = SPECIAL[::-1]
ANGLES = np.cumsum(_RNG.uniform(-4, 4, 12))

CASES = [
    # ------------------------------------------------------------------ polynomials
    Case("polyval", lambda xp, p, x: xp.polyval(p, x), (P3, X2)),
    Case("polyval", lambda xp, p, x: xp.polyval(p, x), (I1, _i(4))),
    Case("polyval", lambda xp, p, x: xp.polyval(p, x), (P5, 0.5)),
    Case("polyval", lambda xp, p, x: xp.polyval(p, x), (_f(3, 2), _f(2))),
    Case("polyval", lambda xp, p, x: xp.polyval(p, x), (P3.astype(np.float32), _f(4))),
    Case("polyadd", lambda xp, a, b: xp.polyadd(a, b), (P3, P5)),
    Case("polyadd", lambda xp, a, b: xp.polyadd(a, b), (I1, _i(2))),
    Case("polyadd", lambda xp, a, b: xp.polyadd(a, b), (P3, 2.5)),
    Case("polysub", lambda xp, a, b: xp.polysub(a, b), (P3, P5)),
    Case("polysub", lambda xp, a, b: xp.polysub(a, b), (P5, I1[:2])),
    Case("polysub", lambda xp, a, b: xp.polysub(a, b), (P3, _f(3))),
    Case("polymul", lambda xp, a, b: xp.polymul(a, b), (P3, P5)),
    Case("polymul", lambda xp, a, b: xp.polymul(a, b), (_i(3, low=1), _i(2, low=1))),
    Case("polyder", lambda xp, p: xp.polyder(p), (P5,)),
    Case("polyder", lambda xp, p: xp.polyder(p, 2), (I1,)),
    Case("polyder", lambda xp, p: xp.polyder(p, 0), (P3,)),
    Case("polyint", lambda xp, p: xp.polyint(p), (P5,)),
    Case("polyint", lambda xp, p: xp.polyint(p, 3, k=[1.0, 2.0, 3.0]), (I1,)),
    Case("polyint", lambda xp, p, k: xp.polyint(p, 2, k=k), (P3, _f(2)), plain_numpy=False),
    Case("polyint", lambda xp, p, k: xp.polyint(p, 2, k=k), (P3, 1.5), plain_numpy=False),
    Case("poly", lambda xp, z: xp.poly(z), (X1,)),
    Case("poly", lambda xp, z: xp.poly(z), (I1,)),
    Case("poly", lambda xp, z: xp.poly(z), (_f(3, dtype="float32"),)),
    # A real matrix: its eigenvalues pair up, so NumPy's result is real.
    Case("poly", lambda xp, a: xp.poly(a), (_f(3, 3),), rtol=1e-6, atol=1e-8),
    # roots' static form (not NumPy's) against NumPy's roots cast to complex: the same
    # companion matrix, so the same eigenvalues.
    Case(
        "roots",
        lambda xp, p: xp.roots(p, strip_zeros=False) if xp is anp else np.roots(p).astype(complex),
        (P5,),
        plain_numpy=False,
        rtol=1e-6,
        atol=1e-8,
    ),
    Case("polyfit", lambda xp, x, y: xp.polyfit(x, y, 2), (X1, _f(6)), rtol=1e-6, atol=1e-9),
    Case("polyfit", lambda xp, x, y: xp.polyfit(x, y, 1), (X1, _f(6, 3)), rtol=1e-6, atol=1e-9),
    Case(
        "polyfit",
        lambda xp, x, y, w: xp.polyfit(x, y, 2, w=w),
        (X1, _f(6), _RNG.uniform(0.5, 2, 6)),
        rtol=1e-6,
        atol=1e-9,
    ),
    Case(
        "polyfit",
        lambda xp, x, y: xp.polyfit(x, y, 2, full=True)[:2] + xp.polyfit(x, y, 2, full=True)[3:],
        (X1, _f(6)),
        rtol=1e-6,
        atol=1e-9,
    ),
    Case(
        "polyfit",
        lambda xp, x, y: xp.polyfit(x, y, 1, cov=True),
        (X1, _f(6)),
        rtol=1e-6,
        atol=1e-9,
    ),
    Case(
        "polyfit",
        lambda xp, x, y: xp.polyfit(x, y, 1, cov="unscaled"),
        (X1, _f(6, 2)),
        rtol=1e-6,
        atol=1e-9,
    ),
    # ------------------------------------------------------------ closeness, equality
    Case("isclose", lambda xp, a, b: xp.isclose(a, b), (X2, X2 + 1e-9)),
    Case("isclose", lambda xp, a, b: xp.isclose(a, b, rtol=0.1), (X2, _f(4))),
    Case("isclose", lambda xp, a, b: xp.isclose(a, b, equal_nan=True), (SPECIAL, SPECIAL[::-1])),
    Case("isclose", lambda xp, a, b: xp.isclose(a, b), (SPECIAL, SPECIAL)),
    Case("isclose", lambda xp, a, b: xp.isclose(a, b, atol=1), (I1, _i(5))),
    Case("isclose", lambda xp, a, b: xp.isclose(a, b), (_f(4, dtype="float32"), 0.5)),
    Case("allclose", lambda xp, a, b: xp.allclose(a, b), (X2, X2 + 1e-9)),
    Case("allclose", lambda xp, a, b: xp.allclose(a, b, atol=0.5), (X1, _f(6))),
    Case("allclose", lambda xp, a, b: xp.allclose(a, b, equal_nan=True), (SPECIAL, SPECIAL)),
    Case("array_equal", lambda xp, a, b: xp.array_equal(a, b), (I1, _i(5, low=0, high=2))),
    Case("array_equal", lambda xp, a, b: xp.array_equal(a, b), (X2, X2.copy())),
    Case("array_equal", lambda xp, a, b: xp.array_equal(a, b, equal_nan=True), (SPECIAL, SPECIAL)),
    Case("array_equal", lambda xp, a, b: xp.array_equal(a, b), (X1, X2)),
    Case("array_equal", lambda xp, a, b: xp.array_equal(a, b, True), (I1, I1.copy())),
    Case("array_equiv", lambda xp, a, b: xp.array_equiv(a, b), (X2, X2[0])),
    Case("array_equiv", lambda xp, a, b: xp.array_equiv(a, b), (_i(2, 3, low=0, high=2), _i(3))),
    Case("array_equiv", lambda xp, a, b: xp.array_equiv(a, b), (X1, X2)),
    # ------------------------------------------------------------------- rounding etc
    Case("round", lambda xp, x: xp.round(x), (X2 * 10,)),
    Case("round", lambda xp, x: xp.round(x, 2), (X2,)),
    Case("round", lambda xp, x: xp.round(x, -1), (X2 * 100,)),
    Case("round", lambda xp, x: xp.round(x, -1), (_i(6) * 7,)),
    Case("round", lambda xp, x: xp.round(x, 3), (_i(6),)),
    Case("round", lambda xp, x: xp.round(x, 1), (_f(5, dtype="float32") * 10,)),
    Case("round", lambda xp, x: xp.round(x, 1), (_f(4) + 1j * _f(4),)),
    Case("round", lambda xp, x: xp.round(x), (_RNG.random(4) < 0.5,)),
    Case("around", lambda xp, x: xp.around(x, 1), (X2,)),
    Case("nan_to_num", lambda xp, x: xp.nan_to_num(x), (SPECIAL,)),
    Case("nan_to_num", lambda xp, x: xp.nan_to_num(x, nan=-1.0, posinf=9.0), (SPECIAL,)),
    Case("nan_to_num", lambda xp, x: xp.nan_to_num(x), (SPECIAL.astype(np.float32),)),
    Case("nan_to_num", lambda xp, x: xp.nan_to_num(x, neginf=0), (SPECIAL_C,)),
    Case("nan_to_num", lambda xp, x: xp.nan_to_num(x), (I1,)),
    Case("unwrap", lambda xp, p: xp.unwrap(p), (ANGLES,)),
    Case("unwrap", lambda xp, p: xp.unwrap(p, discont=4.0), (ANGLES,)),
    Case("unwrap", lambda xp, p: xp.unwrap(p, axis=0), (ANGLES.reshape(4, 3),)),
    Case("unwrap", lambda xp, p: xp.unwrap(p, period=360), (_i(8, low=-400, high=400),)),
    Case("unwrap", lambda xp, p: xp.unwrap(p, period=7.0), (ANGLES.astype(np.float32),)),
    Case("sinc", lambda xp, x: xp.sinc(x), (np.array([0.0, 0.5, -1.5, 2.0]),)),
    Case("sinc", lambda xp, x: xp.sinc(x), (_f(3, dtype="float32"),)),
    Case("sinc", lambda xp, x: xp.sinc(x), (_i(4, low=-2, high=3),)),
    Case("i0", lambda xp, x: xp.i0(x), (_f(5) * 6,)),
    Case("i0", lambda xp, x: xp.i0(x), (_i(4),)),
    Case("i0", lambda xp, x: xp.i0(x), (_f(2, 3, dtype="float32"),)),
    # ------------------------------------------------------------------------ windows
    Case("hanning", lambda xp, x: xp.hanning(5) * x, (X1[:5],), plain_numpy=False),
    Case("hamming", lambda xp, x: xp.hamming(6) + x, (X1,), plain_numpy=False),
    Case("blackman", lambda xp, x: xp.blackman(4) * x, (X2,), plain_numpy=False),
    Case("bartlett", lambda xp, x: xp.bartlett(6) - x, (X1,), plain_numpy=False),
    Case("kaiser", lambda xp, x: xp.kaiser(6, 14.0) * x, (X1,), plain_numpy=False),
    Case("kaiser", lambda xp, b: xp.kaiser(7, b), (np.float64(3.5),), plain_numpy=False),
    Case("kaiser", lambda xp, b: xp.kaiser(1, b), (np.float64(3.5),), plain_numpy=False),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_math_case(case):
    run_case(case)


def test_allclose_is_a_python_bool_eagerly_and_a_batch_under_vmap():
    assert anp.allclose(X1, X1) is True
    got = autovec.vmap(lambda a, b: anp.allclose(a, b))(np.stack([X1, X1]), np.stack([X1, -X1]))
    assert got.dtype == np.bool_ and got.tolist() == [True, False]


def test_roots_under_vmap_splits_by_where_the_nonzero_coefficients_are():
    # NumPy's roots (stripped zeros, real when every root is): the loop's result; only
    # fallback="error" (no split allowed) asks for the static form.
    ps = np.stack([P5, np.r_[0.0, P5[1:]], np.r_[P5[:-1], 0.0], P5[::-1], -P5])
    ps[1:3] = [[0.0, 1.0, -3.0, 2.0, 0.0], [1.0, 0.0, 1.0, 0.0, 0.0]]  # 1 lead, 2 trailing
    for batch in (ps[[0, 3, 4]], ps[[1, 1]], ps[[2, 2]], np.array([[1, -3, 2], [1, 0, -1]])):
        want = np.stack([np.roots(p) for p in batch])
        for transform in (autovec.vmap, lambda f: autovec.jit(autovec.vmap(f))):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", errors.FallbackWarning)
                got = transform(anp.roots)(batch)
            assert (got.shape, got.dtype) == (want.shape, want.dtype)
            np.testing.assert_allclose(got, want, rtol=1e-10)
    with pytest.raises(errors.DataDependentShapeError, match="strip_zeros=False"):
        autovec.vmap(anp.roots, fallback="error")(np.stack([P5, P5]))


def test_roots_static_form_marks_zero_leading_coefficients():
    ps = np.stack([P3, np.array([0.0, 1.0, 2.0])])
    got = autovec.vmap(lambda p: anp.roots(p, strip_zeros=False))(ps)
    np.testing.assert_allclose(np.sort_complex(got[0]), np.sort_complex(np.roots(P3)))
    assert np.isnan(got[1]).all()
    assert got.dtype == np.complex128


def test_polymul_keeps_leading_zeros_under_vmap():
    a = np.array([0.0, 1.0, 2.0])
    got = autovec.vmap(lambda x: anp.polymul(x, np.array([1.0, 1.0])))(np.stack([a, a]))
    assert got.shape == (2, 4)
    np.testing.assert_array_equal(got[0], np.convolve(a, [1.0, 1.0]))


def test_window_sizes_must_be_concrete():
    with pytest.raises(errors.SplitOutputMismatchError):  # the loop cannot stack them either
        autovec.vmap(anp.hanning)(np.array([3, 4]))
    with pytest.raises(errors.ConcretizationTypeError, match="M"):
        autovec.jit(autovec.vmap(anp.hanning), fallback="error")(np.array([3, 4]))
    got = autovec.vmap(anp.hanning)(np.array([4, 4]))  # equal sizes: one group
    np.testing.assert_array_equal(got, np.stack([np.hanning(4)] * 2))


def test_round_method_and_plain_numpy_route_here():
    xs = _f(3, 4) * 10
    got = autovec.vmap(lambda x: x.round(1) + np.round(x, -1) + np.isclose(x, 0.0))(xs)
    want = [x.round(1) + np.round(x, -1) + np.isclose(x, 0.0) for x in xs]
    np.testing.assert_array_equal(got, want)
