"""Assorted NumPy functions: array requirements, index helpers, geometric/log ranges, the
NumPy 2.2 vector/matrix gufuncs, and friends.

Each function normalises its arguments as NumPy does; with no traced argument it calls NumPy
itself.  With traced (batched or jitted) arguments it composes other ``autovec.numpy``
functions.  Functions whose result depends only on shapes (``tri``, ``tril_indices``, ``ix_``
of concrete arrays, ...) return NumPy constants: shapes are the same for every example.

Checks that NumPy makes on the *values* (finiteness in ``asarray_chkfinite``, zero endpoints in
``geomspace``, out-of-range coordinates in ``ravel_multi_index``/``unravel_index``) cannot
raise per example inside a transformation; each function's docstring says what happens then.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import Tracer
from autovec.numpy._util import arr, concrete_int, is_traced, ndim, normalize_axis, shape
from autovec.numpy.assembly import indices as _indices
from autovec.numpy.creation import asarray
from autovec.numpy.cumulative import cumprod
from autovec.numpy.indexing import getitem
from autovec.numpy.indexing_ops import take
from autovec.numpy.manipulation import (
    astype,
    concatenate,
    expand_dims,
    moveaxis,
    ravel,
    reshape,
    transpose,
)
from autovec.numpy.products import einsum
from autovec.numpy.ufuncs import UFUNCS, imag

u = UFUNCS


# ----------------------------------------------------------------------------- requirements


def asfortranarray(a: Any, dtype: Any = None, *, like: Any = None) -> Any:
    """NumPy's ``asfortranarray`` (at least 1-d, Fortran order).  Traced values have no
    memory layout: the value itself (cast to ``dtype``), made at least 1-d."""
    if not is_traced(a):
        return np.asfortranarray(a, dtype=dtype)
    out = asarray(a, dtype=dtype)
    return reshape(out, (1,)) if ndim(out) == 0 else out


def require(a: Any, dtype: Any = None, requirements: Any = None, *, like: Any = None) -> Any:
    """NumPy's ``require``.  Traced values have no memory flags to satisfy, so the value
    itself (cast to ``dtype``) is returned."""
    if not is_traced(a):
        return np.require(a, dtype=dtype, requirements=requirements)
    return asarray(a, dtype=dtype)


def broadcast_shapes(*args: Any) -> tuple[int, ...]:
    """NumPy's ``broadcast_shapes``: the shape the given shapes broadcast to (shapes are
    concrete, so this is NumPy's own)."""
    return np.broadcast_shapes(*args)


def asarray_chkfinite(a: Any, dtype: Any = None, order: Any = None) -> Any:
    """NumPy's ``asarray_chkfinite``: ``asarray``, raising ``ValueError`` when ``a`` holds an
    inf or NaN.

    Inside vmap/jit the check would have to raise for some examples and not others, which a
    transformation cannot do, so a traced ``a`` raises ``UnsupportedOperationError`` (rather
    than silently skipping the check).
    """
    if not is_traced(a):
        return np.asarray_chkfinite(a, dtype=dtype, order=order)
    raise errors.UnsupportedOperationError(
        "autovec.numpy.asarray_chkfinite: the finiteness check cannot raise per example inside "
        "vmap/jit. Use autovec.numpy.asarray(a) inside the function and check "
        "numpy.isfinite(result).all() on the result outside the transformation."
    )


def real_if_close(a: Any, tol: float = 100) -> Any:
    """NumPy's ``real_if_close``: a complex array whose imaginary parts are all within
    ``tol`` machine epsilons of zero becomes real; other arrays are returned as they are.

    Its result dtype depends on the values, so a traced complex ``a`` raises
    ``UnsupportedOperationError``; traced real values are returned unchanged, as NumPy does.
    """
    if not is_traced(a):
        return np.real_if_close(a, tol=tol)
    a = arr(a)
    if np.issubdtype(a.dtype, np.complexfloating):
        raise errors.UnsupportedOperationError(
            "autovec.numpy.real_if_close: the result's dtype (real or complex) depends on the "
            "values, which differ per example inside vmap/jit. Use autovec.numpy.real(a) (or "
            "keep the complex value) explicitly."
        )
    return a


