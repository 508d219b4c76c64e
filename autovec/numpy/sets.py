"""Set routines (``isin``, ``intersect1d``, ``setdiff1d``, ``setxor1d``, ``union1d``),
functional helpers (``apply_along_axis``, ``apply_over_axes``, ``piecewise``), bit packing
(``packbits``, ``unpackbits``) and multi-dimensional histograms (``histogram2d``,
``histogramdd``).

Without tracers each function is NumPy's own.  With tracers they are compositions of other
``autovec.numpy`` functions:

* ``isin`` compares every element with every test element (no sorting, no data-dependent
  shape);
* the set operations return a number of values that depends on the data, so inside
  vmap/jit they need JAX's static form ``size=N`` (and ``fill_value=``): the first ``N``
  values of NumPy's sorted result, padded with ``fill_value`` (default: the smallest value
  of the result, or 0 when it is empty).  Without ``size`` they raise
  ``DataDependentShapeError``;
* ``piecewise`` evaluates every function on the whole array and selects with ``where``;
* ``apply_along_axis`` vmaps ``func1d`` over the other axes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.numpy._util import arr, holds_tracer, is_traced, ndim, normalize_axis, shape
from autovec.numpy.assembly import linspace_exact
from autovec.numpy.creation import asarray, zeros_like
from autovec.numpy.datadependent import _first_positions, _needs_size, _static_size, unique
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import (
    astype,
    broadcast_to,
    concatenate,
    expand_dims,
    moveaxis,
    ravel,
    reshape,
    stack,
    transpose,
)
from autovec.numpy.reductions import any as _any
from autovec.numpy.reductions import sum as _sum
from autovec.numpy.statistics import _outer_edges
from autovec.numpy.ufuncs import UFUNCS, where
from autovec.prims.counting import bincount_p
from autovec.prims.sorting import argsort_p, searchsorted_p

u = UFUNCS


# ------------------------------------------------------------------------------------ isin


def isin(
    element: Any,
    test_elements: Any,
    assume_unique: bool = False,
    invert: bool = False,
    *,
    kind: str | None = None,
) -> Any:
    """NumPy's ``isin``: for each element of ``element`` (its shape kept), whether it equals
    some element of the flattened ``test_elements`` (``invert=True``: whether it equals
    none).  NaN equals nothing, as in NumPy.

    With tracers every element is compared with every test element, an
    ``element.size * test_elements.size`` comparison; ``assume_unique`` and ``kind`` only
    choose NumPy's algorithm and do not change the result (``kind`` is still checked)."""
    if not is_traced(element, test_elements):
        return np.isin(element, test_elements, assume_unique, invert, kind=kind)
    if kind not in (None, "sort", "table"):
        raise ValueError(f"Invalid kind: '{kind}'. Please use None, 'sort' or 'table'.")
    x, t = arr(element), ravel(arr(test_elements))
    if kind == "table" and any(v.dtype.kind not in "biu" for v in (x, t)):
        raise ValueError(
            "The 'table' method is only supported for boolean or integer arrays. "
            "Please select 'sort' or None for kind."
        )
    hit = _any(u["equal"](expand_dims(x, -1), t), axis=-1)
    return u["logical_not"](hit) if invert else hit


# ------------------------------------------------------------------------ set operations


def _sorted(flat: Any) -> Any:
    return getitem(flat, (argsort_p.bind(flat, axis=0, kind="stable"),))


def _group_starts(s: Any) -> Any:
    """For the sorted 1-d ``s``: where a new value starts (all NaNs count as one value)."""
    n = shape(s)[0]
    if n == 0:
        return np.zeros(0, bool)
    new = u["not_equal"](getitem(s, slice(1, None)), getitem(s, slice(None, -1)))
    if s.dtype.kind in "fc":
        nan = u["isnan"](s)
        both = u["logical_and"](getitem(nan, slice(1, None)), getitem(nan, slice(None, -1)))
        new = u["logical_and"](new, u["logical_not"](both))
    return concatenate((np.ones(1, bool), new))


