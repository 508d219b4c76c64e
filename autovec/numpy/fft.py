"""``autovec.numpy.fft``: NumPy's ``numpy.fft`` on values that may be batched or traced.

Outside any transformation every function here IS NumPy's.  On traced values each 1-D
transform binds the ``fft`` primitive (``autovec.prims.fft``), whose batching rule keeps the
batch axis in place and transforms the same axis of the whole stack; the 2-D and n-D
transforms are NumPy's own sequence of 1-D transforms (last axis first, and for the real
transforms the real axis where NumPy puts it), so results match NumPy's.  ``fftshift`` and
``ifftshift`` are rolls built from slices; ``fftfreq``/``rfftfreq`` are constants times
``1 / (n * d)`` (``d`` may be traced).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from autovec.numpy._convert import arr
from autovec.numpy._util import (
    concrete_int,
    implements,
    ndim,
    normalize_axis,
    reject_out,
    shape,
)
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import astype, concatenate
from autovec.numpy.ufuncs import UFUNCS
from autovec.prims.fft import fft_p

_NORMS = (None, "backward", "ortho", "forward")
# Kinds whose default n is the input length; the others (inverse real) default to 2 * (m - 1).
_N_IS_LENGTH = ("fft", "ifft", "rfft", "ihfft")


def _check_norm(norm: Any) -> None:
    if norm not in _NORMS:
        raise ValueError(f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".')


def _fft1(a: Any, kind: str, n: Any, axis: Any, norm: Any) -> Any:
    """One 1-D transform with NumPy's defaults resolved to concrete parameters."""
    a = arr(a)
    ax = normalize_axis(axis, ndim(a))
    if n is None:
        m = shape(a)[ax]
        n = m if kind in _N_IS_LENGTH else (m - 1) * 2
    n = concrete_int(n, f"fft.{kind} n")
    if n < 1:
        raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    _check_norm(norm)
    return fft_p.bind(a, kind=kind, n=n, axis=ax, norm=norm)


def _make_1d(kind: str) -> Any:
    np_func = getattr(np.fft, kind)

    @implements(np_func)
    def transform(a: Any, n: Any = None, axis: int = -1, norm: Any = None, out: Any = None) -> Any:
        reject_out(f"fft.{kind}", out)
        return _fft1(a, kind, n, axis, norm)

    transform.__doc__ = (
        f"NumPy's ``fft.{kind}``: the 1-D transform of length ``n`` along ``axis``; batched "
        f"as one call on the whole stack."
    )
    return transform


fft = _make_1d("fft")
ifft = _make_1d("ifft")
rfft = _make_1d("rfft")
irfft = _make_1d("irfft")
hfft = _make_1d("hfft")
ihfft = _make_1d("ihfft")


def _cook_nd(a: Any, s: Any, axes: Any, invreal: bool) -> tuple[list[int], list[int]]:
    """NumPy's resolution of ``s``/``axes`` for the n-D transforms (with its deprecation
    warnings): sizes per transformed axis, and the axes."""
    shapeless = s is None
    if s is None:
        s = list(shape(a)) if axes is None else [shape(a)[ax] for ax in axes]
    s = list(s)
    if axes is None:
        if not shapeless:
            warnings.warn(
                "`axes` should not be `None` if `s` is not `None` (Deprecated in NumPy 2.0). "
                "Pass a sequence [0, ..., k-1] to `axes` for an array of dimension k.",
                DeprecationWarning,
                stacklevel=4,
            )
        axes = list(range(-len(s), 0))
    axes = list(axes)
    if len(s) != len(axes):
        raise ValueError("Shape and axes have different lengths.")
    if invreal and shapeless:
        s[-1] = (shape(a)[axes[-1]] - 1) * 2
    if None in s:
        warnings.warn(
            "Passing an array containing `None` values to `s` is deprecated in NumPy 2.0; "
            "pass the value matching the default for its `n` parameter.",
            DeprecationWarning,
            stacklevel=4,
        )
    s = [shape(a)[ax] if n == -1 else n for n, ax in zip(s, axes)]
    return s, axes


def _make_nd(name: str, kind: str, default_axes: Any) -> Any:
    """fftn/ifftn/fft2/ifft2 (``kind`` fft or ifft) and rfftn/irfftn/rfft2/irfft2 (``kind``
    rfft or irfft: the real transform on the last axis, the complex one on the others)."""
    np_func = getattr(np.fft, name)
    real = kind in ("rfft", "irfft")
    inverse = kind in ("ifft", "irfft")
    complex_kind = "ifft" if inverse else "fft"

    @implements(np_func)
    def transform(a: Any, s: Any = None, axes: Any = default_axes, norm: Any = None, out=None):
        reject_out(f"fft.{name}", out)
        a = arr(a)
        sizes, axs = _cook_nd(a, s, axes, invreal=kind == "irfft")
        if not real:  # NumPy transforms the last axis first
            for i in reversed(range(len(axs))):
                a = _fft1(a, kind, sizes[i], axs[i], norm)
            return a
        if not inverse:  # rfftn: real transform on the last axis, then the others, last first
            a = _fft1(a, "rfft", sizes[-1], axs[-1], norm)
            for i in range(len(axs) - 2, -1, -1):
                a = _fft1(a, complex_kind, sizes[i], axs[i], norm)
            return a
        for i in range(len(axs) - 1):  # irfftn: the others, first first, then the real axis
            a = _fft1(a, complex_kind, sizes[i], axs[i], norm)
        return _fft1(a, "irfft", sizes[-1], axs[-1], norm)

    transform.__doc__ = (
        f"NumPy's ``fft.{name}``: 1-D ``{kind}`` transforms over ``axes`` in NumPy's order."
    )
    return transform


