"""Shape assembly with NumPy's signatures: ``pad`` (every mode), ``roll``, ``rot90``, ``tile``,
``repeat``, the ``split`` and ``stack`` families, ``block``, ``atleast_*d``, ``meshgrid``,
``indices``, ``kron``, ``cross``, ``append``, ``insert``, ``delete`` and ``resize``.

With no traced argument each function is NumPy's own, so eager results (and errors) are
NumPy's.  Traced, every size comes from static arguments, and the data moves through shape
primitives: slices, concatenation, and gathers whose index arrays are computed now, from the
static arguments, often by running NumPy's own function on an ``arange`` (the positions an
element moves to do not depend on its value).  Batched, each is one whole-batch operation.
"""

from __future__ import annotations

import builtins
import operator
import warnings
from typing import Any

import numpy as np

from autovec import errors
from autovec.numpy._util import arr, holds_tracer, is_traced, ndim, normalize_axis, shape
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import (
    astype,
    broadcast_arrays,
    broadcast_to,
    concatenate,
    expand_dims,
    flip,
    moveaxis,
    ravel,
    reshape,
    squeeze,
    transpose,
)
from autovec.numpy.reductions import any as _any
from autovec.numpy.reductions import max as _amax
from autovec.numpy.reductions import mean as _mean
from autovec.numpy.reductions import min as _amin
from autovec.numpy.ufuncs import UFUNCS, where

_ALL = slice(None)


def take_static(x: Any, index: np.ndarray, axis: int) -> Any:
    """``x`` gathered along ``axis`` with a concrete integer index array (one gather)."""
    return getitem(x, (_ALL,) * axis + (np.asarray(index, dtype=np.intp),))


def slice_axis(x: Any, start: Any, stop: Any, axis: int, step: Any = None) -> Any:
    """``x[..., start:stop:step, ...]`` along ``axis`` (a view)."""
    return getitem(x, (_ALL,) * axis + (slice(start, stop, step),))


def _concat(pieces: list, axis: int) -> Any:
    pieces = [p for p in pieces if p is not None]
    return pieces[0] if len(pieces) == 1 else concatenate(pieces, axis=axis)


def _static_ints(value: Any, what: str) -> Any:
    """A concrete integer (or nested sequence of them); a traced value is refused."""
    if holds_tracer(value):
        raise errors.ConcretizationTypeError(
            f"{what} must be concrete (the same for every example): it decides the result's "
            f"shape. Pass it as a Python int/sequence or an unbatched NumPy array (vmap: "
            f"in_axes=None for it, or a closure; jit: mark it static with static_argnums/"
            f"static_argnames)."
        )
    return value


# ------------------------------------------------------------------------------------ pad


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


def _pad_widths(pad_width: Any, nd: int) -> list[tuple[int, int]]:
    _static_ints(pad_width, "pad: pad_width")
    if isinstance(pad_width, dict):
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


def pad(array: Any, pad_width: Any, mode: Any = "constant", **kwargs: Any) -> Any:
    """NumPy's ``pad``, every mode (``constant``, ``edge``, ``linear_ramp``, ``maximum``,
    ``mean``, ``median``, ``minimum``, ``reflect``, ``symmetric``, ``wrap``, ``empty``).

    ``pad_width`` and ``stat_length`` must be concrete; ``constant_values`` and
    ``end_values`` may be batched.  Axes are padded one after the other, as NumPy does, so
    corners and statistics see the padding of the earlier axes.  Traced, ``empty`` fills
    with zeros.  A callable ``mode`` (which writes in place) works eagerly only.
    """
    if not holds_tracer([array, pad_width, list(kwargs.values())]):
        return np.pad(array, pad_width, mode, **kwargs)
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
        lengths = _pairs(_static_ints(kwargs.get("stat_length"), "stat_length"), nd, True)
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
    return _concat([left, x, right], ax)


