"""``bincount`` with a static length: counts (or summed weights) of each value ``0..length-1``
in every lane of the last axis.

NumPy's ``bincount`` is 1-d and its result is as long as the largest value needs, which
depends on the data.  Here ``length`` is a parameter, and leading axes are independent lanes:
the impl shifts lane ``i``'s values by ``i * length`` and makes ONE NumPy ``bincount`` call
over the whole block, so the batching rule only has to put the batch axis in front.  A value
outside ``[0, length)`` would land in another lane's bins, so the impl checks the range and
raises a clear error instead of counting it there.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import ShapedArray
from autovec.prims.base import FRESH, Arg, Sample, declare
from autovec.prims.shape import bdim_to_front


def _bincount_impl(xp: Any, x: Any, *weights: Any, length: int) -> Any:
    lead = tuple(x.shape[:-1])
    if math.prod(x.shape):  # (torch: x.size is a method)
        low, high = int(xp.min(x)), int(xp.max(x))
        if low < 0:
            raise ValueError("bincount: 'x' must have no negative elements")
        if high >= length:
            raise errors.DataDependentShapeError(
                f"bincount: the value {high} does not fit in minlength={length} bins. Inside "
                f"vmap/jit the number of bins must be the same for every example, so it is "
                f"minlength, and every value must be below it: pass a larger minlength "
                f"(at least max + 1 over all examples)."
            )
    lanes = int(np.prod(lead, dtype=np.int64))
    flat = xp.asarray(xp.reshape(x, (lanes, x.shape[-1])), dtype=np.intp)  # no copy if intp
    if lanes != 1:
        flat = flat + xp.reshape(xp.arange(lanes, dtype=np.intp) * length, (lanes, 1))
    w = None if not weights else xp.reshape(weights[0], (-1,))
    out = xp.bincount(xp.reshape(flat, (-1,)), weights=w, minlength=lanes * length)
    if w is not None and out.dtype != np.float64:
        out = xp.astype(out, np.float64)  # NumPy gives intp for an empty block even with weights
    return xp.reshape(out, (*lead, length))


def _bincount_shape(x: ShapedArray, *weights: ShapedArray, length: int) -> ShapedArray:
    if weights and weights[0].shape != x.shape:
        raise ValueError("bincount: weights must have the shape of x")
    dtype = np.float64 if weights else np.intp
    return ShapedArray((*x.shape[:-1], length), dtype)


def _bincount_batch(axis_size: int, args: tuple, dims: tuple, *, length: int) -> tuple:
    # Each example is one more lane: batch axis in front (an unbatched operand is broadcast).
    moved = [bdim_to_front(a, d, axis_size) for a, d in zip(args, dims)]
    return bincount_p.bind(*moved, length=length), 0


bincount_p = declare(
    "bincount",
    impl=_bincount_impl,
    shape=_bincount_shape,
    output=FRESH,
    batch=_bincount_batch,
    samples=[
        Sample((Arg((7,), "int64", 0, 5),), {"length": 5}),
        Sample((Arg((2, 6), "int64", 0, 3),), {"length": 4}),
        Sample((Arg((6,), "int64", 0, 4), Arg((6,))), {"length": 4}),
        Sample((Arg((5,), "bool"), Arg((5,), "int64", -3, 3)), {"length": 2}),
        Sample((Arg((0,), "int64", 0, 2),), {"length": 3}),
    ],
    doc=(
        "NumPy's ``bincount(x, weights, minlength=length)`` of each lane of ``x``'s last axis, "
        "with exactly ``length`` bins (every value must be in ``[0, length)``)."
    ),
)
