"""Products: ``dot``, ``matmul``, ``vdot``, ``inner``, ``outer``, ``tensordot``, ``einsum``,
written as ``dot_general``/``einsum`` primitives with NumPy's argument conventions."""

from __future__ import annotations

import builtins
import operator
import string
import warnings
from typing import Any

import numpy as np

from autovec import errors
from autovec.numpy._convert import arr, as_array
from autovec.numpy._util import implements, is_traced, ndim, normalize_axis, reject_out, shape
from autovec.numpy.manipulation import (
    astype,
    broadcast_to,
    concatenate,
    expand_dims,
    moveaxis,
    ravel,
    reshape,
    transpose,
    with_ndmin,
)
from autovec.numpy.ufuncs import UFUNCS
from autovec.prims.linalg import dot_general_p, einsum_p

u = UFUNCS


def _dg(a: Any, b: Any, lc: tuple, rc: tuple, lb: tuple = (), rb: tuple = ()) -> Any:
    sa, sb = shape(a), shape(b)
    for i, j in zip(lc, rc):
        if sa[i] != sb[j]:
            raise ValueError(
                f"shapes {sa} and {sb} not aligned: {sa[i]} (dim {i}) != {sb[j]} (dim {j})"
            )
    return dot_general_p.bind(a, b, dimension_numbers=((lc, rc), (lb, rb)))


def _one_number_each(a: Any, b: Any, out_shape: tuple) -> Any:
    """NumPy's ``dot`` (and ``inner``, ``tensordot``) of two operands holding one number each,
    vectors or matrices: NumPy treats both as scalars and multiplies them, so a product of -0.0
    stays -0.0, where a sum of products (``dot_general``, as BLAS and NumPy's own loops sum
    them, from +0.0) gives +0.0.  The product, in the dot's output shape."""
    return reshape(UFUNCS["multiply"](reshape(a, ()), reshape(b, ())), out_shape)


_ONE_NUMBER = ((1,), (1, 1))


def _scalar_like(a: Any, b: Any) -> bool:
    """Whether both operands are vectors or matrices of one number (NumPy's "scalar" case of
    its BLAS matrix product)."""
    return shape(a) in _ONE_NUMBER and shape(b) in _ONE_NUMBER


@implements(np.dot)
def dot(a: Any, b: Any, out: Any = None) -> Any:
    """NumPy's ``dot``: contract the last axis of ``a`` with the second-to-last of ``b``."""
    reject_out("dot", out)
    a, b = as_array(a), as_array(b)
    na, nb = ndim(a), ndim(b)
    if na == 0 or nb == 0:
        return UFUNCS["multiply"](a, b)
    if _scalar_like(a, b):
        return _one_number_each(a, b, (1,) * (na + nb - 2))
    return _dg(a, b, (na - 1,), (max(nb - 2, 0),))


@implements(np.matmul)
def matmul(x1: Any, x2: Any, /, out: Any = None, **kwargs: Any) -> Any:
    """NumPy's ``matmul`` (the ``@`` operator), with broadcasting of stacked matrices;
    of its ufunc keywords ``dtype`` (the inputs cast to it, as NumPy's loop selection does)
    and the default ``casting``, ``order``, ``subok``."""
    reject_out("matmul", out)
    a, b = arr(x1), arr(x2)
    dtype = kwargs.pop("dtype", None)
    casting = kwargs.pop("casting", "same_kind")
    defaults = {"order": "K", "subok": True, "signature": None}
    odd = [k for k, v in kwargs.items() if k not in defaults or v != defaults[k]]
    if odd:
        raise errors.UnsupportedOperationError(
            f"autovec.numpy.matmul: the keyword(s) {', '.join(sorted(odd))} are not supported "
            f"inside vmap/jit; move or reshape the operands instead (np.moveaxis, reshape)."
        )
    if dtype is not None:
        dtype = np.dtype(dtype)
        for x in (a, b):
            if not np.can_cast(x.dtype, dtype, casting):
                raise TypeError(
                    f"Cannot cast ufunc 'matmul' input from {x.dtype!r} to {dtype!r} with "
                    f"casting rule {casting!r}"
                )
        a, b = astype(a, dtype, copy=False), astype(b, dtype, copy=False)
    na, nb = ndim(a), ndim(b)
    if na == 0 or nb == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    if na == 1 and nb == 1:
        return _dg(a, b, (0,), (0,))
    if nb == 1:
        return _dg(a, b, (na - 1,), (0,))
    if na == 1:
        return _dg(a, b, (0,), (nb - 2,))
    if nb == 2:  # a's stacking axes are free axes: one large matrix product
        return _dg(a, b, (na - 1,), (0,))
    sa, sb = shape(a)[:-2], shape(b)[:-2]
    batch = np.broadcast_shapes(sa, sb)
    if na == 2:
        # b's stacking axes become free axes of the product, then move to the front.
        out = _dg(a, b, (1,), (nb - 2,))  # (M, *sb, N)
        perm = (*range(1, nb - 1), 0, nb - 1)
        return transpose(out, perm)
    if sa != batch:
        a = broadcast_to(a, (*batch, *shape(a)[-2:]))
    if sb != batch:
        b = broadcast_to(b, (*batch, *shape(b)[-2:]))
    k = len(batch)
    return _dg(a, b, (k + 1,), (k,), tuple(range(k)), tuple(range(k)))


