"""The stacked routines of ``autovec.numpy.linalg``: ``solve``, ``inv``, ``det``, ``slogdet``,
``cholesky``, ``eig``, ``eigvals``, ``eigh``, ``eigvalsh``, ``svd``, ``svdvals``, ``qr``.

Outside any transformation each is NumPy's.  On traced values each binds one primitive
(``autovec.prims.decompositions``): a batch is one more stack axis for NumPy's own loop.
``autovec.numpy.linalg`` re-exports them; the compositions are there."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np

from autovec.numpy._convert import arr
from autovec.numpy._util import implements, ndim, shape
from autovec.numpy.manipulation import matrix_transpose as _matrix_transpose
from autovec.prims.decompositions import (
    cholesky_p,
    det_p,
    eig_p,
    eigh_p,
    eigvals_p,
    eigvalsh_p,
    inv_p,
    qr_p,
    slogdet_p,
    solve_p,
    svd_p,
    svdvals_p,
)

LinAlgError = np.linalg.LinAlgError


EigResult = type(np.linalg.eig(np.ones((1, 1))))


EighResult = type(np.linalg.eigh(np.ones((1, 1))))


SVDResult = type(np.linalg.svd(np.ones((1, 1))))


SlogdetResult = type(np.linalg.slogdet(np.ones((1, 1))))


QRResult = type(np.linalg.qr(np.ones((1, 1))))


def assert_stacked_2d(a: Any) -> None:
    if ndim(a) < 2:
        raise LinAlgError(
            f"{ndim(a)}-dimensional array given. Array must be at least two-dimensional"
        )


def assert_stacked_square(a: Any) -> None:
    assert_stacked_2d(a)
    m, n = shape(a)[-2:]
    if m != n:
        raise LinAlgError("Last 2 dimensions of the array must be square")


def _check_uplo(UPLO: str) -> str:
    uplo = UPLO.upper()
    if uplo not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return uplo


@functools.lru_cache(maxsize=256)
def solve_types(*dtypes: np.dtype) -> tuple[np.dtype, np.dtype]:
    """(computation type, result type) of NumPy's linalg for these input dtypes: computation
    is always double precision, the result keeps single precision (NumPy's ``_commonType``)."""
    ones = [np.ones((1, 1), d) for d in dtypes]
    result = (np.linalg.solve(*ones) if len(ones) == 2 else np.linalg.inv(ones[0])).dtype
    return np.dtype(np.complex128 if result.kind == "c" else np.float64), result


def real_dtype(dtype: np.dtype) -> np.dtype:
    return np.finfo(dtype).dtype  # complex128 -> float64, float32 -> float32


# --------------------------------------------------------------------- stacked routines


@implements(np.linalg.solve)
def solve(a: Any, b: Any) -> Any:
    """NumPy's ``linalg.solve``: ``x`` with ``a @ x = b``; ``b`` is a vector only when 1-D.

    Batched: one stacked LAPACK call.  When only ``b`` is batched, every example's right-hand
    side becomes a column of one right-hand side, so ``a`` is factorised once.
    """
    a, b = arr(a), arr(b)
    assert_stacked_square(a)
    m = shape(a)[-1]
    if ndim(b) == 0:
        raise ValueError("solve: Input operand 1 does not have enough dimensions")
    vector = ndim(b) == 1
    if shape(b)[0 if vector else -2] != m:
        raise ValueError(
            f"solve: Input operand 1 has a mismatch in its core dimension 0 (size "
            f"{shape(b)[0 if vector else -2]} is different from {m})"
        )
    return solve_p.bind(a, b, vector=vector)


@implements(np.linalg.inv)
def inv(a: Any) -> Any:
    """NumPy's ``linalg.inv`` of each matrix of a stack."""
    a = arr(a)
    assert_stacked_square(a)
    return inv_p.bind(a)


@implements(np.linalg.det)
def det(a: Any) -> Any:
    """NumPy's ``linalg.det`` (int input gives float64)."""
    a = arr(a)
    assert_stacked_square(a)
    return det_p.bind(a)


@implements(np.linalg.slogdet)
def slogdet(a: Any) -> Any:
    """NumPy's ``linalg.slogdet``: ``(sign, logabsdet)`` as NumPy's named tuple."""
    a = arr(a)
    assert_stacked_square(a)
    return SlogdetResult(*slogdet_p.bind(a))


@implements(np.linalg.cholesky)
def cholesky(a: Any, /, *, upper: bool = False) -> Any:
    """NumPy's ``linalg.cholesky`` (lower factor, or upper with ``upper=True``).

    A batch containing a matrix that is not positive definite raises ``LinAlgError``, as the
    loop would."""
    a = arr(a)
    assert_stacked_square(a)
    return cholesky_p.bind(a, upper=bool(upper))


@implements(np.linalg.eig)
def eig(a: Any) -> Any:
    """NumPy's ``linalg.eig``: eigenvalues and right eigenvectors (an ``EigResult``).

    NumPy returns real arrays when every eigenvalue of the whole input stack is real and
    complex ones otherwise: the dtype depends on the data.  Under ``vmap`` the batch is one
    such stack, so the result is real exactly when every example's eigenvalues are real,
    which is when the loop's ``np.stack`` of the per-example results is real (one complex
    example makes the stack complex, the real ones cast): the loop's dtype and values.
    Under ``jit`` the dtype must be known before the data: a real matrix raises
    ``DataDependentShapeError`` (complex input, or ``eigh`` for symmetric matrices, work).
    """
    a = arr(a)
    assert_stacked_square(a)
    return EigResult(*eig_p.bind(a, numpy_dtype=True))


@implements(np.linalg.eigvals)
def eigvals(a: Any) -> Any:
    """NumPy's ``linalg.eigvals``; its dtype depends on the data as ``eig``'s does."""
    a = arr(a)
    assert_stacked_square(a)
    return eigvals_p.bind(a, numpy_dtype=True)


@implements(np.linalg.eigh)
def eigh(a: Any, UPLO: str = "L") -> Any:
    """NumPy's ``linalg.eigh``: ascending real eigenvalues and eigenvectors of Hermitian
    matrices, from the ``UPLO`` triangle (an ``EighResult``)."""
    uplo = _check_uplo(UPLO)
    a = arr(a)
    assert_stacked_square(a)
    return EighResult(*eigh_p.bind(a, UPLO=uplo))


@implements(np.linalg.eigvalsh)
def eigvalsh(a: Any, UPLO: str = "L") -> Any:
    """NumPy's ``linalg.eigvalsh``: ascending real eigenvalues of Hermitian matrices."""
    uplo = _check_uplo(UPLO)
    a = arr(a)
    assert_stacked_square(a)
    return eigvalsh_p.bind(a, UPLO=uplo)


@implements(np.linalg.svd)
def svd(
    a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
) -> Any:
    """NumPy's ``linalg.svd``: ``SVDResult(U, S, Vh)``, or ``S`` when ``compute_uv=False``."""
    a = arr(a)
    assert_stacked_2d(a)
    if hermitian:
        assert_stacked_square(a)
    if not compute_uv:
        return svdvals_p.bind(a, hermitian=bool(hermitian))
    u, s, vh = svd_p.bind(a, full_matrices=bool(full_matrices), hermitian=bool(hermitian))
    return SVDResult(u, s, vh)


@implements(np.linalg.svdvals)
def svdvals(x: Any, /) -> Any:
    """NumPy's ``linalg.svdvals``: the singular values, descending."""
    return svd(x, compute_uv=False)


@implements(np.linalg.qr)
def qr(a: Any, mode: str = "reduced") -> Any:
    """NumPy's ``linalg.qr`` with modes 'reduced', 'complete', 'r' and 'raw'."""
    if mode in ("f", "full", "e", "economic"):
        warnings.warn(f"The {mode!r} option of qr is deprecated.", DeprecationWarning, 2)
        mode = "reduced" if mode in ("f", "full") else "economic"
    elif mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"Unrecognized mode '{mode}'")
    a = arr(a)
    assert_stacked_2d(a)
    if mode == "economic":  # LAPACK's packed factorisation, untransposed
        return _matrix_transpose(qr_p.bind(a, mode="raw")[0])
    outs = qr_p.bind(a, mode=mode)
    if mode == "r":
        return outs[0]
    if mode == "raw":
        return tuple(outs)
    return QRResult(*outs)


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
]
