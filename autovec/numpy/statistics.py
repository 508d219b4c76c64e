"""Statistics with NumPy's signatures: ``median``, ``percentile``, ``quantile`` (all thirteen
methods, and weights), their ``nan*`` forms, ``average``, ``cov``, ``corrcoef``,
``histogram``, ``histogram_bin_edges``, ``bincount``, the ``nan*`` reductions, ``ptp`` and
``count_nonzero``.

With no traced argument each function is NumPy's own.  Traced, each follows NumPy's own
arithmetic step by step (so results equal the loop's), with three kinds of change:

- sorting-based statistics sort along the reduced axis (``_quantile.py``);
- checks NumPy makes on the *values* (weights summing to zero, negative weights, ``fact <=
  0`` in ``cov``, bins that do not increase) cannot run on a batched value: where the check
  only guards an edge case the result is NumPy's arithmetic on it (inf or NaN), and where it
  decides a shape (``bincount`` without a large enough ``minlength``, ``histogram`` with a
  string ``bins``) a specific error says what to pass instead;
- NumPy's warnings about values (empty slices, all-NaN slices) are not raised for a batch.
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from autovec import errors
from autovec.numpy import _quantile as Q
from autovec.numpy._util import (
    arr,
    concrete_int,
    holds_tracer,
    is_traced,
    ndim,
    normalize_axis,
    shape,
)
from autovec.numpy._util import reject_traced_kwargs as _reject
from autovec.numpy.assembly import linspace_exact, with_ndmin
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import (
    astype,
    broadcast_to,
    concatenate,
    ravel,
    reshape,
    squeeze,
    transpose,
)
from autovec.numpy.products import dot, einsum
from autovec.numpy.reductions import all as _all
from autovec.numpy.reductions import max as _amax
from autovec.numpy.reductions import mean as _mean
from autovec.numpy.reductions import min as _amin
from autovec.numpy.reductions import sum as _sum
from autovec.numpy.reductions import var as _var
from autovec.numpy.ufuncs import UFUNCS, clip, imag, real
from autovec.numpy.ufuncs import where as _select
from autovec.prims.counting import bincount_p
from autovec.prims.sorting import searchsorted_p

u = UFUNCS
_NO = np._NoValue


def _kd(keepdims: Any) -> bool:
    return False if keepdims is _NO else bool(keepdims)


def _given(v: Any) -> Any:
    """``None`` for NumPy's "not given" marker, the value otherwise (for ``_reject``)."""
    return None if v is _NO else v


def _divide_by_count(total: Any, count: Any) -> Any:
    """NumPy's ``total / count`` written back into ``total``'s dtype (0/0 gives NaN)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return astype(u["divide"](total, count), total.dtype)


# ----------------------------------------------------------------------- nan reductions


def _nan_filled(x: Any, value: Any) -> Any:
    return _select(u["isnan"](x), value, x) if x.dtype.kind in "fc" else x


def nansum(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: Any = _NO,
    initial: Any = _NO,
    where: Any = _NO,
) -> Any:
    """NumPy's ``nansum``: the sum treating NaN as zero."""
    if not is_traced(a, _given(where)):
        return np.nansum(a, axis, dtype, out, keepdims, initial, where)
    _reject("nansum", (a,), out=out, initial=_given(initial), where=_given(where))
    return _sum(_nan_filled(arr(a), 0), axis=axis, dtype=dtype, keepdims=_kd(keepdims))


def nanprod(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: Any = _NO,
    initial: Any = _NO,
    where: Any = _NO,
) -> Any:
    """NumPy's ``nanprod``: the product treating NaN as one."""
    if not is_traced(a, _given(where)):
        return np.nanprod(a, axis, dtype, out, keepdims, initial, where)
    _reject("nanprod", (a,), out=out, initial=_given(initial), where=_given(where))
    from autovec.numpy.reductions import prod

    return prod(_nan_filled(arr(a), 1), axis=axis, dtype=dtype, keepdims=_kd(keepdims))


