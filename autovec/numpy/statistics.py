"""Statistics (NumPy's "Statistics": averages and variances, correlating): ``average``,
``cov``, ``corrcoef``, ``ptp``.  (Order statistics are in ``quantiles``, the ``nan*`` forms in
``nanfunctions``, histograms in ``histograms``.)

Traced, each follows NumPy's own arithmetic step by step (so results equal the loop's).
Checks NumPy makes on the *values* (weights summing to zero, negative weights, ``fact <= 0``
in ``cov``) cannot run on a batched value: the result is NumPy's arithmetic on it (inf or
NaN)."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np

from autovec.numpy._convert import arr
from autovec.numpy._util import (
    NO_VALUE,
    flag,
    implements,
    is_traced,
    ndim,
    normalize_axis_tuple,
    shape,
)
from autovec.numpy._util import reject_traced_kwargs as _reject
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import (
    astype,
    broadcast_to,
    concatenate,
    reshape,
    squeeze,
    transpose,
    with_ndmin,
)
from autovec.numpy.products import dot, einsum
from autovec.numpy.reductions import max as _amax
from autovec.numpy.reductions import mean as _mean
from autovec.numpy.reductions import min as _amin
from autovec.numpy.reductions import sum as _sum
from autovec.numpy.ufuncs import UFUNCS, clip, imag, real
from autovec.numpy.ufuncs import where as _select
from autovec.prims.elementwise import complex_p

u = UFUNCS


@implements(np.ptp)
def ptp(a: Any, axis: Any = None, out: Any = None, keepdims: Any = NO_VALUE) -> Any:
    """NumPy's ``ptp``: maximum minus minimum (integers wrap, as in NumPy)."""
    _reject("ptp", (a,), out=out)
    x = arr(a)
    kd = flag(keepdims)
    return u["subtract"](_amax(x, axis=axis, keepdims=kd), _amin(x, axis=axis, keepdims=kd))


def axis_tuple(axis: Any, nd: int) -> tuple[int, ...] | None:
    """``axis`` in the order given (None stays None), a repeated axis refused."""
    return None if axis is None else normalize_axis_tuple(axis, nd, "axis")


def weights_along(x: Any, weights: Any, axis: tuple | None) -> Any:
    """NumPy's ``_weights_are_valid``: weights of ``x``'s shape, or 1-d along ``axis``."""
    w = arr(weights)
    if shape(w) != shape(x):
        if axis is None:
            raise TypeError("Axis must be specified when shapes of a and weights differ.")
        if shape(w) != tuple(shape(x)[ax] for ax in axis):
            raise ValueError(
                "Shape of weights must be consistent with shape of a along specified axis."
            )
        w = transpose(w, tuple(int(i) for i in np.argsort(axis)))
        w = reshape(w, tuple(s if ax in axis else 1 for ax, s in enumerate(shape(x))))
    return w


@implements(np.average)
def average(
    a: Any, axis: Any = None, weights: Any = None, returned: bool = False, *, keepdims=NO_VALUE
) -> Any:
    """NumPy's ``average``, optionally weighted, optionally ``returned`` with the sum of
    weights.  Traced weights that sum to zero give inf/NaN (NumPy raises
    ``ZeroDivisionError``, a check on values that a batch cannot make)."""
    x = arr(a)
    axes = axis_tuple(axis, ndim(x))
    kd = {} if keepdims is NO_VALUE else {"keepdims": bool(keepdims)}
    if weights is None:
        avg = _mean(x, axis=axes, **kd)
        size = int(np.prod(shape(x), dtype=np.int64))
        out_size = int(np.prod(shape(avg), dtype=np.int64))
        scl: Any = np.asarray(avg.dtype.type(size / out_size))
    else:
        w = weights_along(x, weights, axes)
        if x.dtype.kind in "iub":
            rdt = np.result_type(x.dtype, w.dtype, "f8")
        else:
            rdt = np.result_type(x.dtype, w.dtype)
        scl = _sum(w, axis=axes, dtype=rdt, **kd)
        if not is_traced(scl) and np.any(scl == 0.0):
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        avg = u["divide"](_sum(u["multiply"](x, w, dtype=rdt), axis=axes, **kd), scl)
    if not returned:
        return avg
    if shape(scl) != shape(avg):
        scl = broadcast_to(scl, shape(avg))
    return avg, scl


def _sample_weights(w: Any, nobs: int, name: str, integer: bool) -> Any:
    w = astype(arr(w), float)
    if ndim(w) > 1:
        raise RuntimeError(f"cannot handle multidimensional {name}")
    if shape(w)[0] != nobs:
        raise RuntimeError(f"incompatible numbers of samples and {name}")
    if not is_traced(w):
        if integer and not np.all(w == np.around(w)):
            raise TypeError(f"{name} must be integer")
        if np.any(w < 0):
            raise ValueError(f"{name} cannot be negative")
    return w


