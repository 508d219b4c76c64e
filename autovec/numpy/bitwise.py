"""Bit packing (NumPy's bit-wise operations that are not ufuncs): ``packbits`` and
``unpackbits``, as shifts, masks and sums over groups of 8."""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec.numpy._convert import arr
from autovec.numpy._util import concrete_int, implements, ndim, normalize_axis, shape
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import astype, concatenate, expand_dims, moveaxis, ravel, reshape
from autovec.numpy.reductions import sum as _sum
from autovec.numpy.ufuncs import UFUNCS

u = UFUNCS


def _check_int_or_bool(x: Any, fname: str) -> None:
    if not (np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_):
        raise TypeError(
            "Expected an input array of integer or boolean data type"
            if fname == "packbits"
            else "Expected an input array of unsigned byte data type"
        )


def _bit_weights(bitorder: str) -> np.ndarray:
    if bitorder not in ("big", "little"):
        raise ValueError("'order' must be either 'little' or 'big'")
    shifts = np.arange(8, dtype=np.uint8)
    return shifts[::-1].copy() if bitorder == "big" else shifts


@implements(np.packbits)
def packbits(a: Any, /, axis: Any = None, bitorder: str = "big") -> Any:
    """NumPy's ``packbits``: each group of 8 elements along ``axis`` (all elements,
    flattened, when ``axis`` is None) becomes one ``uint8``, a nonzero element a 1 bit; the
    last group is padded with zeros; ``bitorder`` 'big' puts the first element in the
    highest bit."""
    x = arr(a)
    _check_int_or_bool(x, "packbits")
    shifts = _bit_weights(bitorder)
    if axis is None:
        x, ax = ravel(x), 0
    else:
        ax = normalize_axis(axis, ndim(x))
    x = moveaxis(u["not_equal"](x, 0), ax, -1)
    length = shape(x)[-1]
    groups = -(-length // 8)
    pad = groups * 8 - length
    if pad:
        x = concatenate((x, np.zeros(shape(x)[:-1] + (pad,), bool)), axis=-1)
    bits = reshape(astype(x, np.uint8), shape(x)[:-1] + (groups, 8))
    packed = _sum(u["left_shift"](bits, shifts), axis=-1, dtype=np.uint8)
    return moveaxis(packed, -1, ax)


@implements(np.unpackbits)
def unpackbits(a: Any, /, axis: Any = None, count: Any = None, bitorder: str = "big") -> Any:
    """NumPy's ``unpackbits``: each ``uint8`` along ``axis`` (flattened when None) becomes
    8 elements, 0 or 1; ``count`` keeps the first ``count`` bits (padding with zeros when
    larger; a negative count drops bits from the end); ``count`` must be static."""
    x = arr(a)
    if x.dtype != np.uint8:
        raise TypeError("Expected an input array of unsigned byte data type")
    shifts = _bit_weights(bitorder)
    if axis is None:
        x, ax = ravel(x), 0
    else:
        ax = normalize_axis(axis, ndim(x))
    x = moveaxis(x, ax, -1)
    bits = u["bitwise_and"](u["right_shift"](expand_dims(x, -1), shifts), np.uint8(1))
    lead = shape(x)[:-1]
    total = shape(x)[-1] * 8
    bits = reshape(bits, lead + (total,))
    if count is not None:
        c = concrete_int(count, "unpackbits: count")
        keep = max(c if c >= 0 else total + c, 0)
        if keep <= total:
            bits = getitem(bits, (Ellipsis, slice(0, keep)))
        else:
            bits = concatenate((bits, np.zeros(lead + (keep - total,), np.uint8)), axis=-1)
    return moveaxis(bits, -1, ax)


__all__ = [
    "packbits",
    "unpackbits",
]