def _check_inexact_dtype(dtype: Any) -> None:
    if dtype is not None and not issubclass(np.dtype(dtype).type, np.inexact):
        raise TypeError("If a is inexact, then dtype must be inexact")


def nanmean(
    a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: Any = _NO, *, where=_NO
) -> Any:
    """NumPy's ``nanmean``: the mean of the non-NaN values (NaN for an all-NaN slice)."""
    if not is_traced(a, _given(where)):
        return np.nanmean(a, axis, dtype, out, keepdims, where=where)
    _reject("nanmean", (a,), out=out, where=_given(where))
    x = arr(a)
    if x.dtype.kind not in "fc":
        return _mean(x, axis=axis, dtype=dtype, keepdims=_kd(keepdims))
    _check_inexact_dtype(dtype)
    mask = u["isnan"](x)
    cnt = _sum(u["logical_not"](mask), axis=axis, dtype=np.intp, keepdims=_kd(keepdims))
    tot = _sum(_select(mask, 0, x), axis=axis, dtype=dtype, keepdims=_kd(keepdims))
    return _divide_by_count(tot, cnt)


def nanvar(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    ddof: Any = 0,
    keepdims: Any = _NO,
    *,
    where: Any = _NO,
    mean: Any = _NO,
    correction: Any = _NO,
) -> Any:
    """NumPy's ``nanvar``: the variance of the non-NaN values, ``ddof``/``correction``."""
    if not is_traced(a, _given(where), _given(mean)):
        return np.nanvar(
            a, axis, dtype, out, ddof, keepdims, where=where, mean=mean, correction=correction
        )
    _reject("nanvar", (a,), out=out, where=_given(where), mean=_given(mean))
    if correction is not _NO:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    x = arr(a)
    kd = _kd(keepdims)
    if x.dtype.kind not in "fc":
        return _var(x, axis=axis, dtype=dtype, ddof=ddof, keepdims=kd)
    _check_inexact_dtype(dtype)
    mask = u["isnan"](x)
    zeroed = _select(mask, 0, x)
    cnt = _sum(u["logical_not"](mask), axis=axis, dtype=np.intp, keepdims=True)
    avg = _divide_by_count(_sum(zeroed, axis=axis, dtype=dtype, keepdims=True), cnt)
    dev = _select(mask, 0, astype(u["subtract"](zeroed, avg), x.dtype))
    if x.dtype.kind == "c":
        sqr = real(u["multiply"](dev, u["conjugate"](dev)))
    else:
        sqr = u["multiply"](dev, dev)
    var = _sum(sqr, axis=axis, dtype=dtype, keepdims=kd)
    if ndim(var) < ndim(cnt):
        cnt = squeeze(cnt, axis)
    dof = u["subtract"](cnt, ddof)
    var = _divide_by_count(var, dof)
    return _select(u["less_equal"](dof, 0), np.nan, var)


def nanstd(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    ddof: Any = 0,
    keepdims: Any = _NO,
    *,
    where: Any = _NO,
    mean: Any = _NO,
    correction: Any = _NO,
) -> Any:
    """NumPy's ``nanstd``: the square root of ``nanvar``."""
    if not is_traced(a, _given(where), _given(mean)):
        return np.nanstd(
            a, axis, dtype, out, ddof, keepdims, where=where, mean=mean, correction=correction
        )
    var = nanvar(a, axis, dtype, out, ddof, keepdims, where=where, mean=mean, correction=correction)
    return u["sqrt"](var)


