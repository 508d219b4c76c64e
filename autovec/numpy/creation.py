"""Array creation.  Values that hold no batched or traced input are plain NumPy arrays (the
same for every example: they stay unbatched); ``array``/``asarray`` of lists that hold
batched values stack them; ``full``/``linspace`` with batched arguments broadcast."""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec import errors
from autovec.core import Tracer
from autovec.numpy._util import (
    arr,
    concrete_int,
    holds_tracer,
    is_traced,
    ndim,
    shape,
    split_value,
)
from autovec.numpy.manipulation import (
    astype,
    broadcast_to,
    reshape,
    stack,
)
from autovec.numpy.ufuncs import UFUNCS
from autovec.prims.scatter import copy_p


def _stack_nested(obj: Any) -> Any:
    if isinstance(obj, (list, tuple)):
        if not obj:
            return np.array(obj)
        return stack([_stack_nested(o) for o in obj])
    return obj if isinstance(obj, Tracer) else np.asarray(obj)


def array(
    object: Any,
    dtype: Any = None,
    *,
    copy: bool = True,
    order: str = "K",  # noqa: A002
    subok: bool = False,
    ndmin: int = 0,
    like: Any = None,
) -> Any:
    """NumPy's ``array``; nested lists may hold batched/traced values (they are stacked).

    >>> import autovec, autovec.numpy as anp, numpy as np
    >>> autovec.vmap(lambda x: anp.array([x, 2 * x]))(np.array([1, 2]))
    array([[1, 2],
           [2, 4]])
    """
    if not holds_tracer(object):
        return np.array(object, dtype=dtype, copy=copy, order=order, subok=subok, ndmin=ndmin)
    out = _stack_nested(object)
    if out is object:  # array(tracer) copies, as np.array does: a new value, not an alias
        out = copy_p.bind(out)
    if dtype is not None:
        out = astype(out, dtype)
    if ndmin > ndim(out):
        out = reshape(out, (1,) * (ndmin - ndim(out)) + shape(out))
    return out


def asarray(
    a: Any,
    dtype: Any = None,
    order: Any = None,
    *,
    device: Any = None,
    copy: Any = None,
    like: Any = None,
) -> Any:
    """NumPy's ``asarray``; a batched/traced value (or a list holding them) stays traced."""
    if not holds_tracer(a):
        return np.asarray(a, dtype=dtype, order=order, copy=copy)
    out = a if isinstance(a, Tracer) else _stack_nested(a)
    if dtype is not None and np.dtype(dtype) != out.dtype:
        out = astype(out, dtype)
    return out


asanyarray = asarray
ascontiguousarray = asarray


def copy(a: Any, order: str = "K", subok: bool = False) -> Any:
    """NumPy's ``copy``: a new value that later in-place updates (``y[i] = v``) of either the
    copy or the original do not reach."""
    if isinstance(a, Tracer):
        # "A" is "K" for C and Fortran arrays (a strided one keeps its axis order here).
        return copy_p.bind(a) if order in ("K", "A") else copy_p.bind(a, order=order)
    return np.copy(a, order=order, subok=subok)


def _shape_arg(shp: Any, what: str) -> tuple[int, ...]:
    if isinstance(shp, (list, tuple)):
        return tuple(concrete_int(s, what) for s in shp)
    return (concrete_int(shp, what),)


def zeros(
    shape: Any, dtype: Any = float, order: str = "C", *, device: Any = None, like: Any = None
) -> np.ndarray:
    """NumPy's ``zeros`` (a constant: the same for every example)."""
    return np.zeros(_shape_arg(shape, "zeros shape"), dtype=dtype, order=order)


def ones(
    shape: Any, dtype: Any = None, order: str = "C", *, device: Any = None, like: Any = None
) -> np.ndarray:
    """NumPy's ``ones``."""
    return np.ones(_shape_arg(shape, "ones shape"), dtype=dtype, order=order)


def empty(
    shape: Any, dtype: Any = float, order: str = "C", *, device: Any = None, like: Any = None
) -> np.ndarray:
    """NumPy's ``empty`` (zero-filled here, so results never depend on memory garbage)."""
    return np.zeros(_shape_arg(shape, "empty shape"), dtype=dtype, order=order)


def full(
    shape: Any,
    fill_value: Any,
    dtype: Any = None,
    order: str = "C",
    *,
    device: Any = None,
    like: Any = None,
) -> Any:
    """NumPy's ``full``; a batched ``fill_value`` gives a batched result."""
    shp = _shape_arg(shape, "full shape")
    if not is_traced(fill_value):
        return np.full(shp, fill_value, dtype=dtype, order=order)
    fill = arr(fill_value)
    if dtype is not None:
        fill = astype(fill, dtype)
    return broadcast_to(fill, shp)


