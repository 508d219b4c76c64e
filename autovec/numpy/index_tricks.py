"""Generating index arrays (NumPy's ``index_tricks`` and the ``*_indices`` functions):
``ix_``, ``ravel_multi_index``, ``unravel_index``, ``diag_indices``, ``diag_indices_from``,
``tril_indices``, ``tril_indices_from``, ``triu_indices``, ``triu_indices_from``,
``mask_indices``.

Indices that depend only on shapes are NumPy constants: shapes are the same for every
example.  NumPy's checks on the *values* (out-of-range coordinates) cannot raise per example
inside a transformation; each function's docstring says what happens then."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import Tracer
from autovec.numpy._convert import arr
from autovec.numpy._util import concrete_int, implements, is_traced, ndim, shape
from autovec.numpy.manipulation import astype, reshape
from autovec.numpy.selection import take
from autovec.numpy.ufuncs import UFUNCS

u = UFUNCS


@implements(np.tril_indices)
def tril_indices(n: int, k: int = 0, m: Any = None) -> tuple:
    """NumPy's ``tril_indices`` (constants)."""
    return np.tril_indices(
        concrete_int(n, "tril_indices n"),
        concrete_int(k, "tril_indices k"),
        None if m is None else concrete_int(m, "tril_indices m"),
    )


@implements(np.triu_indices)
def triu_indices(n: int, k: int = 0, m: Any = None) -> tuple:
    """NumPy's ``triu_indices`` (constants)."""
    return np.triu_indices(
        concrete_int(n, "triu_indices n"),
        concrete_int(k, "triu_indices k"),
        None if m is None else concrete_int(m, "triu_indices m"),
    )


def _check_2d(x: Any) -> tuple[int, ...]:
    if ndim(x) != 2:
        raise ValueError("input array must be 2-d")
    return shape(x)


@implements(np.tril_indices_from)
def tril_indices_from(arr: Any, k: int = 0) -> tuple:
    """NumPy's ``tril_indices_from``: ``tril_indices`` for the (per-example) shape of a 2-d
    array (constants)."""
    n, m = _check_2d(arr)
    return tril_indices(n, k, m)


@implements(np.triu_indices_from)
def triu_indices_from(arr: Any, k: int = 0) -> tuple:
    """NumPy's ``triu_indices_from`` (constants)."""
    n, m = _check_2d(arr)
    return triu_indices(n, k, m)


@implements(np.diag_indices)
def diag_indices(n: int, ndim: int = 2) -> tuple:
    """NumPy's ``diag_indices`` (constants)."""
    return np.diag_indices(concrete_int(n, "diag_indices n"), concrete_int(ndim, "ndim"))