def _select_sized(values: Any, keep: Any, size: int, fill_value: Any, dtype: Any) -> Any:
    """The first ``size`` entries of the 1-d ``values`` where ``keep`` holds, in order,
    padded with ``fill_value`` (default: the first kept value, or 0 if none is kept)."""
    values = astype(values, dtype)
    if shape(values)[0] == 0:
        fill = 0 if fill_value is None else fill_value
        return astype(broadcast_to(arr(fill), (size,)), dtype)
    pos, valid = _first_positions(keep, size)
    taken = getitem(values, (pos,))
    if fill_value is None:
        if size == 0:
            return taken
        fill = where(getitem(valid, 0), getitem(taken, 0), np.zeros((), dtype))
    else:
        fill = astype(arr(fill_value), dtype)
    return where(valid, taken, fill)


def _set_args(fname: str, arrays: tuple, size: Any) -> int | None:
    if size is None:
        if is_traced(*arrays):
            raise _needs_size(fname)
        return None
    return _static_size(size)


def _reject_return_indices(fname: str, return_indices: bool) -> None:
    if return_indices:
        raise errors.UnsupportedOperationError(
            f"{fname}(return_indices=True, size=...) is not supported; call it without "
            f"return_indices (or outside vmap/jit without size=)."
        )


def intersect1d(
    ar1: Any,
    ar2: Any,
    assume_unique: bool = False,
    return_indices: bool = False,
    *,
    size: Any = None,
    fill_value: Any = None,
) -> Any:
    """NumPy's ``intersect1d``: the sorted unique values found in both (flattened) arrays;
    with ``assume_unique=True``, NumPy's shortcut for unique inputs, taken literally (the
    values equal to their successor in the sorted concatenation).

    ``size=N`` (JAX's static form, required inside vmap/jit): the first ``N`` values,
    padded with ``fill_value`` (default: the smallest value found, or 0).
    ``return_indices`` works without ``size`` only."""
    n = _set_args("intersect1d", (ar1, ar2), size)
    if n is None:
        return np.intersect1d(ar1, ar2, assume_unique, return_indices)
    _reject_return_indices("intersect1d", return_indices)
    a, b = ravel(arr(ar1)), ravel(arr(ar2))
    dtype = np.result_type(a.dtype, b.dtype)
    if assume_unique:
        s = _sorted(concatenate((astype(a, dtype), astype(b, dtype))))
        if shape(s)[0] == 0:
            return _select_sized(s, np.zeros(0, bool), n, fill_value, dtype)
        head = getitem(s, slice(None, -1))
        return _select_sized(
            head, u["equal"](head, getitem(s, slice(1, None))), n, fill_value, dtype
        )
    s = _sorted(a)
    keep = u["logical_and"](_group_starts(s), isin(s, b))
    return _select_sized(s, keep, n, fill_value, dtype)


def setdiff1d(
    ar1: Any, ar2: Any, assume_unique: bool = False, *, size: Any = None, fill_value: Any = None
) -> Any:
    """NumPy's ``setdiff1d``: the sorted unique values of ``ar1`` not in ``ar2``; with
    ``assume_unique=True`` the values of the flattened ``ar1`` not in ``ar2``, in their
    original order (as NumPy).

    ``size=N`` (JAX's static form, required inside vmap/jit): the first ``N`` values,
    padded with ``fill_value`` (default: the first value found, or 0)."""
    n = _set_args("setdiff1d", (ar1, ar2), size)
    if n is None:
        return np.setdiff1d(ar1, ar2, assume_unique)
    a, b = ravel(arr(ar1)), ravel(arr(ar2))
    if assume_unique:
        return _select_sized(a, isin(a, b, invert=True), n, fill_value, a.dtype)
    s = _sorted(a)
    keep = u["logical_and"](_group_starts(s), isin(s, b, invert=True))
    return _select_sized(s, keep, n, fill_value, a.dtype)


