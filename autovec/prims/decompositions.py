"""Decompositions and solvers: NumPy's stacked linear-algebra routines, one primitive each.

NumPy's ``linalg`` routines already work on stacks of matrices ``(..., M, N)``: the leading
axes are looped over in C and broadcast between operands.  So every primitive here is one call
of ``xp.linalg.<name>`` on a stack, and the whole batching rule is "move the batch axis in
front of the matrix axes" (and, for an operand whose stack is shorter, give it size-1 stack
axes so that the batch axes line up).  No Python loop ever runs over the batch.

Shape rules are exact: the stack axes broadcast, the matrix axes follow each routine's
signature (``core_out`` below), and dtypes are NumPy's own (found by running the impl on a
1x1 stand-in: ``det`` of int gives float64, float32 stays float32, complex in gives complex
out, float16 is rejected with NumPy's ``TypeError``).

``eig``/``eigvals`` are the one place NumPy's dtype depends on the data (real when every
eigenvalue of the whole stack is real).  With ``numpy_dtype=True`` the impl gives NumPy's
dtype: batched, one call on the whole stack is real exactly when the loop's ``np.stack`` of
the per-example results is.  A shape rule cannot see data, so for real input it raises
``DataDependentShapeError`` (under jit); complex input is complex either way.  With
``numpy_dtype=False`` the result is always complex (complex64 for float32 input, complex128
otherwise; NumPy's values, cast), as JAX has it: internal uses that want complex roots.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import Primitive, ShapedArray
from autovec.prims.base import FRESH, Arg, Sample, broadcast_shapes, declare, ndim_of, result_dtypes
from autovec.prims.shape import expand_dims_p, moveaxis, reshape_p

# ------------------------------------------------------------------------------ family


def _stacked(
    name: str,
    impl: Callable[..., Any],
    *,
    cores: tuple[int, ...] | Callable[..., tuple[int, ...]],
    core_out: Callable[..., list[tuple[int, ...]]],
    samples: list,
    doc: str,
    multiple_results: bool = False,
    batch: Callable[..., Any] | None = None,
    check: Callable[..., None] | None = None,
) -> Primitive:
    """Declare a routine on stacks of matrices.

    ``cores[i]`` is how many trailing axes of operand ``i`` are its matrix (or vector) axes
    (``cores`` may be a function of the params); the axes before them are stack axes,
    broadcast between operands.  ``core_out(*core_shapes, **params)`` gives the trailing
    shape of each output.  ``check(*avals, **params)`` may refuse inputs whose result the
    avals do not determine.
    """
    core_ranks = cores if callable(cores) else lambda **params: cores

    def shape(*avals: ShapedArray, **params: Any) -> Any:
        if check is not None:
            check(*avals, **params)
        ranks = core_ranks(**params)
        stack = broadcast_shapes(*(a.shape[: a.ndim - c] for a, c in zip(avals, ranks)))
        core_in = [a.shape[a.ndim - c :] for a, c in zip(avals, ranks)]
        dtypes = result_dtypes(impl, avals, params)
        outs = [ShapedArray(stack + o, dt) for o, dt in zip(core_out(*core_in, **params), dtypes)]
        return outs if multiple_results else outs[0]

    def default_batch(axis_size: int, args: tuple, dims: tuple, **params: Any) -> Any:
        out = prim.bind(*batch_in_front(args, dims, core_ranks(**params)), **params)
        return (out, [0] * len(out)) if multiple_results else (out, 0)

    prim = declare(
        name,
        impl=impl,
        shape=shape,
        output=FRESH,
        batch=batch or default_batch,
        samples=samples,
        multiple_results=multiple_results,
        doc=doc,
    )
    return prim


def batch_in_front(args: tuple, dims: tuple, cores: tuple[int, ...]) -> list:
    """Batched operands with the batch axis first and size-1 stack axes after it, so that
    NumPy's right-aligned broadcasting of the stack axes pairs batch with batch; unbatched
    operands are left as they are (they broadcast against the stack axes)."""
    ranks = [ndim_of(a) - (d is not None) - c for a, d, c in zip(args, dims, cores)]
    stack_rank = max(ranks)
    out = []
    for a, d, r in zip(args, dims, ranks):
        if d is not None:
            a = moveaxis(a, d, 0)
            if r < stack_rank:
                a = expand_dims_p.bind(a, axes=tuple(range(1, 1 + stack_rank - r)))
        out.append(a)
    return out


def _complex_of(xp: Any, dtype: Any) -> Any:
    return xp.result_type(dtype, xp.complex64)  # float32 -> complex64, float64 -> complex128


def _square(a: tuple, **params: Any) -> list:
    return [a]


# --------------------------------------------------------------------------------- solve


def _solve_impl(xp: Any, a: Any, b: Any, *, vector: bool) -> Any:
    if vector:  # one right-hand-side column per system (NumPy's stacked-vector spelling)
        return xp.linalg.solve(a, b[..., None])[..., 0]
    return xp.linalg.solve(a, b)


def _solve_batch(axis_size: int, args: tuple, dims: tuple, *, vector: bool) -> tuple:
    (a, b), (ad, bd) = args, dims
    if ad is not None:
        return solve_p.bind(*batch_in_front(args, dims, (2, 1 if vector else 2)), vector=vector), 0
    # One coefficient stack for every example: the examples' right-hand sides become extra
    # columns of ONE right-hand side, so each matrix is factorised once, not once per example.
    nb = ndim_of(b)
    if vector:  # (..., M) batched -> (..., M, B): the examples are the columns
        x = solve_p.bind(a, moveaxis(b, bd, nb - 1), vector=False)
        return x, ndim_of(x) - 1
    b = moveaxis(b, bd, nb - 2)  # (..., M, B, K)
    *stack_b, m, n, k = b.shape
    b = reshape_p.bind(b, new_sizes=(*stack_b, m, n * k))
    x = solve_p.bind(a, b, vector=False)
    *stack, _, _ = x.shape
    return reshape_p.bind(x, new_sizes=(*stack, m, n, k)), len(stack) + 1


solve_p = _stacked(
    "solve",
    _solve_impl,
    cores=lambda vector: (2, 1 if vector else 2),
    core_out=lambda a, b, **p: [b],
    batch=_solve_batch,
    samples=[
        Sample((Arg((3, 3)), Arg((3, 2))), {"vector": False}),
        Sample((Arg((2, 3, 3)), Arg((3, 1))), {"vector": False}),
        Sample((Arg((4, 4), "complex128"), Arg((2, 4, 3), "complex128")), {"vector": False}),
        Sample((Arg((2, 2), "float32", 1, 2), Arg((2, 1), "float32")), {"vector": False}),
        Sample((Arg((3, 3)), Arg((3,))), {"vector": True}),
        Sample((Arg((2, 3, 3)), Arg((3,))), {"vector": True}),
    ],
    doc="Solve ``a @ x = b`` for stacks: a (..., M, M) with b (..., M, K) -> x (..., M, K), "
    "or with ``vector=True`` b (..., M) -> x (..., M) (one right-hand side per system).",
)

# -------------------------------------------------------------------- one-matrix routines

inv_p = _stacked(
    "inv",
    lambda xp, a: xp.linalg.inv(a),
    cores=(2,),
    core_out=_square,
    samples=[Sample((Arg((3, 3)),)), Sample((Arg((2, 4, 4), "complex128"),))],
    doc="Inverse of each matrix of a stack (..., M, M).",
)

det_p = _stacked(
    "det",
    lambda xp, a: xp.linalg.det(a),
    cores=(2,),
    core_out=lambda a, **p: [()],
    samples=[
        Sample((Arg((3, 3)),)),
        Sample((Arg((2, 2, 2), "complex128"),)),
        Sample((Arg((3, 3), "int64", -5, 5),)),
    ],
    doc="Determinant of each matrix of a stack (..., M, M) -> (...).",
)

slogdet_p = _stacked(
    "slogdet",
    lambda xp, a: tuple(xp.linalg.slogdet(a)),
    cores=(2,),
    core_out=lambda a, **p: [(), ()],
    multiple_results=True,
    samples=[Sample((Arg((3, 3)),)), Sample((Arg((2, 2, 2), "complex128"),))],
    doc="Sign and log of the absolute determinant of each matrix: (sign, logabsdet).",
)

cholesky_p = _stacked(
    "cholesky",
    lambda xp, a, *, upper: xp.linalg.cholesky(a, upper=upper),
    cores=(2,),
    core_out=_square,
    samples=[
        # Random matrices are not positive definite; 1x1 positive ones are, and a fixed
        # SPD matrix (the same in every example) covers the general case.
        Sample((Arg((2, 1, 1), "float64", 0.5, 2.0),), {"upper": False}),
        Sample(
            (np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]]),),
            {"upper": True},
        ),
    ],
    doc="Cholesky factor of each Hermitian positive-definite matrix (lower, or upper).",
)


def _eig_impl(xp: Any, a: Any, *, numpy_dtype: bool) -> tuple:
    w, v = xp.linalg.eig(a)
    if numpy_dtype:
        return w, v
    c = _complex_of(xp, w.dtype)
    return xp.astype(w, c, copy=False), xp.astype(v, c, copy=False)


def _eigvals_impl(xp: Any, a: Any, *, numpy_dtype: bool) -> Any:
    w = xp.linalg.eigvals(a)
    return w if numpy_dtype else xp.astype(w, _complex_of(xp, w.dtype), copy=False)


def _eig_dtype_known(a: ShapedArray, *, numpy_dtype: bool) -> None:
    """NumPy's eig of a real matrix is real or complex depending on the values."""
    if numpy_dtype and a.dtype.kind != "c":
        raise errors.DataDependentShapeError(
            f"linalg.eig/eigvals of a real matrix ({a.str_short()}): NumPy returns a real "
            f"array when every eigenvalue is real and a complex one otherwise, so the result "
            f"dtype depends on the values, which jit does not see. Pass complex input "
            f"(eig(a.astype(complex))) for complex results always, or use eigh/eigvalsh for "
            f"symmetric matrices (real results always)."
        )


