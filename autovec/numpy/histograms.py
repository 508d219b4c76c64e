"""Histograms (NumPy's section of that name): ``histogram``, ``histogram_bin_edges``,
``histogram2d``, ``histogramdd``, ``bincount``, ``digitize``.

A batch needs one shape, so the number of bins must be static: an int (over ``range``, or each
example's own data range) or an array of edges, which may be batched.  String estimators
(``bins='auto'``) and ``bincount`` without a large enough ``minlength`` decide a length from
the data: inside vmap/jit they raise an error that says what to pass instead.  Checks NumPy
makes on the values (bins that do not increase) run only on concrete bins."""

from __future__ import annotations

import math
import operator
import warnings
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import Tracer
from autovec.numpy._convert import arr
from autovec.numpy._util import concrete_int, holds_tracer, implements, is_traced, ndim, shape
from autovec.numpy.creation import linspace_exact
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import astype, flip, ravel, reshape, stack
from autovec.numpy.reductions import all as _all
from autovec.numpy.reductions import max as _amax
from autovec.numpy.reductions import min as _amin
from autovec.numpy.reductions import sum as _sum
from autovec.numpy.searching import searchsorted
from autovec.numpy.ufuncs import UFUNCS, imag, real, where
from autovec.numpy.ufuncs import where as _select
from autovec.prims.counting import bincount_p
from autovec.prims.elementwise import complex_p
from autovec.prims.sorting import searchsorted_p

u = UFUNCS


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
        return complex_p.bind(re, im, dtype=np.dtype(w.dtype))
    return astype(count((astype(w, np.float64),)), w.dtype)


@implements(np.histogram)
def histogram(
    a: Any, bins: Any = 10, range: Any = None, density: Any = None, weights: Any = None
) -> tuple[Any, Any]:  # noqa: A002
    """NumPy's ``histogram`` with a static number of bins: an int (with ``range``, or the
    data's own range per example) or an array of edges (which may be batched).  Returns
    ``(hist, bin_edges)``; string estimators (``'auto'``, ...) decide the number of bins
    from the data and work eagerly only."""
    x, w = _flat_and_weights(a, weights)
    edges, uniform = _bin_edges(x, bins, range, w)
    n = _counts(x, w, edges, uniform)
    if density:
        widths = astype(
            u["subtract"](getitem(edges, slice(1, None)), getitem(edges, slice(-1))), float
        )
        return u["divide"](u["divide"](n, widths), _sum(n)), edges
    return n, edges


@implements(np.histogram_bin_edges)
def histogram_bin_edges(a: Any, bins: Any = 10, range: Any = None, weights: Any = None) -> Any:  # noqa: A002
    """NumPy's ``histogram_bin_edges`` for a static number of bins (see ``histogram``)."""
    x, w = _flat_and_weights(a, weights)
    return _bin_edges(x, bins, range, w)[0]


def _dd_sample(sample: Any) -> Any:
    if isinstance(sample, (list, tuple)):
        return stack([ravel(arr(s)) for s in sample], axis=1)
    x = arr(sample)
    if ndim(x) <= 1:  # NumPy: np.atleast_2d(sample).T, one sample of one coordinate for 0-d
        return reshape(x, (-1, 1))
    if ndim(x) != 2:
        raise ValueError("histogramdd: the sample must be (N, D) or a sequence of D arrays")
    return x