def _like_shape(a: Any, shp: Any) -> tuple[int, ...]:
    return shape(a) if shp is None else _shape_arg(shp, "shape")


def _like_dtype(a: Any, dtype: Any) -> Any:
    if dtype is not None:
        return dtype
    return a.dtype if hasattr(a, "dtype") else np.asarray(a).dtype


def zeros_like(
    a: Any,
    dtype: Any = None,
    order: str = "K",
    subok: bool = True,
    shape: Any = None,
    *,
    device: Any = None,
) -> np.ndarray:
    """NumPy's ``zeros_like``: only ``a``'s shape and dtype matter, so this is a constant."""
    return np.zeros(_like_shape(a, shape), dtype=_like_dtype(a, dtype))


def ones_like(
    a: Any,
    dtype: Any = None,
    order: str = "K",
    subok: bool = True,
    shape: Any = None,
    *,
    device: Any = None,
) -> np.ndarray:
    """NumPy's ``ones_like``."""
    return np.ones(_like_shape(a, shape), dtype=_like_dtype(a, dtype))


def empty_like(
    prototype: Any,
    dtype: Any = None,
    order: str = "K",
    subok: bool = True,
    shape: Any = None,
    *,
    device: Any = None,
) -> np.ndarray:
    """NumPy's ``empty_like`` (zero-filled)."""
    return np.zeros(_like_shape(prototype, shape), dtype=_like_dtype(prototype, dtype))


def full_like(
    a: Any,
    fill_value: Any,
    dtype: Any = None,
    order: str = "K",
    subok: bool = True,
    shape: Any = None,
    *,
    device: Any = None,
) -> Any:
    """NumPy's ``full_like``."""
    return full(_like_shape(a, shape), fill_value, dtype=_like_dtype(a, dtype))


def arange(
    start: Any,
    stop: Any = None,
    step: Any = None,
    dtype: Any = None,
    *,
    device: Any = None,
    like: Any = None,
) -> np.ndarray:
    """NumPy's ``arange``; its arguments must be concrete (the length must not vary), or
    batched under eager vmap (the examples then split by their values)."""
    start, stop, step = (split_value(v) for v in (start, stop, step))
    for v in (start, stop, step):
        if isinstance(v, Tracer):
            raise errors.ConcretizationTypeError(
                f"arange needs concrete start/stop/step, but got a value {v._trace.kind} "
                f"({v.aval.str_short()}): the result's length would differ per example. Use a "
                f"fixed-length arange and mask with autovec.numpy.where, or linspace."
            )
    args = [v for v in (start, stop, step) if v is not None] if stop is not None else [start]
    if stop is None and step is not None:
        args = [0, start, step]
    return np.arange(*args, dtype=dtype)


def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
    *,
    device: Any = None,
) -> Any:
    """NumPy's ``linspace``; ``start``/``stop`` may be batched (``num`` must be concrete).

    With batched endpoints the arithmetic is NumPy's own (``arange * step + start``, the last
    point set to ``stop``), so results match the loop.
    """
    num = concrete_int(num, "linspace num")
    if not is_traced(start, stop):
        return np.linspace(
            start, stop, num, endpoint=endpoint, retstep=retstep, dtype=dtype, axis=axis
        )
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    from autovec.numpy.assembly import linspace_exact  # NumPy's algorithm, step for step

    y = linspace_exact(start, stop, num, endpoint=endpoint, dtype=dtype, axis=axis)
    if not retstep:
        return y
    div = (num - 1) if endpoint else num
    delta = UFUNCS["subtract"](UFUNCS["multiply"](arr(stop), 1.0), arr(start))
    return y, (UFUNCS["divide"](delta, div) if div > 0 else np.nan)


def eye(
    N: int,
    M: Any = None,
    k: int = 0,
    dtype: Any = float,
    order: str = "C",
    *,
    device: Any = None,
    like: Any = None,
) -> np.ndarray:
    """NumPy's ``eye`` (a constant)."""
    return np.eye(
        concrete_int(N, "eye N"),
        None if M is None else concrete_int(M, "eye M"),
        k=concrete_int(k, "eye k"),
        dtype=dtype,
        order=order,
    )


def identity(n: int, dtype: Any = None, *, like: Any = None) -> np.ndarray:
    """NumPy's ``identity`` (a constant)."""
    return np.identity(concrete_int(n, "identity n"), dtype=dtype)


__all__ = [
    "array",
    "asarray",
    "asanyarray",
    "ascontiguousarray",
    "copy",
    "zeros",
    "ones",
    "empty",
    "full",
    "zeros_like",
    "ones_like",
    "empty_like",
    "full_like",
    "arange",
    "linspace",
    "eye",
    "identity",
]