@implements(np.vdot)
def vdot(a: Any, b: Any, /) -> Any:
    """NumPy's ``vdot``: flatten both, conjugate the first, dot."""
    a, b = ravel(as_array(a)), ravel(as_array(b))
    if np.issubdtype(np.result_type(getattr(a, "dtype", a)), np.complexfloating):
        a = UFUNCS["conjugate"](a)
    return _dg(a, b, (0,), (0,))


@implements(np.inner)
def inner(a: Any, b: Any, /) -> Any:
    """NumPy's ``inner``: contract the last axes."""
    a, b = as_array(a), as_array(b)
    na, nb = ndim(a), ndim(b)
    if na == 0 or nb == 0:
        return UFUNCS["multiply"](a, b)
    if _scalar_like(a, b):
        return _one_number_each(a, b, (1,) * (na + nb - 2))
    return _dg(a, b, (na - 1,), (nb - 1,))


@implements(np.outer)
def outer(a: Any, b: Any, out: Any = None) -> Any:
    """NumPy's ``outer`` of the flattened inputs."""
    reject_out("outer", out)
    a, b = ravel(as_array(a)), ravel(as_array(b))
    return UFUNCS["multiply"](expand_dims(a, 1), expand_dims(b, 0))


@implements(np.tensordot)
def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """NumPy's ``tensordot``."""
    a, b = as_array(a), as_array(b)
    na, nb = ndim(a), ndim(b)
    try:
        n = operator.index(axes)
        lc, rc = tuple(range(na - n, na)), tuple(range(n))
    except TypeError:
        la, ra = axes
        la = [la] if isinstance(la, (int, np.integer)) else list(la)
        ra = [ra] if isinstance(ra, (int, np.integer)) else list(ra)
        if len(la) != len(ra):
            raise ValueError("shape-mismatch for sum") from None
        lc = tuple(normalize_axis(x, na) for x in la)
        rc = tuple(normalize_axis(x, nb) for x in ra)
    for i, j in zip(lc, rc):
        if shape(a)[i] != shape(b)[j]:
            raise ValueError("shape-mismatch for sum")
    if all(d == 1 for d in (*shape(a), *shape(b))):  # NumPy's dot of two (1, 1) matrices
        out_shape = (1,) * (na + nb - 2 * len(lc))
        return _one_number_each(a, b, out_shape)
    return dot_general_p.bind(a, b, dimension_numbers=((lc, rc), ((), ())))


def _explicit_subscripts(subscripts: str, operands: list) -> str:
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        return subscripts
    ins = subscripts.split(",")
    counts: dict[str, int] = {}
    for term in ins:
        for c in term.replace("...", ""):
            counts[c] = counts.get(c, 0) + 1
    out = "".join(sorted(c for c, k in counts.items() if k == 1))
    ell = "..." if "..." in subscripts else ""
    return f"{subscripts}->{ell}{out}"


@implements(np.einsum)
def einsum(
    subscripts: Any,
    *operands: Any,
    out: Any = None,
    dtype: Any = None,
    order: str = "K",
    casting: str = "safe",
    optimize: Any = False,
) -> Any:
    """NumPy's ``einsum``: the subscripts string, or the interleaved form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` (rewritten as the string it stands for)."""
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved_subscripts((subscripts, *operands))
    if out is not None or dtype is not None:
        raise errors.UnsupportedOperationError(
            "einsum(out=, dtype=) is not supported inside vmap/jit"
        )
    ops = [arr(o) for o in operands]
    sub = _explicit_subscripts(subscripts, ops)
    if set(sub) - set(string.ascii_letters + ",->."):
        raise ValueError(f"invalid subscript in einsum string {subscripts!r}")
    opt = optimize if isinstance(optimize, (bool, str)) else bool(optimize)
    return einsum_p.bind(*ops, subscripts=sub, optimize=opt)


