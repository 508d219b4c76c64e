"""NumPy's ``pad``, every mode.

Traced, every size comes from static arguments and the data moves through shape primitives:
slices, concatenation, and gathers whose positions are NumPy's own ``pad`` of an ``arange``
(where an element lands does not depend on its value).  Batched, each step is one
whole-batch operation."""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec import errors
from autovec.numpy._convert import arr
from autovec.numpy._util import concrete_value, holds_tracer, implements, is_traced, ndim, shape
from autovec.numpy.creation import linspace_exact
from autovec.numpy.manipulation import (
    astype,
    broadcast_to,
    concat_pieces,
    flip,
    ravel,
    reshape,
    squeeze,
)
from autovec.numpy.quantiles import median
from autovec.numpy.reductions import max as _amax
from autovec.numpy.reductions import mean as _mean
from autovec.numpy.reductions import min as _amin
from autovec.numpy.selection import slice_axis, take_static
from autovec.numpy.ufuncs import UFUNCS


def _pairs(value: Any, nd: int, as_index: bool) -> list[tuple[Any, Any]]:
    """``value`` spread to one (before, after) pair per axis, as NumPy's ``pad`` reads its
    ``pad_width``/``stat_length``/``constant_values``/``end_values`` arguments."""
    if value is None:
        return [(None, None)] * nd
    if as_index or not holds_tracer(value):
        v = np.array(value)
        if as_index:
            v = np.round(v).astype(np.intp, copy=False)
        if v.ndim < 3 and v.size == 1:
            flat = v.ravel()
            if as_index and flat[0] < 0:
                raise ValueError("index can't contain negative values")
            return [(flat[0], flat[0])] * nd
        if v.ndim < 3 and v.size == 2 and v.shape != (2, 1):
            lo, hi = v.ravel()
            if as_index and (lo < 0 or hi < 0):
                raise ValueError("index can't contain negative values")
            return [(lo, hi)] * nd
        if as_index and v.size and v.min() < 0:
            raise ValueError("index can't contain negative values")
        table = np.broadcast_to(v, (nd, 2))
        return [(table[i, 0], table[i, 1]) for i in range(nd)]
    # Traced fill values: the same rules, on the tracer's (static) shape.
    v = arr(value)
    shp = shape(v)
    if len(shp) < 3 and int(np.prod(shp)) == 1:
        s = reshape(v, ())
        return [(s, s)] * nd
    if len(shp) < 3 and int(np.prod(shp)) == 2 and shp != (2, 1):
        flat = ravel(v)
        return [(flat[0], flat[1])] * nd
    table = broadcast_to(v, (nd, 2))
    return [(table[i, 0], table[i, 1]) for i in range(nd)]


def _pad_takes_dict() -> bool:
    """NumPy >= 2.3 takes ``pad_width`` as ``{axis: width}``; earlier versions refuse it."""
    try:
        np.pad(np.zeros(1), {0: 1})
    except TypeError:
        return False
    return True


_PAD_TAKES_DICT = _pad_takes_dict()


def _pad_widths(pad_width: Any, nd: int) -> list[tuple[int, int]]:
    concrete_value(pad_width, "pad: pad_width")
    if isinstance(pad_width, dict) and _PAD_TAKES_DICT:
        seq: list[Any] = [(0, 0)] * nd
        for ax, width in pad_width.items():
            seq[ax] = (width, width) if isinstance(width, int) else tuple(width)
        pad_width = seq
    widths = np.asarray(pad_width)
    if widths.dtype.kind != "i":
        raise TypeError("`pad_width` must be of integral type.")
    return [(int(lo), int(hi)) for lo, hi in _pairs(widths, nd, as_index=True)]


_PAD_KWARGS = {
    "empty": (),
    "edge": (),
    "wrap": (),
    "constant": ("constant_values",),
    "linear_ramp": ("end_values",),
    "maximum": ("stat_length",),
    "mean": ("stat_length",),
    "median": ("stat_length",),
    "minimum": ("stat_length",),
    "reflect": ("reflect_type",),
    "symmetric": ("reflect_type",),
}


