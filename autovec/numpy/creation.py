"""Array creation (NumPy's "Array creation routines"): from shape or value, from existing
data, numerical ranges and grids.

Values that hold no batched or traced input are plain NumPy arrays (the same for every
example: they stay unbatched); ``array``/``asarray`` of lists that hold batched values stack
them; ``full``/``linspace``/``logspace``/``geomspace`` with batched arguments broadcast.
Functions whose result depends only on shapes (``zeros``, ``eye``, ``indices``, ...) return
NumPy constants: shapes are the same for every example."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import Tracer
from autovec.numpy._convert import arr, as_array, stack_nested
from autovec.numpy._util import (
    concrete_int,
    concrete_value,
    implements,
    is_traced,
    ndim,
    shape,
    split_value,
)
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import (
    astype,
    broadcast_arrays,
    broadcast_to,
    concatenate,
    expand_dims,
    moveaxis,
    reshape,
    stack,
)
from autovec.numpy.reductions import any as _any
from autovec.numpy.selection import slice_axis
from autovec.numpy.ufuncs import UFUNCS, where
from autovec.prims.scatter import copy_p, full_like_p

u = UFUNCS


@implements(np.array)
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
    out = stack_nested(object)
    if dtype is not None:
        out = astype(out, dtype, copy=False)
    if out is object or order not in ("K", None):
        # array(tracer) copies, as np.array does (a new value, not an alias), in its order.
        out = copy_p.bind(out, order=order or "K")
    if ndmin > ndim(out):
        out = reshape(out, (1,) * (ndmin - ndim(out)) + shape(out))
    return out


@implements(np.asarray)
def asarray(
    a: Any,
    dtype: Any = None,
    order: Any = None,
    *,
    device: Any = None,
    copy: Any = None,
    like: Any = None,
) -> Any:
    """NumPy's ``asarray``; a batched/traced value (or a list holding them) stays traced.
    ``copy=True`` gives a new value (later in-place updates of either leave the other);
    ``copy=False`` raises NumPy's ``ValueError`` where a copy cannot be avoided."""
    out = a if isinstance(a, Tracer) else stack_nested(a)
    if dtype is not None and np.dtype(dtype) != out.dtype:
        out = astype(out, dtype)
    if out is a and copy:
        out = copy_p.bind(out)
    elif out is not a and copy is False:
        raise ValueError("Unable to avoid copy while creating an array as requested.")
    if order in ("C", "F") and isinstance(out, Tracer) and ndim(out) > 1:
        # The loop's array has this layout, which later layout-dependent operations
        # (ravel(order='K'), reshape(order='A')) read: a copy laid out so.
        out = copy_p.bind(out, order=order)
    return out


asanyarray = asarray


@implements(np.ascontiguousarray)
def ascontiguousarray(a: Any, dtype: Any = None, *, like: Any = None) -> Any:
    """NumPy's ``ascontiguousarray``: C-ordered, at least 1-d."""
    out = asarray(a, dtype=dtype, order="C")
    return reshape(out, (1,)) if ndim(out) == 0 else out


@implements(np.copy)
def copy(a: Any, order: str = "K", subok: bool = False) -> Any:
    """NumPy's ``copy``: a new value that later in-place updates (``y[i] = v``) of either the
    copy or the original do not reach."""
    a = arr(a)
    return copy_p.bind(a) if order == "K" else copy_p.bind(a, order=order)


@implements(np.asfortranarray)
def asfortranarray(a: Any, dtype: Any = None, *, like: Any = None) -> Any:
    """NumPy's ``asfortranarray`` (at least 1-d, Fortran order)."""
    out = asarray(a, dtype=dtype, order="F")
    return reshape(out, (1,)) if ndim(out) == 0 else out


@implements(np.require)
def require(a: Any, dtype: Any = None, requirements: Any = None, *, like: Any = None) -> Any:
    """NumPy's ``require``.  Traced values have no memory flags to satisfy, so the value
    itself (cast to ``dtype``) is returned."""
    return asarray(a, dtype=dtype)


