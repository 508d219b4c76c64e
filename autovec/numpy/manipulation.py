"""Shape functions with NumPy's signatures; each is one shape primitive or a few."""

from __future__ import annotations

import builtins
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from autovec.core import Tracer
from autovec.numpy._convert import arr
from autovec.numpy._util import (
    implements,
    is_traced,
    ndim,
    normalize_axes,
    normalize_axis,
    normalize_axis_tuple,
    reject_traced_kwargs,
    shape,
)
from autovec.prims.scatter import copy_p
from autovec.prims.shape import (
    broadcast_to_p,
    concatenate_p,
    convert_element_type_p,
    expand_dims_p,
    flip_p,
    ravel_p,
    reshape_by_layout_p,
    reshape_p,
    squeeze_p,
    transpose_p,
)


def _resolve_shape(new: Any, size: int) -> tuple[int, ...]:
    if (
        isinstance(new, (int, np.integer))
        or not isinstance(new, Sequence)
        and hasattr(new, "__index__")
    ):
        new = (new,)
    new = tuple(operator.index(s) for s in new)
    unknown = [i for i, s in enumerate(new) if s == -1]
    if len(unknown) > 1:
        raise ValueError("can only specify one unknown dimension")
    known = int(np.prod([s for s in new if s != -1], dtype=np.int64))
    if unknown:
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape array of size {size} into shape {new}")
        new = tuple(size // known if s == -1 else s for s in new)
    elif known != size:
        raise ValueError(f"cannot reshape array of size {size} into shape {new}")
    return new


def _reshape_none_keeps_shape() -> bool:
    """NumPy 2.4 reads ``np.reshape(a, None)`` as "keep the shape"; in 2.2 a missing (or
    None) shape is a TypeError, as it is for ``np.reshape(a)`` everywhere."""
    try:
        np.reshape(np.zeros(1), None)
    except TypeError:
        return False
    return True


_RESHAPE_NONE_KEEPS_SHAPE = _reshape_none_keeps_shape()


def reshape(
    a: Any, /, shape: Any = None, order: str = "C", *, newshape: Any = None, copy: Any = None
) -> Any:
    """NumPy's ``reshape`` (orders 'C' and 'F'; one -1 allowed)."""
    if shape is None:
        shape = newshape
    if shape is None and not _RESHAPE_NONE_KEEPS_SHAPE:
        raise TypeError("reshape() missing 1 required positional argument: 'shape'")
    a = arr(a)
    if shape is None:
        return a  # NumPy reads reshape(a, None) as "keep the shape"
    size = int(np.prod(_shape(a), dtype=np.int64))
    new = _resolve_shape(shape, size)
    if order == "F":
        return transpose(reshape(transpose(a), new[::-1]))
    if order not in ("C", "A"):
        raise ValueError("order must be one of 'C', 'F', 'A'")
    if new == _shape(a):
        return a
    if order == "A":  # the order depends on a's layout: read when the program runs
        return reshape_by_layout_p.bind(a, new_sizes=new, batch_dims=0)
    return reshape_p.bind(a, new_sizes=new)


def _shape(a: Any) -> tuple[int, ...]:
    return shape(a)


def ravel(a: Any, order: str = "C") -> Any:
    """NumPy's ``ravel``: a flat copy or view."""
    if order not in ("C", "F", "A", "K"):
        raise ValueError("order must be one of 'C', 'F', 'A', or 'K'")
    if order == "F":
        return reshape(a, (-1,), order="F")
    # NumPy's own ravel: a copy unless a is contiguous in that order (so a result never
    # shares memory with a where NumPy's would not); "A" and "K" read a's layout at run time.
    return ravel_p.bind(arr(a), order=order, batch_dims=0)


def transpose(a: Any, axes: Any = None) -> Any:
    """NumPy's ``transpose`` (reverse the axes, or permute them by ``axes``)."""
    a = arr(a)
    nd = ndim(a)
    perm = tuple(range(nd))[::-1] if axes is None else tuple(normalize_axis(x, nd) for x in axes)
    if sorted(perm) != list(range(nd)):
        raise ValueError("axes don't match array")
    if perm == tuple(range(nd)):
        return a
    return transpose_p.bind(a, perm=perm)


def permute_dims(a: Any, axes: Any = None) -> Any:
    """Array-API spelling of ``transpose``."""
    return transpose(a, axes)


def moveaxis(a: Any, source: Any, destination: Any) -> Any:
    """NumPy's ``moveaxis``."""
    a = arr(a)
    nd = ndim(a)
    src = normalize_axis_tuple(source, nd)
    dst = normalize_axis_tuple(destination, nd)
    if len(src) != len(dst):
        raise ValueError(
            "`source` and `destination` arguments must have the same number of elements"
        )
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    """NumPy's ``swapaxes``."""
    a = arr(a)
    nd = ndim(a)
    perm = list(range(nd))
    i, j = normalize_axis(axis1, nd), normalize_axis(axis2, nd)
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


def matrix_transpose(x: Any, /) -> Any:
    """Swap the last two axes."""
    if ndim(x) < 2:
        raise ValueError("Input array must be at least 2-dimensional")
    return swapaxes(x, -1, -2)


def expand_dims(a: Any, axis: Any) -> Any:
    """NumPy's ``expand_dims`` (``axis`` an int or a tuple, positions in the output)."""
    a = arr(a)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = normalize_axes(axes, ndim(a) + len(axes))
    return expand_dims_p.bind(a, axes=axes)


def squeeze(a: Any, axis: Any = None) -> Any:
    """NumPy's ``squeeze``."""
    a = arr(a)
    shp = _shape(a)
    if axis is None:
        axes = tuple(i for i, s in enumerate(shp) if s == 1)
    else:
        axes = normalize_axes(axis, len(shp))
        if builtins.any(shp[i] != 1 for i in axes):
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    if not axes:
        return a
    return squeeze_p.bind(a, axes=axes)


def broadcast_to(array: Any, shape: Any, subok: bool = False) -> Any:
    """NumPy's ``broadcast_to``."""
    a = arr(array)
    shp = (
        (shape,)
        if isinstance(shape, (int, np.integer))
        else tuple(operator.index(s) for s in shape)
    )
    np.broadcast_shapes(_shape(a), shp)  # NumPy's error for incompatible shapes
    if len(shp) < ndim(a) or np.broadcast_shapes(_shape(a), shp) != shp:
        raise ValueError(f"cannot broadcast a non-scalar of shape {_shape(a)} to shape {shp}")
    return broadcast_to_p.bind(a, shape=shp)


def broadcast_arrays(*args: Any, subok: bool = False) -> tuple:
    """NumPy's ``broadcast_arrays`` (returns a tuple)."""
    args = [arr(a) for a in args]
    shp = np.broadcast_shapes(*(_shape(a) for a in args))
    # An argument that is not traced stays a NumPy array, as in NumPy (a Python scalar
    # becomes a 0-d array): library code checks ``isinstance(x, np.ndarray)`` and indexes it.
    return tuple(
        a
        if _shape(a) == shp and isinstance(a, Tracer)
        else broadcast_to(a, shp)
        if isinstance(a, Tracer)
        else np.asarray(a)
        if _shape(a) == shp
        else np.broadcast_to(a, shp)
        for a in args
    )


def concatenate(
    arrays: Any, axis: Any = 0, out: Any = None, *, dtype: Any = None, casting: str = "same_kind"
) -> Any:
    """NumPy's ``concatenate`` (``axis=None`` flattens first)."""
    arrays = [arr(a) for a in arrays]
    if out is not None:
        if not is_traced(*arrays):
            return np.concatenate(arrays, axis=axis, out=out, dtype=dtype, casting=casting)

        reject_traced_kwargs("concatenate", tuple(arrays), out=out)
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    nd = ndim(arrays[0])
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    ax = normalize_axis(axis, nd)
    for a in arrays[1:]:
        if ndim(a) != nd:
            raise ValueError(
                "all the input array dimensions except for the concatenation axis must match "
                f"exactly, but along dimension 0, the arrays have {nd} and {ndim(a)} dimensions"
            )
    if dtype is not None:
        arrays = [astype(a, dtype) for a in arrays]
    if len(arrays) == 1:
        return arrays[0]
    return concatenate_p.bind(*arrays, axis=ax)


def stack(
    arrays: Any, axis: int = 0, out: Any = None, *, dtype: Any = None, casting: str = "same_kind"
) -> Any:
    """NumPy's ``stack``: join same-shape arrays along a new axis."""
    arrays = [arr(a) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to stack")
    shapes = {_shape(a) for a in arrays}
    if len(shapes) != 1:
        raise ValueError("all input arrays must have the same shape")
    ax = normalize_axis(axis, ndim(arrays[0]) + 1)
    expanded = [expand_dims(a, ax) for a in arrays]
    if len(expanded) == 1:
        return expanded[0] if dtype is None else astype(expanded[0], dtype)
    return concatenate(expanded, axis=ax, out=out, dtype=dtype, casting=casting)


def flip(m: Any, axis: Any = None) -> Any:
    """NumPy's ``flip`` (all axes when ``axis`` is None)."""
    m = arr(m)
    axes = normalize_axes(axis, ndim(m))
    if not axes:
        return m
    return flip_p.bind(m, axes=axes)


def fliplr(m: Any) -> Any:
    """Flip along axis 1."""
    if ndim(m) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


def flipud(m: Any) -> Any:
    """Flip along axis 0."""
    if ndim(m) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


def astype(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
    """Cast to ``dtype`` (NumPy 2's ``astype``, unsafe casting like ``ndarray.astype``)."""
    x = arr(x)
    dtype = np.dtype(dtype)
    if not is_traced(x) and not isinstance(x, np.ndarray):
        return np.asarray(x).astype(dtype)
    if x.dtype == dtype:  # a copy unless told otherwise; jit drops it where no one can tell
        return copy_p.bind(x) if copy else x
    return convert_element_type_p.bind(x, dtype=dtype)


def shape_of(a: Any) -> tuple[int, ...]:
    """NumPy's ``shape``."""
    return _shape(a)


def ndim_of(a: Any) -> int:
    """NumPy's ``ndim``."""
    return ndim(a)


def size_of(a: Any, axis: Any = None) -> int:
    """NumPy's ``size``."""
    shp = _shape(a)
    if axis is None:
        return int(np.prod(shp, dtype=np.int64))
    return shp[normalize_axis(axis, len(shp))]


# -------------------------------------------------------- changing number of dimensions


def with_ndmin(x: Any, nd: int) -> Any:
    """``x`` with leading size-1 axes up to ``nd`` axes (NumPy's ``ndmin``)."""
    x = arr(x)
    if ndim(x) < nd:
        x = reshape(x, (1,) * (nd - ndim(x)) + shape(x))
    return x


def _atleast(arys: tuple, fn: Any) -> Any:
    res = [fn(arr(a)) for a in arys]
    return res[0] if len(res) == 1 else tuple(res)


def ensure_1d(x: Any) -> Any:
    return reshape(x, (1,)) if ndim(x) == 0 else x


def ensure_2d(x: Any) -> Any:
    if ndim(x) == 0:
        return reshape(x, (1, 1))
    return expand_dims(x, 0) if ndim(x) == 1 else x


def ensure_3d(x: Any) -> Any:
    if ndim(x) == 0:
        return reshape(x, (1, 1, 1))
    if ndim(x) == 1:
        return expand_dims(x, (0, 2))
    return expand_dims(x, 2) if ndim(x) == 2 else x


@implements(np.atleast_1d)
def atleast_1d(*arys: Any) -> Any:
    """NumPy's ``atleast_1d``: scalars become shape (1,); one argument gives one array."""
    return _atleast(arys, ensure_1d)


@implements(np.atleast_2d)
def atleast_2d(*arys: Any) -> Any:
    """NumPy's ``atleast_2d``: (N,) becomes (1, N)."""
    return _atleast(arys, ensure_2d)


@implements(np.atleast_3d)
def atleast_3d(*arys: Any) -> Any:
    """NumPy's ``atleast_3d``: (N,) becomes (1, N, 1) and (M, N) becomes (M, N, 1)."""
    return _atleast(arys, ensure_3d)


# ------------------------------------------------------------------------------ joining


def concat_pieces(pieces: list, axis: int) -> Any:
    """The pieces that are not None, concatenated along ``axis``."""
    pieces = [p for p in pieces if p is not None]
    return pieces[0] if len(pieces) == 1 else concatenate(pieces, axis=axis)


concat = concatenate


# ----------------------------------------------------------------------- transpose-like


@implements(np.rollaxis)
def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    """NumPy's ``rollaxis``: move ``axis`` so that it lies before position ``start``."""
    a = arr(a)
    n = ndim(a)
    axis = normalize_axis(axis, n)
    start = operator.index(start)
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise np.exceptions.AxisError(f"'start' arg requires {-n} <= start < {n + 1}")
    if axis < start:
        start -= 1
    if axis == start:
        return a
    axes = [i for i in range(n) if i != axis]
    axes.insert(start, axis)
    return transpose(a, tuple(axes))


# -------------------------------------------------------------------- shapes and dtypes


def broadcast_shapes(*args: Any) -> tuple[int, ...]:
    """NumPy's ``broadcast_shapes``: the shape the given shapes broadcast to (shapes are
    concrete, so this is NumPy's own)."""
    return np.broadcast_shapes(*args)


def result_type(*arrays_and_dtypes: Any) -> np.dtype:
    """NumPy's ``result_type``; traced values count by their dtype."""
    # Dtypes, scalar types and strings pass as they are (``np.int16`` has a ``dtype``
    # attribute too, but it is a descriptor, not a dtype); Python scalars stay weak.
    return np.result_type(
        *(
            a
            if isinstance(a, (type, np.dtype, str, int, float, complex))
            else getattr(a, "dtype", a)
            for a in arrays_and_dtypes
        )
    )


__all__ = [
    "reshape",
    "ravel",
    "transpose",
    "permute_dims",
    "moveaxis",
    "swapaxes",
    "matrix_transpose",
    "expand_dims",
    "squeeze",
    "broadcast_to",
    "broadcast_arrays",
    "concatenate",
    "stack",
    "flip",
    "fliplr",
    "flipud",
    "astype",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "concat",
    "rollaxis",
    "broadcast_shapes",
    "result_type",
]
