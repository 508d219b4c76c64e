"""Contractions: ``dot_general`` (every product NumPy has: dot, matmul, tensordot, inner,
...) and ``einsum``.

``dot_general``'s batching rule is where speed comes from: an operand batched on one side only
turns its batch axis into a *free* axis, so a stack of matrix-vector products becomes one
matrix-matrix product for BLAS; batched on both sides it becomes a contiguous batch of
matrix products.
"""

from __future__ import annotations

import functools
import string
from typing import Any

import numpy as np

try:  # np.einsum without its Python wrapper (a microsecond per call in eager vmap)
    from numpy._core.multiarray import c_einsum as _einsum
except ImportError:  # pragma: no cover -- another NumPy layout
    _einsum = np.einsum

from autovec.backends import numpy_dtype
from autovec.core import ShapedArray
from autovec.parallel import split_matmul
from autovec.prims.base import FRESH, VIEW, Arg, Sample, declare, result_dtypes
from autovec.prims.shape import moveaxis

# ----------------------------------------------------------------------------- dot_general
# dimension_numbers = ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch)), tuples of axes.
# Output axes: batch axes, then lhs free axes, then rhs free axes (each in order).


def _free(ndim: int, *used: tuple) -> list[int]:
    taken = {a for u in used for a in u}
    return [i for i in range(ndim) if i not in taken]


# Contractions shorter than this skip the BLAS-layout copy (see dot_general_impl).
_BLAS_MIN_K = 16


def _blas_ready(xp: Any, a: Any) -> Any:
    # NumPy's stacked matmul falls to a slow loop on operands whose matrices are not laid out
    # for BLAS; a C-contiguous copy costs one pass and makes every matrix BLAS-ready.  A matrix
    # that is already BLAS-ready (one axis of unit stride, the other a whole row or column
    # apart: a C- or Fortran-ordered matrix, e.g. a transposed view) is passed as it is: BLAS
    # reads it with its transpose flag, and the copy would only cost time.  Only floats reach
    # BLAS at all.
    if xp is np and a.ndim == 3 and not a.flags.c_contiguous and a.dtype.kind in "fc":
        (s0, s1), (n0, n1), item = a.strides[1:], a.shape[1:], a.itemsize
        if (s1 == item and s0 % item == 0 and s0 >= n1 * item) or (
            s0 == item and s1 % item == 0 and s1 >= n0 * item
        ):
            return a
        return np.ascontiguousarray(a)
    return a


def _prod(shape: Any) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


@functools.lru_cache(maxsize=1024)
def _layout(dimension_numbers: tuple, lhs_ndim: int, rhs_ndim: int) -> tuple:
    """The free axes of each operand, and the permutations that put each in the order
    (batch, free, contract) for lhs and (batch, contract, free) for rhs -- or (batch, free,
    contract) for a dot of vectors -- None where that is the order already."""
    (lc, rc), (lb, rb) = dimension_numbers
    lf, rf = _free(lhs_ndim, lc, lb), _free(rhs_ndim, rc, rb)

    def perm(*axes: Any) -> tuple | None:
        p = tuple(a for part in axes for a in part)
        return None if p == tuple(range(len(p))) else p

    return (
        tuple(lf),
        tuple(rf),
        perm(lb, lf, lc),
        perm(rb, rf, rc),
        perm(rb, rc, rf),
    )


def _transposed(xp: Any, a: Any, perm: tuple | None) -> Any:
    if perm is None:
        return a
    return a.transpose(perm) if xp is np else xp.transpose(a, perm)  # (the method is faster)


def _reshaped(xp: Any, a: Any, shape: tuple) -> Any:
    if a.shape == shape:
        return a
    return a.reshape(shape) if xp is np else xp.reshape(a, shape)