# ----------------------------------------------------------------------------- elementwise


def fix(x: Any, out: Any = None) -> Any:
    """NumPy's ``fix``: round to the nearest integer towards zero (the input's dtype)."""
    if not is_traced(x):
        return np.fix(x, out=out)
    if out is not None:
        raise errors.UnsupportedOperationError(
            "autovec.numpy.fix(out=...) is not supported inside vmap/jit; use the return value."
        )
    return u["trunc"](x)


def iscomplex(x: Any) -> Any:
    """NumPy's ``iscomplex``: elementwise, whether the imaginary part is nonzero (all False
    for a non-complex dtype)."""
    if not is_traced(x):
        return np.iscomplex(x)
    return u["not_equal"](imag(x), 0)


def isreal(x: Any) -> Any:
    """NumPy's ``isreal``: elementwise, whether the imaginary part is zero."""
    if not is_traced(x):
        return np.isreal(x)
    return u["equal"](imag(x), 0)


def _check_not_complex(x: Any) -> None:
    if np.issubdtype(x.dtype, np.complexfloating):
        raise TypeError(
            f"This operation is not supported for {x.dtype} values because it would be ambiguous."
        )


def isneginf(x: Any, out: Any = None) -> Any:
    """NumPy's ``isneginf``: elementwise ``x == -inf`` (``TypeError`` for complex input)."""
    if not is_traced(x):
        return np.isneginf(x, out=out)
    x = arr(x)
    _check_not_complex(x)
    return u["logical_and"](u["isinf"](x), u["signbit"](x))


def isposinf(x: Any, out: Any = None) -> Any:
    """NumPy's ``isposinf``: elementwise ``x == +inf`` (``TypeError`` for complex input)."""
    if not is_traced(x):
        return np.isposinf(x, out=out)
    x = arr(x)
    _check_not_complex(x)
    return u["logical_and"](u["isinf"](x), u["logical_not"](u["signbit"](x)))


# ----------------------------------------------------------------------------- ranges


def logspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    base: Any = 10.0,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    """NumPy's ``logspace``: ``base ** linspace(start, stop, num)``; ``start``, ``stop`` and
    ``base`` may be batched (``num`` must be concrete)."""
    num = concrete_int(num, "logspace num")
    if not is_traced(start, stop, base):
        return np.logspace(start, stop, num, endpoint=endpoint, base=base, dtype=dtype, axis=axis)
    from autovec.numpy.creation import linspace

    start, stop, base = (arr(v) if is_traced(v) else np.asarray(v) for v in (start, stop, base))
    nd = max(ndim(start), ndim(stop), ndim(base))
    start, stop, base = (
        reshape(v, (1,) * (nd - ndim(v)) + shape(v)) if ndim(v) < nd else v
        for v in (start, stop, base)
    )
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    base = expand_dims(base, axis)
    out = u["power"](base, y)
    return out if dtype is None else astype(out, dtype)