def _nan_extreme(name: str, a: Any, axis: Any, out: Any, keepdims: Any, initial: Any, where_):
    _reject(name, (a,), out=out, initial=_given(initial), where=_given(where_))
    x = arr(a)
    reduce = _amax if name == "nanmax" else _amin
    kd = _kd(keepdims)
    if x.dtype.kind not in "fc":
        return reduce(x, axis=axis, keepdims=kd)
    # NumPy's fmax/fmin reduction skips NaN: NaN loses to every value, including -inf (or
    # inf for nanmin), and an all-NaN slice stays NaN.
    mask = u["isnan"](x)
    best = reduce(_select(mask, -np.inf if name == "nanmax" else np.inf, x), axis=axis, keepdims=kd)
    return _select(_all(mask, axis=axis, keepdims=kd), np.nan, best)


def nanmax(
    a: Any, axis: Any = None, out: Any = None, keepdims: Any = _NO, initial=_NO, where=_NO
) -> Any:
    """NumPy's ``nanmax``: the maximum ignoring NaN (NaN for an all-NaN slice)."""
    if not is_traced(a, _given(where)):
        return np.nanmax(a, axis, out, keepdims, initial, where)
    return _nan_extreme("nanmax", a, axis, out, keepdims, initial, where)


def nanmin(
    a: Any, axis: Any = None, out: Any = None, keepdims: Any = _NO, initial=_NO, where=_NO
) -> Any:
    """NumPy's ``nanmin``: the minimum ignoring NaN (NaN for an all-NaN slice)."""
    if not is_traced(a, _given(where)):
        return np.nanmin(a, axis, out, keepdims, initial, where)
    return _nan_extreme("nanmin", a, axis, out, keepdims, initial, where)


def ptp(a: Any, axis: Any = None, out: Any = None, keepdims: Any = _NO) -> Any:
    """NumPy's ``ptp``: maximum minus minimum (integers wrap, as in NumPy)."""
    if not is_traced(a):
        return np.ptp(a, axis, out, keepdims)
    _reject("ptp", (a,), out=out)
    x = arr(a)
    kd = _kd(keepdims)
    return u["subtract"](_amax(x, axis=axis, keepdims=kd), _amin(x, axis=axis, keepdims=kd))


def count_nonzero(a: Any, axis: Any = None, *, keepdims: bool = False) -> Any:
    """NumPy's ``count_nonzero`` (traced: an intp count per example, also for ``axis=None``,
    where NumPy returns a Python int)."""
    if not is_traced(a):
        return np.count_nonzero(a, axis, keepdims=keepdims)
    return _sum(astype(arr(a), bool), axis=axis, dtype=np.intp, keepdims=keepdims)


# ---------------------------------------------------------------------------- average


def _axis_tuple(axis: Any, nd: int) -> tuple[int, ...] | None:
    """NumPy's ``normalize_axis_tuple``: in the order given, duplicates refused."""
    if axis is None:
        return None
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = tuple(normalize_axis(ax, nd) for ax in items)
    if len(set(out)) != len(out):
        raise ValueError("repeated axis in `axis` argument")
    return out


def _weights_for(x: Any, weights: Any, axis: tuple | None) -> Any:
    """NumPy's ``_weights_are_valid``: weights of ``x``'s shape, or 1-d along ``axis``."""
    w = arr(weights)
    if shape(w) != shape(x):
        if axis is None:
            raise TypeError("Axis must be specified when shapes of a and weights differ.")
        if shape(w) != tuple(shape(x)[ax] for ax in axis):
            raise ValueError(
                "Shape of weights must be consistent with shape of a along specified axis."
            )
        w = transpose(w, tuple(int(i) for i in np.argsort(axis)))
        w = reshape(w, tuple(s if ax in axis else 1 for ax, s in enumerate(shape(x))))
    return w


