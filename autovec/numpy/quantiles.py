"""Order statistics on traced values: ``median``, ``percentile``, ``quantile`` (NumPy's
thirteen methods, and weights) and their ``nan*`` forms.

Layout: the reduced axes are merged into the LAST axis of ``data`` (``kept + (n,)``) and
sorted there with the ``sort`` primitive (NaN sorts last, as in NumPy); every statistic is
then a gather of a few sorted positions and an interpolation between them.  Each step is
NumPy's own arithmetic (``numpy/lib/_function_base_impl.py``), written with autovec.numpy
ufuncs so that it runs on concrete arrays and on tracers alike:

- the positions of a quantile come from the method's "virtual index" (a float position),
  its floor and ceiling, and a weight ``gamma`` between them;
- NumPy's data-dependent branches (``if any(...)``) become ``where`` selections, which give
  the same values element by element;
- for the ``nan*`` forms each slice has its own count ``nv`` of non-NaN values, so positions
  are per slice, and NumPy's "-1: the last valid value" becomes ``nv - 1``.

NumPy's warnings about values (empty slices, all-NaN slices) are not raised for a batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autovec.numpy._convert import arr
from autovec.numpy._util import NO_VALUE, flag, implements, is_traced, ndim, normalize_axes, shape
from autovec.numpy._util import reject_traced_kwargs as _reject
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import (
    astype,
    broadcast_to,
    moveaxis,
    ravel,
    reshape,
    stack,
    transpose,
)
from autovec.numpy.nanfunctions import nanmean
from autovec.numpy.reductions import mean as _mean
from autovec.numpy.reductions import sum as _sum
from autovec.numpy.statistics import axis_tuple, weights_along
from autovec.numpy.ufuncs import UFUNCS, where
from autovec.prims.cumulative import accumulate_p
from autovec.prims.sorting import argsort_p, searchsorted_p, sort_p

u = UFUNCS


@implements(np.median)
def median(
    a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False, keepdims=False
) -> Any:
    """NumPy's ``median``: the mean of the middle value(s) of each sorted slice (NaN if the
    slice holds a NaN)."""
    _reject("median", (a,), out=out)
    r = Reduced(arr(a), axis)
    return r.finish(median_sorted(sort_last(r.data)), (), bool(keepdims))


@implements(np.nanmedian)
def nanmedian(
    a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False, keepdims=NO_VALUE
) -> Any:
    """NumPy's ``nanmedian``: the median of the non-NaN values of each slice."""
    _reject("nanmedian", (a,), out=out)
    x = arr(a)
    if 0 in shape(x):  # NumPy answers an empty input with nanmean
        return nanmean(x, axis, keepdims=keepdims)
    if x.dtype.kind not in "fc":
        return median(x, axis, keepdims=flag(keepdims))
    r = Reduced(x, axis)
    res = median_sorted(sort_last(r.data), count_valid(r.data))
    return r.finish(res, (), flag(keepdims))


# NumPy 2.3 made a Python scalar q promote weakly (a float32 array's quantile is computed
# with q and gamma at double precision); before, q took the array's float dtype.
_WEAK_Q = np.lib.NumpyVersion(np.__version__) >= "2.3.0.dev0"


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
    if _WEAK_Q:
        weak_q = type(q) in (int, float)  # NumPy: Python scalars promote weakly at the end
        hundred: Any = 100
    else:
        # NumPy < 2.3 made a Python scalar q take a float array's dtype from the start.
        weak_q = False
        hundred = x.dtype.type(100) if x.dtype.kind == "f" else 100
        if not percent and isinstance(q, (int, float)) and x.dtype.kind == "f":
            q = np.asarray(q, dtype=x.dtype)
    if is_traced(q):
        q = u["divide"](q, hundred) if percent else arr(q)
    else:
        # Not true_divide(..., out=...): that spelling needs NumPy >= 2.3.
        q = np.asanyarray(np.true_divide(q, hundred) if percent else q)
        if q.size and not (q.min() >= 0 and q.max() <= 1):
            what = "Percentiles must be in the range [0, 100]" if percent else ""
            raise ValueError(what or "Quantiles must be in the range [0, 1]")
    if method not in METHODS:
        raise ValueError(f"{method!r} is not a valid method. Use one of: {METHODS}")
    if ndim(q) > 2:
        raise ValueError("q must be a scalar or 1d")
    if skip_nan and 0 in shape(x):  # NumPy answers an empty input with nanmean, whatever q
        return nanmean(x, axis, keepdims=keepdims)
    r = Reduced(x, axis)
    nv = count_valid(r.data) if skip_nan and x.dtype.kind == "f" else None
    if weights is None:
        res = quantile_sorted(sort_last(r.data), q, method, weak_q, nv)
    else:
        if method != "inverted_cdf":
            raise ValueError(f"Only method 'inverted_cdf' supports weights. Got: {method}.")
        w = weights_along(x, weights, axis_tuple(axis, ndim(x)))
        if not is_traced(w) and np.any(np.asarray(w) < 0):
            raise ValueError("Weights must be non-negative.")
        order = argsort_last(r.data)
        res = weighted_inverted_cdf(order, r.data, r.same_layout(w), q, nv)
    return r.finish(res, shape(q), flag(keepdims))


