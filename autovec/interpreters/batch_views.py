"""Views linked to their bases: NumPy's view semantics for batched and staged values.

A value made by a primitive whose output may be a view of its one operand is linked to that
operand (``BatchTracer._view``, ``StagingTracer._view``); a write into either reaches the
other, as in the loop.  This module knows the links only, not the tracer classes
(autovec/interpreters/batch_trace.py, staging.py): a tracer that links views has ``_view``,
``_views``, ``_readonly``, ``_take(new)`` (hold a new value), ``_reset(t)`` (hold the value of
``t``, a tracer of its trace) and ``_reapply(prim, base, params)`` (recompute from ``base``).
"""

from __future__ import annotations

import functools
import math
import warnings
import weakref
from typing import Any

import numpy as np

from autovec.core import Primitive, Tracer, _current_trace
from autovec.prims.scatter import scatter_p, set_part_p

# Set by ``x[i] = v`` (autovec/numpy/indexing.py) while it computes the updated value that
# ``x`` then takes: a scatter into ``x`` may write into x's own buffer when nothing else
# refers to it, so that a per-example write costs per-example work, not a copy of the batch.
WRITE_INTO: Any = None

# ------------------------------------------------------------------ views and shared values
# A value made by a primitive whose output may be a view of its one operand (the ``output``
# fact) is linked to that operand.  Whether it is a view in NumPy -- and of which elements,
# and whether NumPy lets it be written -- is asked of NumPy itself, lazily, the first time a
# write needs to know: the primitive runs on a stand-in example holding each element's flat
# position, and on one laid out as the loop's example is (a reshape of a transpose copies).


def _attach(t: Tracer, base: Tracer, prim: Any, params: Any, state: Any = None) -> None:
    t._view = (base, prim, params, state)
    views = base._views
    if views is None:
        views = base._views = {}
    key = id(t)
    views[key] = weakref.ref(t, lambda _, views=views, key=key: views.pop(key, None))


def _resolve(t: Tracer) -> bool:
    """Whether ``t`` (linked to a base) is a view of it in the loop; unlinks it if not.
    Settles ``t``'s read-only flag too (NumPy's, and its base's)."""
    base, prim, params, state = t._view
    if state is None:
        state, read_only = _view_kind(base, prim, params)
        t._readonly = t._readonly or read_only
        if state is None:
            _detach(t)
            return False
        t._view = (base, prim, params, state)
    t._readonly = t._readonly or base._readonly
    return True


def _view_kind(base: Tracer, prim: Primitive, params: dict) -> tuple[str | None, bool]:
    """``("positions" | "real" | "imag" | None, read_only)`` for ``prim`` applied to one
    example of ``base``: None where NumPy makes a new array (or a scalar) instead of a view,
    or where the loop's layout makes the view a copy."""
    try:
        key = tuple(sorted(params.items()))
        state, read_only, _ = _model(prim, key, base.shape, base.dtype)
        if state is not None:
            layout = _loop_layout(base)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = prim.impl(np, layout, **params)
            if not (isinstance(out, np.ndarray) and np.may_share_memory(out, layout)):
                state = None  # a copy in the loop (NumPy could not reshape in place)
    except Exception:  # noqa: BLE001 -- a primitive that cannot run on a stand-in: no view
        return None, False
    return state, read_only


@functools.lru_cache(maxsize=128)
def _model(prim: Primitive, params: tuple, shape: tuple, dtype: np.dtype) -> tuple:
    """What ``prim`` gives on a C-ordered example whose elements hold their flat positions:
    ``(state, read_only, positions)``, positions being, for each element of the view, the
    flat position it has in the example."""
    iota = np.arange(math.prod(shape), dtype=np.intp).reshape(shape)
    model = iota * (1 + 1j) if dtype.kind == "c" else iota  # both parts hold the position
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = prim.impl(np, model, **dict(params))
    if not isinstance(out, np.ndarray) or not np.may_share_memory(out, model):
        return None, isinstance(out, np.ndarray) and not out.flags.writeable, None
    state = "positions"
    if model.dtype.kind == "c" and out.dtype.kind != "c":  # the real or imaginary part
        offset = out.__array_interface__["data"][0] - model.__array_interface__["data"][0]
        state = "imag" if offset % model.itemsize else "real"
    positions = np.real(out).astype(np.intp)
    positions.flags.writeable = False
    return state, not out.flags.writeable, positions


