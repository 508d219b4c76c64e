"""Polynomials (NumPy's power-series functions): ``polyval``, ``polyfit``, ``poly``,
``polyder``, ``polyint``, ``polyadd``, ``polysub``, ``polymul``, ``roots``.

With no traced argument each function is NumPy's own.  Traced, each is NumPy's arithmetic
written with autovec.numpy operations.  Where NumPy's result *type or length* depends on the
values (``roots`` strips zero coefficients and returns real or complex roots; ``polymul``
strips leading zeros; ``poly`` returns real coefficients when the roots pair up), the traced
form fixes it and says so in the function's docstring."""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec import errors
from autovec.interpreters.split import per_example
from autovec.numpy._convert import arr, as_array
from autovec.numpy._decompositions import inv
from autovec.numpy._util import implements, ndim, shape
from autovec.numpy.indexing import getitem
from autovec.numpy.linalg import lstsq
from autovec.numpy.manipulation import (
    astype,
    atleast_1d,
    concatenate,
    expand_dims,
    stack,
    transpose,
)
from autovec.numpy.products import dot, outer
from autovec.numpy.reductions import max as _max
from autovec.numpy.reductions import min as _min
from autovec.numpy.reductions import sum as _sum
from autovec.numpy.signal import convolve
from autovec.numpy.ufuncs import UFUNCS, imag, real, where
from autovec.prims.decompositions import eigvals_p

u = UFUNCS


@implements(np.polyval)
def polyval(p: Any, x: Any) -> Any:
    """NumPy's ``polyval``: Horner's scheme, starting from zeros of ``x``'s dtype."""
    p, x = as_array(p), as_array(x)
    y: Any = np.zeros(shape(x), x.dtype)
    for i in range(shape(p)[0]):
        y = u["add"](u["multiply"](y, x), getitem(p, i))
    return y


def _poly_pair(a1: Any, a2: Any) -> tuple[Any, Any]:
    return atleast_1d(as_array(a1)), atleast_1d(as_array(a2))


def _pad_front(a: Any, count: int) -> Any:
    return concatenate((np.zeros(count, a.dtype), a))


def _aligned_pair(a1: Any, a2: Any) -> tuple[Any, Any]:
    """``a1`` and ``a2`` (at least 1-d) of one length: the shorter gets leading zeros."""
    a1, a2 = _poly_pair(a1, a2)
    diff = shape(a2)[0] - shape(a1)[0]
    if diff > 0:
        a1 = _pad_front(a1, diff)
    elif diff < 0:
        a2 = _pad_front(a2, -diff)
    return a1, a2


@implements(np.polyadd)
def polyadd(a1: Any, a2: Any) -> Any:
    """NumPy's ``polyadd``: the shorter coefficient array is padded with leading zeros."""
    return u["add"](*_aligned_pair(a1, a2))


@implements(np.polysub)
def polysub(a1: Any, a2: Any) -> Any:
    """NumPy's ``polysub``: ``a1 - a2`` with leading zeros padding the shorter one."""
    return u["subtract"](*_aligned_pair(a1, a2))


@implements(np.polymul)
def polymul(a1: Any, a2: Any) -> Any:
    """NumPy's ``polymul``: the convolution of the coefficients.

    NumPy first strips leading zero coefficients, so its result is shorter when a leading
    coefficient is 0 -- a length that depends on the values.  Traced, nothing is stripped
    (as in JAX's ``polymul``): the result has ``len(a1) + len(a2) - 1`` coefficients, equal
    to NumPy's whenever both leading coefficients are nonzero."""

    a1, a2 = _poly_pair(a1, a2)
    if ndim(a1) != 1 or ndim(a2) != 1:
        raise ValueError("Polynomial must be 1d only.")
    return convolve(a1, a2)


