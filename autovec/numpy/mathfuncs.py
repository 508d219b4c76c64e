"""Miscellaneous math with NumPy's signatures: polynomials (``polyval``, ``polyfit``,
``poly``, ``polyder``, ``polyint``, ``polyadd``, ``polysub``, ``polymul``, ``roots``),
closeness and equality (``isclose``, ``allclose``, ``array_equal``, ``array_equiv``),
rounding (``round``/``around``), ``nan_to_num``, ``unwrap``, ``sinc``, ``i0`` and the window
functions (``hanning``, ``hamming``, ``blackman``, ``bartlett``, ``kaiser``).

With no traced argument each function is NumPy's own.  Traced, each is NumPy's arithmetic
written with autovec.numpy operations.  Where NumPy's result *type or length* depends on the
values (``roots`` strips zero coefficients and returns real or complex roots; ``polymul``
strips leading zeros; ``poly`` returns real coefficients when the roots pair up), the traced
form fixes it and says so in the function's docstring.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from autovec import errors
from autovec.numpy._util import (
    arr,
    concrete_int,
    holds_tracer,
    is_traced,
    ndim,
    normalize_axis,
    shape,
)
from autovec.numpy.assembly import atleast_1d
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import astype, concatenate, expand_dims, stack, transpose
from autovec.numpy.reductions import all as _all
from autovec.numpy.reductions import sum as _sum
from autovec.numpy.ufuncs import UFUNCS, imag, real, where
from autovec.prims.special import i0_p

u = UFUNCS


def _operand(x: Any) -> Any:
    """What NumPy's ``asarray`` makes of ``x``: a tracer stays, anything else becomes an
    array (so a Python scalar is NOT weak, as in NumPy's own code)."""
    return x if is_traced(x) else np.asanyarray(x)


def _complex(re: Any, im: Any, dtype: np.dtype) -> Any:
    """``re + 1j * im`` as ``dtype`` (exact for finite parts)."""
    return astype(u["add"](re, u["multiply"](1j, im)), dtype)


# ---------------------------------------------------------------------------- polynomials


def polyval(p: Any, x: Any) -> Any:
    """NumPy's ``polyval``: Horner's scheme, starting from zeros of ``x``'s dtype."""
    if not is_traced(p, x):
        return np.polyval(p, x)
    p, x = _operand(p), _operand(x)
    y: Any = np.zeros(shape(x), x.dtype)
    for i in range(shape(p)[0]):
        y = u["add"](u["multiply"](y, x), getitem(p, i))
    return y


def _poly_pair(a1: Any, a2: Any) -> tuple[Any, Any]:
    return atleast_1d(_operand(a1)), atleast_1d(_operand(a2))


def _pad_front(a: Any, count: int) -> Any:
    return concatenate((np.zeros(count, a.dtype), a))


def polyadd(a1: Any, a2: Any) -> Any:
    """NumPy's ``polyadd``: the shorter coefficient array is padded with leading zeros."""
    if not is_traced(a1, a2):
        return np.polyadd(a1, a2)
    a1, a2 = _poly_pair(a1, a2)
    diff = shape(a2)[0] - shape(a1)[0]
    if diff > 0:
        a1 = _pad_front(a1, diff)
    elif diff < 0:
        a2 = _pad_front(a2, -diff)
    return u["add"](a1, a2)


def polysub(a1: Any, a2: Any) -> Any:
    """NumPy's ``polysub``: ``a1 - a2`` with leading zeros padding the shorter one."""
    if not is_traced(a1, a2):
        return np.polysub(a1, a2)
    a1, a2 = _poly_pair(a1, a2)
    diff = shape(a2)[0] - shape(a1)[0]
    if diff > 0:
        a1 = _pad_front(a1, diff)
    elif diff < 0:
        a2 = _pad_front(a2, -diff)
    return u["subtract"](a1, a2)


def polymul(a1: Any, a2: Any) -> Any:
    """NumPy's ``polymul``: the convolution of the coefficients.

    NumPy first strips leading zero coefficients, so its result is shorter when a leading
    coefficient is 0 -- a length that depends on the values.  Traced, nothing is stripped
    (as in JAX's ``polymul``): the result has ``len(a1) + len(a2) - 1`` coefficients, equal
    to NumPy's whenever both leading coefficients are nonzero."""
    if not is_traced(a1, a2):
        return np.polymul(a1, a2)
    from autovec.numpy.signal import convolve

    a1, a2 = _poly_pair(a1, a2)
    if ndim(a1) != 1 or ndim(a2) != 1:
        raise ValueError("Polynomial must be 1d only.")
    return convolve(a1, a2)


def polyder(p: Any, m: int = 1) -> Any:
    """NumPy's ``polyder``: the ``m``-th derivative's coefficients."""
    if not is_traced(p):
        return np.polyder(p, m)
    m = int(m)
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    p = _operand(p)
    if not ndim(p):
        raise TypeError("len() of unsized object")  # NumPy's error for a 0-d p
    for _ in range(m):
        n = shape(p)[0] - 1
        p = u["multiply"](getitem(p, slice(None, -1)), np.arange(n, 0, -1))
    return p


def polyint(p: Any, m: int = 1, k: Any = None) -> Any:
    """NumPy's ``polyint``: the ``m``-th antiderivative, integration constants ``k``."""
    if not is_traced(p, k):
        return np.polyint(p, m, k)
    m = int(m)
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    k = np.zeros(m, float) if k is None else atleast_1d(_operand(k))
    if shape(k)[0] == 1 and m > 1:
        k = u["multiply"](getitem(k, 0), np.ones(m, float))
    if shape(k)[0] < m:
        raise ValueError("k must be a scalar or a rank-1 array of length 1 or >m.")
    p = _operand(p)
    if m and not ndim(p):
        raise TypeError("len() of unsized object")  # NumPy's error for a 0-d p
    for i in range(m):
        scaled = u["divide"](p, np.arange(shape(p)[0], 0, -1))
        p = concatenate((scaled, atleast_1d(getitem(k, i))))
    return p


def poly(seq_of_zeros: Any) -> Any:
    """NumPy's ``poly``: the coefficients of the monic polynomial with the given roots (or
    the characteristic polynomial of a square matrix).

    NumPy returns real coefficients when the roots come in conjugate pairs (a check on the
    values).  Traced: a real matrix gives real coefficients (its eigenvalues always pair
    up); complex roots give complex coefficients, as in JAX."""
    if not is_traced(seq_of_zeros):
        return np.poly(seq_of_zeros)
    from autovec.numpy.signal import convolve

    z = atleast_1d(arr(seq_of_zeros))
    sh = shape(z)
    real_matrix = False
    if len(sh) == 2 and sh[0] == sh[1] and sh[0] != 0:
        from autovec.numpy.linalg import eigvals

        real_matrix = z.dtype.kind != "c"
        z = eigvals(z)
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


def roots(p: Any, *, strip_zeros: bool = True) -> Any:
    """NumPy's ``roots``: the eigenvalues of the companion matrix.

    NumPy strips leading and trailing zero coefficients (so the number of roots depends on
    the values) and returns real roots when all are real (so does the dtype).  Inside
    vmap/jit the default therefore raises ``DataDependentShapeError``.  ``strip_zeros=False``
    (JAX's spelling) gives the static form: always ``len(p) - 1`` complex roots, the
    eigenvalues of ``p``'s own companion matrix -- NumPy's roots (cast to complex) when the
    first and last coefficients are nonzero; trailing zero coefficients give zero roots, and
    an example whose leading coefficient is 0 gets NaN roots."""
    if not is_traced(p):
        if strip_zeros:
            return np.roots(p)
    elif strip_zeros:
        raise errors.DataDependentShapeError(
            "roots: NumPy strips zero leading/trailing coefficients, so the number of roots "
            "(and whether they are real) depends on the values of p. Inside vmap/jit use "
            "roots(p, strip_zeros=False): len(p) - 1 complex roots per example."
        )
    from autovec.numpy.linalg import eigvals

    p = atleast_1d(_operand(p))
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
    found = astype(eigvals(companion), ctype)
    return where(bad, np.asarray(complex(np.nan, np.nan), ctype), found)


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
    if not is_traced(x, y, w, rcond):
        return np.polyfit(x, y, deg, rcond, full, w, cov)
    from autovec.numpy.linalg import inv, lstsq
    from autovec.numpy.products import dot, outer

    order = int(deg) + 1
    x = u["add"](_operand(x), 0.0)
    y = u["add"](_operand(y), 0.0)
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
        w = u["add"](_operand(w), 0.0)
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


# --------------------------------------------------------------- closeness and equality


def isclose(a: Any, b: Any, rtol: Any = 1.0e-5, atol: Any = 1.0e-8, equal_nan: bool = False):
    """NumPy's ``isclose``: ``|a - b| <= atol + rtol * |b|`` (and ``a == b``, which covers
    equal infinities), elementwise; NaNs are equal only with ``equal_nan``."""
    if not is_traced(a, b, rtol, atol):
        return np.isclose(a, b, rtol, atol, equal_nan)
    x, y, atol, rtol = (
        v if isinstance(v, (int, float, complex)) else _operand(v) for v in (a, b, atol, rtol)
    )
    if getattr(y, "dtype", None) is not None and y.dtype.kind != "m":
        y = astype(y, np.result_type(y.dtype, 1.0))
    elif isinstance(y, int):
        y = float(y)
    if not is_traced(atol, rtol) and not (np.all(np.isfinite(atol)) and np.all(np.isfinite(rtol))):
        err = np.geterr()["invalid"]
        msg = f"One of rtol or atol is not valid, atol: {atol}, rtol: {rtol}"
        if err == "raise":
            raise FloatingPointError(msg)
        if err == "warn":
            import warnings

            warnings.warn(msg, RuntimeWarning, stacklevel=2)
    # NumPy compares |x - y| with a NaN where y is not finite and masks it out with
    # isfinite(y).  Comparing with 0 there instead gives the same result without computing
    # inf - inf, so no invalid-value error can fire (a jit-compiled replay runs outside any
    # errstate set here).
    finite = u["isfinite"](y)
    y_safe = where(finite, y, 0)
    tol = u["add"](atol, u["multiply"](rtol, u["absolute"](y_safe)))
    close = u["less_equal"](u["absolute"](u["subtract"](x, y_safe)), tol)
    result = u["logical_or"](u["logical_and"](close, finite), u["equal"](x, y))
    if equal_nan:
        result = u["logical_or"](result, u["logical_and"](u["isnan"](x), u["isnan"](y)))
    return result


def allclose(a: Any, b: Any, rtol: Any = 1.0e-5, atol: Any = 1.0e-8, equal_nan: bool = False):
    """NumPy's ``allclose``.  Eagerly a Python bool; inside vmap/jit a boolean per example
    (a batched ``bool_``), which ``if`` cannot branch on -- use ``where``."""
    if not is_traced(a, b, rtol, atol):
        return np.allclose(a, b, rtol, atol, equal_nan)
    return _all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1: Any, a2: Any, equal_nan: bool = False) -> Any:
    """NumPy's ``array_equal``: same shape and equal elements (NaNs equal with
    ``equal_nan``).  Traced: a boolean per example (``False`` when the shapes differ,
    which is static)."""
    if not is_traced(a1, a2):
        return np.array_equal(a1, a2, equal_nan)
    a1, a2 = _operand(a1), _operand(a2)
    if shape(a1) != shape(a2):
        return False
    if a1 is a2 and equal_nan:
        return True
    same = u["equal"](a1, a2)
    if not equal_nan or (a1.dtype.kind in "biu" and a2.dtype.kind in "biu"):
        return _all(same)
    nan1, nan2 = u["isnan"](a1), u["isnan"](a2)
    return u["logical_and"](_all(u["equal"](nan1, nan2)), _all(u["logical_or"](same, nan1)))