def linspace_exact(
    start: Any, stop: Any, num: int, *, endpoint: bool = True, dtype: Any = None, axis: int = 0
) -> Any:
    """NumPy's ``linspace`` step for step, for traced endpoints: its working dtype (that of
    the endpoints and a Python float), its scaling by ``delta / div`` -- or, when any step of
    the array is 0, ``y / div * delta``, a choice made per array, so per example here -- and
    its exact last point."""
    u = UFUNCS

    def as_operand(v: Any) -> Any:
        return arr(v) if is_traced(v) else np.asarray(v)

    start = u["multiply"](as_operand(start), 1.0)
    stop = u["multiply"](as_operand(stop), 1.0)
    dt = np.result_type(start.dtype, stop.dtype, float(num))
    dtype = dt if dtype is None else np.dtype(dtype)
    delta = u["subtract"](stop, start, dtype=dt)
    y = np.arange(0, num, dtype=dt).reshape((-1,) + (1,) * ndim(delta))
    div = num - 1 if endpoint else num
    if div > 0:
        step = u["divide"](delta, div)
        any_zero = _any(u["equal"](step, 0))
        y = where(any_zero, u["multiply"](u["divide"](y, div), delta), u["multiply"](y, step))
    else:
        y = u["multiply"](y, delta)
    y = u["add"](y, start)
    if endpoint and num > 1:
        last = astype(broadcast_to(stop, shape(y)[1:]), y.dtype)
        y = concatenate([slice_axis(y, 0, num - 1, 0), expand_dims(last, 0)], axis=0)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if np.issubdtype(dtype, np.integer):
        y = u["floor"](y)
    return astype(y, dtype)


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
    return _concat(pieces, ax)


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
            from autovec.numpy.statistics import median

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
        cur = _concat([chunk, cur, right], ax)
    return cur


# ------------------------------------------------------------------------ roll and rot90


def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    """NumPy's ``roll``.  ``shift`` may be batched (each example rolls by its own amount:
    a gather with per-example positions); ``axis`` must be static."""
    if not is_traced(a, shift) and not holds_tracer(shift):
        return np.roll(a, shift, axis)
    x = arr(a)
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), shape(x))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(normalize_axis(ax, ndim(x)) for ax in axes)
    if is_traced(shift) or holds_tracer(shift):
        shifts = arr(shift)
        if ndim(shifts) > 1:
            raise ValueError("'shift' and 'axis' should be scalars or 1D sequences")
        shifts = broadcast_to(shifts, np.broadcast_shapes(shape(shifts), (len(axes),)))
        per_axis: dict[int, Any] = {}
        for i, ax in enumerate(axes):
            s = astype(shifts[i] if ndim(shifts) else shifts, np.intp)
            per_axis[ax] = s if ax not in per_axis else UFUNCS["add"](per_axis[ax], s)
        for ax, s in per_axis.items():
            n = shape(x)[ax]
            if n == 0:
                continue
            positions = UFUNCS["remainder"](UFUNCS["subtract"](np.arange(n), s), n)
            x = getitem(x, (_ALL,) * ax + (positions,))
        return x
    b = np.broadcast(np.asarray(shift), np.asarray(axes))
    if b.ndim > 1:
        raise ValueError("'shift' and 'axis' should be scalars or 1D sequences")
    totals = dict.fromkeys(range(ndim(x)), 0)
    for sh, ax in b:
        totals[int(ax)] += int(sh)
    for ax, offset in totals.items():
        offset %= shape(x)[ax] or 1
        if offset:
            n = shape(x)[ax]
            x = _concat([slice_axis(x, n - offset, n, ax), slice_axis(x, 0, n - offset, ax)], ax)
    return x


def rot90(m: Any, k: int = 1, axes: Any = (0, 1)) -> Any:
    """NumPy's ``rot90``: rotate by 90 degrees ``k`` times in the plane of ``axes``."""
    if not is_traced(m):
        return np.rot90(m, k, axes)
    x = arr(m)
    axes = tuple(axes)
    nd = ndim(x)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == nd:
        raise ValueError("Axes must be different.")
    if not all(-nd <= ax < nd for ax in axes):
        raise ValueError(f"Axes={axes} out of range for array of ndim={nd}.")
    k = operator.index(k) % 4
    if k == 0:
        return x
    if k == 2:
        return flip(flip(x, axes[0]), axes[1])
    perm = list(range(nd))
    a0, a1 = axes[0] % nd, axes[1] % nd
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return transpose(flip(x, axes[1]), perm)
    return flip(transpose(x, perm), axes[1])


# --------------------------------------------------------------------- tile and repeat


def with_ndmin(x: Any, nd: int) -> Any:
    """``x`` with leading size-1 axes up to ``nd`` axes (NumPy's ``ndmin``)."""
    x = arr(x)
    if ndim(x) < nd:
        x = reshape(x, (1,) * (nd - ndim(x)) + shape(x))
    return x