def setxor1d(
    ar1: Any, ar2: Any, assume_unique: bool = False, *, size: Any = None, fill_value: Any = None
) -> Any:
    """NumPy's ``setxor1d``: the sorted unique values in exactly one of the arrays.  As in
    NumPy, a NaN is never equal to another, so each array holding NaN contributes one NaN
    (``assume_unique=True``: every NaN of both arrays), sorted last.

    ``size=N`` (JAX's static form, required inside vmap/jit): the first ``N`` values,
    padded with ``fill_value`` (default: the smallest value found, or 0)."""
    n = _set_args("setxor1d", (ar1, ar2), size)
    if n is None:
        return np.setxor1d(ar1, ar2, assume_unique)
    a, b = ravel(arr(ar1)), ravel(arr(ar2))
    dtype = np.result_type(a.dtype, b.dtype)
    s = _sorted(concatenate((astype(a, dtype), astype(b, dtype))))
    total = shape(s)[0]
    if total == 0:
        return _select_sized(s, np.zeros(0, bool), n, fill_value, dtype)
    if assume_unique:
        # NumPy's rule, literally: a value differing from both neighbours in the sorted
        # concatenation.
        edge = np.ones(1, bool)
        differs = u["not_equal"](getitem(s, slice(1, None)), getitem(s, slice(None, -1)))
        keep = u["logical_and"](concatenate((edge, differs)), concatenate((differs, edge)))
        return _select_sized(s, keep, n, fill_value, dtype)
    keep = u["logical_and"](_group_starts(s), u["logical_xor"](isin(s, a), isin(s, b)))
    if dtype.kind in "fc":
        nan = u["isnan"](s)
        nans = u["add"](astype(_any(u["isnan"](a)), np.intp), astype(_any(u["isnan"](b)), np.intp))
        first_nan = u["subtract"](total, _sum(nan, dtype=np.intp))
        rank = u["subtract"](np.arange(total), first_nan)
        keep = where(nan, u["less"](rank, nans), keep)
    return _select_sized(s, keep, n, fill_value, dtype)


def union1d(ar1: Any, ar2: Any, *, size: Any = None, fill_value: Any = None) -> Any:
    """NumPy's ``union1d``: the sorted unique values of both (flattened) arrays.

    ``size=N`` (JAX's static form, required inside vmap/jit): the first ``N`` values,
    padded with ``fill_value`` (default: the smallest value)."""
    n = _set_args("union1d", (ar1, ar2), size)
    if n is None:
        return np.union1d(ar1, ar2)
    a, b = ravel(arr(ar1)), ravel(arr(ar2))
    both = concatenate((a, b))
    if shape(both)[0] == 0:
        return _select_sized(both, np.zeros(0, bool), n, fill_value, both.dtype)
    return unique(both, size=n, fill_value=fill_value)


# --------------------------------------------------------------------- functional helpers


def apply_along_axis(func1d: Callable, axis: Any, arr_: Any, *args: Any, **kwargs: Any) -> Any:
    """NumPy's ``apply_along_axis``: ``func1d`` applied to each 1-d slice along ``axis``;
    the slice's axis is replaced by the dimensions of ``func1d``'s result (none for a
    scalar result).

    With tracers ``func1d`` is vmapped over all the other axes at once, so it must be
    vmappable (written with ``autovec.numpy``, or NumPy calls that route to it) and return
    the same shape for every slice."""
    if not holds_tracer([arr_, list(args), list(kwargs.values())]):
        return np.apply_along_axis(func1d, axis, arr_, *args, **kwargs)
    from autovec.interpreters.batching import vmap

    x = arr(arr_)
    nd = ndim(x)
    ax = normalize_axis(axis, nd)
    x = moveaxis(x, ax, -1)
    outer = shape(x)[:-1]
    if math.prod(outer) == 0:
        raise ValueError("Cannot apply_along_axis when any iteration dimensions are 0")
    flat = reshape(x, (math.prod(outer), shape(x)[-1]))
    res = vmap(lambda v: asarray(func1d(v, *args, **kwargs)))(flat)
    res_shape = shape(res)[1:]
    res = reshape(res, outer + res_shape)
    # The result's dimensions go where the axis was.
    k = len(res_shape)
    perm = [*range(ax), *range(nd - 1, nd - 1 + k), *range(ax, nd - 1)]
    return transpose(res, perm)


