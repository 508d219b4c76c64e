"""Cumulative functions and differences with NumPy's signatures: ``cumsum``, ``cumprod``,
``cumulative_sum``, ``cumulative_prod``, ``diff``,
``ediff1d``, ``gradient``, ``trapezoid``, ``interp``.

The running sums and products are the ``accumulate`` primitive; the rest are compositions of
slices, arithmetic and (for ``interp``) ``searchsorted``, written in the same order of
operations as NumPy so that float results agree to the last bits or nearly so.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from autovec.core import Tracer
from autovec.numpy._convert import arr
from autovec.numpy._util import (
    implements,
    is_traced,
    ndim,
    normalize_axis,
    normalize_axis_tuple,
    reject_out,
    shape,
)
from autovec.numpy.manipulation import astype, broadcast_to, concatenate, ravel, reshape
from autovec.numpy.reductions import sum as _sum
from autovec.numpy.searching import searchsorted
from autovec.numpy.selection import take
from autovec.numpy.sorting import argsort
from autovec.numpy.ufuncs import UFUNCS, clip, where
from autovec.prims.cumulative import accumulate_p

_add, _sub, _mul, _div = (UFUNCS[n] for n in ("add", "subtract", "multiply", "divide"))


@functools.lru_cache(maxsize=256)
def _cum_dtype(np_name: str, dtype: np.dtype, requested: Any) -> np.dtype:
    """The dtype NumPy's ``cumsum``/``cumprod`` give (small integers widen, like ``sum``)."""
    return getattr(np, np_name)(np.ones(1, dtype), dtype=requested).dtype


def ufunc_accumulate(
    ufunc: np.ufunc, array: Any, axis: int = 0, dtype: Any = None, out: Any = None
) -> Any:
    """``ufunc.accumulate(array, axis, dtype)`` for a binary ufunc (what
    ``np.add.accumulate(tracer)`` runs)."""
    if not is_traced(array):
        return ufunc.accumulate(array, axis=axis, dtype=dtype, out=out)
    reject_out(f"{ufunc.__name__}.accumulate", out)
    if ufunc.nin != 2:
        raise ValueError("accumulate only supported for binary functions")
    a = arr(array)
    if axis is None:
        a, axis = ravel(a), 0
    ax = normalize_axis(axis, ndim(a))
    dt = None if dtype is None else np.dtype(dtype)
    return accumulate_p.bind(a, ufunc=ufunc.__name__, axis=ax, dtype=dt)


def accumulate_along(np_name: str, ufunc: str, a: Any, axis: Any, dtype: Any) -> Any:
    a = arr(a)
    if axis is None:
        a, axis = ravel(a), 0
    ax = normalize_axis(axis, ndim(a))
    dt = _cum_dtype(np_name, np.dtype(a.dtype), None if dtype is None else np.dtype(dtype))
    return accumulate_p.bind(a, ufunc=ufunc, axis=ax, dtype=dt)


@implements(np.cumsum)
def cumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    """NumPy's ``cumsum``: running sums along ``axis`` (None: flattened)."""
    reject_out("cumsum", out)
    return accumulate_along("cumsum", "add", a, axis, dtype)


@implements(np.cumprod)
def cumprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    """NumPy's ``cumprod``: running products along ``axis`` (None: flattened)."""
    reject_out("cumprod", out)
    return accumulate_along("cumprod", "multiply", a, axis, dtype)


def _array_api_cumulative(
    fname: str, x: Any, axis: Any, dtype: Any, include_initial: bool, identity: int
) -> Any:
    x = arr(x)
    if axis is None:
        if ndim(x) > 1:
            raise ValueError(
                "For arrays which have more than one dimension ``axis`` argument is required."
            )
        x, axis = ravel(x), 0
    ax = normalize_axis(axis, ndim(x))
    out = accumulate_along(fname, "add" if identity == 0 else "multiply", x, ax, dtype)
    if not include_initial:
        return out
    first = list(shape(out))
    first[ax] = 1
    return concatenate([np.full(first, identity, out.dtype), out], axis=ax)


@implements("cumulative_sum")
def cumulative_sum(
    x: Any,
    /,
    *,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    include_initial: bool = False,
) -> Any:
    """NumPy's (array API) ``cumulative_sum``: ``cumsum``, ``axis`` required beyond 1-d,
    ``include_initial`` prepends the zero."""
    reject_out("cumulative_sum", out)
    return _array_api_cumulative("cumsum", x, axis, dtype, include_initial, 0)