def tile(A: Any, reps: Any) -> Any:
    """NumPy's ``tile``: ``A`` repeated ``reps`` times along each axis (``reps`` static)."""
    _static_ints(reps, "tile: reps")
    if not is_traced(A):
        return np.tile(A, reps)
    try:
        tup = tuple(operator.index(r) for r in reps)
    except TypeError:
        tup = (operator.index(reps),)
    x = with_ndmin(A, len(tup))
    tup = (1,) * (ndim(x) - len(tup)) + tup
    if builtins.any(t < 0 for t in tup):
        raise ValueError("negative dimensions are not allowed")
    shp = shape(x)
    # (s0, s1, ...) -> (1, s0, 1, s1, ...) -> broadcast (t0, s0, t1, s1, ...) -> merge pairs.
    inter = tuple(v for s in shp for v in (1, s))
    big = tuple(v for s, t in zip(shp, tup) for v in (t, s))
    out = broadcast_to(reshape(x, inter), big)
    return reshape(out, tuple(s * t for s, t in zip(shp, tup)))


def repeat(a: Any, repeats: Any, axis: Any = None) -> Any:
    """NumPy's ``repeat``.  ``repeats`` must be concrete (an int or an array): batched
    repeat counts would give each example a different length."""
    if holds_tracer(repeats):
        raise errors.DataDependentShapeError(
            "repeat: `repeats` is batched or traced, so the result's length would differ per "
            "example. Pass repeats as a concrete int/array (the same for every example)."
        )
    if not is_traced(a):
        return np.repeat(a, repeats, axis)
    x = arr(a)
    if axis is None:
        x = ravel(x)
        axis = 0
    ax = normalize_axis(axis, ndim(x))
    positions = np.repeat(np.arange(shape(x)[ax]), repeats)
    return take_static(x, positions, ax)


# ------------------------------------------------------------------------------- splits


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """NumPy's ``array_split``: a list of views; sections may differ in size by one."""
    _static_ints(indices_or_sections, "array_split: indices_or_sections")
    if not is_traced(ary):
        return np.array_split(ary, indices_or_sections, axis)
    x = arr(ary)
    ax = normalize_axis(axis, ndim(x))
    total = shape(x)[ax]
    try:
        points = [0, *(operator.index(i) for i in indices_or_sections), total]
    except TypeError:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.") from None
        each, extras = divmod(total, sections)
        sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
        points = np.cumsum(sizes).tolist()
    return [slice_axis(x, points[i], points[i + 1], ax) for i in range(len(points) - 1)]


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """NumPy's ``split``: like ``array_split`` but sections must divide the axis evenly."""
    _static_ints(indices_or_sections, "split: indices_or_sections")
    if not is_traced(ary):
        return np.split(ary, indices_or_sections, axis)
    try:
        len(indices_or_sections)
    except TypeError:
        n = shape(ary)[normalize_axis(axis, ndim(ary))]
        if n % indices_or_sections:
            raise ValueError("array split does not result in an equal division") from None
    return array_split(ary, indices_or_sections, axis)


def hsplit(ary: Any, indices_or_sections: Any) -> list:
    """NumPy's ``hsplit``: split along axis 1 (axis 0 for 1-D arrays)."""
    if not is_traced(ary):
        return np.hsplit(ary, indices_or_sections)
    if ndim(ary) == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if ndim(ary) > 1 else 0)


def vsplit(ary: Any, indices_or_sections: Any) -> list:
    """NumPy's ``vsplit``: split along axis 0 (arrays of 2 or more dimensions)."""
    if not is_traced(ary):
        return np.vsplit(ary, indices_or_sections)
    if ndim(ary) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


def dsplit(ary: Any, indices_or_sections: Any) -> list:
    """NumPy's ``dsplit``: split along axis 2 (arrays of 3 or more dimensions)."""
    if not is_traced(ary):
        return np.dsplit(ary, indices_or_sections)
    if ndim(ary) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


# ----------------------------------------------------------------------- atleast_*d


def _atleast(arys: tuple, fn: Any) -> Any:
    res = [fn(arr(a)) for a in arys]
    return res[0] if len(res) == 1 else tuple(res)


def _at1(x: Any) -> Any:
    return reshape(x, (1,)) if ndim(x) == 0 else x


def _at2(x: Any) -> Any:
    if ndim(x) == 0:
        return reshape(x, (1, 1))
    return expand_dims(x, 0) if ndim(x) == 1 else x


def _at3(x: Any) -> Any:
    if ndim(x) == 0:
        return reshape(x, (1, 1, 1))
    if ndim(x) == 1:
        return expand_dims(x, (0, 2))
    return expand_dims(x, 2) if ndim(x) == 2 else x


