"""The batching interpreter: ``vmap``.

A ``BatchTracer`` holds a value with one extra axis (``bdim``) that runs over the examples.
``BatchTrace.process_primitive`` unwraps its own tracers, makes the parent trace current and
calls the primitive's batching rule, which binds ordinary primitives on whole-batch values.
Values that are not this trace's tracers (constants, unbatched arguments, outer tracers) are
unbatched: they pass through with ``bdim=None`` and are never broadcast unless a rule must.
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
import types
import warnings
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import (
    EVAL_TRACE,
    MAX_DIMS,
    Primitive,
    ShapedArray,
    Trace,
    Tracer,
    _current_trace,
    escaped_tracer_error,
    plain_ndarray,
    raise_numpy_write_error,
)
from autovec.prims import scatter
from autovec.prims.base import FRESH
from autovec.prims.scatter import copy_p, scatter_p, set_part_p
from autovec.prims.shape import (
    broadcast_batch,
    convert_element_type_p,
    getitem_p,
    moveaxis,
    to_slice_index,
)
from autovec.tree import broadcast_prefix, tree_flatten, tree_flatten_with_path, tree_unflatten


class BatchTracer(Tracer):
    """A batched value: ``val`` holds every example, stacked along axis ``bdim``."""

    __slots__ = ("val", "bdim", "_view", "_views", "_readonly", "__weakref__")

    def __init__(self, trace: BatchTrace, val: Any, bdim: int):
        self._trace = trace
        self.val = val
        self.bdim = bdim
        # (base, prim, params) when this value is, in the loop, a view of ``base`` made by
        # ``prim``: writes into it reach ``base``, and writes into ``base`` reach it.
        self._view: tuple | None = None
        self._views: dict | None = None  # id -> weak reference of each live view of this one
        self._readonly = False  # a read-only view in NumPy (broadcast_to, diagonal, ...)

    @property
    def aval(self) -> ShapedArray:
        shape = self.val.shape
        d = self.bdim
        return ShapedArray(shape[:d] + shape[d + 1 :], self.val.dtype)

    @property
    def shape(self) -> tuple[int, ...]:
        shape = self.val.shape
        d = self.bdim
        return shape[:d] + shape[d + 1 :]

    @property
    def dtype(self) -> np.dtype:
        return self.val.dtype

    @property
    def ndim(self) -> int:
        return self.val.ndim - 1

    def _become(self, other: Any) -> None:
        """Take ``other``'s value (in-place updates: ``x[i] = v``, ``x.sort()``, ...), as
        NumPy's write into memory would: a base this value is a view of takes the new
        values too, and so does every live view of it (or of that base).  A read-only view
        raises NumPy's error; a value every example shares raises ``SharedStateWriteError``.
        """
        chain = _prepare_write(self) if self._view is not None else []
        if self._readonly:
            raise ValueError("assignment destination is read-only")
        check_not_shared(self)
        for child in chain:
            check_not_shared(child._view[0])
        self._take(other)
        if chain or self._views:
            _write_through(self, chain)

    def _take(self, other: Any) -> None:
        """Hold ``other``'s value from now on.  ``other`` is normally a tracer of this same
        trace.  A value of an enclosing transformation (or a constant) is the same for every
        example, so it is broadcast; a value batched by an inner vmap cannot be adopted: it
        differs per inner example."""
        trace = self._trace
        if type(other) is BatchTracer and other._trace is trace:
            self.val, self.bdim = other.val, other.bdim
            return
        if isinstance(other, Tracer) and not other._trace.is_ancestor_of(trace):
            raise errors.UnsupportedOperationError(
                f"An in-place update (x[i] = v, x += v, ...) would make a value batched by an "
                f"outer vmap ({self.aval.str_short()}) depend on a value {other._trace.kind} "
                f"inside it ({other.aval.str_short()}). Build a new value in the inner function "
                f"instead: y = autovec.numpy.set_at(x, i, v) (or add_at, where, ...) returns "
                f"the updated value without writing into x."
            )
        if isinstance(other, Tracer) and not other._trace.alive:
            raise escaped_tracer_error(other)
        if type(other) is SharedTracer and other._trace is trace:
            other = other.val
        token = _current_trace.set(trace.parent)
        try:
            self.val, self.bdim = broadcast_batch(other, trace.axis_size), 0
        finally:
            _current_trace.reset(token)


class SharedTracer(BatchTracer):
    """A value every example of a vmap shares (an ``in_axes=None`` array argument, and what
    is computed from such values alone): ``val`` is the plain value, with no batch axis
    (``bdim`` is None).  Operations on shared values alone run as NumPy runs them, once
    (autovec/interpreters/shared.py); mixed with batched values they batch like any unbatched
    operand, so ``table[i]`` with a batched ``i`` is one vectorised gather."""

    __slots__ = ()

    def __init__(self, trace: BatchTrace, val: Any):
        BatchTracer.__init__(self, trace, val, None)  # type: ignore[arg-type]

    @property
    def aval(self) -> ShapedArray:
        return ShapedArray(self.val.shape, self.val.dtype)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.val.shape

    @property
    def ndim(self) -> int:
        return self.val.ndim


_PY_SCALARS = (int, float, complex, bool)  # weak scalars: they broadcast against anything
# The shared traced values of the vmap call in progress (``_vmap_call``), per thread.
_SHARED: ContextVar[dict[int, Any] | None] = ContextVar("autovec_shared", default=None)
_ALL = slice(None)

# Set (only for the duration of one bind) by an operator whose left operand is a dead
# temporary: its buffer may receive the result.  The decision that a value is a temporary,
# and whether this Python allows it at all, is the numpy layer's: autovec/numpy/_elision.py.
# A ContextVar, so that a bind in another thread or task never sees another's temporary.
elide_into: ContextVar[Any] = ContextVar("autovec_elide_into", default=None)
# Set by ``x[i] = v`` (autovec/numpy/indexing.py) while it computes the updated value that
# ``x`` then takes: a scatter into ``x`` may write into x's own buffer when nothing else
# refers to it, so that a per-example write costs per-example work, not a copy of the batch.
WRITE_INTO: Any = None
# Arrays smaller than this are not worth it: the allocator recycles small blocks cheaply.
_ELIDE_MIN_SIZE = 1 << 15


def _own_refs() -> int:
    """The reference count ``BatchTrace._elide`` sees for a buffer only its tracer holds
    (measured the same way: the tracer's attribute, one local variable, the call)."""
    holder = BatchTracer(None, np.empty(_ELIDE_MIN_SIZE), 0)  # type: ignore[arg-type]
    v = holder.val
    return sys.getrefcount(v)


# A fact of this interpreter, measured once at import.
_OWN_REFS = _own_refs()


class BatchTrace(Trace):
    """One ``vmap`` in progress: its batch size and name."""

    __slots__ = ("axis_size", "axis_name", "split", "shared")
    kind = "batched by vmap"

    def __init__(self, parent: Trace, axis_size: int, axis_name: Any = None):
        super().__init__(parent)
        self.axis_size = axis_size
        self.axis_name = axis_name
        self.split = None  # eager vmap: the split state (autovec/interpreters/split.py)
        # id -> value, for the traced values of enclosing transformations that every example
        # of the vmap call in progress shares (unbatched arguments, closed-over values): they
        # are never written here (``check_not_shared``).  One dict for all the call's traces.
        self.shared: dict[int, Any] = _SHARED.get() or {}

    def process_primitive(self, prim: Primitive, args: tuple, params: dict) -> Any:
        if WRITE_INTO is not None and prim is scatter_p and args[0] is WRITE_INTO:
            return self._scatter_into(args, params)
        target = elide_into.get()
        if target is not None:
            if not params and self.parent is EVAL_TRACE:
                out = self._elide(prim, target, args)
                if out is not None:
                    return out
            elif type(target) is BatchTracer and target._trace is self:
                # Nested vmap: the temporary's value is a tracer of the enclosing vmap, whose
                # buffer the enclosing trace may reuse when this rule binds the same ufunc.
                token = elide_into.set(target.val if isinstance(target.val, BatchTracer) else None)
                try:
                    return self._process(prim, args, params)
                finally:
                    elide_into.reset(token)
        return self._process(prim, args, params)

    def _process(self, prim: Primitive, args: tuple, params: dict) -> Any:
        # May the output be a view of the one operand (the primitive's ``output`` fact)?
        view = len(args) == 1 and prim.facts.output != FRESH
        if self.parent is EVAL_TRACE:  # eager vmap's hot paths: x * y, np.exp(x), x[i]
            # (On any error, the general path below runs it again and reports it its way:
            # one example's message, the failing lanes alone.)
            if not view and prim.xp_function is not None and not params:
                try:
                    out = self._call_ufunc(prim, args)
                except Exception:  # noqa: BLE001
                    out = None
                if out is not None:
                    return out
            elif prim is getitem_p:
                x = args[0]
                if type(x) is BatchTracer and x._trace is self and x.bdim == 0:
                    v = x.val
                    if type(v) is np.ndarray:  # what the rule computes, without its binds
                        try:
                            out = v[(_ALL, *to_slice_index(params["index"]))]
                        except Exception:  # noqa: BLE001
                            out = None
                        if out is not None:
                            t = BatchTracer(self, out, 0)
                            _link(t, x, prim, params)
                            return t
        vals = []
        dims = []
        batched = False
        shared = False
        for a in args:
            if type(a) is BatchTracer and a._trace is self:
                vals.append(a.val)
                dims.append(a.bdim)
                batched = True
            else:
                if isinstance(a, Tracer):
                    if type(a) is SharedTracer and a._trace is self:
                        a = a.val
                        shared = True
                    elif not a._trace.alive:
                        raise escaped_tracer_error(a, prim)
                vals.append(a)
                dims.append(None)
        token = _current_trace.set(self.parent)
        try:
            if not batched:
                out = prim.bind(*vals, **params)
                if view and id(args[0]) in self.shared:
                    self.shared[id(out)] = out  # a view of a shared value is shared too
                return _keep_shared(self, out, prim) if shared else out
            out, out_dim = prim.batch(self.axis_size, tuple(vals), tuple(dims), **params)
        except Exception as err:
            if self.split is not None and LANE_FAILURE is not None:
                LANE_FAILURE(self, prim, vals, dims, params, err)  # fails per lane, or splits
            if isinstance(err, (ValueError, IndexError)):
                _raise_for_one_example(prim, args, params, err)
            raise
        finally:
            _current_trace.reset(token)
        if prim.multiple_results:
            return tuple(o if d is None else BatchTracer(self, o, d) for o, d in zip(out, out_dim))
        if out_dim is None:
            return out
        t = BatchTracer(self, out, out_dim)
        if view:
            _link(t, args[0], prim, params)
        return t

    def _apply(self, prim: Primitive, x: BatchTracer, params: dict) -> tuple:
        """The batching rule of ``prim`` on ``x`` alone: its batched value and batch axis."""
        token = _current_trace.set(self.parent)
        try:
            return prim.batch(self.axis_size, (x.val,), (x.bdim,), **params)
        finally:
            _current_trace.reset(token)

    def _call_ufunc(self, prim: Primitive, args: tuple) -> BatchTracer | None:
        """The hot path of eager vmap, ``x * y`` and ``np.exp(x)`` on NumPy batches whose
        batch axes already line up (what the elementwise rule would leave as they are):
        call the primitive's ``impl`` on the batches directly, as the rule's ``bind`` would."""
        if prim.multiple_results or len(args) > 2:
            return None
        a = args[0]
        if type(a) is BatchTracer and a._trace is self:
            va, d = a.val, a.bdim
            if type(va) is not np.ndarray:
                return None
            if len(args) == 1:
                return BatchTracer(self, prim.impl(np, va), d)
            b = args[1]
            if type(b) is BatchTracer and b._trace is self:
                vb = b.val
                if b.bdim != d or type(vb) is not np.ndarray or vb.ndim != va.ndim:
                    return None
            elif type(b) in _PY_SCALARS:
                vb = b
            else:
                return None
        elif type(a) in _PY_SCALARS and len(args) == 2:
            b = args[1]
            if type(b) is not BatchTracer or b._trace is not self:
                return None
            va, vb, d = a, b.val, b.bdim
            if type(vb) is not np.ndarray:
                return None
        else:
            return None
        return BatchTracer(self, prim.impl(np, va, vb), d)

    def _scatter_into(self, args: tuple, params: dict) -> Any:
        """``scatter`` of ``x[i] = v``: in place when ``x``'s buffer is owned -- a whole,
        writeable, C-ordered array with the batch axis first that no other array, tracer or
        caller refers to (its reference count says so) -- and by a copy otherwise."""
        global _OWN_REFS
        target = args[0]
        if self.parent is not EVAL_TRACE or type(target) is not BatchTracer:
            return self._process(scatter_p, args, params)
        v = target.val
        if (
            target._trace is not self
            or target.bdim != 0
            or type(v) is not np.ndarray
            or v.base is not None
            or not v.flags.c_contiguous
            or not v.flags.writeable
        ):
            return self._process(scatter_p, args, params)
        if _OWN_REFS is None:
            _OWN_REFS = _own_refs()
        if sys.getrefcount(v) > _OWN_REFS:
            return self._process(scatter_p, args, params)  # a view or another value reads it
        del v
        scatter.WRITE_IN_PLACE = target.val
        try:
            return self._process(scatter_p, args, params)
        finally:
            scatter.WRITE_IN_PLACE = None

    def _elide(self, prim: Primitive, target: Any, args: tuple) -> BatchTracer | None:
        """Compute a ufunc into the buffer of the dead temporary ``target`` when that gives
        exactly the result a fresh array would hold; None to take the normal path."""
        name = prim.xp_function
        ufunc = getattr(np, name, None) if name else None
        if (
            not isinstance(ufunc, np.ufunc)
            or ufunc.nout != 1
            or type(target) is not BatchTracer
            or target._trace is not self
            or not any(a is target for a in args)
        ):
            return None
        v = target.val
        if type(v) is not np.ndarray or v.base is not None or not v.flags.writeable:
            return None
        if v.size < _ELIDE_MIN_SIZE:
            return None
        if sys.getrefcount(v) > _OWN_REFS:
            return None  # a view or another tracer still reads this buffer
        d, rank = target.bdim, v.ndim - 1
        vals = []
        for a in args:
            if type(a) is BatchTracer and a._trace is self:
                if a.bdim != d or a.val.ndim != v.ndim:
                    return None
                vals.append(a.val)
            elif isinstance(a, Tracer):
                return None
            else:
                if getattr(a, "ndim", 0) > rank - d:
                    return None
                vals.append(a)
        try:
            if np.broadcast_shapes(*(np.shape(x) for x in vals)) != v.shape:
                return None
            kinds = tuple(x.dtype if hasattr(x, "dtype") else type(x) for x in vals)
            if ufunc.resolve_dtypes((*kinds, None))[-1] != v.dtype:
                return None
        except (TypeError, ValueError):
            return None
        ufunc(*vals, out=v)
        return BatchTracer(self, v, d)


def _keep_shared(trace: BatchTrace, out: Any, prim: Primitive) -> Any:
    """A result computed from shared values alone is shared too: it stays a tracer so that
    indexing it with a batched value later (``logp[label]``) is vectorised."""
    if prim.multiple_results:
        return tuple(shared_value(trace, o) for o in out)
    return shared_value(trace, out)


def shared_value(trace: BatchTrace, x: Any) -> Any:
    """``x`` (a plain value every example of ``trace`` shares) as a ``SharedTracer`` when it
    is an ndarray; other values (NumPy scalars, outer tracers) as they are."""
    return SharedTracer(trace, x) if type(x) is np.ndarray else x


# ------------------------------------------------------------------ views and shared values
# A value made by a primitive whose output may be a view of its one operand (the ``output``
# fact) is linked to that operand.  Whether it is a view in NumPy -- and of which elements,
# and whether NumPy lets it be written -- is asked of NumPy itself, lazily, the first time a
# write needs to know: the primitive runs on a stand-in example holding each element's flat
# position, and on one laid out as the loop's example is (a reshape of a transpose copies).


def _link(t: BatchTracer, base: Any, prim: Primitive, params: dict) -> None:
    """Record that ``t``, just made by ``prim`` from ``base``, may be a view of it."""
    if type(base) is BatchTracer and base._trace is t._trace:
        _attach(t, base, prim, params)


def _attach(t: BatchTracer, base: BatchTracer, prim: Any, params: Any, state: Any = None) -> None:
    t._view = (base, prim, params, state)
    views = base._views
    if views is None:
        views = base._views = {}
    key = id(t)
    views[key] = weakref.ref(t, lambda _, views=views, key=key: views.pop(key, None))


def zero_d_view(x: Any, base: Any, index: tuple) -> Any:
    """``x``, the 0-d ``base[index]`` written with an Ellipsis (``a[0, ...]``): unlike
    ``a[0]`` (a NumPy scalar), a view in NumPy, so that writes through it reach ``base``."""
    if type(x) is BatchTracer and type(base) is BatchTracer and base._trace is x._trace:
        if x._view is not None:
            _detach(x)
        _attach(x, base, getitem_p, {"index": (*index, Ellipsis)})
    return x


def read_only(x: Any, base: Any = None, recompute: Callable[[Any], Any] | None = None) -> Any:
    """Mark ``x`` as a read-only view, as NumPy returns it (``diagonal``): writes into it
    raise NumPy's ValueError instead of being lost.  With ``base`` (the array it views) and
    ``recompute`` (which makes ``x`` from ``base`` again), a write into ``base`` reaches it.
    Returns ``x``."""
    if type(x) is not BatchTracer:
        return x
    x._readonly = True
    if type(base) is BatchTracer and base._trace is x._trace and recompute is not None:
        if x._view is not None:
            _detach(x)
        _attach(x, base, None, recompute, "composite")
    return x


def _resolve(t: BatchTracer) -> bool:
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


def _view_kind(base: BatchTracer, prim: Primitive, params: dict) -> tuple[str | None, bool]:
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


def _prepare_write(t: BatchTracer) -> list[BatchTracer]:
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


def _write_through(t: BatchTracer, chain: list[BatchTracer]) -> None:
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


def _refresh(root: BatchTracer) -> None:
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
            if prim is None:  # a read-only view made by a composition (``read_only``)
                token = _current_trace.set(trace)
                try:
                    new = params(node)
                finally:
                    _current_trace.reset(token)
                child.val, child.bdim = new.val, new.bdim
            else:
                child.val, child.bdim = trace._apply(prim, node, params)
            stack.append(child)


def _detach(view: BatchTracer) -> None:
    base = view._view[0]
    view._view = None
    if base._views:
        base._views.pop(id(view), None)


def _loop_layout(t: BatchTracer) -> np.ndarray:
    """A stand-in for ``t``'s example with the strides the loop's array would have (over a
    zeroed scratch buffer): what NumPy decides copy-or-view by."""
    if t._view is None or t._view[1] is None or t._view[3] is None and not _resolve(t):
        val = t.val
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


def check_not_shared(x: Any) -> None:
    """Raise ``SharedStateWriteError`` when ``x`` is a value that every example of a vmap in
    progress shares (an unbatched argument or a closed-over value of an enclosing
    transformation): the loop would write it once per example."""
    t = _current_trace.get()
    home = x._trace
    while t is not None and t is not home:
        if type(t) is BatchTrace and id(x) in t.shared:
            raise errors.SharedStateWriteError(_SHARED_MESSAGE)
        t = t.parent


_SHARED_MESSAGE = (
    "The function wrote into an array that every example shares (an argument with "
    "in_axes=None, or an array it closes over or reads as a global). The loop would write "
    "it once per example, each example seeing the writes of the ones before; vmap runs the "
    "function once for the whole batch and cannot. Write into a copy made inside the "
    "function (x = x.copy(), then x += 1), build a new array (x = x + 1, or "
    "y = autovec.numpy.set_at(x, i, v) for x[i] = v), or batch the argument (in_axes=0) if "
    "each example needs its own."
)


def write_into(x: Tracer, index: Any, value: Any, update: Callable[..., Any]) -> None:
    """``x[index] = value``: ``x`` takes ``update(x, index, value)`` (the updated value), which
    eager vmap computes in ``x``'s own buffer where nothing else refers to it."""
    global WRITE_INTO
    if type(x) is BatchTracer and write_basic(x, index, value):
        return
    outer = WRITE_INTO
    WRITE_INTO = x  # a scatter into x may write into x's buffer (BatchTrace._scatter_into)
    try:
        new = update(x, index, value)
    finally:
        WRITE_INTO = outer
    x._become(new)


def write_basic(x: BatchTracer, index: Any, value: Any) -> bool:
    """``x[index] = value`` written straight into ``x``'s own buffer, as NumPy writes into an
    array, for the common case: eager vmap, an index of in-range ints and slices, a Python
    scalar or a batched value of the indexed example's shape (or 0-d), and a buffer that is a
    whole, writeable, C-ordered array with the batch axis first that no other array, tracer
    or caller refers to (its reference count says so).  False (nothing written) otherwise:
    the general path (``autovec.numpy.indexing.update``) then handles it."""
    global _OWN_REFS
    trace = x._trace
    if trace.parent is not EVAL_TRACE or x.bdim != 0 or _current_trace.get() is not trace:
        return False
    if x._readonly or x._view is not None:
        return False  # the general path raises NumPy's error, or writes through to the base
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
    if _OWN_REFS is None:
        _OWN_REFS = _own_refs()
    if sys.getrefcount(v) > _OWN_REFS:
        return False  # a view or another value reads this buffer: the update makes a new one
    v[(_ALL, *items)] = src
    if x._views:
        _refresh(x)
    return True


def _raise_for_one_example(prim: Primitive, args: tuple, params: dict, err: Exception) -> None:
    """A shape error inside a batching rule speaks of the batched arrays (their extra axis,
    their shapes).  Run the primitive on stand-ins shaped like ONE example and raise NumPy's
    own error for that, which is what the user's code would get in the loop; if that does
    not reproduce the error, the caller re-raises the original."""
    stand_ins = []
    size = 0
    for a in args:
        if isinstance(a, Tracer):
            aval = a.aval
            size += aval.size
            a = np.broadcast_to(np.zeros((), aval.dtype), aval.shape)  # no memory
        stand_ins.append(a)
    if size > 10_000_000:  # not worth recomputing a huge example just for a message
        return
    if not all(_plain_param(v) for v in params.values()):
        return  # a sub-program (jit, control flow) could loop forever on stand-in values
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = prim.impl(np, *stand_ins, **params)
    except type(err) as one_example_err:
        raise one_example_err from None
    except Exception:  # noqa: BLE001  (a different failure: keep the original error)
        return
    rank = max(np.ndim(o) for o in (out if prim.multiple_results else (out,)))
    if rank >= MAX_DIMS:  # fine for one example; the batch axis is one too many
        raise errors.TooManyDimensionsError(
            f"{prim.name} gives each example {rank} axes, and with the batch axis that is "
            f"{rank + 1}: more than the {MAX_DIMS} a NumPy array can have. Inside vmap a value "
            f"can have at most {MAX_DIMS - 1} axes per example (one fewer per enclosing "
            f"vmap); merge axes with reshape, or loop over the examples without vmap."
        ) from err


def _plain_param(v: Any) -> bool:
    if isinstance(v, tuple):
        return all(_plain_param(x) for x in v)
    return v is None or isinstance(v, (bool, int, float, complex, str, np.dtype, np.generic))


# -------------------------------------------------------------------------------- vmap


def _check_axis_spec(axis: Any, what: str) -> None:
    if axis is not None and not (
        isinstance(axis, (int, np.integer)) and not isinstance(axis, bool)
    ):
        raise errors.InAxesStructureError(
            f"vmap {what} entries must be int or None, got {axis!r} ({type(axis).__name__})."
        )


def _arg_names(fun: Callable) -> list[str] | None:
    try:
        params = inspect.signature(fun).parameters.values()
    except (TypeError, ValueError):
        return None
    names = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            names.append(f"*{p.name}")
            break
    return names


def _describe_arg(names: list[str] | None, i: int, path: str, kwarg: str | None) -> str:
    if kwarg is not None:
        return f"keyword argument {kwarg!r}" + (f" at {path}" if path else "")
    name = ""
    if names:
        name = (
            f" ({names[min(i, len(names) - 1)]})"
            if i < len(names) or names[-1].startswith("*")
            else ""
        )
    return f"argument {i}{name}" + (f" at path {path}" if path else "")


def _leaf_shape(x: Any) -> tuple[int, ...]:
    if isinstance(x, np.ndarray):  # subclasses too: np.shape may dispatch to their override
        return x.shape
    return tuple(np.shape(x)) if not isinstance(x, Tracer) else x.shape


def vmap(
    fun: Callable,
    in_axes: Any = 0,
    out_axes: Any = 0,
    *,
    axis_size: int | None = None,
    axis_name: Any = None,
    fallback: str = "warn",
    randomness: str = "loop",
    ragged: str = "error",
    chunk_size: int | None = None,
    max_memory: int | str | None = None,
    progress: bool | None = None,
) -> Callable:
    """Vectorise ``fun`` over a batch axis (JAX's ``vmap``, on NumPy arrays).

    ``fun`` is written for ONE example.  ``in_axes`` says, for each positional argument (a
    pytree prefix: an int, ``None`` for unbatched, or a tuple/list/dict of those), which axis
    holds the batch; keyword arguments are batched along axis 0.  ``out_axes`` says where the
    batch axis goes in each output (``None``: the output must not depend on the batch).
    ``axis_size`` gives the batch size when no argument is batched.

    The result equals ``numpy.stack([fun(x) for x in xs])`` but runs as whole-batch NumPy
    operations.  Where the examples diverge (an ``if``/``while`` on a batched value,
    ``float(x)``, ``np.asarray(x)``, an operation failing for some examples only), the batch
    splits into groups of examples that continue separately, as the loop would (see
    docs/semantics.md).  ``fallback`` says what happens where NumPy offers no hook and the
    examples continue one group per distinct value (``np.asarray``, ``float``, ``.item()``,
    ...): ``"warn"`` (one ``FallbackWarning`` per call site), ``"loop"`` (silently) or
    ``"error"`` (raise).  ``randomness`` says what draws from a ``numpy.random`` generator
    the function reaches give: ``"loop"`` (each example draws what the loop would, and the
    generator ends in the loop's state), ``"same"`` (one draw shared by every example) or
    ``"error"`` (``RandomnessError``); see docs/semantics.md.  ``ragged`` says what happens
    when the examples' outputs differ in shape or structure: ``"error"`` (a
    ``SplitOutputMismatchError`` naming the examples and their shapes) or ``"list"`` (the
    result is always the list of per-example results, ``[fun(x) for x in xs]``).
    ``chunk_size=N`` runs the batch N examples at a time, ``max_memory`` (bytes, or a string
    such as ``"2GB"``) chooses the chunk size so the run stays under that budget, and
    ``progress`` shows a tqdm bar for long chunked runs (None: when standard error is a
    terminal); the result is the unchunked one (docs/scale.md).

    >>> import numpy as np, autovec, autovec.numpy as anp
    >>> def convolve(x, w):
    ...     return anp.array([np.dot(x[i - 1:i + 2], w) for i in range(1, len(x) - 1)])
    >>> xs = np.stack([np.arange(5.0), np.arange(5.0) * 2])
    >>> autovec.vmap(convolve, in_axes=(0, None))(xs, np.array([2.0, 3.0, 4.0]))
    array([[11., 20., 29.],
           [22., 40., 58.]])
    """
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if not callable(fun):
        raise TypeError(f"vmap expects a callable, got {type(fun).__name__}")
    for a in tree_flatten(in_axes, is_leaf=lambda x: x is None)[0]:
        _check_axis_spec(a, "in_axes")
    for a in tree_flatten(out_axes, is_leaf=lambda x: x is None)[0]:
        _check_axis_spec(a, "out_axes")
    if axis_size is not None:
        if isinstance(axis_size, bool) or not isinstance(axis_size, (int, np.integer)):
            raise errors.AxisSizeError(
                f"vmap axis_size must be a non-negative int (the batch size), got "
                f"{axis_size!r} ({type(axis_size).__name__})."
            )
        if axis_size < 0:
            raise errors.AxisSizeError(f"vmap axis_size must be non-negative, got {axis_size}.")
        axis_size = int(axis_size)
    if fallback not in ("warn", "loop", "error"):
        raise errors.OptionError(
            f"vmap fallback must be 'warn', 'loop' or 'error', got {fallback!r}."
        )
    if randomness not in ("loop", "same", "error"):
        raise errors.OptionError(
            f"vmap randomness must be 'loop', 'same' or 'error', got {randomness!r}."
        )
    if ragged not in ("error", "list"):
        raise errors.OptionError(f"vmap ragged must be 'error' or 'list', got {ragged!r}.")
    if ragged == "list" and out_axes != 0:
        raise errors.OptionError(
            "vmap ragged='list' returns one result per example, which has no batch axis: "
            "leave out_axes at 0."
        )
    chunking = None
    if chunk_size is not None or max_memory is not None or progress is not None:
        if CHUNK_OPTIONS is None:
            raise errors.OptionError("vmap chunking needs autovec.interpreters.chunking")
        chunking = CHUNK_OPTIONS(chunk_size, max_memory, progress, randomness)
    names = _arg_names(fun)

    @functools.wraps(fun, updated=())
    def vmapped(*args: Any, **kwargs: Any) -> Any:
        return _vmap_call(
            fun,
            in_axes,
            out_axes,
            axis_size,
            axis_name,
            names,
            args,
            kwargs,
            fallback,
            randomness,
            ragged,
            chunking,
        )

    vmapped.__wrapped__ = fun
    return vmapped


def _flatten_with_axes(in_axes: Any, args: tuple, kwargs: dict) -> tuple:
    """Flatten ``(args, kwargs)``; return leaves, each leaf's axis, and the two treedefs."""
    if isinstance(in_axes, tuple) and len(in_axes) != len(args):
        raise errors.InAxesStructureError(
            f"vmap in_axes is a tuple of length {len(in_axes)}, but the function was called "
            f"with {len(args)} positional argument(s). Give one entry per positional argument "
            f"(or a single int/None for all of them)."
        )
    if isinstance(in_axes, dict):
        raise errors.InAxesStructureError(
            "vmap in_axes at the top level must be an int, None, or a tuple/list with one "
            "entry per positional argument; wrap the dict in a tuple: in_axes=({...},)."
        )
    leaves, args_def = tree_flatten(args)
    if in_axes is None or isinstance(in_axes, int):
        axes = [in_axes] * len(leaves)
    else:
        axes = broadcast_prefix(in_axes, args, what="in_axes")
    kw_def = None
    if kwargs:  # JAX maps keyword arguments along axis 0
        kw_leaves, kw_def = tree_flatten(kwargs)
        leaves = leaves + kw_leaves
        axes = axes + [0] * len(kw_leaves)
    return leaves, axes, args_def, kw_def


def _vmap_call(
    fun,
    in_axes,
    out_axes,
    axis_size,
    axis_name,
    names,
    args,
    kwargs,
    fallback="warn",
    randomness="loop",
    ragged="error",
    chunking=None,
):
    leaves, axes, args_def, kw_def = _flatten_with_axes(in_axes, args, kwargs)

    # Normalise axes, find the batch size; errors name the argument and its path.
    sizes: list[tuple[int, tuple, int, int]] = []
    norm_axes: list[int | None] = []
    for i, (leaf, ax) in enumerate(zip(leaves, axes)):
        if ax is None:
            norm_axes.append(None)
            continue
        shape = leaf.shape if type(leaf) is np.ndarray else _leaf_shape(leaf)
        if not -len(shape) <= ax < len(shape):
            described = _describe_leaves(names, args, kwargs)
            # in_axes covers positional arguments only: keyword arguments are always mapped.
            if i >= args_def.num_leaves:
                kw = [k for k in sorted(kwargs) for _ in tree_flatten(kwargs[k])[0]]
                unbatched = (
                    f"pass it positionally with in_axes=None for it, or fix it before vmap "
                    f"with functools.partial(f, {kw[i - args_def.num_leaves]}=value) (keyword "
                    f"arguments are always mapped)"
                )
            else:
                unbatched = (
                    "pass it with in_axes=None for that argument, or let the function close over it"
                )
            if not _is_array_like(leaf):
                raise errors.BatchAxisError(
                    f"vmap cannot map over {described[i]}: it is a {type(leaf).__name__} "
                    f"({_short_repr(leaf)}), not an array. vmap maps over arrays (and "
                    f"tuples/lists/dicts of arrays); to give every example the same value, "
                    f"{unbatched}."
                )
            raise errors.BatchAxisError(
                f"vmap in_axes {ax} is out of range for {described[i]} with shape {shape}: "
                f"a {len(shape)}-d value has axes {-len(shape)}..{len(shape) - 1}"
                + (f" (none: a scalar cannot be mapped; {unbatched})" if not shape else "")
                + "."
            )
        ax = ax % len(shape)
        norm_axes.append(ax)
        sizes.append((i, shape, ax, shape[ax]))
    size_set = {s[3] for s in sizes}
    if axis_size is not None and size_set and size_set != {axis_size}:
        size_set.add(axis_size)
    if len(size_set) > 1:
        described = _describe_leaves(names, args, kwargs)
        lines = "\n".join(
            f"  {described[i]}: shape {sh}, axis {ax} has size {n}" for i, sh, ax, n in sizes
        )
        extra = f"\n  axis_size={axis_size} was given" if axis_size is not None else ""
        raise errors.BatchSizeMismatchError(
            f"vmap got inconsistent sizes for the mapped axis (sizes seen: "
            f"{sorted(size_set)}):\n{lines}{extra}\nEvery mapped argument must have the same "
            f"size along its in_axes axis; pass arguments that are shared by all examples "
            f"with in_axes=None."
        )
    if not size_set:
        if axis_size is None:
            raise errors.AxisSizeError(
                "vmap has nothing to map over: every in_axes entry is None (or there are no "
                "arguments), so the batch size is unknown. Pass axis_size=N to vmap, or map at "
                "least one argument."
            )
        n = axis_size
    else:
        (n,) = size_set

    n_args = args_def.num_leaves

    def call(in_vals: list) -> Any:
        if kw_def is None:
            return _resolve_outputs(fun(*tree_unflatten(args_def, in_vals)))
        return _resolve_outputs(
            fun(
                *tree_unflatten(args_def, in_vals[:n_args]),
                **tree_unflatten(kw_def, in_vals[n_args:]),
            )
        )

    # Every run of the function (batched, per group, lane by lane, per chunk or block) sees
    # the shared arrays read-only and the shared traced values listed ("shared arrays" below).
    shared: dict[int, Any] = {}
    reachable = [leaf for leaf, ax in zip(leaves, norm_axes) if ax is None] + _reachable(fun)
    protected = _protect(shared, reachable)
    token = _SHARED.set(shared)
    try:
        rest = (axis_name, out_axes, fallback, randomness, fun) + (
            (ragged,) if ragged != "error" else ()
        )
        if IS_DASK is not None and any(IS_DASK(x) for x in leaves):
            if randomness == "loop":  # the blocks cannot continue one stream: draws raise
                rest = (axis_name, out_axes, fallback, "dask", fun) + rest[5:]

            def run_block(*block: Any) -> Any:  # one block's examples, on a dask worker
                m = next((np.shape(x)[a] for x, a in zip(block, norm_axes) if a is not None), n)
                return _run(call, list(block), norm_axes, m, rest, chunking)

            return RUN_DASK(run_block, leaves, norm_axes, n, out_axes)
        return _run(call, leaves, norm_axes, n, rest, chunking)
    except ValueError as err:
        if protected and "read-only" in str(err) and _wrote_into(err, protected):
            raise errors.SharedStateWriteError(_SHARED_MESSAGE) from err
        raise
    finally:
        _SHARED.reset(token)
        _unprotect(protected)


def _run(call, leaves, axes, n, rest, chunking) -> Any:
    if chunking is not None and (chunking[0] is not None or chunking[1] is not None):
        return RUN_CHUNKED(RUN_VMAP, chunking, call, leaves, axes, n, *rest)
    try:
        return RUN_VMAP(call, leaves, axes, n, *rest)
    except MemoryError as err:
        if OUT_OF_MEMORY is None or isinstance(err, errors.VmapMemoryError):
            raise
        raise OUT_OF_MEMORY(err, n) from err


def _run_unsplit(
    call, leaves, axes, axis_size, axis_name, out_axes, fallback, randomness="loop", fun=None
) -> Any:
    """Run ``call`` on the flat argument leaves, batched along ``axes``, once."""
    trace = BatchTrace(_current_trace.get(), axis_size, axis_name)
    in_vals = [
        _unbatched_input(leaf, trace) if ax is None else BatchTracer(trace, _as_array(leaf), ax)
        for leaf, ax in zip(leaves, axes)
    ]
    token = _current_trace.set(trace)
    try:
        out = call(in_vals)
    except ValueError as err:
        raise_numpy_write_error(err)
        raise
    finally:
        _current_trace.reset(token)
        trace.alive = False
    return _finish_outputs(trace, out, out_axes, leaves)


# Loop-faithful vmap (batch splits, per-lane fallback, exceptions per lane) lives in
# autovec/interpreters/split.py, which builds on this module and installs itself here.
RUN_VMAP: Callable[..., Any] = _run_unsplit
# Chunked vmap (chunk_size=, max_memory=) lives in autovec/interpreters/chunking.py, which
# installs these: the options' check, the chunked runner, the out-of-memory error.
CHUNK_OPTIONS: Callable[..., tuple] | None = None
RUN_CHUNKED: Callable[..., Any] = None  # type: ignore[assignment]
OUT_OF_MEMORY: Callable[..., BaseException] | None = None
# Dask arrays in: autovec/dask.py builds a graph running one block of examples per task.
IS_DASK: Callable[[Any], bool] | None = None
RUN_DASK: Callable[..., Any] = None  # type: ignore[assignment]
LANE_FAILURE: Callable[..., None] | None = None


# ---------------------------------------------------------------------- shared arrays
# What every example shares -- unbatched arguments, arrays the function closes over or reads
# as globals -- would be written once per example by the loop, each example seeing the writes
# of those before it; vmap runs the function once.  Such arrays are read-only while the
# function runs (NumPy then refuses the write, and vmap says why), and such traced values of
# enclosing transformations are listed in the trace (``check_not_shared``).


def _reachable(fun: Any) -> list:
    """The values ``fun`` can reach without arguments: its closure cells, default values and
    the globals its code names (and those of the functions it reaches so, up to a few levels;
    the arguments of a ``functools.partial``; the attributes of a bound method's object)."""
    found: list = []
    seen: set[int] = set()
    todo = [(fun, 0)]
    while todo:
        f, depth = todo.pop()
        if depth > 3 or id(f) in seen:
            continue
        seen.add(id(f))
        kind = type(f)
        if kind is types.FunctionType:
            wrapped = f.__dict__.get("__wrapped__") if f.__dict__ else None
            if wrapped is not None:  # functools.wraps: the function it stands for
                todo.append((wrapped, depth + 1))
            values = [c.cell_contents for c in f.__closure__ or () if _filled(c)]
            values.extend(f.__defaults__ or ())
            if f.__kwdefaults__:
                values.extend(f.__kwdefaults__.values())
            g = f.__globals__
            values.extend(g[name] for name in _global_names(f.__code__) if name in g)
            for v in values:
                if type(v) is types.FunctionType and v.__globals__ is g:  # the user's helpers
                    todo.append((v, depth + 1))
                else:
                    found.append(v)
        elif kind is functools.partial:
            found.extend(f.args)
            found.extend(f.keywords.values())
            todo.append((f.func, depth + 1))
        elif kind is types.MethodType:
            found.extend(_attributes(f.__self__))
            todo.append((f.__func__, depth + 1))
        elif callable(f) and not isinstance(f, type) and hasattr(f, "__dict__"):
            found.extend(_attributes(f))  # a callable object: its state
            todo.append((type(f).__call__, depth + 1))
    return found


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018
    except ValueError:  # a cell not yet assigned
        return False
    return True


def _attributes(obj: Any) -> list:
    d = getattr(obj, "__dict__", None)
    return list(d.values()) if isinstance(d, dict) else []


@functools.lru_cache(maxsize=1024)
def _global_names(code: Any) -> tuple[str, ...]:
    """The global names ``code`` (and the code nested in it: lambdas, comprehensions) uses."""
    names = list(code.co_names)
    for c in code.co_consts:
        if inspect.iscode(c):
            names.extend(_global_names(c))
    return tuple(dict.fromkeys(names))


def _protect(shared: dict[int, Any], values: list) -> list[np.ndarray]:
    """Make the writeable ndarrays among ``values`` (and inside small lists, tuples and
    dicts among them) read-only, and list the tracers in ``shared``; returns the arrays to
    make writeable again."""
    protected: list[np.ndarray] = []
    stack = list(values)
    depth_left = len(stack)
    while stack:
        v = stack.pop()
        depth_left -= 1
        if isinstance(v, np.ndarray):
            if v.flags.writeable:
                v.setflags(write=False)
                protected.append(v)
        elif isinstance(v, Tracer):
            shared[id(v)] = v
        elif depth_left >= 0 and type(v) in (list, tuple, dict) and len(v) <= 64:
            stack.extend(v.values() if type(v) is dict else v)  # one level into containers
    return protected


def _unprotect(protected: list[np.ndarray]) -> None:
    # A view can only be made writeable again once its base is: retry until all are.
    todo = protected
    while todo:
        left = []
        for a in todo:
            try:
                a.setflags(write=True)
            except ValueError:
                left.append(a)
        if len(left) == len(todo):
            return
        todo = left


def _wrote_into(err: BaseException, protected: list[np.ndarray]) -> bool:
    """Whether the failed write that raised ``err`` went into a protected array: a
    read-only array sharing its memory is in reach of the frame that raised."""
    tb = err.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame = tb.tb_frame
    values = list(frame.f_locals.values())
    values.extend(frame.f_globals.get(name) for name in frame.f_code.co_names)
    for v in list(values):  # one level into containers and objects, as _protect looks
        values.extend(_attributes(v))
        if type(v) in (list, tuple, dict) and len(v) <= 64:
            values.extend(v.values() if type(v) is dict else v)
    return any(
        isinstance(v, np.ndarray)
        and not v.flags.writeable
        and any(np.may_share_memory(v, p) for p in protected)
        for v in values
    )


def _is_array_like(x: Any) -> bool:
    return isinstance(x, (np.ndarray, np.generic, int, float, complex, Tracer)) or hasattr(
        x, "__array_namespace__"
    )


def _short_repr(x: Any, limit: int = 40) -> str:
    r = repr(x)
    return r if len(r) <= limit else r[: limit - 3] + "..."


def _output_name(path: str) -> str:
    return f"the output at {path}" if path else "the output"


def _as_array(x: Any) -> Any:
    if type(x) is np.ndarray or isinstance(x, Tracer):
        return x
    if isinstance(x, np.ndarray):
        return plain_ndarray(x, "vmap")  # a subclass: only if it changes nothing
    if hasattr(x, "__array_namespace__"):
        return x
    return np.asarray(x)


# The in_axes=None arrays of each vmap run (the caller's: writes must not reach them).
SHARED_INPUTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _unbatched_input(x: Any, trace: BatchTrace | None = None) -> Any:
    if type(x) is not np.ndarray and isinstance(x, np.ndarray):
        x = plain_ndarray(x, "vmap")
    if trace is not None and type(x) is np.ndarray:
        inputs = SHARED_INPUTS.get(trace)
        if inputs is None:
            SHARED_INPUTS[trace] = inputs = []
        inputs.append(x)
        return SharedTracer(trace, x)  # the same for every example, and indexable by them
    return x


def _describe_leaves(names, args, kwargs) -> list[str]:
    out = []
    for i, a in enumerate(args):
        for path, _ in tree_flatten_with_path(a)[0]:
            out.append(_describe_arg(names, i, path, None))
    for k in sorted(kwargs):
        for path, _ in tree_flatten_with_path(kwargs[k])[0]:
            out.append(_describe_arg(names, 0, path, k))
    return out


def _aliases(val: np.ndarray, inputs: Any, results: list, handed_out: set[int]) -> bool:
    if val.base is None:  # owns its memory: an alias only if it is that very array
        return id(val) in handed_out or any(val is x for x in inputs)
    return any(type(x) is np.ndarray and np.may_share_memory(val, x) for x in (*inputs, *results))


def _remember(val: np.ndarray, handed_out: set[int]) -> None:
    b: Any = val
    while b is not None:  # the array and every array it views
        handed_out.add(id(b))
        b = getattr(b, "base", None)


def _as_stacked(val: Any, scalar_examples: bool) -> Any:
    """The dtype the loop's ``np.stack`` gives: native byte order; and for 0-d object
    examples (a Python object per example in the loop) the dtype NumPy infers from those
    objects (floats give float64)."""
    if val.dtype.kind == "O" and scalar_examples:
        return _infer_object_dtype(val)
    if val.dtype.isnative:
        return val
    return convert_element_type_p.bind(val, dtype=val.dtype.newbyteorder("="))


def _infer_object_dtype(val: Any) -> Any:
    if type(val) is BatchTracer:  # an outer vmap's value: convert what it holds
        return BatchTracer(val._trace, _infer_object_dtype(val.val), val.bdim)
    if type(val) is not np.ndarray:
        raise errors.UnsupportedOperationError(
            "This vmap returns one Python object per example (an object-dtype 0-d value), "
            "and the loop's np.stack infers the dtype from those objects' values, which a "
            "traced program (jit) does not know. Convert inside the function (for example "
            ".astype(float)), or call the vmap without jit around it."
        )
    elems = [np.asarray(o) for o in val.reshape(-1)]
    if not elems:
        return val
    return np.stack(elems).reshape(val.shape + elems[0].shape)


def _resolve_outputs(out: Any) -> Any:
    """``out`` with stand-ins for batched values (``x[mask]`` of ``autovec.numpy``) turned into
    values by their ``__autovec_output__`` method, while the function's trace is still
    current: that may split the batch, which only works inside the run."""
    if isinstance(out, (Tracer, np.ndarray)):
        return out  # the common case: no flatten
    leaves, out_def = tree_flatten(out)
    if not any(hasattr(type(leaf), "__autovec_output__") for leaf in leaves):
        return out
    return tree_unflatten(
        out_def,
        [
            leaf.__autovec_output__() if hasattr(type(leaf), "__autovec_output__") else leaf
            for leaf in leaves
        ],
    )


def _finish_outputs(trace: BatchTrace, out: Any, out_axes: Any, inputs: list = ()) -> Any:
    leaves, out_def = tree_flatten(out)
    if isinstance(out_axes, list):
        out_axes_tree = out_axes if isinstance(out, list) else tuple(out_axes)
    else:
        out_axes_tree = out_axes
    if out_axes_tree is None or type(out_axes_tree) is int:
        axes = [out_axes_tree] * len(leaves)  # the common case: no second flatten
    else:
        axes = broadcast_prefix(out_axes_tree, out, what="out_axes")
    paths = None
    results: list = []
    handed_out: set[int] = set()
    for i, (leaf, ax) in enumerate(zip(leaves, axes)):
        if type(leaf) is SharedTracer and leaf._trace is trace:
            leaf = leaf.val  # the same for every example: broadcast (or returned as is)
        batched = type(leaf) is BatchTracer and leaf._trace is trace
        if ax is None:
            if batched:
                paths = paths or [p for p, _ in tree_flatten_with_path(out)[0]]
                raise errors.OutAxesError(
                    f"vmap out_axes=None was given for {_output_name(paths[i])}, but it "
                    f"depends on the batch (it is batched, one value per example). Use an "
                    f"integer out_axes for it, or reduce over the examples inside the function."
                )
            results.append(leaf)
            continue
        if batched:
            val, bdim = leaf.val, leaf.bdim
        else:
            if isinstance(leaf, Tracer) and not leaf._trace.alive:
                raise escaped_tracer_error(leaf)
            val = broadcast_batch(_as_array(leaf), trace.axis_size)
            bdim = 0
        ndim = val.ndim
        if not -ndim <= ax < ndim:
            paths = paths or [p for p, _ in tree_flatten_with_path(out)[0]]
            raise errors.BatchAxisError(
                f"vmap out_axes {ax} is out of range for {_output_name(paths[i])} of shape "
                f"{tuple(val.shape[:bdim] + val.shape[bdim + 1 :])}: with the batch axis it has "
                f"{ndim} axes, so out_axes must be in {-ndim}..{ndim - 1}."
            )
        val = moveaxis(val, bdim, ax % ndim)
        if not val.dtype.isnative or val.dtype.kind == "O":
            val = _as_stacked(val, ndim == 1)
        if type(val) is np.ndarray:
            # The loop's np.stack gives a fresh, writable array per output: copy a read-only
            # broadcast view, and an output that shares memory with an argument or with an
            # output already handed out (the identity function, a slice of the input, (a, a)),
            # so that writing into one result never changes another array.
            if not val.flags.writeable or _aliases(val, inputs, results, handed_out):
                val = val.copy()
            _remember(val, handed_out)
        elif isinstance(val, Tracer) and not isinstance(val, BatchTracer):
            # Staged (jit(vmap(f))): whether it aliases is known only to jit, which drops
            # this copy where nobody can tell (a temporary nothing else reads).
            val = copy_p.bind(val)
        results.append(val)
    return tree_unflatten(out_def, results)