@implements(np.asarray_chkfinite)
def asarray_chkfinite(a: Any, dtype: Any = None, order: Any = None) -> Any:
    """NumPy's ``asarray_chkfinite``: ``asarray``, raising ``ValueError`` when ``a`` holds an
    inf or NaN.

    Inside vmap/jit the check would have to raise for some examples and not others, which a
    transformation cannot do, so a traced ``a`` raises ``UnsupportedOperationError`` (rather
    than silently skipping the check).
    """
    raise errors.UnsupportedOperationError(
        "autovec.numpy.asarray_chkfinite: the finiteness check cannot raise per example inside "
        "vmap/jit. Use autovec.numpy.asarray(a) inside the function and check "
        "numpy.isfinite(result).all() on the result outside the transformation."
    )


def fromiter(iter: Any, dtype: Any, count: int = -1, *, like: Any = None) -> Any:  # noqa: A002
    """NumPy's ``fromiter``; the items may be traced values (0-d per example, or of the
    sub-array shape of ``dtype``), which are stacked."""
    import itertools

    count = concrete_int(count, "fromiter count")
    items = list(itertools.islice(iter, None if count < 0 else count))
    if count >= 0 and len(items) < count:
        raise ValueError(
            f"iterator too short: Expected {count} but iterator had only {len(items)} items."
        )
    if not is_traced(*items):
        return np.fromiter(items, dtype=dtype, count=count)

    return astype(stack([arr(i) for i in items]), dtype)


@implements(np.fromfunction)
def fromfunction(
    function: Callable[..., Any], shape: Any, *, dtype: Any = float, like: Any = None, **kwargs
) -> Any:
    """NumPy's ``fromfunction``: ``function(*indices(shape, dtype), **kwargs)`` (``shape``
    must be concrete; ``function`` may close over batched values)."""
    shp = tuple(concrete_int(s, "fromfunction shape") for s in shape)
    return function(*indices(shp, dtype=dtype), **kwargs)


# ------------------------------------------------------------------ from shape or value


def _shape_arg(shp: Any, what: str) -> tuple[int, ...]:
    if isinstance(shp, (list, tuple)):
        return tuple(concrete_int(s, what) for s in shp)
    return (concrete_int(shp, what),)


@implements(np.zeros)
def zeros(
    shape: Any, dtype: Any = float, order: str = "C", *, device: Any = None, like: Any = None
) -> np.ndarray:
    """NumPy's ``zeros`` (a constant: the same for every example)."""
    return np.zeros(_shape_arg(shape, "zeros shape"), dtype=dtype, order=order)


@implements(np.ones)
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


@implements(np.full)
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


def _filled_like(a: Any, fill: Any, dtype: Any, order: str, shp: Any) -> Any:
    """NumPy's ``full_like(a, fill, dtype, order, shape=shp)`` with ``a``'s layout honoured:
    for a traced ``a`` and order 'K' or 'A' the layout is read from ``a``'s (each example's)
    strides when the program runs, so a Fortran-ordered example gives a Fortran result as in
    the loop; other orders and 0-d/1-d results do not depend on ``a``'s layout."""
    if order not in ("C", "F", "A", "K"):
        raise ValueError("order must be one of 'C', 'F', 'A', or 'K'")
    dt = np.dtype(_like_dtype(a, dtype))
    out_shape = _like_shape(a, shp)
    if isinstance(fill, Tracer) or np.ndim(fill) != 0:
        out = full(out_shape, fill, dtype=dt)
        return copy_p.bind(out, order=order) if order == "F" and len(out_shape) > 1 else out
    if not isinstance(a, Tracer):
        return np.full_like(np.asarray(a), fill, dtype=dt, order=order, shape=shp)
    if order == "C" or len(out_shape) < 2 or dt.kind in "OV":
        return np.full(out_shape, fill, dtype=dt)
    if order == "F":
        return np.full(out_shape, fill, dtype=dt, order="F")
    fill = fill.item() if isinstance(fill, np.generic) else fill
    return full_like_p.bind(
        a,
        fill=fill,
        dtype=dt,
        order=order,
        shape=None if shp is None else out_shape,
        batch_dims=0,
    )


