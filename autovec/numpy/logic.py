"""Logic functions that are not ufuncs (NumPy's "Logic functions"): closeness and equality
(``isclose``, ``allclose``, ``array_equal``, ``array_equiv``) and type and value testing
(``iscomplex``, ``isreal``, ``iscomplexobj``, ``isrealobj``, ``isneginf``, ``isposinf``).

Eagerly each is NumPy's; inside vmap/jit a result NumPy gives as a Python bool
(``allclose``, ``array_equal``) is a boolean per example, which ``if`` cannot branch on:
use ``where``."""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec.numpy._convert import arr, as_array
from autovec.numpy._util import implements, is_traced, reject_out, shape
from autovec.numpy.manipulation import astype
from autovec.numpy.reductions import all as _all
from autovec.numpy.ufuncs import UFUNCS, imag, where

u = UFUNCS


@implements(np.isclose)
def isclose(a: Any, b: Any, rtol: Any = 1.0e-5, atol: Any = 1.0e-8, equal_nan: bool = False):
    """NumPy's ``isclose``: ``|a - b| <= atol + rtol * |b|`` (and ``a == b``, which covers
    equal infinities), elementwise; NaNs are equal only with ``equal_nan``."""
    x, y, atol, rtol = (
        v if isinstance(v, (int, float, complex)) else as_array(v) for v in (a, b, atol, rtol)
    )
    if getattr(y, "dtype", None) is not None and y.dtype.kind != "m":
        y = astype(y, np.result_type(y.dtype, 1.0))
    elif isinstance(y, int):
        y = float(y)
    if not is_traced(atol, rtol) and not (np.all(np.isfinite(atol)) and np.all(np.isfinite(rtol))):
        err = np.geterr()["invalid"]
        msg = f"One of rtol or atol is not valid, atol: {atol}, rtol: {rtol}"
        if err == "raise":
            raise FloatingPointError(msg)
        if err == "warn":
            import warnings

            warnings.warn(msg, RuntimeWarning, stacklevel=2)
    # NumPy compares |x - y| with a NaN where y is not finite and masks it out with
    # isfinite(y).  Comparing with 0 there instead gives the same result without computing
    # inf - inf, so no invalid-value error can fire (a jit-compiled replay runs outside any
    # errstate set here).
    finite = u["isfinite"](y)
    y_safe = where(finite, y, 0)
    tol = u["add"](atol, u["multiply"](rtol, u["absolute"](y_safe)))
    close = u["less_equal"](u["absolute"](u["subtract"](x, y_safe)), tol)
    result = u["logical_or"](u["logical_and"](close, finite), u["equal"](x, y))
    if equal_nan:
        result = u["logical_or"](result, u["logical_and"](u["isnan"](x), u["isnan"](y)))
    return result


@implements(np.allclose)
def allclose(a: Any, b: Any, rtol: Any = 1.0e-5, atol: Any = 1.0e-8, equal_nan: bool = False):
    """NumPy's ``allclose``.  Eagerly a Python bool; inside vmap/jit a boolean per example
    (a batched ``bool_``), which ``if`` cannot branch on -- use ``where``."""
    return _all(isclose(a, b, rtol, atol, equal_nan))


@implements(np.array_equal)
def array_equal(a1: Any, a2: Any, equal_nan: bool = False) -> Any:
    """NumPy's ``array_equal``: same shape and equal elements (NaNs equal with
    ``equal_nan``).  Traced: a boolean per example (``False`` when the shapes differ,
    which is static)."""
    a1, a2 = as_array(a1), as_array(a2)
    if shape(a1) != shape(a2):
        return False
    if a1 is a2 and equal_nan:
        return True
    same = u["equal"](a1, a2)
    if not equal_nan or (a1.dtype.kind in "biu" and a2.dtype.kind in "biu"):
        return _all(same)
    nan1, nan2 = u["isnan"](a1), u["isnan"](a2)
    return u["logical_and"](_all(u["equal"](nan1, nan2)), _all(u["logical_or"](same, nan1)))


@implements(np.array_equiv)
def array_equiv(a1: Any, a2: Any) -> Any:
    """NumPy's ``array_equiv``: shape-compatible (broadcastable) and equal elementwise."""
    a1, a2 = as_array(a1), as_array(a2)
    try:
        np.broadcast_shapes(shape(a1), shape(a2))
    except ValueError:
        return False
    return _all(u["equal"](a1, a2))


# --------------------------------------------------------------- type and value testing


@implements(np.iscomplex)
def iscomplex(x: Any) -> Any:
    """NumPy's ``iscomplex``: elementwise, whether the imaginary part is nonzero (all False
    for a non-complex dtype)."""
    return u["not_equal"](imag(x), 0)


@implements(np.isreal)
def isreal(x: Any) -> Any:
    """NumPy's ``isreal``: elementwise, whether the imaginary part is zero."""
    return u["equal"](imag(x), 0)


def iscomplexobj(x: Any) -> bool:
    """Whether ``x`` has a complex dtype."""
    dt = x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype
    return issubclass(dt.type, np.complexfloating)


def isrealobj(x: Any) -> bool:
    """Whether ``x`` has a non-complex dtype."""
    return not iscomplexobj(x)


def _check_not_complex(x: Any) -> None:
    if np.issubdtype(x.dtype, np.complexfloating):
        raise TypeError(
            f"This operation is not supported for {x.dtype} values because it would be ambiguous."
        )


@implements(np.isneginf)
def isneginf(x: Any, out: Any = None) -> Any:
    """NumPy's ``isneginf``: elementwise ``x == -inf`` (``TypeError`` for complex input)."""
    reject_out("isneginf", out)
    x = arr(x)
    _check_not_complex(x)
    return u["logical_and"](u["isinf"](x), u["signbit"](x))


@implements(np.isposinf)
def isposinf(x: Any, out: Any = None) -> Any:
    """NumPy's ``isposinf``: elementwise ``x == +inf`` (``TypeError`` for complex input)."""
    reject_out("isposinf", out)
    x = arr(x)
    _check_not_complex(x)
    return u["logical_and"](u["isinf"](x), u["logical_not"](u["signbit"](x)))


__all__ = [
    "isclose",
    "allclose",
    "array_equal",
    "array_equiv",
    "iscomplex",
    "isreal",
    "iscomplexobj",
    "isrealobj",
    "isneginf",
    "isposinf",
]