@implements(np.cov)
def cov(
    m: Any,
    y: Any = None,
    rowvar: bool = True,
    bias: bool = False,
    ddof: Any = None,
    fweights: Any = None,
    aweights: Any = None,
    *,
    dtype: Any = None,
) -> Any:
    """NumPy's ``cov``: the covariance matrix of the variables (rows, or columns with
    ``rowvar=False``), with ``bias``/``ddof`` and frequency/analytic weights (which may be
    batched; a non-positive weight total gives inf, without NumPy's warning)."""
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    m = arr(m)
    if ndim(m) > 2:
        raise ValueError("m has more than 2 dimensions")
    if y is not None:
        y = arr(y)
        if ndim(y) > 2:
            raise ValueError("y has more than 2 dimensions")
    if dtype is None:
        dts = [m.dtype] + ([] if y is None else [y.dtype])
        dtype = np.result_type(*dts, np.float64)
    X = astype(with_ndmin(m, 2), dtype)
    if not rowvar and ndim(m) != 1:
        X = transpose(X)
    if shape(X)[0] == 0:
        return np.array([]).reshape(0, 0)
    if y is not None:
        Y = astype(with_ndmin(y, 2), dtype)
        if not rowvar and shape(Y)[0] != 1:
            Y = transpose(Y)
        X = concatenate((X, Y), axis=0)
    if ddof is None:
        ddof = 1 if bias == 0 else 0
    nobs = shape(X)[1]
    w = None
    if fweights is not None:
        w = _sample_weights(fweights, nobs, "fweights", True)
    if aweights is not None:
        aweights = _sample_weights(aweights, nobs, "aweights", False)
        w = aweights if w is None else u["multiply"](w, aweights)
    avg, w_sum = average(X, axis=1, weights=w, returned=True)
    w_sum = w_sum[0]
    if w is None:
        fact: Any = nobs - ddof
    elif ddof == 0:
        fact = w_sum
    elif aweights is None:
        fact = u["subtract"](w_sum, ddof)
    else:
        extra = u["divide"](u["multiply"](ddof, _sum(u["multiply"](w, aweights))), w_sum)
        fact = u["subtract"](w_sum, extra)
    if is_traced(fact):
        fact = _select(u["less_equal"](fact, 0), 0.0, fact)
    elif fact <= 0:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=2)
        fact = 0.0
    X = astype(u["subtract"](X, getitem(avg, (slice(None), None))), X.dtype)
    X_T = transpose(X) if w is None else transpose(u["multiply"](X, w))
    c = dot(X, u["conjugate"](X_T))
    if is_traced(fact):
        with np.errstate(divide="ignore"):
            scale = u["divide"](1, fact)
    else:  # NumPy's true_divide(1, fact): a float64 scalar, which does not promote weakly
        scale = np.true_divide(1, fact)
    c = astype(u["multiply"](c, scale), c.dtype)
    return squeeze(c)


# NumPy before 2.4 still takes corrcoef's bias and ddof (no-ops that warn); 2.4 removed them.
_CORRCOEF_TAKES_BIAS = "bias" in inspect.signature(np.corrcoef).parameters
_UNSET: Any = object()


@implements(np.corrcoef)
def corrcoef(
    x: Any,
    y: Any = None,
    rowvar: bool = True,
    bias: Any = _UNSET,
    ddof: Any = _UNSET,
    *,
    dtype: Any = None,
) -> Any:
    """NumPy's ``corrcoef``: the covariance scaled to correlations, clipped to [-1, 1]
    (``bias`` and ``ddof`` only where this NumPy takes them: they warn and do nothing)."""
    if bias is not _UNSET or ddof is not _UNSET:
        if not _CORRCOEF_TAKES_BIAS:
            given = "bias" if bias is not _UNSET else "ddof"
            raise TypeError(f"corrcoef() got an unexpected keyword argument '{given}'")
        warnings.warn(
            "bias and ddof have no effect and are deprecated", DeprecationWarning, stacklevel=2
        )
    c = cov(x, y, rowvar, dtype=dtype)
    if ndim(c) != 2:
        return u["divide"](c, c)
    stddev = u["sqrt"](real(einsum("ii->i", c)))
    c = astype(u["divide"](c, getitem(stddev, (slice(None), None))), c.dtype)
    c = astype(u["divide"](c, getitem(stddev, (None, slice(None)))), c.dtype)
    if c.dtype.kind != "c":
        return clip(c, -1, 1)
    re, im = clip(real(c), -1, 1), clip(imag(c), -1, 1)
    return complex_p.bind(re, im, dtype=np.dtype(c.dtype))


__all__ = [
    "ptp",
    "average",
    "cov",
    "corrcoef",
]