def array_equiv(a1: Any, a2: Any) -> Any:
    """NumPy's ``array_equiv``: shape-compatible (broadcastable) and equal elementwise."""
    if not is_traced(a1, a2):
        return np.array_equiv(a1, a2)
    a1, a2 = _operand(a1), _operand(a2)
    try:
        np.broadcast_shapes(shape(a1), shape(a2))
    except ValueError:
        return False
    return _all(u["equal"](a1, a2))


# ------------------------------------------------------------------ rounding and fixing


def round(a: Any, decimals: int = 0, out: Any = None) -> Any:  # noqa: A001
    """NumPy's ``round``/``around``: to ``decimals`` places, halves to even.  Computed as
    NumPy does (scale by ``10**decimals``, ``rint``, scale back), in the input's float type
    (integers with ``decimals < 0`` in float64, cast back)."""
    if not is_traced(a):
        return np.round(a, decimals, out)
    if out is not None:
        raise errors.UnsupportedOperationError(
            "round(out=...) is not supported inside vmap/jit; use the return value."
        )
    x = arr(a)
    decimals = operator.index(decimals)
    if x.dtype.kind == "c":
        return _complex(round(real(x), decimals), round(imag(x), decimals), x.dtype)
    if x.dtype.kind in "iu" and decimals >= 0:
        return x
    if decimals == 0:
        return u["rint"](x)  # NumPy's own shortcut (a bool input gives float16, as there)
    if x.dtype.kind == "b":
        op = "multiply" if decimals > 0 else "divide"
        raise TypeError(
            f"Cannot cast ufunc '{op}' output from dtype('float64') to dtype('bool') with "
            f"casting rule 'same_kind'"
        )
    work = np.float64 if x.dtype.kind in "iu" else x.dtype
    if decimals >= 0:
        f = float(10.0**decimals)
        y = astype(u["multiply"](x, f), work)
        y = astype(u["divide"](u["rint"](y), f), work)
    else:
        f = float(10.0 ** (-decimals))
        y = astype(u["divide"](x, f), work)
        y = astype(u["multiply"](u["rint"](y), f), work)
    return astype(y, x.dtype) if x.dtype.kind in "iu" else y