def dot_general_impl(xp: Any, lhs: Any, rhs: Any, *, dimension_numbers: tuple) -> Any:
    (lc, rc), (lb, rb) = dimension_numbers
    lf, rf, lperm, rperm_vec, rperm = _layout(dimension_numbers, lhs.ndim, rhs.ndim)
    if (
        xp is np
        and lb
        and not lf
        and not rf
        and lperm is None
        and rperm_vec is None
        and len(lc) == 1
        and lhs.shape[lc[0]] <= 8
    ):  # the hot case of the branch below: a stack of short dot products
        k = lhs.shape[lc[0]]
        if (
            k <= 4
            and lhs.size >= _UNROLL_MIN * k
            and lhs.dtype.kind in "fc"
            and lhs.dtype.itemsize > 2  # NumPy sums float16 products in float32, as einsum
            and rhs.dtype == lhs.dtype
        ):
            return _unrolled_dot(lhs, rhs, k)
        return _einsum("...k,...k->...", lhs, rhs)
    ls, rs = lhs.shape, rhs.shape
    bshape = tuple(ls[i] for i in lb)
    lfshape, rfshape = tuple(ls[i] for i in lf), tuple(rs[i] for i in rf)
    k = _prod(ls[i] for i in lc)
    m, n = _prod(lfshape), _prod(rfshape)
    if lb and m == 1 and n == 1 and hasattr(xp, "vecdot"):
        # A stack of vector dot products (x . w per example): a stacked matmul of 1xk by kx1
        # matrices is several times slower than one vecdot over the stack.
        a = _reshaped(xp, _transposed(xp, lhs, lperm), (*bshape, k))
        b = _reshaped(xp, _transposed(xp, rhs, rperm_vec), (*bshape, k))
        if xp is np and k <= 8:  # einsum's loop beats vecdot's on short rows (and needs no conj)
            out = _einsum("...k,...k->...", a, b)
        else:
            if numpy_dtype(a.dtype).kind == "c":
                a = xp.conj(a)  # vecdot conjugates its first argument; dot does not
            out = xp.vecdot(a, b)
        return _as_shape(xp, out, (*bshape, *lfshape, *rfshape))
    a = _reshaped(xp, _transposed(xp, lhs, lperm), (*((_prod(bshape),) if lb else ()), m, k))
    b = _reshaped(xp, _transposed(xp, rhs, rperm), (*((_prod(bshape),) if rb else ()), k, n))
    if k >= _BLAS_MIN_K:
        a, b = _blas_ready(xp, a), _blas_ready(xp, b)
    # else: with a short contraction NumPy's own loop is as fast as BLAS and reads strided
    # operands (e.g. overlapping windows) in place, so a copy would only cost time.
    out = split_matmul(a, b) if xp is np and lb else None  # big stacks: across threads
    if out is None:
        out = xp.matmul(a, b)
    return _as_shape(xp, out, (*bshape, *lfshape, *rfshape))


# From about this many dot products of 4 or fewer numbers, k elementwise products and sums
# over the stack beat einsum's loop (which runs its k-loop once per product): 1.25x at 4096,
# 3x at 32768 (NumPy 2.4, one thread).
_UNROLL_MIN = 2048


