"""``autovec.numpy.linalg``: every function as ``Case``s (see ``tests/_cases.py``), plus the
behaviour that is specific to batching linear algebra.

Matrices that must be invertible are made diagonally dominant INSIDE the case's function
(``_dd``), and Hermitian positive-definite ones are built there too (``_spd``): the checker
makes the other examples of a batch by shuffling the entries of the given one, which keeps a
value range but not structure.  Eigenvector/singular-vector signs and phases are not
compared through invariants: NumPy's stacked routines call the same LAPACK routine on each
matrix of the stack as a single call does, so the factors are identical, sign included.
"""

from __future__ import annotations

import numpy as np
import pytest
from _cases import Case, case_ids, example_maker, run_case
from hypothesis import given
from hypothesis import strategies as st

import autovec
import autovec.numpy as anp
from autovec import errors

_ex = example_maker(2024, low=-1.0, high=1.0)


def _dd(a):
    """Strictly diagonally dominant (so invertible) for entries in [-1, 1): ``a + n I``."""
    n = a.shape[-1]
    return a + n * np.eye(n, dtype=a.dtype)


def _spd(a):
    """Hermitian positive definite: ``a a^H + n I``."""
    n = a.shape[-1]
    return a @ a.mT.conj() + n * np.eye(n, dtype=a.dtype)


def _herm(a):
    return a + a.mT.conj()


def _dup_col(xp, a):
    """``a`` with its first column repeated at the end: rank-deficient by one."""
    return xp.concatenate([a, a[..., :1]], axis=-1)


def _tol(dtype: str) -> dict:
    small = np.dtype(dtype) in (np.float32, np.complex64)
    return {"rtol": 1e-4, "atol": 1e-5} if small else {"rtol": 1e-7, "atol": 1e-9}


F, C, S, INT = "float64", "complex128", "float32", "int64"

