"""Sorting (NumPy's "Sorting"): ``sort``, ``argsort``, ``partition``, ``argpartition``,
``sort_complex``, ``lexsort``.

Results equal NumPy's per example exactly, including the order of ties for the unstable
kinds and the order of partition's two sides, which NumPy leaves unspecified: the batched call
runs NumPy's own kernel on each example's lane."""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec import errors
from autovec.core import Tracer
from autovec.numpy._convert import arr
from autovec.numpy._util import concrete_int, implements, ndim, normalize_axis, shape
from autovec.numpy.manipulation import astype, flip, ravel, reshape
from autovec.numpy.selection import take_along_axis
from autovec.numpy.ufuncs import UFUNCS
from autovec.prims.sorting import argpartition_p, argsort_p, partition_p, sort_p

_KINDS = (None, "quicksort", "mergesort", "heapsort", "stable")


def _sort_args(fname: str, a: Any, axis: Any, kind: Any, order: Any, stable: Any) -> tuple:
    if order is not None:
        raise errors.UnsupportedOperationError(
            f"autovec.numpy.{fname}(order=...) sorts structured arrays, which traced values "
            f"are not."
        )
    if stable is not None:
        if kind is not None:
            raise ValueError(
                "`kind` and keyword parameters can't be provided at the same time. Use only "
                "one of them."
            )
        kind = "stable" if stable else None
    if kind not in _KINDS:
        raise ValueError(f"sort kind must be one of 'quick', 'heap', or 'stable' (got {kind!r})")
    a = arr(a)
    if axis is None:
        return ravel(a), 0, kind
    return a, normalize_axis(axis, ndim(a)), kind


def _numpy_descending_puts_nan_last() -> bool:
    """NumPy 2.5's own ``descending=True`` keeps NaN last; before, only autovec had the
    keyword (the array API's, NaN first)."""
    try:
        return not np.isnan(np.sort(np.array([np.nan, 0.0]), descending=True)[0])
    except TypeError:  # no such keyword in this NumPy
        return False


_NAN_LAST_DESCENDING = _numpy_descending_puts_nan_last()
_KIND_AND_DESCENDING = (
    "`kind` and keyword parameters can't be provided at the same time. Use only one of them."
)


@implements(np.sort, extra=("descending",))
def sort(
    a: Any,
    axis: Any = -1,
    kind: Any = None,
    order: Any = None,
    *,
    stable: Any = None,
    descending: bool = False,
) -> Any:
    """NumPy's ``sort``: a sorted copy along ``axis`` (None: flattened); NaN sorts last.
    ``descending=True`` (the array API's keyword): largest first, NaN first."""
    if descending and _NAN_LAST_DESCENDING and kind is not None:
        raise ValueError(_KIND_AND_DESCENDING)
    if descending and _NAN_LAST_DESCENDING and arr(a).dtype.kind in "fc":
        neg = UFUNCS["negative"]  # ascending on -a: NaN last, ties in their order, as NumPy's
        return neg(sort(neg(arr(a)), axis, kind, order, stable=stable))
    if descending and (axis is None or ndim(a)):  # one element (0-d) reads the same both ways
        a, ax = _flat_or_axis(a, axis)
        return flip(sort(a, ax, kind, order, stable=stable), ax)
    a, ax, kind = _sort_args("sort", a, axis, kind, order, stable)
    return sort_p.bind(a, axis=ax, kind=kind)


@implements(np.argsort, extra=("descending",))
def argsort(
    a: Any,
    axis: Any = -1,
    kind: Any = None,
    order: Any = None,
    *,
    stable: Any = None,
    descending: bool = False,
) -> Any:
    """NumPy's ``argsort``: the indices that sort ``a`` along ``axis`` (None: flattened);
    ``kind='stable'``/``stable=True`` keeps equal elements in order.  ``descending=True``
    (the array API's keyword): largest first; stable keeps equal elements in their order in
    ``a`` (not reversed).  Without ``stable``, NumPy's default kind, not the array API's
    stable default: plain ``np.argsort`` in a vmapped function must give the loop's order of
    ties."""
    if descending and _NAN_LAST_DESCENDING and kind is not None:
        raise ValueError(_KIND_AND_DESCENDING)
    if descending and _NAN_LAST_DESCENDING and arr(a).dtype.kind in "fc":
        # ascending on -a: NaN last, ties in their order in ``a``, as NumPy 2.5's descending
        return argsort(UFUNCS["negative"](arr(a)), axis, kind, order, stable=stable)
    if descending and (axis is None or ndim(a)):  # one element (0-d) reads the same both ways
        # Sort the reversed array ascending and reverse the result: ties end up in their
        # order in ``a``, as a stable descending sort must leave them.
        a, ax = _flat_or_axis(a, axis)
        rev = argsort(flip(a, ax), ax, kind, order, stable=stable)
        return flip(UFUNCS["subtract"](shape(a)[ax] - 1, rev), ax)
    if ndim(a) == 0 and axis is not None:  # NumPy sorts a 0-d array as a 1-element one
        a = reshape(a, (1,))
    a, ax, kind = _sort_args("argsort", a, axis, kind, order, stable)
    return argsort_p.bind(a, axis=ax, kind=kind)


