"""Reductions with NumPy's signatures: ``sum``, ``prod``, ``max``/``amax``, ``min``/``amin``,
``any``, ``all``, ``mean``, ``var``, ``std``, ``argmax``, ``argmin``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autovec.numpy._convert import arr
from autovec.numpy._util import is_traced, ndim, normalize_axes, normalize_axis
from autovec.numpy._util import reject_traced_kwargs as _reject
from autovec.prims.reductions import REDUCTIONS, argmax_p, argmin_p

_NO = np._NoValue


def _make(name: str, *, has_dtype: bool, has_ddof: bool = False) -> Callable[..., Any]:
    prim = REDUCTIONS[name]
    np_func = getattr(np, name)

    def reduce(
        a: Any,
        axis: Any = None,
        dtype: Any = None,
        out: Any = None,
        keepdims: bool = False,
        ddof: int = 0,
        **kwargs: Any,
    ) -> Any:
        extra = {k: v for k, v in kwargs.items() if v is not _NO}
        if out is not None or extra:
            if not is_traced(a):
                if has_dtype:
                    extra["dtype"] = dtype
                if has_ddof:
                    extra["ddof"] = ddof
                return np_func(a, axis=axis, out=out, keepdims=keepdims, **extra)
            _reject(name, (a,), out=out, **extra)
        a = arr(a)
        params: dict[str, Any] = {"axes": normalize_axes(axis, ndim(a)), "keepdims": bool(keepdims)}
        if dtype is not None:
            params["dtype"] = np.dtype(dtype)
        if has_ddof:
            params["ddof"] = ddof
        return prim.bind(a, **params)

    reduce.__name__ = reduce.__qualname__ = name
    reduce.__doc__ = (
        f"NumPy's ``{name}`` over ``axis`` (None: all axes; an int or a tuple), "
        f"with ``keepdims``{' and ``dtype``' if has_dtype else ''}"
        f"{' and ``ddof``' if has_ddof else ''}."
    )
    return reduce


sum = _make("sum", has_dtype=True)  # noqa: A001
prod = _make("prod", has_dtype=True)
max = _make("max", has_dtype=False)  # noqa: A001
min = _make("min", has_dtype=False)  # noqa: A001
amax, amin = max, min
any = _make("any", has_dtype=False)  # noqa: A001
all = _make("all", has_dtype=False)  # noqa: A001
mean = _make("mean", has_dtype=True)
var = _make("var", has_dtype=True, has_ddof=True)
std = _make("std", has_dtype=True, has_ddof=True)


def _make_arg(name: str, prim: Any) -> Callable[..., Any]:
    np_func = getattr(np, name)

    def arg_reduce(a: Any, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Any:
        if out is not None:
            if not is_traced(a):
                return np_func(a, axis=axis, out=out, keepdims=keepdims)
            _reject(name, (a,), out=out)
        a = arr(a)
        ax = None if axis is None else normalize_axis(axis, ndim(a))
        return prim.bind(a, axis=ax, keepdims=bool(keepdims))

    arg_reduce.__name__ = arg_reduce.__qualname__ = name
    arg_reduce.__doc__ = f"NumPy's ``{name}``: indices of the extreme values along ``axis``."
    return arg_reduce


argmax = _make_arg("argmax", argmax_p)
argmin = _make_arg("argmin", argmin_p)

__all__ = [
    "sum",
    "prod",
    "max",
    "min",
    "amax",
    "amin",
    "any",
    "all",
    "mean",
    "var",
    "std",
    "argmax",
    "argmin",
]