def average(
    a: Any, axis: Any = None, weights: Any = None, returned: bool = False, *, keepdims=_NO
) -> Any:
    """NumPy's ``average``, optionally weighted, optionally ``returned`` with the sum of
    weights.  Traced weights that sum to zero give inf/NaN (NumPy raises
    ``ZeroDivisionError``, a check on values that a batch cannot make)."""
    if not is_traced(a, weights):
        return np.average(a, axis, weights, returned, keepdims=keepdims)
    x = arr(a)
    axes = _axis_tuple(axis, ndim(x))
    kd = {} if keepdims is _NO else {"keepdims": bool(keepdims)}
    if weights is None:
        avg = _mean(x, axis=axes, **kd)
        size = int(np.prod(shape(x), dtype=np.int64))
        out_size = int(np.prod(shape(avg), dtype=np.int64))
        scl: Any = np.asarray(avg.dtype.type(size / out_size))
    else:
        w = _weights_for(x, weights, axes)
        if x.dtype.kind in "iub":
            rdt = np.result_type(x.dtype, w.dtype, "f8")
        else:
            rdt = np.result_type(x.dtype, w.dtype)
        scl = _sum(w, axis=axes, dtype=rdt, **kd)
        if not is_traced(scl) and np.any(scl == 0.0):
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        avg = u["divide"](_sum(u["multiply"](x, w, dtype=rdt), axis=axes, **kd), scl)
    if not returned:
        return avg
    if shape(scl) != shape(avg):
        scl = broadcast_to(scl, shape(avg))
    return avg, scl


# -------------------------------------------------------------------- cov and corrcoef


def _sample_weights(w: Any, nobs: int, name: str, integer: bool) -> Any:
    w = astype(arr(w), float)
    if ndim(w) > 1:
        raise RuntimeError(f"cannot handle multidimensional {name}")
    if shape(w)[0] != nobs:
        raise RuntimeError(f"incompatible numbers of samples and {name}")
    if not is_traced(w):
        if integer and not np.all(w == np.around(w)):
            raise TypeError(f"{name} must be integer")
        if np.any(w < 0):
            raise ValueError(f"{name} cannot be negative")
    return w


def cov(
    m: Any,
    y: Any = None,
    rowvar: bool = True,
    bias: bool = False,
    ddof: Any = None,
    fweights: Any = None,
    aweights: Any = None,
    *,
    dtype: Any = None,
) -> Any:
    """NumPy's ``cov``: the covariance matrix of the variables (rows, or columns with
    ``rowvar=False``), with ``bias``/``ddof`` and frequency/analytic weights (which may be
    batched; a non-positive weight total gives inf, without NumPy's warning)."""
    if not is_traced(m, y, fweights, aweights):
        return np.cov(m, y, rowvar, bias, ddof, fweights, aweights, dtype=dtype)
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    m = arr(m)
    if ndim(m) > 2:
        raise ValueError("m has more than 2 dimensions")
    if y is not None:
        y = arr(y)
        if ndim(y) > 2:
            raise ValueError("y has more than 2 dimensions")
    if dtype is None:
        dts = [m.dtype] + ([] if y is None else [y.dtype])
        dtype = np.result_type(*dts, np.float64)
    X = astype(with_ndmin(m, 2), dtype)
    if not rowvar and ndim(m) != 1:
        X = transpose(X)
    if shape(X)[0] == 0:
        return np.array([]).reshape(0, 0)
    if y is not None:
        Y = astype(with_ndmin(y, 2), dtype)
        if not rowvar and shape(Y)[0] != 1:
            Y = transpose(Y)
        X = concatenate((X, Y), axis=0)
    if ddof is None:
        ddof = 1 if bias == 0 else 0
    nobs = shape(X)[1]
    w = None
    if fweights is not None:
        w = _sample_weights(fweights, nobs, "fweights", True)
    if aweights is not None:
        aweights = _sample_weights(aweights, nobs, "aweights", False)
        w = aweights if w is None else u["multiply"](w, aweights)
    avg, w_sum = average(X, axis=1, weights=w, returned=True)
    w_sum = w_sum[0]
    if w is None:
        fact: Any = nobs - ddof
    elif ddof == 0:
        fact = w_sum
    elif aweights is None:
        fact = u["subtract"](w_sum, ddof)
    else:
        extra = u["divide"](u["multiply"](ddof, _sum(u["multiply"](w, aweights))), w_sum)
        fact = u["subtract"](w_sum, extra)
    if is_traced(fact):
        fact = _select(u["less_equal"](fact, 0), 0.0, fact)
    elif fact <= 0:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=2)
        fact = 0.0
    X = astype(u["subtract"](X, getitem(avg, (slice(None), None))), X.dtype)
    X_T = transpose(X) if w is None else transpose(u["multiply"](X, w))
    c = dot(X, u["conjugate"](X_T))
    if is_traced(fact):
        with np.errstate(divide="ignore"):
            scale = u["divide"](1, fact)
    else:  # NumPy's true_divide(1, fact): a float64 scalar, which does not promote weakly
        scale = np.true_divide(1, fact)
    c = astype(u["multiply"](c, scale), c.dtype)
    return squeeze(c)