def _quantile_function(
    name: str, *, percent: bool, skip_nan: bool, keepdims_default: Any, doc: str
) -> Callable[..., Any]:
    """The implementation of NumPy's ``name``: the four quantile functions differ only in
    ``percent``, ``skip_nan`` and ``keepdims``' default."""

    def impl(
        a: Any,
        q: Any,
        axis: Any = None,
        out: Any = None,
        overwrite_input: bool = False,
        method: str = "linear",
        keepdims: Any = keepdims_default,
        *,
        weights: Any = None,
    ) -> Any:
        return _quantile(
            name, a, q, axis, out, method, keepdims, weights, percent=percent, skip_nan=skip_nan
        )

    impl.__name__ = impl.__qualname__ = name
    impl.__doc__ = doc
    return implements(getattr(np, name))(impl)


quantile = _quantile_function(
    "quantile",
    percent=False,
    skip_nan=False,
    keepdims_default=False,
    doc="""NumPy's ``quantile``: every ``method``, ``q`` a scalar or array (which may be
    batched), ``weights`` with ``method='inverted_cdf'``.""",
)
percentile = _quantile_function(
    "percentile",
    percent=True,
    skip_nan=False,
    keepdims_default=False,
    doc="NumPy's ``percentile``: ``quantile`` of ``q / 100``.",
)
nanquantile = _quantile_function(
    "nanquantile",
    percent=False,
    skip_nan=True,
    keepdims_default=NO_VALUE,
    doc="NumPy's ``nanquantile``: ``quantile`` of the non-NaN values of each slice.",
)
nanpercentile = _quantile_function(
    "nanpercentile",
    percent=True,
    skip_nan=True,
    keepdims_default=NO_VALUE,
    doc="NumPy's ``nanpercentile``: ``percentile`` of the non-NaN values of each slice.",
)


# ------------------------------------------------------------------------ the machinery


METHODS = (
    "inverted_cdf",
    "averaged_inverted_cdf",
    "closest_observation",
    "interpolated_inverted_cdf",
    "hazen",
    "weibull",
    "linear",
    "median_unbiased",
    "normal_unbiased",
    "lower",
    "higher",
    "midpoint",
    "nearest",
)


_DISCRETE = ("inverted_cdf", "closest_observation", "lower", "higher", "nearest")


_ALPHA_BETA = {
    "interpolated_inverted_cdf": (0, 1),
    "hazen": (0.5, 0.5),
    "weibull": (0, 0),
    "median_unbiased": (1 / 3.0, 1 / 3.0),
    "normal_unbiased": (3 / 8.0, 3 / 8.0),
}