@implements(np.diag_indices_from)
def diag_indices_from(arr: Any) -> tuple:
    """NumPy's ``diag_indices_from`` for the (per-example) shape of ``arr`` (constants)."""
    shp = shape(arr)
    if len(shp) < 2:
        raise ValueError("input array must be at least 2-d")
    if len(set(shp)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    return np.diag_indices(shp[0], len(shp))


@implements(np.mask_indices)
def mask_indices(n: int, mask_func: Callable[..., Any], k: int = 0) -> tuple:
    """NumPy's ``mask_indices`` (constants): where ``mask_func(ones((n, n)), k)`` is
    nonzero."""
    return np.mask_indices(concrete_int(n, "mask_indices n"), mask_func, k)


@implements(np.ix_)
def ix_(*args: Any) -> tuple:
    """NumPy's ``ix_``: an open mesh from 1-d sequences.  Concrete arguments give NumPy's
    constants; traced integer sequences are reshaped (a traced boolean mask would give a
    per-example length: ``DataDependentShapeError``)."""
    out = []
    nd = len(args)
    for k, seq in enumerate(args):
        seq = arr(seq) if is_traced(seq) else np.asarray(seq)
        if ndim(seq) != 1:
            raise ValueError("Cross index must be 1 dimensional")
        if isinstance(seq, Tracer):
            if seq.dtype == bool:
                raise errors.DataDependentShapeError(
                    "autovec.numpy.ix_ of a traced boolean mask: its length (the number of "
                    "True entries) differs per example. Pass integer indices instead."
                )
        elif seq.dtype == bool:
            (seq,) = seq.nonzero()
        elif seq.size == 0:
            seq = seq.astype(np.intp)
        out.append(reshape(seq, (1,) * k + (shape(seq)[0],) + (1,) * (nd - k - 1)))
    return tuple(out)


def dims_of(dims: Any, what: str) -> tuple[int, ...]:
    if isinstance(dims, (list, tuple, np.ndarray)):
        return tuple(concrete_int(d, what) for d in np.asarray(dims).reshape(-1).tolist())
    return (concrete_int(dims, what),)


def _strides(dims: Sequence[int], order: str) -> list[int]:
    if order not in ("C", "F"):
        raise ValueError("only 'C' or 'F' order is permitted")
    seq = list(dims) if order == "F" else list(dims)[::-1]
    strides, acc = [], 1
    for d in seq:
        strides.append(acc)
        acc *= d
    return strides if order == "F" else strides[::-1]


def _int_operand(x: Any) -> Any:
    x = arr(x) if is_traced(x) else np.asarray(x)
    if not np.can_cast(x.dtype, np.intp, "same_kind"):
        raise TypeError(
            f"Cannot cast array data from {x.dtype!r} to dtype('int64') according to the rule "
            f"'same_kind'"
        )
    return astype(x, np.intp)


@implements(np.ravel_multi_index)
def ravel_multi_index(multi_index: Any, dims: Any, mode: Any = "raise", order: str = "C") -> Any:
    """NumPy's ``ravel_multi_index``: flat indices of coordinate arrays into an array of shape
    ``dims`` (concrete); the coordinates may be batched.

    ``mode`` per dimension: 'wrap', 'clip' or 'raise'.  With 'raise', NumPy raises
    ``ValueError`` for a coordinate outside ``[0, dim)``; inside vmap/jit the check is a
    gather that raises ``IndexError`` instead (NumPy's message names the bad index).
    """
    dims = dims_of(dims, "ravel_multi_index dims")
    coords = [_int_operand(c) for c in multi_index]
    if len(coords) != len(dims):
        raise ValueError(f"parameter multi_index must be a sequence of length {len(dims)}")
    modes = (mode,) * len(dims) if isinstance(mode, str) else tuple(mode)
    if len(modes) != len(dims):
        raise ValueError("mode must be a string or a sequence of length len(dims)")
    strides = _strides(dims, order)
    total = None
    for c, d, m, s in zip(coords, dims, modes, strides):
        if m == "wrap":
            c = u["remainder"](c, d)
        elif m == "clip":
            c = u["minimum"](u["maximum"](c, 0), d - 1)
        elif m == "raise":
            # Negative coordinates map past the end, so the gather raises for them too.
            c = take(
                np.arange(d, dtype=np.intp), u["add"](c, u["multiply"](u["less"](c, 0), d + 1))
            )
        else:
            raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {m!r})")
        term = u["multiply"](c, s)
        total = term if total is None else u["add"](total, term)
    return total


@implements(np.unravel_index)
def unravel_index(indices: Any, shape: Any, order: str = "C") -> tuple:
    """NumPy's ``unravel_index``: coordinate arrays in an array of shape ``shape`` (concrete)
    for flat ``indices`` (may be batched).

    NumPy raises ``ValueError`` for an index outside ``[0, prod(shape))``; inside vmap/jit the
    check is a gather that raises ``IndexError`` instead.
    """
    dims = dims_of(shape, "unravel_index shape")
    idx = _int_operand(indices)
    size = int(np.prod(dims, dtype=np.int64))
    # Negative indices map past the end, so the gather raises for them as for too-large ones.
    idx = take(
        np.arange(size, dtype=np.intp), u["add"](idx, u["multiply"](u["less"](idx, 0), size + 1))
    )
    strides = _strides(dims, order)
    return tuple(
        u["remainder"](u["floor_divide"](idx, s), d) if d else u["multiply"](idx, 0)
        for d, s in zip(dims, strides)
    )


__all__ = [
    "tril_indices",
    "triu_indices",
    "tril_indices_from",
    "triu_indices_from",
    "diag_indices",
    "diag_indices_from",
    "mask_indices",
    "ix_",
    "ravel_multi_index",
    "unravel_index",
]
