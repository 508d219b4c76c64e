"""Sorting and searching: ``sort``, ``argsort``, ``partition``, ``argpartition`` along one
axis, ``searchsorted``, and ``nanargmax``/``nanargmin``.

NumPy sorts and partitions each 1-d lane of an array on its own, with the same algorithm
whatever the other axes hold, so the batched call (batch axis in front, ``axis`` shifted past
it) gives each example exactly the result of its own call -- even for the unstable kinds and
for partition's order, which NumPy leaves unspecified beyond the ``kth`` guarantee.

``searchsorted`` of a batched sorted array is a binary search run on every example at once
(a fixed number of vectorised halving steps), comparing in NumPy's sort order (NaN last).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec.backends import numpy_dtype
from autovec.core import ShapedArray
from autovec.prims.base import FRESH, Arg, Sample, declare
from autovec.prims.reductions import _arg_reduction
from autovec.prims.shape import broadcast_batch, moveaxis

# ------------------------------------------------------------------ sort and partitions


def _along_axis(name: str, impl: Any, out_dtype: Any, samples: list, doc: str) -> Any:
    """A primitive that works on each 1-d lane along ``axis`` and keeps the shape."""

    def shape(x: ShapedArray, *, axis: int, **params: Any) -> ShapedArray:
        return ShapedArray(x.shape, x.dtype if out_dtype is None else out_dtype)

    def batch(axis_size: int, args: tuple, dims: tuple, *, axis: int, **params: Any) -> tuple:
        x = moveaxis(args[0], dims[0], 0)
        return prim.bind(x, axis=axis + 1, **params), 0

    prim = declare(
        name, impl=impl, shape=shape, batch=batch, output=FRESH, samples=samples, doc=doc
    )
    return prim


def _sort_samples(**extra: Any) -> list:
    return [
        Sample((Arg((7,)),), {"axis": 0, **extra}),
        Sample((Arg((3, 5), "int64", -3, 3),), {"axis": 1, **extra}),
        Sample((Arg((4, 3), "int8", -3, 3),), {"axis": 0, **extra}),
        Sample((Arg((2, 3, 4), "bool"),), {"axis": 2, **extra}),
    ]


sort_p = _along_axis(
    "sort",
    lambda xp, x, *, axis, kind: xp.sort(x, axis=axis, kind=kind),
    None,
    _sort_samples(kind=None) + _sort_samples(kind="stable")[1:2],
    "NumPy's ``sort`` along ``axis`` (``kind``: NumPy's; NaN sorts last).",
)
argsort_p = _along_axis(
    "argsort",
    lambda xp, x, *, axis, kind: xp.argsort(x, axis=axis, kind=kind),
    np.intp,
    _sort_samples(kind="stable") + _sort_samples(kind=None)[:2],
    "NumPy's ``argsort`` along ``axis``; ``kind='stable'`` keeps ties in order.",
)


def _partition_impl(name: str) -> Any:
    def impl(xp: Any, x: Any, *, kth: tuple, axis: int) -> Any:
        return getattr(xp, name)(x, list(kth), axis=axis)

    return impl


def _partition_samples() -> list:
    return [
        Sample((Arg((7,)),), {"kth": (3,), "axis": 0}),
        Sample((Arg((3, 6), "int64", -4, 4),), {"kth": (0, 4), "axis": 1}),
        Sample((Arg((5, 3)),), {"kth": (4,), "axis": 0}),
    ]


partition_p = _along_axis(
    "partition",
    _partition_impl("partition"),
    None,
    _partition_samples(),
    "NumPy's ``partition``: element ``k`` of each lane in sorted place for every ``kth``.",
)
argpartition_p = _along_axis(
    "argpartition",
    _partition_impl("argpartition"),
    np.intp,
    _partition_samples(),
    "NumPy's ``argpartition``: the indices that would partition each lane.",
)

# ------------------------------------------------------------------------- searchsorted


def _less(xp: Any, a: Any, b: Any) -> Any:
    """``a < b`` in NumPy's sort order: NaN is greater than everything (complex: by real
    part, then imaginary part, NaNs last), as ``np.sort`` and ``np.searchsorted`` compare."""
    kind = numpy_dtype(a.dtype).kind
    if kind == "f":
        return (a < b) | ((b != b) & (a == a))
    if kind == "c":
        ar, ai, br, bi = xp.real(a), xp.imag(a), xp.real(b), xp.imag(b)
        a_ok, b_nan = ai == ai, bi != bi
        same_re = (ar == br) | ((ar != ar) & (br != br))
        by_imag = (ai < bi) | (b_nan & a_ok)
        return xp.where(
            ar < br,
            a_ok | b_nan,
            xp.where(ar > br, b_nan & a_ok, xp.where(same_re, by_imag, br != br)),
        )
    return a < b


def _search_lanes(xp: Any, a: Any, v: Any, side: str) -> Any:
    """Binary search of each row of ``v`` (rows, m) in the same row of ``a`` (rows, n): the
    count of a row's elements before which each value goes, found bit by bit from the top
    (``pos + step`` is taken while ``a[pos + step - 1]`` still comes before the value)."""
    rows, n = a.shape
    pos = xp.zeros(v.shape, dtype=np.intp)
    if n == 0:
        return pos
    flat = xp.reshape(a, (-1,))
    base = xp.reshape(xp.arange(rows, dtype=np.intp) * n, (rows, 1))
    kind = numpy_dtype(a.dtype).kind
    limit: Any = n
    if kind == "f":
        # NaNs sort last: search the non-NaN head of each row with plain comparisons, and
        # place a NaN value after it ('left') or at the end ('right'), as NumPy does.
        limit = n - xp.sum(a != a, axis=1, keepdims=True)
        nan_v = v != v
        v = xp.where(nan_v, xp.zeros((), v.dtype), v)
    step = 1 << (int(n).bit_length() - 1)
    while step:  # one vectorised step per bit of n, never a loop over rows
        cand = pos + step
        vals = xp.take(flat, base + xp.minimum(cand, n) - 1)
        if kind == "c":
            before = _less(xp, vals, v) if side == "left" else ~_less(xp, v, vals)
        else:
            before = vals < v if side == "left" else vals <= v
        pos = xp.where((cand <= limit) & before, cand, pos)
        step >>= 1
    if kind == "f":
        pos = xp.where(nan_v, limit if side == "left" else n, pos)
    return pos


def _searchsorted_impl(xp: Any, a: Any, v: Any, *, side: str, batch_dims: int) -> Any:
    if batch_dims == 0:
        return xp.searchsorted(a, v, side=side)
    dtype = xp.result_type(a, v)  # NumPy compares in the common type
    a, v = xp.asarray(a, dtype=dtype), xp.asarray(v, dtype=dtype)
    rows = int(np.prod(a.shape[:batch_dims], dtype=np.int64))
    per_row = int(np.prod(v.shape[batch_dims:], dtype=np.int64))
    a2 = xp.reshape(a, (rows, a.shape[-1]))
    out = _search_lanes(xp, a2, xp.reshape(v, (rows, per_row)), side)
    return xp.reshape(out, v.shape)


def _searchsorted_shape(a: ShapedArray, v: ShapedArray, *, side: str, batch_dims: int):
    return ShapedArray(v.shape, np.intp)


def _searchsorted_batch(axis_size: int, args: tuple, dims: tuple, *, side: str, batch_dims: int):
    (a, v), (ad, vd) = args, dims
    if ad is None and batch_dims == 0:
        # One sorted array for every example: NumPy searches any shape of values at once.
        return searchsorted_p.bind(a, v, side=side, batch_dims=0), vd
    a = broadcast_batch(a, axis_size) if ad is None else moveaxis(a, ad, 0)
    v = broadcast_batch(v, axis_size) if vd is None else moveaxis(v, vd, 0)
    return searchsorted_p.bind(a, v, side=side, batch_dims=batch_dims + 1), 0


searchsorted_p = declare(
    "searchsorted",
    impl=_searchsorted_impl,
    shape=_searchsorted_shape,
    output=FRESH,
    batch=_searchsorted_batch,
    samples=[
        # The array searched must be sorted: constant rows are (NumPy's search of an unsorted
        # array depends on the order of the values searched for, which no batching can copy).
        Sample(
            (Arg((6,), "int64", 1, 2), Arg((5,), "int64", 0, 3)), {"side": "left", "batch_dims": 0}
        ),
        Sample(
            (Arg((6,), "int64", 1, 2), Arg((2, 3), "int64", 0, 3)),
            {"side": "right", "batch_dims": 0},
        ),
        Sample((Arg((2, 5)), Arg((2, 3))), {"side": "left", "batch_dims": 1}),
        Sample(
            (Arg((2, 4), "int32", 0, 3), Arg((2,), "int32", 0, 3)),
            {"side": "right", "batch_dims": 1},
        ),
    ],
    doc=(
        "NumPy's ``searchsorted(a, v, side)`` for each of ``batch_dims`` leading axes that "
        "``a`` (``(*L, n)``, sorted along its last axis) and ``v`` (``(*L, ...)``) share; "
        "``batch_dims=0`` is NumPy's own call."
    ),
)

# ----------------------------------------------------------------- nanargmax, nanargmin

nanargmax_p = _arg_reduction("nanargmax")
nanargmin_p = _arg_reduction("nanargmin")
