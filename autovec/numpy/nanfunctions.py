"""Functions that ignore NaN (NumPy's ``nanfunctions``): ``nansum``, ``nanprod``,
``nanmean``, ``nanvar``, ``nanstd``, ``nanmax``, ``nanmin``, ``nanargmax``, ``nanargmin``,
``nancumsum``, ``nancumprod``.  (``nanmedian``, ``nanquantile`` and ``nanpercentile`` share
the sorting machinery of ``quantiles``.)

Each replaces NaN by the operation's neutral value and reduces, in NumPy's order of
operations; an all-NaN slice gives NaN (``nanargmax``/``nanargmin``: NumPy's ValueError)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autovec.numpy._convert import arr
from autovec.numpy._util import (
    NO_VALUE,
    flag,
    implements,
    ndim,
    normalize_axis,
    reject_out,
)
from autovec.numpy._util import reject_traced_kwargs as _reject
from autovec.numpy.cumulative import accumulate_along
from autovec.numpy.manipulation import astype, squeeze
from autovec.numpy.reductions import all as _all
from autovec.numpy.reductions import max as _amax
from autovec.numpy.reductions import mean as _mean
from autovec.numpy.reductions import min as _amin
from autovec.numpy.reductions import prod
from autovec.numpy.reductions import sum as _sum
from autovec.numpy.reductions import var as _var
from autovec.numpy.ufuncs import UFUNCS, real, where
from autovec.numpy.ufuncs import where as _select
from autovec.prims.sorting import nanargmax_p, nanargmin_p

u = UFUNCS


def _divide_by_count(total: Any, count: Any) -> Any:
    """NumPy's ``total / count`` written back into ``total``'s dtype (0/0 gives NaN)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return astype(u["divide"](total, count), total.dtype)


def _nan_filled(x: Any, value: Any) -> Any:
    return _select(u["isnan"](x), value, x) if x.dtype.kind in "fc" else x


@implements(np.nansum)
def nansum(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: Any = NO_VALUE,
    initial: Any = NO_VALUE,
    where: Any = NO_VALUE,
) -> Any:
    """NumPy's ``nansum``: the sum treating NaN as zero."""
    _reject("nansum", (a,), out=out)
    x = _nan_filled(arr(a), 0)
    return _sum(x, axis=axis, dtype=dtype, keepdims=flag(keepdims), initial=initial, where=where)


@implements(np.nanprod)
def nanprod(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: Any = NO_VALUE,
    initial: Any = NO_VALUE,
    where: Any = NO_VALUE,
) -> Any:
    """NumPy's ``nanprod``: the product treating NaN as one."""
    _reject("nanprod", (a,), out=out)
    x = _nan_filled(arr(a), 1)
    return prod(x, axis=axis, dtype=dtype, keepdims=flag(keepdims), initial=initial, where=where)


def _check_inexact_dtype(dtype: Any) -> None:
    if dtype is not None and not issubclass(np.dtype(dtype).type, np.inexact):
        raise TypeError("If a is inexact, then dtype must be inexact")


@implements(np.nanmean)
def nanmean(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: Any = NO_VALUE,
    *,
    where=NO_VALUE,
) -> Any:
    """NumPy's ``nanmean``: the mean of the non-NaN values (NaN for an all-NaN slice)."""
    _reject("nanmean", (a,), out=out)
    x = arr(a)
    if x.dtype.kind not in "fc":
        return _mean(x, axis=axis, dtype=dtype, keepdims=flag(keepdims), where=where)
    _check_inexact_dtype(dtype)
    mask = u["isnan"](x)
    kd = flag(keepdims)
    cnt = _sum(u["logical_not"](mask), axis=axis, dtype=np.intp, keepdims=kd, where=where)
    tot = _sum(_select(mask, 0, x), axis=axis, dtype=dtype, keepdims=kd, where=where)
    return _divide_by_count(tot, cnt)


@implements(np.nanvar)
def nanvar(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    ddof: Any = 0,
    keepdims: Any = NO_VALUE,
    *,
    where: Any = NO_VALUE,
    mean: Any = NO_VALUE,
    correction: Any = NO_VALUE,
) -> Any:
    """NumPy's ``nanvar``: the variance of the non-NaN values, ``ddof``/``correction``."""
    _reject("nanvar", (a,), out=out)
    x = arr(a)
    kd = flag(keepdims)
    if x.dtype.kind not in "fc":
        return _var(
            x,
            axis=axis,
            dtype=dtype,
            ddof=ddof,
            keepdims=kd,
            where=where,
            mean=mean,
            correction=correction,
        )
    if correction is not NO_VALUE:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    _check_inexact_dtype(dtype)
    mask = u["isnan"](x)
    zeroed = _select(mask, 0, x)
    cnt = _sum(u["logical_not"](mask), axis=axis, dtype=np.intp, keepdims=True, where=where)
    if mean is NO_VALUE:
        total = _sum(zeroed, axis=axis, dtype=dtype, keepdims=True, where=where)
        mean = _divide_by_count(total, cnt)
    dev = _select(mask, 0, astype(u["subtract"](zeroed, mean), x.dtype))
    if x.dtype.kind == "c":
        sqr = real(u["multiply"](dev, u["conjugate"](dev)))
    else:
        sqr = u["multiply"](dev, dev)
    var = _sum(sqr, axis=axis, dtype=dtype, keepdims=kd, where=where)
    if ndim(var) < ndim(cnt):
        cnt = squeeze(cnt, axis)
    dof = u["subtract"](cnt, ddof)
    var = _divide_by_count(var, dof)
    return _select(u["less_equal"](dof, 0), np.nan, var)