around = round


def nan_to_num(
    x: Any, copy: bool = True, nan: Any = 0.0, posinf: Any = None, neginf: Any = None
) -> Any:
    """NumPy's ``nan_to_num``: NaN -> ``nan``, +inf -> ``posinf`` (default: the largest
    finite value), -inf -> ``neginf`` (default: the most negative); complex parts apart."""
    if not holds_tracer([x, nan, posinf, neginf]):
        return np.nan_to_num(x, copy, nan, posinf, neginf)
    v = arr(x)
    if v.dtype.kind not in "fc":
        return v
    info = np.finfo(np.empty(0, v.dtype).real.dtype)
    high = info.max if posinf is None else posinf
    low = info.min if neginf is None else neginf

    def fix(d: Any) -> Any:
        is_nan, is_inf, neg = u["isnan"](d), u["isinf"](d), u["signbit"](d)
        d = where(is_nan, nan, d)
        d = where(u["logical_and"](is_inf, u["logical_not"](neg)), high, d)
        return where(u["logical_and"](is_inf, neg), low, d)

    if v.dtype.kind == "c":
        return _complex(fix(real(v)), fix(imag(v)), v.dtype)
    return astype(fix(v), v.dtype)


def unwrap(p: Any, discont: Any = None, axis: int = -1, *, period: Any = 2 * np.pi) -> Any:
    """NumPy's ``unwrap``: remove jumps larger than ``discont`` by adding multiples of
    ``period`` (``period`` must be concrete; ``discont`` may be batched)."""
    if not holds_tracer([p, discont]):
        return np.unwrap(p, discont, axis, period=period)
    if is_traced(period):
        raise errors.ConcretizationTypeError(
            "unwrap: period must be concrete (it decides the arithmetic NumPy uses)."
        )
    from autovec.numpy.cumulative import cumsum, diff

    p = _operand(p)
    ax = normalize_axis(axis, ndim(p))
    dd = diff(p, axis=ax)
    if discont is None:
        discont = period / 2
    dtype = np.result_type(dd.dtype, period)
    if np.issubdtype(dtype, np.integer):
        high, rem = divmod(period, 2)
        ambiguous = rem == 0
    else:
        high = period / 2
        ambiguous = True
    low = -high
    ddmod = u["add"](u["remainder"](u["subtract"](dd, low), period), low)
    if ambiguous:
        at_low = u["logical_and"](u["equal"](ddmod, low), u["greater"](dd, 0))
        ddmod = where(at_low, high, ddmod)
    correction = u["subtract"](ddmod, dd)
    correction = where(u["less"](u["absolute"](dd), discont), 0, correction)
    rest = (slice(None),) * ax
    head = astype(getitem(p, (*rest, slice(0, 1))), dtype)
    tail = astype(u["add"](getitem(p, (*rest, slice(1, None))), cumsum(correction, ax)), dtype)
    return concatenate((head, tail), axis=ax)


