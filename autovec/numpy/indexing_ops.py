"""Indexing functions with NumPy's signatures: ``take``, ``take_along_axis``, ``choose``,
``select``, ``compress``, ``diagonal``, ``diag``, ``diagflat``, ``tril``, ``triu``, ``trace``,
and the updates ``put_along_axis``, ``put``, ``putmask``, ``place``, ``fill_diagonal``.

Reads with batched indices are the ``index`` primitive (an example's own index picks from its
own array).  NumPy's update functions write into their first argument and return None; on a
traced array the array takes the updated value the same way (see ``autovec.numpy.indexing``)
and the function also returns it.  A plain NumPy array cannot hold per-example values, so
updating one with traced indices or values needs ``inplace=False`` (JAX's spelling), which
returns the updated array and leaves the argument alone.

``set_at``, ``add_at``, ... ``ufunc_at`` are the functional forms of ``x[i] = v`` and
``np.add.at(x, i, v)``: they return the updated array and never modify ``x``, traced or not.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import Tracer
from autovec.numpy._util import arr as _arr
from autovec.numpy._util import concrete_int, is_traced, ndim, normalize_axis, reject_out, shape
from autovec.numpy.indexing import as_value, fit_value, iota, update
from autovec.numpy.manipulation import astype, concatenate, moveaxis, ravel, reshape
from autovec.numpy.reductions import sum as _sum
from autovec.numpy.ufuncs import UFUNCS, where
from autovec.prims.cumulative import accumulate_p
from autovec.prims.gather import choose_p
from autovec.prims.scatter import scatter_p
from autovec.prims.shape import ARRAY, index_p

_FULL = (None, None, None)


def _check_int_indices(indices: Any, what: str = "indices") -> None:
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(
            f"Cannot cast array data from {indices.dtype!r} to dtype('int64') according to "
            f"the rule 'safe' ({what} must be integers)"
        )


def _apply_mode(indices: Any, n: int, mode: str) -> Any:
    """NumPy's ``mode`` for out-of-range indices: 'raise' (negative ones count from the end),
    'wrap' (modulo ``n``) or 'clip' (to ``[0, n-1]``)."""
    if mode == "raise":
        return indices
    if mode not in ("wrap", "clip"):
        raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    if n == 0:
        raise IndexError("cannot do a non-empty take from an empty axes.")
    if mode == "wrap":
        return UFUNCS["remainder"](indices, n)
    return UFUNCS["minimum"](UFUNCS["maximum"](indices, 0), n - 1)


# ----------------------------------------------------------------------------- reading


def take(a: Any, indices: Any, axis: Any = None, out: Any = None, mode: str = "raise") -> Any:
    """NumPy's ``take``: elements of ``a`` at ``indices`` along ``axis`` (None: flattened);
    ``indices`` may be batched."""
    if not is_traced(a, indices):
        return np.take(a, indices, axis=axis, out=out, mode=mode)
    reject_out("take", out)
    a, indices = _arr(a), _arr(indices)
    if not isinstance(indices, Tracer):
        indices = np.asarray(indices)
    _check_int_indices(indices)
    if axis is None:
        a, ax = ravel(a), 0
    else:
        ax = normalize_axis(axis, ndim(a))
    indices = _apply_mode(indices, shape(a)[ax], mode)
    spec = (_FULL,) * ax + (ARRAY,) + (_FULL,) * (ndim(a) - ax - 1)
    return index_p.bind(a, indices, spec=spec)


def _along_axis_index(arr_shape: tuple, indices: Any, axis: int) -> list:
    """The index arrays of ``arr[...]`` that ``take_along_axis`` reads with: ``indices`` on
    ``axis`` and an ``arange`` on every other axis, shaped to broadcast against it."""
    nd = len(arr_shape)
    out: list[Any] = []
    for k, n in enumerate(arr_shape):
        if k == axis:
            out.append(indices)
        else:
            out.append(np.arange(n, dtype=np.intp).reshape((1,) * k + (n,) + (1,) * (nd - k - 1)))
    return out


def _along_axis_args(fname: str, a: Any, indices: Any, axis: Any) -> tuple[Any, Any, int]:
    a, indices = _arr(a), _arr(indices)
    if not isinstance(indices, Tracer):
        indices = np.asarray(indices)
    _check_int_indices(indices)
    if axis is None:
        if ndim(indices) != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        return ravel(a), indices, 0
    if ndim(indices) != ndim(a):
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    return a, indices, normalize_axis(axis, ndim(a))


def take_along_axis(arr: Any, indices: Any, axis: Any = -1) -> Any:  # noqa: A002
    """NumPy's ``take_along_axis``: ``out[..., j, ...] = arr[..., indices[..., j, ...], ...]``
    along ``axis`` (None: the flattened array), the other axes broadcast."""
    if not is_traced(arr, indices):
        return np.take_along_axis(arr, indices, axis=axis)
    a, indices, ax = _along_axis_args("take_along_axis", arr, indices, axis)
    idx = _along_axis_index(shape(a), indices, ax)
    return index_p.bind(a, *idx, spec=(ARRAY,) * ndim(a))


def choose(a: Any, choices: Any, out: Any = None, mode: str = "raise") -> Any:
    """NumPy's ``choose``: ``choices[a[i]][i]`` per element, ``a`` and every choice
    broadcast together; ``mode`` 'raise' (0 <= a < n), 'wrap' or 'clip'."""
    if not is_traced(a, choices) and not (
        isinstance(choices, (list, tuple)) and is_traced(*choices)
    ):
        return np.choose(a, choices, out=out, mode=mode)
    reject_out("choose", out)
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    a = _arr(a)
    if isinstance(choices, (list, tuple)):
        choices = [_arr(c) for c in choices]
    else:
        choices = _arr(choices)
        choices = [choices[i] for i in range(shape(choices)[0])]
    if not isinstance(a, Tracer):
        a = np.asarray(a)
    _check_int_indices(a, "choose's index array")
    return choose_p.bind(a, *choices, mode=mode)


def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Any:
    """NumPy's ``select``: per element, the choice of the first true condition, else
    ``default``; everything broadcasts together."""
    if not is_traced(default, *condlist, *choicelist):
        return np.select(condlist, choicelist, default)
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    conds = [_arr(c) for c in condlist]
    for i, c in enumerate(conds):
        if (c.dtype if isinstance(c, Tracer) else np.asarray(c).dtype) != np.bool_:
            raise TypeError(f"invalid entry {i} in condlist: should be boolean ndarray")
    choices = [_arr(c) for c in choicelist]
    default = _arr(default)

    # NumPy's result dtype, from its own select on 1-element stand-ins of the same kinds.
    def stand_in(v: Any) -> Any:
        return v if type(v) in (int, float, complex, bool) else np.ones((1,) * ndim(v), v.dtype)

    dtype = np.select(
        [np.ones((1,), bool)] * len(choices), [stand_in(c) for c in choices], stand_in(default)
    ).dtype
    result = astype(default, dtype) if isinstance(default, Tracer) else np.asarray(default, dtype)
    for cond, choice in zip(reversed(conds), reversed(choices)):
        c = astype(choice, dtype) if isinstance(choice, Tracer) else np.asarray(choice, dtype)
        result = where(cond, c, result)
    return result


def compress(condition: Any, a: Any, axis: Any = None, out: Any = None) -> Any:
    """NumPy's ``compress``: the slices of ``a`` along ``axis`` where ``condition`` (1-d,
    concrete: its count sets the shape) is true."""
    if isinstance(condition, Tracer) or (
        isinstance(condition, (list, tuple)) and is_traced(*condition)
    ):
        raise errors.DataDependentShapeError(
            "compress with a traced condition: the result's length is the number of true "
            "entries, which differs per example. Use autovec.numpy.where(condition, a, fill) "
            "to keep the shape, or pass the condition unbatched."
        )
    if not is_traced(a):
        return np.compress(condition, a, axis=axis, out=out)
    reject_out("compress", out)
    cond = np.asarray(condition)
    if cond.ndim != 1:
        raise ValueError("condition must be a 1-d array")
    a = _arr(a)
    if axis is None:
        a, axis = ravel(a), 0
    ax = normalize_axis(axis, ndim(a))
    idx = np.nonzero(cond)[0]
    n = shape(a)[ax]
    if idx.size and idx[-1] >= n:
        raise IndexError(f"index {idx[-1]} is out of bounds for axis {ax} with size {n}")
    return take(a, idx, axis=ax)


def _diagonal_index(n1: int, n2: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    if offset >= 0:
        length = builtins.max(0, builtins.min(n1, n2 - offset))
        return np.arange(length), np.arange(length) + offset
    length = builtins.max(0, builtins.min(n1 + offset, n2))
    return np.arange(length) - offset, np.arange(length)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """NumPy's ``diagonal``: the diagonal of the (axis1, axis2) planes, as the last axis."""
    if not is_traced(a):
        return np.diagonal(a, offset, axis1, axis2)
    a = _arr(a)
    nd = ndim(a)
    if nd < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    ax1, ax2 = normalize_axis(axis1, nd), normalize_axis(axis2, nd)
    if ax1 == ax2:
        raise ValueError("axis1 and axis2 cannot be the same")
    offset = concrete_int(offset, "diagonal offset")
    rows, cols = _diagonal_index(shape(a)[ax1], shape(a)[ax2], offset)
    spec = tuple(ARRAY if k in (ax1, ax2) else _FULL for k in range(nd))
    first, second = (rows, cols) if ax1 < ax2 else (cols, rows)
    out = index_p.bind(a, first, second, spec=spec)
    # NumPy puts the diagonal last; the index put it where the two axes were (if adjacent)
    # or first.
    where_block = builtins.min(ax1, ax2) if abs(ax1 - ax2) == 1 else 0
    return moveaxis(out, where_block, -1)


