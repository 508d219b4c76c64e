"""Indexing-like functions that read (NumPy's "Indexing-like operations"): ``take``,
``take_along_axis``, ``choose``, ``select``, ``compress``, ``diagonal``, ``trace``.

Reads with batched indices are the ``index`` primitive (an example's own index picks from its
own array).  ``take_static`` and ``slice_axis`` are the gathers with concrete positions that
the composite functions build on."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import Tracer
from autovec.interpreters import batching
from autovec.numpy._convert import arr as _arr
from autovec.numpy._util import (
    concrete_int,
    implements,
    is_traced,
    ndim,
    normalize_axis,
    reject_out,
    shape,
)
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import astype, moveaxis, ravel
from autovec.numpy.reductions import sum as _sum
from autovec.numpy.ufuncs import UFUNCS, where
from autovec.prims.gather import choose_p
from autovec.prims.shape import ARRAY, index_p

_FULL = (None, None, None)


_ALL = slice(None)


def check_int_indices(indices: Any, what: str = "indices") -> None:
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


def take_static(x: Any, index: np.ndarray, axis: int) -> Any:
    """``x`` gathered along ``axis`` with a concrete integer index array (one gather)."""
    return getitem(x, (_ALL,) * axis + (np.asarray(index, dtype=np.intp),))


def slice_axis(x: Any, start: Any, stop: Any, axis: int, step: Any = None) -> Any:
    """``x[..., start:stop:step, ...]`` along ``axis`` (a view)."""
    return getitem(x, (_ALL,) * axis + (slice(start, stop, step),))


@implements(np.take)
def take(a: Any, indices: Any, axis: Any = None, out: Any = None, mode: str = "raise") -> Any:
    """NumPy's ``take``: elements of ``a`` at ``indices`` along ``axis`` (None: flattened);
    ``indices`` may be batched."""
    reject_out("take", out)
    a, indices = _arr(a), _arr(indices)
    if not isinstance(indices, Tracer):
        indices = np.asarray(indices)
    check_int_indices(indices)
    if axis is None:
        a, ax = ravel(a), 0
    else:
        ax = normalize_axis(axis, ndim(a))
    indices = _apply_mode(indices, shape(a)[ax], mode)
    spec = (_FULL,) * ax + (ARRAY,) + (_FULL,) * (ndim(a) - ax - 1)
    return index_p.bind(a, indices, spec=spec)


def along_axis_index(arr_shape: tuple, indices: Any, axis: int) -> list:
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


def along_axis_args(fname: str, a: Any, indices: Any, axis: Any) -> tuple[Any, Any, int]:
    a, indices = _arr(a), _arr(indices)
    if not isinstance(indices, Tracer):
        indices = np.asarray(indices)
    check_int_indices(indices)
    if axis is None:
        if ndim(indices) != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        return ravel(a), indices, 0
    if ndim(indices) != ndim(a):
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    return a, indices, normalize_axis(axis, ndim(a))


@implements(np.take_along_axis)
def take_along_axis(arr: Any, indices: Any, axis: Any = -1) -> Any:  # noqa: A002
    """NumPy's ``take_along_axis``: ``out[..., j, ...] = arr[..., indices[..., j, ...], ...]``
    along ``axis`` (None: the flattened array), the other axes broadcast."""
    a, indices, ax = along_axis_args("take_along_axis", arr, indices, axis)
    idx = along_axis_index(shape(a), indices, ax)
    return index_p.bind(a, *idx, spec=(ARRAY,) * ndim(a))


@implements(np.choose)
def choose(a: Any, choices: Any, out: Any = None, mode: str = "raise") -> Any:
    """NumPy's ``choose``: ``choices[a[i]][i]`` per element, ``a`` and every choice
    broadcast together; ``mode`` 'raise' (0 <= a < n), 'wrap' or 'clip'."""
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
    check_int_indices(a, "choose's index array")
    return choose_p.bind(a, *choices, mode=mode)


@implements(np.select)
def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Any:
    """NumPy's ``select``: per element, the choice of the first true condition, else
    ``default``; everything broadcasts together."""
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


@implements(np.compress)
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


def diagonal_positions(n1: int, n2: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    if offset >= 0:
        length = builtins.max(0, builtins.min(n1, n2 - offset))
        return np.arange(length), np.arange(length) + offset
    length = builtins.max(0, builtins.min(n1 + offset, n2))
    return np.arange(length) - offset, np.arange(length)


@implements(np.diagonal)
def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """NumPy's ``diagonal``: the diagonal of the (axis1, axis2) planes, as the last axis."""
    a = _arr(a)
    nd = ndim(a)
    if nd < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    ax1, ax2 = normalize_axis(axis1, nd), normalize_axis(axis2, nd)
    if ax1 == ax2:
        raise ValueError("axis1 and axis2 cannot be the same")
    offset = concrete_int(offset, "diagonal offset")
    rows, cols = diagonal_positions(shape(a)[ax1], shape(a)[ax2], offset)
    spec = tuple(ARRAY if k in (ax1, ax2) else _FULL for k in range(nd))
    first, second = (rows, cols) if ax1 < ax2 else (cols, rows)
    out = index_p.bind(a, first, second, spec=spec)
    # NumPy puts the diagonal last; the index put it where the two axes were (if adjacent)
    # or first.
    where_block = builtins.min(ax1, ax2) if abs(ax1 - ax2) == 1 else 0
    # A read-only view of ``a`` in NumPy: writes raise, and it sees writes into ``a``.
    return batching.read_only(
        moveaxis(out, where_block, -1), a, lambda b: diagonal(b, offset, axis1, axis2)
    )


@implements(np.trace)
def trace(
    a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None, out: Any = None
) -> Any:
    """NumPy's ``trace``: the sum along the diagonal (``sum``'s dtype rules)."""
    reject_out("trace", out)
    return _sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


__all__ = [
    "take",
    "take_along_axis",
    "choose",
    "select",
    "compress",
    "diagonal",
    "trace",
]