def _flat_or_axis(a: Any, axis: Any) -> tuple[Any, int]:
    """``a`` (flattened for ``axis=None``) and the axis to sort along, for ``descending``."""
    a = arr(a)
    if axis is None:
        return ravel(a), 0
    return a, normalize_axis(axis, ndim(a))


@implements(np.sort_complex)
def sort_complex(a: Any) -> Any:
    """NumPy's ``sort_complex``: sorted by real part, then imaginary part, as complex."""
    out = sort(a)
    if out.dtype.kind == "c":
        return out
    dtype = np.sort_complex(np.zeros(1, out.dtype)).dtype  # NumPy's choice of precision
    return astype(out, dtype)


def _partition_args(fname: str, a: Any, kth: Any, axis: Any, kind: str, order: Any) -> tuple:
    if order is not None:
        raise errors.UnsupportedOperationError(
            f"autovec.numpy.{fname}(order=...) is for structured arrays, which traced values "
            f"are not."
        )
    if kind != "introselect":
        raise ValueError(f"{kind!r} is an unrecognized kind of select")
    a = arr(a)
    if axis is None:
        a, axis = ravel(a), 0
    ax = normalize_axis(axis, ndim(a))
    n = shape(a)[ax]
    if isinstance(kth, Tracer):
        concrete_int(kth, f"{fname} kth")
    ks = np.asarray(kth)
    if ks.dtype.kind not in "iub":
        raise TypeError("Partition index must be integer")
    out = []
    for k in ks.ravel().tolist():
        if not -n <= k < n:
            raise ValueError(f"kth(={k}) out of bounds ({n})")
        out.append(k % n)
    return a, tuple(out), ax


@implements(np.partition)
def partition(
    a: Any, kth: Any, axis: Any = -1, kind: str = "introselect", order: Any = None
) -> Any:
    """NumPy's ``partition``: each ``kth`` element in its sorted place along ``axis``, smaller
    ones before it and larger ones after (in NumPy's own order)."""
    a, ks, ax = _partition_args("partition", a, kth, axis, kind, order)
    return partition_p.bind(a, kth=ks, axis=ax)


@implements(np.argpartition)
def argpartition(
    a: Any, kth: Any, axis: Any = -1, kind: str = "introselect", order: Any = None
) -> Any:
    """NumPy's ``argpartition``: the indices that would partition ``a`` (see ``partition``)."""
    a, ks, ax = _partition_args("argpartition", a, kth, axis, kind, order)
    return argpartition_p.bind(a, kth=ks, axis=ax)


@implements(np.lexsort)
def lexsort(keys: Any, axis: int = -1) -> Any:
    """NumPy's ``lexsort``: the stable order by the last key, ties broken by the one before,
    and so on; ``keys`` is a sequence of same-shape arrays or an array whose first axis runs
    over the keys.  Done as one stable ``argsort`` per key, least significant first."""
    if isinstance(keys, (list, tuple)):
        key_list = [arr(k) for k in keys]
    elif ndim(keys) == 0:
        key_list = []
    else:  # the first axis runs over the keys (a 1-d array: 0-d keys)
        key_list = [keys[i] for i in range(shape(keys)[0])]
    if not key_list:
        raise TypeError("need sequence of keys with len > 0 in lexsort")  # NumPy's error
    if len({shape(k) for k in key_list}) > 1:
        raise ValueError("all keys need to be the same shape")
    if ndim(key_list[0]) == 0:  # one element to order: NumPy's answer is index 0
        return np.intp(0)
    ax = normalize_axis(axis, ndim(key_list[0]))
    order = argsort(key_list[0], axis=ax, kind="stable")
    for key in key_list[1:]:
        step = argsort(take_along_axis(key, order, axis=ax), axis=ax, kind="stable")
        order = take_along_axis(order, step, axis=ax)
    return order


__all__ = [
    "sort",
    "argsort",
    "sort_complex",
    "partition",
    "argpartition",
    "lexsort",
]