@implements("cumulative_prod")
def cumulative_prod(
    x: Any,
    /,
    *,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    include_initial: bool = False,
) -> Any:
    """NumPy's (array API) ``cumulative_prod``: ``cumprod``, ``axis`` required beyond 1-d,
    ``include_initial`` prepends the one."""
    reject_out("cumulative_prod", out)
    return _array_api_cumulative("cumprod", x, axis, dtype, include_initial, 1)


# --------------------------------------------------------------------------- differences


def _slice(nd: int, axis: int, s: slice) -> tuple:
    idx = [slice(None)] * nd
    idx[axis] = s
    return tuple(idx)


def _edge(a: Any, nd: int, axis: int, value: Any) -> Any:
    """A ``prepend``/``append`` value as a block to concatenate along ``axis``: a scalar is
    broadcast to one slice (NumPy converts it with ``asanyarray``: a strong dtype)."""
    if not isinstance(value, Tracer):
        value = np.asanyarray(value)
    if ndim(value) == 0:
        target = list(shape(a))
        target[axis] = 1
        value = broadcast_to(value, tuple(target))
    return value


@implements(np.diff)
def diff(
    a: Any, n: int = 1, axis: int = -1, prepend: Any = np._NoValue, append: Any = np._NoValue
) -> Any:
    """NumPy's ``diff``: the ``n``-th differences along ``axis`` (``not_equal`` for
    booleans), after joining ``prepend``/``append``."""
    if n == 0:
        return a
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    a = arr(a)
    nd = ndim(a)
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    ax = normalize_axis(axis, nd)
    parts = []
    if prepend is not np._NoValue:
        parts.append(_edge(a, nd, ax, prepend))
    parts.append(a)
    if append is not np._NoValue:
        parts.append(_edge(a, nd, ax, append))
    if len(parts) > 1:
        a = concatenate(parts, axis=ax)
    op = UFUNCS["not_equal"] if a.dtype == np.bool_ else _sub
    hi, lo = _slice(nd, ax, slice(1, None)), _slice(nd, ax, slice(None, -1))
    for _ in range(n):
        a = op(a[hi], a[lo])
    return a


@implements(np.ediff1d)
def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Any:
    """NumPy's ``ediff1d``: differences of the flattened array, with ``to_begin`` and
    ``to_end`` joined; the result keeps ``ary``'s dtype."""
    ary = ravel(arr(ary))
    dtype = np.dtype(ary.dtype)
    parts = []
    for name, extra in (("to_begin", to_begin), ("to_end", to_end)):
        if extra is None:
            parts.append(None)
            continue
        if not isinstance(extra, Tracer):
            extra = np.asanyarray(extra)
        if not np.can_cast(extra.dtype, dtype, casting="same_kind"):
            raise TypeError(
                f"dtype of `{name}` must be compatible with input `ary` under the `same_kind` rule."
            )
        parts.append(ravel(astype(extra, dtype)))
    middle = _sub(ary[1:], ary[:-1])
    if middle.dtype != dtype:
        middle = astype(middle, dtype)
    pieces = [p for p in (parts[0], middle, parts[1]) if p is not None]
    return pieces[0] if len(pieces) == 1 else concatenate(pieces)


def _spacings(f: Any, varargs: tuple, axes: tuple) -> list:
    """NumPy's spacing arguments of ``gradient``, one per axis: a scalar, or (coordinates
    given) the differences of the coordinates -- a single scalar when they are concrete and
    uniform, as NumPy reduces them."""
    n = len(varargs)
    if n == 0:
        return [1.0] * len(axes)
    if n == 1 and ndim(varargs[0]) == 0:
        return [varargs[0]] * len(axes)
    if n != len(axes):
        raise TypeError("invalid number of arguments")
    out = []
    for distances, ax in zip(varargs, axes):
        distances = arr(distances)
        if ndim(distances) == 0:
            out.append(distances)
            continue
        if ndim(distances) != 1:
            raise ValueError("distances must be either scalars or 1d")
        if shape(distances)[0] != shape(f)[ax]:
            raise ValueError(
                "when 1d, distances must match the length of the corresponding dimension"
            )
        if np.dtype(distances.dtype).kind in "iub":
            distances = astype(distances, np.float64)
        d = diff(distances)
        if not isinstance(d, Tracer) and np.all(d == d[0]):
            d = d[0]
        out.append(d)
    return out


