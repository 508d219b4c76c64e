"""Building matrices (NumPy's section of that name): ``diag``, ``diagflat``, ``tri``,
``tril``, ``triu``, ``vander``."""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec.numpy._convert import arr
from autovec.numpy._util import concrete_int, implements, ndim, shape
from autovec.numpy.cumulative import cumprod
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import astype, broadcast_to, concatenate, ravel, reshape
from autovec.numpy.selection import diagonal, diagonal_positions
from autovec.numpy.ufuncs import where
from autovec.prims.shape import ARRAY, index_p


@implements(np.diag)
def diag(v: Any, k: int = 0) -> Any:
    """NumPy's ``diag``: a 1-d ``v`` on the ``k``-th diagonal of a square matrix, or the
    ``k``-th diagonal of a 2-d ``v``."""
    v = arr(v)
    k = concrete_int(k, "diag offset")
    if ndim(v) == 2:
        return diagonal(v, k)
    if ndim(v) != 1:
        raise ValueError("Input must be 1- or 2-d.")
    n = shape(v)[0]
    size = n + abs(k)
    # Every entry reads v at its diagonal position, or the zero appended after v's end.
    table = np.full((size, size), n, dtype=np.intp)
    rows, cols = diagonal_positions(size, size, k)
    table[rows, cols] = np.arange(n)
    padded = concatenate([v, np.zeros(1, v.dtype)])
    return index_p.bind(padded, table, spec=(ARRAY,))


@implements(np.diagflat)
def diagflat(v: Any, k: int = 0) -> Any:
    """NumPy's ``diagflat``: the flattened ``v`` on the ``k``-th diagonal."""
    return diag(ravel(v), k)


@implements(np.tri)
def tri(N: int, M: Any = None, k: int = 0, dtype: Any = float, *, like: Any = None) -> Any:
    """NumPy's ``tri`` (a constant): ones at and below the ``k``-th diagonal."""
    return np.tri(
        concrete_int(N, "tri N"),
        None if M is None else concrete_int(M, "tri M"),
        concrete_int(k, "tri k"),
        dtype=dtype,
    )


def _triangle(m: Any, k: int, lower: bool) -> Any:
    m = arr(m)
    k = concrete_int(k, "diagonal offset k")
    rows_cols = shape(m)[-2:]
    mask = np.tri(*rows_cols, k=k if lower else k - 1, dtype=bool)
    return where(mask if lower else ~mask, m, np.zeros((), m.dtype))


@implements(np.tril)
def tril(m: Any, k: int = 0) -> Any:
    """NumPy's ``tril``: zero above the ``k``-th diagonal of the last two axes."""
    return _triangle(m, k, True)


@implements(np.triu)
def triu(m: Any, k: int = 0) -> Any:
    """NumPy's ``triu``: zero below the ``k``-th diagonal of the last two axes."""
    return _triangle(m, k, False)


@implements(np.vander)
def vander(x: Any, N: Any = None, increasing: bool = False) -> Any:
    """NumPy's ``vander``: the columns are powers of ``x`` (built, as NumPy does, by repeated
    multiplication); ``x`` may be batched, ``N`` must be concrete."""
    x = arr(x)
    if ndim(x) != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    n = shape(x)[0]
    N = n if N is None else concrete_int(N, "vander N")
    dt = np.promote_types(x.dtype, int)
    cols = []
    if N > 0:
        cols.append(np.ones((n, 1), dt))
    if N > 1:
        rep = broadcast_to(reshape(astype(x, dt), (n, 1)), (n, N - 1))
        cols.append(cumprod(rep, axis=1))
    if len(cols) < 2:  # no column depends on x
        return np.ones((n, N), dt)
    v = concatenate(cols, axis=1)
    if not increasing:
        v = getitem(v, (slice(None), slice(None, None, -1)))
    return v


__all__ = [
    "diag",
    "diagflat",
    "tri",
    "tril",
    "triu",
    "vander",
]