fftn = _make_nd("fftn", "fft", None)
ifftn = _make_nd("ifftn", "ifft", None)
fft2 = _make_nd("fft2", "fft", (-2, -1))
ifft2 = _make_nd("ifft2", "ifft", (-2, -1))
rfftn = _make_nd("rfftn", "rfft", None)
irfftn = _make_nd("irfftn", "irfft", None)
rfft2 = _make_nd("rfft2", "rfft", (-2, -1))
irfft2 = _make_nd("irfft2", "irfft", (-2, -1))


# ----------------------------------------------------------------------------- helpers


def _roll(x: Any, shifts: dict[int, int]) -> Any:
    """``numpy.roll`` by static shifts per axis, from two slices joined per axis."""
    for ax, k in shifts.items():
        size = shape(x)[ax]
        k = k % size if size else 0
        if k == 0:
            continue
        head = (slice(None),) * ax
        x = concatenate(
            [getitem(x, (*head, slice(size - k, None))), getitem(x, (*head, slice(0, size - k)))],
            axis=ax,
        )
    return x


def _shift(x: Any, axes: Any, sign: int) -> Any:
    x = arr(x)
    nd = ndim(x)
    if axes is None:
        if nd == 0:  # NumPy fails here too (a ValueError from inside roll)
            raise ValueError("fftshift/ifftshift of a 0-d array: there is no axis to shift")
        axes = tuple(range(nd))
    elif isinstance(axes, (int, np.integer)):
        axes = (axes,)
    shifts: dict[int, int] = {}
    for ax in axes:
        ax = normalize_axis(ax, nd)
        shifts[ax] = shifts.get(ax, 0) + sign * (shape(x)[ax] // 2)
    return _roll(x, shifts)


@implements(np.fft.fftshift)
def fftshift(x: Any, axes: Any = None) -> Any:
    """NumPy's ``fft.fftshift``: roll the zero frequency to the centre of ``axes``."""
    return _shift(x, axes, 1)


@implements(np.fft.ifftshift)
def ifftshift(x: Any, axes: Any = None) -> Any:
    """NumPy's ``fft.ifftshift``: the inverse of ``fftshift``."""
    return _shift(x, axes, -1)


def _freqs(ints: np.ndarray, n: int, d: Any) -> Any:
    val = UFUNCS["divide"](1.0, UFUNCS["multiply"](n, arr(d)))
    return UFUNCS["multiply"](ints, val)


@implements(np.fft.fftfreq, extra=("dtype",))
def fftfreq(n: int, d: Any = 1.0, device: Any = None, *, dtype: Any = None) -> Any:
    """NumPy's ``fft.fftfreq``: sample frequencies for a length-``n`` transform with sample
    spacing ``d`` (which may be traced; ``n`` must be concrete).  ``dtype`` (the array
    API's keyword): the result cast to it."""
    if dtype is not None:
        return astype(fftfreq(n, d, device), dtype)
    if not isinstance(n, (int, np.integer)):
        raise ValueError("n should be an integer")
    half = (n - 1) // 2 + 1
    ints = np.concatenate([np.arange(0, half), np.arange(-(n // 2), 0)]).astype(int)
    return _freqs(ints, n, d)


@implements(np.fft.rfftfreq, extra=("dtype",))
def rfftfreq(n: int, d: Any = 1.0, device: Any = None, *, dtype: Any = None) -> Any:
    """NumPy's ``fft.rfftfreq``: the non-negative sample frequencies of ``rfft`` (``dtype``
    as in ``fftfreq``)."""
    if dtype is not None:
        return astype(rfftfreq(n, d, device), dtype)
    if not isinstance(n, (int, np.integer)):
        raise ValueError("n should be an integer")
    return _freqs(np.arange(0, n // 2 + 1, dtype=int), n, d)


__all__ = [
    "fft",
    "ifft",
    "rfft",
    "irfft",
    "hfft",
    "ihfft",
    "fft2",
    "ifft2",
    "rfft2",
    "irfft2",
    "fftn",
    "ifftn",
    "rfftn",
    "irfftn",
    "fftfreq",
    "rfftfreq",
    "fftshift",
    "ifftshift",
]