def _interleaved_subscripts(args: tuple) -> tuple[str, tuple]:
    """``(a, [0, 1], b, [1, 2], [0, 2])`` -> ``("ab,bc->ac", (a, b))``: labels are ints (or
    ``...``), one sublist after each operand, and an optional output sublist last."""

    def labels(sublist: Any) -> str:
        out = []
        for s in sublist:
            if s is Ellipsis:
                out.append("...")
            elif not isinstance(s, (int, np.integer)) or isinstance(s, bool):
                raise TypeError("each subscript must be either an integer or an ellipsis")
            elif 0 <= s < 52:
                # NumPy's labels: 0-25 are A-Z, 26-51 a-z (so the implicit output, sorted
                # by label, is sorted by the ints)
                out.append((string.ascii_uppercase + string.ascii_lowercase)[int(s)])
            else:
                raise ValueError(f"subscript is not within the valid range [0, 52): {s!r}")
        return "".join(out)

    if len(args) < 2:
        raise ValueError("must provide at least an operand and a subscripts list to einsum")
    ops, subs = args[0::2], args[1::2]
    out = None
    if len(args) % 2:  # an odd count: the last one is the output sublist
        ops, out = ops[:-1], args[-1]
    spec = ",".join(labels(s) for s in subs)
    return (spec if out is None else f"{spec}->{labels(out)}"), ops


# ----------------------------------------------------------------------- kron and cross


@implements(np.kron)
def kron(a: Any, b: Any) -> Any:
    """NumPy's ``kron``: the Kronecker product, as one broadcast multiply and a reshape."""
    b = arr(b)
    a = with_ndmin(a, ndim(b))
    na, nb = ndim(a), ndim(b)
    if na == 0 or nb == 0:
        return UFUNCS["multiply"](a, b)
    nd = builtins.max(na, nb)
    sa = shape(a)
    sb = (1,) * (na - nb) + shape(b)
    b = reshape(b, sb)
    a2 = expand_dims(a, tuple(range(1, 2 * nd, 2)))
    b2 = expand_dims(b, tuple(range(0, 2 * nd, 2)))
    return reshape(UFUNCS["multiply"](a2, b2), tuple(p * q for p, q in zip(sa, sb)))


def _cross_takes_2_vectors() -> bool:
    """NumPy 2.0 to 2.4 compute 2-vector cross products with a DeprecationWarning; 2.5 refuses."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            np.cross(np.zeros(2), np.zeros(2))
    except ValueError:
        return False
    return True


_CROSS_2_VECTORS = _cross_takes_2_vectors()


@implements(np.cross)
def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Any = None):
    """NumPy's ``cross`` of 3-vectors (and, where this NumPy still takes them, the deprecated
    2-vectors, which warn)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = arr(a), arr(b)
    if ndim(a) < 1 or ndim(b) < 1:
        raise ValueError("At least one array has zero dimension")
    a = moveaxis(a, normalize_axis(axisa, ndim(a)), -1)
    b = moveaxis(b, normalize_axis(axisb, ndim(b)), -1)
    na, nb = shape(a)[-1], shape(b)[-1]
    if not _CROSS_2_VECTORS and (na != 3 or nb != 3):
        raise ValueError(
            f"Both input arrays must be (arrays of) 3-dimensional vectors, but they are {na} "
            f"and {nb} dimensional instead."
        )
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 or 3)")
    if na == 2 or nb == 2:
        warnings.warn(
            "Arrays of 2-dimensional vectors are deprecated. Use arrays of 3-dimensional "
            "vectors instead. (deprecated in NumPy 2.0)",
            DeprecationWarning,
            stacklevel=2,
        )
    dtype = np.promote_types(a.dtype, b.dtype)
    a, b = astype(a, dtype), astype(b, dtype)
    mul, sub, neg = UFUNCS["multiply"], UFUNCS["subtract"], UFUNCS["negative"]
    ac = [a[..., i] for i in range(na)]
    bc = [b[..., i] for i in range(nb)]
    if na == 2 and nb == 2:
        return sub(mul(ac[0], bc[1]), mul(ac[1], bc[0]))
    if na == 2:
        comps = [
            mul(ac[1], bc[2]),
            neg(mul(ac[0], bc[2])),
            sub(mul(ac[0], bc[1]), mul(ac[1], bc[0])),
        ]
    elif nb == 2:
        comps = [
            neg(mul(ac[2], bc[1])),
            mul(ac[2], bc[0]),
            sub(mul(ac[0], bc[1]), mul(ac[1], bc[0])),
        ]
    else:
        comps = [
            sub(mul(ac[1], bc[2]), mul(ac[2], bc[1])),
            sub(mul(ac[2], bc[0]), mul(ac[0], bc[2])),
            sub(mul(ac[0], bc[1]), mul(ac[1], bc[0])),
        ]
    bshape = np.broadcast_shapes(*(shape(c) for c in comps))
    out = concatenate([expand_dims(broadcast_to(c, bshape), -1) for c in comps], -1)
    return moveaxis(out, -1, normalize_axis(axisc, len(bshape) + 1))