_EIG_SAMPLES = [
    Sample((Arg((3, 3), "complex128"),), {"numpy_dtype": True}),
    Sample((Arg((3, 3)),), {"numpy_dtype": False}),
    Sample((Arg((2, 3, 3), "complex128"),), {"numpy_dtype": False}),
]

eig_p = _stacked(
    "eig",
    _eig_impl,
    cores=(2,),
    core_out=lambda a, **p: [a[-1:], a],
    multiple_results=True,
    samples=_EIG_SAMPLES,
    check=_eig_dtype_known,
    doc="Eigenvalues and right eigenvectors of general matrices: NumPy's dtype "
    "(``numpy_dtype=True``; real input then has no static dtype) or always complex.",
)

eigvals_p = _stacked(
    "eigvals",
    _eigvals_impl,
    cores=(2,),
    core_out=lambda a, **p: [a[-1:]],
    samples=[
        Sample((Arg((2, 2, 2), "complex64"),), {"numpy_dtype": True}),
        Sample((Arg((2, 2, 2), "float32"),), {"numpy_dtype": False}),
    ],
    check=_eig_dtype_known,
    doc="Eigenvalues of general matrices (``numpy_dtype`` as in ``eig``).",
)

eigh_p = _stacked(
    "eigh",
    lambda xp, a, *, UPLO: tuple(xp.linalg.eigh(a, UPLO=UPLO)),
    cores=(2,),
    core_out=lambda a, **p: [a[-1:], a],
    multiple_results=True,
    samples=[
        Sample((Arg((3, 3)),), {"UPLO": "L"}),
        Sample((Arg((2, 3, 3), "complex128"),), {"UPLO": "U"}),
    ],
    doc="Eigenvalues (ascending, real) and eigenvectors of Hermitian matrices, read from "
    "the ``UPLO`` triangle.",
)

