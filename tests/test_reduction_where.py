"""``where=`` (and ``initial=``, ``mean=``) on every reduction NumPy takes it on, under vmap,
jit(vmap), vmap(jit) and plain jit, against the Python loop."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autovec
from autovec.testing import check_vmap

_rng = np.random.default_rng(7)
X = _rng.standard_normal((3, 4))
XNAN = X.copy()
XNAN[0, 1] = XNAN[2, 3] = XNAN[1, 1] = np.nan
XNAN[:, 2] = np.nan  # an all-NaN column
M = _rng.random((3, 4)) > 0.35
M[:, 0] = False  # an all-masked column

FUNS = {
    "sum": lambda x, m: np.sum(x, where=m),
    "sum_axis": lambda x, m: np.sum(x, axis=0, where=m),
    "sum_initial": lambda x, m: np.sum(x, axis=1, where=m, initial=1.5, keepdims=True),
    "prod": lambda x, m: np.prod(x, axis=0, where=m),
    "mean": lambda x, m: np.mean(x, axis=0, where=m),
    "mean_all": lambda x, m: np.mean(x, where=m),
    "mean_f32": lambda x, m: np.mean(x.astype(np.float32), axis=1, where=m),
    "var": lambda x, m: np.var(x, axis=0, where=m),
    "var_all": lambda x, m: np.var(x, where=m),
    "var_ddof_keepdims": lambda x, m: np.var(x, axis=1, where=m, ddof=1, keepdims=True),
    "var_int": lambda x, m: np.var((x * 4).astype(np.int16), axis=1, where=m),
    "var_complex": lambda x, m: np.var(x + 1j * x[::-1], axis=0, where=m),
    "var_correction": lambda x, m: np.var(x, axis=1, where=m, correction=1),
    "var_mean_given": lambda x, m: np.var(x, axis=1, mean=np.mean(x, axis=1, keepdims=True)),
    "std": lambda x, m: np.std(x, axis=1, where=m),
    "std_ddof": lambda x, m: np.std(x, where=m, ddof=1),
    "min_initial": lambda x, m: np.min(x, axis=0, where=m, initial=0.5),
    "max_initial": lambda x, m: np.max(x, axis=1, where=m, initial=-0.5),
    "amax_keepdims": lambda x, m: np.amax(x, axis=0, where=m, initial=-9.0, keepdims=True),
    "any": lambda x, m: np.any(x > 0, axis=0, where=m),
    "all": lambda x, m: np.all(x > 0, axis=1, where=m),
    "nansum": lambda x, m: np.nansum(x, axis=0, where=m),
    "nansum_initial": lambda x, m: np.nansum(x, axis=1, where=m, initial=2.0),
    "nanprod": lambda x, m: np.nanprod(x, axis=1, where=m),
    "nanmean": lambda x, m: np.nanmean(x, axis=0, where=m),
    "nanvar": lambda x, m: np.nanvar(x, axis=1, where=m),
    "nanstd": lambda x, m: np.nanstd(x, axis=0, where=m, ddof=1),
    "nanvar_mean_given": lambda x, m: np.nanvar(
        x, axis=1, mean=np.nanmean(x, axis=1, keepdims=True)
    ),
    "nanmin_initial": lambda x, m: np.nanmin(x, axis=0, where=m, initial=3.0),
    "nanmax_initial": lambda x, m: np.nanmax(x, axis=1, where=m, initial=-3.0),
    "nanmax_initial_no_where": lambda x, m: np.nanmax(x, axis=0, initial=-3.0),
    "method_sum": lambda x, m: x.sum(axis=1, where=m),
    "method_mean": lambda x, m: x.mean(where=m),
    "method_var": lambda x, m: x.var(axis=0, where=m),
    "method_std": lambda x, m: x.std(axis=0, where=m),
    "method_max": lambda x, m: x.max(axis=0, where=m, initial=0.0),
    "method_all": lambda x, m: (x > 0).all(where=m),
    "ufunc_reduce": lambda x, m: np.add.reduce(x, axis=1, where=m),
    "where_broadcast": lambda x, m: np.mean(x, axis=0, where=m[0]),
    "where_true": lambda x, m: np.var(x, axis=0, where=True),
}


@pytest.mark.parametrize("data", ["plain", "nan"])
@pytest.mark.parametrize("name", sorted(FUNS))
def test_reduction_where_batches_like_the_loop(name, data):
    x = XNAN if data == "nan" else X
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        n = check_vmap(
            FUNS[name],
            x,
            M,
            transforms=("vmap", "jit_vmap", "vmap_jit"),
            nested=("vmap_vmap",),
            batch_sizes=(0, 3),
            rtol=1e-6,
            atol=1e-12,
        )
    assert n > 0


@pytest.mark.parametrize("name", sorted(FUNS))
def test_reduction_where_under_jit(name):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        want = FUNS[name](XNAN, M)
        got = autovec.jit(FUNS[name])(XNAN, M)
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)
    assert np.asarray(got).dtype == np.asarray(want).dtype


def test_where_without_identity_needs_initial_as_in_numpy():
    with pytest.raises(ValueError, match="initial"):
        autovec.vmap(lambda x, m: np.max(x, where=m))(X, M)
    with pytest.raises(ValueError, match="initial"):
        autovec.vmap(lambda x, m: np.nanmin(x, where=m))(X, M)