def geomspace(
    start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None, axis: int = 0
) -> Any:
    """NumPy's ``geomspace``: a geometric progression from ``start`` to ``stop`` (exact
    endpoints); ``start``/``stop`` may be batched (``num`` must be concrete).

    NumPy raises ``ValueError`` for a zero endpoint; inside vmap/jit that check cannot raise
    per example, so the lanes with a zero endpoint hold NaN (and a complex traced endpoint
    raises ``UnsupportedOperationError``).
    """
    num = concrete_int(num, "geomspace num")
    if not is_traced(start, stop):
        return np.geomspace(start, stop, num, endpoint=endpoint, dtype=dtype, axis=axis)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    start, stop = (
        u["multiply"](arr(v) if is_traced(v) else np.asarray(v), 1.0) for v in (start, stop)
    )
    dt = np.result_type(start.dtype, stop.dtype, float(num), np.zeros((), dtype).dtype)
    if np.issubdtype(dt, np.complexfloating):
        raise errors.UnsupportedOperationError(
            "autovec.numpy.geomspace with complex endpoints is not supported inside vmap/jit."
        )
    sign = u["sign"](start)
    start, stop = u["divide"](start, sign), u["divide"](stop, sign)
    y = logspace(u["log10"](start), u["log10"](stop), num, endpoint=endpoint, dtype=dt)
    # The exact endpoints, as NumPy sets them.
    rest = shape(y)[1:]
    pieces = []
    if num > 0:
        pieces.append(expand_dims(astype(_broadcast(start, rest), dt), 0))
    mid_end = num - 1 if (endpoint and num > 1) else num
    if mid_end > 1:
        pieces.append(getitem(y, slice(1, mid_end)))
    if endpoint and num > 1:
        pieces.append(expand_dims(astype(_broadcast(stop, rest), dt), 0))
    y = concatenate(pieces, axis=0) if pieces else y
    y = u["multiply"](y, sign)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is None:
        return y
    if np.issubdtype(np.dtype(dtype), np.integer):
        y = u["floor"](y)
    return astype(y, dtype)


def _broadcast(x: Any, shp: tuple[int, ...]) -> Any:
    from autovec.numpy.manipulation import broadcast_to

    return broadcast_to(x, shp)


# ----------------------------------------------------------------------------- axes


def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    """NumPy's ``rollaxis``: move ``axis`` so that it lies before position ``start``."""
    if not is_traced(a):
        return np.rollaxis(a, axis, start)
    a = arr(a)
    n = ndim(a)
    axis = normalize_axis(axis, n)
    start = operator.index(start)
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise np.exceptions.AxisError(f"'start' arg requires {-n} <= start < {n + 1}")
    if axis < start:
        start -= 1
    if axis == start:
        return a
    axes = [i for i in range(n) if i != axis]
    axes.insert(start, axis)
    return transpose(a, tuple(axes))


def unstack(x: Any, /, *, axis: int = 0) -> tuple:
    """NumPy's ``unstack``: the slices of ``x`` along ``axis``, as a tuple."""
    if not is_traced(x):
        return np.unstack(x, axis=axis)
    x = arr(x)
    if ndim(x) == 0:
        raise ValueError("Input array must be at least 1-d.")
    ax = normalize_axis(axis, ndim(x))
    return tuple(getitem(x, (slice(None),) * ax + (i,)) for i in range(shape(x)[ax]))


concat = concatenate


# ----------------------------------------------------------------------------- index helpers


def tri(N: int, M: Any = None, k: int = 0, dtype: Any = float, *, like: Any = None) -> Any:
    """NumPy's ``tri`` (a constant): ones at and below the ``k``-th diagonal."""
    return np.tri(
        concrete_int(N, "tri N"),
        None if M is None else concrete_int(M, "tri M"),
        concrete_int(k, "tri k"),
        dtype=dtype,
    )


def tril_indices(n: int, k: int = 0, m: Any = None) -> tuple:
    """NumPy's ``tril_indices`` (constants)."""
    return np.tril_indices(
        concrete_int(n, "tril_indices n"),
        concrete_int(k, "tril_indices k"),
        None if m is None else concrete_int(m, "tril_indices m"),
    )


def triu_indices(n: int, k: int = 0, m: Any = None) -> tuple:
    """NumPy's ``triu_indices`` (constants)."""
    return np.triu_indices(
        concrete_int(n, "triu_indices n"),
        concrete_int(k, "triu_indices k"),
        None if m is None else concrete_int(m, "triu_indices m"),
    )


def _check_2d(x: Any) -> tuple[int, ...]:
    if ndim(x) != 2:
        raise ValueError("input array must be 2-d")
    return shape(x)


def tril_indices_from(arr: Any, k: int = 0) -> tuple:
    """NumPy's ``tril_indices_from``: ``tril_indices`` for the (per-example) shape of a 2-d
    array (constants)."""
    if not is_traced(arr):
        return np.tril_indices_from(arr, k)
    n, m = _check_2d(arr)
    return tril_indices(n, k, m)