def sinc(x: Any) -> Any:
    """NumPy's ``sinc``: ``sin(pi x) / (pi x)``, 1 at 0."""
    if not is_traced(x):
        return np.sinc(x)
    y = u["multiply"](np.pi, arr(x))
    eps = np.finfo(y.dtype).eps if y.dtype.kind == "f" else 1e-20
    y = where(y, y, eps)
    return u["divide"](u["sin"](y), y)


def i0(x: Any) -> Any:
    """NumPy's ``i0``: the modified Bessel function of the first kind, order 0 (real)."""
    if not is_traced(x):
        return np.i0(x)
    x = arr(x)
    if x.dtype.kind == "c":
        raise TypeError("i0 not supported for complex values")
    return i0_p.bind(x)


# ----------------------------------------------------------------------------- windows


def _window(name: str, M: Any) -> np.ndarray:
    if is_traced(M):
        concrete_int(M, f"{name}: M")
    return getattr(np, name)(M)


def hanning(M: Any) -> np.ndarray:
    """NumPy's ``hanning`` window of ``M`` points (``M`` concrete; a constant)."""
    return _window("hanning", M)


def hamming(M: Any) -> np.ndarray:
    """NumPy's ``hamming`` window of ``M`` points (``M`` concrete; a constant)."""
    return _window("hamming", M)


