"""Searching and counting (NumPy's "Searching" and "Counting"): ``searchsorted``,
``nonzero``, ``flatnonzero``, ``argwhere``, ``extract``, ``count_nonzero``.

``nonzero`` and its kin return as many results as there are hits, a count that depends on
the values, while a batch needs one shape for every example: inside vmap/jit they raise
``DataDependentShapeError`` naming the way out.  Where JAX offers a static-size form, so do
we, with JAX's spelling: ``size=N`` gives exactly ``N`` entries per example (truncated, or
padded with ``fill_value``), which batches like any other function.  The static forms are
built on a stable ``argsort``: sorting ``not mask`` brings the positions where the mask holds
to the front, in order, so the first ``N`` sorted positions are the first ``N`` hits."""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec import errors
from autovec.interpreters.split import per_example
from autovec.numpy._convert import arr
from autovec.numpy._convert import arr as _arr  # extract has a parameter named arr
from autovec.numpy._util import concrete_int, holds_tracer, implements, ndim, shape
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import astype, concatenate, ravel, stack
from autovec.numpy.reductions import sum as _sum
from autovec.numpy.selection import take
from autovec.numpy.ufuncs import UFUNCS, where
from autovec.prims.sorting import argsort_p, searchsorted_p

u = UFUNCS


@implements(np.searchsorted)
def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None) -> Any:
    """NumPy's ``searchsorted``: where ``v``'s elements would go in the sorted 1-d ``a`` to
    keep it sorted.  ``a`` and ``v`` may both be batched; ``a`` must be sorted (as NumPy
    requires; NaN last), or ``a[sorter]`` with ``sorter`` given."""
    if side not in ("left", "right"):
        raise ValueError(f"search side must be 'left' or 'right' (got {side!r})")
    a, v = arr(a), arr(v)
    if ndim(a) != 1:
        raise ValueError("object too deep for desired array")
    if sorter is not None:
        a = take(a, sorter)
    return searchsorted_p.bind(a, v, side=side, batch_dims=0)


# ------------------------------------------------------------------ nonzero and its kin


def needs_size(fname: str, extra: str = "") -> errors.DataDependentShapeError:
    # numpy.<fname> has no size argument: the advice names autovec.numpy's function.
    return errors.DataDependentShapeError(
        f"{fname}: the number of results depends on the values, which differ per example, "
        f"but a batch needs one shape. Call autovec.numpy.{fname}(..., size=N) (optionally "
        f"fill_value=...; numpy.{fname} itself has no size argument) for exactly N results "
        f"per example, padded or truncated{extra}; or keep the shape and use "
        f"autovec.numpy.where(condition, x, y) instead."
    )


def per_example_value(fname: str, x: Any) -> Any:
    """``x``'s concrete value in eager vmap, where the batch splits by value and each group
    continues as the loop would (autovec/interpreters/split.py); else the size advice."""
    values = per_example(x)
    if values is None:
        raise needs_size(fname)
    return values[0]


def static_size(size: Any) -> int:
    n = concrete_int(size, "size")
    if n < 0:
        raise ValueError(f"size must be non-negative, got {n}")
    return n


def required_size(fname: str, size: Any, extra: str = "") -> int:
    """The static ``size=N`` a traced call needs (NumPy's own call takes the others)."""
    if size is None:
        raise needs_size(fname, extra)
    return static_size(size)


def first_positions(mask: Any, size: int) -> tuple[Any, Any]:
    """(the first ``size`` positions where the 1-d ``mask`` holds, padded with 0; how many
    of them are real)."""
    n = shape(mask)[0]
    order = argsort_p.bind(u["logical_not"](mask), axis=0, kind="stable")
    if size <= n:
        first = getitem(order, slice(0, size))
    else:
        first = concatenate((order, np.zeros(size - n, np.intp)))
    count = _sum(mask, dtype=np.intp)
    valid = u["less"](np.arange(size), count)
    return where(valid, first, 0), valid


def _fills(fill_value: Any, nd: int) -> list:
    if fill_value is None:
        return [0] * nd
    if isinstance(fill_value, (tuple, list)):
        if len(fill_value) != nd:
            raise ValueError(
                f"fill_value must be a scalar or a tuple of length {nd}; got {fill_value!r}"
            )
        return list(fill_value)
    return [fill_value] * nd