def atleast_1d(*arys: Any) -> Any:
    """NumPy's ``atleast_1d``: scalars become shape (1,); one argument gives one array."""
    if not holds_tracer(arys):
        return np.atleast_1d(*arys)
    return _atleast(arys, _at1)


def atleast_2d(*arys: Any) -> Any:
    """NumPy's ``atleast_2d``: (N,) becomes (1, N)."""
    if not holds_tracer(arys):
        return np.atleast_2d(*arys)
    return _atleast(arys, _at2)


def atleast_3d(*arys: Any) -> Any:
    """NumPy's ``atleast_3d``: (N,) becomes (1, N, 1) and (M, N) becomes (M, N, 1)."""
    if not holds_tracer(arys):
        return np.atleast_3d(*arys)
    return _atleast(arys, _at3)


# -------------------------------------------------------------------------------- stacks


def _stack_kwargs(dtype: Any, casting: str) -> dict:
    return {"dtype": dtype, "casting": casting}


def hstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """NumPy's ``hstack``: concatenate along axis 1 (axis 0 for 1-D inputs)."""
    if not holds_tracer(tup):
        return np.hstack(tup, **_stack_kwargs(dtype, casting))
    arrs = [_at1(arr(a)) for a in tup]
    axis = 0 if arrs and ndim(arrs[0]) == 1 else 1
    return concatenate(arrs, axis, dtype=dtype, casting=casting)


def vstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """NumPy's ``vstack``: concatenate the inputs, made at least 2-D, along axis 0."""
    if not holds_tracer(tup):
        return np.vstack(tup, **_stack_kwargs(dtype, casting))
    return concatenate([_at2(arr(a)) for a in tup], 0, dtype=dtype, casting=casting)


def row_stack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """NumPy's deprecated alias of ``vstack`` (it warns, as NumPy does)."""
    if not holds_tracer(tup):
        return np.row_stack(tup, dtype=dtype, casting=casting)
    warnings.warn(
        "`row_stack` alias is deprecated. Use `np.vstack` directly.",
        DeprecationWarning,
        stacklevel=2,
    )
    return vstack(tup, dtype=dtype, casting=casting)


def dstack(tup: Any) -> Any:
    """NumPy's ``dstack``: concatenate the inputs, made at least 3-D, along axis 2."""
    if not holds_tracer(tup):
        return np.dstack(tup)
    return concatenate([_at3(arr(a)) for a in tup], 2)


def column_stack(tup: Any) -> Any:
    """NumPy's ``column_stack``: 1-D inputs become columns; concatenate along axis 1."""
    if not holds_tracer(tup):
        return np.column_stack(tup)
    cols = []
    for v in tup:
        x = arr(v)
        if ndim(x) < 2:
            x = transpose(_at2(x))
        cols.append(x)
    return concatenate(cols, 1)


def block(arrays: Any) -> Any:
    """NumPy's ``block``: assemble an array from nested lists of blocks (the innermost
    lists join along the last axis, the outermost along the first)."""
    if not holds_tracer(arrays):
        return np.block(arrays)
    depth, arr_ndim = _block_depth(arrays, [])
    result_ndim = builtins.max(arr_ndim, depth)
    return _block_join(arrays, depth, result_ndim, 0)


def _block_depth(obj: Any, index: list) -> tuple[int, int]:
    """(list nesting depth, largest block ndim), with NumPy's errors for bad nesting."""
    where = "arrays" + "".join(f"[{i}]" for i in index)
    if isinstance(obj, tuple):
        raise TypeError(
            f"{where} is a tuple. Only lists can be used to arrange blocks, and np.block "
            "does not allow implicit conversion from tuple to ndarray."
        )
    if isinstance(obj, list):
        if not obj:
            raise ValueError(f"List at {where} cannot be empty")
        found = [_block_depth(o, [*index, i]) for i, o in enumerate(obj)]
        depths = {d for d, _ in found}
        if len(depths) > 1:
            raise ValueError(
                f"List depths are mismatched at {where}: blocks are found at depths "
                f"{sorted(d + len(index) + 1 for d in depths)}."
            )
        return found[0][0] + 1, builtins.max(n for _, n in found)
    return 0, ndim(obj)