def diag(v: Any, k: int = 0) -> Any:
    """NumPy's ``diag``: a 1-d ``v`` on the ``k``-th diagonal of a square matrix, or the
    ``k``-th diagonal of a 2-d ``v``."""
    if not is_traced(v):
        return np.diag(v, k)
    v = _arr(v)
    k = concrete_int(k, "diag offset")
    if ndim(v) == 2:
        return diagonal(v, k)
    if ndim(v) != 1:
        raise ValueError("Input must be 1- or 2-d.")
    n = shape(v)[0]
    size = n + abs(k)
    # Every entry reads v at its diagonal position, or the zero appended after v's end.
    table = np.full((size, size), n, dtype=np.intp)
    rows, cols = _diagonal_index(size, size, k)
    table[rows, cols] = np.arange(n)
    padded = concatenate([v, np.zeros(1, v.dtype)])
    return index_p.bind(padded, table, spec=(ARRAY,))


def diagflat(v: Any, k: int = 0) -> Any:
    """NumPy's ``diagflat``: the flattened ``v`` on the ``k``-th diagonal."""
    if not is_traced(v):
        return np.diagflat(v, k)
    return diag(ravel(v), k)


def _triangle(m: Any, k: int, lower: bool) -> Any:
    m = _arr(m)
    k = concrete_int(k, "diagonal offset k")
    rows_cols = shape(m)[-2:]
    mask = np.tri(*rows_cols, k=k if lower else k - 1, dtype=bool)
    return where(mask if lower else ~mask, m, np.zeros((), m.dtype))


