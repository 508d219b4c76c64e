"""Reductions: ``sum``, ``prod``, ``max``, ``min``, ``any``, ``all``, ``mean``, ``var``,
``std`` over a tuple of axes, and ``argmax``/``argmin`` over one axis or the flattened array.

Batching moves the batch axis to the front and shifts ``axis`` past it, so each example is
reduced over exactly its own axes.  For sums (and the means and variances built on them) the
memory layout matters too: NumPy sums pairwise only along the axis it iterates innermost, so a
batch axis lying inside an example in memory (``in_axes=-1``, Fortran order) would turn each
example's pairwise sum into a running sum, far less accurate than the loop's.
``example_layout`` lays such a batch out example by example first.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autovec.backends import numpy_dtype
from autovec.core import Primitive, ShapedArray
from autovec.prims.base import FRESH, VIEW, Arg, Sample, declare, result_dtypes
from autovec.prims.shape import moveaxis, reshape_p


def _reduced_shape(shape: tuple, axes: tuple, keepdims: bool) -> tuple:
    if keepdims:
        return tuple(1 if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _reduction(name: str, samples: list, doc: str) -> Primitive:
    def impl(xp: Any, x: Any, *, axes: tuple, keepdims: bool, **params: Any) -> Any:
        if type(x) is np.ndarray:  # ndarray's method: NumPy's function without its wrapper
            return getattr(x, name)(axis=axes, keepdims=keepdims, **params)
        return getattr(xp, name)(x, axis=axes, keepdims=keepdims, **params)

    def shape(x: ShapedArray, *, axes: tuple, keepdims: bool, **params: Any) -> ShapedArray:
        dtype = result_dtypes(impl, (x,), dict(params, axes=axes, keepdims=keepdims))[0]
        return ShapedArray(_reduced_shape(x.shape, axes, keepdims), dtype)

    def batch(
        axis_size: int, args: tuple, dims: tuple, *, axes: tuple, keepdims: bool, **params: Any
    ) -> tuple:
        x = moveaxis(args[0], dims[0], 0)
        axes = tuple(a + 1 for a in axes)
        if name in _SUMMING and _sums_inexact(name, x, params):
            x = example_layout(x, (0,), axes)
        out = prim.bind(x, axes=axes, keepdims=keepdims, **params)
        return out, 0

    prim = declare(
        name, impl=impl, shape=shape, batch=batch, output=FRESH, samples=samples, doc=doc
    )
    return prim


# Reductions that add (NumPy sums them pairwise along the innermost axis it iterates).
_SUMMING = frozenset({"sum", "mean", "var", "std"})


def _sums_inexact(name: str, x: Any, params: dict) -> bool:
    """Whether the reduction rounds as it adds (then the order of additions shows): float
    and complex sums, and the means and variances of integers and booleans, which NumPy
    sums in float64."""
    dtype = params.get("dtype")
    if dtype is None and name != "sum":
        return True
    return numpy_dtype(x.dtype if dtype is None else dtype).kind in "fc"


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


# ------------------------------------------------------------------------ example_layout

# NumPy's pairwise sum adds fewer than 8 numbers one after another: no layout helps those.
_PAIRWISE_MIN = 8


def _too_short(summed: int, dtype: Any) -> bool:
    """Whether ``summed`` numbers per output add up the same whatever the layout: fewer than
    8 are added one after another.  NumPy counts a complex number's two parts (4 complex
    numbers already take the pairwise path), and float16 always differs: NumPy adds an
    innermost run in float32 and rounds once, other axes in float16 step by step."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:  # another library's dtype: it chooses its own summation order
        return summed < _PAIRWISE_MIN
    parts = 2 if dtype.kind == "c" else 1
    return summed * parts < _PAIRWISE_MIN and dtype != np.float16


def _example_layout_impl(xp: Any, x: Any, *, batch_axes: tuple, axes: tuple) -> Any:
    """``x`` itself, or a copy holding the same values with the batch axes outermost in
    memory and each example's axes in their own memory order: the layout in which NumPy
    reduces ``axes`` of every example as it would reduce that example alone.  A copy is made
    only where it changes the result: inexact values, at least 8 numbers summed per output,
    an innermost example axis that is reduced, and a batch axis lying inside an example."""
    # Integers and booleans too: their means and variances are float64 sums (an exact sum
    # of integers is never given this equation, reductions._sums_inexact).
    if type(x) is not np.ndarray or x.dtype.kind not in "fciub":
        return x  # other array libraries choose their own summation order
    if x.flags.c_contiguous and batch_axes == tuple(range(len(batch_axes))):
        return x  # the common case: examples one after another in memory
    shape, strides = x.shape, x.strides
    if _too_short(math.prod([shape[a] for a in axes]), x.dtype):
        return x
    example = [a for a in range(x.ndim) if a not in batch_axes and shape[a] > 1]
    batch = [a for a in batch_axes if shape[a] > 1]
    if not example or not batch:
        return x
    innermost = min(example, key=lambda a: abs(strides[a]))
    if innermost not in axes:
        return x  # the loop adds these with a running sum too: same order, same result
    extent = max(abs(strides[a]) * shape[a] for a in example)
    if min(abs(strides[a]) for a in batch) >= extent:
        return x  # every example lies within one step of the batch axes: already per example
    outer_first = sorted(example, key=lambda a: -abs(strides[a]))
    perm = (
        *batch_axes,
        *outer_first,
        *(a for a in range(x.ndim) if a not in batch_axes and a not in outer_first),
    )
    packed = np.ascontiguousarray(np.transpose(x, perm))
    return np.transpose(packed, np.argsort(perm))


def _example_layout_batch(axis_size: int, args: tuple, dims: tuple, *, batch_axes, axes):
    x = moveaxis(args[0], dims[0], 0)
    shift = lambda t: tuple(a + 1 for a in t)  # noqa: E731
    out = example_layout_p.bind(x, batch_axes=(0, *shift(batch_axes)), axes=shift(axes))
    return out, 0


example_layout_p = declare(
    "example_layout",
    impl=_example_layout_impl,
    shape=lambda x, *, batch_axes, axes: ShapedArray(x.shape, x.dtype),
    output=VIEW,  # x itself where its layout already serves (never dropped: no noop)
    batch=_example_layout_batch,
    samples=[
        Sample((Arg((3, 10, 4)),), {"batch_axes": (0,), "axes": (1,)}),
        Sample((Arg((2, 3, 9)),), {"batch_axes": (0, 1), "axes": (2,)}),
    ],
    doc=(
        "``x``'s values, laid out so that NumPy reduces ``axes`` of each example (the other "
        "axes than ``batch_axes``) in the order it would use for that example alone: the "
        "batch axes outermost in memory.  Returns ``x`` itself where its layout already does."
    ),
)


def example_layout(x: Any, batch_axes: tuple, axes: tuple) -> Any:
    """``example_layout_p`` on ``x``: computed at once on a NumPy array (eager vmap), bound
    otherwise, so that under jit the layout is chosen when the program runs."""
    if type(x) is np.ndarray:
        return _example_layout_impl(np, x, batch_axes=batch_axes, axes=axes)
    shape = x.shape
    if _too_short(math.prod(shape[a] for a in axes), x.dtype) or all(
        shape[a] < 2 for a in batch_axes
    ):
        return x  # known from the shapes alone: no layout changes the sums
    return example_layout_p.bind(x, batch_axes=batch_axes, axes=axes)
