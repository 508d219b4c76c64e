"""NumPy's numeric ufuncs (and their aliases), ``where``, ``clip`` and friends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import Primitive, Tracer
from autovec.numpy._convert import arr
from autovec.numpy._util import is_traced
from autovec.prims.elementwise import BINARY, MULTI, UNARY, clip_p, where_p


def _make(name: str, prim: Primitive, nin: int) -> Callable[..., Any]:
    np_ufunc = getattr(np, name)

    def ufunc(*args: Any, out: Any = None, dtype: Any = None, **kwargs: Any) -> Any:
        if len(args) != nin:
            raise TypeError(f"{name}() takes {nin} positional argument(s), got {len(args)}")
        if out is not None or kwargs:
            if not is_traced(*args, out):
                return np_ufunc(*args, out=out, dtype=dtype, **kwargs)
            if out is not None and not is_traced(*(out if isinstance(out, tuple) else (out,))):
                # Writing into a plain ndarray (``buf += x``, ``np.add(a, x, out=buf)``):
                # NumPy needs the value now, as for ``buf[i] = x``: under eager vmap the
                # batch continues per value, as the loop would; elsewhere a specific error.
                args = tuple(a.__array__() if isinstance(a, Tracer) else a for a in args)
                return np_ufunc(*args, out=out, dtype=dtype, **kwargs)
            raise errors.UnsupportedOperationError(
                f"autovec.numpy.{name}: out=, where= and the other ufunc keywords "
                f"({', '.join(['out'] * (out is not None) + list(kwargs))}) are not supported "
                f"inside vmap/jit; use the return value (and autovec.numpy.where for masking)."
            )
        if dtype is None:
            return prim.bind(*map(arr, args))
        return prim.bind(*map(arr, args), dtype=np.dtype(dtype))

    ufunc.__name__ = ufunc.__qualname__ = name
    ufunc.prim = prim  # type: ignore[attr-defined]
    ufunc.__doc__ = (
        f"NumPy's ``{name}`` ufunc, elementwise; batched by broadcasting.\n\n"
        f"Same signature and semantics as ``numpy.{name}``."
    )
    return ufunc


UFUNCS: dict[str, Callable[..., Any]] = {}


def _ufunc(name: str) -> Callable[..., Any]:
    """NumPy's ufunc ``name`` on its primitive, registered in ``UFUNCS`` (which
    ``__array_ufunc__`` and the operators read)."""
    if name in UNARY:
        prim, nin = UNARY[name], 1
    elif name in BINARY:
        prim, nin = BINARY[name], 2
    else:
        prim, nin = MULTI[name], 2 if name == "divmod" else 1
    UFUNCS[name] = _make(name, prim, nin)
    return UFUNCS[name]


# One line each, so that IDEs and type checkers see every name (tests/test_exports.py checks
# the lines against the primitives' tables).
negative = _ufunc("negative")
positive = _ufunc("positive")
absolute = _ufunc("absolute")
fabs = _ufunc("fabs")
sign = _ufunc("sign")
exp = _ufunc("exp")
exp2 = _ufunc("exp2")
expm1 = _ufunc("expm1")
sin = _ufunc("sin")
cos = _ufunc("cos")
tan = _ufunc("tan")
arctan = _ufunc("arctan")
sinh = _ufunc("sinh")
cosh = _ufunc("cosh")
tanh = _ufunc("tanh")
arcsinh = _ufunc("arcsinh")
floor = _ufunc("floor")
ceil = _ufunc("ceil")
trunc = _ufunc("trunc")
rint = _ufunc("rint")
square = _ufunc("square")
cbrt = _ufunc("cbrt")
reciprocal = _ufunc("reciprocal")
deg2rad = _ufunc("deg2rad")
rad2deg = _ufunc("rad2deg")
degrees = _ufunc("degrees")
radians = _ufunc("radians")
isnan = _ufunc("isnan")
isinf = _ufunc("isinf")
isfinite = _ufunc("isfinite")
signbit = _ufunc("signbit")
spacing = _ufunc("spacing")
conjugate = _ufunc("conjugate")
logical_not = _ufunc("logical_not")
log = _ufunc("log")
log2 = _ufunc("log2")
log10 = _ufunc("log10")
log1p = _ufunc("log1p")
sqrt = _ufunc("sqrt")
arcsin = _ufunc("arcsin")
arccos = _ufunc("arccos")
arctanh = _ufunc("arctanh")
arccosh = _ufunc("arccosh")
invert = _ufunc("invert")
bitwise_count = _ufunc("bitwise_count")

add = _ufunc("add")
subtract = _ufunc("subtract")
multiply = _ufunc("multiply")
divide = _ufunc("divide")
maximum = _ufunc("maximum")
minimum = _ufunc("minimum")
fmax = _ufunc("fmax")
fmin = _ufunc("fmin")
arctan2 = _ufunc("arctan2")
hypot = _ufunc("hypot")
copysign = _ufunc("copysign")
nextafter = _ufunc("nextafter")
logaddexp = _ufunc("logaddexp")
logaddexp2 = _ufunc("logaddexp2")
heaviside = _ufunc("heaviside")
equal = _ufunc("equal")
not_equal = _ufunc("not_equal")
less = _ufunc("less")
less_equal = _ufunc("less_equal")
greater = _ufunc("greater")
greater_equal = _ufunc("greater_equal")
logical_and = _ufunc("logical_and")
logical_or = _ufunc("logical_or")
logical_xor = _ufunc("logical_xor")
floor_divide = _ufunc("floor_divide")
remainder = _ufunc("remainder")
fmod = _ufunc("fmod")
power = _ufunc("power")
float_power = _ufunc("float_power")
ldexp = _ufunc("ldexp")
gcd = _ufunc("gcd")
lcm = _ufunc("lcm")
bitwise_and = _ufunc("bitwise_and")
bitwise_or = _ufunc("bitwise_or")
bitwise_xor = _ufunc("bitwise_xor")
left_shift = _ufunc("left_shift")
right_shift = _ufunc("right_shift")

divmod = _ufunc("divmod")  # noqa: A001
modf = _ufunc("modf")
frexp = _ufunc("frexp")

# NumPy's own aliases of the same ufuncs.
ALIASES = {
    "abs": "absolute",
    "conj": "conjugate",
    "mod": "remainder",
    "true_divide": "divide",
    "bitwise_not": "invert",
    "bitwise_invert": "invert",
    "acos": "arccos",
    "acosh": "arccosh",
    "asin": "arcsin",
    "asinh": "arcsinh",
    "atan": "arctan",
    "atanh": "arctanh",
    "atan2": "arctan2",
    "pow": "power",
    "bitwise_left_shift": "left_shift",
    "bitwise_right_shift": "right_shift",
}
abs = absolute  # noqa: A001
conj = conjugate
mod = remainder
true_divide = divide
bitwise_not = invert
bitwise_invert = invert
acos = arccos
acosh = arccosh
asin = arcsin
asinh = arcsinh
atan = arctan
atanh = arctanh
atan2 = arctan2
pow = power  # noqa: A001
bitwise_left_shift = left_shift
bitwise_right_shift = right_shift
UFUNCS.update({alias: UFUNCS[target] for alias, target in ALIASES.items()})


def real(val: Any) -> Any:
    """The real part (NumPy's ``real``)."""
    return UNARY["real"].bind(arr(val))


def imag(val: Any) -> Any:
    """The imaginary part (NumPy's ``imag``)."""
    return UNARY["imag"].bind(arr(val))


def angle(z: Any, deg: bool = False) -> Any:
    """The argument of complex values: ``arctan2(imag(z), real(z))`` as NumPy computes it."""
    z = arr(z)
    a = BINARY["arctan2"].bind(imag(z), real(z))
    return BINARY["multiply"].bind(a, 180 / np.pi) if deg else a


def where(condition: Any, x: Any = None, y: Any = None, /) -> Any:
    """``where(cond, x, y)``: per element, ``x`` where ``cond`` holds, else ``y``.

    This is the way to write a per-example choice inside ``vmap`` (instead of ``if``).

    >>> import autovec, autovec.numpy as anp, numpy as np
    >>> autovec.vmap(lambda v: anp.where(v > 0, v, 0.0))(np.array([-1.0, 2.0]))
    array([0., 2.])
    """
    if x is None and y is None:
        if is_traced(condition):
            raise errors.DataDependentShapeError(
                "where(condition) with one argument is nonzero(condition): its size depends "
                "on the values. Inside vmap/jit use where(condition, x, y) with three "
                "arguments."
            )
        return np.where(condition)
    if x is None or y is None:
        raise ValueError("either both or neither of x and y should be given")
    return where_p.bind(arr(condition), arr(x), arr(y))


def clip(
    a: Any,
    min: Any = np._NoValue,  # noqa: A002
    max: Any = np._NoValue,  # noqa: A002
    out: Any = None,
    *,
    a_min: Any = np._NoValue,
    a_max: Any = np._NoValue,
    **kwargs: Any,
) -> Any:
    """NumPy's ``clip`` (None: no bound).  The bounds are named ``min``/``max`` in position,
    as the array API has them, and ``a_min``/``a_max`` by keyword, as NumPy has them too:
    every call NumPy accepts works the same."""
    if (a_min is not np._NoValue and min is not np._NoValue) or (
        a_max is not np._NoValue and max is not np._NoValue
    ):
        raise TypeError("clip() got two values for one bound (a_min and min, or a_max and max)")
    lo = a_min if a_min is not np._NoValue else (None if min is np._NoValue else min)
    hi = a_max if a_max is not np._NoValue else (None if max is np._NoValue else max)
    if out is not None or kwargs:
        if not is_traced(a, lo, hi, out):
            return np.clip(a, lo, hi, out=out, **kwargs)
        raise errors.UnsupportedOperationError(
            "clip(out=...) is not supported inside vmap/jit; use the return value."
        )
    if lo is None and hi is None:
        if not is_traced(a):
            return np.clip(a, lo, hi)  # NumPy's own error or result
        return a
    if lo is None:
        return UFUNCS["minimum"](a, hi)
    if hi is None:
        return UFUNCS["maximum"](a, lo)
    return clip_p.bind(arr(a), arr(lo), arr(hi))


__all__ = [
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
    "log",
    "log2",
    "log10",
    "log1p",
    "sqrt",
    "arcsin",
    "arccos",
    "arctanh",
    "arccosh",
    "invert",
    "bitwise_count",
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
    "floor_divide",
    "remainder",
    "fmod",
    "power",
    "float_power",
    "ldexp",
    "gcd",
    "lcm",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "left_shift",
    "right_shift",
    "divmod",
    "modf",
    "frexp",
    "abs",
    "conj",
    "mod",
    "true_divide",
    "bitwise_not",
    "bitwise_invert",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "atan2",
    "pow",
    "bitwise_left_shift",
    "bitwise_right_shift",
    "real",
    "imag",
    "angle",
    "where",
    "clip",
]
