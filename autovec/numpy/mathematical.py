"""NumPy's mathematical functions that are not ufuncs: rounding (``round``/``around``,
``fix``), ``nan_to_num``, ``real_if_close``, ``unwrap``, ``sinc`` and ``i0``.

With no traced argument each function is NumPy's own.  Traced, each is NumPy's arithmetic
written with autovec.numpy operations; where NumPy's result *type* depends on the values
(``real_if_close``), the traced form says so in its docstring."""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from autovec import errors
from autovec.numpy._convert import arr, as_array
from autovec.numpy._util import implements, is_traced, ndim, normalize_axis
from autovec.numpy.cumulative import cumsum, diff
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import astype, concatenate
from autovec.numpy.ufuncs import UFUNCS, imag, real, where
from autovec.prims.elementwise import complex_p
from autovec.prims.special import i0_p

u = UFUNCS


def _complex(re: Any, im: Any, dtype: np.dtype) -> Any:
    """The complex array of ``dtype`` with parts ``re`` and ``im``, each kept exactly."""
    return complex_p.bind(arr(re), arr(im), dtype=np.dtype(dtype))


@implements(np.round)
def round(a: Any, decimals: int = 0, out: Any = None) -> Any:  # noqa: A001
    """NumPy's ``round``/``around``: to ``decimals`` places, halves to even.  Computed as
    NumPy does (scale by ``10**decimals``, ``rint``, scale back), in the input's float type
    (integers with ``decimals < 0`` in float64, cast back)."""
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


def _fix_deprecation() -> Warning | None:
    """The DeprecationWarning NumPy 2.5 gives for ``fix`` (None where it does not warn)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.fix(np.zeros(1))
    return next((w.message for w in caught if w.category is DeprecationWarning), None)


_FIX_DEPRECATION = _fix_deprecation()


@implements(np.fix)
def fix(x: Any, out: Any = None) -> Any:
    """NumPy's ``fix``: round to the nearest integer towards zero (the input's dtype); it
    warns where this NumPy's does (deprecated in 2.5)."""
    if out is not None:
        raise errors.UnsupportedOperationError(
            "autovec.numpy.fix(out=...) is not supported inside vmap/jit; use the return value."
        )
    if _FIX_DEPRECATION is not None:
        warnings.warn(str(_FIX_DEPRECATION), DeprecationWarning, stacklevel=2)
    return u["trunc"](x)


@implements(np.nan_to_num)
def nan_to_num(
    x: Any, copy: bool = True, nan: Any = 0.0, posinf: Any = None, neginf: Any = None
) -> Any:
    """NumPy's ``nan_to_num``: NaN -> ``nan``, +inf -> ``posinf`` (default: the largest
    finite value), -inf -> ``neginf`` (default: the most negative); complex parts apart."""
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


@implements(np.real_if_close)
def real_if_close(a: Any, tol: float = 100) -> Any:
    """NumPy's ``real_if_close``: a complex array whose imaginary parts are all within
    ``tol`` machine epsilons of zero becomes real; other arrays are returned as they are.

    Its result dtype depends on the values, so a traced complex ``a`` raises
    ``UnsupportedOperationError``; traced real values are returned unchanged, as NumPy does.
    """
    a = arr(a)
    if np.issubdtype(a.dtype, np.complexfloating):
        raise errors.UnsupportedOperationError(
            "autovec.numpy.real_if_close: the result's dtype (real or complex) depends on the "
            "values, which differ per example inside vmap/jit. Use autovec.numpy.real(a) (or "
            "keep the complex value) explicitly."
        )
    return a


@implements(np.unwrap)
def unwrap(p: Any, discont: Any = None, axis: int = -1, *, period: Any = 2 * np.pi) -> Any:
    """NumPy's ``unwrap``: remove jumps larger than ``discont`` by adding multiples of
    ``period`` (``period`` must be concrete; ``discont`` may be batched)."""
    if is_traced(period):
        raise errors.ConcretizationTypeError(
            "unwrap: period must be concrete (it decides the arithmetic NumPy uses)."
        )

    p = as_array(p)
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


@implements(np.sinc)
def sinc(x: Any) -> Any:
    """NumPy's ``sinc``: ``sin(pi x) / (pi x)``, 1 at 0."""
    y = u["multiply"](np.pi, arr(x))
    eps = np.finfo(y.dtype).eps if y.dtype.kind == "f" else 1e-20
    y = where(y, y, eps)
    return u["divide"](u["sin"](y), y)


@implements(np.i0)
def i0(x: Any) -> Any:
    """NumPy's ``i0``: the modified Bessel function of the first kind, order 0 (real)."""
    x = arr(x)
    if x.dtype.kind == "c":
        raise TypeError("i0 not supported for complex values")
    return i0_p.bind(x)


__all__ = [
    "round",
    "around",
    "fix",
    "nan_to_num",
    "real_if_close",
    "unwrap",
    "sinc",
    "i0",
]
