"""In-place writes into batched values for the numpy layer: ``x[i] = v`` (``write_into``,
straight into an owned buffer where it can: ``write_basic``), and the views NumPy makes that
a primitive alone does not say (``zero_d_view``, ``read_only``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from autovec.core import EVAL_TRACE, Tracer, _current_trace
from autovec.interpreters import batch_trace, batch_views
from autovec.interpreters.batch_trace import _ALL, _PY_SCALARS, BatchTracer
from autovec.interpreters.batch_views import _attach, _detach, _refresh
from autovec.prims.shape import getitem_p


def zero_d_view(x: Any, base: Any, index: tuple) -> Any:
    """``x``, the 0-d ``base[index]`` written with an Ellipsis (``a[0, ...]``): unlike
    ``a[0]`` (a NumPy scalar), a view in NumPy, so that writes through it reach ``base``."""
    if _links_views(x) and _links_views(base) and base._trace is x._trace:
        if x._view is not None:
            _detach(x)
        _attach(x, base, getitem_p, {"index": (*index, Ellipsis)})
    return x


def read_only(x: Any, base: Any = None, recompute: Callable[[Any], Any] | None = None) -> Any:
    """Mark ``x`` as a read-only view, as NumPy returns it (``diagonal``): writes into it
    raise NumPy's ValueError instead of being lost.  With ``base`` (the array it views) and
    ``recompute`` (which makes ``x`` from ``base`` again), a write into ``base`` reaches it.
    Returns ``x``."""
    if not _links_views(x):
        return x
    x._readonly = True
    if _links_views(base) and base._trace is x._trace and recompute is not None:
        if x._view is not None:
            _detach(x)
        _attach(x, base, None, recompute, "composite")
    return x


def _links_views(x: Any) -> bool:
    """Whether ``x`` is a tracer whose views are linked to it (batched or staged by jit)."""
    return getattr(type(x), "VIEWS_LINKED", False)


def write_into(x: Tracer, index: Any, value: Any, update: Callable[..., Any]) -> None:
    """``x[index] = value``: ``x`` takes ``update(x, index, value)`` (the updated value), which
    eager vmap computes in ``x``'s own buffer where nothing else refers to it."""
    if type(x) is BatchTracer and write_basic(x, index, value):
        return
    outer = batch_views.WRITE_INTO
    batch_views.WRITE_INTO = x  # a scatter into x may write into x's buffer (_scatter_into)
    try:
        new = update(x, index, value)
    finally:
        batch_views.WRITE_INTO = outer
    x._become(new)


def write_basic(x: BatchTracer, index: Any, value: Any) -> bool:
    """``x[index] = value`` written straight into ``x``'s own buffer, as NumPy writes into an
    array, for the common case: eager vmap, an index of in-range ints and slices, a Python
    scalar or a batched value of the indexed example's shape (or 0-d), and a buffer that is a
    whole, writeable, C-ordered array with the batch axis first that no other array, tracer
    or caller refers to (its reference count says so).  False (nothing written) otherwise:
    the general path (``autovec.numpy.indexing.update``) then handles it."""
    trace = x._trace
    if trace.parent is not EVAL_TRACE or x.bdim != 0 or _current_trace.get() is not trace:
        return False
    if x._readonly or x._view is not None:
        return False  # the general path raises NumPy's error, or writes through to the base
    if type(x.val) is not np.ndarray or x.val.shape[0] != trace.axis_size:
        return False  # from before a split narrowed the lanes: the general path narrows it
    items = index if type(index) is tuple else (index,)
    shape = x.shape
    if len(items) > len(shape):
        return False
    target = list(shape[len(items) :])
    for k in reversed(range(len(items))):
        it, n = items[k], shape[k]
        if type(it) is slice:
            target.insert(0, len(range(*it.indices(n))))
        elif type(it) is not int or not -n <= it < n:
            return False
    v = x.val
    if type(value) in _PY_SCALARS:
        src = np.asarray(value, dtype=v.dtype)  # NumPy's conversion (OverflowError, ...)
    elif type(value) is BatchTracer and value._trace is trace and type(value.val) is np.ndarray:
        vshape = value.shape
        if vshape and tuple(target[len(target) - len(vshape) :]) != vshape:
            return False
        if not vshape and v.dtype.kind == "i" and not np.can_cast(value.dtype, v.dtype):
            return False  # a scalar per example: NumPy range-checks it (the general path)
        src = np.moveaxis(value.val, value.bdim, 0) if value.bdim else value.val
        if len(target) > len(vshape):  # align the example axes right, after the batch axis
            src = src.reshape((src.shape[0],) + (1,) * (len(target) - len(vshape)) + vshape)
    else:
        return False
    if type(v) is not np.ndarray or v.base is not None or not v.flags.c_contiguous:
        return False
    if not v.flags.writeable:
        return False
    if batch_trace._OWN_REFS is None:
        batch_trace._OWN_REFS = batch_trace._own_refs()
    if sys.getrefcount(v) > batch_trace._OWN_REFS:
        return False  # a view or another value reads this buffer: the update makes a new one
    v[(_ALL, *items)] = src
    if x._views:
        _refresh(x)
    return True