@implements(np.zeros_like)
def zeros_like(
    a: Any,
    dtype: Any = None,
    order: str = "K",
    subok: bool = True,
    shape: Any = None,
    *,
    device: Any = None,
) -> Any:
    """NumPy's ``zeros_like``: ``a``'s shape, dtype and (order 'K'/'A') layout."""
    return _filled_like(a, 0, dtype, order, shape)


@implements(np.ones_like)
def ones_like(
    a: Any,
    dtype: Any = None,
    order: str = "K",
    subok: bool = True,
    shape: Any = None,
    *,
    device: Any = None,
) -> Any:
    """NumPy's ``ones_like``."""
    return _filled_like(a, 1, dtype, order, shape)


def empty_like(
    prototype: Any,
    dtype: Any = None,
    order: str = "K",
    subok: bool = True,
    shape: Any = None,
    *,
    device: Any = None,
) -> Any:
    """NumPy's ``empty_like`` (zero-filled)."""
    return _filled_like(prototype, 0, dtype, order, shape)


@implements(np.full_like)
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
    """NumPy's ``full_like``; a batched ``fill_value`` gives a batched result."""
    return _filled_like(a, fill_value, dtype, order, shape)


@implements(np.eye)
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


@implements(np.identity)
def identity(n: int, dtype: Any = None, *, like: Any = None) -> np.ndarray:
    """NumPy's ``identity`` (a constant)."""
    return np.identity(concrete_int(n, "identity n"), dtype=dtype)


# --------------------------------------------------------------------- numerical ranges


@implements(np.arange)
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


@implements(np.linspace)
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
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")

    y = linspace_exact(start, stop, num, endpoint=endpoint, dtype=dtype, axis=axis)
    if not retstep:
        return y
    div = (num - 1) if endpoint else num
    delta = UFUNCS["subtract"](UFUNCS["multiply"](arr(stop), 1.0), arr(start))
    return y, (UFUNCS["divide"](delta, div) if div > 0 else np.nan)


def linspace_exact(
    start: Any, stop: Any, num: int, *, endpoint: bool = True, dtype: Any = None, axis: int = 0
) -> Any:
    """NumPy's ``linspace`` step for step, for traced endpoints: its working dtype (that of
    the endpoints and a Python float), its scaling by ``delta / div`` -- or, when any step of
    the array is 0, ``y / div * delta``, a choice made per array, so per example here -- and
    its exact last point."""
    u = UFUNCS

    start = u["multiply"](as_array(start), 1.0)
    stop = u["multiply"](as_array(stop), 1.0)
    dt = np.result_type(start.dtype, stop.dtype, float(num))
    dtype = dt if dtype is None else np.dtype(dtype)
    delta = u["subtract"](stop, start, dtype=dt)
    y = np.arange(0, num, dtype=dt).reshape((-1,) + (1,) * ndim(delta))
    div = num - 1 if endpoint else num
    if div > 0:
        step = u["divide"](delta, div)
        any_zero = _any(u["equal"](step, 0))
        y = where(any_zero, u["multiply"](u["divide"](y, div), delta), u["multiply"](y, step))
    else:
        y = u["multiply"](y, delta)
    y = u["add"](y, start)
    if endpoint and num > 1:
        last = astype(broadcast_to(stop, shape(y)[1:]), y.dtype)
        y = concatenate([slice_axis(y, 0, num - 1, 0), expand_dims(last, 0)], axis=0)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if np.issubdtype(dtype, np.integer):
        y = u["floor"](y)
    return astype(y, dtype)


@implements(np.logspace)
def logspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    base: Any = 10.0,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    """NumPy's ``logspace``: ``base ** linspace(start, stop, num)``; ``start``, ``stop`` and
    ``base`` may be batched (``num`` must be concrete)."""
    num = concrete_int(num, "logspace num")

    start, stop, base = (arr(v) if is_traced(v) else np.asarray(v) for v in (start, stop, base))
    nd = max(ndim(start), ndim(stop), ndim(base))
    start, stop, base = (
        reshape(v, (1,) * (nd - ndim(v)) + shape(v)) if ndim(v) < nd else v
        for v in (start, stop, base)
    )
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    base = expand_dims(base, axis)
    out = u["power"](base, y)
    return out if dtype is None else astype(out, dtype)