@implements(np.polyder)
def polyder(p: Any, m: int = 1) -> Any:
    """NumPy's ``polyder``: the ``m``-th derivative's coefficients."""
    m = int(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    p = as_array(p)
    if not ndim(p):
        raise TypeError("len() of unsized object")  # NumPy's error for a 0-d p
    for _ in range(m):
        n = shape(p)[0] - 1
        p = u["multiply"](getitem(p, slice(None, -1)), np.arange(n, 0, -1))
    return p


@implements(np.polyint)
def polyint(p: Any, m: int = 1, k: Any = None) -> Any:
    """NumPy's ``polyint``: the ``m``-th antiderivative, integration constants ``k``."""
    m = int(m)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    k = np.zeros(m, float) if k is None else atleast_1d(as_array(k))
    if shape(k)[0] == 1 and m > 1:
        k = u["multiply"](getitem(k, 0), np.ones(m, float))
    if shape(k)[0] < m:
        raise ValueError("k must be a scalar or a rank-1 array of length 1 or >m.")
    p = as_array(p)
    if m and not ndim(p):
        raise TypeError("len() of unsized object")  # NumPy's error for a 0-d p
    for i in range(m):
        scaled = u["divide"](p, np.arange(shape(p)[0], 0, -1))
        p = concatenate((scaled, atleast_1d(getitem(k, i))))
    return p


@implements(np.poly)
def poly(seq_of_zeros: Any) -> Any:
    """NumPy's ``poly``: the coefficients of the monic polynomial with the given roots (or
    the characteristic polynomial of a square matrix).

    NumPy returns real coefficients when the roots come in conjugate pairs (a check on the
    values).  Traced: a real matrix gives real coefficients (its eigenvalues always pair
    up); complex roots give complex coefficients, as in JAX."""

    z = atleast_1d(arr(seq_of_zeros))
    sh = shape(z)
    real_matrix = False
    if len(sh) == 2 and sh[0] == sh[1] and sh[0] != 0:
        real_matrix = z.dtype.kind != "c"
        z = eigvals_p.bind(z, numpy_dtype=False)  # complex: the pairs multiply out below
    elif len(sh) == 1:
        z = astype(z, np.mintypecode(z.dtype.char))
    else:
        raise ValueError("input must be 1d or non-empty square 2d array.")
    if shape(z)[0] == 0:
        return 1.0
    dt = z.dtype
    a: Any = np.ones((1,), dtype=dt)
    for i in range(shape(z)[0]):
        factor = stack([np.asarray(1, dt), astype(u["negative"](getitem(z, i)), dt)])
        a = convolve(a, factor, mode="full")
    return real(a) if real_matrix else a


@implements(np.roots, extra=("strip_zeros",))
def roots(p: Any, *, strip_zeros: bool = True) -> Any:
    """NumPy's ``roots``: the eigenvalues of the companion matrix.

    NumPy strips leading and trailing zero coefficients (so the number of roots depends on
    the values) and returns real roots when all are real (so does the dtype).  Eager vmap
    splits the batch by the number of roots (see ``_roots_stripped``); under jit (and with
    ``fallback="error"``) it raises ``DataDependentShapeError``.  ``strip_zeros=False``
    (JAX's spelling) gives the static form: always ``len(p) - 1`` complex roots, the
    eigenvalues of ``p``'s own companion matrix -- NumPy's roots (cast to complex) when the
    first and last coefficients are nonzero; trailing zero coefficients give zero roots, and
    an example whose leading coefficient is 0 gets NaN roots."""
    if strip_zeros:
        return _roots_stripped(p)

    p = atleast_1d(as_array(p))
    if ndim(p) != 1:
        raise ValueError("Input must be a rank-1 array.")
    if p.dtype.kind not in "fc":
        p = astype(p, float)
    n = shape(p)[0]
    ctype = np.result_type(p.dtype, np.complex64)
    if n < 2:
        return np.array([], ctype)
    lead = getitem(p, 0)
    bad = u["equal"](lead, 0)
    safe_lead = where(bad, 1, lead)  # keeps the matrix finite; those examples become NaN
    first = u["negative"](u["divide"](getitem(p, slice(1, None)), safe_lead))
    below = np.diag(np.ones(n - 2, p.dtype), -1)[1:]  # the companion matrix's other rows
    companion = concatenate((expand_dims(astype(first, p.dtype), 0), below), axis=0)
    found = astype(eigvals_p.bind(companion, numpy_dtype=False), ctype)
    return where(bad, np.asarray(complex(np.nan, np.nan), ctype), found)


def _roots_stripped(p: Any) -> Any:
    """NumPy's ``roots`` in eager vmap: the batch splits by where each example's nonzero
    coefficients start and end (the loop's number of roots), and each group takes the
    eigenvalues of its companion matrices in one call (real exactly when every root of the
    group is: the loop's ``np.stack`` promotes the groups as the merge does)."""
    p = atleast_1d(as_array(p))
    if ndim(p) != 1:
        raise ValueError("Input must be a rank-1 array.")
    n = shape(p)[0]
    positions = np.arange(n)
    nonzero = u["not_equal"](p, 0)
    ends = per_example(
        stack([_min(where(nonzero, positions, n)), _max(where(nonzero, positions, -1))])
    )
    if ends is None:  # under jit, or fallback="error": no concrete ends
        raise errors.DataDependentShapeError(
            "roots: NumPy strips zero leading/trailing coefficients, so the number of roots "
            "(and whether they are real) depends on the values of p. Inside vmap/jit use "
            "roots(p, strip_zeros=False): len(p) - 1 complex roots per example."
        )
    first, last = (int(e) for e in np.asarray(ends[0]))
    if first == n:  # every coefficient is zero
        return np.array([])
    p = getitem(p, slice(first, last + 1))
    if p.dtype.kind not in "fc":
        p = astype(p, float)
    size = last + 1 - first
    if size > 1:
        below = np.diag(np.ones(size - 2, p.dtype), -1)[1:]
        top = u["negative"](u["divide"](getitem(p, slice(1, None)), getitem(p, 0)))
        companion = concatenate((expand_dims(astype(top, p.dtype), 0), below), axis=0)
        found = eigvals_p.bind(companion, numpy_dtype=True)
        if found.dtype.kind == "c" and p.dtype.kind == "f":
            # NumPy 2.5's eigvals of real input is complex, and its roots returns the real
            # parts when every imaginary part is zero: the batch splits by that, as the
            # loop's np.stack of real and complex groups promotes them.
            all_real = per_example(_min(u["equal"](imag(found), 0)))
            if all_real is not None and bool(np.asarray(all_real[0])):
                found = real(found)
    else:
        found = np.array([])
    if n - 1 - last:  # trailing zeros: roots at 0, after the others
        found = concatenate((found, np.zeros(n - 1 - last, found.dtype)))
    return found


@implements(np.polyfit)
def polyfit(
    x: Any,
    y: Any,
    deg: int,
    rcond: Any = None,
    full: bool = False,
    w: Any = None,
    cov: Any = False,
) -> Any:
    """NumPy's ``polyfit``: least-squares coefficients of a degree-``deg`` polynomial (a
    static degree), with ``w``, ``full`` and ``cov``.  ``y`` may be batched: with ``x``
    shared, the batch is one least-squares problem with many right-hand sides.  NumPy's
    ``RankWarning`` (a check on the values) is given only eagerly."""

    order = int(deg) + 1
    x = u["add"](as_array(x), 0.0)
    y = u["add"](as_array(y), 0.0)
    if deg < 0:
        raise ValueError("expected deg >= 0")
    if ndim(x) != 1:
        raise TypeError("expected 1D vector for x")
    if shape(x)[0] == 0:
        raise TypeError("expected non-empty vector for x")
    if ndim(y) < 1 or ndim(y) > 2:
        raise TypeError("expected 1D or 2D array for y")
    if shape(x)[0] != shape(y)[0]:
        raise TypeError("expected x and y to have same length")
    m = shape(x)[0]
    if rcond is None:
        rcond = m * np.finfo(x.dtype).eps
    # NumPy's vander: x**k by repeated multiplication, highest power first.
    vdt = np.promote_types(x.dtype, int)
    powers: list[Any] = [np.ones(m, vdt)]
    if order > 1:
        powers.append(astype(x, vdt))
    for _ in range(2, order):
        powers.append(u["multiply"](powers[-1], x))
    lhs = stack(powers[::-1], axis=1)
    rhs = y
    if w is not None:
        w = u["add"](as_array(w), 0.0)
        if ndim(w) != 1:
            raise TypeError("expected a 1-d array for weights")
        if shape(w)[0] != shape(y)[0]:
            raise TypeError("expected w and y to have the same length")
        lhs = astype(u["multiply"](lhs, expand_dims(w, 1)), lhs.dtype)
        wr = expand_dims(w, 1) if ndim(rhs) == 2 else w
        rhs = astype(u["multiply"](rhs, wr), rhs.dtype)
    scale = u["sqrt"](_sum(u["multiply"](lhs, lhs), axis=0))
    lhs = astype(u["divide"](lhs, scale), lhs.dtype)
    c, resids, rank, s = lstsq(lhs, rhs, rcond)
    c = transpose(u["divide"](transpose(c), scale))
    if full:
        return c, resids, rank, s, rcond
    if not cov:
        return c
    base = u["divide"](inv(dot(transpose(lhs), lhs)), outer(scale, scale))
    if cov == "unscaled":
        fac: Any = 1
    else:
        if m <= order:
            raise ValueError(
                "the number of data points must exceed order to scale the covariance matrix"
            )
        fac = u["divide"](resids, m - order)
    if ndim(y) == 1:
        return c, u["multiply"](base, fac)
    return c, u["multiply"](getitem(base, (slice(None), slice(None), None)), fac)


__all__ = [
    "polyval",
    "polyadd",
    "polysub",
    "polymul",
    "polyder",
    "polyint",
    "poly",
    "roots",
    "polyfit",
]