# -------------------------------------------------------- the vector and matrix gufuncs


def _gufunc_args(fname: str, out: Any, kwargs: dict) -> None:
    if out is not None:
        raise errors.UnsupportedOperationError(
            f"autovec.numpy.{fname}(out=...) is not supported inside vmap/jit; use the return "
            f"value."
        )
    bad = {k: v for k, v in kwargs.items() if v is not None}
    if bad:
        raise errors.UnsupportedOperationError(
            f"autovec.numpy.{fname}: the argument(s) {', '.join(bad)} are not supported inside "
            f"vmap/jit."
        )


def _conj(x: Any) -> Any:
    return u["conjugate"](x) if np.issubdtype(x.dtype, np.complexfloating) else x


def _cast(out: Any, dtype: Any, x1: Any, x2: Any) -> Any:
    want = np.result_type(x1.dtype, x2.dtype) if dtype is None else np.dtype(dtype)
    return out if out.dtype == want else astype(out, want)


@implements(np.vecdot)
def vecdot(
    x1: Any,
    x2: Any,
    /,
    out: Any = None,
    *,
    axis: Any = None,
    axes: Any = None,
    dtype: Any = None,
    **kwargs: Any,
) -> Any:
    """NumPy's ``vecdot`` gufunc ``(n),(n)->()``: ``sum(conj(x1) * x2)`` over the last axis
    (or ``axis``), broadcasting the others."""
    _gufunc_args("vecdot", out, dict(axes=axes, **kwargs))
    x1, x2 = (arr(x) if is_traced(x) else np.asarray(x) for x in (x1, x2))
    if axis is not None:
        x1 = moveaxis(x1, normalize_axis(axis, ndim(x1)), -1)
        x2 = moveaxis(x2, normalize_axis(axis, ndim(x2)), -1)
    if ndim(x1) == 0 or ndim(x2) == 0:
        raise ValueError("vecdot: Input operand does not have enough dimensions")
    if shape(x1)[-1] != shape(x2)[-1]:
        raise ValueError(
            f"vecdot: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
            f"signature (n),(n)->() (size {shape(x2)[-1]} is different from {shape(x1)[-1]})"
        )
    return _cast(einsum("...i,...i->...", _conj(x1), x2), dtype, x1, x2)


@implements("matvec")
def matvec(
    x1: Any, x2: Any, /, out: Any = None, *, axes: Any = None, dtype: Any = None, **kwargs: Any
) -> Any:
    """NumPy's ``matvec`` gufunc ``(m,n),(n)->(m)``: matrix times vector, broadcasting the
    leading axes."""
    _gufunc_args("matvec", out, dict(axes=axes, **kwargs))
    x1, x2 = (arr(x) if is_traced(x) else np.asarray(x) for x in (x1, x2))
    if ndim(x1) < 2 or ndim(x2) < 1:
        raise ValueError("matvec: Input operand does not have enough dimensions")
    if shape(x1)[-1] != shape(x2)[-1]:
        raise ValueError(
            f"matvec: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
            f"signature (m,n),(n)->(m) (size {shape(x2)[-1]} is different from "
            f"{shape(x1)[-1]})"
        )
    return _cast(einsum("...mn,...n->...m", x1, x2), dtype, x1, x2)


@implements("vecmat")
def vecmat(
    x1: Any, x2: Any, /, out: Any = None, *, axes: Any = None, dtype: Any = None, **kwargs: Any
) -> Any:
    """NumPy's ``vecmat`` gufunc ``(n),(n,m)->(m)``: ``conj(x1)`` times a matrix,
    broadcasting the leading axes."""
    _gufunc_args("vecmat", out, dict(axes=axes, **kwargs))
    x1, x2 = (arr(x) if is_traced(x) else np.asarray(x) for x in (x1, x2))
    if ndim(x1) < 1 or ndim(x2) < 2:
        raise ValueError("vecmat: Input operand does not have enough dimensions")
    if shape(x1)[-1] != shape(x2)[-2]:
        raise ValueError(
            f"vecmat: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
            f"signature (n),(n,m)->(m) (size {shape(x2)[-2]} is different from "
            f"{shape(x1)[-1]})"
        )
    return _cast(einsum("...n,...nm->...m", _conj(x1), x2), dtype, x1, x2)


# np.vecdot(tracer, w) arrives through __array_ufunc__, which looks ufuncs up by name here.
UFUNCS.update(vecdot=vecdot, matvec=matvec, vecmat=vecmat)


__all__ = [
    "dot",
    "matmul",
    "vdot",
    "inner",
    "outer",
    "tensordot",
    "einsum",
    "kron",
    "cross",
    "vecdot",
    "matvec",
    "vecmat",
]