def blackman(M: Any) -> np.ndarray:
    """NumPy's ``blackman`` window of ``M`` points (``M`` concrete; a constant)."""
    return _window("blackman", M)


def bartlett(M: Any) -> np.ndarray:
    """NumPy's ``bartlett`` window of ``M`` points (``M`` concrete; a constant)."""
    return _window("bartlett", M)


def kaiser(M: Any, beta: Any) -> Any:
    """NumPy's ``kaiser`` window (``M`` concrete; ``beta`` may be batched)."""
    if is_traced(M):
        concrete_int(M, "kaiser: M")
    if not is_traced(beta):
        return np.kaiser(M, beta)
    m = float(M)
    if m == 1:
        return np.ones(1, np.float64)
    b = astype(arr(beta), np.float64)
    n = np.arange(0, m)
    alpha = (m - 1) / 2.0
    shape_ = np.sqrt(1 - ((n - alpha) / alpha) ** 2.0)
    return u["divide"](i0_p.bind(u["multiply"](b, shape_)), i0_p.bind(b))


__all__ = [
    "polyval",
    "polyfit",
    "poly",
    "polyder",
    "polyint",
    "polyadd",
    "polysub",
    "polymul",
    "roots",
    "isclose",
    "allclose",
    "array_equal",
    "array_equiv",
    "round",
    "around",
    "nan_to_num",
    "unwrap",
    "sinc",
    "i0",
    "hanning",
    "hamming",
    "blackman",
    "bartlett",
    "kaiser",
]
