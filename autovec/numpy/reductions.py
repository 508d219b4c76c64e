"""Reductions with NumPy's signatures: ``sum``, ``prod``, ``max``/``amax``, ``min``/``amin``,
``any``, ``all``, ``mean``, ``var``, ``std``, ``argmax``, ``argmin``.

Each binds its reduction primitive; NumPy's keywords that write or mask (``out``,
``initial``, ``where``) work eagerly only (a call without tracers is NumPy's own)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.numpy._convert import arr
from autovec.numpy._util import NO_VALUE, implements, ndim, normalize_axes, normalize_axis
from autovec.prims.reductions import REDUCTIONS, argmax_p, argmin_p


def _refuse(fname: str, **given: Any) -> None:
    """NumPy's keywords that have no meaning on a traced value: say so."""
    used = [k for k, v in given.items() if v is not None and v is not NO_VALUE]
    if used:
        raise errors.UnsupportedOperationError(
            f"autovec.numpy.{fname}: the argument(s) {', '.join(used)} are not supported "
            f"inside vmap/jit (there is no array to write into). Use the return value instead."
        )


def _reduce(name: str, a: Any, axis: Any, keepdims: Any, **params: Any) -> Any:
    a = arr(a)
    params = {k: v for k, v in params.items() if v is not None}
    if "dtype" in params:
        params["dtype"] = np.dtype(params["dtype"])
    axes = normalize_axes(axis, ndim(a))
    return REDUCTIONS[name].bind(a, axes=axes, keepdims=bool(keepdims), **params)


def _doc(name: str, extra: str = "") -> str:
    return f"NumPy's ``{name}`` over ``axis`` (None: all axes; an int or a tuple){extra}."


def _with_dtype(name: str) -> Callable[..., Any]:
    @implements(getattr(np, name))
    def reduce(
        a: Any,
        axis: Any = None,
        dtype: Any = None,
        out: Any = None,
        keepdims: bool = False,
        initial: Any = NO_VALUE,
        where: Any = NO_VALUE,
    ) -> Any:
        _refuse(name, out=out, initial=initial, where=where)
        return _reduce(name, a, axis, keepdims, dtype=dtype)

    reduce.__doc__ = _doc(name, ", with ``keepdims`` and ``dtype``")
    return reduce


def _extreme(name: str) -> Callable[..., Any]:
    @implements(getattr(np, name))
    def reduce(
        a: Any,
        axis: Any = None,
        out: Any = None,
        keepdims: bool = False,
        initial: Any = NO_VALUE,
        where: Any = NO_VALUE,
    ) -> Any:
        _refuse(name, out=out, initial=initial, where=where)
        return _reduce(name, a, axis, keepdims)

    reduce.__doc__ = _doc(name, ", with ``keepdims``")
    return reduce


def _logical(name: str) -> Callable[..., Any]:
    @implements(getattr(np, name))
    def reduce(
        a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, *, where: Any = NO_VALUE
    ) -> Any:
        _refuse(name, out=out, where=where)
        return _reduce(name, a, axis, keepdims)

    reduce.__doc__ = _doc(name, ", with ``keepdims``")
    return reduce


sum = _with_dtype("sum")  # noqa: A001
prod = _with_dtype("prod")
max = _extreme("max")  # noqa: A001
min = _extreme("min")  # noqa: A001
amax, amin = max, min
any = _logical("any")  # noqa: A001
all = _logical("all")  # noqa: A001


@implements(np.mean)
def mean(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: bool = False,
    *,
    where: Any = NO_VALUE,
) -> Any:
    """NumPy's ``mean`` over ``axis`` (None: all axes; an int or a tuple), with ``keepdims``
    and ``dtype``."""
    _refuse("mean", out=out, where=where)
    return _reduce("mean", a, axis, keepdims, dtype=dtype)


def _spread(name: str) -> Callable[..., Any]:
    @implements(getattr(np, name))
    def reduce(
        a: Any,
        axis: Any = None,
        dtype: Any = None,
        out: Any = None,
        ddof: Any = 0,
        keepdims: bool = False,
        *,
        where: Any = NO_VALUE,
        mean: Any = NO_VALUE,
        correction: Any = NO_VALUE,
    ) -> Any:
        _refuse(name, out=out, where=where, mean=mean)
        if correction is not NO_VALUE:
            if ddof != 0:
                raise ValueError("ddof and correction can't be provided simultaneously.")
            ddof = correction
        return _reduce(name, a, axis, keepdims, dtype=dtype, ddof=ddof)

    reduce.__doc__ = _doc(name, ", with ``keepdims``, ``dtype`` and ``ddof`` (or ``correction``)")
    return reduce


var = _spread("var")
std = _spread("std")


def _arg(name: str, prim: Any) -> Callable[..., Any]:
    @implements(getattr(np, name))
    def arg_reduce(a: Any, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Any:
        _refuse(name, out=out)
        a = arr(a)
        ax = None if axis is None else normalize_axis(axis, ndim(a))
        return prim.bind(a, axis=ax, keepdims=bool(keepdims))

    arg_reduce.__doc__ = f"NumPy's ``{name}``: indices of the extreme values along ``axis``."
    return arg_reduce


argmax = _arg("argmax", argmax_p)
argmin = _arg("argmin", argmin_p)

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
