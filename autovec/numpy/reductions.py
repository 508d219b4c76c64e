"""Reductions with NumPy's signatures: ``sum``, ``prod``, ``max``/``amax``, ``min``/``amin``,
``any``, ``all``, ``mean``, ``var``, ``std``, ``argmax``, ``argmin``.

Each binds its reduction primitive; ``where=`` masks by filling with the identity (or
``initial``), ``initial=`` is one more operand; ``out=`` works eagerly only."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.numpy._convert import arr
from autovec.numpy._util import (
    NO_VALUE,
    implements,
    is_traced,
    ndim,
    normalize_axes,
    normalize_axis,
    shape,
)
from autovec.numpy.manipulation import astype, broadcast_to
from autovec.numpy.ufuncs import UFUNCS, real
from autovec.numpy.ufuncs import where as _where
from autovec.prims.reductions import REDUCTIONS, argmax_p, argmin_p

# The ufunc that combines ``initial`` with a reduction, and the entry that masked-out
# (``where=False``) elements count as: NumPy's identity of that ufunc.
_COMBINE = {
    "sum": ("add", 0),
    "prod": ("multiply", 1),
    "max": ("maximum", None),
    "min": ("minimum", None),
    "any": ("logical_or", False),
    "all": ("logical_and", True),
}


def _masked(
    name: str, a: Any, axis: Any, keepdims: Any, initial: Any, where: Any, **params: Any
) -> Any:
    """``name`` with NumPy's ``where=`` (masked-out entries count as the identity, or as
    ``initial`` where there is none) and ``initial=`` (one more operand of the reduction)."""
    a = arr(a)
    ufunc, identity = _COMBINE[name]
    has_initial = initial is not NO_VALUE and initial is not None
    if where is not NO_VALUE and where is not True:
        if identity is None and not has_initial:
            raise ValueError(
                f"reduction operation '{ufunc}' does not have an identity, so to use a where "
                f"mask one has to specify 'initial'"
            )
        fill = initial if identity is None else identity
        if not is_traced(fill):  # NumPy casts initial to the reduction's dtype
            fill = np.asarray(fill).astype(a.dtype)
        a = _where(broadcast_to(arr(where), shape(a)), a, fill)
    if has_initial and identity is None and _reduces_nothing(a, axis):
        # max/min over no entries: NumPy gives ``initial`` (a reduction alone would raise).
        out = _reduce(name, _pad_with(a, axis, initial), axis, keepdims, **params)
    else:
        out = _reduce(name, a, axis, keepdims, **params)
    if has_initial:
        # NumPy's reduction starts from ``initial`` and folds the entries into it, so
        # ``initial`` is the first operand: a max/min tie (-0.0 against 0.0) then goes as
        # NumPy's does wherever its loop folds the row as one value (its SIMD body can still
        # tie-break otherwise; semantics.md).
        out = astype(UFUNCS[ufunc](initial, out), out.dtype)
    return out


def _reduces_nothing(a: Any, axis: Any) -> bool:
    shp = shape(a)
    return builtins.any(shp[ax] == 0 for ax in normalize_axes(axis, len(shp)))


def _pad_with(a: Any, axis: Any, value: Any) -> Any:
    """``a`` with every empty reduced axis given one entry ``value``: its max/min is then
    ``value``, which ``initial`` joins anyway."""
    shp = list(shape(a))
    for ax in normalize_axes(axis, len(shp)):
        if shp[ax] == 0:
            shp[ax] = 1
    return broadcast_to(np.asarray(value).astype(a.dtype), tuple(shp))


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
        _refuse(name, out=out)
        return _masked(name, a, axis, keepdims, initial, where, dtype=dtype)

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
        _refuse(name, out=out)
        return _masked(name, a, axis, keepdims, initial, where)

    reduce.__doc__ = _doc(name, ", with ``keepdims``")
    return reduce


def _logical(name: str) -> Callable[..., Any]:
    @implements(getattr(np, name))
    def reduce(
        a: Any, axis: Any = None, out: Any = None, keepdims: bool = False, *, where: Any = NO_VALUE
    ) -> Any:
        _refuse(name, out=out)
        return _masked(name, a, axis, keepdims, NO_VALUE, where)

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
    _refuse("mean", out=out)
    if where is NO_VALUE or where is True:
        return _reduce("mean", a, axis, keepdims, dtype=dtype)
    # NumPy's _mean: a masked sum (float64 for integers, float32 for float16) divided by
    # the count of entries, in the sum's dtype, then cast to the requested or input dtype.
    a = arr(a)
    kind = np.dtype(a.dtype).kind
    acc = (
        dtype
        if dtype is not None
        else (np.float64 if kind in "iub" else np.float32 if a.dtype == np.float16 else None)
    )
    total = _masked("sum", a, axis, keepdims, NO_VALUE, where, dtype=acc)
    count = _reduce("sum", broadcast_to(arr(where), a.shape), axis, keepdims, dtype=np.intp)
    out = astype(UFUNCS["true_divide"](total, count), total.dtype)
    return astype(out, dtype if dtype is not None else (a.dtype if kind in "fc" else out.dtype))


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
        _refuse(name, out=out)
        if correction is not NO_VALUE:
            if ddof != 0:
                raise ValueError("ddof and correction can't be provided simultaneously.")
            ddof = correction
        if (where is NO_VALUE or where is True) and mean is NO_VALUE:
            return _reduce(name, a, axis, keepdims, dtype=dtype, ddof=ddof)
        out = _var_composed(a, axis, dtype, ddof, keepdims, where, mean)
        return UFUNCS["sqrt"](out) if name == "std" else out

    reduce.__doc__ = _doc(name, ", with ``keepdims``, ``dtype`` and ``ddof`` (or ``correction``)")
    return reduce


def _var_composed(
    a: Any, axis: Any, dtype: Any, ddof: Any, keepdims: Any, where: Any, mean: Any
) -> Any:
    """NumPy's ``_var`` step by step, for ``where=`` and a given ``mean=``: the masked mean
    (in ``dtype``, float64 for integers), the squared deviations, their masked sum divided
    by ``max(count - ddof, 0)``, each in NumPy's dtypes."""
    a = arr(a)
    kind = np.dtype(a.dtype).kind
    if dtype is None and kind in "iub":
        dtype = np.float64
    w = True if where is NO_VALUE else where
    mask = broadcast_to(arr(w), shape(a))
    if mean is NO_VALUE:
        total = _masked("sum", a, axis, True, NO_VALUE, w, dtype=dtype)
        count = _reduce("sum", mask, axis, True, dtype=np.intp)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = astype(UFUNCS["true_divide"](total, count), total.dtype, copy=False)
    dev = UFUNCS["subtract"](a, mean)
    if np.dtype(dev.dtype).kind == "c":
        sq = real(UFUNCS["multiply"](dev, UFUNCS["conjugate"](dev)))
    else:
        sq = UFUNCS["multiply"](dev, dev)
    ret = _masked("sum", sq, axis, keepdims, NO_VALUE, w, dtype=dtype)
    count = _reduce("sum", mask, axis, keepdims, dtype=np.intp)
    dof = UFUNCS["maximum"](UFUNCS["subtract"](count, ddof), 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return astype(UFUNCS["true_divide"](ret, dof), ret.dtype, copy=False)


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
