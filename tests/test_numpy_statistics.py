"""Statistics (``autovec/numpy/statistics.py``): median and every quantile method, the nan*
forms, average, cov, corrcoef, histogram, bincount, the nan* reductions, ptp, count_nonzero
-- eager equality with NumPy and vmap against the loop (``tests/_cases.py``)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _cases import Case, case_ids, run_case

import autovec
import autovec.numpy as anp
from autovec import errors
from autovec.numpy.quantiles import METHODS

_RNG = np.random.default_rng(11)


def _f(*shape: int, dtype: str = "float64") -> np.ndarray:
    return _RNG.normal(size=shape).astype(dtype)


def _i(*shape: int, dtype: str = "int64", low: int = -9, high: int = 10) -> np.ndarray:
    return _RNG.integers(low, high, shape).astype(dtype)


def _with_nans(x: np.ndarray, count: int) -> np.ndarray:
    x = x.copy()
    x.flat[_RNG.choice(x.size, count, replace=False)] = np.nan
    return x


X2, X1, I2, I1 = _f(4, 5), _f(7), _i(4, 5), _i(6, dtype="int16")
X3 = _f(2, 3, 4)
F32 = _f(3, 6, dtype="float32")
N2 = _with_nans(_f(4, 5), 2)  # at most 2 NaN in a row of 5: no slice is all NaN
N1 = _with_nans(_f(8), 3)
T2 = _i(3, 5, low=0, high=3).astype(float)  # many ties

CASES = [
    # ------------------------------------------------------------------ median, quantiles
    Case("median", lambda xp, x: xp.median(x), (X2,)),
    Case("median", lambda xp, x: xp.median(x, axis=1), (X2,)),
    Case("median", lambda xp, x: xp.median(x, axis=0, keepdims=True), (I2,)),
    Case("median", lambda xp, x: xp.median(x, axis=(0, 2)), (X3,)),
    Case("median", lambda xp, x: xp.median(x, axis=-1), (N2,)),
    Case("median", lambda xp, x: xp.median(x), (F32,)),
    Case("median", lambda xp, x: xp.median(x), (_i(5, dtype="uint8", low=0, high=200),)),
    *[Case("quantile", lambda xp, x, m=m: xp.quantile(x, 0.3, method=m), (X1,)) for m in METHODS],
    *[
        Case(
            "quantile",
            lambda xp, x, m=m: xp.quantile(
                x, np.array([0.0, 0.25, 0.5, 0.9, 1.0]), axis=1, method=m
            ),
            (I2,),
        )
        for m in METHODS
    ],
    *[
        Case("quantile", lambda xp, x, m=m: xp.quantile(x, [0.1, 0.75], axis=0, method=m), (T2,))
        for m in METHODS
    ],
    Case("quantile", lambda xp, x: xp.quantile(x, 0.4, axis=(0, 2), keepdims=True), (X3,)),
    Case("quantile", lambda xp, x: xp.quantile(x, 0.3, axis=1), (F32,)),
    Case("quantile", lambda xp, x: xp.quantile(x, np.float32(0.3), axis=1), (F32,)),
    Case("quantile", lambda xp, x: xp.quantile(x, 1), (I1,)),
    Case("quantile", lambda xp, x: xp.quantile(x, 0.5, axis=1), (N2,)),
    Case("quantile", lambda xp, x: xp.quantile(x, [[0.2, 0.4], [0.6, 1.0]]), (X1,)),
    # Batched q: each example asks for its own quantiles.
    Case("quantile", lambda xp, x, q: xp.quantile(x, q, axis=1), (X2, np.array([0.1, 0.8]))),
    Case(
        "quantile",
        lambda xp, x, q: xp.quantile(x, q, method="nearest"),
        (I1, np.array(0.45)),
    ),
    # Weights (inverted_cdf only).
    Case(
        "quantile",
        lambda xp, x, w: xp.quantile(x, [0.2, 0.7], axis=1, method="inverted_cdf", weights=w),
        (X2, _RNG.uniform(0.5, 2.0, (4, 5))),
    ),
    Case(
        "quantile",
        lambda xp, x, w: xp.quantile(x, 0.5, axis=0, method="inverted_cdf", weights=w),
        (I2, _RNG.uniform(0.5, 2.0, 4)),
    ),
    Case("percentile", lambda xp, x: xp.percentile(x, 30), (X1,)),
    Case("percentile", lambda xp, x: xp.percentile(x, [10, 50, 95], axis=0), (I2,)),
    Case("percentile", lambda xp, x: xp.percentile(x, 40.0, axis=1, method="hazen"), (F32,)),
    Case("percentile", lambda xp, x, q: xp.percentile(x, q, axis=-1), (X2, np.array(65.0))),
    Case("nanmedian", lambda xp, x: xp.nanmedian(x), (N1,)),
    Case("nanmedian", lambda xp, x: xp.nanmedian(x, axis=1), (N2,)),
    Case("nanmedian", lambda xp, x: xp.nanmedian(x, axis=0, keepdims=True), (N2,)),
    Case("nanmedian", lambda xp, x: xp.nanmedian(x, axis=1), (I2,)),
    *[
        Case(
            "nanquantile", lambda xp, x, m=m: xp.nanquantile(x, [0.2, 0.9], axis=1, method=m), (N2,)
        )
        for m in METHODS
    ],
    Case("nanquantile", lambda xp, x: xp.nanquantile(x, 0.35), (N1,)),
    Case("nanquantile", lambda xp, x: xp.nanquantile(x, 0.35, axis=1), (I2,)),
    Case(
        "nanquantile",
        lambda xp, x: xp.nanquantile(x, 0.3, axis=0),
        (_with_nans(_f(6, 3, dtype="float32"), 2),),
    ),
    Case(
        "nanquantile",
        lambda xp, x, w: xp.nanquantile(x, [0.3, 0.6], axis=1, method="inverted_cdf", weights=w),
        (N2, _RNG.uniform(0.5, 2.0, (4, 5))),
    ),
    Case("nanpercentile", lambda xp, x: xp.nanpercentile(x, 75, axis=1), (N2,)),
    Case("nanpercentile", lambda xp, x, q: xp.nanpercentile(x, q), (N1, np.array([5.0, 60.0]))),
    # ---------------------------------------------------------------- average, cov, corr
    Case("average", lambda xp, x: xp.average(x), (X2,)),
    Case("average", lambda xp, x: xp.average(x, axis=1, returned=True), (I2,)),
    Case("average", lambda xp, x, w: xp.average(x, axis=1, weights=w), (X2, _f(5) ** 2 + 0.1)),
    Case(
        "average",
        lambda xp, x, w: xp.average(x, axis=(2, 0), weights=w, returned=True),
        (X3, _RNG.uniform(0.5, 1.5, (4, 2))),
    ),
    Case(
        "average", lambda xp, x, w: xp.average(x, weights=w, keepdims=True), (I2, _i(4, 5, low=1))
    ),
    Case("average", lambda xp, x, w: xp.average(x, 0, w, True), (F32, _RNG.uniform(1, 2, 3))),
    Case("cov", lambda xp, x: xp.cov(x), (X2,)),
    Case("cov", lambda xp, x: xp.cov(x, rowvar=False, bias=True), (I2,)),
    Case("cov", lambda xp, x, y: xp.cov(x, y), (X1, _f(7))),
    Case("cov", lambda xp, x: xp.cov(x, ddof=2), (F32,)),
    Case("cov", lambda xp, x: xp.cov(x, dtype=np.float32), (X2,)),
    Case("cov", lambda xp, x, f: xp.cov(x, fweights=f), (X2, _i(5, low=1, high=4))),
    Case(
        "cov",
        lambda xp, x, f, a: xp.cov(x, fweights=f, aweights=a),
        (X2, _i(5, low=1, high=4), _RNG.uniform(0.5, 2, 5)),
    ),
    Case("cov", lambda xp, x, a: xp.cov(x, aweights=a, ddof=0), (X2, _RNG.uniform(0.5, 2, 5))),
    Case("cov", lambda xp, x: xp.cov(x), (X1,)),
    Case("corrcoef", lambda xp, x: xp.corrcoef(x), (X2,)),
    Case("corrcoef", lambda xp, x, y: xp.corrcoef(x, y, rowvar=False), (I2, _f(4, 2))),
    Case("corrcoef", lambda xp, x: xp.corrcoef(x), (X1,)),
    Case("corrcoef", lambda xp, x: xp.corrcoef(x), (_f(3, 4) + 1j * _f(3, 4),)),
    # ------------------------------------------------------------- histogram, bincount
    Case("histogram", lambda xp, x: xp.histogram(x, 5, range=(-2, 2)), (X2,)),
    Case("histogram", lambda xp, x: xp.histogram(x, 4, range=(-5.0, 7.5)), (I2,)),
    Case("histogram", lambda xp, x: xp.histogram(x, 6), (X1,)),
    Case("histogram", lambda xp, x: xp.histogram(x, 3), (I1,)),
    Case("histogram", lambda xp, x: xp.histogram(x, 4), (F32,)),
    Case("histogram", lambda xp, x: xp.histogram(x, [-1.0, 0.0, 0.5, 3.0]), (X2,)),
    Case("histogram", lambda xp, x: xp.histogram(x, np.array([-3, 0, 0, 4, 9])), (I2,)),
    Case(
        "histogram", lambda xp, x, e: xp.histogram(x, xp.sort(e)), (X1, np.array([-1.0, 0.0, 2.0]))
    ),
    Case(
        "histogram",
        lambda xp, x, w: xp.histogram(x, 5, range=(-2, 2), weights=w),
        (X2, _RNG.uniform(0, 1, (4, 5))),
    ),
    Case(
        "histogram",
        lambda xp, x, w: xp.histogram(x, [-9, -3, 0, 3, 9], weights=w),
        (I2, _i(4, 5)),
    ),
    Case("histogram", lambda xp, x: xp.histogram(x, 4, range=(-2, 2), density=True), (X2,)),
    Case("histogram", lambda xp, x: xp.histogram(x, [-5, 0, 9], density=True), (I1,)),
    Case("histogram_bin_edges", lambda xp, x: xp.histogram_bin_edges(x, 5), (X2,)),
    Case("histogram_bin_edges", lambda xp, x: xp.histogram_bin_edges(x, 3), (I1,)),
    Case("histogram_bin_edges", lambda xp, x: xp.histogram_bin_edges(x, 3, (0, 1)), (F32,)),
    Case("bincount", lambda xp, x: xp.bincount(x, minlength=5), (_i(9, low=0, high=5),)),
    Case(
        "bincount",
        lambda xp, x, w: xp.bincount(x, w, minlength=4),
        (_i(9, low=0, high=4, dtype="uint8"), _f(9)),
    ),
    Case("bincount", lambda xp, x, w: xp.bincount(x, w, 3), (_RNG.random(6) < 0.5, _i(6))),
    # ----------------------------------------------------------------- nan reductions
    Case("nansum", lambda xp, x: xp.nansum(x), (N2,)),
    Case("nansum", lambda xp, x: xp.nansum(x, axis=1, keepdims=True), (N2,)),
    Case("nansum", lambda xp, x: xp.nansum(x, axis=0, dtype=np.float32), (I2,)),
    Case("nanprod", lambda xp, x: xp.nanprod(x, axis=1), (N2,)),
    Case("nanprod", lambda xp, x: xp.nanprod(x), (I1,)),
    Case("nanmean", lambda xp, x: xp.nanmean(x), (N1,)),
    Case("nanmean", lambda xp, x: xp.nanmean(x, axis=1), (N2,)),
    Case("nanmean", lambda xp, x: xp.nanmean(x, axis=0, keepdims=True), (I2,)),
    Case("nanmean", lambda xp, x: xp.nanmean(x, axis=1), (_with_nans(F32, 3),)),
    Case("nanvar", lambda xp, x: xp.nanvar(x), (N1,)),
    Case("nanvar", lambda xp, x: xp.nanvar(x, axis=1, ddof=1), (N2,)),
    Case("nanvar", lambda xp, x: xp.nanvar(x, axis=0, keepdims=True), (N2,)),
    Case("nanvar", lambda xp, x: xp.nanvar(x, axis=1, correction=1), (I2,)),
    Case("nanvar", lambda xp, x: xp.nanvar(x), (_with_nans(_f(6) + 1j * _f(6), 2),)),
    Case("nanstd", lambda xp, x: xp.nanstd(x, axis=1), (N2,)),
    Case("nanstd", lambda xp, x: xp.nanstd(x, ddof=1), (N1,)),
    Case("nanmax", lambda xp, x: xp.nanmax(x), (N1,)),
    Case("nanmax", lambda xp, x: xp.nanmax(x, axis=1, keepdims=True), (N2,)),
    Case("nanmax", lambda xp, x: xp.nanmax(x, axis=0), (I2,)),
    Case("nanmin", lambda xp, x: xp.nanmin(x, axis=1), (N2,)),
    Case("nanmin", lambda xp, x: xp.nanmin(x), (I1,)),
    Case("ptp", lambda xp, x: xp.ptp(x), (X2,)),
    Case("ptp", lambda xp, x: xp.ptp(x, axis=1, keepdims=True), (I2,)),
    Case("ptp", lambda xp, x: xp.ptp(x, axis=0), (_i(3, 4, dtype="int8"),)),
    Case("count_nonzero", lambda xp, x: xp.count_nonzero(x), (_i(4, 5, low=-1, high=2),)),
    Case("count_nonzero", lambda xp, x: xp.count_nonzero(x, axis=1), (_RNG.random((3, 4)) < 0.5,)),
    Case("count_nonzero", lambda xp, x: xp.count_nonzero(x, axis=(0, 1), keepdims=True), (X3,)),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_statistics_case(case):
    run_case(case)


def test_all_nan_slices_give_nan_per_example():
    x = np.array([[np.nan, np.nan, np.nan], [1.0, np.nan, 3.0]])
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        want = [np.nanmedian(x[0]), np.nanmedian(x[1])]
    got = autovec.vmap(anp.nanmedian)(x)
    np.testing.assert_array_equal(got, want)
    got = autovec.vmap(lambda r: anp.nanquantile(r, [0.1, 0.9]))(x)
    assert np.isnan(got[0]).all() and not np.isnan(got[1]).any()
    got = autovec.vmap(anp.nanmax)(x)
    np.testing.assert_array_equal(got, [np.nan, 3.0])
    got = autovec.vmap(anp.nanmean)(x)
    np.testing.assert_array_equal(got, [np.nan, 2.0])


def test_bincount_needs_minlength_under_vmap():
    xs = np.array([[0, 1, 1], [2, 0, 0]])
    with pytest.raises(errors.DataDependentShapeError, match="minlength"):
        autovec.vmap(anp.bincount)(xs)
    with pytest.raises(errors.DataDependentShapeError, match="minlength=2"):
        autovec.vmap(lambda x: anp.bincount(x, minlength=2))(xs)
    with pytest.raises(ValueError, match="negative"):
        autovec.vmap(lambda x: anp.bincount(x, minlength=3))(-xs)
    with pytest.raises(TypeError, match="safe"):
        autovec.vmap(lambda x: anp.bincount(x, minlength=3))(xs.astype(float))
    got = autovec.vmap(lambda x: anp.bincount(x, minlength=3))(xs)
    np.testing.assert_array_equal(got, [[1, 2, 0], [2, 0, 1]])


def test_histogram_string_bins_are_refused_under_vmap():
    with pytest.raises(errors.DataDependentShapeError, match="bins='auto'"):
        autovec.vmap(lambda x: anp.histogram(x, "auto"))(np.ones((2, 5)))


def test_histogram_of_bools_warns_like_numpy():
    x = np.array([True, False, True])
    with pytest.warns(RuntimeWarning, match="Converting input"):
        want = np.histogram(x, 2)
    with pytest.warns(RuntimeWarning, match="Converting input"):
        got = autovec.vmap(lambda b: anp.histogram(b, 2))(np.stack([x, x]))
    np.testing.assert_array_equal(got[0], [want[0], want[0]])


def test_quantile_argument_errors():
    x = np.ones((2, 4))
    with pytest.raises(ValueError, match=r"range \[0, 1\]"):
        autovec.vmap(lambda r: anp.quantile(r, 1.5))(x)
    with pytest.raises(ValueError, match=r"range \[0, 100\]"):
        autovec.vmap(lambda r: anp.percentile(r, -1))(x)
    with pytest.raises(ValueError, match="not a valid method"):
        autovec.vmap(lambda r: anp.quantile(r, 0.5, method="cubic"))(x)
    with pytest.raises(ValueError, match="supports weights"):
        autovec.vmap(lambda r: anp.quantile(r, 0.5, weights=r))(x)
    with pytest.raises(TypeError, match="real numbers"):
        autovec.vmap(lambda r: anp.median(r) + anp.quantile(r, 0.5))(x + 1j)


def test_average_zero_weights_raise_when_concrete():
    with pytest.raises(ZeroDivisionError):
        autovec.vmap(lambda r: anp.average(r, weights=np.zeros(3)))(np.ones((2, 3)))


def test_plain_numpy_statistics_route_here():
    xs = _f(3, 6)
    got = autovec.vmap(lambda r: np.percentile(r, [25, 75]) + np.median(r) + np.std(r))(xs)
    want = [np.percentile(r, [25, 75]) + np.median(r) + np.std(r) for r in xs]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_corrcoef_bias_and_ddof_follow_numpy():
    """NumPy 2.2 takes them (deprecated no-ops that warn); NumPy 2.4 refuses them."""
    x = np.arange(9.0).reshape(3, 3) ** 2
    batched = autovec.vmap(lambda a: anp.corrcoef(a, bias=1))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            want = np.corrcoef(x, bias=1)
    except TypeError:
        with pytest.raises(TypeError, match="bias"):
            batched(np.stack([x, x]))
        return
    with pytest.warns(DeprecationWarning, match="no effect"):
        got = batched(np.stack([x, x]))
    np.testing.assert_allclose(got, [want, want])
