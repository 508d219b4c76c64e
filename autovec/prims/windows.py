"""``windows``: overlapping windows of one axis, as a strided view (no copy in NumPy).

``windows(x, axis=a, start=s, count=n, step=t, length=m)`` replaces axis ``a`` by two axes
``(n, m)`` with element ``[i, j] = x[..., s + i*t + j, ...]``.  jit's loop roll-up pass
produces it from Python loops of sliding slices (``x[i:i + m] for i in range(...)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec.core import ShapedArray
from autovec.prims.base import READ_ONLY_VIEW, Arg, Sample, declare
from autovec.prims.shape import moveaxis


def _windows_impl(
    xp: Any, x: Any, *, axis: int, start: int, count: int, step: int, length: int
) -> Any:
    if xp is np:
        x = np.asarray(x)
        strides = x.strides
        shape = x.shape[:axis] + (count, length) + x.shape[axis + 1 :]
        new_strides = strides[:axis] + (strides[axis] * step, strides[axis]) + strides[axis + 1 :]
        base = x[(slice(None),) * axis + (slice(start, None),)]
        return np.lib.stride_tricks.as_strided(base, shape, new_strides, writeable=False)
    # Other namespaces: gather with an index table (a copy).
    idx = (start + step * np.arange(count))[:, None] + np.arange(length)
    return xp.take(x, xp.asarray(idx), axis=axis)


def _windows_shape(
    x: ShapedArray, *, axis: int, start: int, count: int, step: int, length: int
) -> ShapedArray:
    if count and start + step * (count - 1) + length > x.shape[axis]:
        raise ValueError(f"windows run past the end of axis {axis} of size {x.shape[axis]}")
    return ShapedArray(x.shape[:axis] + (count, length) + x.shape[axis + 1 :], x.dtype)


def _windows_batch(axis_size: int, args: tuple, dims: tuple, **params: Any) -> tuple:
    x = moveaxis(args[0], dims[0], 0)
    return windows_p.bind(x, **{**params, "axis": params["axis"] + 1}), 0


windows_p = declare(
    "windows",
    impl=_windows_impl,
    shape=_windows_shape,
    output=READ_ONLY_VIEW,  # NumPy: a read-only strided view; other namespaces: a copy
    batch=_windows_batch,
    samples=[
        Sample((Arg((8,)),), {"axis": 0, "start": 0, "count": 6, "step": 1, "length": 3}),
        Sample((Arg((3, 10)),), {"axis": 1, "start": 1, "count": 4, "step": 2, "length": 2}),
        Sample(
            (Arg((7, 2), "int64", -9, 9),),
            {"axis": 0, "start": 2, "count": 2, "step": 3, "length": 2},
        ),
    ],
    doc="Overlapping windows along one axis: axis -> (count, length). A view in NumPy.",
)