@implements(np.pad)
def pad(array: Any, pad_width: Any, mode: Any = "constant", **kwargs: Any) -> Any:
    """NumPy's ``pad``, every mode (``constant``, ``edge``, ``linear_ramp``, ``maximum``,
    ``mean``, ``median``, ``minimum``, ``reflect``, ``symmetric``, ``wrap``, ``empty``).

    ``pad_width`` and ``stat_length`` must be concrete; ``constant_values`` and
    ``end_values`` may be batched.  Axes are padded one after the other, as NumPy does, so
    corners and statistics see the padding of the earlier axes.  Traced, ``empty`` fills
    with zeros.  A callable ``mode`` (which writes in place) works eagerly only.
    """
    if callable(mode):
        raise errors.UnsupportedOperationError(
            "pad with a callable mode writes into the array in place, which traced values "
            "do not allow; use one of the named modes inside vmap/jit."
        )
    if mode not in _PAD_KWARGS:
        raise ValueError(f"mode '{mode}' is not supported")
    unsupported = set(kwargs) - set(_PAD_KWARGS[mode])
    if unsupported:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {unsupported}")
    x = arr(array)
    nd = ndim(x)
    widths = _pad_widths(pad_width, nd)
    if mode not in ("constant", "empty"):
        for ax, (lo, hi) in enumerate(widths):
            if shape(x)[ax] == 0 and (lo or hi):
                raise ValueError(
                    f"can't extend empty axis {ax} using modes other than 'constant' or 'empty'"
                )
        if 0 in shape(x):
            # Nothing to copy from: the padded array is empty as well.
            out_shape = tuple(s + lo + hi for s, (lo, hi) in zip(shape(x), widths))
            return broadcast_to(astype(np.zeros((), x.dtype), x.dtype), out_shape)
    if mode in ("constant", "empty"):
        fills = _pairs(kwargs.get("constant_values", 0), nd, as_index=False)
        if mode == "empty":
            fills = [(0, 0)] * nd
        for ax, (lo, hi) in enumerate(widths):
            x = _pad_with_values(x, ax, lo, hi, *fills[ax])
        return x
    if mode == "linear_ramp":
        ends = _pairs(kwargs.get("end_values", 0), nd, as_index=False)
        for ax, (lo, hi) in enumerate(widths):
            x = _pad_linear_ramp(x, ax, lo, hi, ends[ax])
        return x
    if mode in ("maximum", "minimum", "mean", "median"):
        lengths = _pairs(concrete_value(kwargs.get("stat_length"), "stat_length"), nd, True)
        for ax, (lo, hi) in enumerate(widths):
            x = _pad_stat(x, ax, lo, hi, lengths[ax], mode)
        return x
    if mode in ("reflect", "symmetric"):
        method = kwargs.get("reflect_type", "even")
        for ax, (lo, hi) in enumerate(widths):
            if shape(x)[ax] == 1 or method != "odd":
                # Every output element is a copy of one input element: NumPy's own pad of
                # the positions tells which.
                m = "edge" if shape(x)[ax] == 1 else mode
                x = _pad_gather(x, ax, lo, hi, m, {} if m == "edge" else {"reflect_type": method})
            else:
                x = _pad_reflect_odd(x, ax, lo, hi, mode == "symmetric")
        return x
    for ax, (lo, hi) in enumerate(widths):  # edge, wrap
        x = _pad_gather(x, ax, lo, hi, mode, {})
    return x


def _pad_gather(x: Any, ax: int, lo: int, hi: int, mode: str, kw: dict) -> Any:
    if not (lo or hi):
        return x
    positions = np.pad(np.arange(shape(x)[ax], dtype=np.intp), (lo, hi), mode, **kw)
    return take_static(x, positions, ax)


def _block_of(x: Any, ax: int, width: int, value: Any) -> Any:
    """``value`` (cast to ``x``'s dtype) broadcast to ``x``'s shape with ``width`` on ``ax``."""
    target = list(shape(x))
    target[ax] = width
    v = astype(arr(value), x.dtype) if is_traced(value) else np.asarray(value).astype(x.dtype)
    return broadcast_to(v, tuple(target))


