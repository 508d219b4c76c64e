"""Products: ``dot``, ``matmul``, ``vdot``, ``inner``, ``outer``, ``tensordot``, ``einsum``,
written as ``dot_general``/``einsum`` primitives with NumPy's argument conventions."""

from __future__ import annotations

import operator
import string
from typing import Any

import numpy as np

from autovec import errors
from autovec.numpy._util import PY_SCALARS, arr, is_traced, ndim, normalize_axis, shape
from autovec.numpy.manipulation import broadcast_to, ravel, transpose
from autovec.numpy.ufuncs import UFUNCS
from autovec.prims.linalg import dot_general_p, einsum_p


def _strong(x: Any) -> Any:
    """NumPy's products (unlike its ufuncs) turn Python scalars into arrays before they
    compute, so a Python float times a float32 array gives float64 here: no weak typing."""
    x = arr(x)
    return np.asarray(x) if type(x) in PY_SCALARS else x


def _dg(a: Any, b: Any, lc: tuple, rc: tuple, lb: tuple = (), rb: tuple = ()) -> Any:
    for i, j in zip(lc, rc):
        if shape(a)[i] != shape(b)[j]:
            raise ValueError(
                f"shapes {shape(a)} and {shape(b)} not aligned: {shape(a)[i]} (dim {i}) != "
                f"{shape(b)[j]} (dim {j})"
            )
    return dot_general_p.bind(a, b, dimension_numbers=((lc, rc), (lb, rb)))


def dot(a: Any, b: Any, out: Any = None) -> Any:
    """NumPy's ``dot``: contract the last axis of ``a`` with the second-to-last of ``b``."""
    if not is_traced(a, b):
        # Eagerly NumPy's own routine: its summation order (and scalar type) exactly.
        return np.dot(a, b, out=out)
    a, b = _strong(a), _strong(b)
    na, nb = ndim(a), ndim(b)
    if na == 0 or nb == 0:
        return UFUNCS["multiply"](a, b)
    return _dg(a, b, (na - 1,), (max(nb - 2, 0),))


def matmul(x1: Any, x2: Any, /, out: Any = None, **kwargs: Any) -> Any:
    """NumPy's ``matmul`` (the ``@`` operator), with broadcasting of stacked matrices."""
    if not is_traced(x1, x2):
        return np.matmul(x1, x2, out=out, **kwargs)
    a, b = arr(x1), arr(x2)
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


def vdot(a: Any, b: Any, /) -> Any:
    """NumPy's ``vdot``: flatten both, conjugate the first, dot."""
    if not is_traced(a, b):
        return np.vdot(a, b)
    a, b = ravel(_strong(a)), ravel(_strong(b))
    if np.issubdtype(np.result_type(getattr(a, "dtype", a)), np.complexfloating):
        a = UFUNCS["conjugate"](a)
    return _dg(a, b, (0,), (0,))


def inner(a: Any, b: Any, /) -> Any:
    """NumPy's ``inner``: contract the last axes."""
    if not is_traced(a, b):
        return np.inner(a, b)
    a, b = _strong(a), _strong(b)
    na, nb = ndim(a), ndim(b)
    if na == 0 or nb == 0:
        return UFUNCS["multiply"](a, b)
    return _dg(a, b, (na - 1,), (nb - 1,))


def outer(a: Any, b: Any, out: Any = None) -> Any:
    """NumPy's ``outer`` of the flattened inputs."""
    if not is_traced(a, b):
        return np.outer(a, b, out=out)
    a, b = ravel(_strong(a)), ravel(_strong(b))
    from autovec.numpy.manipulation import expand_dims

    return UFUNCS["multiply"](expand_dims(a, 1), expand_dims(b, 0))


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """NumPy's ``tensordot``."""
    if not is_traced(a, b):
        return np.tensordot(a, b, axes)
    a, b = _strong(a), _strong(b)
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


def einsum(
    subscripts: Any,
    *operands: Any,
    out: Any = None,
    dtype: Any = None,
    order: str = "K",
    casting: str = "safe",
    optimize: Any = False,
) -> Any:
    """NumPy's ``einsum`` (subscript-string form)."""
    if not isinstance(subscripts, str):
        raise errors.UnsupportedOperationError(
            "autovec.numpy.einsum takes the subscripts-string form ('ij,jk->ik'); the "
            "interleaved operand/sublist form is not supported."
        )
    if out is not None or dtype is not None:
        if not is_traced(*operands):
            return np.einsum(
                subscripts,
                *operands,
                out=out,
                dtype=dtype,
                order=order,
                casting=casting,
                optimize=optimize,
            )
        raise errors.UnsupportedOperationError(
            "einsum(out=, dtype=) is not supported inside vmap/jit"
        )
    ops = [arr(o) for o in operands]
    sub = _explicit_subscripts(subscripts, ops)
    if set(sub) - set(string.ascii_letters + ",->."):
        raise ValueError(f"invalid subscript in einsum string {subscripts!r}")
    opt = optimize if isinstance(optimize, (bool, str)) else bool(optimize)
    return einsum_p.bind(*ops, subscripts=sub, optimize=opt)


__all__ = ["dot", "matmul", "vdot", "inner", "outer", "tensordot", "einsum"]