def triu_indices_from(arr: Any, k: int = 0) -> tuple:
    """NumPy's ``triu_indices_from`` (constants)."""
    if not is_traced(arr):
        return np.triu_indices_from(arr, k)
    n, m = _check_2d(arr)
    return triu_indices(n, k, m)


def diag_indices(n: int, ndim: int = 2) -> tuple:
    """NumPy's ``diag_indices`` (constants)."""
    return np.diag_indices(concrete_int(n, "diag_indices n"), concrete_int(ndim, "ndim"))


def diag_indices_from(arr: Any) -> tuple:
    """NumPy's ``diag_indices_from`` for the (per-example) shape of ``arr`` (constants)."""
    if not is_traced(arr):
        return np.diag_indices_from(arr)
    shp = shape(arr)
    if len(shp) < 2:
        raise ValueError("input array must be at least 2-d")
    if len(set(shp)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    return np.diag_indices(shp[0], len(shp))


def mask_indices(n: int, mask_func: Callable[..., Any], k: int = 0) -> tuple:
    """NumPy's ``mask_indices`` (constants): where ``mask_func(ones((n, n)), k)`` is
    nonzero."""
    return np.mask_indices(concrete_int(n, "mask_indices n"), mask_func, k)


def ix_(*args: Any) -> tuple:
    """NumPy's ``ix_``: an open mesh from 1-d sequences.  Concrete arguments give NumPy's
    constants; traced integer sequences are reshaped (a traced boolean mask would give a
    per-example length: ``DataDependentShapeError``)."""
    if not is_traced(*args):
        return np.ix_(*args)
    out = []
    nd = len(args)
    for k, seq in enumerate(args):
        seq = arr(seq) if is_traced(seq) else np.asarray(seq)
        if ndim(seq) != 1:
            raise ValueError("Cross index must be 1 dimensional")
        if isinstance(seq, Tracer):
            if seq.dtype == bool:
                raise errors.DataDependentShapeError(
                    "autovec.numpy.ix_ of a traced boolean mask: its length (the number of "
                    "True entries) differs per example. Pass integer indices instead."
                )
        elif seq.dtype == bool:
            (seq,) = seq.nonzero()
        elif seq.size == 0:
            seq = seq.astype(np.intp)
        out.append(reshape(seq, (1,) * k + (shape(seq)[0],) + (1,) * (nd - k - 1)))
    return tuple(out)


def fromfunction(
    function: Callable[..., Any], shape: Any, *, dtype: Any = float, like: Any = None, **kwargs
) -> Any:
    """NumPy's ``fromfunction``: ``function(*indices(shape, dtype), **kwargs)`` (``shape``
    must be concrete; ``function`` may close over batched values)."""
    shp = tuple(concrete_int(s, "fromfunction shape") for s in shape)
    return function(*_indices(shp, dtype=dtype), **kwargs)


def _dims(dims: Any, what: str) -> tuple[int, ...]:
    if isinstance(dims, (list, tuple, np.ndarray)):
        return tuple(concrete_int(d, what) for d in np.asarray(dims).reshape(-1).tolist())
    return (concrete_int(dims, what),)


def _strides(dims: Sequence[int], order: str) -> list[int]:
    if order not in ("C", "F"):
        raise ValueError("only 'C' or 'F' order is permitted")
    seq = list(dims) if order == "F" else list(dims)[::-1]
    strides, acc = [], 1
    for d in seq:
        strides.append(acc)
        acc *= d
    return strides if order == "F" else strides[::-1]


def _int_operand(x: Any) -> Any:
    x = arr(x) if is_traced(x) else np.asarray(x)
    if not np.can_cast(x.dtype, np.intp, "same_kind"):
        raise TypeError(
            f"Cannot cast array data from {x.dtype!r} to dtype('int64') according to the rule "
            f"'same_kind'"
        )
    return astype(x, np.intp)


def ravel_multi_index(multi_index: Any, dims: Any, mode: Any = "raise", order: str = "C") -> Any:
    """NumPy's ``ravel_multi_index``: flat indices of coordinate arrays into an array of shape
    ``dims`` (concrete); the coordinates may be batched.

    ``mode`` per dimension: 'wrap', 'clip' or 'raise'.  With 'raise', NumPy raises
    ``ValueError`` for a coordinate outside ``[0, dim)``; inside vmap/jit the check is a
    gather that raises ``IndexError`` instead (NumPy's message names the bad index).
    """
    if not is_traced(multi_index) and not (
        isinstance(multi_index, (list, tuple)) and is_traced(*multi_index)
    ):
        return np.ravel_multi_index(multi_index, dims, mode=mode, order=order)
    dims = _dims(dims, "ravel_multi_index dims")
    coords = [_int_operand(c) for c in multi_index]
    if len(coords) != len(dims):
        raise ValueError(f"parameter multi_index must be a sequence of length {len(dims)}")
    modes = (mode,) * len(dims) if isinstance(mode, str) else tuple(mode)
    if len(modes) != len(dims):
        raise ValueError("mode must be a string or a sequence of length len(dims)")
    strides = _strides(dims, order)
    total = None
    for c, d, m, s in zip(coords, dims, modes, strides):
        if m == "wrap":
            c = u["remainder"](c, d)
        elif m == "clip":
            c = u["minimum"](u["maximum"](c, 0), d - 1)
        elif m == "raise":
            # Negative coordinates map past the end, so the gather raises for them too.
            c = take(
                np.arange(d, dtype=np.intp), u["add"](c, u["multiply"](u["less"](c, 0), d + 1))
            )
        else:
            raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {m!r})")
        term = u["multiply"](c, s)
        total = term if total is None else u["add"](total, term)
    return total