def _nonzero_sized(x: Any, size: int, fill_value: Any) -> tuple:
    shp = shape(x)
    flat, valid = first_positions(ravel(astype(x, bool)), size)
    out = []
    stride = int(np.prod(shp, dtype=np.int64))
    for dim, fill in zip(shp, _fills(fill_value, len(shp))):
        stride //= max(dim, 1)
        coord = u["remainder"](u["floor_divide"](flat, stride), max(dim, 1))
        out.append(astype(where(valid, coord, fill), np.intp))
    return tuple(out)


@implements(np.nonzero, extra=("size", "fill_value"))
def nonzero(a: Any, *, size: Any = None, fill_value: Any = None) -> tuple:
    """NumPy's ``nonzero``: the indices of the nonzero elements, one array per axis.

    ``size=N`` (JAX's static form): exactly ``N`` indices per axis, the first ``N`` nonzero
    elements in C order, padded with ``fill_value`` (default 0; a tuple gives one value per
    axis).  Without ``size``, eager vmap splits the batch by value (see
    ``autovec/interpreters/split.py``); jit needs ``size``."""
    x = arr(a)
    if size is None and ndim(x):  # (0-d: NumPy's own error, below)
        return np.nonzero(per_example_value("nonzero", x))
    if ndim(x) == 0:
        raise ValueError(
            "Calling nonzero on 0d arrays is not allowed. Use np.atleast_1d(scalar).nonzero() "
            "instead. If the context of this error is of the form `arr[nonzero(cond)]`, just "
            "use `arr[cond]`."
        )
    return _nonzero_sized(x, static_size(size), fill_value)


@implements(np.flatnonzero, extra=("size", "fill_value"))
def flatnonzero(a: Any, *, size: Any = None, fill_value: Any = None) -> Any:
    """NumPy's ``flatnonzero``: indices of the nonzero elements of the flattened array
    (``size``/``fill_value`` as in ``nonzero``)."""
    if size is None:
        return np.flatnonzero(per_example_value("flatnonzero", arr(a)))
    return nonzero(ravel(arr(a)), size=size, fill_value=fill_value)[0]


@implements(np.argwhere, extra=("size", "fill_value"))
def argwhere(a: Any, *, size: Any = None, fill_value: Any = None) -> Any:
    """NumPy's ``argwhere``: one row of indices per nonzero element (``size`` rows with
    ``size=``, padded with ``fill_value``)."""
    if size is None:
        return np.argwhere(per_example_value("argwhere", arr(a)))
    n = static_size(size)
    x = arr(a)
    if ndim(x) == 0:
        return np.zeros((n, 0), np.intp)
    return stack(_nonzero_sized(x, n, fill_value), axis=1)


@implements(np.extract, extra=("size", "fill_value"))
def extract(condition: Any, arr: Any, *, size: Any = None, fill_value: Any = 0) -> Any:
    """NumPy's ``extract``: the elements of ``arr`` where ``condition`` holds (flattened).

    A concrete ``condition`` selects the same positions in every example, so a batched
    ``arr`` needs nothing more.  A batched ``condition`` needs ``size=N`` (JAX's form: the
    first ``N`` selected elements, padded with ``fill_value``)."""
    if size is None:
        if holds_tracer(condition):
            raise needs_size("extract", " (or pass a condition that is the same for every example)")
        positions = np.flatnonzero(np.ravel(condition))
        return getitem(ravel(_arr(arr)), (positions,))
    values = ravel(_arr(arr))
    flat, valid = first_positions(ravel(astype(_arr(condition), bool)), static_size(size))
    return where(valid, getitem(values, (flat,)), astype(_arr(fill_value), values.dtype))


@implements(np.count_nonzero)
def count_nonzero(a: Any, axis: Any = None, *, keepdims: bool = False) -> Any:
    """NumPy's ``count_nonzero`` (traced: an intp count per example, also for ``axis=None``,
    where NumPy returns a Python int)."""
    # (copy=False: a mask already boolean is counted as it is, with no copy of it first)
    return _sum(astype(arr(a), bool, copy=False), axis=axis, dtype=np.intp, keepdims=keepdims)


__all__ = [
    "searchsorted",
    "nonzero",
    "flatnonzero",
    "argwhere",
    "extract",
    "count_nonzero",
]