def _unrolled_dot(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """``einsum("...k,...k->...", a, b)`` for a short ``k``: the products summed in order,
    from +0.0 as einsum, BLAS and NumPy's dot loops sum them (so products that are all -0.0
    sum to +0.0; adding +0.0 last changes nothing else)."""
    out = np.multiply(a[..., 0], b[..., 0])
    if k > 1:
        tmp = np.multiply(a[..., 1], b[..., 1])
        out += tmp
        for j in range(2, k):
            np.multiply(a[..., j], b[..., j], out=tmp)
            out += tmp
    out += 0.0
    return out


def _as_shape(xp: Any, out: Any, shape: tuple) -> Any:
    # The fresh result itself when it already has the shape (not a view of it): eager vmap
    # can then write the next elementwise step into its buffer.
    return out if tuple(out.shape) == shape else _reshaped(xp, out, shape)


def _dot_general_shape(lhs: ShapedArray, rhs: ShapedArray, *, dimension_numbers: tuple):
    (lc, rc), (lb, rb) = dimension_numbers
    for a, b in zip(lc + lb, rc + rb):
        if lhs.shape[a] != rhs.shape[b]:
            raise ValueError(
                f"dot_general: axis {a} of lhs {lhs.shape} and axis {b} of rhs "
                f"{rhs.shape} must have the same size"
            )
    shape = (
        *(lhs.shape[i] for i in lb),
        *(lhs.shape[i] for i in _free(lhs.ndim, lc, lb)),
        *(rhs.shape[i] for i in _free(rhs.ndim, rc, rb)),
    )
    dtype = np.result_type(lhs.dtype, rhs.dtype)
    if lhs.weak_type or rhs.weak_type:
        dtype = result_dtypes(lambda xp, a, b: a * b, (lhs, rhs), {})[0]
    return ShapedArray(shape, dtype)


def _shift(axes: tuple, d: int) -> tuple:
    return tuple(a + (a >= d) for a in axes)


@functools.lru_cache(maxsize=1024)
def _batched_numbers(dimension_numbers: tuple, ld: Any, rd: Any, lhs_ndim: int, rhs_ndim: int):
    """The rule's dimension numbers and output batch axis, for operands batched on axes
    ``ld``/``rd`` (both batched: both batch axes moved to the front first)."""
    (lc, rc), (lb, rb) = dimension_numbers
    if ld is not None and rd is not None:
        dn = ((_shift(lc, 0), _shift(rc, 0)), ((0, *_shift(lb, 0)), (0, *_shift(rb, 0))))
        return dn, 0
    if ld is not None:
        # The batch axis joins lhs's free axes: the products fuse into one larger one.
        dn = ((_shift(lc, ld), rc), (_shift(lb, ld), rb))
        lf = _free(lhs_ndim, dn[0][0], dn[1][0])
        return dn, len(lb) + lf.index(ld)
    dn = ((lc, _shift(rc, rd)), (lb, _shift(rb, rd)))
    rf = _free(rhs_ndim, dn[0][1], dn[1][1])
    lfree = lhs_ndim - len(lc) - len(lb)
    return dn, len(lb) + lfree + rf.index(rd)


def _dot_general_batch(axis_size, args, dims, *, dimension_numbers):
    (lhs, rhs), (ld, rd) = args, dims
    if ld is not None and rd is not None:
        lhs, rhs, ld, rd = moveaxis(lhs, ld, 0), moveaxis(rhs, rd, 0), 0, 0
    dn, out_dim = _batched_numbers(dimension_numbers, ld, rd, lhs.ndim, rhs.ndim)
    return dot_general_p.bind(lhs, rhs, dimension_numbers=dn), out_dim


dot_general_p = declare(
    "dot_general",
    impl=dot_general_impl,
    shape=_dot_general_shape,
    output=FRESH,
    batch=_dot_general_batch,
    samples=[
        Sample((Arg((3, 4)), Arg((4, 5))), {"dimension_numbers": (((1,), (0,)), ((), ()))}),
        Sample((Arg((4,)), Arg((4,))), {"dimension_numbers": (((0,), (0,)), ((), ()))}),
        Sample((Arg((2, 3, 4)), Arg((2, 4))), {"dimension_numbers": (((2,), (1,)), ((0,), (0,)))}),
        Sample(
            (Arg((3, 4), "int64", -5, 5), Arg((5, 4), "int64", -5, 5)),
            {"dimension_numbers": (((1,), (1,)), ((), ()))},
        ),
    ],
    doc="Generalised dot product: contract ``lhs_contract`` with ``rhs_contract``, pair up "
    "batch axes; output is (batch, lhs free, rhs free).",
)

# ---------------------------------------------------------------------------------- einsum
# ``subscripts`` is always explicit ("ij,jk->ik"), so that a fresh letter can be given to the
# batch axis.


def _einsum_shape(*ops: ShapedArray, subscripts: str, optimize: Any):
    ins, out = subscripts.split("->")
    sizes: dict[str, int] = {}
    ell: tuple = ()
    for term, op in zip(ins.split(","), ops):
        letters = term.replace("...", "")
        n_ell = op.ndim - len(letters)
        if "..." in term:
            before = term.index("...")
            ell = tuple(np.broadcast_shapes(ell, op.shape[before : before + n_ell]))
            dims = op.shape[:before] + op.shape[before + n_ell :]
        else:
            dims = op.shape
        for c, s in zip(letters, dims):
            sizes[c] = max(sizes.get(c, 1), s)
    if "..." in out:
        pre, post = out.split("...")
        shape = [sizes[c] for c in pre] + list(ell) + [sizes[c] for c in post]
    else:
        shape = [sizes[c] for c in out]
    dtype = np.result_type(*(o.dtype for o in ops))
    return ShapedArray(tuple(shape), dtype)


def _einsum_batch(axis_size, args, dims, *, subscripts, optimize):
    ins, out = subscripts.split("->")
    fresh = next(c for c in string.ascii_letters if c not in subscripts)
    terms = ins.split(",")
    new_ops, new_terms = [], []
    for op, d, term in zip(args, dims, terms):
        if d is None:
            new_ops.append(op)
            new_terms.append(term)
        else:
            new_ops.append(moveaxis(op, d, 0))
            new_terms.append(fresh + term)
    new = ",".join(new_terms) + "->" + fresh + out
    return einsum_p.bind(*new_ops, subscripts=new, optimize=optimize), 0


einsum_p = declare(
    "einsum",
    impl=lambda xp, *ops, subscripts, optimize: xp.einsum(subscripts, *ops, optimize=optimize),
    shape=_einsum_shape,
    # A view where the subscripts only take a diagonal or permute axes ("ii->i", "ij->ji").
    output=VIEW,
    batch=_einsum_batch,
    samples=[
        Sample((Arg((3, 4)), Arg((4, 5))), {"subscripts": "ij,jk->ik", "optimize": False}),
        Sample((Arg((3, 3)),), {"subscripts": "ii->i", "optimize": False}),
        Sample((Arg((2, 3)), Arg((3,)), Arg((2,))), {"subscripts": "ij,j,i->", "optimize": True}),
        Sample((Arg((2, 3, 4)), Arg((4,))), {"subscripts": "...j,j->...", "optimize": False}),
    ],
    doc="NumPy's einsum with explicit output subscripts.",
)
