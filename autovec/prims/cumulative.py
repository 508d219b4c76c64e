"""``accumulate``: a binary ufunc's running result along one axis (``np.add.accumulate``,
which ``cumsum`` is with a widened ``dtype``; ``np.maximum.accumulate``; ...).

Each example's lane accumulates on its own, so batching moves the batch axis in front and
shifts ``axis`` past it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec.core import ShapedArray
from autovec.prims.base import FRESH, Arg, Sample, declare, result_dtypes
from autovec.prims.shape import moveaxis


def _accumulate_impl(xp: Any, x: Any, *, ufunc: str, axis: int, dtype: Any) -> Any:
    return getattr(xp, ufunc).accumulate(x, axis=axis, dtype=dtype)


def _accumulate_shape(x: ShapedArray, *, ufunc: str, axis: int, dtype: Any) -> ShapedArray:
    params = {"ufunc": ufunc, "axis": axis, "dtype": dtype}
    return ShapedArray(x.shape, result_dtypes(_accumulate_impl, (x,), params)[0])


def _accumulate_batch(axis_size: int, args: tuple, dims: tuple, *, axis: int, **params: Any):
    x = moveaxis(args[0], dims[0], 0)
    return accumulate_p.bind(x, axis=axis + 1, **params), 0


accumulate_p = declare(
    "accumulate",
    impl=_accumulate_impl,
    shape=_accumulate_shape,
    output=FRESH,
    batch=_accumulate_batch,
    samples=[
        Sample((Arg((5,)),), {"ufunc": "add", "axis": 0, "dtype": None}),
        Sample(
            (Arg((3, 4), "int8", -3, 3),), {"ufunc": "add", "axis": 1, "dtype": np.dtype("int64")}
        ),
        Sample((Arg((3, 4), low=0.5, high=1.5),), {"ufunc": "multiply", "axis": 0, "dtype": None}),
        Sample((Arg((2, 3, 2), "int32", -9, 9),), {"ufunc": "maximum", "axis": 1, "dtype": None}),
        Sample((Arg((4,), "bool"),), {"ufunc": "logical_and", "axis": 0, "dtype": None}),
    ],
    doc="``ufunc.accumulate(x, axis, dtype)`` for a binary ufunc named ``ufunc``.",
)
