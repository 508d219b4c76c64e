"""Reductions: ``sum``, ``prod``, ``max``, ``min``, ``any``, ``all``, ``mean``, ``var``,
``std`` over a tuple of axes, and ``argmax``/``argmin`` over one axis or the flattened array.

Batching moves the batch axis to the front and shifts ``axis`` past it, so each example is
reduced over exactly its own axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec.core import Primitive, ShapedArray
from autovec.prims.base import FRESH, Arg, Sample, declare, result_dtypes
from autovec.prims.shape import moveaxis, reshape_p


def _reduced_shape(shape: tuple, axes: tuple, keepdims: bool) -> tuple:
    if keepdims:
        return tuple(1 if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _reduction(name: str, samples: list, doc: str) -> Primitive:
    def impl(xp: Any, x: Any, *, axes: tuple, keepdims: bool, **params: Any) -> Any:
        return getattr(xp, name)(x, axis=axes, keepdims=keepdims, **params)

    def shape(x: ShapedArray, *, axes: tuple, keepdims: bool, **params: Any) -> ShapedArray:
        dtype = result_dtypes(impl, (x,), dict(params, axes=axes, keepdims=keepdims))[0]
        return ShapedArray(_reduced_shape(x.shape, axes, keepdims), dtype)

    def batch(
        axis_size: int, args: tuple, dims: tuple, *, axes: tuple, keepdims: bool, **params: Any
    ) -> tuple:
        x = moveaxis(args[0], dims[0], 0)
        out = prim.bind(x, axes=tuple(a + 1 for a in axes), keepdims=keepdims, **params)
        return out, 0

    prim = declare(
        name, impl=impl, shape=shape, batch=batch, output=FRESH, samples=samples, doc=doc
    )
    return prim


def _samples(dtype: str = "float64", low: float = -2.0, high: float = 2.0, **extra: Any) -> list:
    a = lambda s: Arg(s, dtype, low, high)  # noqa: E731
    return [
        Sample((a((3, 4)),), {"axes": (1,), "keepdims": False, **extra}),
        Sample((a((3, 4)),), {"axes": (0, 1), "keepdims": True, **extra}),
        Sample((a((2, 3, 4)),), {"axes": (0, 2), "keepdims": False, **extra}),
        Sample((a((5,)),), {"axes": (), "keepdims": False, **extra}),
    ]


REDUCTIONS = {
    "sum": _reduction("sum", _samples(), "Sum over ``axes``."),
    "prod": _reduction("prod", _samples(low=0.5, high=1.5), "Product over ``axes``."),
    "max": _reduction("max", _samples(), "Maximum over ``axes`` (NumPy's amax)."),
    "min": _reduction("min", _samples(), "Minimum over ``axes`` (NumPy's amin)."),
    "any": _reduction("any", _samples("bool"), "Logical or over ``axes``."),
    "all": _reduction("all", _samples("bool"), "Logical and over ``axes``."),
    "mean": _reduction("mean", _samples(), "Arithmetic mean over ``axes``."),
    "var": _reduction("var", _samples(ddof=1)[:3], "Variance over ``axes`` (``ddof`` param)."),
    "std": _reduction("std", _samples(ddof=0), "Standard deviation (``ddof`` param)."),
}


# ---------------------------------------------------------------------- argmax / argmin


def _arg_reduction(name: str) -> Primitive:
    def impl(xp: Any, x: Any, *, axis: int | None, keepdims: bool) -> Any:
        return getattr(xp, name)(x, axis=axis, keepdims=keepdims)

    def shape(x: ShapedArray, *, axis: int | None, keepdims: bool) -> ShapedArray:
        axes = tuple(range(x.ndim)) if axis is None else (axis,)
        return ShapedArray(_reduced_shape(x.shape, axes, keepdims), np.intp)

    def batch(
        axis_size: int, args: tuple, dims: tuple, *, axis: int | None, keepdims: bool
    ) -> tuple:
        x = moveaxis(args[0], dims[0], 0)
        if axis is not None:
            return prim.bind(x, axis=axis + 1, keepdims=keepdims), 0
        # Over the flattened example: flatten each example, then reduce its one axis.
        ndim = x.ndim - 1
        flat = reshape_p.bind(x, new_sizes=(axis_size, int(np.prod(x.shape[1:], dtype=int))))
        out = prim.bind(flat, axis=1, keepdims=False)
        if keepdims:
            out = reshape_p.bind(out, new_sizes=(axis_size,) + (1,) * ndim)
        return out, 0

    prim = declare(
        name,
        impl=impl,
        shape=shape,
        batch=batch,
        output=FRESH,
        samples=[
            Sample((Arg((3, 4)),), {"axis": 1, "keepdims": False}),
            Sample((Arg((3, 4)),), {"axis": 0, "keepdims": True}),
            Sample((Arg((2, 3)),), {"axis": None, "keepdims": False}),
            Sample((Arg((2, 3)),), {"axis": None, "keepdims": True}),
        ],
        doc=f"NumPy's {name}: the index of the extreme value along ``axis`` (None: flattened).",
    )
    return prim


argmax_p = _arg_reduction("argmax")
argmin_p = _arg_reduction("argmin")