def _along(d: Any, nd: int, axis: int) -> Any:
    """A 1-d array of per-step coefficients, shaped to broadcast along ``axis``."""
    return reshape(d, tuple(-1 if k == axis else 1 for k in range(nd)))


def _gradient_axis(f: Any, dx: Any, axis: int, edge_order: int, otype: np.dtype) -> Any:
    # Python operators throughout, as NumPy's own code: Python-scalar spacings stay weak.
    nd = ndim(f)

    def sl(start: int | None, stop: int | None) -> Any:
        return f[_slice(nd, axis, slice(start, stop))]

    if ndim(dx) == 0:  # uniform spacing
        interior = (sl(2, None) - sl(None, -2)) / (2.0 * dx)
        if edge_order == 1:
            first = (sl(1, 2) - sl(0, 1)) / dx
            last = (sl(-1, None) - sl(-2, -1)) / dx
        else:
            first = -1.5 / dx * sl(0, 1) + 2.0 / dx * sl(1, 2) - 0.5 / dx * sl(2, 3)
            last = 0.5 / dx * sl(-3, -2) - 2.0 / dx * sl(-2, -1) + 1.5 / dx * sl(-1, None)
    else:
        dx1, dx2 = dx[0:-1], dx[1:]
        a = -(dx2) / (dx1 * (dx1 + dx2))
        b = (dx2 - dx1) / (dx1 * dx2)
        c = dx1 / (dx2 * (dx1 + dx2))
        a, b, c = (_along(t, nd, axis) for t in (a, b, c))
        interior = a * sl(None, -2) + b * sl(1, -1) + c * sl(2, None)
        if edge_order == 1:
            first = (sl(1, 2) - sl(0, 1)) / _along(dx[0:1], nd, axis)
            last = (sl(-1, None) - sl(-2, -1)) / _along(dx[-1:], nd, axis)
        else:
            dx1, dx2 = dx[0:1], dx[1:2]
            a = -(2.0 * dx1 + dx2) / (dx1 * (dx1 + dx2))
            b = (dx1 + dx2) / (dx1 * dx2)
            c = -dx1 / (dx2 * (dx1 + dx2))
            a, b, c = (_along(t, nd, axis) for t in (a, b, c))
            first = a * sl(0, 1) + b * sl(1, 2) + c * sl(2, 3)
            dx1, dx2 = dx[-2:-1], dx[-1:]
            a = (dx2) / (dx1 * (dx1 + dx2))
            b = -(dx2 + dx1) / (dx1 * dx2)
            c = (2.0 * dx2 + dx1) / (dx2 * (dx1 + dx2))
            a, b, c = (_along(t, nd, axis) for t in (a, b, c))
            last = a * sl(-3, -2) + b * sl(-2, -1) + c * sl(-1, None)
    # NumPy writes each piece into an array of the output dtype: cast each the same way.
    pieces = [arr(p) for p in (first, interior, last)]
    pieces = [p if p.dtype == otype else astype(p, otype) for p in pieces]
    return concatenate(pieces, axis=axis)


@implements(np.gradient)
def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """NumPy's ``gradient``: second-order central differences inside, first- or second-order
    one-sided differences at the edges (``edge_order``), for unit spacing, a scalar spacing
    per axis, or coordinate arrays; one array per axis (a tuple), or one array for one axis."""
    f = arr(f)
    axes = tuple(range(ndim(f))) if axis is None else normalize_axis_tuple(axis, ndim(f))
    dxs = _spacings(f, varargs, axes)
    if edge_order > 2:
        raise ValueError("'edge_order' greater than 2 not supported")
    otype = np.dtype(f.dtype)
    if otype.kind in "iu":
        f = astype(f, np.float64)
        otype = np.dtype(np.float64)
    outs = []
    for ax, dx in zip(axes, dxs):
        if shape(f)[ax] < edge_order + 1:
            raise ValueError(
                "Shape of array too small to calculate a numerical gradient, at least "
                "(edge_order + 1) elements are required."
            )
        outs.append(_gradient_axis(f, dx, ax, edge_order, otype))
    return outs[0] if len(axes) == 1 else tuple(outs)


