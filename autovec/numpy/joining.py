"""Joining and splitting arrays (NumPy's sections of those names): ``hstack``, ``vstack``,
``row_stack``, ``dstack``, ``column_stack``, ``block``, ``split``, ``array_split``,
``hsplit``, ``vsplit``, ``dsplit``, ``unstack``.  (``concatenate`` and ``stack`` are
primitives' functions, in ``manipulation``.)

Traced, the pieces are concatenations and slices (views) with static sizes."""

from __future__ import annotations

import builtins
import operator
import warnings
from typing import Any

import numpy as np

from autovec.numpy._convert import arr
from autovec.numpy._util import (
    concrete_value,
    implements,
    ndim,
    normalize_axis,
    shape,
)
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import (
    concatenate,
    ensure_1d,
    ensure_2d,
    ensure_3d,
    transpose,
    with_ndmin,
)
from autovec.numpy.selection import slice_axis


def _stack_kwargs(dtype: Any, casting: str) -> dict:
    return {"dtype": dtype, "casting": casting}


@implements(np.hstack)
def hstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """NumPy's ``hstack``: concatenate along axis 1 (axis 0 for 1-D inputs)."""
    arrs = [ensure_1d(arr(a)) for a in tup]
    axis = 0 if arrs and ndim(arrs[0]) == 1 else 1
    return concatenate(arrs, axis, dtype=dtype, casting=casting)


@implements(np.vstack)
def vstack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """NumPy's ``vstack``: concatenate the inputs, made at least 2-D, along axis 0."""
    return concatenate([ensure_2d(arr(a)) for a in tup], 0, dtype=dtype, casting=casting)


@implements("row_stack")
def row_stack(tup: Any, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """NumPy's deprecated alias of ``vstack`` (it warns, as NumPy does)."""
    warnings.warn(
        "`row_stack` alias is deprecated. Use `np.vstack` directly.",
        DeprecationWarning,
        stacklevel=2,
    )
    return vstack(tup, dtype=dtype, casting=casting)


@implements(np.dstack)
def dstack(tup: Any) -> Any:
    """NumPy's ``dstack``: concatenate the inputs, made at least 3-D, along axis 2."""
    return concatenate([ensure_3d(arr(a)) for a in tup], 2)


@implements(np.column_stack)
def column_stack(tup: Any) -> Any:
    """NumPy's ``column_stack``: 1-D inputs become columns; concatenate along axis 1."""
    cols = []
    for v in tup:
        x = arr(v)
        if ndim(x) < 2:
            x = transpose(ensure_2d(x))
        cols.append(x)
    return concatenate(cols, 1)


@implements(np.block)
def block(arrays: Any) -> Any:
    """NumPy's ``block``: assemble an array from nested lists of blocks (the innermost
    lists join along the last axis, the outermost along the first)."""
    depth, arr_ndim = _block_depth(arrays, [])
    result_ndim = builtins.max(arr_ndim, depth)
    return _block_join(arrays, depth, result_ndim, 0)


def _block_depth(obj: Any, index: list) -> tuple[int, int]:
    """(list nesting depth, largest block ndim), with NumPy's errors for bad nesting."""
    where = "arrays" + "".join(f"[{i}]" for i in index)
    if isinstance(obj, tuple):
        raise TypeError(
            f"{where} is a tuple. Only lists can be used to arrange blocks, and np.block "
            "does not allow implicit conversion from tuple to ndarray."
        )
    if isinstance(obj, list):
        if not obj:
            raise ValueError(f"List at {where} cannot be empty")
        found = [_block_depth(o, [*index, i]) for i, o in enumerate(obj)]
        depths = {d for d, _ in found}
        if len(depths) > 1:
            raise ValueError(
                f"List depths are mismatched at {where}: blocks are found at depths "
                f"{sorted(d + len(index) + 1 for d in depths)}."
            )
        return found[0][0] + 1, builtins.max(n for _, n in found)
    return 0, ndim(obj)


def _block_join(obj: Any, depth: int, result_ndim: int, level: int) -> Any:
    if level < depth:
        parts = [_block_join(o, depth, result_ndim, level + 1) for o in obj]
        return concatenate(parts, axis=result_ndim - (depth - level))
    return with_ndmin(obj, result_ndim)


# ---------------------------------------------------------------------------- splitting


@implements(np.array_split)
def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """NumPy's ``array_split``: a list of views; sections may differ in size by one."""
    concrete_value(indices_or_sections, "array_split: indices_or_sections")
    x = arr(ary)
    ax = normalize_axis(axis, ndim(x))
    total = shape(x)[ax]
    try:
        points = [0, *(operator.index(i) for i in indices_or_sections), total]
    except TypeError:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.") from None
        each, extras = divmod(total, sections)
        sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
        points = np.cumsum(sizes).tolist()
    return [slice_axis(x, points[i], points[i + 1], ax) for i in range(len(points) - 1)]


@implements(np.split)
def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """NumPy's ``split``: like ``array_split`` but sections must divide the axis evenly."""
    concrete_value(indices_or_sections, "split: indices_or_sections")
    try:
        len(indices_or_sections)
    except TypeError:
        n = shape(ary)[normalize_axis(axis, ndim(ary))]
        if n % indices_or_sections:
            raise ValueError("array split does not result in an equal division") from None
    return array_split(ary, indices_or_sections, axis)


@implements(np.hsplit)
def hsplit(ary: Any, indices_or_sections: Any) -> list:
    """NumPy's ``hsplit``: split along axis 1 (axis 0 for 1-D arrays)."""
    if ndim(ary) == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if ndim(ary) > 1 else 0)


@implements(np.vsplit)
def vsplit(ary: Any, indices_or_sections: Any) -> list:
    """NumPy's ``vsplit``: split along axis 0 (arrays of 2 or more dimensions)."""
    if ndim(ary) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


@implements(np.dsplit)
def dsplit(ary: Any, indices_or_sections: Any) -> list:
    """NumPy's ``dsplit``: split along axis 2 (arrays of 3 or more dimensions)."""
    if ndim(ary) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


@implements("unstack")
def unstack(x: Any, /, *, axis: int = 0) -> tuple:
    """NumPy's ``unstack``: the slices of ``x`` along ``axis``, as a tuple."""
    x = arr(x)
    if ndim(x) == 0:
        raise ValueError("Input array must be at least 1-d.")
    ax = normalize_axis(axis, ndim(x))
    return tuple(getitem(x, (slice(None),) * ax + (i,)) for i in range(shape(x)[ax]))


__all__ = [
    "hstack",
    "vstack",
    "row_stack",
    "dstack",
    "column_stack",
    "block",
    "array_split",
    "split",
    "hsplit",
    "vsplit",
    "dsplit",
    "unstack",
]
