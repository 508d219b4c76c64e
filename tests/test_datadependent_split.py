"""Data-dependent shapes under eager vmap (issue 9.3): masked sums and means stay
vectorised; nonzero/unique/x[mask] elsewhere continue per group of equal values, as the loop."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autovec
from autovec import errors

XS = np.array([[1.0, -2, 3], [-1, -2, -3], [4, 5, -6], [1.0, -2, 3], [0.5, 0.5, 0.5]])


def _loop(f, xs):
    return np.stack([f(x) for x in xs])


VECTORISED = {
    "masked_mean": lambda x: x[x > 0].mean(),
    "masked_sum": lambda x: x[x > 0].sum(),
    "np_mean": lambda x: np.mean(x[x > 0]),
    "int_mean": lambda x: (x * 2).astype(np.int64)[x > 0].mean(),
}

PER_GROUP = {
    "len_unique": lambda x: len(np.unique(x > 0)),
    "nonzero": lambda x: np.nonzero(x > 0)[0].sum(),
    "flatnonzero": lambda x: np.flatnonzero(x > 0).size,
    "argwhere": lambda x: np.argwhere(x > 0).shape[0],
    "masked_max": lambda x: x[x != 0].max(),
    "masked_len": lambda x: len(x[x > 0]),
    "masked_std": lambda x: x[x > 0].std(),
}


@pytest.mark.parametrize("name", sorted(VECTORISED))
def test_masked_reductions_are_vectorised(name):
    f = VECTORISED[name]
    calls = []

    def g(x):
        calls.append(1)
        return f(x)

    with np.errstate(all="warn"), warnings.catch_warnings(record=True) as got_w:
        warnings.simplefilter("always")
        got = autovec.vmap(g)(XS)
    with np.errstate(all="warn"), warnings.catch_warnings(record=True) as want_w:
        warnings.simplefilter("always")
        want = _loop(f, XS)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert len(calls) == 1
    # Example 1 has no positive entry: the loop's mean is nan with a RuntimeWarning.
    if "mean" in name:
        assert np.isnan(got[1])
        assert any("Mean of empty slice" in str(w.message) for w in got_w)
        assert any("Mean of empty slice" in str(w.message) for w in want_w)


@pytest.mark.parametrize("name", sorted(PER_GROUP))
def test_data_dependent_sizes_continue_per_group(name):
    f = PER_GROUP[name]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = autovec.vmap(f)(XS)
        want = _loop(f, XS)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_fallback_warning_names_the_static_form():
    with pytest.warns(errors.FallbackWarning, match=r"size=N"):
        autovec.vmap(lambda x: np.flatnonzero(x > 0).size)(XS)


def test_outputs_of_different_sizes_name_the_examples():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(errors.SplitOutputMismatchError, match="examples"):
            autovec.vmap(lambda x: np.flatnonzero(x > 0))(XS)
        # Every example the same size: the loop's stack, and ours.
        same = np.array([[1.0, -1], [-2, 3], [5, -5]])
        f = lambda x: np.flatnonzero(x > 0)  # noqa: E731
        np.testing.assert_array_equal(autovec.vmap(f)(same), _loop(f, same))


def test_static_size_forms_and_errors_stay_under_jit():
    with pytest.raises(errors.DataDependentShapeError):
        autovec.jit(autovec.vmap(lambda x: np.flatnonzero(x > 0).size), fallback="error")(XS)
    with pytest.raises(errors.DataDependentShapeError):
        autovec.vmap(lambda x: np.flatnonzero(x > 0).size, fallback="error")(XS)
