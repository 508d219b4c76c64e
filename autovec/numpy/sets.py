"""Set routines (NumPy's "Set routines"): ``unique`` and the array-API ``unique_values``/
``unique_counts``/``unique_inverse``/``unique_all``, ``isin``, ``intersect1d``,
``setdiff1d``, ``setxor1d``, ``union1d``.

* ``isin`` compares every element with every test element (no sorting, no data-dependent
  shape);
* the others return a number of values that depends on the data, so inside vmap/jit they
  need JAX's static form ``size=N`` (and ``fill_value=``): the first ``N`` values of NumPy's
  sorted result, padded with ``fill_value`` (default: the smallest value of the result, or 0
  when it is empty).  Without ``size`` they raise ``DataDependentShapeError``."""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec import errors
from autovec.numpy._convert import arr
from autovec.numpy._util import implements, shape
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import (
    astype,
    broadcast_to,
    concatenate,
    expand_dims,
    ravel,
    reshape,
)
from autovec.numpy.reductions import any as _any
from autovec.numpy.reductions import sum as _sum
from autovec.numpy.searching import first_positions, per_example_value, required_size, static_size
from autovec.numpy.ufuncs import UFUNCS, where
from autovec.prims.cumulative import accumulate_p
from autovec.prims.sorting import argsort_p

u = UFUNCS


@implements(np.isin)
def isin(
    element: Any,
    test_elements: Any,
    assume_unique: bool = False,
    invert: bool = False,
    *,
    kind: str | None = None,
) -> Any:
    """NumPy's ``isin``: for each element of ``element`` (its shape kept), whether it equals
    some element of the flattened ``test_elements`` (``invert=True``: whether it equals
    none).  NaN equals nothing, as in NumPy.

    With tracers every element is compared with every test element, an
    ``element.size * test_elements.size`` comparison; ``assume_unique`` and ``kind`` only
    choose NumPy's algorithm and do not change the result (``kind`` is still checked)."""
    if kind not in (None, "sort", "table"):
        raise ValueError(f"Invalid kind: '{kind}'. Please use None, 'sort' or 'table'.")
    x, t = arr(element), ravel(arr(test_elements))
    if kind == "table" and any(v.dtype.kind not in "biu" for v in (x, t)):
        raise ValueError(
            "The 'table' method is only supported for boolean or integer arrays. "
            "Please select 'sort' or None for kind."
        )
    hit = _any(u["equal"](expand_dims(x, -1), t), axis=-1)
    return u["logical_not"](hit) if invert else hit


# ------------------------------------------------------------------------------- unique


_ALL_RESULT = type(np.unique_all(np.zeros(1)))


_COUNTS_RESULT = type(np.unique_counts(np.zeros(1)))


_INVERSE_RESULT = type(np.unique_inverse(np.zeros(1)))


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
    starts_ext, valid_ext = first_positions(mask, size + 1)
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
    return accumulate_p.bind(mask, ufunc="add", axis=0, dtype=np.dtype(np.intp))


@implements(np.unique, extra=("size", "fill_value"))
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
    if size is None:  # eager vmap: the batch splits by value (autovec/interpreters/split.py)
        ar = per_example_value("unique", arr(ar))
        kw = {} if sorted else {"sorted": False}  # (a keyword NumPy 2.3 introduced)
        return np.unique(
            ar, return_index, return_inverse, return_counts, axis, equal_nan=equal_nan, **kw
        )
    n = static_size(size)
    if axis is not None:
        raise errors.UnsupportedOperationError(
            "unique(axis=..., size=...) is not supported; use axis=None (flattened values)."
        )
    out = _unique_sized(
        arr(ar),
        n,
        fill_value,
        equal_nan,
        return_index,
        return_inverse,
        return_counts,
    )
    return out[0] if len(out) == 1 else out


@implements(np.unique_values, extra=("size", "fill_value"))
def unique_values(x: Any, *, size: Any = None, fill_value: Any = None) -> Any:
    """NumPy's ``unique_values`` (NaNs distinct).  With ``size=`` (required inside
    vmap/jit) the values are sorted; NumPy leaves their order unspecified."""
    n = required_size("unique_values", size)
    return _unique_sized(arr(x), n, fill_value, False, False, False, False)[0]