def tril(m: Any, k: int = 0) -> Any:
    """NumPy's ``tril``: zero above the ``k``-th diagonal of the last two axes."""
    if not is_traced(m):
        return np.tril(m, k)
    return _triangle(m, k, True)


def triu(m: Any, k: int = 0) -> Any:
    """NumPy's ``triu``: zero below the ``k``-th diagonal of the last two axes."""
    if not is_traced(m):
        return np.triu(m, k)
    return _triangle(m, k, False)


def trace(
    a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None, out: Any = None
) -> Any:
    """NumPy's ``trace``: the sum along the diagonal (``sum``'s dtype rules)."""
    if not is_traced(a):
        return np.trace(a, offset, axis1, axis2, dtype=dtype, out=out)
    reject_out("trace", out)
    return _sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


# ----------------------------------------------------------------------------- updates


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
    if not is_traced(arr, indices, values):
        if inplace:
            return np.put_along_axis(arr, indices, values, axis)
        arr = np.array(arr, copy=True)
        np.put_along_axis(arr, indices, values, axis)
        return arr
    target = arr
    a, idx, ax = _along_axis_args("put_along_axis", arr, indices, axis)
    index = _along_axis_index(shape(a), idx, ax)
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


def put(a: Any, ind: Any, v: Any, mode: str = "raise", *, inplace: bool = True) -> Any:
    """NumPy's ``put``: ``a.flat[ind] = v``, ``v`` repeated to ``ind``'s length; ``mode``
    for out-of-range indices.  Traced ``a`` takes the update (see ``put_along_axis``)."""
    if not is_traced(a, ind, v):
        if inplace:
            return np.put(a, ind, v, mode=mode)
        a = np.array(a, copy=True)
        np.put(a, ind, v, mode=mode)
        return a
    target = a
    a = _arr(a)
    ind = _arr(ind)
    if not isinstance(ind, Tracer):
        ind = np.asarray(ind)
    _check_int_indices(ind)
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


def putmask(a: Any, mask: Any, values: Any, *, inplace: bool = True) -> Any:
    """NumPy's ``putmask``: ``a.flat[i] = values.flat[i % len(values)]`` where ``mask`` is
    true; the mask may be batched."""
    if not is_traced(a, mask, values):
        if inplace:
            return np.putmask(a, mask, values)
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


def place(arr: Any, mask: Any, vals: Any, *, inplace: bool = True) -> Any:  # noqa: A002
    """NumPy's ``place``: the true positions of ``mask`` take ``vals`` in order (repeated if
    shorter).  The mask may be batched: each true entry reads ``vals`` at its rank among the
    true entries, a running count."""
    if not is_traced(arr, mask, vals):
        if inplace:
            return np.place(arr, mask, vals)
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


def fill_diagonal(a: Any, val: Any, wrap: bool = False, *, inplace: bool = True) -> Any:
    """NumPy's ``fill_diagonal``: ``val`` (repeated as needed) on the main diagonal of a 2-d
    array, or of an n-d array with all sides equal; ``wrap`` restarts it below a tall
    matrix's square part.  Traced ``a`` takes the update (see ``put_along_axis``)."""
    if not is_traced(a, val):
        if inplace:
            return np.fill_diagonal(a, val, wrap)
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


# ---------------------------------------------------------------- functional updates


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
    "take",
    "take_along_axis",
    "put_along_axis",
    "put",
    "putmask",
    "place",
    "choose",
    "select",
    "compress",
    "diagonal",
    "diag",
    "diagflat",
    "tril",
    "triu",
    "trace",
    "fill_diagonal",
    "set_at",
    "ufunc_at",
    "add_at",
    "subtract_at",
    "multiply_at",
    "divide_at",
    "maximum_at",
    "minimum_at",
]
