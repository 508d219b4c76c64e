"""Rearranging, tiling, adding and removing elements (NumPy's sections of those names):
``roll``, ``rot90``, ``tile``, ``repeat``, ``append``, ``insert``, ``delete``, ``resize``,
``trim_zeros``.

Traced, every size comes from static arguments and the data moves through gathers whose
positions are computed now, often by running NumPy's own function on an ``arange``."""

from __future__ import annotations

import builtins
import operator
from typing import Any

import numpy as np

from autovec import errors
from autovec.numpy._convert import arr as _arr  # `arr` is a NumPy parameter name here
from autovec.numpy._util import (
    concrete_value,
    holds_tracer,
    implements,
    is_traced,
    ndim,
    normalize_axis,
    shape,
)
from autovec.numpy.cumulative import cumsum
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import (
    astype,
    broadcast_to,
    concat_pieces,
    concatenate,
    flip,
    moveaxis,
    ravel,
    reshape,
    transpose,
    with_ndmin,
)
from autovec.numpy.reductions import any as _any
from autovec.numpy.reductions import sum as _sum
from autovec.numpy.searching import searchsorted
from autovec.numpy.selection import _ALL, slice_axis, take, take_static
from autovec.numpy.ufuncs import UFUNCS


@implements(np.roll)
def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    """NumPy's ``roll``.  ``shift`` may be batched (each example rolls by its own amount:
    a gather with per-example positions); ``axis`` must be static."""
    x = _arr(a)
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), shape(x))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(normalize_axis(ax, ndim(x)) for ax in axes)
    if is_traced(shift) or holds_tracer(shift):
        shifts = _arr(shift)
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
            x = concat_pieces(
                [slice_axis(x, n - offset, n, ax), slice_axis(x, 0, n - offset, ax)], ax
            )
    return x


@implements(np.rot90)
def rot90(m: Any, k: int = 1, axes: Any = (0, 1)) -> Any:
    """NumPy's ``rot90``: rotate by 90 degrees ``k`` times in the plane of ``axes``."""
    x = _arr(m)
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


# ------------------------------------------------------------------------------- tiling


@implements(np.tile)
def tile(A: Any, reps: Any) -> Any:
    """NumPy's ``tile``: ``A`` repeated ``reps`` times along each axis (``reps`` static)."""
    concrete_value(reps, "tile: reps")
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


@implements(np.repeat)
def repeat(a: Any, repeats: Any, axis: Any = None) -> Any:
    """NumPy's ``repeat``.  Batched or traced ``repeats`` need the result's length, their
    total: vmap splits the batch by it (examples of one total run together, as in the loop),
    jit cannot know it and raises ``ConcretizationTypeError``."""
    if holds_tracer(repeats):
        return _repeat_traced(a, repeats, axis)
    x = _arr(a)
    if axis is None:
        x = ravel(x)
        axis = 0
    ax = normalize_axis(axis, ndim(x))
    positions = np.repeat(np.arange(shape(x)[ax]), repeats)
    return take_static(x, positions, ax)


def _repeat_traced(a: Any, repeats: Any, axis: Any) -> Any:
    x = _arr(a)
    if axis is None:
        x = ravel(x)
        axis = 0
    ax = normalize_axis(axis, ndim(x))
    n = shape(x)[ax]
    r = _arr(repeats)
    if r.dtype.kind not in "iub":
        raise TypeError(
            f"Cannot cast array data from {r.dtype!r} to dtype('int64') according to the "
            f"rule 'safe'"
        )
    if ndim(r) > 1 or (ndim(r) == 1 and shape(r)[0] not in (1, n)):
        raise ValueError(f"operands could not be broadcast together with shape ({n},) {shape(r)}")
    r = broadcast_to(astype(r, np.intp, copy=False), (n,))
    if bool(_any(UFUNCS["less"](r, 0))):
        raise ValueError("repeats may not contain negative values.")
    total = int(_sum(r))  # the result's length: vmap splits the batch by it
    ends = cumsum(r)
    positions = searchsorted(ends, np.arange(total, dtype=np.intp), side="right")
    return take(x, positions, axis=ax)


# --------------------------------------------------------- adding and removing elements


@implements(np.append)
def append(arr: Any, values: Any, axis: Any = None) -> Any:
    """NumPy's ``append``: concatenate (both flattened when ``axis`` is None)."""
    x, v = _arr(arr), _arr(values)
    if axis is None:
        x = ravel(x) if ndim(x) != 1 else x
        v = ravel(v)
        axis = ndim(x) - 1
    return concatenate([x, v], axis=axis)


def _axis_for(x: Any, axis: Any) -> tuple[Any, int]:
    if axis is None:
        return (ravel(x) if ndim(x) != 1 else x), 0
    return x, normalize_axis(axis, ndim(x))


@implements(np.delete)
def delete(arr: Any, obj: Any, axis: Any = None) -> Any:
    """NumPy's ``delete`` with concrete ``obj`` (an int, a slice, integer or boolean
    indices): one gather of the kept positions."""
    concrete_value(obj, "delete: obj")
    x, ax = _axis_for(_arr(arr), axis)
    kept = np.delete(np.arange(shape(x)[ax]), obj)  # NumPy's rules, and its errors
    return take_static(x, kept, ax)


@implements(np.insert)
def insert(arr: Any, obj: Any, values: Any, axis: Any = None) -> Any:
    """NumPy's ``insert`` with concrete ``obj``; ``values`` may be batched (they are cast to
    the array's dtype, as NumPy does)."""
    concrete_value(obj, "insert: obj")
    x, ax = _axis_for(_arr(arr), axis)
    n = shape(x)[ax]
    vals = _arr(values)
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
        return concat_pieces([slice_axis(x, 0, index, ax), block_, slice_axis(x, index, n, ax)], ax)
    count = positions.size
    target = list(shape(x))
    target[ax] = count
    block_ = broadcast_to(vals, tuple(target))
    # Where each element of [x, values] lands: NumPy's insert of the positions themselves.
    order = np.insert(np.arange(n), obj, np.arange(n, n + count))
    return take_static(concat_pieces([x, block_], ax), order, ax)


@implements(np.resize)
def resize(a: Any, new_shape: Any) -> Any:
    """NumPy's ``resize``: the flattened ``a`` repeated cyclically to fill ``new_shape``."""
    concrete_value(new_shape, "resize: new_shape")
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
    filled = concat_pieces([flat] * copies, 0) if copies > 1 else flat
    return reshape(slice_axis(filled, 0, total, 0), new_shape)


@implements(np.trim_zeros)
def trim_zeros(filt: Any, trim: str = "fb", axis: Any = None) -> Any:
    """NumPy's ``trim_zeros`` (eagerly only: how much is trimmed depends on the values, so
    inside vmap/jit it raises ``DataDependentShapeError``)."""
    raise errors.DataDependentShapeError(
        "trim_zeros: how many zeros are trimmed depends on the values, which differ per "
        "example, but a batch needs one shape. Keep the zeros and mask them instead (e.g. "
        "autovec.numpy.where(x != 0, x, fill)), or trim outside vmap/jit."
    )


__all__ = [
    "roll",
    "rot90",
    "tile",
    "repeat",
    "append",
    "delete",
    "insert",
    "resize",
    "trim_zeros",
]