eigvalsh_p = _stacked(
    "eigvalsh",
    lambda xp, a, *, UPLO: xp.linalg.eigvalsh(a, UPLO=UPLO),
    cores=(2,),
    core_out=lambda a, **p: [a[-1:]],
    samples=[
        Sample((Arg((3, 3)),), {"UPLO": "L"}),
        Sample((Arg((3, 3), "float32"),), {"UPLO": "U"}),
    ],
    doc="Eigenvalues (ascending, real) of Hermitian matrices.",
)


def _svd_core(a: tuple, *, full_matrices: bool, hermitian: bool) -> list:
    m, n = a
    k = min(m, n)
    if full_matrices or hermitian:  # NumPy's hermitian path (eigh) has square factors
        return [(m, m), (k,), (n, n)]
    return [(m, k), (k,), (k, n)]


svd_p = _stacked(
    "svd",
    lambda xp, a, *, full_matrices, hermitian: tuple(
        xp.linalg.svd(a, full_matrices=full_matrices, hermitian=hermitian)
    ),
    cores=(2,),
    core_out=_svd_core,
    multiple_results=True,
    samples=[
        Sample((Arg((3, 4)),), {"full_matrices": True, "hermitian": False}),
        Sample((Arg((2, 4, 2), "complex128"),), {"full_matrices": False, "hermitian": False}),
        Sample((Arg((3, 3)),), {"full_matrices": False, "hermitian": True}),
    ],
    doc="Singular value decomposition u, s, vh of each matrix (s descending).",
)