class Reduced:
    """``x`` with the reduced axes merged into the last axis, and how to undo it."""

    def __init__(self, x: Any, axis: Any):
        nd = ndim(x)
        self.full_shape = shape(x)
        if axis is None:
            self.axes = tuple(range(nd))
            self.data = ravel(x)
            self.kept: tuple = ()
        else:
            self.axes = normalize_axes(axis, nd)
            keep = [i for i in range(nd) if i not in self.axes]
            self.kept = tuple(self.full_shape[i] for i in keep)
            n = int(np.prod([self.full_shape[i] for i in self.axes], dtype=np.int64))
            # (not -1: NumPy cannot infer it when a kept axis is empty)
            self.data = reshape(transpose(x, keep + list(self.axes)), (*self.kept, n))
        self.n = shape(self.data)[-1]

    def same_layout(self, y: Any) -> Any:
        """Another array of ``x``'s shape (weights), laid out like ``data``."""
        keep = [i for i in range(len(self.full_shape)) if i not in self.axes]
        y = broadcast_to(arr(y), self.full_shape)
        return reshape(transpose(y, keep + list(self.axes)), (*self.kept, self.n))

    def finish(self, result: Any, qshape: tuple, keepdims: bool) -> Any:
        """``result`` (``qshape + kept``) with NumPy's keepdims layout if asked."""
        if not keepdims:
            return result
        dims = tuple(1 if i in self.axes else s for i, s in enumerate(self.full_shape))
        return reshape(result, qshape + dims)


def sort_last(data: Any) -> Any:
    return sort_p.bind(data, axis=ndim(data) - 1, kind=None)


def count_valid(data: Any) -> Any:
    """Non-NaN values per slice (intp, ``kept`` shape)."""
    return _sum(u["logical_not"](u["isnan"](data)), axis=-1, dtype=np.intp)


def take_last(s: Any, idx: Any, nq: int, per_slice: bool) -> Any:
    """``s[..., idx]`` with the ``nq`` leading axes of ``idx`` (the quantiles') in front.

    ``per_slice``: ``idx`` has shape ``qshape + kept`` (each slice its own positions);
    otherwise ``qshape`` (the same positions in every slice)."""
    kept = shape(s)[:-1]
    if not per_slice:
        out = getitem(s, (Ellipsis, idx))  # kept + qshape
        return moveaxis(out, list(range(len(kept), len(kept) + nq)), list(range(nq)))
    grids = tuple(
        np.arange(k).reshape((1,) * nq + tuple(k if j == i else 1 for j in range(len(kept))))
        for i, k in enumerate(kept)
    )
    return getitem(s, (*grids, idx))


def _as_count(n: Any, q: Any) -> Any:
    """``n`` as NumPy sees it in its formulas: a Python int, which is *weak* (it takes the
    quantiles' float dtype).  A per-slice count is cast to that dtype to behave the same."""
    if isinstance(n, int):
        return n
    qdt = np.result_type(getattr(q, "dtype", q))
    return astype(n, qdt) if qdt.kind == "f" else n


def _to_boundaries(index: Any, take_previous: Callable[[Any, Any], Any]) -> Any:
    previous = u["floor"](index)
    following = u["add"](previous, 1)
    gamma = u["subtract"](index, previous)
    chosen = where(take_previous(gamma, index), previous, following)
    return u["maximum"](astype(chosen, np.intp), 0)


def virtual_index(method: str, n: Any, q: Any) -> Any:
    """NumPy's (float or integer) position of quantile ``q`` in ``n`` sorted values."""
    mul, sub, add = u["multiply"], u["subtract"], u["add"]
    n = _as_count(n, q)
    if method == "inverted_cdf":
        return _to_boundaries(sub(mul(n, q), 1), lambda g, i: u["equal"](g, 0))
    if method == "averaged_inverted_cdf":
        return sub(mul(n, q), 1)
    if method == "closest_observation":

        def odd_at_zero(g: Any, i: Any) -> Any:
            return u["logical_and"](
                u["equal"](g, 0), u["equal"](u["remainder"](u["floor"](i), 2), 1)
            )

        return _to_boundaries(sub(sub(mul(n, q), 1), 0.5), odd_at_zero)
    if method in _ALPHA_BETA:
        alpha, beta = _ALPHA_BETA[method]
        return sub(add(mul(n, q), add(alpha, mul(q, 1 - alpha - beta))), 1)
    scaled = mul(n - 1 if isinstance(n, int) else sub(n, 1), q)  # a Python int stays weak
    if method == "linear":
        return scaled
    if method == "lower":
        return astype(u["floor"](scaled), np.intp)
    if method == "higher":
        return astype(u["ceil"](scaled), np.intp)
    if method == "midpoint":
        return mul(0.5, add(u["floor"](scaled), u["ceil"](scaled)))
    if method == "nearest":
        return astype(u["rint"](scaled), np.intp)
    raise ValueError(f"{method!r} is not a valid method. Use one of: {METHODS}")


