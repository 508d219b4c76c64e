"""Elementwise primitives: NumPy's numeric ufuncs, ``where`` and ``clip``.

Each is one line in a table below; the family supplies the impl (``xp.<name>``), the shape
rule (broadcast shapes, NumPy's own dtype resolution) and the batching rule (operands share
the batch axis; unbatched operands broadcast as they are, never materialised).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import numpy as np

from autovec.core import Primitive, ShapedArray
from autovec.prims.base import (
    FRESH,
    READ_ONLY_VIEW,
    VIEW,
    Arg,
    Sample,
    broadcast_shapes,
    declare,
    result_dtypes,
)
from autovec.prims.shape import expand_to_rank, moveaxis

_PY_SCALARS = (int, float, complex, bool)  # weak scalars: they broadcast against anything

# Set by autovec.vectorize while its arrays stand for the Python numbers of np.vectorize's
# loop: called as check(name, operands, result) after every elementwise computation (and by
# the split's merge with name "stack"), it raises where Python numbers would differ
# (integer overflow, ...).  None elsewhere: one ContextVar look-up per computation.
PYTHON_SCALAR_CHECK: ContextVar[Callable[[str, tuple, Any], None] | None] = ContextVar(
    "autovec_python_scalar_check", default=None
)


def align_batched(args: tuple, dims: tuple) -> tuple[list | tuple, int]:
    """Put the batch axis of broadcasting operands where NumPy's broadcasting lines them up.

    Returns the operands and the output batch axis.  When every batched operand already has
    the batch axis at the same place and full rank, and the unbatched ones only reach the axes
    after it, nothing moves (the common case costs nothing).  Otherwise batched operands get
    the batch axis in front and size-1 axes up to the full rank; unbatched operands are left
    alone (they broadcast against the trailing axes).
    """
    if len(args) == 2:  # fast path for binary operators: `x * y`, `x + 1`
        (a, b), (da, db) = args, dims
        if da is not None:
            if (db is None and type(b) in _PY_SCALARS) or (db == da and a.ndim == b.ndim):
                return args, da
        elif type(a) in _PY_SCALARS:
            return args, db
    ranks = [getattr(a, "ndim", 0) - (d is not None) for a, d in zip(args, dims)]
    rank = max(ranks)
    common = -1
    for r, d in zip(ranks, dims):
        if d is not None:
            if r != rank or (common != -1 and d != common):
                common = -2
                break
            common = d
    if common >= 0 and all(r <= rank - common for r, d in zip(ranks, dims) if d is None):
        return args, common
    out = [a if d is None else expand_to_rank(moveaxis(a, d, 0), rank) for a, d in zip(args, dims)]
    return out, 0


def _elementwise(
    name: str,
    nargs: int,
    samples: list,
    *,
    multiple_results: bool = False,
    doc: str = "",
    output: str = FRESH,
) -> Primitive:
    def impl(xp: Any, *args: Any, **params: Any) -> Any:
        check = PYTHON_SCALAR_CHECK.get()
        if check is not None:
            check(None, args, None)  # before the ufunc clears the floating-point flags
        out = getattr(xp, name)(*args, **params)
        if check is not None:
            check(name, args, out)
        return out

    def shape(*avals: ShapedArray, **params: Any) -> Any:
        out_shape = broadcast_shapes(*(a.shape for a in avals))
        # NumPy's functions return NumPy scalars (strong) even for Python-scalar inputs.
        weak = False
        dtypes = result_dtypes(impl, avals, params)
        outs = [ShapedArray(out_shape, dt, weak) for dt in dtypes]
        return outs if multiple_results else outs[0]

    def batch(axis_size: int, args: tuple, dims: tuple, **params: Any) -> Any:
        args, out_dim = align_batched(args, dims)
        out = prim.bind(*args, **params)
        return (out, [out_dim] * len(out)) if multiple_results else (out, out_dim)

    prim = declare(
        name,
        impl=impl,
        shape=shape,
        batch=batch,
        output=output,  # a ufunc allocates its result
        samples=samples,
        multiple_results=multiple_results,
        doc=doc or f"NumPy's {name}, elementwise.",
        xp_function=name,
    )
    assert nargs >= 1
    return prim


# Sample sets: argument domains chosen so that every value is valid (no NaN warnings).
def _unary(low: float = -2.0, high: float = 2.0, dtype: str = "float64") -> list:
    return [
        Sample((Arg((3,), dtype, low, high),)),
        Sample((Arg((2, 3), dtype, low, high),)),
        Sample((Arg((), dtype, low, high),)),
    ]


def _binary(
    dtype: str = "float64",
    low: float = -2.0,
    high: float = 2.0,
    dtype2: str | None = None,
    low2: float | None = None,
    high2: float | None = None,
) -> list:
    a = lambda s: Arg(s, dtype, low, high)  # noqa: E731
    b = lambda s: Arg(
        s,
        dtype2 or dtype,
        low if low2 is None else low2,  # noqa: E731
        high if high2 is None else high2,
    )
    return [
        Sample((a((3,)), b((3,)))),
        Sample((a((2, 3)), b((3,)))),
        Sample((a(()), b((2, 1)))),
        Sample((a((2, 1, 3)), b((4, 1)))),
    ]


_INT = dict(dtype="int64", low=-20, high=20)
_UNARY: dict[str, list] = {
    **{
        n: _unary()
        for n in (
            "negative",
            "positive",
            "absolute",
            "fabs",
            "sign",
            "exp",
            "exp2",
            "expm1",
            "sin",
            "cos",
            "tan",
            "arctan",
            "sinh",
            "cosh",
            "tanh",
            "arcsinh",
            "floor",
            "ceil",
            "trunc",
            "rint",
            "square",
            "cbrt",
            "reciprocal",
            "deg2rad",
            "rad2deg",
            "degrees",
            "radians",
            "isnan",
            "isinf",
            "isfinite",
            "signbit",
            "spacing",
            "conjugate",
            "logical_not",
            "real",
            "imag",
        )
    },
    **{n: _unary(0.1, 3.0) for n in ("log", "log2", "log10", "log1p", "sqrt")},
    **{n: _unary(-0.9, 0.9) for n in ("arcsin", "arccos", "arctanh")},
    "arccosh": _unary(1.1, 3.0),
    "invert": _unary(**_INT),
    "bitwise_count": _unary(**_INT),
}
_BINARY: dict[str, list] = {
    **{
        n: _binary()
        for n in (
            "add",
            "subtract",
            "multiply",
            "divide",
            "maximum",
            "minimum",
            "fmax",
            "fmin",
            "arctan2",
            "hypot",
            "copysign",
            "nextafter",
            "logaddexp",
            "logaddexp2",
            "heaviside",
            "equal",
            "not_equal",
            "less",
            "less_equal",
            "greater",
            "greater_equal",
            "logical_and",
            "logical_or",
            "logical_xor",
        )
    },
    **{n: _binary(low=0.5, high=3.0) for n in ("floor_divide", "remainder", "fmod")},
    "power": _binary(low=0.1, high=2.0),
    "float_power": _binary(low=0.1, high=2.0),
    "ldexp": _binary(dtype2="int64", low2=-3, high2=3),
    **{n: _binary(**_INT) for n in ("gcd", "lcm", "bitwise_and", "bitwise_or", "bitwise_xor")},
    **{n: _binary(**_INT, low2=0, high2=5) for n in ("left_shift", "right_shift")},
}
_MULTI: dict[str, tuple[int, list]] = {
    "divmod": (2, _binary(low=0.5, high=3.0)),
    "modf": (1, _unary()),
    "frexp": (1, _unary()),
}

# The two that are not ufuncs and do not allocate: np.real gives the input itself (real
# dtype) or a view of its real part; np.imag of a real array is a read-only array of zeros.
_NOT_FRESH = {"real": VIEW, "imag": READ_ONLY_VIEW}

UNARY = {
    name: _elementwise(name, 1, s, output=_NOT_FRESH.get(name, FRESH)) for name, s in _UNARY.items()
}
BINARY = {name: _elementwise(name, 2, s) for name, s in _BINARY.items()}
MULTI = {name: _elementwise(name, n, s, multiple_results=True) for name, (n, s) in _MULTI.items()}

where_p = _elementwise(
    "where",
    3,
    [
        Sample((Arg((3,), "bool"), Arg((3,)), Arg((3,)))),
        Sample((Arg((2, 3), "bool"), Arg((3,)), Arg(()))),
        Sample((Arg((), "bool"), Arg((2, 1)), Arg((3,)))),
    ],
    doc="``where(cond, x, y)``: x where cond is true, else y (NumPy's where, 3 arguments).",
)
clip_p = _elementwise(
    "clip",
    3,
    [
        Sample((Arg((4,)), Arg(()), Arg((), low=0.5, high=1.0))),
        Sample((Arg((2, 3)), Arg((3,), low=-1, high=0), Arg((2, 1), low=0, high=1))),
    ],
    doc="NumPy's clip(a, a_min, a_max).",
)


def _complex_impl(xp: Any, re: Any, im: Any, *, dtype: Any) -> Any:
    """A complex array from its parts, each part exactly as given: ``re + 1j * im`` would
    turn an infinite or NaN ``im`` into a NaN real part (``0 * inf``) and ``-0.0`` into
    ``+0.0``."""
    if xp is np:
        out = np.empty(broadcast_shapes(np.shape(re), np.shape(im)), dtype)
        out.real = re
        out.imag = im
        return out
    return xp.astype(xp.add(re, xp.multiply(1j, im)), dtype)  # other libraries: finite parts


def _complex_batch(axis_size: int, args: tuple, dims: tuple, *, dtype: Any) -> Any:
    args, out_dim = align_batched(args, dims)
    return complex_p.bind(*args, dtype=dtype), out_dim


complex_p = declare(
    "complex",
    impl=_complex_impl,
    shape=lambda re, im, *, dtype: ShapedArray(broadcast_shapes(re.shape, im.shape), dtype),
    batch=_complex_batch,
    output=FRESH,
    samples=[
        Sample((Arg((3,)), Arg((3,))), {"dtype": np.dtype(np.complex128)}),
        Sample((Arg((2, 3), "float32"), Arg((3,), "float32")), {"dtype": np.dtype(np.complex64)}),
    ],
    doc="A complex array of ``dtype`` from its real and imaginary parts, each kept exactly.",
)
