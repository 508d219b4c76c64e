"""Special functions that NumPy evaluates with its own series: ``i0`` (the modified Bessel
function of the first kind, order 0).

Written as a composition of ufuncs, ``i0`` would be some sixty primitives (two Chebyshev
series); as one elementwise primitive it is NumPy's own routine, bit for bit, and batches like
any elementwise operation: the batch axis stays where it is.
"""

from __future__ import annotations

from typing import Any

from autovec.core import ShapedArray
from autovec.prims.base import FRESH, Arg, Sample, declare, result_dtypes


def _i0_impl(xp: Any, x: Any) -> Any:
    return xp.i0(x)


i0_p = declare(
    "i0",
    impl=_i0_impl,
    shape=lambda x: ShapedArray(x.shape, result_dtypes(_i0_impl, (x,), {})[0]),
    output=FRESH,
    batch=lambda n, args, dims: (i0_p.bind(args[0]), dims[0]),
    samples=[
        Sample((Arg((5,), low=-12.0, high=12.0),)),
        Sample((Arg((2, 3), "float32", -3, 3),)),
        Sample((Arg((), "int64", -9, 9),)),
    ],
    doc="NumPy's ``i0``, elementwise (real input; integers give float64).",
)