CASES = [
    # ------------------------------------------------------------------ solve / inv / det
    Case("linalg.solve", lambda xp, a, b: xp.linalg.solve(_dd(a), b), (_ex((3, 3)), _ex((3,)))),
    Case("linalg.solve", lambda xp, a, b: xp.linalg.solve(_dd(a), b), (_ex((3, 3)), _ex((3, 2)))),
    Case(
        "linalg.solve",  # a stack of systems against one right-hand side (broadcast)
        lambda xp, a, b: xp.linalg.solve(_dd(a), b),
        (_ex((2, 3, 3)), _ex((3, 1))),
    ),
    Case(
        "linalg.solve", lambda xp, a, b: xp.linalg.solve(_dd(a), b), (_ex((2, 2), C), _ex((2,), C))
    ),
    Case(
        "linalg.solve",
        lambda xp, a, b: xp.linalg.solve(_dd(a), b),
        (_ex((4, 4), S), _ex((4, 3), S)),
        **_tol(S),
    ),
    Case(
        "linalg.solve",  # int coefficients: float64 result
        lambda xp, a, b: xp.linalg.solve(_dd(a), b),
        (_ex((3, 3), INT, -1, 2), _ex((3,), INT, -5, 5)),
    ),
    Case("linalg.inv", lambda xp, a: xp.linalg.inv(_dd(a)), (_ex((3, 3)),)),
    Case("linalg.inv", lambda xp, a: xp.linalg.inv(_dd(a)), (_ex((2, 2), S),), **_tol(S)),
    Case("linalg.inv", lambda xp, a: xp.linalg.inv(_dd(a)), (_ex((2, 3, 3), C),)),
    Case("linalg.inv", lambda xp, a: xp.linalg.inv(_dd(a)), (_ex((3, 3), INT, -1, 2),)),
    Case("linalg.det", lambda xp, a: xp.linalg.det(a), (_ex((3, 3)),)),
    Case("linalg.det", lambda xp, a: xp.linalg.det(a), (_ex((2, 4, 4), C),)),
    Case("linalg.det", lambda xp, a: xp.linalg.det(a), (_ex((3, 3), S),), **_tol(S)),
    Case("linalg.det", lambda xp, a: xp.linalg.det(a), (_ex((3, 3), INT, -4, 4),)),
    Case("linalg.slogdet", lambda xp, a: xp.linalg.slogdet(a), (_ex((3, 3)),)),
    Case("linalg.slogdet", lambda xp, a: xp.linalg.slogdet(a), (_ex((2, 3, 3), C),)),
    Case("linalg.slogdet", lambda xp, a: xp.linalg.slogdet(a), (_ex((4, 4), S),), **_tol(S)),
    # ------------------------------------------------------------------ decompositions
    Case("linalg.cholesky", lambda xp, a: xp.linalg.cholesky(_spd(a)), (_ex((3, 3)),)),
    Case("linalg.cholesky", lambda xp, a: xp.linalg.cholesky(_spd(a)), (_ex((2, 2, 2), C),)),
    Case(
        "linalg.cholesky",
        lambda xp, a: xp.linalg.cholesky(_spd(a), upper=True),
        (_ex((3, 3), S),),
        **_tol(S),
    ),
    # Complex input: the cases also run under jit, where real input has no static dtype
    # (see test_eig_of_real_input_* below for real input).
    Case("linalg.eig", lambda xp, a: xp.linalg.eig(a - a.mT + 0j), (_ex((3, 3)),)),
    Case("linalg.eig", lambda xp, a: xp.linalg.eig(a), (_ex((2, 3, 3), C),)),
    Case("linalg.eigvals", lambda xp, a: xp.linalg.eigvals(a), (_ex((3, 3), C),)),
    Case(
        "linalg.eigvals",
        lambda xp, a: xp.linalg.eigvals((a - a.mT).astype(np.complex64)),
        (_ex((2, 2), S),),
        **_tol(S),
    ),
    Case("linalg.eigh", lambda xp, a: xp.linalg.eigh(_herm(a)), (_ex((3, 3)),)),
    Case("linalg.eigh", lambda xp, a: xp.linalg.eigh(a, UPLO="U"), (_ex((2, 3, 3), C),)),
    Case("linalg.eigh", lambda xp, a: xp.linalg.eigh(_herm(a)), (_ex((4, 4), S),), **_tol(S)),
    Case("linalg.eigvalsh", lambda xp, a: xp.linalg.eigvalsh(_herm(a)), (_ex((3, 3)),)),
    Case("linalg.eigvalsh", lambda xp, a: xp.linalg.eigvalsh(a, "U"), (_ex((3, 3), C),)),
    Case("linalg.svd", lambda xp, a: xp.linalg.svd(a), (_ex((4, 3)),)),
    Case("linalg.svd", lambda xp, a: xp.linalg.svd(a, full_matrices=False), (_ex((2, 2, 3), C),)),
    Case("linalg.svd", lambda xp, a: xp.linalg.svd(a, compute_uv=False), (_ex((3, 5)),)),
    Case("linalg.svd", lambda xp, a: xp.linalg.svd(_herm(a), hermitian=True), (_ex((3, 3)),)),
    Case("linalg.svd", lambda xp, a: xp.linalg.svd(a), (_ex((3, 2), S),), **_tol(S)),
    Case("linalg.svdvals", lambda xp, a: xp.linalg.svdvals(a), (_ex((3, 4)),)),
    Case("linalg.svdvals", lambda xp, a: xp.linalg.svdvals(a), (_ex((2, 3, 2), C),)),
    Case("linalg.qr", lambda xp, a: xp.linalg.qr(a), (_ex((4, 3)),)),
    Case("linalg.qr", lambda xp, a: xp.linalg.qr(a, mode="complete"), (_ex((3, 2), C),)),
    Case("linalg.qr", lambda xp, a: xp.linalg.qr(a, mode="r"), (_ex((2, 3, 4)),)),
    Case("linalg.qr", lambda xp, a: xp.linalg.qr(a, mode="raw"), (_ex((4, 3)),)),
    Case("linalg.qr", lambda xp, a: xp.linalg.qr(a), (_ex((3, 3), S),), **_tol(S)),
    # ------------------------------------------------------------------ least squares
    Case("linalg.lstsq", lambda xp, a, b: xp.linalg.lstsq(a, b), (_ex((5, 3)), _ex((5,)))),
    Case("linalg.lstsq", lambda xp, a, b: xp.linalg.lstsq(a, b), (_ex((6, 2), C), _ex((6, 3), C))),
    Case(
        "linalg.lstsq",  # under-determined: residuals are empty, statically
        lambda xp, a, b: xp.linalg.lstsq(a, b, rcond=None),
        (_ex((2, 4)), _ex((2,))),
    ),
    Case(
        "linalg.lstsq",  # float32 data is solved in double precision, as NumPy does
        lambda xp, a, b: xp.linalg.lstsq(a, b),
        (_ex((4, 2), S), _ex((4, 2), S)),
        **_tol(S),
    ),
    Case(
        "linalg.lstsq",  # rank-deficient: x (minimum norm), rank and s; see the residual test
        lambda xp, a, b: [xp.linalg.lstsq(_dup_col(xp, a), b)[i] for i in (0, 2, 3)],
        (_ex((5, 2)), _ex((5, 2))),
        rtol=1e-6,
    ),
    Case(
        "linalg.lstsq",  # an explicit cutoff that drops a singular value of some examples
        lambda xp, a, b: [xp.linalg.lstsq(a, b, rcond=0.3)[i] for i in (0, 2, 3)],
        (_ex((4, 3)), _ex((4,))),
    ),
    Case("linalg.pinv", lambda xp, a: xp.linalg.pinv(a), (_ex((3, 4)),)),
    Case("linalg.pinv", lambda xp, a: xp.linalg.pinv(a), (_ex((2, 3, 2), C),)),
    Case("linalg.pinv", lambda xp, a: xp.linalg.pinv(_dup_col(xp, a)), (_ex((4, 2)),)),
    Case("linalg.pinv", lambda xp, a: xp.linalg.pinv(_herm(a), hermitian=True), (_ex((3, 3)),)),
    Case("linalg.pinv", lambda xp, a: xp.linalg.pinv(a, rtol=None), (_ex((3, 2), S),), **_tol(S)),
    # NumPy dispatches pinv/matrix_rank on the matrix only: a traced tolerance with an
    # untraced matrix never reaches autovec through plain numpy, hence plain_numpy=False.
    Case(
        "linalg.pinv",
        lambda xp, a, r: xp.linalg.pinv(a, r),
        (_ex((3, 3)), np.float64(0.3)),
        plain_numpy=False,
    ),
    Case("linalg.matrix_rank", lambda xp, a: xp.linalg.matrix_rank(a), (_ex((3, 4)),)),
    Case(
        "linalg.matrix_rank", lambda xp, a: xp.linalg.matrix_rank(_dup_col(xp, a)), (_ex((5, 2)),)
    ),
    Case("linalg.matrix_rank", lambda xp, a: xp.linalg.matrix_rank(a), (_ex((4,)),)),
    Case("linalg.matrix_rank", lambda xp, a: xp.linalg.matrix_rank(a, tol=0.5), (_ex((3, 3)),)),
    Case(
        "linalg.matrix_rank",
        lambda xp, a, r: xp.linalg.matrix_rank(a, rtol=r),
        (_ex((2, 3, 3), C), np.float64(0.2)),
        plain_numpy=False,
    ),
    Case(
        "linalg.matrix_rank",
        lambda xp, a: xp.linalg.matrix_rank(_herm(a), hermitian=True),
        (_ex((3, 3), S),),
    ),
    Case("linalg.cond", lambda xp, a: xp.linalg.cond(a), (_ex((3, 3)),)),
    Case("linalg.cond", lambda xp, a: xp.linalg.cond(a, -2), (_ex((2, 3, 4), C),)),
    Case("linalg.cond", lambda xp, a: xp.linalg.cond(_dd(a), 1), (_ex((3, 3)),)),
    Case("linalg.cond", lambda xp, a: xp.linalg.cond(_dd(a), "fro"), (_ex((2, 2), C),)),
    Case(
        "linalg.cond", lambda xp, a: xp.linalg.cond(_dd(a), -np.inf), (_ex((3, 3), S),), **_tol(S)
    ),
    Case("linalg.matrix_power", lambda xp, a: xp.linalg.matrix_power(a, 0), (_ex((3, 3)),)),
    Case("linalg.matrix_power", lambda xp, a: xp.linalg.matrix_power(a, 1), (_ex((2, 2), C),)),
    Case("linalg.matrix_power", lambda xp, a: xp.linalg.matrix_power(a, 3), (_ex((3, 3)),)),
    Case("linalg.matrix_power", lambda xp, a: xp.linalg.matrix_power(a, 6), (_ex((2, 3, 3)),)),
    Case("linalg.matrix_power", lambda xp, a: xp.linalg.matrix_power(_dd(a), -2), (_ex((3, 3)),)),
    Case(
        "linalg.matrix_power",
        lambda xp, a: xp.linalg.matrix_power(a, 5),
        (_ex((3, 3), INT, -3, 3),),
    ),
    # ------------------------------------------------------------------ norms
    Case("linalg.norm", lambda xp, x: xp.linalg.norm(x), (_ex((5,)),)),
    Case("linalg.norm", lambda xp, x: xp.linalg.norm(x), (_ex((3, 4), C),)),
    Case("linalg.norm", lambda xp, x: xp.linalg.norm(x, keepdims=True), (_ex((2, 3)),)),
    Case("linalg.norm", lambda xp, x: xp.linalg.norm(x), (_ex((2, 2, 3), INT, -5, 5),)),
    *[
        Case("linalg.norm", lambda xp, x, o=o: xp.linalg.norm(x, o, axis=-1), (_ex((3, 4)),))
        for o in (np.inf, -np.inf, 0, 1, 2, 3, 0.5)
    ],
    Case("linalg.norm", lambda xp, x: xp.linalg.norm(x, 3, axis=0), (_ex((4, 2), S),), **_tol(S)),
    *[
        Case("linalg.norm", lambda xp, x, o=o: xp.linalg.norm(x, o), (_ex((3, 4)),))
        for o in ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)
    ],
    Case(
        "linalg.norm",
        lambda xp, x: xp.linalg.norm(x, "nuc", axis=(2, 0), keepdims=True),
        (_ex((3, 2, 4), C),),
    ),
    Case("linalg.norm", lambda xp, x: xp.linalg.norm(x, 1, axis=(1, 0)), (_ex((3, 2, 4)),)),
    Case("linalg.matrix_norm", lambda xp, x: xp.linalg.matrix_norm(x), (_ex((2, 3, 4)),)),
    Case(
        "linalg.matrix_norm",
        lambda xp, x: xp.linalg.matrix_norm(x, ord=2, keepdims=True),
        (_ex((3, 3), C),),
    ),
    Case("linalg.vector_norm", lambda xp, x: xp.linalg.vector_norm(x), (_ex((2, 3)),)),
    Case(
        "linalg.vector_norm",
        lambda xp, x: xp.linalg.vector_norm(x, axis=(0, 2), ord=1, keepdims=True),
        (_ex((2, 3, 4)),),
    ),
    Case(
        "linalg.vector_norm",
        lambda xp, x: xp.linalg.vector_norm(x, axis=-1, ord=np.inf),
        (_ex((3, 4), C),),
    ),
    Case(
        "linalg.vector_norm",
        lambda xp, x: xp.linalg.vector_norm(x, ord=4),
        (_ex((5,), S),),
        **_tol(S),
    ),
    # ------------------------------------------------------------------ products, tensors
    Case(
        "linalg.multi_dot",
        lambda xp, a, b, c: xp.linalg.multi_dot([a, b, c]),
        (_ex((2, 5)), _ex((5, 3)), _ex((3, 4))),
    ),
    Case(
        "linalg.multi_dot",
        lambda xp, a, b, c: xp.linalg.multi_dot([a, b, c, b, c[:, 0]]),
        (_ex((6,)), _ex((6, 2)), _ex((2, 6))),
    ),
    Case(
        "linalg.multi_dot",
        lambda xp, a, b: xp.linalg.multi_dot([a, b]),
        (_ex((3, 4), INT, -5, 5), _ex((4,), INT, -5, 5)),
    ),
    Case(
        "linalg.tensorsolve",
        lambda xp, a, b: xp.linalg.tensorsolve(_dd(a).reshape(6, 2, 3), b),
        (_ex((6, 6)), _ex((6,))),
    ),
    Case(
        "linalg.tensorsolve",
        lambda xp, a, b: xp.linalg.tensorsolve(_dd(a).reshape(2, 3, 2, 3), b, axes=(0, 1)),
        (_ex((6, 6)), _ex((2, 3))),
    ),
    Case(
        "linalg.tensorinv",
        lambda xp, a: xp.linalg.tensorinv(_dd(a).reshape(2, 3, 6), ind=2),
        (_ex((6, 6)),),
    ),
    Case(
        "linalg.tensorinv",
        lambda xp, a: xp.linalg.tensorinv(_dd(a).reshape(4, 2, 2), ind=1),
        (_ex((4, 4), C),),
    ),
    Case("linalg.outer", lambda xp, x, y: xp.linalg.outer(x, y), (_ex((3,)), _ex((4,), C))),
    Case(
        "linalg.outer",
        lambda xp, x, y: xp.linalg.outer(x, y),
        (_ex((2,), INT, 0, 9), _ex((3,), INT)),
    ),
    Case("linalg.cross", lambda xp, x, y: xp.linalg.cross(x, y), (_ex((3,)), _ex((3,)))),
    Case(
        "linalg.cross",
        lambda xp, x, y: xp.linalg.cross(x, y),
        (_ex((2, 3), INT, -9, 9), _ex((3,), INT)),
    ),
    Case(
        "linalg.cross",
        lambda xp, x, y: xp.linalg.cross(x, y, axis=0),
        (_ex((3, 2), "int8", -9, 9), _ex((3, 1), "int16", -9, 9)),
    ),
    Case("linalg.cross", lambda xp, x, y: xp.linalg.cross(x, y), (_ex((3,), C), _ex((3,), S))),
    Case("linalg.diagonal", lambda xp, x: xp.linalg.diagonal(x), (_ex((3, 3)),)),
    Case("linalg.diagonal", lambda xp, x: xp.linalg.diagonal(x, offset=1), (_ex((2, 3, 4)),)),
    Case("linalg.diagonal", lambda xp, x: xp.linalg.diagonal(x, offset=-2), (_ex((4, 3), INT),)),
    Case("linalg.diagonal", lambda xp, x: xp.linalg.diagonal(x, offset=5), (_ex((2, 3)),)),
    Case("linalg.trace", lambda xp, x: xp.linalg.trace(x), (_ex((3, 3)),)),
    Case("linalg.trace", lambda xp, x: xp.linalg.trace(x, offset=-1), (_ex((2, 4, 3), C),)),
    Case("linalg.trace", lambda xp, x: xp.linalg.trace(x), (_ex((3, 3), "int32", -9, 9),)),
    Case(
        "linalg.trace",
        lambda xp, x: xp.linalg.trace(x, offset=1, dtype=np.float32),
        (_ex((3, 3), "int8", -9, 9),),
    ),
    Case("linalg.matmul", lambda xp, x, y: xp.linalg.matmul(x, y), (_ex((2, 3)), _ex((3, 4)))),
    Case("linalg.matmul", lambda xp, x, y: xp.linalg.matmul(x, y), (_ex((2, 2, 3), C), _ex((3,)))),
    Case(
        "linalg.tensordot",
        lambda xp, x, y: xp.linalg.tensordot(x, y, axes=1),
        (_ex((2, 3)), _ex((3, 4))),
    ),
    Case(
        "linalg.tensordot",
        lambda xp, x, y: xp.linalg.tensordot(x, y, axes=([0, 2], [1, 0])),
        (_ex((2, 3, 4), INT), _ex((4, 2), INT)),
    ),
    Case("linalg.vecdot", lambda xp, x, y: xp.linalg.vecdot(x, y), (_ex((2, 3), C), _ex((3,), C))),
    Case(
        "linalg.vecdot",
        lambda xp, x, y: xp.linalg.vecdot(x, y, axis=0),
        (_ex((3, 2), INT), _ex((3, 1), INT)),
    ),
    Case("linalg.matrix_transpose", lambda xp, x: xp.linalg.matrix_transpose(x), (_ex((2, 3)),)),
    Case(
        "linalg.matrix_transpose",
        lambda xp, x: xp.linalg.matrix_transpose(x),
        (_ex((2, 3, 4), INT),),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_case(case: Case) -> None:
    run_case(case)


def test_every_public_linalg_function_has_a_case() -> None:
    tested = {c.name.split(".", 1)[1] for c in CASES}
    public = {n for n in np.linalg.__all__ if n != "LinAlgError"}
    assert public <= set(anp.linalg.__all__)
    assert public <= tested, sorted(public - tested)


# ------------------------------------------------------------------ batching specifics


def _eig_batches() -> dict[str, np.ndarray]:
    """Real batches whose examples have real spectra (symmetric), complex ones (a skew part),
    or some of each."""
    a = _ex((4, 3, 3))
    sym = a + np.swapaxes(a, -1, -2)
    skew = a - np.swapaxes(a, -1, -2) + np.eye(3)
    mixed = sym.copy()
    mixed[2] = skew[2]
    return {"real": sym, "complex": skew, "mixed": mixed}


@pytest.mark.parametrize("kind", ["real", "complex", "mixed"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("in_axis", [0, 1, -1])
def test_eig_of_real_input_under_vmap_is_the_loops(kind, dtype, in_axis) -> None:
    """NumPy's dtype depends on the data (real when every eigenvalue is real); the loop's
    np.stack is complex as soon as one example is.  vmap gives exactly that."""
    batch = _eig_batches()[kind].astype(dtype)
    moved = np.moveaxis(batch, 0, in_axis)
    for f in (np.linalg.eig, anp.linalg.eig):
        w, v = autovec.vmap(f, in_axes=in_axis)(moved)
        loop = [np.linalg.eig(m) for m in batch]
        for got, want in ((w, np.stack([r[0] for r in loop])), (v, np.stack([r[1] for r in loop]))):
            assert got.dtype == want.dtype, (kind, got.dtype, want.dtype)
            np.testing.assert_array_equal(got, want)
    for f in (np.linalg.eigvals, anp.linalg.eigvals):
        got = autovec.vmap(f, in_axes=in_axis)(moved)
        want = np.stack([np.linalg.eigvals(m) for m in batch])
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    # NumPy 2.5's eig is complex whatever the spectrum; before, real for all-real spectra.
    always_complex = np.linalg.eigvals(np.eye(2)).dtype.kind == "c"
    assert (got.dtype.kind == "c") == (kind != "real" or always_complex)


def test_eig_of_real_input_under_nested_vmap_is_the_loops() -> None:
    batches = _eig_batches()
    outer = np.stack([batches["real"], batches["mixed"]])  # one inner batch real, one mixed
    got = autovec.vmap(autovec.vmap(np.linalg.eigvals))(outer)
    want = np.stack([np.stack([np.linalg.eigvals(m) for m in inner]) for inner in outer])
    assert got.dtype == want.dtype == np.complex128
    np.testing.assert_array_equal(got, want)


def test_eig_of_real_input_under_jit_raises_and_complex_input_runs() -> None:
    sym = _eig_batches()["real"]
    for transformed in (
        autovec.jit(np.linalg.eig, fallback="error"),
        autovec.jit(autovec.vmap(np.linalg.eigvals), fallback="error"),
        autovec.vmap(autovec.jit(anp.linalg.eig, fallback="error")),
    ):
        with pytest.raises(errors.DataDependentShapeError, match="astype\\(complex\\)"):
            transformed(sym)
    # Following the advice: complex input has a static dtype, and gives NumPy's result.
    got = autovec.jit(autovec.vmap(np.linalg.eigvals))(sym.astype(complex))
    np.testing.assert_array_equal(got, np.stack([np.linalg.eigvals(m + 0j) for m in sym]))
    assert autovec.jit(anp.linalg.eigvalsh)(sym[0]).dtype == np.float64


def test_lstsq_residuals_of_rank_deficient_examples() -> None:
    """The documented difference: where NumPy returns an empty residual array (rank < N),
    vmap returns that example's squared residual norm; the other outputs are NumPy's."""
    a = _ex((3, 5, 2))
    a = np.concatenate([a, a[..., :1]], axis=-1)  # rank 2 of 3 columns
    a[1, :, 2] = _ex((5,))  # ...except example 1, which has full rank
    b = _ex((3, 5))
    x, res, rank, s = autovec.vmap(np.linalg.lstsq)(a, b)
    assert res.shape == (3, 1) and rank.dtype == np.int32
    for i in range(3):
        xi, ri, ki, si = np.linalg.lstsq(a[i], b[i])
        np.testing.assert_allclose(x[i], xi, rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(s[i], si, rtol=1e-7, atol=1e-12)
        assert rank[i] == ki
        np.testing.assert_allclose(res[i], [np.sum((b[i] - a[i] @ x[i]) ** 2)], rtol=1e-9)
        if ki == 3:
            np.testing.assert_allclose(res[i], ri, rtol=1e-7)
        else:
            assert ri.shape == (0,)
    assert list(rank) == [2, 3, 2]


def test_rank_and_pinv_thresholds_are_per_example() -> None:
    """matrix_rank/pinv default tolerances come from each example's own singular values."""
    a = _ex((4, 4, 3))
    a[0, :, 2] = a[0, :, 0] + a[0, :, 1]  # rank 2
    a[2] *= 1e-12  # tiny but full rank: a shared (batch-wide) cutoff would drop it
    ranks = autovec.vmap(np.linalg.matrix_rank)(a)
    np.testing.assert_array_equal(ranks, [np.linalg.matrix_rank(m) for m in a])
    assert list(ranks) == [2, 3, 3, 3]
    p = autovec.vmap(np.linalg.pinv)(a)
    np.testing.assert_allclose(p, np.stack([np.linalg.pinv(m) for m in a]), rtol=1e-6)


def test_cond_of_a_singular_example_is_inf_for_that_example_only() -> None:
    a = _dd(_ex((3, 3, 3)))
    a[1] = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]]  # exactly singular
    for p in (1, np.inf, "fro"):
        got = autovec.vmap(lambda m, p=p: np.linalg.cond(m, p))(a)
        want = np.stack([np.linalg.cond(m, p) for m in a])
        assert np.isinf(got[1]) and np.isinf(want[1])
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_solve_with_shared_matrix_factorises_once_and_matches(monkeypatch) -> None:
    """in_axes=(None, 0): the batch of right-hand sides is ONE multi-column solve against the
    unbatched matrix, not a broadcast stack of copies of it."""
    shapes = []
    real_solve = np.linalg.solve

    def recording_solve(a, b):
        shapes.append((np.shape(a), np.shape(b)))
        return real_solve(a, b)

    a = _dd(_ex((4, 4)))
    bs = _ex((7, 4))
    want = np.stack([np.linalg.solve(a, b) for b in bs])
    monkeypatch.setattr(np.linalg, "solve", recording_solve)
    got = autovec.vmap(anp.linalg.solve, in_axes=(None, 0))(a, bs)
    assert shapes == [((4, 4), (4, 7))]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    bm = _ex((4, 2, 7))
    got = autovec.vmap(anp.linalg.solve, in_axes=(None, -1), out_axes=-1)(a, bm)
    assert shapes[-1] == ((4, 4), (4, 14))
    np.testing.assert_allclose(got, real_solve(a, bm.reshape(4, 14)).reshape(4, 2, 7))


def test_errors_are_numpys() -> None:
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        autovec.vmap(np.linalg.inv)(_ex((2, 3, 4)))
    with pytest.raises(np.linalg.LinAlgError, match="two-dimensional"):
        autovec.vmap(np.linalg.det)(_ex((2, 3)))
    with pytest.raises(TypeError, match="float16"):
        autovec.vmap(np.linalg.inv)(_ex((2, 3, 3)).astype(np.float16))
    with pytest.raises(ValueError, match="mismatch"):
        autovec.vmap(np.linalg.solve)(_dd(_ex((2, 3, 3))), _ex((2, 4)))
    not_pd = -_spd(_ex((2, 3, 3)))
    with pytest.raises(np.linalg.LinAlgError):
        autovec.vmap(np.linalg.cholesky)(not_pd)
    with pytest.raises(ValueError, match="UPLO"):
        autovec.vmap(lambda m: np.linalg.eigh(m, UPLO="X"))(_ex((2, 3, 3)))
    with pytest.raises(ValueError, match="Unrecognized mode"):
        autovec.vmap(lambda m: np.linalg.qr(m, mode="bad"))(_ex((2, 3, 3)))
    with pytest.raises(errors.ConcretizationTypeError, match="exponent"):
        autovec.vmap(np.linalg.matrix_power)(_ex((2, 3, 3)), np.array([2, 3]))
    with pytest.raises(ValueError, match="3-dimensional"):
        autovec.vmap(np.linalg.cross)(_ex((2, 2)), _ex((2, 2)))
    with pytest.raises(ValueError, match="Invalid norm order"):
        autovec.vmap(lambda v: np.linalg.norm(v, "fro", axis=0))(_ex((2, 3)))


def test_results_keep_numpys_named_tuples() -> None:
    a = _ex((2, 3, 3))
    r = autovec.vmap(np.linalg.eigh)(a)
    assert type(r) is type(np.linalg.eigh(a[0]))
    assert r.eigenvalues.shape == (2, 3)
    assert type(autovec.vmap(np.linalg.svd)(a)) is type(np.linalg.svd(a[0]))
    assert type(autovec.vmap(np.linalg.slogdet)(a)) is type(np.linalg.slogdet(a[0]))
    assert type(autovec.vmap(np.linalg.qr)(a)) is type(np.linalg.qr(a[0]))


# ------------------------------------------------------------------ property test

_PROPERTY_FUNS = {
    "solve": lambda a, b: np.linalg.solve(_dd(a), b),
    "inv": lambda a, b: np.linalg.inv(_dd(a)),
    "det": lambda a, b: np.linalg.det(a),
    "slogdet": lambda a, b: np.linalg.slogdet(_dd(a)),
    "cholesky": lambda a, b: np.linalg.cholesky(_spd(a)),
    "eigh": lambda a, b: np.linalg.eigh(_herm(a)),
    "svd": lambda a, b: np.linalg.svd(a),
    "qr": lambda a, b: np.linalg.qr(a),
    "pinv": lambda a, b: np.linalg.pinv(a),
    "matrix_rank": lambda a, b: np.linalg.matrix_rank(a),
    "norm": lambda a, b: np.linalg.norm(a, axis=(-2, -1)),
}


def _leaves(x):
    return tuple(x) if isinstance(x, tuple) else (x,)


@given(
    name=st.sampled_from(sorted(_PROPERTY_FUNS)),
    dtype=st.sampled_from(["float32", "float64", "complex64", "complex128"]),
    n=st.integers(1, 4),
    stack=st.lists(st.integers(1, 3), max_size=1).map(tuple),
    batch=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_vmap_equals_loop_for_drawn_shapes_and_dtypes(name, dtype, n, stack, batch, seed):
    """Matrix sizes, stack axes, batch sizes and dtypes the cases do not contain (complex64
    among them): vmap equals the loop, dtype exactly, values to the dtype's precision."""
    rng = np.random.default_rng(seed)
    shape_a = (batch, *stack, n, n)
    a = rng.uniform(-1, 1, shape_a)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.uniform(-1, 1, shape_a)
    a, b = a.astype(dtype), rng.uniform(-1, 1, (batch, n)).astype(dtype)
    fun = _PROPERTY_FUNS[name]
    got = _leaves(autovec.vmap(fun)(a, b))
    want = [_leaves(fun(x, y)) for x, y in zip(a, b)]
    single = np.dtype(dtype) in (np.float32, np.complex64)
    tol = {"rtol": 2e-4, "atol": 2e-5} if single else {"rtol": 1e-9, "atol": 1e-11}
    for k, g in enumerate(got):
        w = np.stack([lane[k] for lane in want])
        assert g.shape == w.shape and g.dtype == w.dtype, (name, g.shape, w.shape, g.dtype)
        np.testing.assert_allclose(g, w, **tol)