def unravel_index(indices: Any, shape: Any, order: str = "C") -> tuple:
    """NumPy's ``unravel_index``: coordinate arrays in an array of shape ``shape`` (concrete)
    for flat ``indices`` (may be batched).

    NumPy raises ``ValueError`` for an index outside ``[0, prod(shape))``; inside vmap/jit the
    check is a gather that raises ``IndexError`` instead.
    """
    if not is_traced(indices):
        return np.unravel_index(indices, shape, order=order)
    dims = _dims(shape, "unravel_index shape")
    idx = _int_operand(indices)
    size = int(np.prod(dims, dtype=np.int64))
    # Negative indices map past the end, so the gather raises for them as for too-large ones.
    idx = take(
        np.arange(size, dtype=np.intp), u["add"](idx, u["multiply"](u["less"](idx, 0), size + 1))
    )
    strides = _strides(dims, order)
    return tuple(
        u["remainder"](u["floor_divide"](idx, s), d) if d else u["multiply"](idx, 0)
        for d, s in zip(dims, strides)
    )


def vander(x: Any, N: Any = None, increasing: bool = False) -> Any:
    """NumPy's ``vander``: the columns are powers of ``x`` (built, as NumPy does, by repeated
    multiplication); ``x`` may be batched, ``N`` must be concrete."""
    if not is_traced(x):
        return np.vander(x, N, increasing)
    x = arr(x)
    if ndim(x) != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    n = shape(x)[0]
    N = n if N is None else concrete_int(N, "vander N")
    dt = np.promote_types(x.dtype, int)
    cols = []
    if N > 0:
        cols.append(np.ones((n, 1), dt))
    if N > 1:
        from autovec.numpy.manipulation import broadcast_to

        rep = broadcast_to(reshape(astype(x, dt), (n, 1)), (n, N - 1))
        cols.append(cumprod(rep, axis=1))
    if len(cols) < 2:  # no column depends on x
        return np.ones((n, N), dt)
    v = concatenate(cols, axis=1)
    if not increasing:
        v = getitem(v, (slice(None), slice(None, None, -1)))
    return v


