"""Discrete Fourier transforms: one primitive, ``fft``, a 1-D transform along one axis.

``kind`` names the NumPy routine (``fft``, ``ifft``, ``rfft``, ``irfft``, ``hfft``,
``ihfft``); ``n`` (always a concrete int: the numpy layer resolves NumPy's defaults), ``axis``
(non-negative) and ``norm`` are NumPy's arguments.  NumPy's n-D transforms are sequences of
these 1-D transforms (``autovec.numpy.fft`` composes them in NumPy's order), so one primitive
covers the whole module.

Batching leaves the batch axis where it is and shifts ``axis`` past it: pocketfft transforms
any axis of any stack, so a batch costs one call and no copy.
"""

from __future__ import annotations

from typing import Any

from autovec.core import ShapedArray
from autovec.prims.base import FRESH, Arg, Sample, declare, result_dtypes

KINDS = ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft")


def out_length(kind: str, n: int) -> int:
    """The transformed axis' length in the output: half-spectra are ``n // 2 + 1`` long."""
    return n // 2 + 1 if kind in ("rfft", "ihfft") else n


def _impl(xp: Any, x: Any, *, kind: str, n: int, axis: int, norm: str | None) -> Any:
    return getattr(xp.fft, kind)(x, n=n, axis=axis, norm=norm)


def _shape(x: ShapedArray, *, kind: str, n: int, axis: int, norm: str | None) -> ShapedArray:
    shape = list(x.shape)
    shape[axis] = out_length(kind, n)
    params = {"kind": kind, "n": n, "axis": axis, "norm": norm}
    return ShapedArray(tuple(shape), result_dtypes(_impl, (x,), params)[0])


def _batch(axis_size: int, args: tuple, dims: tuple, *, kind, n, axis, norm) -> tuple:
    (x,), (d,) = args, dims
    shifted = axis + (axis >= d)
    return fft_p.bind(x, kind=kind, n=n, axis=shifted, norm=norm), d


fft_p = declare(
    "fft",
    impl=_impl,
    shape=_shape,
    output=FRESH,
    batch=_batch,
    samples=[
        Sample((Arg((3, 8), "complex128"),), {"kind": "fft", "n": 8, "axis": 1, "norm": None}),
        Sample((Arg((5, 2)),), {"kind": "ifft", "n": 6, "axis": 0, "norm": "ortho"}),
        Sample((Arg((2, 7), "float32"),), {"kind": "rfft", "n": 7, "axis": 1, "norm": None}),
        Sample(
            (Arg((5, 3), "complex128"),), {"kind": "irfft", "n": 8, "axis": 0, "norm": "forward"}
        ),
        Sample((Arg((4,), "complex128"),), {"kind": "hfft", "n": 6, "axis": 0, "norm": None}),
        Sample((Arg((2, 6)),), {"kind": "ihfft", "n": 5, "axis": 1, "norm": "backward"}),
    ],
    doc="NumPy's 1-D ``numpy.fft.<kind>`` of length ``n`` along ``axis``.",
)

__all__ = ["fft_p", "KINDS", "out_length"]