@implements(np.unique_counts, extra=("size", "fill_value"))
def unique_counts(x: Any, *, size: Any = None, fill_value: Any = None) -> Any:
    """NumPy's ``unique_counts``: ``(values, counts)`` (``size=`` as in ``unique``)."""
    n = required_size("unique_counts", size)
    return _COUNTS_RESULT(*_unique_sized(arr(x), n, fill_value, False, False, False, True))


@implements(np.unique_inverse, extra=("size", "fill_value"))
def unique_inverse(x: Any, *, size: Any = None, fill_value: Any = None) -> Any:
    """NumPy's ``unique_inverse``: ``(values, inverse_indices)``, the inverse in ``x``'s
    shape (``size=`` as in ``unique``)."""
    n = required_size("unique_inverse", size)
    return _INVERSE_RESULT(*_unique_sized(arr(x), n, fill_value, False, False, True, False))


@implements(np.unique_all, extra=("size", "fill_value"))
def unique_all(x: Any, *, size: Any = None, fill_value: Any = None) -> Any:
    """NumPy's ``unique_all``: ``(values, indices, inverse_indices, counts)`` (``size=`` as
    in ``unique``)."""
    n = required_size("unique_all", size)
    return _ALL_RESULT(*_unique_sized(arr(x), n, fill_value, False, True, True, True))


# ----------------------------------------------------------------------- set operations


def _sorted(flat: Any) -> Any:
    return getitem(flat, (argsort_p.bind(flat, axis=0, kind="stable"),))


def _group_starts(s: Any) -> Any:
    """For the sorted 1-d ``s``: where a new value starts (all NaNs count as one value)."""
    n = shape(s)[0]
    if n == 0:
        return np.zeros(0, bool)
    new = u["not_equal"](getitem(s, slice(1, None)), getitem(s, slice(None, -1)))
    if s.dtype.kind in "fc":
        nan = u["isnan"](s)
        both = u["logical_and"](getitem(nan, slice(1, None)), getitem(nan, slice(None, -1)))
        new = u["logical_and"](new, u["logical_not"](both))
    return concatenate((np.ones(1, bool), new))


def _select_sized(values: Any, keep: Any, size: int, fill_value: Any, dtype: Any) -> Any:
    """The first ``size`` entries of the 1-d ``values`` where ``keep`` holds, in order,
    padded with ``fill_value`` (default: the first kept value, or 0 if none is kept)."""
    values = astype(values, dtype)
    if shape(values)[0] == 0:
        fill = 0 if fill_value is None else fill_value
        return astype(broadcast_to(arr(fill), (size,)), dtype)
    pos, valid = first_positions(keep, size)
    taken = getitem(values, (pos,))
    if fill_value is None:
        if size == 0:
            return taken
        fill = where(getitem(valid, 0), getitem(taken, 0), np.zeros((), dtype))
    else:
        fill = astype(arr(fill_value), dtype)
    return where(valid, taken, fill)


def _reject_return_indices(fname: str, return_indices: bool) -> None:
    if return_indices:
        raise errors.UnsupportedOperationError(
            f"{fname}(return_indices=True, size=...) is not supported; call it without "
            f"return_indices (or outside vmap/jit without size=)."
        )


@implements(np.intersect1d, extra=("size", "fill_value"))
def intersect1d(
    ar1: Any,
    ar2: Any,
    assume_unique: bool = False,
    return_indices: bool = False,
    *,
    size: Any = None,
    fill_value: Any = None,
) -> Any:
    """NumPy's ``intersect1d``: the sorted unique values found in both (flattened) arrays;
    with ``assume_unique=True``, NumPy's shortcut for unique inputs, taken literally (the
    values equal to their successor in the sorted concatenation).

    ``size=N`` (JAX's static form, required inside vmap/jit): the first ``N`` values,
    padded with ``fill_value`` (default: the smallest value found, or 0).
    ``return_indices`` works without ``size`` only."""
    n = required_size("intersect1d", size)
    _reject_return_indices("intersect1d", return_indices)
    a, b = ravel(arr(ar1)), ravel(arr(ar2))
    dtype = np.result_type(a.dtype, b.dtype)
    if assume_unique:
        s = _sorted(concatenate((astype(a, dtype), astype(b, dtype))))
        if shape(s)[0] == 0:
            return _select_sized(s, np.zeros(0, bool), n, fill_value, dtype)
        head = getitem(s, slice(None, -1))
        return _select_sized(
            head, u["equal"](head, getitem(s, slice(1, None))), n, fill_value, dtype
        )
    s = _sorted(a)
    keep = u["logical_and"](_group_starts(s), isin(s, b))
    return _select_sized(s, keep, n, fill_value, dtype)


