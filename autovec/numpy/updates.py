"""Functions that write into arrays (NumPy's "Inserting data into arrays"): ``put``,
``put_along_axis``, ``putmask``, ``place``, ``fill_diagonal``, ``copyto``, and the functional
forms ``set_at``, ``add_at``, ... ``ufunc_at``.

NumPy's update functions write into their first argument and return None; on a traced array
the array takes the updated value the same way (see ``autovec.numpy.indexing``) and the
function also returns it.  A plain NumPy array cannot hold per-example values, so updating
one with traced indices or values needs ``inplace=False`` (JAX's spelling), which returns the
updated array and leaves the argument alone.

``set_at``, ``add_at``, ... ``ufunc_at`` are the functional forms of ``x[i] = v`` and
``np.add.at(x, i, v)``: they return the updated array and never modify ``x``, traced or not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import Tracer
from autovec.numpy._convert import arr
from autovec.numpy._convert import arr as _arr
from autovec.numpy._util import holds_tracer, implements, is_traced, ndim, shape
from autovec.numpy.indexing import as_value, fit_value, iota, update
from autovec.numpy.manipulation import astype, broadcast_to, ravel, reshape
from autovec.numpy.selection import along_axis_args, along_axis_index, check_int_indices, take
from autovec.numpy.ufuncs import UFUNCS, where
from autovec.numpy.ufuncs import where as _where
from autovec.prims.cumulative import accumulate_p
from autovec.prims.scatter import scatter_p
from autovec.prims.shape import ARRAY, index_p


def _finish_update(fname: str, a: Any, new: Any, inplace: bool) -> Any:
    """Deliver an update: into a tracer ``a`` (it takes ``new``) or as a return value."""
    if not inplace:
        return new
    if isinstance(a, Tracer):
        a._become(new)
        return a
    raise errors.UnsupportedOperationError(
        f"{fname} writes into its first argument, here a plain NumPy array, which cannot hold "
        f"per-example (traced) values. Pass inplace=False and use the returned array: "
        f"a = autovec.numpy.{fname}(a, ..., inplace=False)."
    )


@implements(np.put_along_axis, extra=("inplace",))
def put_along_axis(
    arr: Any,  # noqa: A002
    indices: Any,
    values: Any,
    axis: Any,
    *,
    inplace: bool = True,
) -> Any:
    """NumPy's ``put_along_axis``: ``arr[..., indices[..., j, ...], ...] = values`` along
    ``axis``.  A traced ``arr`` takes the update (and it is returned); ``inplace=False``
    returns the updated array instead of writing (also for plain arrays)."""
    if not holds_tracer([arr, indices, values]):  # inplace=False: NumPy's update of a copy
        arr = np.array(arr, copy=True)
        np.put_along_axis(arr, indices, values, axis)
        return arr
    target = arr
    a, idx, ax = along_axis_args("put_along_axis", arr, indices, axis)
    index = along_axis_index(shape(a), idx, ax)
    pos = index_p.bind(iota(shape(a)), *index, spec=(ARRAY,) * ndim(a))
    # Flat positions address the array whatever its shape (axis=None ravels it only to
    # read the positions).
    new = _scatter_set(_arr(target), pos, values)
    return _finish_update("put_along_axis", target, new, inplace)


def _scatter_set(a: Any, pos: Any, values: Any) -> Any:
    """``a`` with ``a.flat[pos] = values`` (``values`` broadcast to ``pos``'s shape)."""
    return scatter_p.bind(a, pos, fit_value(as_value(a, values), shape(pos)), ufunc=None)


def _cycled(values: Any, count: int) -> Any:
    """``values`` flattened and repeated to ``count`` entries (NumPy's ``put``/``putmask``)."""
    flat = ravel(values)
    n = shape(flat)[0]
    if n == count:
        return flat
    return take(flat, np.arange(count) % n) if n else flat


@implements(np.put, extra=("inplace",))
def put(a: Any, ind: Any, v: Any, mode: str = "raise", *, inplace: bool = True) -> Any:
    """NumPy's ``put``: ``a.flat[ind] = v``, ``v`` repeated to ``ind``'s length; ``mode``
    for out-of-range indices.  Traced ``a`` takes the update (see ``put_along_axis``)."""
    if not holds_tracer([a, ind, v]):  # inplace=False: NumPy's update of a copy
        a = np.array(a, copy=True)
        np.put(a, ind, v, mode=mode)
        return a
    target = a
    a = _arr(a)
    ind = _arr(ind)
    if not isinstance(ind, Tracer):
        ind = np.asarray(ind)
    check_int_indices(ind)
    size = int(np.prod(shape(a), dtype=np.int64))
    if size == 0 and mode != "raise":
        raise IndexError("cannot replace elements of an empty array")
    pos = take(iota((size,)), ravel(ind), mode=mode)
    count = shape(pos)[0]
    vals = _value_cycled(a, v, count)
    if vals is None:
        return _finish_update("put", target, a, inplace)
    new = scatter_p.bind(a, pos, vals, ufunc=None)
    return _finish_update("put", target, new, inplace)


def _value_cycled(a: Any, v: Any, count: int) -> Any:
    v = as_value(a, v)
    if int(np.prod(shape(v), dtype=np.int64)) == 0:
        return None  # NumPy: nothing to write
    return _cycled(v, count)


@implements(np.putmask, extra=("inplace",))
def putmask(a: Any, mask: Any, values: Any, *, inplace: bool = True) -> Any:
    """NumPy's ``putmask``: ``a.flat[i] = values.flat[i % len(values)]`` where ``mask`` is
    true; the mask may be batched."""
    if not holds_tracer([a, mask, values]):  # inplace=False: NumPy's update of a copy
        a = np.array(a, copy=True)
        np.putmask(a, mask, values)
        return a
    target = a
    a = _arr(a)
    mask = _arr(mask)
    if shape(mask) != shape(a):
        raise ValueError("putmask: mask and data must be the same size")
    size = int(np.prod(shape(a), dtype=np.int64))
    vals = _value_cycled(a, values, size)
    if vals is None:
        return _finish_update("putmask", target, a, inplace)
    new = where(mask, astype(reshape(vals, shape(a)), a.dtype), a)
    return _finish_update("putmask", target, new, inplace)


@implements(np.place, extra=("inplace",))
def place(arr: Any, mask: Any, vals: Any, *, inplace: bool = True) -> Any:  # noqa: A002
    """NumPy's ``place``: the true positions of ``mask`` take ``vals`` in order (repeated if
    shorter).  The mask may be batched: each true entry reads ``vals`` at its rank among the
    true entries, a running count."""
    if not holds_tracer([arr, mask, vals]):  # inplace=False: NumPy's update of a copy
        arr = np.array(arr, copy=True)
        np.place(arr, mask, vals)
        return arr
    target = arr
    a = _arr(arr)
    mask = _arr(mask)
    if int(np.prod(shape(mask), dtype=np.int64)) != int(np.prod(shape(a), dtype=np.int64)):
        raise ValueError("place: mask and data must be the same size")
    v = ravel(as_value(a, vals))
    n = shape(v)[0]
    if n == 0:
        # NumPy refuses an empty vals when the mask has a true entry; a traced mask cannot be
        # checked, and nothing is written.
        if not is_traced(mask) and np.any(mask):
            raise ValueError("Cannot insert from an empty array!")
        return _finish_update("place", target, a, inplace)
    flat_mask = ravel(mask)
    count = accumulate_p.bind(flat_mask, ufunc="add", axis=0, dtype=np.dtype(np.intp))
    rank = UFUNCS["subtract"](count, 1)  # of each true entry among the true entries
    picked = take(v, UFUNCS["remainder"](UFUNCS["maximum"](rank, 0), n))
    new = where(reshape(flat_mask, shape(a)), astype(reshape(picked, shape(a)), a.dtype), a)
    return _finish_update("place", target, new, inplace)


@implements(np.fill_diagonal, extra=("inplace",))
def fill_diagonal(a: Any, val: Any, wrap: bool = False, *, inplace: bool = True) -> Any:
    """NumPy's ``fill_diagonal``: ``val`` (repeated as needed) on the main diagonal of a 2-d
    array, or of an n-d array with all sides equal; ``wrap`` restarts it below a tall
    matrix's square part.  Traced ``a`` takes the update (see ``put_along_axis``)."""
    if not holds_tracer([a, val]):  # inplace=False: NumPy's update of a copy
        a = np.array(a, copy=True)
        np.fill_diagonal(a, val, wrap)
        return a
    target = a
    a = _arr(a)
    shp = shape(a)
    if len(shp) < 2:
        raise ValueError("array must be at least 2-d")
    if len(shp) == 2:
        step = shp[1] + 1
        end = None if wrap else shp[1] * shp[1]
    else:
        if len(set(shp)) != 1:
            raise ValueError("All dimensions of input must be of equal length")
        step = 1 + int(np.cumprod(shp[:-1]).sum())
        end = None
    size = int(np.prod(shp, dtype=np.int64))
    pos = np.arange(size, dtype=np.intp)[:end:step]
    vals = _value_cycled(a, val, pos.shape[0])
    if vals is None or pos.shape[0] == 0:
        return _finish_update("fill_diagonal", target, a, inplace)
    new = scatter_p.bind(a, pos, vals, ufunc=None)
    return _finish_update("fill_diagonal", target, new, inplace)


@implements(np.copyto)
def copyto(dst: Any, src: Any, casting: str = "same_kind", where: Any = True) -> None:
    """NumPy's ``copyto``: ``dst`` takes ``src`` (broadcast, cast under ``casting``) where
    ``where`` holds.  A traced ``dst`` takes the new value in place, as ``x[...] = v`` does
    (views taken earlier keep the old value); ``src`` and ``where`` may be batched."""
    if not isinstance(dst, Tracer):
        raise errors.UnsupportedOperationError(
            "copyto writes into dst, here a plain NumPy array, which cannot hold values that "
            "differ per example. Build the result instead: "
            "dst = autovec.numpy.where(where, src, dst).astype(dst.dtype)."
        )
    src = arr(src)
    src_dtype = src.dtype if hasattr(src, "dtype") else np.result_type(dst.dtype, src)
    if not np.can_cast(src_dtype, dst.dtype, casting):
        raise TypeError(
            f"Cannot cast array data from {np.dtype(src_dtype)!r} to "
            f"{dst.dtype!r} according to the rule {casting!r}"
        )

    new = broadcast_to(astype(src, dst.dtype), shape(dst))
    if where is not True:
        new = _where(where, new, dst)
    dst._become(new)
    return None


# ------------------------------------------------------------------- functional updates


def set_at(a: Any, indices: Any, values: Any) -> Any:
    """The array ``a`` would be after ``a[indices] = values``, returned; ``a`` is left as it
    is (functional; the indices and values may be batched).  Repeated indices keep the last
    value, as NumPy does."""
    return update(a, indices, values)


def ufunc_at(ufunc: Any, a: Any, indices: Any, b: Any = None) -> Any:
    """The array ``a`` would be after ``ufunc.at(a, indices, b)``, returned; ``a`` is left as
    it is (functional).  Repeated indices accumulate, as NumPy's ``ufunc.at`` does."""
    return update(a, indices, b, ufunc=ufunc)


def _make_at(name: str) -> Callable[..., Any]:
    def at(a: Any, indices: Any, b: Any) -> Any:
        return update(a, indices, b, ufunc=name)

    at.__name__ = at.__qualname__ = f"{name}_at"
    at.__doc__ = (
        f"The array ``a`` would be after ``np.{name}.at(a, indices, b)``, returned; ``a`` is "
        f"left as it is (functional).  Repeated indices accumulate."
    )
    return at


add_at = _make_at("add")


subtract_at = _make_at("subtract")


multiply_at = _make_at("multiply")


divide_at = _make_at("divide")


maximum_at = _make_at("maximum")


minimum_at = _make_at("minimum")


def ufunc_at_inplace(ufunc: np.ufunc, a: Any, indices: Any, b: Any = None) -> Any:
    """What ``np.<ufunc>.at(a, indices, b)`` does when a traced value takes part: a traced
    ``a`` takes the updated value (NumPy's in-place write) and is also returned."""
    if not isinstance(a, Tracer):
        raise errors.UnsupportedOperationError(
            f"numpy.{ufunc.__name__}.at(a, ...) writes into a, here a plain NumPy array, which "
            f"cannot hold per-example (traced) values. Use the functional form "
            f"a = autovec.numpy.ufunc_at(numpy.{ufunc.__name__}, a, indices, b), which "
            f"returns the updated array."
        )
    a._become(update(a, indices, b, ufunc=ufunc))
    return a


__all__ = [
    "put_along_axis",
    "put",
    "putmask",
    "place",
    "fill_diagonal",
    "copyto",
    "set_at",
    "ufunc_at",
    "add_at",
    "subtract_at",
    "multiply_at",
    "divide_at",
    "maximum_at",
    "minimum_at",
]