def _prepare_write(t: Tracer) -> list[Tracer]:
    """The chain of views from ``t`` up to its outermost base (linked views only), each
    settled; raises NumPy's error if ``t`` is read-only."""
    chain = []
    node = t
    while node._view is not None:
        chain.append(node)
        node = node._view[0]
    for i in reversed(range(len(chain))):  # from the outermost base down: flags flow down
        if not _resolve(chain[i]):
            del chain[i:]  # not a view in the loop: the write stops below it
    if t._readonly:
        raise ValueError("assignment destination is read-only")
    return chain


def _write_through(t: Tracer, chain: list[Tracer]) -> None:
    """After ``t`` took new values: every base it is a view of (``chain``) takes them at the
    positions the view covers, then every live view of the outermost base is recomputed."""
    global WRITE_INTO
    trace = t._trace
    token = _current_trace.set(trace)
    outer = WRITE_INTO
    try:
        root = t
        for child in chain:
            base, prim, params, state = child._view
            WRITE_INTO = base  # the scatter may write into base's buffer if it owns it
            if state in ("real", "imag"):
                new = set_part_p.bind(base, child, part=state)
            else:
                positions = _model(prim, tuple(sorted(params.items())), base.shape, base.dtype)[2]
                new = scatter_p.bind(base, positions, child, ufunc=None)
            base._take(new)
            WRITE_INTO = outer
            root = base
        _refresh(root)
    finally:
        WRITE_INTO = outer
        _current_trace.reset(token)


def _refresh(root: Tracer) -> None:
    """Recompute every live view of ``root`` (and their views) from its current value."""
    trace = root._trace
    stack = [root]
    while stack:
        node = stack.pop()
        if not node._views:
            continue
        for ref in list(node._views.values()):
            child = ref()
            if child is None or child._view is None or child._view[0] is not node:
                continue
            if not _resolve(child):
                continue
            _, prim, params, _ = child._view
            token = _current_trace.set(trace)
            try:
                if prim is None:  # a read-only view made by a composition (``read_only``)
                    child._reset(params(node))
                else:
                    child._reapply(prim, node, params)
            finally:
                _current_trace.reset(token)
            stack.append(child)


def is_view(t: Tracer) -> bool:
    """Whether ``t`` is, in the loop, a view of another traced value (writes reach it)."""
    return getattr(t, "_view", None) is not None and _resolve(t)


def _detach(view: Tracer) -> None:
    base = view._view[0]
    view._view = None
    if base._views:
        base._views.pop(id(view), None)


def _loop_layout(t: Tracer) -> np.ndarray:
    """A stand-in for ``t``'s example with the strides the loop's array would have (over a
    zeroed scratch buffer): what NumPy decides copy-or-view by."""
    if t._view is None or t._view[1] is None or t._view[3] is None and not _resolve(t):
        val = getattr(t, "val", None)  # a value staged by jit has no example to look at
        if t._view is None and type(val) is np.ndarray and val.shape[t.bdim]:
            strides = val.strides[: t.bdim] + val.strides[t.bdim + 1 :]
        else:  # no example to look at (jit, an empty batch, a copy): a fresh array's layout
            strides = _c_strides(t.shape, t.dtype)
        return _strided(t.shape, strides, t.dtype)
    base, prim, params, _ = t._view
    layout = _loop_layout(base)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return prim.impl(np, layout, **params)


def _c_strides(shape: tuple, dtype: np.dtype) -> tuple:
    strides, step = [], dtype.itemsize
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def _strided(shape: tuple, strides: tuple, dtype: np.dtype) -> np.ndarray:
    strides = tuple(abs(s) for s in strides)
    span = sum((n - 1) * s for n, s in zip(shape, strides) if n) + dtype.itemsize
    buffer = np.zeros(span if all(shape) else dtype.itemsize, np.uint8)
    return np.ndarray(shape, dtype, buffer=buffer, strides=strides)