@implements(np.geomspace)
def geomspace(
    start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None, axis: int = 0
) -> Any:
    """NumPy's ``geomspace``: a geometric progression from ``start`` to ``stop`` (exact
    endpoints); ``start``/``stop`` may be batched (``num`` must be concrete).

    NumPy raises ``ValueError`` for a zero endpoint; inside vmap/jit that check cannot raise
    per example, so the lanes with a zero endpoint hold NaN (and a complex traced endpoint
    raises ``UnsupportedOperationError``).
    """
    num = concrete_int(num, "geomspace num")
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    start, stop = (
        u["multiply"](arr(v) if is_traced(v) else np.asarray(v), 1.0) for v in (start, stop)
    )
    dt = np.result_type(start.dtype, stop.dtype, float(num), np.zeros((), dtype).dtype)
    if np.issubdtype(dt, np.complexfloating):
        raise errors.UnsupportedOperationError(
            "autovec.numpy.geomspace with complex endpoints is not supported inside vmap/jit."
        )
    sign = u["sign"](start)
    start, stop = u["divide"](start, sign), u["divide"](stop, sign)
    y = logspace(u["log10"](start), u["log10"](stop), num, endpoint=endpoint, dtype=dt)
    # The exact endpoints, as NumPy sets them.
    rest = shape(y)[1:]
    pieces = []
    if num > 0:
        pieces.append(expand_dims(astype(broadcast_to(start, rest), dt), 0))
    mid_end = num - 1 if (endpoint and num > 1) else num
    if mid_end > 1:
        pieces.append(getitem(y, slice(1, mid_end)))
    if endpoint and num > 1:
        pieces.append(expand_dims(astype(broadcast_to(stop, rest), dt), 0))
    y = concatenate(pieces, axis=0) if pieces else y
    y = u["multiply"](y, sign)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is None:
        return y
    if np.issubdtype(np.dtype(dtype), np.integer):
        y = u["floor"](y)
    return astype(y, dtype)


# -------------------------------------------------------------------------------- grids


# What NumPy's meshgrid(sparse=True, copy=False) returns: a list before NumPy 2.5, a tuple since.
_SPARSE_VIEW_GRID = type(np.meshgrid(np.zeros(1), sparse=True, copy=False))


@implements(np.meshgrid)
def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> Any:
    """NumPy's ``meshgrid`` (a tuple of arrays; ``sparse=True, copy=False`` gives what this
    NumPy gives: a list before 2.5)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    n = len(xi)
    ones = (1,) * n
    out = [reshape(arr(x), ones[:i] + (-1,) + ones[i + 1 :]) for i, x in enumerate(xi)]
    if indexing == "xy" and n > 1:
        out[0] = reshape(out[0], (1, -1) + ones[2:])
        out[1] = reshape(out[1], (-1, 1) + ones[2:])
    if not sparse:
        out = broadcast_arrays(*out)
    if copy:
        return tuple(out)
    return _SPARSE_VIEW_GRID(out) if sparse else out


@implements(np.indices)
def indices(dimensions: Any, dtype: Any = int, sparse: bool = False) -> Any:
    """NumPy's ``indices``: the grid of positions of a static shape (a constant)."""
    concrete_value(dimensions, "indices: dimensions")
    return np.indices(dimensions, dtype=dtype, sparse=sparse)


__all__ = [
    "array",
    "asarray",
    "asanyarray",
    "ascontiguousarray",
    "copy",
    "asfortranarray",
    "require",
    "asarray_chkfinite",
    "fromiter",
    "fromfunction",
    "zeros",
    "ones",
    "empty",
    "full",
    "zeros_like",
    "ones_like",
    "empty_like",
    "full_like",
    "eye",
    "identity",
    "arange",
    "linspace",
    "logspace",
    "geomspace",
    "meshgrid",
    "indices",
]