def _fix_gamma(method: str, gamma: Any, index: Any) -> Any:
    if method == "averaged_inverted_cdf":
        return where(u["equal"](gamma, 0), 0.5, 1.0)
    if method == "midpoint":
        return where(u["equal"](u["remainder"](index, 1), 0), 0.0, 0.5)
    return gamma


def _lerp(a: Any, b: Any, t: Any, t_high: Any = None, one_minus_t: Any = None) -> Any:
    """NumPy's two-sided linear interpolation (``a + d*t`` below 0.5, ``b - d*(1-t)`` from
    0.5 on, in the dtype of the first form).  ``t_high``/``one_minus_t`` give the condition and
    ``1 - t`` when they must be computed at another precision than ``t``."""
    diff = u["subtract"](b, a)
    low = u["add"](a, u["multiply"](diff, t))
    if one_minus_t is not None:
        omt = one_minus_t
    else:  # a Python float t stays a (weak) Python float
        omt = 1 - t if isinstance(t, float) else u["subtract"](1, t)
    high = astype(u["subtract"](b, u["multiply"](diff, omt)), low.dtype)
    cond = u["greater_equal"](t if t_high is None else t_high, 0.5)
    return where(cond, high, low)


def quantile_sorted(
    s: Any, q: Any, method: str, weak_q: bool, nv: Any = None, nan_result: bool = True
) -> Any:
    """Quantiles ``q`` of each slice of the sorted ``s`` (``kept + (n,)``): ``qshape + kept``.

    ``nv`` (per-slice valid counts) selects the NaN-skipping form; otherwise every slice has
    ``n`` values and a slice holding a NaN gives NaN (``nan_result``)."""
    n = shape(s)[-1]
    kept = shape(s)[:-1]
    qshape = shape(q)
    nq = len(qshape)
    per_slice = nv is not None
    count = n if nv is None else nv
    qq = reshape(q, qshape + (1,) * len(kept)) if per_slice else q
    virtual = virtual_index(method, count, qq)
    inexact = s.dtype.kind in "fc"
    vdt = virtual.dtype
    if method in _DISCRETE or (method == "linear" and vdt.kind in "iu"):
        result = take_last(s, _valid_positions(virtual, nv), nq, per_slice)
    else:
        previous = u["floor"](virtual)
        following = u["add"](previous, 1)
        above = u["greater_equal"](virtual, u["subtract"](count, 1))
        previous, following = where(above, -1, previous), where(above, -1, following)
        below = u["less"](virtual, 0)
        previous, following = where(below, 0, previous), where(below, 0, following)
        if inexact:
            nan = u["isnan"](virtual)
            previous, following = where(nan, -1, previous), where(nan, -1, following)
        previous, following = astype(previous, np.intp), astype(following, np.intp)
        lo = take_last(s, _valid_positions(previous, nv), nq, per_slice)
        hi = take_last(s, _valid_positions(following, nv), nq, per_slice)
        gamma = _fix_gamma(method, u["subtract"](virtual, previous), virtual)
        gamma = astype(gamma, vdt)
        if weak_q and not is_traced(gamma):
            result = _lerp(lo, hi, float(gamma))
        elif weak_q:
            # NumPy made gamma a Python float: it joins the data's dtype, and 1 - gamma is
            # computed at double precision first.  Do the same per slice.
            wdt = np.result_type(lo.dtype, 1.0)
            g64 = astype(gamma, np.float64)
            result = _lerp(lo, hi, astype(g64, wdt), g64, astype(u["subtract"](1.0, g64), wdt))
        else:
            if not per_slice:
                gamma = reshape(gamma, qshape + (1,) * len(kept))
            result = _lerp(lo, hi, gamma)
    if per_slice:
        empty = u["equal"](nv, 0)
        return where(empty, astype(np.asarray(np.nan), s.dtype), result)
    if inexact and nan_result and n:
        last = getitem(s, (Ellipsis, -1))
        result = where(u["isnan"](last), astype(last, result.dtype), result)
    return result