def corrcoef(x: Any, y: Any = None, rowvar: bool = True, *, dtype: Any = None) -> Any:
    """NumPy's ``corrcoef``: the covariance scaled to correlations, clipped to [-1, 1]."""
    if not is_traced(x, y):
        return np.corrcoef(x, y, rowvar, dtype=dtype)
    c = cov(x, y, rowvar, dtype=dtype)
    if ndim(c) != 2:
        return u["divide"](c, c)
    stddev = u["sqrt"](real(einsum("ii->i", c)))
    c = astype(u["divide"](c, getitem(stddev, (slice(None), None))), c.dtype)
    c = astype(u["divide"](c, getitem(stddev, (None, slice(None)))), c.dtype)
    if c.dtype.kind != "c":
        return clip(c, -1, 1)
    re, im = clip(real(c), -1, 1), clip(imag(c), -1, 1)
    return astype(u["add"](re, u["multiply"](1j, im)), c.dtype)


# --------------------------------------------------------------------------- histogram


def _flat_and_weights(a: Any, weights: Any) -> tuple[Any, Any]:
    x = arr(a)
    if x.dtype == np.bool_:
        warnings.warn(
            f"Converting input from {x.dtype} to {np.uint8} for compatibility.",
            RuntimeWarning,
            stacklevel=3,
        )
        x = astype(x, np.uint8)
    w = None
    if weights is not None:
        w = arr(weights)
        if shape(w) != shape(x):
            raise ValueError("weights should have the same shape as a.")
        w = ravel(w)
    return ravel(x), w


def _outer_edges(x: Any, range_: Any) -> tuple[Any, Any]:
    if range_ is not None:
        first, last = range_
        if not holds_tracer(range_):
            if first > last:
                raise ValueError("max must be larger than min in range parameter.")
            if not (np.isfinite(first) and np.isfinite(last)):
                raise ValueError(f"supplied range of [{first}, {last}] is not finite")
    elif shape(x)[0] == 0:
        first, last = 0, 1
    else:
        # The range of each example's data: NumPy widens an empty range by 0.5 each way.
        lo, hi = _amin(x), _amax(x)
        same = u["equal"](lo, hi)
        return _select(same, u["subtract"](lo, 0.5), lo), _select(same, u["add"](hi, 0.5), hi)
    if not holds_tracer([first, last]) and first == last:
        first, last = first - 0.5, last + 0.5
    return first, last