def _pad_with_values(x: Any, ax: int, lo: int, hi: int, before: Any, after: Any) -> Any:
    if not (lo or hi):
        return x
    left = _block_of(x, ax, lo, before) if lo else None
    right = _block_of(x, ax, hi, after) if hi else None
    return concat_pieces([left, x, right], ax)


def _pad_linear_ramp(x: Any, ax: int, lo: int, hi: int, ends: tuple) -> Any:
    if not (lo or hi):
        return x
    n = shape(x)[ax]
    pieces: list[Any] = [None, x, None]
    for side, width, end, edge_at in ((0, lo, ends[0], 0), (2, hi, ends[1], n - 1)):
        if width:
            edge = squeeze(slice_axis(x, edge_at, edge_at + 1, ax), ax)
            ramp = linspace_exact(end, edge, width, endpoint=False, dtype=x.dtype, axis=ax)
            pieces[side] = ramp if side == 0 else flip(ramp, ax)
    return concat_pieces(pieces, ax)


def _pad_stat(x: Any, ax: int, lo: int, hi: int, lengths: tuple, mode: str) -> Any:
    if not (lo or hi):
        return x
    n = shape(x)[ax]
    left_len = n if lengths[0] is None or n < lengths[0] else int(lengths[0])
    right_len = n if lengths[1] is None or n < lengths[1] else int(lengths[1])
    if (left_len == 0 or right_len == 0) and mode in ("maximum", "minimum"):
        raise ValueError("stat_length of 0 yields no value for padding")

    def stat(chunk: Any) -> Any:
        if mode == "maximum":
            s = _amax(chunk, axis=ax, keepdims=True)
        elif mode == "minimum":
            s = _amin(chunk, axis=ax, keepdims=True)
        elif mode == "mean":
            s = _mean(chunk, axis=ax, keepdims=True)
        else:
            s = median(chunk, axis=ax, keepdims=True)
        if np.issubdtype(x.dtype, np.integer):
            s = UFUNCS["rint"](s)  # NumPy rounds (half to even) before the cast
        return s

    left_stat = stat(slice_axis(x, 0, left_len, ax))
    if left_len == right_len == n:
        right_stat = left_stat
    else:
        right_stat = stat(slice_axis(x, n - right_len, n, ax))
    return _pad_with_values(x, ax, lo, hi, left_stat, right_stat)


def _pad_reflect_odd(x: Any, ax: int, lo: int, hi: int, include_edge: bool) -> Any:
    """Odd reflection, chunk by chunk in NumPy's order: each chunk is ``2 * edge - mirror``
    of what is padded so far, so a pad wider than the array reflects the reflected values."""
    period = shape(x)[ax]
    cur = x
    while lo > 0 or hi > 0:
        length = shape(cur)[ax]
        if include_edge:
            usable = length // period * period
            off = 1
        else:
            usable = (length - 1) // (period - 1) * (period - 1)
            off = 0
        if lo > 0:
            k = min(usable, lo)
            mirror = flip(slice_axis(cur, 1 - off, k + 1 - off, ax), ax)
            edge = slice_axis(cur, 0, 1, ax)
            chunk = astype(UFUNCS["subtract"](UFUNCS["multiply"](2, edge), mirror), x.dtype)
            lo -= k
        else:
            chunk = None
        if hi > 0:
            k = min(usable, hi)
            stop = length - 1 + off  # the mirror skips the edge unless it is included
            mirror = flip(slice_axis(cur, stop - k, stop, ax), ax)
            edge = slice_axis(cur, length - 1, length, ax)
            right = astype(UFUNCS["subtract"](UFUNCS["multiply"](2, edge), mirror), x.dtype)
            hi -= k
        else:
            right = None
        cur = concat_pieces([chunk, cur, right], ax)
    return cur


__all__ = [
    "pad",
]