@implements(np.nanstd)
def nanstd(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    ddof: Any = 0,
    keepdims: Any = NO_VALUE,
    *,
    where: Any = NO_VALUE,
    mean: Any = NO_VALUE,
    correction: Any = NO_VALUE,
) -> Any:
    """NumPy's ``nanstd``: the square root of ``nanvar``."""
    var = nanvar(a, axis, dtype, out, ddof, keepdims, where=where, mean=mean, correction=correction)
    return u["sqrt"](var)


def _nan_extreme(name: str, a: Any, axis: Any, out: Any, keepdims: Any, initial: Any, where_):
    _reject(name, (a,), out=out)
    x = arr(a)
    reduce = _amax if name == "nanmax" else _amin
    kd = flag(keepdims)
    if x.dtype.kind not in "fc":
        return reduce(x, axis=axis, keepdims=kd, initial=initial, where=where_)
    # NumPy's fmax/fmin reduction skips NaN: NaN loses to every value, including -inf (or
    # inf for nanmin), and an all-NaN slice stays NaN, or gives ``initial`` where given.
    mask = u["isnan"](x)
    filled = _select(mask, -np.inf if name == "nanmax" else np.inf, x)
    best = reduce(filled, axis=axis, keepdims=kd, initial=initial, where=where_)
    if initial is not NO_VALUE and initial is not None:
        return best
    return _select(_all(mask, axis=axis, keepdims=kd), np.nan, best)


@implements(np.nanmax)
def nanmax(
    a: Any,
    axis: Any = None,
    out: Any = None,
    keepdims: Any = NO_VALUE,
    initial=NO_VALUE,
    where=NO_VALUE,
) -> Any:
    """NumPy's ``nanmax``: the maximum ignoring NaN (NaN for an all-NaN slice)."""
    return _nan_extreme("nanmax", a, axis, out, keepdims, initial, where)


@implements(np.nanmin)
def nanmin(
    a: Any,
    axis: Any = None,
    out: Any = None,
    keepdims: Any = NO_VALUE,
    initial=NO_VALUE,
    where=NO_VALUE,
) -> Any:
    """NumPy's ``nanmin``: the minimum ignoring NaN (NaN for an all-NaN slice)."""
    return _nan_extreme("nanmin", a, axis, out, keepdims, initial, where)


def _make_nanarg(name: str, prim: Any) -> Callable[..., Any]:
    @implements(getattr(np, name))
    def nanarg(a: Any, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Any:
        reject_out(name, out)
        a = arr(a)
        ax = None if axis is None else normalize_axis(axis, ndim(a))
        return prim.bind(a, axis=ax, keepdims=bool(keepdims))

    nanarg.__doc__ = (
        f"NumPy's ``{name}``: like ``{name[3:]}`` but ignoring NaNs; an all-NaN slice raises "
        f"NumPy's ValueError (for any example)."
    )
    return nanarg


nanargmax = _make_nanarg("nanargmax", nanargmax_p)
nanargmin = _make_nanarg("nanargmin", nanargmin_p)


def _nan_to(a: Any, value: float) -> Any:
    a = arr(a)
    if np.dtype(a.dtype).kind not in "fc":
        return a  # no NaN to replace (NumPy passes other dtypes through)
    return where(UFUNCS["isnan"](a), np.asarray(value, a.dtype), a)


@implements(np.nancumsum)
def nancumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    """NumPy's ``nancumsum``: ``cumsum`` with NaNs counted as zero."""
    reject_out("nancumsum", out)
    return accumulate_along("cumsum", "add", _nan_to(a, 0), axis, dtype)


@implements(np.nancumprod)
def nancumprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    """NumPy's ``nancumprod``: ``cumprod`` with NaNs counted as one."""
    reject_out("nancumprod", out)
    return accumulate_along("cumprod", "multiply", _nan_to(a, 1), axis, dtype)


__all__ = [
    "nansum",
    "nanprod",
    "nanmean",
    "nanvar",
    "nanstd",
    "nanmax",
    "nanmin",
    "nanargmax",
    "nanargmin",
    "nancumsum",
    "nancumprod",
]