def _bin_edges(x: Any, bins: Any, range_: Any, weights: Any) -> tuple[Any, Any]:
    """NumPy's ``_get_bin_edges`` for a static number of bins: (edges, (first, last) of
    equal-width bins, or None)."""
    if isinstance(bins, str):
        if weights is not None:
            raise TypeError(
                "Automated estimation of the number of bins is not supported for weighted data"
            )
        raise errors.DataDependentShapeError(
            f"histogram: bins={bins!r} estimates the number of bins from the data, so each "
            f"example could get a different number. Inside vmap/jit pass bins as an int "
            f"(with range=(lo, hi)) or as an array of edges."
        )
    if ndim(bins) == 0:
        if is_traced(bins):
            concrete_int(bins, "histogram: bins")
        try:
            count = operator.index(bins)
        except TypeError as e:
            raise TypeError("`bins` must be an integer, a string, or an array") from e
        if count < 1:
            raise ValueError("`bins` must be positive, when an integer")
        first, last = _outer_edges(x, range_)
        dts = [getattr(v, "dtype", v) for v in (first, last)]
        bin_type = np.result_type(*dts, x.dtype)
        if np.issubdtype(bin_type, np.integer):
            bin_type = np.result_type(bin_type, float)
        if holds_tracer([first, last]):
            edges = linspace_exact(first, last, count + 1, endpoint=True, dtype=bin_type)
        else:
            edges = np.linspace(first, last, count + 1, endpoint=True, dtype=bin_type)
            if np.any(edges[:-1] >= edges[1:]):
                raise ValueError(
                    f"Too many bins for data range. Cannot create {count} finite-sized bins."
                )
        return edges, (first, last)
    if ndim(bins) == 1:
        edges = arr(bins)
        if not is_traced(edges) and np.any(edges[:-1] > edges[1:]):
            raise ValueError("`bins` must increase monotonically, when an array")
        return edges, None
    raise ValueError("`bins` must be 1d, when an array")


def _counts(x: Any, w: Any, edges: Any, uniform: Any) -> Any:
    """Per bin: the count (or summed weights) of the values, the last bin closed."""
    nbins = shape(edges)[0] - 1
    if uniform is not None:
        first, last = uniform
        # NumPy keeps values by comparing them, as given, with the range; it then places
        # them by comparing them, cast to the edges' dtype, with the edges.
        keep = u["logical_and"](u["greater_equal"](x, first), u["less_equal"](x, last))
        xs = astype(x, edges.dtype)
    else:
        keep = u["logical_and"](
            u["greater_equal"](x, getitem(edges, 0)), u["less_equal"](x, getitem(edges, -1))
        )
        xs = x
    inner = getitem(edges, slice(1, -1))
    if is_traced(inner):
        idx = searchsorted_p.bind(inner, xs, side="right", batch_dims=0)
    else:
        idx = searchsorted_p.bind(np.asarray(inner), xs, side="right", batch_dims=0)
    pos = _select(keep, idx, nbins)  # out of range: one extra bin, dropped below

    def count(weights: tuple) -> Any:
        return getitem(bincount_p.bind(pos, *weights, length=nbins + 1), slice(0, nbins))

    if w is None:
        return count(())
    if w.dtype.kind == "c":
        re = count((astype(real(w), np.float64),))
        im = count((astype(imag(w), np.float64),))
        return astype(u["add"](re, u["multiply"](1j, im)), w.dtype)
    return astype(count((astype(w, np.float64),)), w.dtype)


def histogram(
    a: Any, bins: Any = 10, range: Any = None, density: Any = None, weights: Any = None
) -> tuple[Any, Any]:  # noqa: A002
    """NumPy's ``histogram`` with a static number of bins: an int (with ``range``, or the
    data's own range per example) or an array of edges (which may be batched).  Returns
    ``(hist, bin_edges)``; string estimators (``'auto'``, ...) decide the number of bins
    from the data and work eagerly only."""
    if not holds_tracer([a, bins, range, weights]):
        return np.histogram(a, bins, range, density, weights)
    x, w = _flat_and_weights(a, weights)
    edges, uniform = _bin_edges(x, bins, range, w)
    n = _counts(x, w, edges, uniform)
    if density:
        widths = astype(
            u["subtract"](getitem(edges, slice(1, None)), getitem(edges, slice(-1))), float
        )
        return u["divide"](u["divide"](n, widths), _sum(n)), edges
    return n, edges


