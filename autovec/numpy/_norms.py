"""Norms of ``autovec.numpy.linalg`` (``norm``, ``matrix_norm``, ``vector_norm``): vector
norms over one axis, matrix norms over two, as NumPy composes them from reductions and the
singular values.  ``autovec.numpy.linalg`` re-exports them."""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec.numpy import products as _products
from autovec.numpy import reductions as _red
from autovec.numpy._convert import arr
from autovec.numpy._decompositions import real_dtype, svd
from autovec.numpy._util import implements, ndim, normalize_axis, shape
from autovec.numpy.manipulation import astype, moveaxis, reshape, transpose
from autovec.numpy.ufuncs import UFUNCS, imag, real

_abs, _sqrt, _conj = UFUNCS["absolute"], UFUNCS["sqrt"], UFUNCS["conjugate"]
_mul = UFUNCS["multiply"]


def max_or_zero(x: Any, axis: int, keepdims: bool = False) -> Any:
    """``x.max(axis, initial=0)``: zero over an empty axis (NumPy's ``initial=0``)."""
    if shape(x)[axis] == 0:
        out_shape = list(shape(x))
        if keepdims:
            out_shape[axis] = 1
        else:
            del out_shape[axis]
        return np.zeros(out_shape, x.dtype)
    return _red.max(x, axis=axis, keepdims=keepdims)


def _vector_norm_1axis(x: Any, ord: Any, axis: int, keepdims: bool) -> Any:
    if ord == np.inf:
        return max_or_zero(_abs(x), axis, keepdims)
    if ord == -np.inf:
        return _red.min(_abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        nonzero = UFUNCS["not_equal"](x, 0)
        return _red.sum(astype(nonzero, real_dtype(x.dtype)), axis=axis, keepdims=keepdims)
    if ord == 1:
        return _red.sum(_abs(x), axis=axis, keepdims=keepdims)
    if ord is None or ord == 2:
        return _sqrt(_red.sum(real(_mul(_conj(x), x)), axis=axis, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    ret = _red.sum(UFUNCS["power"](_abs(x), ord), axis=axis, keepdims=keepdims)
    return UFUNCS["power"](ret, np.reciprocal(ord, dtype=ret.dtype))


def _svd_norm(x: Any, row: int, col: int, op: str) -> Any:
    s = svd(moveaxis(x, (row, col), (-2, -1)), compute_uv=False)
    if op == "max":
        return max_or_zero(s, -1)
    return _red.min(s, axis=-1) if op == "min" else _red.sum(s, axis=-1)


def _matrix_norm_2axes(x: Any, ord: Any, row: int, col: int) -> Any:
    if ord == 2:
        return _svd_norm(x, row, col, "max")
    if ord == -2:
        return _svd_norm(x, row, col, "min")
    if ord in (1, -1):  # column sums, then the extreme over the columns
        sums = _red.sum(_abs(x), axis=row)
        c = col - (col > row)
        return max_or_zero(sums, c) if ord == 1 else _red.min(sums, axis=c)
    if ord in (np.inf, -np.inf):  # row sums, then the extreme over the rows
        sums = _red.sum(_abs(x), axis=col)
        r = row - (row > col)
        return max_or_zero(sums, r) if ord == np.inf else _red.min(sums, axis=r)
    if ord in (None, "fro", "f"):
        return _sqrt(_red.sum(real(_mul(_conj(x), x)), axis=(row, col)))
    if ord == "nuc":
        return _svd_norm(x, row, col, "sum")
    raise ValueError("Invalid norm order for matrices.")


@implements(np.linalg.norm)
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """NumPy's ``linalg.norm``: vector norms over one axis, matrix norms over two, the
    flattened 2-norm by default; integer input is computed in float64."""
    x = arr(x)
    if x.dtype.kind not in "fc":
        x = astype(x, np.float64)
    nd = ndim(x)
    if axis is None and (
        ord is None or (ord in ("f", "fro") and nd == 2) or (ord == 2 and nd == 1)
    ):
        flat = reshape(x, (-1,))
        if x.dtype.kind == "c":
            re, im = real(flat), imag(flat)
            sq = UFUNCS["add"](_products.dot(re, re), _products.dot(im, im))
        else:
            sq = _products.dot(flat, flat)
        ret = _sqrt(sq)
        return reshape(ret, (1,) * nd) if keepdims else ret
    if axis is None:
        axis = tuple(range(nd))
    elif not isinstance(axis, tuple):
        try:
            axis = (int(axis),)
        except Exception as e:
            raise TypeError("'axis' must be None, an integer or a tuple of integers") from e
    if len(axis) == 1:
        return _vector_norm_1axis(x, ord, normalize_axis(axis[0], nd), keepdims)
    if len(axis) != 2:
        raise ValueError("Improper number of dimensions to norm.")
    row, col = normalize_axis(axis[0], nd), normalize_axis(axis[1], nd)
    if row == col:
        raise ValueError("Duplicate axes given.")
    ret = _matrix_norm_2axes(x, ord, row, col)
    if keepdims:
        kept = list(shape(x))
        kept[row] = kept[col] = 1
        ret = reshape(ret, tuple(kept))
    return ret


@implements(np.linalg.matrix_norm)
def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:
    """NumPy's ``linalg.matrix_norm``: ``norm`` over the last two axes."""
    return norm(x, axis=(-2, -1), keepdims=keepdims, ord=ord)


@implements(np.linalg.vector_norm)
def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:
    """NumPy's ``linalg.vector_norm``: a vector norm over ``axis`` (None: all elements; a
    tuple: those axes taken together as one vector)."""
    x = arr(x)
    full = list(shape(x))
    if axis is None:
        x, ax = reshape(x, (-1,)), 0
    elif isinstance(axis, tuple):
        axes = tuple(normalize_axis(a, len(full)) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError("repeated axis")
        rest = tuple(i for i in range(len(full)) if i not in axes)
        size = int(np.prod([full[i] for i in axes], dtype=np.int64))
        x = reshape(transpose(x, axes + rest), (size, *(full[i] for i in rest)))
        ax = 0
    else:
        ax = axis
    res = norm(x, axis=ax, ord=ord)
    if keepdims:
        kept = range(len(full)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
        for i in kept:
            full[normalize_axis(i, len(full))] = 1
        res = reshape(res, tuple(full))
    return res


__all__ = ["norm", "matrix_norm", "vector_norm"]