svdvals_p = _stacked(
    "svdvals",
    lambda xp, a, *, hermitian: xp.linalg.svd(a, compute_uv=False, hermitian=hermitian),
    cores=(2,),
    core_out=lambda a, **p: [(min(a),)],
    samples=[
        Sample((Arg((3, 4)),), {"hermitian": False}),
        Sample((Arg((2, 3, 3), "complex128"),), {"hermitian": True}),
    ],
    doc="Singular values of each matrix, descending.",
)


def _qr_core(a: tuple, *, mode: str) -> list:
    m, n = a
    k = min(m, n)
    return {
        "reduced": [(m, k), (k, n)],
        "complete": [(m, m), (m, n)],
        "r": [(k, n)],
        "raw": [(n, m), (k,)],
    }[mode]


def _qr_impl(xp: Any, a: Any, *, mode: str) -> tuple:
    out = xp.linalg.qr(a, mode=mode)
    return (out,) if mode == "r" else tuple(out)


qr_p = _stacked(
    "qr",
    _qr_impl,
    cores=(2,),
    core_out=_qr_core,
    multiple_results=True,
    samples=[
        Sample((Arg((4, 3)),), {"mode": "reduced"}),
        Sample((Arg((2, 4, 3), "complex128"),), {"mode": "complete"}),
        Sample((Arg((3, 4)),), {"mode": "r"}),
        Sample((Arg((4, 3)),), {"mode": "raw"}),
    ],
    doc="QR decomposition of each matrix; the outputs of NumPy's ``mode`` "
    "((q, r), (r,) for mode 'r', (h, tau) for mode 'raw').",
)

__all__ = [
    "batch_in_front",
    "solve_p",
    "inv_p",
    "det_p",
    "slogdet_p",
    "cholesky_p",
    "eig_p",
    "eigvals_p",
    "eigh_p",
    "eigvalsh_p",
    "svd_p",
    "svdvals_p",
    "qr_p",
]
