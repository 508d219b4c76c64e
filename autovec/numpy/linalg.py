"""``autovec.numpy.linalg``: NumPy's ``numpy.linalg`` on values that may be batched or traced.

Outside any transformation every function here IS NumPy's (the call goes straight to
``numpy.linalg``), so results, dtypes and errors are NumPy's exactly.  On traced values:

- the stacked routines (``solve``, ``inv``, ``det``, ``slogdet``, ``cholesky``, ``eig``,
  ``eigh``, ``eigvals``, ``eigvalsh``, ``svd``, ``svdvals``, ``qr``) bind one primitive each
  (``autovec.numpy._decompositions``): a batch is one more stack axis for NumPy's own loop;
- the rest are compositions in NumPy's own order of operations: ``norm`` and friends from
  reductions, ``pinv``/``matrix_rank``/``lstsq`` from the SVD, ``cond`` from the SVD or from
  ``inv`` and ``norm``, ``multi_dot`` from ``dot`` in NumPy's chain order.

Data-dependent results stay per example: ``matrix_rank``/``pinv``/``lstsq`` thresholds are
taken from each example's own singular values, ``cond`` of a singular example is ``inf`` for
that example only.  Two things differ, both documented on the function: ``eig``/``eigvals``
of real input raise under jit (their dtype depends on the values; under vmap they are the
loop's), and ``lstsq``'s residuals always have their full-rank shape."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from autovec import errors
from autovec.interpreters import batching
from autovec.numpy import products as _products
from autovec.numpy import reductions as _red
from autovec.numpy._convert import arr
from autovec.numpy._decompositions import (  # the stacked routines, re-exported
    LinAlgError,
    assert_stacked_2d,
    assert_stacked_square,
    cholesky,
    det,
    eig,
    eigh,
    eigvals,
    eigvalsh,
    inv,
    qr,
    real_dtype,
    slogdet,
    solve,
    solve_types,
    svd,
    svdvals,
)
from autovec.numpy._norms import (  # re-exported
    matrix_norm,
    max_or_zero,
    norm,
    vector_norm,
)
from autovec.numpy._util import implements, is_traced, ndim, normalize_axis, shape
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import (
    astype,
    broadcast_to,
    expand_dims,
    reshape,
    squeeze,
    transpose,
)
from autovec.numpy.manipulation import matrix_transpose as _matrix_transpose
from autovec.numpy.ufuncs import UFUNCS, real, where
from autovec.prims.decompositions import inv_p, slogdet_p, svd_p
from autovec.prims.linalg import einsum_p

_abs, _sqrt, _conj = UFUNCS["absolute"], UFUNCS["sqrt"], UFUNCS["conjugate"]


_mul, _div, _sub = UFUNCS["multiply"], UFUNCS["divide"], UFUNCS["subtract"]


_gt, _isnan = UFUNCS["greater"], UFUNCS["isnan"]


def _eye_like(m: int, dtype: Any) -> np.ndarray:
    return np.eye(m, dtype=dtype)


# ------------------------------------------------------------------------- compositions


def _matmul(a: Any, b: Any) -> Any:
    return _products.matmul(a, b)


def _svd_threshold_inverse(s: Any, cutoff: Any) -> tuple[Any, Any]:
    """``(large, 1/s where large else 0)``: the reciprocal taken only where it is kept, so
    a zero singular value never divides."""
    large = _gt(s, cutoff)
    safe = where(large, s, 1)
    return large, where(large, _div(1, safe), 0)


@implements(np.linalg.pinv)
def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = np._NoValue) -> Any:
    """NumPy's ``linalg.pinv``: the pseudo-inverse from the SVD, singular values below
    ``rcond * max(s)`` (each example's own largest) dropped."""
    a = arr(a)
    assert_stacked_2d(a)
    if rcond is None:
        if rtol is np._NoValue:
            rcond = 1e-15
        elif rtol is None:
            rcond = max(shape(a)[-2:]) * np.finfo(a.dtype).eps
        else:
            rcond = rtol
    elif rtol is not np._NoValue:
        raise ValueError("`rtol` and `rcond` can't be both set.")
    if not is_traced(rcond):
        rcond = np.asarray(rcond)  # NumPy's: a 0-d float64 array, not a weak scalar
    m, n = shape(a)[-2:]
    if m * n == 0:
        return np.empty((*shape(a)[:-2], n, m), a.dtype)
    u, s, vt = svd_p.bind(_conj(a), full_matrices=False, hermitian=bool(hermitian))
    cutoff = _mul(expand_dims(rcond, -1), _red.max(s, axis=-1, keepdims=True))
    _, s_inv = _svd_threshold_inverse(s, cutoff)
    return _matmul(_matrix_transpose(vt), _mul(expand_dims(s_inv, -1), _matrix_transpose(u)))


@implements(np.linalg.matrix_rank)
def matrix_rank(A: Any, tol: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Any:
    """NumPy's ``linalg.matrix_rank``: singular values above ``tol`` (default: each example's
    largest singular value times ``max(M, N) * eps``)."""
    if rtol is not None and tol is not None:
        raise ValueError("`tol` and `rtol` can't be both set.")
    A = arr(A)
    if ndim(A) < 2:
        nonzero = _red.any(UFUNCS["not_equal"](A, 0))
        return astype(nonzero, np.intp)
    S = svd(A, compute_uv=False, hermitian=hermitian)
    if tol is None:
        if rtol is None:
            rtol = max(shape(A)[-2:]) * np.finfo(S.dtype).eps
        else:
            rtol = expand_dims(arr(rtol), -1)
        tol = _mul(max_or_zero(S, -1, keepdims=True), rtol)
    else:
        tol = expand_dims(arr(tol), -1)
    return _red.sum(_gt(S, tol), axis=-1, dtype=np.intp)


@implements(np.linalg.lstsq)
def lstsq(a: Any, b: Any, rcond: Any = None) -> tuple:
    """NumPy's ``linalg.lstsq``: ``(x, residuals, rank, s)`` of the least-squares problem.

    NumPy has no stacked ``lstsq``; under a transformation it is computed from the SVD of
    each example (in double precision, as NumPy does): singular values at most
    ``rcond * s[0]`` are dropped (``rcond=None``: ``eps * max(M, N)``, negative: ``eps``), ``x``
    is the minimum-norm solution, ``rank`` (int32) counts the kept values.  ``x``, ``rank``
    and ``s`` match NumPy's to float tolerance for full-rank and rank-deficient examples.

    ``residuals``: NumPy returns the squared residual norms (shape ``(K,)``, ``(1,)`` for a
    1-D ``b``) when ``M > N`` and the example has full rank, and an EMPTY array otherwise.
    The empty case for ``M <= N`` is static and kept.  But whether an example with ``M > N``
    has full rank depends on its data, and a batch needs one shape, so under a
    transformation ``residuals`` always has the full-rank shape when ``M > N``; for a
    rank-deficient example it holds that example's squared residual norms
    ``|b - a @ x|**2`` (JAX's convention), where NumPy would give an empty array.
    """
    a, b = arr(a), arr(b)
    is_1d = ndim(b) == 1
    if is_1d:
        b = expand_dims(b, 1)
    for x in (a, b):
        if ndim(x) != 2:
            raise LinAlgError(f"{ndim(x)}-dimensional array given. Array must be two-dimensional")
    (m, n), m2 = shape(a), shape(b)[0]
    if m != m2:
        raise LinAlgError("Incompatible dimensions")
    t, result_t = solve_types(np.dtype(a.dtype), np.dtype(b.dtype))
    real_t = real_dtype(result_t)
    eps = np.finfo(t).eps
    if rcond is None:
        rcond = eps * max(n, m)
    elif is_traced(rcond):
        rcond = where(UFUNCS["less"](rcond, 0), eps, rcond)
    elif rcond < 0:  # LAPACK's convention: machine precision
        rcond = eps
    a_t, b_t = astype(a, t), astype(b, t)
    u, s, vh = svd_p.bind(a_t, full_matrices=False, hermitian=False)  # (m,r) (r,) (r,n)
    if min(m, n) == 0:
        large = s_inv = s
    else:
        large, s_inv = _svd_threshold_inverse(s, _mul(rcond, getitem(s, 0)))
    rank = astype(_red.sum(large, axis=-1, dtype=np.intp), np.int32)
    uhb = _matmul(_conj(_matrix_transpose(u)), b_t)  # (r, k)
    x = _matmul(_conj(_matrix_transpose(vh)), _mul(expand_dims(s_inv, -1), uhb))  # (n, k)
    if m > n:
        r = _sub(b_t, _matmul(a_t, x))
        resid = astype(_red.sum(real(_mul(_conj(r), r)), axis=0), real_t)
    else:
        resid = np.array([], real_t)
    x = astype(x, result_t)
    if is_1d:
        x = squeeze(x, -1)
    return x, resid, rank, astype(s, real_t)


# NumPy < 2.3 gave cond(x, p) of a complex x a complex dtype for p other than None/2/-2
# (a real value); 2.3 made it real.  Asked of NumPy once, so the batch matches its loop.
_COND_KEEPS_COMPLEX = np.linalg.cond(np.eye(2, dtype=complex), 1).dtype.kind == "c"


@implements(np.linalg.cond)
def cond(x: Any, p: Any = None) -> Any:
    """NumPy's ``linalg.cond``: ``s[0] / s[-1]`` for ``p`` None/2/-2, else
    ``norm(x, p) * norm(inv(x), p)``.  A singular example gets ``inf`` (NumPy's convention)
    for itself only; the rest of the batch is unaffected."""
    x = arr(x)
    if x.size == 0 and np.prod(shape(x)[-2:]) == 0:
        raise LinAlgError("cond is not defined on empty arrays")
    # NumPy silences division warnings here: a zero singular value gives inf, not an error.
    with np.errstate(all="ignore"):
        if p is None or p in (2, -2):
            s = svd(x, compute_uv=False)
            first, last = getitem(s, (Ellipsis, 0)), getitem(s, (Ellipsis, -1))
            r = _div(last, first) if p == -2 else _div(first, last)
        else:
            assert_stacked_square(x)
            result_t = solve_types(np.dtype(x.dtype))[1]
            cond_t = result_t if _COND_KEEPS_COMPLEX else real_dtype(result_t)
            # Exactly singular examples (LU finds a zero pivot: slogdet's sign is 0) would
            # make a stacked inv raise for the whole batch; NumPy gives them inf.  Invert an
            # identity in their place and mark their result NaN, turned into inf below.
            sign = slogdet_p.bind(x)[0]
            singular = expand_dims(UFUNCS["equal"](sign, 0), (-2, -1))
            eye = _eye_like(shape(x)[-1], x.dtype)
            invx = inv_p.bind(where(singular, eye, x))
            invx = where(singular, np.nan, invx)
            r = _mul(norm(x, p, axis=(-2, -1)), norm(invx, p, axis=(-2, -1)))
            r = astype(r, cond_t)
        nan_mask = UFUNCS["logical_and"](
            _isnan(r), UFUNCS["logical_not"](_red.any(_isnan(x), axis=(-2, -1)))
        )
        return where(nan_mask, np.inf, r)


@implements(np.linalg.matrix_power)
def matrix_power(a: Any, n: Any) -> Any:
    """NumPy's ``linalg.matrix_power``: repeated squaring in NumPy's order (negative ``n``
    inverts first); ``n`` must be a concrete integer."""
    a = arr(a)
    assert_stacked_square(a)
    if is_traced(n):
        raise errors.ConcretizationTypeError(
            "matrix_power: the exponent n must be a concrete integer (the number of matrix "
            "products depends on it); pass it unbatched (vmap: in_axes=None for it, or a closure; "
            "jit: mark it static with static_argnums/static_argnames)."
        )
    try:
        n = operator.index(n)
    except TypeError as e:
        raise TypeError("exponent must be an integer") from e
    if n == 0:
        return broadcast_to(_eye_like(shape(a)[-1], a.dtype), shape(a))
    if n < 0:
        a = inv(a)
        n = -n
    if n == 1:
        return a
    if n == 2:
        return _matmul(a, a)
    if n == 3:
        return _matmul(_matmul(a, a), a)
    z = result = None
    while n > 0:
        z = a if z is None else _matmul(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else _matmul(result, z)
    return result


# ----------------------------------------------------------------- products and tensors


@implements(np.linalg.multi_dot)
def multi_dot(arrays: Any, *, out: Any = None) -> Any:
    """NumPy's ``linalg.multi_dot``: the chain of ``dot`` products in the cheapest order
    (chosen from the shapes, as NumPy chooses it); the first and last may be 1-D."""
    arrays = list(arrays)
    if out is not None:
        raise errors.UnsupportedOperationError(
            "multi_dot(out=...) is not supported inside vmap/jit; use the return value."
        )
    n = len(arrays)
    if n < 2:
        raise ValueError("Expecting at least two arrays.")
    if n == 2:
        return _products.dot(arrays[0], arrays[1])
    arrays = [arr(a) for a in arrays]
    first_1d, last_1d = ndim(arrays[0]) == 1, ndim(arrays[-1]) == 1
    if first_1d:
        arrays[0] = expand_dims(arrays[0], 0)
    if last_1d:
        arrays[-1] = expand_dims(arrays[-1], 1)
    for a in arrays:
        if ndim(a) != 2:
            raise LinAlgError(f"{ndim(a)}-dimensional array given. Array must be two-dimensional")
    dims = [shape(a)[0] for a in arrays] + [shape(arrays[-1])[1]]
    split = _chain_order(dims)
    result = _chain_product(arrays, split, 0, n - 1)
    if first_1d and last_1d:
        return getitem(result, (0, 0))
    if first_1d or last_1d:
        return reshape(result, (-1,))
    return result


def _chain_order(dims: list[int]) -> dict[tuple[int, int], int]:
    """Where to split each sub-chain ``i..j`` so that the number of scalar multiplications is
    least (the classic dynamic programme over chain lengths; ties keep the first split, and
    three matrices use NumPy's direct cost comparison, so the order is NumPy's)."""
    n = len(dims) - 1
    if n == 3:
        a0, a1b0, b1c0, c1 = dims
        left_first = a0 * b1c0 * (a1b0 + c1) < a1b0 * c1 * (a0 + b1c0)
        return {(0, 2): 1 if left_first else 0, (0, 1): 0, (1, 2): 1}
    cost = {(i, i): 0.0 for i in range(n)}
    split: dict[tuple[int, int], int] = {}
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            best = np.inf
            for k in range(i, j):
                q = cost[i, k] + cost[k + 1, j] + dims[i] * dims[k + 1] * dims[j + 1]
                if q < best:
                    best, split[i, j] = q, k
            cost[i, j] = best
    return split


def _chain_product(arrays: list, split: dict, i: int, j: int) -> Any:
    if i == j:
        return arrays[i]
    k = split[i, j]
    return _products.dot(
        _chain_product(arrays, split, i, k), _chain_product(arrays, split, k + 1, j)
    )


@implements(np.linalg.tensorsolve)
def tensorsolve(a: Any, b: Any, axes: Any = None) -> Any:
    """NumPy's ``linalg.tensorsolve``: solve ``tensordot(a, x, x.ndim) = b`` for ``x``."""
    a, b = arr(a), arr(b)
    an = ndim(a)
    if axes is not None:
        order = list(range(an))
        for k in axes:
            order.remove(k)
            order.insert(an, k)
        a = transpose(a, order)
    old = shape(a)[-(an - ndim(b)) :]
    size = int(np.prod(old, dtype=np.int64))
    if int(np.prod(shape(a), dtype=np.int64)) != size**2:
        raise LinAlgError(
            "Input arrays must satisfy the requirement "
            "prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])"
        )
    x = solve(reshape(a, (size, size)), reshape(b, (-1,)))
    return reshape(x, old)


@implements(np.linalg.tensorinv)
def tensorinv(a: Any, ind: int = 2) -> Any:
    """NumPy's ``linalg.tensorinv``: the inverse for ``tensordot`` over ``ind`` axes."""
    a = arr(a)
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    old = shape(a)
    inv_shape = old[ind:] + old[:ind]
    rows = int(np.prod(old[ind:], dtype=np.int64))
    return reshape(inv(reshape(a, (rows, -1))), inv_shape)


@implements(np.linalg.outer)
def outer(x1: Any, x2: Any, /) -> Any:
    """NumPy's ``linalg.outer`` (1-D inputs only)."""
    x1, x2 = arr(x1), arr(x2)
    if ndim(x1) != 1 or ndim(x2) != 1:
        raise ValueError(
            "Input arrays must be one-dimensional, but they are "
            f"x1.ndim={ndim(x1)} and x2.ndim={ndim(x2)}."
        )
    return _products.outer(x1, x2)


@implements(np.linalg.cross)
def cross(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """NumPy's ``linalg.cross``: ``numpy.cross`` of 3-element vectors along ``axis``."""
    a, b = arr(x1), arr(x2)
    na, nb = shape(a)[normalize_axis(axis, ndim(a))], shape(b)[normalize_axis(axis, ndim(b))]
    if na != 3 or nb != 3:
        raise ValueError(
            "Both input arrays must be (arrays of) 3-dimensional vectors, "
            f"but they are {na} and {nb} dimensional instead."
        )
    return _products.cross(a, b, axis=axis)


@implements(np.linalg.diagonal)
def diagonal(x: Any, /, *, offset: int = 0) -> Any:
    """NumPy's ``linalg.diagonal``: the ``offset`` diagonal of each matrix (last two axes)."""
    x = arr(x)
    if ndim(x) < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    offset = operator.index(offset)
    m, n = shape(x)[-2:]
    if offset >= 0:
        k = max(0, min(m, n - offset))
        rows, cols = (0, k, None), (offset, offset + k, None)
    else:
        k = max(0, min(m + offset, n))
        rows, cols = (-offset, -offset + k, None), (0, k, None)
    square = getitem(x, (Ellipsis, slice(*rows), slice(*cols)))
    out = einsum_p.bind(square, subscripts="...ii->...i", optimize=False)
    # A read-only view of x in NumPy: writes raise, and it sees writes into x.
    return batching.read_only(out, x, lambda b: diagonal(b, offset=offset))


@implements(np.linalg.trace)
def trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Any:
    """NumPy's ``linalg.trace``: the sum of each matrix's ``offset`` diagonal."""
    return _red.sum(diagonal(x, offset=offset), axis=-1, dtype=dtype)


@implements(np.linalg.matmul)
def matmul(x1: Any, x2: Any, /) -> Any:
    """NumPy's ``linalg.matmul`` (``numpy.matmul`` without its ufunc keywords)."""
    return _products.matmul(x1, x2)


@implements(np.linalg.tensordot)
def tensordot(x1: Any, x2: Any, /, *, axes: Any = 2) -> Any:
    """NumPy's ``linalg.tensordot``."""
    return _products.tensordot(x1, x2, axes)


@implements(np.linalg.vecdot)
def vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """NumPy's ``linalg.vecdot``: ``numpy.vecdot`` over ``axis``."""
    return _products.vecdot(x1, x2, axis=axis)


@implements(np.linalg.matrix_transpose)
def matrix_transpose(x: Any, /) -> Any:
    """NumPy's ``linalg.matrix_transpose``: swap the last two axes."""
    return _matrix_transpose(x)


__all__ = [
    "LinAlgError",
    "solve",
    "inv",
    "det",
    "slogdet",
    "cholesky",
    "eig",
    "eigvals",
    "eigh",
    "eigvalsh",
    "svd",
    "svdvals",
    "qr",
    "lstsq",
    "pinv",
    "matrix_rank",
    "cond",
    "matrix_power",
    "norm",
    "matrix_norm",
    "vector_norm",
    "multi_dot",
    "tensorsolve",
    "tensorinv",
    "outer",
    "cross",
    "diagonal",
    "trace",
    "matmul",
    "tensordot",
    "vecdot",
    "matrix_transpose",
]