def _block_join(obj: Any, depth: int, result_ndim: int, level: int) -> Any:
    if level < depth:
        parts = [_block_join(o, depth, result_ndim, level + 1) for o in obj]
        return concatenate(parts, axis=result_ndim - (depth - level))
    return with_ndmin(obj, result_ndim)


# ------------------------------------------------------------------- grids and products


def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> Any:
    """NumPy's ``meshgrid`` (a tuple of arrays; ``sparse=True, copy=False`` gives a list,
    as NumPy does)."""
    if not holds_tracer(xi):
        return np.meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing)
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    n = len(xi)
    ones = (1,) * n
    out = [reshape(arr(x), ones[:i] + (-1,) + ones[i + 1 :]) for i, x in enumerate(xi)]
    if indexing == "xy" and n > 1:
        out[0] = reshape(out[0], (1, -1) + ones[2:])
        out[1] = reshape(out[1], (-1, 1) + ones[2:])
    if not sparse:
        out = broadcast_arrays(*out)
    return tuple(out) if copy else out


def indices(dimensions: Any, dtype: Any = int, sparse: bool = False) -> Any:
    """NumPy's ``indices``: the grid of positions of a static shape (a constant)."""
    _static_ints(dimensions, "indices: dimensions")
    return np.indices(dimensions, dtype=dtype, sparse=sparse)


def kron(a: Any, b: Any) -> Any:
    """NumPy's ``kron``: the Kronecker product, as one broadcast multiply and a reshape."""
    if not is_traced(a, b):
        return np.kron(a, b)
    b = arr(b)
    a = with_ndmin(a, ndim(b))
    na, nb = ndim(a), ndim(b)
    if na == 0 or nb == 0:
        return UFUNCS["multiply"](a, b)
    nd = builtins.max(na, nb)
    sa = shape(a)
    sb = (1,) * (na - nb) + shape(b)
    b = reshape(b, sb)
    a2 = expand_dims(a, tuple(range(1, 2 * nd, 2)))
    b2 = expand_dims(b, tuple(range(0, 2 * nd, 2)))
    return reshape(UFUNCS["multiply"](a2, b2), tuple(p * q for p, q in zip(sa, sb)))


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None):
    """NumPy's ``cross`` of 3-vectors (and NumPy 2's deprecated 2-vectors, which warn)."""
    if not is_traced(a, b):
        return np.cross(a, b, axisa, axisb, axisc, axis)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = arr(a), arr(b)
    if ndim(a) < 1 or ndim(b) < 1:
        raise ValueError("At least one array has zero dimension")
    a = moveaxis(a, normalize_axis(axisa, ndim(a)), -1)
    b = moveaxis(b, normalize_axis(axisb, ndim(b)), -1)
    na, nb = shape(a)[-1], shape(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 or 3)")
    if na == 2 or nb == 2:
        warnings.warn(
            "Arrays of 2-dimensional vectors are deprecated. Use arrays of 3-dimensional "
            "vectors instead. (deprecated in NumPy 2.0)",
            DeprecationWarning,
            stacklevel=2,
        )
    dtype = np.promote_types(a.dtype, b.dtype)
    a, b = astype(a, dtype), astype(b, dtype)
    mul, sub, neg = UFUNCS["multiply"], UFUNCS["subtract"], UFUNCS["negative"]
    ac = [a[..., i] for i in range(na)]
    bc = [b[..., i] for i in range(nb)]
    if na == 2 and nb == 2:
        return sub(mul(ac[0], bc[1]), mul(ac[1], bc[0]))
    if na == 2:
        comps = [
            mul(ac[1], bc[2]),
            neg(mul(ac[0], bc[2])),
            sub(mul(ac[0], bc[1]), mul(ac[1], bc[0])),
        ]
    elif nb == 2:
        comps = [
            neg(mul(ac[2], bc[1])),
            mul(ac[2], bc[0]),
            sub(mul(ac[0], bc[1]), mul(ac[1], bc[0])),
        ]
    else:
        comps = [
            sub(mul(ac[1], bc[2]), mul(ac[2], bc[1])),
            sub(mul(ac[2], bc[0]), mul(ac[0], bc[2])),
            sub(mul(ac[0], bc[1]), mul(ac[1], bc[0])),
        ]
    bshape = np.broadcast_shapes(*(shape(c) for c in comps))
    out = concatenate([expand_dims(broadcast_to(c, bshape), -1) for c in comps], -1)
    return moveaxis(out, -1, normalize_axis(axisc, len(bshape) + 1))


# --------------------------------------------------------------- append, insert, delete


