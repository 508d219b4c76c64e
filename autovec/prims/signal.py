"""1-D ``convolve`` and ``correlate``.

Eagerly they are NumPy's own routines (bit-for-bit NumPy).  Batched, there is no stacked
NumPy routine, so the rule writes the convolution as a sum over the shorter operand's taps of
shifted slices times one tap: a few whole-batch array operations, BLAS-free but vectorised.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec.backends import numpy_dtype
from autovec.core import ShapedArray
from autovec.prims.base import FRESH, Arg, Sample, declare
from autovec.prims.elementwise import BINARY, UNARY
from autovec.prims.shape import (
    broadcast_batch,
    concatenate_p,
    convert_element_type_p,
    expand_dims_p,
    flip_p,
    getitem_p,
    moveaxis,
    reshape_p,
)

_MODES = ("full", "same", "valid")
_ALL = (None, None, None)  # the slice ':'


def _out_range(n: int, m: int, mode: str) -> tuple[int, int]:
    """The slice of the full convolution (length n + m - 1) that ``mode`` keeps."""
    full = n + m - 1
    if mode == "full":
        return 0, full
    if mode == "same":
        length = max(n, m)
        start = (full - length) // 2
        return start, start + length
    length = max(n, m) - min(n, m) + 1
    start = min(n, m) - 1
    return start, start + length


def _conv_shape(a: ShapedArray, v: ShapedArray, *, mode: str) -> ShapedArray:
    lo, hi = _out_range(a.shape[0], v.shape[0], mode)
    return ShapedArray((hi - lo,), np.result_type(a.dtype, v.dtype))


def _rows_as_one(axis_size: int, a: Any, v: Any, vd: int | None, mode: str) -> Any:
    """Batched ``convolve(a, v, mode)`` where exactly one operand is batched: ONE 1-D
    convolution of the batched rows laid end to end, each followed by ``len(shared) - 1``
    zeros, so that no output reaches into the next row.  NumPy's own loop runs over the whole
    batch in cache, several times faster than whole-batch shifted slices."""
    lo, hi = _out_range(a.shape[-1], v.shape[-1], mode)
    x, w = (a, v) if vd is None else (v, a)  # x: the batched rows (B, n); w: shared (m,)
    seg = x.shape[-1] + w.shape[-1] - 1
    if w.shape[-1] > 1:
        gap = broadcast_batch(np.zeros(w.shape[-1] - 1, dtype=numpy_dtype(x.dtype)), axis_size)
        x = concatenate_p.bind(x, gap, axis=1)
    flat = reshape_p.bind(x, new_sizes=(axis_size * seg,))
    full = getitem_p.bind(
        convolve_p.bind(flat, w, mode="full"), index=((0, axis_size * seg, None),)
    )
    rows = reshape_p.bind(full, new_sizes=(axis_size, seg))
    return getitem_p.bind(rows, index=(_ALL, (lo, hi, None)))


def _shifted_sum(axis_size: int, a: Any, v: Any, ad: int | None, vd: int | None, mode: str) -> Any:
    """Batched ``convolve(a, v, mode)`` with both operands front-batched or unbatched."""
    n, m = a.shape[-1], v.shape[-1]
    if (ad is None) != (vd is None) and axis_size > 0 and n > 0 and m > 0:
        return _rows_as_one(axis_size, a, v, vd, mode)
    if m > n:  # convolution commutes; loop over the shorter operand's taps
        a, v, ad, vd, n, m = v, a, vd, ad, m, n
    lo, hi = _out_range(n, m, mode)
    half = np.result_type(numpy_dtype(a.dtype), numpy_dtype(v.dtype)) == np.float16
    if half:  # NumPy sums float16 products in float32 and rounds once (its dot loop)
        a = convert_element_type_p.bind(a, dtype=np.dtype(np.float32))
        v = convert_element_type_p.bind(v, dtype=np.dtype(np.float32))
    # full[i] = sum_k v[k] * a[i - k]; zero-pad a so every slice is in range.
    if lo < m - 1 or hi > n:
        zeros = np.zeros(m - 1, dtype=numpy_dtype(a.dtype))
        if ad is not None:
            zeros = broadcast_batch(zeros, axis_size)
        a = concatenate_p.bind(zeros, a, zeros, axis=a.ndim - 1)
        shift = m - 1
    else:
        shift = 0
    total = None
    for k in range(m):
        start = lo - k + shift
        seg = getitem_p.bind(a, index=(_ALL,) * (a.ndim - 1) + ((start, start + hi - lo, None),))
        tap = getitem_p.bind(v, index=(_ALL,) * (v.ndim - 1) + (k,))
        if vd is not None:
            tap = expand_dims_p.bind(tap, axes=(1,))
        term = BINARY["multiply"].bind(seg, tap)
        total = term if total is None else BINARY["add"].bind(total, term)
    if numpy_dtype(total.dtype).kind in "fc":
        # NumPy sums each output's products from +0.0 (its dot loop, BLAS): products that
        # are all -0.0 give +0.0 there; adding +0.0 changes no other number.
        total = BINARY["add"].bind(total, 0.0)
    if half:
        total = convert_element_type_p.bind(total, dtype=np.dtype(np.float16))
    return total


def _conv_batch(axis_size: int, args: tuple, dims: tuple, *, mode: str) -> tuple:
    (a, v), (ad, vd) = args, dims
    a = a if ad is None else moveaxis(a, ad, 0)
    v = v if vd is None else moveaxis(v, vd, 0)
    return _shifted_sum(axis_size, a, v, ad, vd, mode), 0


def _samples() -> list:
    return (
        [Sample((Arg((6,)), Arg((3,))), {"mode": mode}) for mode in _MODES]
        + [Sample((Arg((3,)), Arg((5,))), {"mode": mode}) for mode in _MODES]
        + [Sample((Arg((5,), "int64", -9, 9), Arg((2,), "int64", -9, 9)), {"mode": "full"})]
    )


convolve_p = declare(
    "convolve",
    impl=lambda xp, a, v, *, mode: xp.convolve(a, v, mode=mode),
    shape=_conv_shape,
    output=FRESH,
    batch=_conv_batch,
    samples=_samples(),
    doc="NumPy's 1-D convolve(a, v, mode).",
)


def _corr_batch(axis_size: int, args: tuple, dims: tuple, *, mode: str) -> tuple:
    (a, v), (ad, vd) = args, dims
    a = a if ad is None else moveaxis(a, ad, 0)
    v = v if vd is None else moveaxis(v, vd, 0)
    conj = UNARY["conjugate"]
    if v.shape[-1] > a.shape[-1]:
        # NumPy conjugates v, then swaps the operands and reverses the sums: correlate(a, v)
        # is the reversed convolve(conj(v), a[::-1]).  (Conjugating after the sums instead
        # would give each zero imaginary part the other sign.)
        out = _shifted_sum(
            axis_size, conj.bind(v), flip_p.bind(a, axes=(a.ndim - 1,)), vd, ad, mode
        )
        return flip_p.bind(out, axes=(out.ndim - 1,)), 0
    # correlate(a, v) == convolve(a, conj(v)[::-1]).
    return _shifted_sum(
        axis_size, a, flip_p.bind(conj.bind(v), axes=(v.ndim - 1,)), ad, vd, mode
    ), 0


correlate_p = declare(
    "correlate",
    impl=lambda xp, a, v, *, mode: xp.correlate(a, v, mode=mode),
    shape=_conv_shape,
    output=FRESH,
    batch=_corr_batch,
    samples=_samples(),
    doc="NumPy's 1-D correlate(a, v, mode).",
)