@implements(np.setdiff1d, extra=("size", "fill_value"))
def setdiff1d(
    ar1: Any, ar2: Any, assume_unique: bool = False, *, size: Any = None, fill_value: Any = None
) -> Any:
    """NumPy's ``setdiff1d``: the sorted unique values of ``ar1`` not in ``ar2``; with
    ``assume_unique=True`` the values of the flattened ``ar1`` not in ``ar2``, in their
    original order (as NumPy).

    ``size=N`` (JAX's static form, required inside vmap/jit): the first ``N`` values,
    padded with ``fill_value`` (default: the first value found, or 0)."""
    n = required_size("setdiff1d", size)
    a, b = ravel(arr(ar1)), ravel(arr(ar2))
    if assume_unique:
        return _select_sized(a, isin(a, b, invert=True), n, fill_value, a.dtype)
    s = _sorted(a)
    keep = u["logical_and"](_group_starts(s), isin(s, b, invert=True))
    return _select_sized(s, keep, n, fill_value, a.dtype)


@implements(np.setxor1d, extra=("size", "fill_value"))
def setxor1d(
    ar1: Any, ar2: Any, assume_unique: bool = False, *, size: Any = None, fill_value: Any = None
) -> Any:
    """NumPy's ``setxor1d``: the sorted unique values in exactly one of the arrays.  As in
    NumPy, a NaN is never equal to another, so each array holding NaN contributes one NaN
    (``assume_unique=True``: every NaN of both arrays), sorted last.

    ``size=N`` (JAX's static form, required inside vmap/jit): the first ``N`` values,
    padded with ``fill_value`` (default: the smallest value found, or 0)."""
    n = required_size("setxor1d", size)
    a, b = ravel(arr(ar1)), ravel(arr(ar2))
    dtype = np.result_type(a.dtype, b.dtype)
    s = _sorted(concatenate((astype(a, dtype), astype(b, dtype))))
    total = shape(s)[0]
    if total == 0:
        return _select_sized(s, np.zeros(0, bool), n, fill_value, dtype)
    if assume_unique:
        # NumPy's rule, literally: a value differing from both neighbours in the sorted
        # concatenation.
        edge = np.ones(1, bool)
        differs = u["not_equal"](getitem(s, slice(1, None)), getitem(s, slice(None, -1)))
        keep = u["logical_and"](concatenate((edge, differs)), concatenate((differs, edge)))
        return _select_sized(s, keep, n, fill_value, dtype)
    keep = u["logical_and"](_group_starts(s), u["logical_xor"](isin(s, a), isin(s, b)))
    if dtype.kind in "fc":
        nan = u["isnan"](s)
        nans = u["add"](astype(_any(u["isnan"](a)), np.intp), astype(_any(u["isnan"](b)), np.intp))
        first_nan = u["subtract"](total, _sum(nan, dtype=np.intp))
        rank = u["subtract"](np.arange(total), first_nan)
        keep = where(nan, u["less"](rank, nans), keep)
    return _select_sized(s, keep, n, fill_value, dtype)


@implements(np.union1d, extra=("size", "fill_value"))
def union1d(ar1: Any, ar2: Any, *, size: Any = None, fill_value: Any = None) -> Any:
    """NumPy's ``union1d``: the sorted unique values of both (flattened) arrays.

    ``size=N`` (JAX's static form, required inside vmap/jit): the first ``N`` values,
    padded with ``fill_value`` (default: the smallest value)."""
    n = required_size("union1d", size)
    a, b = ravel(arr(ar1)), ravel(arr(ar2))
    both = concatenate((a, b))
    if shape(both)[0] == 0:
        return _select_sized(both, np.zeros(0, bool), n, fill_value, both.dtype)
    return unique(both, size=n, fill_value=fill_value)


__all__ = [
    "isin",
    "unique",
    "unique_values",
    "unique_counts",
    "unique_inverse",
    "unique_all",
    "intersect1d",
    "setdiff1d",
    "setxor1d",
    "union1d",
]