def histogram_bin_edges(a: Any, bins: Any = 10, range: Any = None, weights: Any = None) -> Any:  # noqa: A002
    """NumPy's ``histogram_bin_edges`` for a static number of bins (see ``histogram``)."""
    if not holds_tracer([a, bins, range, weights]):
        return np.histogram_bin_edges(a, bins, range, weights)
    x, w = _flat_and_weights(a, weights)
    return _bin_edges(x, bins, range, w)[0]


def bincount(x: Any, /, weights: Any = None, minlength: Any = 0) -> Any:
    """NumPy's ``bincount``.

    Inside vmap/jit the result's length must be the same for every example, so it is
    ``minlength``: pass ``minlength`` of at least ``max(x) + 1`` over all examples (then the
    result equals NumPy's).  A value that does not fit raises ``DataDependentShapeError``
    naming ``minlength``; ``minlength=0`` (the default) is refused under vmap/jit.
    """
    if not is_traced(x, weights):
        return np.bincount(x, weights, minlength)
    x = arr(x)
    if ndim(x) != 1:
        raise ValueError(
            "object too deep for desired array"
            if ndim(x) > 1
            else "object of too small depth for desired array"
        )
    if not np.can_cast(x.dtype, np.intp, "safe"):
        raise TypeError(
            f"Cannot cast array data from {x.dtype!r} to {np.dtype(np.intp)!r} according to "
            f"the rule 'safe'"
        )
    length = concrete_int(minlength, "bincount minlength")
    if length < 0:
        raise ValueError("'minlength' must not be negative")
    if length == 0:
        raise errors.DataDependentShapeError(
            "bincount inside vmap/jit needs minlength=N: without it the result's length is "
            "max(x) + 1, which differs per example. Pass minlength at least max(x) + 1 over "
            "all examples; the result then has exactly minlength bins."
        )
    if weights is None:
        return bincount_p.bind(x, length=length)
    w = arr(weights)
    if shape(w) != shape(x):
        raise ValueError("The weights and list don't have the same length.")
    return bincount_p.bind(x, astype(w, np.float64), length=length)


# ---------------------------------------------------------------- median and quantiles


def median(
    a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False, keepdims=False
) -> Any:
    """NumPy's ``median``: the mean of the middle value(s) of each sorted slice (NaN if the
    slice holds a NaN)."""
    if not is_traced(a):
        return np.median(a, axis, out, overwrite_input, keepdims)
    _reject("median", (a,), out=out)
    r = Q.Reduced(arr(a), axis)
    return r.finish(Q.median_sorted(Q.sort_last(r.data)), (), bool(keepdims))


def nanmedian(
    a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False, keepdims=_NO
) -> Any:
    """NumPy's ``nanmedian``: the median of the non-NaN values of each slice."""
    if not is_traced(a):
        return np.nanmedian(a, axis, out, overwrite_input, keepdims)
    _reject("nanmedian", (a,), out=out)
    x = arr(a)
    if 0 in shape(x):  # NumPy answers an empty input with nanmean
        return nanmean(x, axis, keepdims=keepdims)
    if x.dtype.kind not in "fc":
        return median(x, axis, keepdims=_kd(keepdims))
    r = Q.Reduced(x, axis)
    res = Q.median_sorted(Q.sort_last(r.data), Q.count_valid(r.data))
    return r.finish(res, (), _kd(keepdims))


