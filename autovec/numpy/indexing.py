"""``x[index]`` for traced values: basic indexing becomes ``getitem`` (a view), integer-array
indexing becomes ``index``.  Boolean masks must be concrete (unbatched): their size decides the
result's shape."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import Tracer
from autovec.numpy._util import arr, ndim
from autovec.prims.shape import ARRAY, getitem_p, index_p

_FULL = (None, None, None)


def _slice_item(s: slice) -> tuple:
    return tuple(None if v is None else operator.index(v) for v in (s.start, s.stop, s.step))


def getitem(x: Any, index: Any) -> Any:
    """NumPy's indexing ``x[index]`` on a traced value (or a plain array, eagerly)."""
    x = arr(x)
    if not isinstance(index, tuple):
        index = (index,)
    items: list[Any] = []
    arrays: list[Any] = []
    for it in index:
        if isinstance(it, Tracer):
            if it.dtype == bool:
                raise errors.DataDependentShapeError(
                    f"Indexing with a boolean mask that is {it._trace.kind} "
                    f"({it.aval.str_short()}): the result's size depends on how many entries "
                    f"are true, which differs per example. Use autovec.numpy.where(mask, x, "
                    f"fill) to keep the shape, or reduce with the mask "
                    f"(e.g. (x * mask).sum())."
                )
            if not np.issubdtype(it.dtype, np.integer):
                raise IndexError("arrays used as indices must be of integer (or boolean) type")
            items.append(ARRAY)
            arrays.append(it)
        elif it is None or it is Ellipsis:
            items.append(it)
        elif isinstance(it, slice):
            items.append(_slice_item(it))
        elif isinstance(it, (bool, np.bool_)) or (
            isinstance(it, np.ndarray) and it.dtype == bool and it.ndim == 0
        ):
            raise errors.UnsupportedOperationError(
                "a boolean scalar index (x[True]) on a traced value is not supported; use "
                "expand_dims (or x[None]) instead."
            )
        elif isinstance(it, (int, np.integer)):
            items.append(operator.index(it))
        else:
            a = np.asarray(it)
            if a.dtype == bool:
                # A concrete mask: its positions are known now, so it is an integer index.
                items.extend([ARRAY] * a.ndim)
                arrays.extend(np.nonzero(a))
                continue
            if a.dtype == object or not (np.issubdtype(a.dtype, np.integer) or a.size == 0):
                raise IndexError(
                    "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) "
                    "and integer or boolean arrays are valid indices"
                )
            items.append(ARRAY)
            arrays.append(a.astype(np.intp, copy=False))
    # Expand the Ellipsis (at most one) into full slices.
    consumed = sum(1 for it in items if it is not None and it is not Ellipsis)
    n_ell = items.count(Ellipsis)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > ndim(x):
        raise IndexError(
            f"too many indices for array: array is {ndim(x)}-dimensional, but "
            f"{consumed} were indexed"
        )
    if n_ell:
        k = items.index(Ellipsis)
        items[k : k + 1] = [_FULL] * (ndim(x) - consumed)
    if not arrays:
        return getitem_p.bind(x, index=tuple(items))
    # NumPy counts integer scalars as array indices when arrays are present.
    spec = []
    all_arrays = []
    it_arrays = iter(arrays)
    for it in items:
        if it == ARRAY:
            spec.append(ARRAY)
            all_arrays.append(next(it_arrays))
        elif isinstance(it, int):
            spec.append(ARRAY)
            all_arrays.append(np.asarray(it, dtype=np.intp))
        else:
            spec.append(it)
    # Trailing axes not named by the index are full slices (the prim's spec is complete).
    spec.extend([_FULL] * (ndim(x) - sum(1 for s in spec if s is not None)))
    return index_p.bind(x, *all_arrays, spec=tuple(spec))


def setitem_error(x: Any, index: Any, value: Any) -> None:
    raise errors.UnsupportedOperationError(
        f"In-place assignment (x[...] = v) into a value {x._trace.kind} is not supported: "
        f"traced values are immutable. Build the new value instead, e.g. with "
        f"autovec.numpy.where(mask, v, x), or autovec.numpy.concatenate of the pieces."
    )