def _valid_positions(idx: Any, nv: Any) -> Any:
    """Position -1 means "the last value": with NaNs sorted last, the last VALID one."""
    if nv is None:
        return idx
    return where(u["less"](idx, 0), u["add"](idx, nv), idx)


def weighted_inverted_cdf(s_order: Any, data: Any, w: Any, q: Any, nv: Any = None) -> Any:
    """NumPy's weighted ``inverted_cdf``: the first sorted value whose cumulative weight
    reaches ``q`` (``qshape + kept``).  ``nv`` skips NaNs (their weights count as 0)."""
    n = shape(data)[-1]
    kept = shape(data)[:-1]
    qshape = shape(q)
    last_axis = ndim(data) - 1
    grid = tuple(
        np.arange(k).reshape(tuple(k if j == i else 1 for j in range(len(kept))) + (1,))
        for i, k in enumerate(kept)
    )
    s = getitem(data, (*grid, s_order))
    ws = getitem(w, (*grid, s_order))
    if nv is not None:
        ws = where(u["isnan"](s), 0, ws)
    cdf = accumulate_p.bind(ws, ufunc="add", axis=last_axis, dtype=np.dtype(np.float64))
    cdf = u["divide"](cdf, getitem(cdf, (Ellipsis, slice(n - 1, n))))
    qdt = np.result_type(getattr(q, "dtype", q))
    if qdt.kind == "f":
        cdf = astype(cdf, qdt)
    # Leading zero weights would make quantile 0 pick an element of weight 0.
    cdf = where(u["equal"](cdf, 0), -1, cdf)
    flat_q = reshape(arr(q), (-1,))
    nflat = shape(flat_q)[0]
    if kept:
        v = broadcast_to(flat_q, (*kept, nflat))
        idx = searchsorted_p.bind(cdf, v, side="left", batch_dims=len(kept))
    else:
        idx = searchsorted_p.bind(cdf, flat_q, side="left", batch_dims=0)
    top = n - 1 if nv is None else u["subtract"](nv, 1)
    if nv is not None and kept:
        top = reshape(top, (*kept, 1))
    idx = u["minimum"](idx, top)
    result = getitem(s, (*grid, idx))  # kept + (nflat,)
    result = moveaxis(result, -1, 0) if kept else result
    result = reshape(result, qshape + kept)
    if nv is not None:
        return where(u["equal"](nv, 0), astype(np.asarray(np.nan), s.dtype), result)
    if s.dtype.kind in "fc":
        last = getitem(s, (Ellipsis, -1))
        result = where(u["isnan"](last), astype(last, result.dtype), result)
    return result


def argsort_last(data: Any) -> Any:
    return argsort_p.bind(data, axis=ndim(data) - 1, kind=None)


def median_sorted(s: Any, nv: Any = None) -> Any:
    """NumPy's median of each sorted slice: the mean of the middle one or two values."""
    n = shape(s)[-1]
    if nv is None:
        half = n // 2
        middle = getitem(
            s, (Ellipsis, slice(half, half + 1) if n % 2 else slice(half - 1, half + 1))
        )
        result = _mean(middle, axis=-1)
        if s.dtype.kind in "fc" and n:
            last = getitem(s, (Ellipsis, -1))
            result = where(u["isnan"](last), astype(last, result.dtype), result)
        return result
    lo_i = u["maximum"](u["floor_divide"](u["subtract"](nv, 1), 2), 0)
    hi_i = u["floor_divide"](nv, 2)
    pair = take_last(s, stack([lo_i, hi_i]), 1, True)  # (2,) + kept
    result = _mean(pair, axis=0)
    return where(u["equal"](nv, 0), astype(np.asarray(np.nan), result.dtype), result)


__all__ = [
    "median",
    "nanmedian",
    "quantile",
    "percentile",
    "nanquantile",
    "nanpercentile",
]