def apply_over_axes(func: Callable, a: Any, axes: Any) -> Any:
    """NumPy's ``apply_over_axes``: ``func(a, axis)`` for each axis in turn, each result
    given back its reduced axis (``expand_dims``) when it lost one; a result of any other
    rank raises ``ValueError``."""
    if not is_traced(a):
        return np.apply_over_axes(func, a, axes)
    val = arr(a)
    nd = ndim(val)
    for axis in (axes,) if np.ndim(axes) == 0 else axes:
        axis = int(axis)
        if axis < 0:
            axis += nd
        res = func(val, axis)
        if ndim(res) != ndim(val):
            res = expand_dims(res, axis)
            if ndim(res) != ndim(val):
                raise ValueError("function is not returning an array of the correct shape")
        val = res
    return val


def piecewise(x: Any, condlist: Any, funclist: Any, *args: Any, **kw: Any) -> Any:
    """NumPy's ``piecewise``: where the i-th condition holds, the i-th function of ``x``
    (or the i-th constant); a later condition wins over an earlier one; one extra function
    applies where no condition holds; elsewhere 0.  The result has ``x``'s dtype.

    With tracers every function is evaluated on the WHOLE of ``x`` (NumPy evaluates it only
    on the elements its condition selects) and the results are combined with ``where``.
    The selected values are the same, but a function may see elements outside its
    condition: it must accept them, and any warning it raises there (e.g. ``log`` of a
    negative number, division by zero) is raised, not silenced."""
    constants = [f for f in funclist if not callable(f)]
    if not holds_tracer([x, condlist, constants, list(args), list(kw.values())]):
        return np.piecewise(x, condlist, funclist, *args, **kw)
    x = arr(x)
    nd = ndim(x)
    if isinstance(condlist, (list, tuple)) and not (
        len(condlist) and (isinstance(condlist[0], (list, tuple)) or ndim(condlist[0]) or nd == 0)
    ):
        condlist = [condlist]
    if not isinstance(condlist, (list, tuple)):
        condlist = [condlist] if ndim(condlist) == nd else list(condlist)
    conds = [broadcast_to(astype(arr(c), bool), shape(x)) for c in condlist]
    n, n2 = len(funclist), len(conds)
    if n == n2 + 1:
        other = conds[0] if n2 == 1 else _any(stack(conds), axis=0)
        conds.append(u["logical_not"](other) if n2 else np.ones(shape(x), bool))
    elif n != n2:
        raise ValueError(f"with {n2} condition(s), either {n2} or {n2 + 1} functions are expected")
    y = zeros_like(x)
    for cond, func in zip(conds, funclist):
        val = func(x, *args, **kw) if callable(func) else func
        y = where(cond, astype(broadcast_to(arr(val), shape(x)), x.dtype), y)
    return y


# --------------------------------------------------------------------------- bit packing


def _check_int_or_bool(x: Any, fname: str) -> None:
    if not (np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_):
        raise TypeError(
            "Expected an input array of integer or boolean data type"
            if fname == "packbits"
            else "Expected an input array of unsigned byte data type"
        )


def _bit_weights(bitorder: str) -> np.ndarray:
    if bitorder not in ("big", "little"):
        raise ValueError("'order' must be either 'little' or 'big'")
    shifts = np.arange(8, dtype=np.uint8)
    return shifts[::-1].copy() if bitorder == "big" else shifts