# ----------------------------------------------------------------------------- gufuncs


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
    if not is_traced(x1, x2):
        kw = {k: v for k, v in dict(axis=axis, axes=axes, dtype=dtype).items() if v is not None}
        return np.vecdot(x1, x2, out=out, **kw, **kwargs)
    _gufunc_args("vecdot", out, dict(axes=axes, **kwargs))
    x1, x2 = (arr(x) if is_traced(x) else np.asarray(x) for x in (x1, x2))
    if axis is not None:
        x1 = moveaxis(x1, normalize_axis(axis, ndim(x1)), -1)
        x2 = moveaxis(x2, normalize_axis(axis, ndim(x2)), -1)
    if ndim(x1) == 0 or ndim(x2) == 0:
        raise ValueError("vecdot: Input operand does not have enough dimensions")
    if shape(x1)[-1] != shape(x2)[-1]:
        raise ValueError(
            f"vecdot: Input operand 1 has a mismatch in its core dimension 0 "
            f"({shape(x2)[-1]} is different from {shape(x1)[-1]})"
        )
    return _cast(einsum("...i,...i->...", _conj(x1), x2), dtype, x1, x2)


def matvec(
    x1: Any, x2: Any, /, out: Any = None, *, axes: Any = None, dtype: Any = None, **kwargs: Any
) -> Any:
    """NumPy's ``matvec`` gufunc ``(m,n),(n)->(m)``: matrix times vector, broadcasting the
    leading axes."""
    if not is_traced(x1, x2):
        kw = {k: v for k, v in dict(axes=axes, dtype=dtype).items() if v is not None}
        return np.matvec(x1, x2, out=out, **kw, **kwargs)
    _gufunc_args("matvec", out, dict(axes=axes, **kwargs))
    x1, x2 = (arr(x) if is_traced(x) else np.asarray(x) for x in (x1, x2))
    if ndim(x1) < 2 or ndim(x2) < 1:
        raise ValueError("matvec: Input operand does not have enough dimensions")
    if shape(x1)[-1] != shape(x2)[-1]:
        raise ValueError(
            f"matvec: Input operand 1 has a mismatch in its core dimension 0 "
            f"({shape(x2)[-1]} is different from {shape(x1)[-1]})"
        )
    return _cast(einsum("...mn,...n->...m", x1, x2), dtype, x1, x2)


def vecmat(
    x1: Any, x2: Any, /, out: Any = None, *, axes: Any = None, dtype: Any = None, **kwargs: Any
) -> Any:
    """NumPy's ``vecmat`` gufunc ``(n),(n,m)->(m)``: ``conj(x1)`` times a matrix,
    broadcasting the leading axes."""
    if not is_traced(x1, x2):
        kw = {k: v for k, v in dict(axes=axes, dtype=dtype).items() if v is not None}
        return np.vecmat(x1, x2, out=out, **kw, **kwargs)
    _gufunc_args("vecmat", out, dict(axes=axes, **kwargs))
    x1, x2 = (arr(x) if is_traced(x) else np.asarray(x) for x in (x1, x2))
    if ndim(x1) < 1 or ndim(x2) < 2:
        raise ValueError("vecmat: Input operand does not have enough dimensions")
    if shape(x1)[-1] != shape(x2)[-2]:
        raise ValueError(
            f"vecmat: Input operand 1 has a mismatch in its core dimension 0 "
            f"({shape(x2)[-2]} is different from {shape(x1)[-1]})"
        )
    return _cast(einsum("...n,...nm->...m", _conj(x1), x2), dtype, x1, x2)


# np.vecdot(tracer, w) arrives through __array_ufunc__, which looks ufuncs up by name here.
UFUNCS.update(vecdot=vecdot, matvec=matvec, vecmat=vecmat)


# ----------------------------------------------------------------------------- ndarray.resize


def _resized(a: Any, new_shape: tuple[int, ...]) -> Any:
    """``ndarray.resize``'s new value: the C-order elements, cut or padded with zeros."""
    if any(d < 0 for d in new_shape):
        raise ValueError("negative dimensions not allowed")
    n = int(np.prod(new_shape, dtype=np.int64))
    flat = ravel(a)
    size = shape(flat)[0]
    if n <= size:
        flat = getitem(flat, slice(0, n))
    else:
        flat = concatenate([flat, np.zeros(n - size, a.dtype)])
    return reshape(flat, new_shape)


