"""NumPy's numeric ufuncs (and their aliases), ``where``, ``clip`` and friends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import Primitive
from autovec.numpy._util import arr, is_traced
from autovec.prims.elementwise import BINARY, MULTI, UNARY, clip_p, where_p


def _make(name: str, prim: Primitive, nin: int) -> Callable[..., Any]:
    np_ufunc = getattr(np, name)

    def ufunc(*args: Any, out: Any = None, dtype: Any = None, **kwargs: Any) -> Any:
        if len(args) != nin:
            raise TypeError(f"{name}() takes {nin} positional argument(s), got {len(args)}")
        if out is not None or kwargs:
            if not is_traced(*args, out):
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
for _name, _prim in UNARY.items():
    if _name in ("real", "imag"):
        continue  # functions, not ufuncs: below
    UFUNCS[_name] = _make(_name, _prim, 1)
for _name, _prim in BINARY.items():
    UFUNCS[_name] = _make(_name, _prim, 2)
for _name, _prim in MULTI.items():
    UFUNCS[_name] = _make(_name, _prim, 2 if _name == "divmod" else 1)

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
for _alias, _target in ALIASES.items():
    UFUNCS[_alias] = UFUNCS[_target]

globals().update(UFUNCS)


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
    a_min: Any = np._NoValue,
    a_max: Any = np._NoValue,
    out: Any = None,
    *,
    min: Any = np._NoValue,
    max: Any = np._NoValue,
    **kwargs: Any,
) -> Any:  # noqa: A002
    """NumPy's ``clip`` (``a_min``/``a_max`` or the ``min``/``max`` keywords; None: no bound)."""
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


__all__ = [*UFUNCS, "real", "imag", "angle", "where", "clip"]
