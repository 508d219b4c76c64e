"""``choose``: per element, pick from one of several arrays (NumPy's ``choose``).

Everything else that reads with batched indices (``take``, ``take_along_axis``,
``diagonal``) is the ``index`` primitive of ``prims/shape.py``; ``choose`` is its own
primitive because its index picks an *operand*, and NumPy's out-of-range rule for it
(``mode='raise'`` rejects negative entries too) is not integer indexing's.
"""

from __future__ import annotations

from typing import Any

from autovec.core import ShapedArray
from autovec.prims.base import FRESH, Arg, Sample, broadcast_shapes, declare, result_dtypes
from autovec.prims.elementwise import align_batched


def _choose_impl(xp: Any, a: Any, *choices: Any, mode: str) -> Any:
    return xp.choose(a, choices, mode=mode)


def _choose_shape(a: ShapedArray, *choices: ShapedArray, mode: str) -> ShapedArray:
    dtype = result_dtypes(_choose_impl, (a, *choices), {"mode": mode})[0]
    return ShapedArray(broadcast_shapes(a.shape, *(c.shape for c in choices)), dtype)


def _choose_batch(axis_size: int, args: tuple, dims: tuple, *, mode: str):
    # The index and the choices broadcast together like an elementwise operation's operands.
    args, out_dim = align_batched(args, dims)
    return choose_p.bind(*args, mode=mode), out_dim


choose_p = declare(
    "choose",
    impl=_choose_impl,
    shape=_choose_shape,
    output=FRESH,
    batch=_choose_batch,
    samples=[
        Sample((Arg((4,), "int64", 0, 3), Arg((4,)), Arg((4,)), Arg(())), {"mode": "raise"}),
        Sample(
            (Arg((2, 3), "int64", 0, 2), Arg((3,), "int32", -5, 5), Arg((2, 1))), {"mode": "raise"}
        ),
        Sample((Arg((3,), "int64", -4, 6), Arg((3,)), Arg((3,))), {"mode": "wrap"}),
        Sample((Arg((3,), "int64", -4, 6), Arg((2, 3)), Arg((3,))), {"mode": "clip"}),
    ],
    doc="NumPy's ``choose(a, choices, mode)``: ``choices[a[i]][i]``, all operands broadcast.",
)