def append(arr_: Any, values: Any, axis: Any = None) -> Any:
    """NumPy's ``append``: concatenate (both flattened when ``axis`` is None)."""
    if not is_traced(arr_, values) and not holds_tracer(values):
        return np.append(arr_, values, axis)
    x, v = arr(arr_), arr(values)
    if axis is None:
        x = ravel(x) if ndim(x) != 1 else x
        v = ravel(v)
        axis = ndim(x) - 1
    return concatenate([x, v], axis=axis)


def _axis_for(x: Any, axis: Any) -> tuple[Any, int]:
    if axis is None:
        return (ravel(x) if ndim(x) != 1 else x), 0
    return x, normalize_axis(axis, ndim(x))


def delete(arr_: Any, obj: Any, axis: Any = None) -> Any:
    """NumPy's ``delete`` with concrete ``obj`` (an int, a slice, integer or boolean
    indices): one gather of the kept positions."""
    _static_ints(obj, "delete: obj")
    if not is_traced(arr_):
        return np.delete(arr_, obj, axis)
    x, ax = _axis_for(arr(arr_), axis)
    kept = np.delete(np.arange(shape(x)[ax]), obj)  # NumPy's rules, and its errors
    return take_static(x, kept, ax)


def insert(arr_: Any, obj: Any, values: Any, axis: Any = None) -> Any:
    """NumPy's ``insert`` with concrete ``obj``; ``values`` may be batched (they are cast to
    the array's dtype, as NumPy does)."""
    _static_ints(obj, "insert: obj")
    if not is_traced(arr_, values) and not holds_tracer(values):
        return np.insert(arr_, obj, values, axis)
    x, ax = _axis_for(arr(arr_), axis)
    n = shape(x)[ax]
    vals = arr(values)
    positions = np.arange(n)[obj] if isinstance(obj, slice) else np.array(obj)
    if positions.dtype == bool:
        if positions.ndim != 1:
            raise ValueError("boolean array argument obj to insert must be one dimensional")
        positions = np.flatnonzero(positions)
    elif positions.ndim > 1:
        raise ValueError("index array argument obj to insert must be one dimensional or scalar")
    vals = astype(vals, x.dtype)
    if positions.size == 1:
        index = int(positions.reshape(()))
        if index < -n or index > n:
            raise IndexError(f"index {obj} is out of bounds for axis {ax} with size {n}")
        index += n if index < 0 else 0
        vals = with_ndmin(vals, ndim(x))
        if positions.ndim == 0:
            vals = moveaxis(vals, 0, ax)
        target = list(shape(x))
        target[ax] = shape(vals)[ax]
        block_ = broadcast_to(vals, tuple(target))
        return _concat([slice_axis(x, 0, index, ax), block_, slice_axis(x, index, n, ax)], ax)
    count = positions.size
    target = list(shape(x))
    target[ax] = count
    block_ = broadcast_to(vals, tuple(target))
    # Where each element of [x, values] lands: NumPy's insert of the positions themselves.
    order = np.insert(np.arange(n), obj, np.arange(n, n + count))
    return take_static(_concat([x, block_], ax), order, ax)


def resize(a: Any, new_shape: Any) -> Any:
    """NumPy's ``resize``: the flattened ``a`` repeated cyclically to fill ``new_shape``."""
    _static_ints(new_shape, "resize: new_shape")
    if not is_traced(a):
        return np.resize(a, new_shape)
    if isinstance(new_shape, (int, np.integer)):
        new_shape = (new_shape,)
    new_shape = tuple(operator.index(s) for s in new_shape)
    if builtins.any(s < 0 for s in new_shape):
        raise ValueError("all elements of `new_shape` must be non-negative")
    flat = ravel(a)
    size = shape(flat)[0]
    total = int(np.prod(new_shape, dtype=np.int64))
    if size == 0 or total == 0:
        return np.zeros(new_shape, flat.dtype)
    copies = -(-total // size)
    filled = _concat([flat] * copies, 0) if copies > 1 else flat
    return reshape(slice_axis(filled, 0, total, 0), new_shape)


__all__ = [
    "pad",
    "roll",
    "rot90",
    "tile",
    "repeat",
    "split",
    "array_split",
    "hsplit",
    "vsplit",
    "dsplit",
    "hstack",
    "vstack",
    "row_stack",
    "dstack",
    "column_stack",
    "block",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "meshgrid",
    "indices",
    "kron",
    "cross",
    "append",
    "insert",
    "delete",
    "resize",
]