@implements(np.trapezoid)
def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Any:
    """NumPy's ``trapezoid``: the integral of ``y`` along ``axis`` by the trapezoidal rule,
    at sample points ``x`` (1-d, or ``y``'s shape) or spacing ``dx``."""
    y = arr(y)
    nd = ndim(y)
    ax = normalize_axis(axis, nd)
    if x is None:
        d = dx
    else:
        x = arr(x)
        if ndim(x) == 1:
            d = _along(diff(x), nd, ax)
        else:
            d = diff(x, axis=ax)
    hi, lo = _slice(nd, ax, slice(1, None)), _slice(nd, ax, slice(None, -1))
    return _sum(d * (y[hi] + y[lo]) / 2.0, axis=ax)


@implements(np.interp)
def interp(
    x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None, period: Any = None
) -> Any:
    """NumPy's ``interp``: piecewise-linear interpolation of the points (``xp``, ``fp``) at
    ``x`` (``xp`` increasing); ``left``/``right`` outside, ``period`` for angles.  Any of the
    arrays may be batched."""
    # NumPy's loop is silent about the infinities and NaNs that repeated sample points or
    # infinite values give (it picks another formula there); so are the ufuncs here.
    with np.errstate(divide="ignore", invalid="ignore"):
        return _interp(x, xp, fp, left, right, period)


def _interp(x: Any, xp: Any, fp: Any, left: Any, right: Any, period: Any) -> Any:
    x, xp, fp = arr(x), arr(xp), arr(fp)
    if ndim(xp) != 1 or ndim(fp) != 1:
        raise ValueError("object too deep for desired array")
    if shape(xp)[0] != shape(fp)[0]:
        raise ValueError("fp and xp are not of the same length.")
    if shape(xp)[0] == 0:
        raise ValueError("array of sample points is empty")
    for name, v in (("x", x), ("xp", xp)):
        if np.result_type(getattr(v, "dtype", v)).kind == "c":  # x may be a Python scalar
            raise TypeError(f"{name} may not be complex (NumPy converts it to float64)")
    x, xp = astype(x, np.float64), astype(xp, np.float64)
    out_dtype = np.complex128 if np.dtype(fp.dtype).kind == "c" else np.float64
    fp = astype(fp, out_dtype)
    if period is not None:
        if not isinstance(period, Tracer) and period == 0:
            raise ValueError("period must be a non-zero value")
        period = UFUNCS["absolute"](period)
        left = right = None
        x = UFUNCS["remainder"](x, period)
        xp = UFUNCS["remainder"](xp, period)
        order = argsort(xp)
        xp, fp = take(xp, order), take(fp, order)
        xp = concatenate([_sub(xp[-1:], period), xp, _add(xp[0:1], period)])
        fp = concatenate([fp[-1:], fp, fp[0:1]])
    n = shape(xp)[0]
    left = fp[0] if left is None else left
    right = fp[-1] if right is None else right
    if n == 1:
        inside = fp[0]
    else:
        # The interval [xp[j], xp[j+1]) holding x, as NumPy's search finds it.
        j = clip(_sub(searchsorted(xp, x, side="right"), 1), 0, n - 2)
        x0, x1 = take(xp, j), take(xp, _add(j, 1))
        f0, f1 = take(fp, j), take(fp, _add(j, 1))
        slope = _div(_sub(f1, f0), _sub(x1, x0))
        inside = _add(_mul(slope, _sub(x, x0)), f0)
        # NumPy's fallbacks: from the right end when that gives NaN, then the flat value.
        isnan = UFUNCS["isnan"]
        inside = where(isnan(inside), _add(_mul(slope, _sub(x, x1)), f1), inside)
        inside = where(isnan(inside) & UFUNCS["equal"](f0, f1), f0, inside)
        inside = where(UFUNCS["equal"](x, x0), f0, inside)  # a sample point: its exact value
        inside = where(UFUNCS["equal"](x, xp[-1]), fp[-1], inside)
    res = where(UFUNCS["less"](x, xp[0]), left, where(UFUNCS["greater"](x, xp[-1]), right, inside))
    if n > 1:
        res = where(UFUNCS["isnan"](x), x, res)
    return astype(res, out_dtype) if res.dtype != out_dtype else res


__all__ = [
    "cumsum",
    "cumprod",
    "cumulative_sum",
    "cumulative_prod",
    "diff",
    "ediff1d",
    "gradient",
    "trapezoid",
    "interp",
]