def _quantile(
    name: str,
    a: Any,
    q: Any,
    axis: Any,
    out: Any,
    method: str,
    keepdims: Any,
    weights: Any,
    *,
    percent: bool,
    skip_nan: bool,
) -> Any:
    _reject(name, (a, q, weights), out=out)
    x = arr(a)
    if x.dtype.kind == "c":
        raise TypeError("a must be an array of real numbers")
    weak_q = type(q) in (int, float)  # NumPy: Python scalars promote weakly at the end
    if is_traced(q):
        q = u["divide"](q, 100) if percent else arr(q)
    else:
        q = np.true_divide(q, 100, out=...) if percent else np.asanyarray(q)
        if q.size and not (q.min() >= 0 and q.max() <= 1):
            what = "Percentiles must be in the range [0, 100]" if percent else ""
            raise ValueError(what or "Quantiles must be in the range [0, 1]")
    if method not in Q.METHODS:
        raise ValueError(f"{method!r} is not a valid method. Use one of: {Q.METHODS}")
    if ndim(q) > 2:
        raise ValueError("q must be a scalar or 1d")
    if skip_nan and 0 in shape(x):  # NumPy answers an empty input with nanmean, whatever q
        return nanmean(x, axis, keepdims=keepdims)
    r = Q.Reduced(x, axis)
    nv = Q.count_valid(r.data) if skip_nan and x.dtype.kind == "f" else None
    if weights is None:
        res = Q.quantile_sorted(Q.sort_last(r.data), q, method, weak_q, nv)
    else:
        if method != "inverted_cdf":
            raise ValueError(f"Only method 'inverted_cdf' supports weights. Got: {method}.")
        w = _weights_for(x, weights, _axis_tuple(axis, ndim(x)))
        if not is_traced(w) and np.any(np.asarray(w) < 0):
            raise ValueError("Weights must be non-negative.")
        order = Q.argsort_last(r.data)
        res = Q.weighted_inverted_cdf(order, r.data, r.same_layout(w), q, nv)
    return r.finish(res, shape(q), _kd(keepdims))


def quantile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: Any = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: Any = None,
) -> Any:
    """NumPy's ``quantile``: every ``method``, ``q`` a scalar or array (which may be
    batched), ``weights`` with ``method='inverted_cdf'``."""
    if not is_traced(a, q, weights):
        return np.quantile(a, q, axis, out, overwrite_input, method, keepdims, weights=weights)
    return _quantile(
        "quantile", a, q, axis, out, method, keepdims, weights, percent=False, skip_nan=False
    )


def percentile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: Any = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: Any = None,
) -> Any:
    """NumPy's ``percentile``: ``quantile`` of ``q / 100``."""
    if not is_traced(a, q, weights):
        return np.percentile(a, q, axis, out, overwrite_input, method, keepdims, weights=weights)
    return _quantile(
        "percentile", a, q, axis, out, method, keepdims, weights, percent=True, skip_nan=False
    )


def nanquantile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: Any = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: Any = _NO,
    *,
    weights: Any = None,
) -> Any:
    """NumPy's ``nanquantile``: ``quantile`` of the non-NaN values of each slice."""
    if not is_traced(a, q, weights):
        return np.nanquantile(a, q, axis, out, overwrite_input, method, keepdims, weights=weights)
    return _quantile(
        "nanquantile", a, q, axis, out, method, keepdims, weights, percent=False, skip_nan=True
    )


def nanpercentile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: Any = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: Any = _NO,
    *,
    weights: Any = None,
) -> Any:
    """NumPy's ``nanpercentile``: ``percentile`` of the non-NaN values of each slice."""
    if not is_traced(a, q, weights):
        return np.nanpercentile(a, q, axis, out, overwrite_input, method, keepdims, weights=weights)
    return _quantile(
        "nanpercentile", a, q, axis, out, method, keepdims, weights, percent=True, skip_nan=True
    )


__all__ = [
    "median",
    "percentile",
    "quantile",
    "nanmedian",
    "nanpercentile",
    "nanquantile",
    "average",
    "cov",
    "corrcoef",
    "histogram",
    "histogram_bin_edges",
    "bincount",
    "nansum",
    "nanprod",
    "nanmean",
    "nanvar",
    "nanstd",
    "nanmax",
    "nanmin",
    "ptp",
    "count_nonzero",
]
