"""The batching interpreter's core: ``BatchTracer``, ``SharedTracer`` and ``BatchTrace``.

A ``BatchTracer`` holds a value with one extra axis (``bdim``) that runs over the examples.
``BatchTrace.process_primitive`` unwraps its own tracers, makes the parent trace current and
calls the primitive's batching rule, which binds ordinary primitives on whole-batch values.
Values that are not this trace's tracers (constants, unbatched arguments, outer tracers) are
unbatched: they pass through with ``bdim=None`` and are never broadcast unless a rule must.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import numpy as np

from autovec import errors, parallel
from autovec.backends import namespace_of, numpy_dtype
from autovec.core import (
    EVAL_TRACE,
    MAX_DIMS,
    Primitive,
    ShapedArray,
    Trace,
    Tracer,
    _current_trace,
    escaped_tracer_error,
)
from autovec.interpreters import batch_views
from autovec.interpreters.batch_fast import EAGER, eager_facts
from autovec.interpreters.batch_views import _attach, _prepare_write, _write_through
from autovec.ir import Program, Var, eval_program
from autovec.prims import scatter
from autovec.prims.base import FRESH
from autovec.prims.elementwise import PYTHON_SCALAR_CHECK
from autovec.prims.scatter import scatter_p
from autovec.prims.shape import broadcast_batch


class BatchTracer(Tracer):
    """A batched value: ``val`` holds every example, stacked along axis ``bdim``."""

    __slots__ = ("val", "bdim", "_view", "_views", "_readonly", "__weakref__")
    VIEWS_LINKED = True  # views of it are linked to it (batch_views)

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
        if type(shape) is not tuple:  # (torch.Size: see ``shape``)
            shape = tuple(shape)
        d = self.bdim
        return ShapedArray(shape[:d] + shape[d + 1 :], self.val.dtype)

    @property
    def shape(self) -> tuple[int, ...]:
        shape = self.val.shape
        if type(shape) is not tuple:  # torch.Size: slicing it builds torch.Size objects, slowly
            shape = tuple(shape)
        d = self.bdim
        return shape[:d] + shape[d + 1 :]

    @property
    def dtype(self) -> np.dtype:
        dtype = self.val.dtype
        return dtype if isinstance(dtype, np.dtype) else numpy_dtype(dtype)  # torch's dtype

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

    def _reset(self, other: BatchTracer) -> None:
        self.val, self.bdim = other.val, other.bdim

    def _reapply(self, prim: Primitive, base: BatchTracer, params: dict) -> None:
        self.val, self.bdim = self._trace._apply(prim, base, params)

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
    VIEWS_LINKED = False

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
_ALL = slice(None)
# The shared traced values of the vmap call in progress (``_vmap_call``), per thread.
_SHARED: ContextVar[dict[int, Any] | None] = ContextVar("autovec_shared", default=None)

# Set (only for the duration of one bind) by an operator whose left operand is a dead
# temporary: its buffer may receive the result.  The decision that a value is a temporary,
# and whether this Python allows it at all, is the numpy layer's: autovec/numpy/_elision.py.
# A ContextVar, so that a bind in another thread or task never sees another's temporary.
elide_into: ContextVar[Any] = ContextVar("autovec_elide_into", default=None)
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
    # A group of a split run replaying the record (split_replay.ContinuingBatchTrace):
    # the operators of its tracers go straight to the record.
    replaying = False

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
        write_into = batch_views.WRITE_INTO
        if write_into is not None and prim is scatter_p and args[0] is write_into:
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
        facts = EAGER.get(prim)
        if facts is None:
            facts = eager_facts(prim)
        np_function, front, may_view, inline, impl = facts
        if inline and _returns_views(params["program"]):
            # A jitted function that may return views of its arguments: its equations run
            # here one by one, so that those views are linked to the arguments as eagerly.
            token = _current_trace.set(self)
            try:
                return tuple(eval_program(params["program"], args))
            finally:
                _current_trace.reset(token)
        # May the output be a view of the one operand (the primitive's ``output`` fact)?
        view = may_view and len(args) == 1
        if self.parent is EVAL_TRACE and prim.impl is impl:  # (not a replaced impl: a spy)
            # Eager vmap's hot paths: x * y, np.exp(x), x[i].  (On any error, the general
            # path below runs it again and reports it its way: one example's message, the
            # failing lanes alone.)
            if np_function is not None:
                # (vectorize's Python-scalar checks see every elementwise operation)
                if not params and PYTHON_SCALAR_CHECK.get() is None:
                    try:
                        out = self._call_ufunc(np_function, args)
                    except Exception:  # noqa: BLE001
                        out = None
                    if out is not None:
                        return out
            elif front is not None and view:
                x = args[0]
                if type(x) is BatchTracer and x._trace is self:
                    v = x.val
                    if x.bdim == 0 and type(v) is np.ndarray:
                        try:
                            out = front(v, **params)
                        except Exception:  # noqa: BLE001
                            out = None
                        if out is not None:
                            t = BatchTracer(self, out, 0)
                            _attach(t, x, prim, params)
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

    def _call_ufunc(self, np_function: Any, args: tuple) -> BatchTracer | None:
        """The hot path of eager vmap, ``x * y`` and ``np.exp(x)`` on NumPy batches whose
        batch axes already line up (what the elementwise rule would leave as they are):
        call NumPy's function on the batches directly, as the rule's ``bind`` would."""
        a = args[0]
        n = len(args)
        if type(a) is BatchTracer and a._trace is self:
            va = a.val
            if type(va) is not np.ndarray:
                return None
            if n == 1:
                if va.size >= parallel.MIN_ELEMENTS:
                    got = parallel.call_split(np_function, (va,))
                    if got is not None:
                        return BatchTracer(self, got, a.bdim)
                return BatchTracer(self, np_function(va), a.bdim)
            if n != 2:
                return None
            b = args[1]
            if type(b) is BatchTracer and b._trace is self:
                vb = b.val
                if b.bdim != a.bdim or type(vb) is not np.ndarray or vb.ndim != va.ndim:
                    return self._call_aligned(np_function, args)
            elif type(b) not in _PY_SCALARS:
                return self._call_aligned(np_function, args)
            else:
                vb = b
            if va.size >= parallel.MIN_ELEMENTS:
                got = parallel.call_split(np_function, (va, vb))
                if got is not None:
                    return BatchTracer(self, got, a.bdim)
            return BatchTracer(self, np_function(va, vb), a.bdim)
        if n == 2 and type(a) in _PY_SCALARS:
            b = args[1]
            if type(b) is not BatchTracer or b._trace is not self:
                return None
            vb = b.val
            if type(vb) is not np.ndarray:
                return None
            if vb.size >= parallel.MIN_ELEMENTS:
                got = parallel.call_split(np_function, (a, vb))
                if got is not None:
                    return BatchTracer(self, got, b.bdim)
            return BatchTracer(self, np_function(a, vb), b.bdim)
        return self._call_aligned(np_function, args)

    def _call_aligned(self, np_function: Any, args: tuple) -> BatchTracer | None:
        """``_call_ufunc`` for operands of different ranks (``x * w[0]``, ``x + table``):
        what the elementwise rule does (``align_batched``), on NumPy batches that all have
        the batch axis first: size-1 axes after it up to the common rank, then the call."""
        vals = []
        ranks = []
        batched = False
        for a in args:
            t = type(a)
            if t is BatchTracer:
                v = a.val
                if a._trace is not self or a.bdim != 0 or type(v) is not np.ndarray:
                    return None
                ranks.append(v.ndim - 1)
                batched = True
            elif t is np.ndarray:
                v = a
                ranks.append(-1 - v.ndim)  # unbatched: broadcasts against the trailing axes
            elif t in _PY_SCALARS:
                v = a
                ranks.append(-1)
            else:
                return None
            vals.append(v)
        if not batched:
            return None
        rank = max(r if r >= 0 else -1 - r for r in ranks)
        for i, r in enumerate(ranks):
            if 0 <= r < rank:
                v = vals[i]
                vals[i] = v.reshape((v.shape[0], *(1,) * (rank - r), *v.shape[1:]))
        if any(type(v) is np.ndarray and v.size >= parallel.MIN_ELEMENTS for v in vals):
            got = parallel.call_split(np_function, tuple(vals))
            if got is not None:
                return BatchTracer(self, got, 0)
        return BatchTracer(self, np_function(*vals), 0)

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
            PYTHON_SCALAR_CHECK.get() is not None  # it checks operands the write overwrites
            or not isinstance(ufunc, np.ufunc)
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
        if v.size < parallel.MIN_ELEMENTS or parallel.call_split(ufunc, tuple(vals), v) is None:
            ufunc(*vals, out=v)
        return BatchTracer(self, v, d)


def _returns_views(program: Program) -> bool:
    """Whether an output of ``program`` may be (a view of) one of its inputs."""
    hit = program._cache.get("returns views")
    if hit is None:
        aliased = {v.id for v in program.in_vars}
        for e in program.eqns:
            if e.prim.facts.output != FRESH and any(
                isinstance(a, Var) and a.id in aliased for a in e.inputs
            ):
                aliased.update(v.id for v in e.outputs)
        hit = any(isinstance(o, Var) and o.id in aliased for o in program.outputs)
        program._cache["returns views"] = hit
    return hit


def _keep_shared(trace: BatchTrace, out: Any, prim: Primitive) -> Any:
    """A result computed from shared values alone is shared too: it stays a tracer so that
    indexing it with a batched value later (``logp[label]``) is vectorised."""
    if prim.multiple_results:
        return tuple(shared_value(trace, o) for o in out)
    return shared_value(trace, out)


def is_foreign(x: Any) -> bool:
    """Another library's array (a torch tensor)."""
    return namespace_of(x) is not np