def resize_method(self: Any, *new_shape: Any, refcheck: bool = True) -> None:
    """``ndarray.resize`` for traced values: in place (the value takes the new one; views
    taken earlier keep the old value), C order, padded with zeros; returns None."""
    if len(new_shape) == 1 and not isinstance(new_shape[0], (int, np.integer)):
        new_shape = new_shape[0]
    if new_shape is None or new_shape == ():
        return None
    shp = _dims(new_shape, "resize new_shape")
    self._become(_resized(self, shp))
    return None


def to_device_method(self: Any, device: Any, /, *, stream: Any = None) -> Any:
    """``ndarray.to_device``: NumPy arrays live on ``"cpu"`` only, and so do traced values."""
    if device != "cpu":
        raise ValueError(f"Unsupported device {device!r}: NumPy arrays live on 'cpu'")
    if stream is not None:
        raise ValueError("The stream argument in to_device() is not supported")
    return self


def copyto(dst: Any, src: Any, casting: str = "same_kind", where: Any = True) -> None:
    """NumPy's ``copyto``: ``dst`` takes ``src`` (broadcast, cast under ``casting``) where
    ``where`` holds.  A traced ``dst`` takes the new value in place, as ``x[...] = v`` does
    (views taken earlier keep the old value); ``src`` and ``where`` may be batched."""
    if not is_traced(dst, src, where):
        return np.copyto(dst, src, casting=casting, where=where)
    if not isinstance(dst, Tracer):
        raise errors.UnsupportedOperationError(
            "copyto writes into dst, here a plain NumPy array, which cannot hold values that "
            "differ per example. Build the result instead: "
            "dst = autovec.numpy.where(where, src, dst).astype(dst.dtype)."
        )
    src = arr(src)
    src_dtype = src.dtype if hasattr(src, "dtype") else np.result_type(dst.dtype, src)
    if not np.can_cast(src_dtype, dst.dtype, casting):
        raise TypeError(
            f"Cannot cast array data from {np.dtype(src_dtype)!r} to "
            f"{dst.dtype!r} according to the rule {casting!r}"
        )
    from autovec.numpy.manipulation import broadcast_to
    from autovec.numpy.ufuncs import where as _where

    new = broadcast_to(astype(src, dst.dtype), shape(dst))
    if where is not True:
        new = _where(where, new, dst)
    dst._become(new)
    return None


def fromiter(iter: Any, dtype: Any, count: int = -1, *, like: Any = None) -> Any:  # noqa: A002
    """NumPy's ``fromiter``; the items may be traced values (0-d per example, or of the
    sub-array shape of ``dtype``), which are stacked."""
    import itertools

    count = concrete_int(count, "fromiter count")
    items = list(itertools.islice(iter, None if count < 0 else count))
    if count >= 0 and len(items) < count:
        raise ValueError(
            f"iterator too short: Expected {count} but iterator had only {len(items)} items."
        )
    if not is_traced(*items):
        return np.fromiter(items, dtype=dtype, count=count)
    from autovec.numpy.manipulation import stack

    return astype(stack([arr(i) for i in items]), dtype)


__all__ = [
    "copyto",
    "fromiter",
    "asfortranarray",
    "require",
    "broadcast_shapes",
    "asarray_chkfinite",
    "real_if_close",
    "fix",
    "iscomplex",
    "isreal",
    "isneginf",
    "isposinf",
    "logspace",
    "geomspace",
    "rollaxis",
    "unstack",
    "concat",
    "tri",
    "tril_indices",
    "triu_indices",
    "tril_indices_from",
    "triu_indices_from",
    "diag_indices",
    "diag_indices_from",
    "mask_indices",
    "ix_",
    "fromfunction",
    "ravel_multi_index",
    "unravel_index",
    "vander",
    "vecdot",
    "matvec",
    "vecmat",
]
