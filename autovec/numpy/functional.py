"""Functional programming (NumPy's section of that name): ``apply_along_axis``,
``apply_over_axes``, ``piecewise``.

With tracers ``apply_along_axis`` vmaps ``func1d`` over the other axes at once, and
``piecewise`` evaluates every function on the whole array and selects with ``where``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autovec.interpreters.batching import vmap
from autovec.numpy._convert import arr as _arr  # `arr` is a NumPy parameter name here
from autovec.numpy._util import implements, ndim, normalize_axis, shape
from autovec.numpy.creation import asarray, zeros_like
from autovec.numpy.manipulation import (
    astype,
    broadcast_to,
    expand_dims,
    moveaxis,
    reshape,
    stack,
    transpose,
)
from autovec.numpy.reductions import any as _any
from autovec.numpy.ufuncs import UFUNCS, where

u = UFUNCS


@implements(np.apply_along_axis)
def apply_along_axis(func1d: Callable, axis: Any, arr: Any, *args: Any, **kwargs: Any) -> Any:
    """NumPy's ``apply_along_axis``: ``func1d`` applied to each 1-d slice along ``axis``;
    the slice's axis is replaced by the dimensions of ``func1d``'s result (none for a
    scalar result).

    With tracers ``func1d`` is vmapped over all the other axes at once, so it must be
    vmappable (written with ``autovec.numpy``, or NumPy calls that route to it) and return
    the same shape for every slice."""

    x = _arr(arr)
    nd = ndim(x)
    ax = normalize_axis(axis, nd)
    x = moveaxis(x, ax, -1)
    outer = shape(x)[:-1]
    if math.prod(outer) == 0:
        raise ValueError("Cannot apply_along_axis when any iteration dimensions are 0")
    flat = reshape(x, (math.prod(outer), shape(x)[-1]))
    res = vmap(lambda v: asarray(func1d(v, *args, **kwargs)))(flat)
    res_shape = shape(res)[1:]
    res = reshape(res, outer + res_shape)
    # The result's dimensions go where the axis was.
    k = len(res_shape)
    perm = [*range(ax), *range(nd - 1, nd - 1 + k), *range(ax, nd - 1)]
    return transpose(res, perm)


@implements(np.apply_over_axes)
def apply_over_axes(func: Callable, a: Any, axes: Any) -> Any:
    """NumPy's ``apply_over_axes``: ``func(a, axis)`` for each axis in turn, each result
    given back its reduced axis (``expand_dims``) when it lost one; a result of any other
    rank raises ``ValueError``."""
    val = _arr(a)
    nd = ndim(val)
    for axis in (axes,) if np.ndim(axes) == 0 else axes:
        axis = int(axis)
        if axis < 0:
            axis += nd
        res = func(val, axis)
        if ndim(res) != ndim(val):
            res = expand_dims(res, axis)
            if ndim(res) != ndim(val):
                raise ValueError("function is not returning an array of the correct shape")
        val = res
    return val


@implements(np.piecewise)
def piecewise(x: Any, condlist: Any, funclist: Any, *args: Any, **kw: Any) -> Any:
    """NumPy's ``piecewise``: where the i-th condition holds, the i-th function of ``x``
    (or the i-th constant); a later condition wins over an earlier one; one extra function
    applies where no condition holds; elsewhere 0.  The result has ``x``'s dtype.

    With tracers every function is evaluated on the WHOLE of ``x`` (NumPy evaluates it only
    on the elements its condition selects) and the results are combined with ``where``.
    The selected values are the same, but a function may see elements outside its
    condition: it must accept them, and any warning it raises there (e.g. ``log`` of a
    negative number, division by zero) is raised, not silenced."""
    x = _arr(x)
    nd = ndim(x)
    if isinstance(condlist, (list, tuple)) and not (
        len(condlist) and (isinstance(condlist[0], (list, tuple)) or ndim(condlist[0]) or nd == 0)
    ):
        condlist = [condlist]
    if not isinstance(condlist, (list, tuple)):
        condlist = [condlist] if ndim(condlist) == nd else list(condlist)
    conds = [broadcast_to(astype(_arr(c), bool), shape(x)) for c in condlist]
    n, n2 = len(funclist), len(conds)
    if n == n2 + 1:
        other = conds[0] if n2 == 1 else _any(stack(conds), axis=0)
        conds.append(u["logical_not"](other) if n2 else np.ones(shape(x), bool))
    elif n != n2:
        raise ValueError(f"with {n2} condition(s), either {n2} or {n2 + 1} functions are expected")
    y = zeros_like(x)
    for cond, func in zip(conds, funclist):
        val = func(x, *args, **kw) if callable(func) else func
        y = where(cond, astype(broadcast_to(_arr(val), shape(x)), x.dtype), y)
    return y


__all__ = [
    "apply_along_axis",
    "apply_over_axes",
    "piecewise",
]