def shared_value(trace: BatchTrace, x: Any) -> Any:
    """``x`` (a plain value every example of ``trace`` shares) as a ``SharedTracer`` when it
    is an ndarray; other values (NumPy scalars, outer tracers) as they are."""
    if type(x) is np.ndarray:
        return SharedTracer(trace, x)
    if type(x) in _PLAIN_SHARED or isinstance(x, (np.generic, Tracer)):
        return x
    return SharedTracer(trace, x) if is_foreign(x) else x  # a torch tensor


_PLAIN_SHARED = (bool, int, float, complex)


def _link(t: BatchTracer, base: Any, prim: Primitive, params: dict) -> None:
    """Record that ``t``, just made by ``prim`` from ``base``, may be a view of it."""
    if type(base) is BatchTracer and base._trace is t._trace:
        _attach(t, base, prim, params)


def check_not_shared(x: Any) -> None:
    """Raise ``SharedStateWriteError`` when ``x`` is a value that every example of a vmap in
    progress shares (an unbatched argument or a closed-over value of an enclosing
    transformation): the loop would write it once per example."""
    t = _current_trace.get()
    home = x._trace
    while t is not None and t is not home:
        if isinstance(t, BatchTrace) and id(x) in t.shared:  # (subclasses too)
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


# Loop-faithful vmap's handling of a batching rule that fails (per lane, or a split) lives in
# autovec/interpreters/split_lanes.py; autovec/interpreters/split.py installs it here.
LANE_FAILURE: Callable[..., None] | None = None