def packbits(a: Any, /, axis: Any = None, bitorder: str = "big") -> Any:
    """NumPy's ``packbits``: each group of 8 elements along ``axis`` (all elements,
    flattened, when ``axis`` is None) becomes one ``uint8``, a nonzero element a 1 bit; the
    last group is padded with zeros; ``bitorder`` 'big' puts the first element in the
    highest bit."""
    if not is_traced(a):
        return np.packbits(a, axis=axis, bitorder=bitorder)
    x = arr(a)
    _check_int_or_bool(x, "packbits")
    shifts = _bit_weights(bitorder)
    if axis is None:
        x, ax = ravel(x), 0
    else:
        ax = normalize_axis(axis, ndim(x))
    x = moveaxis(u["not_equal"](x, 0), ax, -1)
    length = shape(x)[-1]
    groups = -(-length // 8)
    pad = groups * 8 - length
    if pad:
        x = concatenate((x, np.zeros(shape(x)[:-1] + (pad,), bool)), axis=-1)
    bits = reshape(astype(x, np.uint8), shape(x)[:-1] + (groups, 8))
    packed = _sum(u["left_shift"](bits, shifts), axis=-1, dtype=np.uint8)
    return moveaxis(packed, -1, ax)


def unpackbits(a: Any, /, axis: Any = None, count: Any = None, bitorder: str = "big") -> Any:
    """NumPy's ``unpackbits``: each ``uint8`` along ``axis`` (flattened when None) becomes
    8 elements, 0 or 1; ``count`` keeps the first ``count`` bits (padding with zeros when
    larger; a negative count drops bits from the end); ``count`` must be static."""
    if not is_traced(a):
        return np.unpackbits(a, axis=axis, count=count, bitorder=bitorder)
    x = arr(a)
    if x.dtype != np.uint8:
        raise TypeError("Expected an input array of unsigned byte data type")
    shifts = _bit_weights(bitorder)
    if axis is None:
        x, ax = ravel(x), 0
    else:
        ax = normalize_axis(axis, ndim(x))
    x = moveaxis(x, ax, -1)
    bits = u["bitwise_and"](u["right_shift"](expand_dims(x, -1), shifts), np.uint8(1))
    lead = shape(x)[:-1]
    total = shape(x)[-1] * 8
    bits = reshape(bits, lead + (total,))
    if count is not None:
        from autovec.numpy._util import concrete_int

        c = concrete_int(count, "unpackbits: count")
        keep = max(c if c >= 0 else total + c, 0)
        if keep <= total:
            bits = getitem(bits, (Ellipsis, slice(0, keep)))
        else:
            bits = concatenate((bits, np.zeros(lead + (keep - total,), np.uint8)), axis=-1)
    return moveaxis(bits, -1, ax)


# ------------------------------------------------------------------------------ histograms


def _dd_sample(sample: Any) -> Any:
    if isinstance(sample, (list, tuple)):
        return stack([ravel(arr(s)) for s in sample], axis=1)
    x = arr(sample)
    if ndim(x) <= 1:  # NumPy: np.atleast_2d(sample).T, one sample of one coordinate for 0-d
        return reshape(x, (-1, 1))
    if ndim(x) != 2:
        raise ValueError("histogramdd: the sample must be (N, D) or a sequence of D arrays")
    return x


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
    if not holds_tracer([sample, bins, range, weights]):
        return np.histogramdd(sample, bins, range, density, weights)
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
    if not holds_tracer([x, y, bins, range, weights]):
        return np.histogram2d(x, y, bins, range, density, weights)
    if isinstance(bins, (list, tuple)):
        if len(bins) != 2:
            bins = [arr(bins), arr(bins)]  # one array of edges for both dimensions
    elif ndim(bins) == 1:
        bins = [bins, bins]
    hist, edges = histogramdd([x, y], bins, range, density, weights)
    return hist, edges[0], edges[1]


__all__ = [
    "isin",
    "intersect1d",
    "setdiff1d",
    "setxor1d",
    "union1d",
    "apply_along_axis",
    "apply_over_axes",
    "piecewise",
    "packbits",
    "unpackbits",
    "histogram2d",
    "histogramdd",
]
