"""Functions whose result's SIZE depends on the values: ``nonzero``, ``flatnonzero``,
``argwhere``, ``unique`` (and the array-API ``unique_values``/``unique_counts``/
``unique_inverse``/``unique_all``), ``extract`` and ``trim_zeros``.

A batch needs one shape for every example, so inside vmap/jit these raise
``DataDependentShapeError`` naming the function and the way out.  Where JAX offers a
static-size form, so do we, with JAX's spelling: ``size=N`` gives exactly ``N`` entries per
example (truncated, or padded with ``fill_value``), which batches like any other function.
Eagerly without ``size`` each function is NumPy's own.

The static forms are built on a stable ``argsort``: sorting ``not mask`` brings the
positions where the mask holds to the front, in order, so the first ``N`` sorted positions
are the first ``N`` hits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec import errors
from autovec.numpy._util import arr, concrete_int, is_traced, ndim, shape
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import astype, concatenate, ravel, reshape, stack
from autovec.numpy.reductions import sum as _sum
from autovec.numpy.ufuncs import UFUNCS, where
from autovec.prims.sorting import argsort_p

u = UFUNCS

# NumPy's result types for the array-API unique functions (named tuples).
_ALL_RESULT = type(np.unique_all(np.zeros(1)))
_COUNTS_RESULT = type(np.unique_counts(np.zeros(1)))
_INVERSE_RESULT = type(np.unique_inverse(np.zeros(1)))


def _needs_size(fname: str, extra: str = "") -> errors.DataDependentShapeError:
    # numpy.<fname> has no size argument: the advice names autovec.numpy's function.
    return errors.DataDependentShapeError(
        f"{fname}: the number of results depends on the values, which differ per example, "
        f"but a batch needs one shape. Call autovec.numpy.{fname}(..., size=N) (optionally "
        f"fill_value=...; numpy.{fname} itself has no size argument) for exactly N results "
        f"per example, padded or truncated{extra}; or keep the shape and use "
        f"autovec.numpy.where(condition, x, y) instead."
    )


def _per_example(fname: str, x: Any) -> Any:
    """``x``'s concrete value in eager vmap, where the batch splits by value and each group
    continues as the loop would (autovec/interpreters/split.py); else the size advice."""
    from autovec.interpreters.split import per_example

    values = per_example(x)
    if values is None:
        raise _needs_size(fname)
    return values[0]


def _static_size(size: Any) -> int:
    n = concrete_int(size, "size")
    if n < 0:
        raise ValueError(f"size must be non-negative, got {n}")
    return n


def _first_positions(mask: Any, size: int) -> tuple[Any, Any]:
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
    flat, valid = _first_positions(ravel(astype(x, bool)), size)
    out = []
    stride = int(np.prod(shp, dtype=np.int64))
    for dim, fill in zip(shp, _fills(fill_value, len(shp))):
        stride //= max(dim, 1)
        coord = u["remainder"](u["floor_divide"](flat, stride), max(dim, 1))
        out.append(astype(where(valid, coord, fill), np.intp))
    return tuple(out)


def nonzero(a: Any, *, size: Any = None, fill_value: Any = None) -> tuple:
    """NumPy's ``nonzero``: the indices of the nonzero elements, one array per axis.

    ``size=N`` (JAX's static form): exactly ``N`` indices per axis, the first ``N`` nonzero
    elements in C order, padded with ``fill_value`` (default 0; a tuple gives one value per
    axis).  Inside vmap/jit ``size`` is required."""
    if size is None:
        if is_traced(a) and ndim(a):  # (0-d: NumPy's own error, below)
            a = _per_example("nonzero", a)
        if not is_traced(a):
            return np.nonzero(a)
    x = arr(a)
    if ndim(x) == 0:
        raise ValueError(
            "Calling nonzero on 0d arrays is not allowed. Use np.atleast_1d(scalar).nonzero() "
            "instead. If the context of this error is of the form `arr[nonzero(cond)]`, just "
            "use `arr[cond]`."
        )
    return _nonzero_sized(x, _static_size(size), fill_value)


def flatnonzero(a: Any, *, size: Any = None, fill_value: Any = None) -> Any:
    """NumPy's ``flatnonzero``: indices of the nonzero elements of the flattened array
    (``size``/``fill_value`` as in ``nonzero``)."""
    if size is None:
        if is_traced(a):
            a = _per_example("flatnonzero", a)
        return np.flatnonzero(a)
    return nonzero(ravel(arr(a)), size=size, fill_value=fill_value)[0]


def argwhere(a: Any, *, size: Any = None, fill_value: Any = None) -> Any:
    """NumPy's ``argwhere``: one row of indices per nonzero element (``size`` rows with
    ``size=``, padded with ``fill_value``)."""
    if size is None:
        if is_traced(a):
            a = _per_example("argwhere", a)
        return np.argwhere(a)
    x = arr(a)
    n = _static_size(size)
    if ndim(x) == 0:
        return np.zeros((n, 0), np.intp)
    return stack(_nonzero_sized(x, n, fill_value), axis=1)


def extract(condition: Any, arr_: Any, *, size: Any = None, fill_value: Any = 0) -> Any:
    """NumPy's ``extract``: the elements of ``arr`` where ``condition`` holds (flattened).

    A concrete ``condition`` selects the same positions in every example, so a batched
    ``arr`` needs nothing more.  A batched ``condition`` needs ``size=N`` (JAX's form: the
    first ``N`` selected elements, padded with ``fill_value``)."""
    if not is_traced(condition, arr_):
        if size is None:
            return np.extract(condition, arr_)
    elif not is_traced(condition) and size is None:
        positions = np.flatnonzero(np.ravel(condition))
        return getitem(ravel(arr(arr_)), (positions,))
    if size is None:
        raise _needs_size("extract", " (or pass a condition that is the same for every example)")
    values = ravel(arr(arr_))
    flat, valid = _first_positions(ravel(astype(arr(condition), bool)), _static_size(size))
    return where(valid, getitem(values, (flat,)), astype(arr(fill_value), values.dtype))


def trim_zeros(filt: Any, trim: str = "fb", axis: Any = None) -> Any:
    """NumPy's ``trim_zeros`` (eagerly only: how much is trimmed depends on the values, so
    inside vmap/jit it raises ``DataDependentShapeError``)."""
    if not is_traced(filt):
        return np.trim_zeros(filt, trim, axis)
    raise errors.DataDependentShapeError(
        "trim_zeros: how many zeros are trimmed depends on the values, which differ per "
        "example, but a batch needs one shape. Keep the zeros and mask them instead (e.g. "
        "autovec.numpy.where(x != 0, x, fill)), or trim outside vmap/jit."
    )


# -------------------------------------------------------------------------------- unique


def _unique_sized(
    x: Any,
    size: int,
    fill_value: Any,
    equal_nan: bool,
    want_index: bool,
    want_inverse: bool,
    want_counts: bool,
) -> tuple:
    """Sorted unique values of the flattened ``x`` (first ``size``), and optionally the
    first index of each, the inverse (``x``'s shape) and the counts."""
    flat = ravel(x)
    n = shape(flat)[0]
    perm = argsort_p.bind(flat, axis=0, kind="stable")
    s = getitem(flat, (perm,))
    if n:
        new = u["not_equal"](getitem(s, slice(1, None)), getitem(s, slice(None, -1)))
        if equal_nan and s.dtype.kind in "fc":
            # NaNs sort last; NumPy keeps the first of them as one value.
            nan = u["isnan"](s)
            both_nan = u["logical_and"](getitem(nan, slice(1, None)), getitem(nan, slice(None, -1)))
            new = u["logical_and"](new, u["logical_not"](both_nan))
        mask = concatenate((np.ones(1, bool), new))
    else:
        mask = np.zeros(0, bool)
    # One position more than asked: where the last returned group ends (for its count).
    starts_ext, valid_ext = _first_positions(mask, size + 1)
    starts = getitem(starts_ext, slice(0, size))
    valid = getitem(valid_ext, slice(0, size))
    if fill_value is None:
        # JAX's default: the smallest value (the first sorted one).
        fill = getitem(s, 0) if n else np.zeros((), s.dtype)
    else:
        fill = astype(arr(fill_value), s.dtype)
    take = (lambda v: getitem(v, (starts,))) if n else (lambda v: np.zeros(size, v.dtype))
    out = [where(valid, take(s), fill)]
    if want_index:
        out.append(astype(take(perm), np.intp))  # padded: the first index of the smallest
    if want_inverse:
        group = u["subtract"](_sum_cumulative(mask), 1)  # the unique slot of each sorted value
        back = argsort_p.bind(perm, axis=0, kind="stable")  # the inverse permutation
        inverse = getitem(group, (back,)) if n else np.zeros(0, np.intp)
        out.append(reshape(astype(inverse, np.intp), shape(x)))
    if want_counts:
        nxt = getitem(starts_ext, slice(1, None))
        ends = where(getitem(valid_ext, slice(1, None)), nxt, n)
        out.append(astype(where(valid, u["subtract"](ends, starts), 0), np.intp))
    return tuple(out)


def _sum_cumulative(mask: Any) -> Any:
    from autovec.prims.cumulative import accumulate_p

    return accumulate_p.bind(mask, ufunc="add", axis=0, dtype=np.dtype(np.intp))


def unique(
    ar: Any,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: Any = None,
    *,
    equal_nan: bool = True,
    sorted: bool = True,  # noqa: A002
    size: Any = None,
    fill_value: Any = None,
) -> Any:
    """NumPy's ``unique``.

    ``size=N`` (JAX's static form, required inside vmap/jit): the first ``N`` sorted unique
    values of the flattened array, padded with ``fill_value`` (default: the smallest value);
    padded entries have count 0 and index the smallest value's first occurrence.  The
    inverse has the input's shape, as in NumPy.  ``axis`` works eagerly only."""
    if size is None:
        if is_traced(ar):
            ar = _per_example("unique", ar)
        return np.unique(
            ar,
            return_index,
            return_inverse,
            return_counts,
            axis,
            equal_nan=equal_nan,
            sorted=sorted,
        )
    if axis is not None:
        raise errors.UnsupportedOperationError(
            "unique(axis=..., size=...) is not supported; use axis=None (flattened values)."
        )
    out = _unique_sized(
        arr(ar),
        _static_size(size),
        fill_value,
        equal_nan,
        return_index,
        return_inverse,
        return_counts,
    )
    return out[0] if len(out) == 1 else out


def _array_api_unique(fname: str, x: Any, size: Any, fill_value: Any) -> Any:
    if is_traced(x) and size is None:
        raise _needs_size(fname)
    return None if size is None else _static_size(size)


def unique_values(x: Any, *, size: Any = None, fill_value: Any = None) -> Any:
    """NumPy's ``unique_values`` (NaNs distinct).  With ``size=`` (required inside
    vmap/jit) the values are sorted; NumPy leaves their order unspecified."""
    n = _array_api_unique("unique_values", x, size, fill_value)
    if n is None:
        return np.unique_values(x)
    return _unique_sized(arr(x), n, fill_value, False, False, False, False)[0]


def unique_counts(x: Any, *, size: Any = None, fill_value: Any = None) -> Any:
    """NumPy's ``unique_counts``: ``(values, counts)`` (``size=`` as in ``unique``)."""
    n = _array_api_unique("unique_counts", x, size, fill_value)
    if n is None:
        return np.unique_counts(x)
    return _COUNTS_RESULT(*_unique_sized(arr(x), n, fill_value, False, False, False, True))


def unique_inverse(x: Any, *, size: Any = None, fill_value: Any = None) -> Any:
    """NumPy's ``unique_inverse``: ``(values, inverse_indices)``, the inverse in ``x``'s
    shape (``size=`` as in ``unique``)."""
    n = _array_api_unique("unique_inverse", x, size, fill_value)
    if n is None:
        return np.unique_inverse(x)
    return _INVERSE_RESULT(*_unique_sized(arr(x), n, fill_value, False, False, True, False))


def unique_all(x: Any, *, size: Any = None, fill_value: Any = None) -> Any:
    """NumPy's ``unique_all``: ``(values, indices, inverse_indices, counts)`` (``size=`` as
    in ``unique``)."""
    n = _array_api_unique("unique_all", x, size, fill_value)
    if n is None:
        return np.unique_all(x)
    return _ALL_RESULT(*_unique_sized(arr(x), n, fill_value, False, True, True, True))


__all__ = [
    "nonzero",
    "flatnonzero",
    "argwhere",
    "extract",
    "trim_zeros",
    "unique",
    "unique_values",
    "unique_counts",
    "unique_inverse",
    "unique_all",
]