@implements(np.histogramdd)
def histogramdd(
    sample: Any,
    bins: Any = 10,
    range: Any = None,  # noqa: A002
    density: Any = None,
    weights: Any = None,
) -> tuple[Any, list]:
    """NumPy's ``histogramdd`` with static bins per dimension: an int (over ``range`` or
    each example's own data range) or an array of edges.  Returns ``(hist, edges)``; the
    histogram is float64 as NumPy's, values outside the edges are dropped and the last bin
    of each dimension is closed."""
    x = _dd_sample(sample)
    n, d = shape(x)
    if not isinstance(bins, (list, tuple)) and ndim(bins) == 0:
        bins = [bins] * d
    if len(bins) != d:
        raise ValueError("The dimension of bins must be equal to the dimension of the sample x.")
    ranges = [None] * d if range is None else list(range)
    if len(ranges) != d:
        raise ValueError("range argument must have one entry per dimension")
    edges, index, nbins = [], None, []
    for i in np.arange(d):
        col = getitem(x, (slice(None), int(i)))
        b = bins[i]
        if ndim(b) == 0:
            count = int(b)
            if count < 1:
                raise ValueError(f"`bins[{i}]` must be positive, when an integer")
            first, last = _outer_edges(col, ranges[i])
            e = linspace_exact(first, last, count + 1)
        else:
            e = astype(arr(b), np.float64) if not is_traced(b) else arr(b)
            if not is_traced(e) and np.any(e[:-1] > e[1:]):
                raise ValueError(f"`bins[{i}]` must be monotonically increasing, when an array")
        edges.append(e)
        m = shape(e)[0] - 1
        nbins.append(m + 2)
        pos = searchsorted_p.bind(
            e if is_traced(e) else np.asarray(e), col, side="right", batch_dims=0
        )
        on_edge = u["equal"](col, getitem(e, -1))
        pos = u["subtract"](pos, astype(on_edge, pos.dtype))
        index = pos if index is None else u["add"](u["multiply"](index, m + 2), pos)
    total = math.prod(nbins)
    if n == 0:
        index = np.zeros(0, np.intp)
    if weights is None:
        hist = astype(bincount_p.bind(index, length=total), np.float64)
    else:
        w = ravel(arr(weights))
        hist = bincount_p.bind(index, astype(w, np.float64), length=total)
    hist = reshape(hist, tuple(nbins))
    hist = getitem(hist, tuple(slice(1, -1) for _ in np.arange(d)))
    if density:
        s = _sum(hist)
        for i, e in enumerate(edges):
            widths = u["subtract"](getitem(e, slice(1, None)), getitem(e, slice(None, -1)))
            view = [1] * d
            view[i] = shape(widths)[0]
            hist = u["divide"](hist, reshape(widths, tuple(view)))
        hist = u["divide"](hist, s)
    return hist, edges


@implements(np.histogram2d)
def histogram2d(
    x: Any,
    y: Any,
    bins: Any = 10,
    range: Any = None,  # noqa: A002
    density: Any = None,
    weights: Any = None,
) -> tuple[Any, Any, Any]:
    """NumPy's ``histogram2d``: ``histogramdd`` of the points ``(x, y)``; ``bins`` is an
    int, a pair of ints, an array of edges (both dimensions) or a pair of arrays.  Returns
    ``(H, xedges, yedges)``."""
    if isinstance(bins, (list, tuple)):
        if len(bins) != 2:
            bins = [arr(bins), arr(bins)]  # one array of edges for both dimensions
    elif ndim(bins) == 1:
        bins = [bins, bins]
    hist, edges = histogramdd([x, y], bins, range, density, weights)
    return hist, edges[0], edges[1]


@implements(np.bincount)
def bincount(x: Any, /, weights: Any = None, minlength: Any = 0) -> Any:
    """NumPy's ``bincount``.

    Inside vmap/jit the result's length must be the same for every example, so it is
    ``minlength``: pass ``minlength`` of at least ``max(x) + 1`` over all examples (then the
    result equals NumPy's).  A value that does not fit raises ``DataDependentShapeError``
    naming ``minlength``; ``minlength=0`` (the default) is refused under vmap/jit.
    """
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


@implements(np.digitize)
def digitize(x: Any, bins: Any, right: bool = False) -> Any:
    """NumPy's ``digitize``: the index of the bin each element of ``x`` falls in, for
    monotonically increasing or decreasing ``bins``.  NumPy rejects non-monotonic bins; that
    check needs concrete bins, so with batched bins their direction is read per example
    (increasing when every step is >= 0) and nothing else is checked."""
    x, bins = arr(x), arr(bins)
    if not isinstance(x, Tracer):
        x = np.asarray(x)
    if x.dtype.kind == "c":
        raise TypeError("x may not be complex")
    if ndim(bins) != 1:
        raise ValueError("object too deep for desired array")
    side = "left" if right else "right"
    n = shape(bins)[0]
    if not isinstance(bins, Tracer):
        bins = np.asarray(bins)
        diffs = np.diff(bins)
        if np.all(diffs >= 0):
            return searchsorted(bins, x, side=side)
        if np.all(diffs <= 0):
            return UFUNCS["subtract"](n, searchsorted(bins[::-1], x, side=side))
        raise ValueError("bins must be monotonically increasing or decreasing")
    up = searchsorted(bins, x, side=side)
    down = UFUNCS["subtract"](n, searchsorted(flip(bins), x, side=side))
    increasing = _all(UFUNCS["greater_equal"](bins[1:], bins[:-1]))
    return where(increasing, up, down)


__all__ = [
    "histogram",
    "histogram_bin_edges",
    "histogramdd",
    "histogram2d",
    "bincount",
    "digitize",
]
