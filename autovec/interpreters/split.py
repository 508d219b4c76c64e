"""Loop-faithful vmap: the batch splits where examples diverge.

Where code needs ONE concrete value of a batched value (``bool``, ``int``,
``operator.index``, ``float``, ``complex``, ``.item()``, ``.tolist()``, ``str``, ``format``,
``np.asarray``), the lanes are grouped by their value at that point.  When every lane agrees
the value is simply returned (the fast path).  Otherwise:

* the first (plain) run of the call stops there (``SplitRequest``);
* a *continuing run* starts the function again over every lane, replaying the decisions
  made so far (a decision log).  At each split it keeps going with ONE group (the one holding
  the lowest example among groups large enough to replay) and narrows every batched value
  lazily to that group's lanes; the other groups wait;
* each waiting group then runs the function from its start, replaying the decision log and
  the continuing run's record of batched operations (the arithmetic of the shared prefix is
  not redone), and continues the same way at its own splits;
* groups too small to be worth a replay, and examples alone, run last, one by one, exactly
  as the loop does (no tracer at all).

The groups' outputs are put back in lane order.  A function that split on its last call
starts the next call with the continuing run (no first attempt).

A batched operation that fails for some lanes only (``np.linalg.inv`` with one singular
example, ``FloatingPointError`` under ``np.errstate``) is re-run per lane to find the failing
lanes; healthy and failing lanes then become groups, so ``try``/``except`` inside the function
sees what each example sees in the loop.

Cost model and side effects: docs/semantics.md.  Functions are assumed pure: the code before
a split runs again for every group that runs separately.
"""

from __future__ import annotations

import dis
import heapq
import math
import operator
import os
import sys
import time
import warnings
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import EVAL_TRACE, Primitive, Tracer, _current_trace, raise_numpy_write_error
from autovec.interpreters import batching
from autovec.interpreters import randomness as randomness_mod
from autovec.interpreters.batching import (
    BatchTrace,
    BatchTracer,
    SharedTracer,
    _as_array,
    _finish_outputs,
    _unbatched_input,
)
from autovec.prims.shape import broadcast_batch, moveaxis
from autovec.tree import broadcast_prefix, tree_flatten, tree_unflatten

FALLBACK_MODES = ("warn", "loop", "error")


class SplitRequest(BaseException):
    """Internal control flow: the lanes of one vmap run diverged; its driver re-runs groups.

    A ``BaseException`` so that a user's ``except Exception`` does not swallow it.
    """

    def __init__(
        self, state: SplitState, groups: list[tuple[np.ndarray, Any]], singles: np.ndarray
    ):
        super().__init__("vmap lanes diverged")  # never seen by users: run_vmap catches it
        self.state = state
        self.groups = groups  # (lane indices within the run, log entry or _NO_ENTRY)
        self.singles = singles  # lanes alone in their group: they run as the loop would


SOLO_BELOW_SCALAR = 32  # every example a scalar: one example's operations are cheap
SOLO_BELOW = 4


class _Call:
    """What every run of one vmapped call shares: the fallback mode, the call sites already
    warned about, and the bytes the runs' op records hold."""

    __slots__ = (
        "fallback",
        "warned",
        "memo_ops",
        "random",
        "key",
        "leaves",
        "axes",
        "_solo",
        "ragged",
        "axis_size",
    )

    def __init__(
        self,
        fallback: str,
        random: Any = None,
        key: Any = None,
        leaves: Any = (),
        axes: Any = (),
        ragged: str = "error",
        axis_size: int = -1,
    ):
        self.fallback = fallback
        self.axis_size = axis_size  # the call's batch size
        self.ragged = ragged  # "list": outputs are the list of per-example results
        self.random = random  # the call's RandomRun (autovec/interpreters/randomness.py)
        self.key = key  # the user's function's code (see _SPLIT_LAST_TIME)
        self.leaves, self.axes = leaves, axes  # the call's arguments and their batch axes
        self.warned: set = set()
        self.memo_ops = 0
        self._solo = 0

    @property
    def solo_below(self) -> int:
        """A group smaller than this runs example by example (as the loop) rather than
        replaying the run: a replayed operation costs about a microsecond or two, an
        operation on one scalar example a few dozen nanoseconds."""
        if not self._solo:
            pairs = zip(self.leaves, self.axes)
            scalar = all(ax is None or getattr(x, "ndim", None) == 1 for x, ax in pairs)
            self._solo = SOLO_BELOW_SCALAR if scalar else SOLO_BELOW
        return self._solo


class SplitState:
    """What one run of a vmapped function knows about splitting: the decision log it
    replays and how far it got; for a continuing run (one that keeps going with one group
    at a split) also its active lanes, the lane sets its older values are over, the record
    of its batched operations, and the groups left for later runs."""

    __slots__ = (
        "log",
        "pos",
        "call",
        "request",
        "continuing",
        "lanes",
        "positions",
        "steps",
        "cache",
        "memo",
        "memo_src",
        "memo_len",
        "memo_pos",
        "hitting",
        "recording",
        "pending",
    )

    def __init__(self, log: list, call: _Call):
        self.log = log
        self.pos = 0
        self.call = call
        # Set when this run asked to split.  NumPy replaces an exception raised by
        # __float__ (out[i] = v) with its own ValueError, and user code may catch that: the
        # driver trusts this field, not the exception that reaches it.
        self.request: SplitRequest | None = None
        self.continuing = False

    @property
    def fallback(self) -> str:
        return self.call.fallback

    @property
    def warned(self) -> set:
        return self.call.warned

    @property
    def random(self) -> Any:
        return self.call.random

    def split(self, groups: list[tuple[np.ndarray, Any]], singles: np.ndarray) -> SplitRequest:
        self.request = SplitRequest(self, groups, singles)
        return self.request


_NO_ENTRY = object()  # a split on failing lanes: the groups replay nothing new there


class _NotConcrete(Exception):
    """The lanes of this value are not concrete here (e.g. under jit): keep today's error."""


# ------------------------------------------------------------------- concretisation points

# kind -> (convert one lane's value, governed by ``fallback``, what the user wrote)
_KINDS: dict[str, tuple[Callable[..., Any], bool, str]] = {
    "bool": (bool, False, "bool()"),
    "int": (int, False, "int()"),
    "index": (operator.index, False, "operator.index()"),
    "float": (float, True, "float() (also math.* functions, writing into a plain ndarray)"),
    "complex": (complex, True, "complex()"),
    "item": (lambda v, *a: np.asarray(v).item(*a), True, ".item()"),
    "tolist": (lambda v: np.asarray(v).tolist(), True, ".tolist()"),
    "array": (
        lambda v, *a: np.array(v),
        True,
        "np.asarray / np.array (or indexing a plain ndarray with it, or writing it into one)",
    ),
    "str": (str, True, "str() (print, f'{x}')"),
    "format": (format, True, "format() (f'{x:.3f}')"),
    "value": (lambda v: v, False, "a concrete value"),  # an inner vmap asks an outer one
    "shape": (
        lambda v: np.array(v),
        True,
        "A result whose size depends on the values (np.nonzero, np.unique, x[mask], ...)",
    ),
}

_ADVICE = {
    "array": (
        "np.asarray, np.array, np.asanyarray and np.ascontiguousarray have no NumPy hook: "
        "call autovec.numpy.asarray / autovec.numpy.array instead (they keep batched values "
        "batched), and build buffers with autovec.numpy.zeros or collect values in a list "
        "and autovec.numpy.stack them instead of writing into a plain ndarray; index a "
        "plain table through autovec.numpy.getitem(table, i) or pass it to vmap as an "
        "argument with in_axes=None"
    ),
    "float": (
        "keep the value an array: NumPy functions instead of math.* (np.sin(x) for "
        "math.sin(x)), no float(x), and buffers made with autovec.numpy.zeros (or values "
        "collected in a list and autovec.numpy.stack'ed) instead of plain ndarrays"
    ),
    "complex": "keep the value an array: no complex(x); NumPy functions instead of cmath.*",
    "item": "keep the value an array: drop .item() (NumPy operations accept 0-d arrays)",
    "tolist": "keep the value an array: drop .tolist() and use NumPy operations on it",
    "str": (
        "return the value from the function and print or format it outside vmap "
        "(print(repr(x)) inside shows the shape and dtype without splitting)"
    ),
}
_ADVICE["format"] = _ADVICE["str"]

_ADVICE["shape"] = (
    "give the size statically with autovec.numpy.nonzero / flatnonzero / argwhere / unique "
    "(..., size=N), or keep the shape: np.where(mask, x, fill) and reductions with the mask "
    "(x[mask].sum() and x[mask].mean() stay vectorised; (x * mask).sum(), ...)"
)
_ADVICE["subscript"] = (
    "pass the array to vmap as an argument with in_axes=None (table[i] is then one "
    "vectorised gather), or index it with autovec.numpy.take(table, i, axis=0) (or "
    "autovec.numpy.getitem(table, i))"
)
_SUBSCRIPT = "Indexing a plain array that the function closes over (table[i]) with one integer"
_SUBSCRIPT_OPS = frozenset(
    dis.opmap[name]
    for name in ("BINARY_SUBSCR", "STORE_SUBSCR", "DELETE_SUBSCR")
    if name in dis.opmap
)


def _subscript_site() -> bool:
    """Whether the user's line asking for an index is a subscript (``table[i]``): the
    instruction its frame is executing."""
    skip = (os.path.dirname(os.path.dirname(__file__)), os.path.dirname(np.__file__))
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(skip):
        frame = frame.f_back
    if frame is None:
        return False
    code = frame.f_code.co_code
    return 0 <= frame.f_lasti < len(code) and code[frame.f_lasti] in _SUBSCRIPT_OPS


_BASE_METHOD = {
    "bool": Tracer.__bool__,
    "int": Tracer.__int__,
    "index": Tracer.__index__,
    "float": Tracer.__float__,
    "complex": Tracer.__complex__,
    "item": Tracer.item,
    "tolist": Tracer.tolist,
    "array": Tracer.__array__,
    "str": Tracer.__str__,
    "format": Tracer.__format__,
    "shape": Tracer.__array__,
}


def lane_values(t: BatchTracer) -> np.ndarray:
    """Every lane's concrete value of ``t``, stacked along axis 0."""
    val = t.val
    if isinstance(val, Tracer):
        # Inner vmap: the whole inner batch is ONE value of the enclosing vmap, which
        # splits ITS batch by that value (or raises _NotConcrete under jit).
        if type(val) is not BatchTracer or val._trace.split is None:
            raise _NotConcrete
        val = concretize(val, "value")
    return np.moveaxis(np.asarray(val), t.bdim, 0)


def _group_keys(lanes: np.ndarray, kind: str) -> np.ndarray:
    """One key per lane; equal keys mean the conversion gives the same result."""
    n = lanes.shape[0]
    rows = lanes.reshape(n, -1)
    if kind == "bool" and rows.shape[1] == 1 and lanes.dtype.kind in "biufc":
        return rows[:, 0] != 0  # bool(x) is x != 0 (NaN is True, -0.0 is False)
    if lanes.dtype.kind not in "biufcmMUSV":
        raise _NotConcrete  # object arrays: no byte identity to group by
    rows = np.ascontiguousarray(rows)
    width = rows.shape[1] * rows.dtype.itemsize
    if width == 0:
        return np.zeros(n, np.uint8)
    if width in (1, 2, 4, 8):  # compare the bits: -0.0 and 0.0 (or two NaNs) may differ
        return rows.view(f"u{width}").reshape(n)
    return rows.view(f"V{width}").reshape(n)


def _groups(keys: np.ndarray) -> tuple[list[np.ndarray], np.ndarray] | None:
    """Lane indices of each distinct key shared by several lanes, and the lanes whose key is
    theirs alone; None when every lane has the same key."""
    if keys.dtype == bool:  # an if/while: two groups, no sort needed
        true = np.flatnonzero(keys)
        if len(true) == 0 or len(true) == len(keys):
            return None
        false = np.flatnonzero(~keys)
        both = (false, true) if false[0] < true[0] else (true, false)
        groups = [g for g in both if len(g) > 1]
        singles = [g for g in both if len(g) == 1]
        return groups, np.sort(np.concatenate(singles)) if singles else np.zeros(0, np.intp)
    if keys.size == 0 or bool((keys == keys[0]).all()):
        return None
    _, first, inverse, counts = np.unique(
        keys, return_index=True, return_inverse=True, return_counts=True
    )
    inverse = inverse.reshape(-1)
    singles = np.sort(first[counts == 1])
    shared = np.flatnonzero(counts > 1)
    groups = []
    if len(shared):
        in_shared = np.isin(inverse, shared)
        lanes = np.flatnonzero(in_shared)
        order = np.argsort(inverse[lanes], kind="stable")
        bounds = np.cumsum(counts[shared])[:-1]
        groups = np.split(lanes[order], bounds)
    return groups, singles


def _convert(kind: str, lane: Any, args: tuple) -> tuple[bool, Any]:
    convert = _KINDS[kind][0]
    try:
        return True, convert(lane, *args)
    except Exception as exc:  # noqa: BLE001  (the lane's own error, raised on its path)
        return False, exc


def _deliver(entry: tuple[bool, Any], kind: str) -> Any:
    ok, value = entry
    if not ok:
        raise value
    if kind == "array" or kind == "shape":
        return np.array(value)  # a fresh copy: the caller may write into it
    return value


def concretize(t: BatchTracer, kind: str, *args: Any) -> Any:
    """The one concrete value ``t`` has here (``kind`` says which conversion), splitting the
    batch when the lanes disagree."""
    state = t._trace.split
    if state is None:
        return _BASE_METHOD[kind](t, *args)
    if state.request is not None:  # this run is abandoned already: stop it again
        raise state.request
    if state.pos < len(state.log):  # replaying a decision of an earlier run
        entry = state.log[state.pos]
        state.pos += 1
        return _deliver(entry, kind)
    _, data_kind, what = _KINDS[kind]
    if kind == "index" and t.ndim:  # operator.index of an array fails in every example
        raise TypeError("only integer scalar arrays can be converted to a scalar index")
    advice = kind
    if kind == "index" and state.fallback != "loop" and _subscript_site():
        # table[i] on a plain (closed-over) array: NumPy asks the index for one integer.
        data_kind, what, advice = True, _SUBSCRIPT, "subscript"
    if data_kind and state.fallback == "error":
        return _BASE_METHOD[kind](t, *args)
    if state.continuing:
        t = _narrow(t._trace, state, t)
    val = t.val
    if kind == "bool" and type(val) is np.ndarray and val.dtype == bool and val.ndim == 1:
        # An if/while on a comparison (the common case): count instead of grouping.
        n_true = int(np.count_nonzero(val))
        if n_true == 0 or n_true == len(val):
            entry = (True, n_true > 0)
            state.log.append(entry)
            state.pos += 1
            return entry[1]
        lanes, split = val, _groups(val)
    else:
        try:
            lanes = lane_values(t)
            split = _groups(_group_keys(lanes, kind))
        except _NotConcrete:
            return _BASE_METHOD[kind](t, *args)
    if split is None:
        entry = _convert(kind, lanes[0], args)
        state.log.append(entry)
        state.pos += 1
        return _deliver(entry, kind)
    groups, singles = split
    if data_kind and state.fallback == "warn":
        _warn_fallback(state, advice, what, len(groups) + len(singles))
    if EXPLAIN is not None:
        EXPLAIN.split_at(advice, what, data_kind, len(groups) + len(singles), state.continuing)
    entries = [(g, _convert(kind, lanes[g[0]], args)) for g in groups]
    if state.continuing:
        entry = _continue_with_one_group(t._trace, state, entries, singles)
        if entry is not None:
            state.log.append(entry)
            state.pos += 1
            return _deliver(entry, kind)
    raise state.split(entries, singles)


def per_example(*values: Any) -> list | None:
    """The concrete values of ``values`` for the examples of this run, for an operation whose
    result size depends on them: the batch splits by value (lanes with equal values stay
    together), as the loop continues example by example.  None where that is not possible
    (under jit, or with ``fallback="error"``): the caller raises its own error."""
    out = []
    for v in values:
        if isinstance(v, Tracer):
            if type(v) is SharedTracer:
                v = v.val
            elif type(v) is not BatchTracer or v._trace.split is None:
                return None
            elif v._trace.split.fallback == "error" and v._trace.split.pos >= len(
                v._trace.split.log
            ):
                return None
            else:
                v = concretize(v, "shape")
                if isinstance(v, Tracer):
                    return None
        out.append(v)
    return out


def _call_site() -> tuple[str, int, dict]:
    """The innermost frame outside autovec and NumPy: the user's (or a library's) line."""
    skip = (os.path.dirname(os.path.dirname(__file__)), os.path.dirname(np.__file__))
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(skip):
        frame = frame.f_back
    if frame is None:
        return "<unknown>", 0, {}
    return frame.f_code.co_filename, frame.f_lineno, frame.f_globals


def _warn_fallback(state: SplitState, kind: str, what: str, n_groups: int) -> None:
    filename, lineno, module_globals = _call_site()
    if (filename, lineno) in state.warned:
        return
    state.warned.add((filename, lineno))
    advice = _ADVICE.get(kind, _ADVICE["array"])
    message = (
        f"{what} of a batched value at {filename}:{lineno}: NumPy offers no hook here, so "
        f"vmap continues as the Python loop would, one group per distinct example value "
        f"({n_groups} groups here), which is slower than vectorised code. To stay "
        f"vectorised: {advice}. vmap(..., fallback='loop') silences this warning; "
        f"fallback='error' raises instead."
    )
    registry = module_globals.setdefault("__warningregistry__", {}) if module_globals else None
    warnings.warn_explicit(
        message,
        errors.FallbackWarning,
        filename,
        lineno,
        module=module_globals.get("__name__") if module_globals else None,
        registry=registry,
    )


def _install_conversions() -> None:
    def conversion(kind: str) -> Callable[..., Any]:
        def method(self: BatchTracer, *args: Any) -> Any:
            return concretize(self, kind, *args)

        method.__name__ = kind
        return method

    BatchTracer.__bool__ = conversion("bool")
    BatchTracer.__int__ = conversion("int")
    BatchTracer.__index__ = conversion("index")
    BatchTracer.__float__ = conversion("float")
    BatchTracer.__complex__ = conversion("complex")
    BatchTracer.item = conversion("item")
    BatchTracer.tolist = conversion("tolist")
    BatchTracer.__str__ = conversion("str")
    BatchTracer.__format__ = conversion("format")

    def __array__(self: BatchTracer, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = concretize(self, "array")
        return out if dtype is None else out.astype(dtype, copy=False)

    BatchTracer.__array__ = __array__


# --------------------------------------------------------------- continuing runs
#
# A continuing run keeps going at a split with ONE group (the one holding the lowest
# example that is not alone); the other groups are left for later runs, which replay the
# decision log.  Narrowing is lazy: a batched value keeps the lanes it was computed on and
# is gathered to the active lanes when an operation next uses it.  Lane sets only shrink
# within a run's lineage, so a value's batch size says which lane set it is over.
#
# A continuing run records its batched operations (the primitive, its parameters, which
# values it read, what it produced).  A later run of a group that left at a split repeats
# the same operations up to that point: each is answered from the record, so a group pays
# for its shared prefix only Python's dispatch, not the arithmetic.  An operation is
# answered only when it is the same primitive with the same parameters on the very same
# input values (or equal small constants); the first difference ends the replay and the
# run computes from there on.  The record holds its arrays weakly (keeping every
# intermediate alive would cost memory and fresh pages on every operation); a group that
# leaves keeps alive the recorded values still alive at that moment, which are all it can
# use later.  Should it need a value that is gone, it starts again without the record.

# Past this many recorded operations per call, later groups recompute the rest.
MEMO_LIMIT_OPS = 200_000

_MISS = object()


class ContinuingBatchTrace(BatchTrace):
    """A vmap run that continues with one group at a split (see above)."""

    __slots__ = ()

    def process_primitive(self, prim: Primitive, args: tuple, params: dict) -> Any:
        batched = stale = False
        size = self.axis_size
        for a in args:
            if type(a) is BatchTracer and a._trace is self:
                batched = True
                val = a.val
                if type(val) is _Gone or val.shape[a.bdim] != size:
                    stale = True
        if not batched:
            return BatchTrace.process_primitive(self, prim, args, params)
        state = self.split
        if state.hitting:
            out = _replay(self, state, prim, args, params)
            if out is not _MISS:
                return out
        narrowed = tuple(_narrow(self, state, a) for a in args) if stale else args
        try:
            out = BatchTrace.process_primitive(self, prim, narrowed, params)
        except SplitRequest as request:
            # Some lanes fail here (lane_failure): continue with one group, then retry.
            if request is not state.request or not request.groups:
                raise
            if _continue_with_one_group(self, state, request.groups, request.singles) is None:
                raise  # no group large enough to continue: every lane runs alone
            state.request = None
            return self.process_primitive(prim, args, params)
        if state.recording:
            _record(self, state, prim, params, args, out)
        return out


def _narrow(trace: BatchTrace, state: SplitState, t: Any) -> Any:
    """``t`` over the active lanes (a gather when it was computed on an earlier lane set)."""
    if type(t) is not BatchTracer or t._trace is not trace:
        return t
    val = t.val
    if type(val) is _Gone:
        raise _Restart
    size = val.shape[t.bdim]
    if size == trace.axis_size:
        return t
    cached = state.cache.get(id(val))
    if cached is None or cached[0] is not val:
        positions = _positions(state, size)
        if positions is None:  # not a lane set of this run's lineage (a broadcast axis)
            return t
        token = _current_trace.set(trace.parent)
        try:
            cached = (val, np.take(val, positions, axis=t.bdim))
        finally:
            _current_trace.reset(token)
        state.cache[id(val)] = cached
    return BatchTracer(trace, cached[1], t.bdim)


def _positions(state: SplitState, size: int) -> np.ndarray | None:
    """Where the active lanes are in the earlier lane set of ``size`` lanes (None when no
    lane set of this run's lineage has that size).

    ``state.steps`` holds each narrowing (the kept positions within the lane set before
    it); ``state.positions[size]`` is (positions within that set of the lanes after
    narrowing number ``version``, or None for all of them; ``version``).  Composing the
    steps from the newest keeps every index as small as the active lane set."""
    entry = state.positions.get(size)
    if entry is None:
        return None
    base, version = entry
    steps = state.steps
    if version == len(steps):
        return base
    q = steps[-1]
    for k in range(len(steps) - 2, version - 1, -1):
        q = steps[k][q]
    q = q if base is None else base[q]
    state.positions[size] = (q, len(steps))
    return q


def _memo_view(state: SplitState) -> tuple[list, int]:
    """The record a group leaving now may replay: this run's operations so far."""
    if state.hitting:
        return state.memo_src, state.memo_pos
    return state.memo, len(state.memo)


def _continue_with_one_group(
    trace: BatchTrace, state: SplitState, entries: list, singles: np.ndarray
) -> Any:
    """Narrow the run to the group holding the lowest example among the groups of several
    examples; leave the others (and the examples alone) for later runs.  Returns the
    continuing group's log entry, or None when no group is large enough to continue
    (the caller then abandons the run)."""
    solo_below = state.call.solo_below
    # The first run over every lane: positions ARE lanes (no gather of a batch-sized index).
    full = len(state.lanes) == state.call.axis_size
    large = [e for e in entries if len(e[0]) >= solo_below]
    if not large:
        return None
    keep, keep_entry = min(large, key=lambda e: e[0][0])
    prefix = state.log[: state.pos]
    memo, memo_len = _memo_view(state)
    pins = (
        _pin(memo, memo_len)
        if any(len(idx) >= solo_below and idx is not keep for idx, _ in entries)
        else None
    )
    size = trace.axis_size
    for idx, entry in entries:
        if idx is keep:
            continue
        lanes = idx if full else state.lanes[idx]
        if EXPLAIN is not None:
            EXPLAIN.spawned(lanes)
        if len(idx) < solo_below:  # cheaper run example by example than replayed
            state.pending.append((lanes, None, None, 0, None, None))
            continue
        positions = dict(state.positions)
        positions[size] = (None, len(state.steps))
        log = prefix if entry is _NO_ENTRY else [*prefix, entry]
        state.pending.append((lanes, log, memo, memo_len, (positions, [*state.steps, idx]), pins))
    if len(singles):
        state.pending.append((state.lanes[singles], None, None, 0, None, None))
        if EXPLAIN is not None:
            EXPLAIN.spawned(state.pending[-1][0])
    state.positions[size] = (None, len(state.steps))
    state.steps.append(keep)
    state.lanes = keep if full else state.lanes[keep]
    state.cache = {}
    trace.axis_size = len(keep)
    return keep_entry


def _same_constant(a: Any, b: Any) -> bool:
    """``a`` and ``b`` (unbatched inputs of one operation in two runs) give the same result."""
    if a is b:
        return True
    ta = type(a)
    if ta is not type(b):
        return False
    if ta is float:  # -0.0 is not 0.0 (x * -0.0 differs from x * 0.0)
        return a == b and (a != 0.0 or math.copysign(1.0, a) == math.copysign(1.0, b))
    if ta is complex:
        return repr(a) == repr(b)
    if ta is int or ta is bool or ta is str or a is None:
        return a == b
    if ta is np.ndarray or isinstance(a, np.generic):
        return (
            a.dtype == b.dtype
            and a.shape == b.shape
            and a.size <= 64
            and a.dtype.kind != "O"
            and a.tobytes() == b.tobytes()
        )
    if ta is np.dtype:
        return a == b
    return False


def _replay(trace: BatchTrace, state: SplitState, prim: Primitive, args: tuple, params: dict):
    """The recorded output of this operation, or _MISS (which ends the replay)."""
    pos = state.memo_pos
    if pos < state.memo_len:
        rprim, rparams, keys, outs = state.memo_src[pos]
        if rprim is prim and len(keys) == len(args) and _same_params(rparams, params):
            for a, (batched, key, bdim) in zip(args, keys):
                if type(a) is BatchTracer and a._trace is trace:
                    val = a.val
                    if type(val) is np.ndarray:
                        val = weakref.ref(val)
                    elif type(val) is _Gone:
                        val = val.ref
                    if val is not key or not batched or a.bdim != bdim:
                        break
                elif batched or not _same_constant(
                    a.val if type(a) is SharedTracer and a._trace is trace else a, key
                ):
                    break
            else:
                state.memo_pos = pos + 1
                if prim.multiple_results:
                    return tuple(_replayed(trace, *o) for o in outs)
                key, bdim, shape, dtype = outs[0]
                if bdim is not None and type(key) is weakref.ref:  # the common case
                    val = key()
                    return BatchTracer(
                        trace, _Gone(key, shape, dtype) if val is None else val, bdim
                    )
                return _replayed(trace, key, bdim, shape, dtype)
    state.hitting = False
    state.memo = state.memo_src[:pos]
    state.memo_src = None
    return _MISS


def _same_params(a: dict, b: dict) -> bool:
    if a is b or (not a and not b):
        return True
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001  (parameters that do not compare: recompute)
        return False


def _replayed(trace: BatchTrace, key: Any, bdim: int | None, shape: Any, dtype: Any) -> Any:
    if bdim is None:  # an unbatched result, kept as it was
        return key.copy() if type(key) is np.ndarray else key  # the caller may write into it
    if type(key) is weakref.ref:
        val = key()
        return BatchTracer(trace, _Gone(key, shape, dtype) if val is None else val, bdim)
    return BatchTracer(trace, key, bdim)


def _key(val: Any) -> Any:
    """What identifies a batched value in the record: a weak reference to its array."""
    if type(val) is np.ndarray:
        return weakref.ref(val)
    if type(val) is _Gone:
        return val.ref
    return val  # a value of an enclosing transformation: held (no weak references)


class _Gone:
    """A recorded value no longer alive: its shape and dtype, for the tracer that holds it."""

    __slots__ = ("ref", "shape", "dtype")

    def __init__(self, ref: Any, shape: tuple, dtype: np.dtype):
        self.ref, self.shape, self.dtype = ref, shape, dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)


class _Restart(BaseException):
    """A group replaying the record needs a value that is gone: run it again, computing."""


def _record(trace: BatchTrace, state: SplitState, prim, params, args, out) -> None:
    keys = []
    for a in args:
        if type(a) is BatchTracer and a._trace is trace:
            keys.append((True, _key(a.val), a.bdim))
        elif type(a) is SharedTracer and a._trace is trace:
            keys.append((False, a.val, None))  # the same plain value in every run
        else:
            keys.append((False, a, None))
    outs = []
    for o in out if prim.multiple_results else (out,):
        if type(o) is BatchTracer and o._trace is trace:
            v = o.val
            outs.append((_key(v), o.bdim, v.shape, v.dtype))
        else:
            outs.append((o.copy() if type(o) is np.ndarray else o, None, None, None))
    state.memo.append((prim, params, tuple(keys), tuple(outs)))
    call = state.call
    call.memo_ops += 1
    if call.memo_ops >= MEMO_LIMIT_OPS:
        state.recording = False


def _pin(memo: list, memo_len: int) -> list:
    """The recorded values alive now (a group leaving keeps them for its run)."""
    pins = []
    for i in range(memo_len):
        for key, bdim, _, _ in memo[i][3]:
            if bdim is not None and type(key) is weakref.ref:
                v = key()
                if v is not None:
                    pins.append(v)
    return pins


# -------------------------------------------------------------- exceptions per lane


def lane_failure(
    trace: BatchTrace, prim: Primitive, vals: list, dims: list, params: dict, err: Exception
) -> None:
    """``prim``'s batched form raised ``err``: find the lanes that fail on their own.

    Returns (the caller re-raises ``err``) when this cannot tell (values of an enclosing
    transformation) or when no lane fails alone; raises the lowest lane's own exception when
    every lane fails; otherwise splits the batch into the healthy lanes and the failing lanes
    (grouped by exception type)."""
    state = trace.split
    if state is None or isinstance(err, (errors.AutovecError, MemoryError, RecursionError)):
        return
    nested = any(isinstance(v, Tracer) for v in vals)
    n = trace.axis_size
    failures: dict[int, Exception] = {}
    token = _current_trace.set(trace.parent)
    try:
        for i in range(n):
            lane_args = [v if d is None else np.take(v, i, axis=d) for v, d in zip(vals, dims)]
            try:
                if nested:
                    # Values of an enclosing vmap: it runs the lane, and splits its own
                    # batch where only some of its examples fail.
                    prim.bind(*lane_args, **params)
                else:
                    prim.impl(np, *(np.asarray(a) for a in lane_args), **params)
            except Exception as exc:  # noqa: BLE001  (this lane's own failure)
                failures[i] = exc
    finally:
        _current_trace.reset(token)
    if not failures:
        return
    if len(failures) == n:
        exc = failures[0]
        raise exc  # its traceback shows where the example failed
    by_type: dict[type, list[int]] = {}
    for i, exc in failures.items():
        by_type.setdefault(type(exc), []).append(i)
    healthy = np.array([i for i in range(n) if i not in failures])
    groups = [healthy] + [np.array(lanes) for lanes in by_type.values()]
    if EXPLAIN is not None:
        names = ", ".join(sorted({type(e).__name__ for e in failures.values()}))
        what = f"{prim.name} raising {names}"
        EXPLAIN.split_at("exception", what, False, len(groups), state.continuing)
    raise state.split([(g, _NO_ENTRY) for g in groups], np.zeros(0, np.intp))


# ----------------------------------------------------------------------------- the driver


def _note(exc: BaseException, note: str) -> None:
    if note in getattr(exc, "__notes__", ()):
        return
    if hasattr(exc, "add_note"):
        exc.add_note(note)
    else:  # Python 3.10: the same attribute (its tracebacks do not show it)
        exc.__notes__ = [*getattr(exc, "__notes__", ()), note]


def _splittable(parent: Any) -> bool:
    """Splitting re-runs the function, which only eager vmaps (nested or not) can do."""
    while isinstance(parent, BatchTrace):
        if parent.split is None:
            return False
        parent = parent.parent
    return parent is EVAL_TRACE


def run_vmap(
    call: Callable[[list], Any],
    leaves: list,
    axes: list,
    axis_size: int,
    axis_name: Any,
    out_axes: Any,
    fallback: str,
    randomness: str = "loop",
    fun: Any = None,
    ragged: str = "error",
) -> Any:
    """Run ``call`` (the function on flat argument leaves) over the batch, splitting it
    where lanes diverge; the result is laid out by ``out_axes`` (with ``ragged="list"``: the
    list of per-example results).  ``fun`` (the user's function) tells which random
    generators it reaches (randomness.py)."""
    if EXPLAIN is not None and EXPLAIN.batch_size is None:
        EXPLAIN.batch_size = axis_size
    run = randomness_mod.RandomRun(randomness)
    key = getattr(fun, "__code__", None)  # which function: see _SPLIT_LAST_TIME
    with randomness_mod.hooked(fun, leaves) as leaves:
        try:
            return _run_vmap(
                call, leaves, axes, axis_size, axis_name, out_axes, fallback, run, key, ragged
            )
        except randomness_mod._RunAsLoop as exc:
            if exc.run is not run:
                raise
        # The draws cannot be vectorised: every example runs as the loop, from the
        # generators' states before this call's first draw (restored by to_loop).
        run.looping = True
        parent = _current_trace.get()
        lanes = np.arange(axis_size)
        result, failed = (
            _run_lanes(call, leaves, axes, lanes, ragged) if axis_size else (None, None)
        )
        if failed is not None:
            lane, exc = failed
            _note(exc, f"vmap: raised for the example at index {lane}")
            raise exc
        if result is None:
            return _run_vmap(
                call, leaves, axes, axis_size, axis_name, out_axes, fallback, run, key, ragged
            )
        return _merge([(lanes, *result)], axis_size, axis_name, parent, out_axes, leaves, ragged)


def _run_vmap(
    call, leaves, axes, axis_size, axis_name, out_axes, fallback, run, key, ragged="error"
) -> Any:
    parent = _current_trace.get()
    splittable = _splittable(parent)
    state = None
    if splittable:
        state = SplitState([], _Call(fallback, run, key, leaves, axes, ragged, axis_size))
        if key is not None and _split_last_time(key):
            # This function split the last time: start with the continuing run.
            return _run_groups(call, leaves, axes, axis_size, axis_name, out_axes, state, None)
    trace = BatchTrace(parent, axis_size, axis_name)
    trace.split = state
    run.first_trace = trace
    in_vals = [
        _unbatched_input(leaf, trace) if ax is None else BatchTracer(trace, _as_array(leaf), ax)
        for leaf, ax in zip(leaves, axes)
    ]
    token = _current_trace.set(trace)
    try:
        out = call(in_vals)
    except BaseException as err:
        if state is None or state.request is None:
            if isinstance(err, ValueError):
                raise_numpy_write_error(err)  # out[i] = v under fallback="error" or jit
            raise
    finally:
        _current_trace.reset(token)
        trace.alive = False
    if state is None or state.request is None:
        if ragged == "list":
            return _unstack(_finish_outputs(trace, out, 0, leaves), axis_size)
        return _finish_outputs(trace, out, out_axes, leaves)
    if run.draws:
        # The groups would re-run a block draw made for the whole batch: run the loop.
        raise run.to_loop()
    return _run_groups(call, leaves, axes, axis_size, axis_name, out_axes, state, state.request)


# A run still to do: (its lanes, the decision log it replays, the record it may replay and
# how much of it, where its lanes are in the earlier lane sets of its lineage (see
# _positions), the recorded values it keeps alive).  A run whose log is None is examples
# alone (or in groups too small to replay): they run one by one as the loop would.
Job = tuple


def _run_groups(call, leaves, axes, axis_size, axis_name, out_axes, state, request) -> Any:
    """The first (plain) run stopped where its examples diverged: run the groups.

    With a group of several examples, the function runs again from the start as a
    continuing run over every example (see ContinuingBatchTrace); the groups it leaves
    behind run afterwards in the order of their lowest example, each continuing likewise.
    Examples alone in their group run last, one after the other, as in the loop."""
    parent = _current_trace.get()
    arrays = [
        _unbatched_input(leaf) if ax is None else _as_array(leaf) for leaf, ax in zip(leaves, axes)
    ]
    heap: list = []
    counter = iter(range(1 << 62))
    singles: list[np.ndarray] = []

    def schedule(job: Job) -> None:
        if job[1] is None:
            singles.append(job[0])
        else:
            heapq.heappush(heap, (int(job[0][0]), next(counter), job))

    key = state.call.key
    if request is None or any(len(idx) >= state.call.solo_below for idx, _ in request.groups):
        schedule((np.arange(axis_size), state.log[: state.pos], None, 0, ({}, []), None))
    else:  # every example alone (np.asarray of real data): the loop itself
        singles.append(np.arange(axis_size))
        if EXPLAIN is not None:
            EXPLAIN.count_last()
            EXPLAIN.spawned(singles[-1])
    done: list[tuple[np.ndarray, list, Any, list[bool]]] = []
    # The exception the loop raises first is the lowest failing lane's: keep the lowest,
    # and skip the work of lanes above it.
    failed: tuple[int, BaseException] | None = None
    while heap:
        _, _, job = heapq.heappop(heap)
        if failed is not None and job[0][0] > failed[0]:
            continue
        run_state = SplitState(job[1], state.call)
        started = time.perf_counter()
        try:
            try:
                result = _run_job(call, arrays, axes, job, axis_name, parent, run_state)
            except _Restart:
                run_state = SplitState(job[1], state.call)
                job = (*job[:2], None, 0, *job[4:])
                result = _run_job(call, arrays, axes, job, axis_name, parent, run_state)
        except Exception as exc:
            result = None
            if run_state.request is None:
                lane = int(run_state.lanes[0])
                failed = min(failed or (axis_size, exc), (lane, exc), key=_first)
        except BaseException:
            if run_state.request is None:
                raise
            result = None
        if job[2] is None and key is not None:  # the first continuing run: did it split?
            split_now = bool(run_state.pending) or run_state.request is not None
            if split_now:
                _SPLIT_LAST_TIME[id(key)] = weakref.ref(key)
            else:
                _SPLIT_LAST_TIME.pop(id(key), None)
        for pending in run_state.pending:
            schedule(pending)
        request = run_state.request
        if request is not None:  # abandoned: every example left is alone in its group
            for idx, _ in request.groups:
                singles.append(run_state.lanes[idx])
            if len(request.singles):
                singles.append(run_state.lanes[request.singles])
            if EXPLAIN is not None:
                for lanes in singles[-len(request.groups) - bool(len(request.singles)) :]:
                    EXPLAIN.spawned(lanes)
        if EXPLAIN is not None:
            EXPLAIN.ran(job[0], time.perf_counter() - started)
        if request is not None:
            continue
        if result is not None:
            done.append((run_state.lanes, *result))
    if singles:
        lanes = np.sort(np.concatenate(singles))
        if failed is not None:
            lanes = lanes[lanes < failed[0]]
        if len(lanes):
            started = time.perf_counter()
            result, lane_failed = _run_lanes(call, leaves, axes, lanes, state.call.ragged)
            if EXPLAIN is not None:
                EXPLAIN.ran_alone(singles, time.perf_counter() - started)
            if lane_failed is not None:
                failed = min(failed or lane_failed, lane_failed, key=_first)
            elif result is not None:
                done.append((lanes, *result))
    if failed is not None:
        lane, exc = failed
        _note(exc, f"vmap: raised for the example at index {lane}")
        raise exc
    return _merge(done, axis_size, axis_name, parent, out_axes, leaves, state.call.ragged)


# Set by autovec.explain for the duration of one call: told where the batch splits and how
# long each group ran (autovec/explain.py).
EXPLAIN: Any = None


# Functions whose last vmap call split into groups large enough to replay: their next call
# starts with the continuing run, without the first (plain) attempt that would stop at
# the first split.  id(code) -> a weak reference to the function's code; only a hint for
# speed (a plain dict: looked up on every eager vmap call).
_SPLIT_LAST_TIME: dict[int, Any] = {}


def _split_last_time(code: Any) -> bool:
    ref = _SPLIT_LAST_TIME.get(id(code))
    return ref is not None and ref() is code


def _first(failure: tuple[int, BaseException]) -> int:
    return failure[0]


_PLAIN_LEAVES = frozenset(
    (np.ndarray, float, int, bool, complex, np.float64, np.float32, np.int64, np.bool_)
)


def _run_lanes(call, leaves, axes, lanes: np.ndarray, ragged: str = "error") -> tuple:
    """Lanes alone in their group: the function runs on each example exactly as in the
    loop, and the outputs are stacked as the loop's ``np.stack`` would (kept per example
    with ``ragged="list"``)."""
    # One example of each mapped leaf, as the loop's indexing gives it.
    rows = [
        None if ax is None else (leaf if ax == 0 else np.moveaxis(leaf, ax, 0))
        for leaf, ax in zip(leaves, axes)
    ]
    results = []
    try:
        if len(leaves) == 1 and rows[0] is not None:  # the common case, kept tight
            (r,) = rows
            for lane in lanes.tolist():
                results.append(call([r[lane]]))
        else:
            for lane in lanes.tolist():
                results.append(call([x if r is None else r[lane] for x, r in zip(leaves, rows)]))
    except Exception as exc:
        return None, (int(lanes[len(results)]), exc)
    if ragged == "list":
        return (results, _RAGGED, None), None
    if all(type(o) in _PLAIN_LEAVES for o in results):
        outs, treedef = [[o] for o in results], tree_flatten(results[0])[1]
    else:
        outs, treedef = [], None
        for lane, o in zip(lanes.tolist(), results):
            flat, lane_def = tree_flatten(o)
            if treedef is None:
                treedef = lane_def
            elif lane_def != treedef:
                raise errors.SplitOutputMismatchError(
                    f"vmap: the examples returned different structures: example {lanes[0]} "
                    f"returned {treedef}, example {lane} returned {lane_def}. Every example "
                    f"must return the same structure of arrays (the Python loop could not "
                    f"np.stack them either); vmap(..., ragged='list') returns the list of "
                    f"per-example results instead."
                )
            outs.append(flat)
    stacked = []
    for k in range(treedef.num_leaves):
        column = [o[k] for o in outs]
        try:
            stacked.append(np.stack(column))
        except ValueError:
            shapes = [np.shape(c) for c in column]
            if len(set(shapes)) == 1:
                raise
            detail = "; ".join(
                f"example {lane}: shape {shape}" for lane, shape in zip(lanes[:8], shapes)
            )
            raise errors.SplitOutputMismatchError(
                f"vmap: output leaf {k} has different shapes for different examples "
                f"({detail}{', ...' if len(lanes) > 8 else ''}). The Python loop could "
                f"not np.stack them either; return "
                f"arrays of one shape (pad, or reduce) for every example, or pass "
                f"vmap(..., ragged='list') for the list of per-example results."
            ) from None
    return (stacked, treedef, [_ROWS] * len(stacked)), None


_ROWS = "rows"  # an output stacked from examples run one by one (batched, but maybe equal)


def _run_job(call, arrays, axes, job: Job, axis_name, parent, state: SplitState) -> tuple:
    """One continuing run over ``job``'s lanes; its outputs (lane axis first) over the lanes
    it still held at the end (``state.lanes``)."""
    lanes, log, memo, memo_len, (positions, steps), _ = job  # (the pins only stay alive)
    trace = ContinuingBatchTrace(parent, len(lanes), axis_name)
    trace.split = state
    state.continuing = True
    state.lanes = lanes
    state.positions = dict(positions)  # see _positions
    state.steps = list(steps)
    state.cache = {}
    state.memo = []
    state.memo_src = memo
    state.memo_len = memo_len
    state.memo_pos = 0
    state.hitting = memo is not None
    state.recording = state.call.memo_ops < MEMO_LIMIT_OPS
    state.pending = []
    # Every run starts from the same input arrays, so that recorded operations on them
    # are recognised; a group's inputs are gathered to its lanes on first use.
    in_vals = [
        _unbatched_input(x, trace) if ax is None else BatchTracer(trace, x, ax)
        for x, ax in zip(arrays, axes)
    ]
    token = _current_trace.set(trace)
    try:
        out = call(in_vals)
    finally:
        _current_trace.reset(token)
        trace.alive = False
    flat, treedef = tree_flatten(out)
    vals, batched = [], []
    for leaf in flat:
        if type(leaf) is SharedTracer and leaf._trace is trace:
            leaf = leaf.val
        if type(leaf) is BatchTracer and leaf._trace is trace:
            leaf = _narrow(trace, state, leaf)
            vals.append(moveaxis(leaf.val, leaf.bdim, 0))
            batched.append(True)
        else:
            vals.append(leaf)
            batched.append(False)
    return vals, treedef, batched


def _describe_lanes(lanes: np.ndarray) -> str:
    shown = ", ".join(str(int(i)) for i in lanes[:8])
    return f"{shown}, ... ({len(lanes)} examples)" if len(lanes) > 8 else shown


def _merge(done, axis_size, axis_name, parent, out_axes, inputs, ragged="error") -> Any:
    if ragged == "list":
        return _per_example(done, axis_size)
    treedef = done[0][2]
    for lanes, _, other, _ in done[1:]:
        if other != treedef:
            raise errors.SplitOutputMismatchError(
                f"vmap: the examples returned different structures: examples "
                f"{_describe_lanes(done[0][0])} returned {treedef}, examples "
                f"{_describe_lanes(lanes)} returned {other}. Every example must return the "
                f"same structure of arrays (the Python loop could not np.stack them either); "
                f"vmap(..., ragged='list') returns the list of per-example results instead."
            )
    n_leaves = treedef.num_leaves
    trace = BatchTrace(parent, axis_size, axis_name)
    example_out = tree_unflatten(treedef, [0] * n_leaves)
    if out_axes is None or type(out_axes) is int:
        leaf_axes = [out_axes] * n_leaves
    else:
        leaf_axes = broadcast_prefix(
            tuple(out_axes)
            if isinstance(out_axes, list) and not isinstance(example_out, list)
            else out_axes,
            example_out,
            what="out_axes",
        )
    lane_sets = [lanes for lanes, *_ in done]
    merged = []
    for j in range(n_leaves):
        parts = [(lanes, vals[j], batched[j]) for lanes, vals, _, batched in done]
        if leaf_axes[j] is None and not any(b is True for _, _, b in parts):
            # out_axes=None: every example must have returned the same value.
            values = [v for _, v, b in parts if not b]
            values += [row for _, v, b in parts if b for row in v]
            first = values[0]
            if all(_same_value(first, v) for v in values[1:]):
                merged.append(first)
                continue
        arrays = []
        for lanes, v, b in parts:
            arrays.append(v if b else _broadcast(v, len(lanes), parent))
        shapes = {tuple(a.shape[1:]) for a in arrays}
        if len(shapes) > 1:
            detail = "; ".join(
                f"examples {_describe_lanes(lanes)}: shape {tuple(a.shape[1:])}"
                for (lanes, _, _), a in zip(parts, arrays)
            )
            raise errors.SplitOutputMismatchError(
                f"vmap: output leaf {j} has different shapes for different examples "
                f"({detail}). The Python loop could not np.stack them either; return "
                f"arrays of one shape (pad, or reduce) for every example, or pass "
                f"vmap(..., ragged='list') for the list of per-example results."
            )
        merged.append(BatchTracer(trace, _scatter(arrays, lane_sets, axis_size), 0))
    try:
        return _finish_outputs(trace, tree_unflatten(treedef, merged), out_axes, inputs)
    finally:
        trace.alive = False


_RAGGED = "ragged"  # a group's outputs kept per example (ragged="list")


def _own(value: Any) -> Any:
    """One example's output, its own array (the loop's results share no memory)."""
    return value.copy() if isinstance(value, (np.ndarray, Tracer)) else value


def _per_example(done: list, axis_size: int) -> list:
    """``ragged="list"``: the groups' outputs as the list of per-example results, in lane
    order, whatever their shapes and structures."""
    out: list = [None] * axis_size
    for lanes, vals, treedef, batched in done:
        if treedef is _RAGGED:
            for lane, result in zip(lanes.tolist(), vals):
                out[lane] = result
            continue
        for k, lane in enumerate(lanes.tolist()):
            leaves = [_own(v[k]) if b else _own(v) for v, b in zip(vals, batched)]
            out[lane] = tree_unflatten(treedef, leaves)
    return out


def _unstack(batched: Any, axis_size: int) -> list:
    """A result with the batch axis first in every leaf, as the list of its examples."""
    leaves, treedef = tree_flatten(batched)
    return [tree_unflatten(treedef, [_own(x[i]) for x in leaves]) for i in range(axis_size)]


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, Tracer) or isinstance(b, Tracer):
        return a is b
    try:
        return bool(np.array_equal(a, b, equal_nan=True))
    except TypeError:
        return bool(np.array_equal(a, b))


def _broadcast(v: Any, size: int, parent: Any) -> Any:
    token = _current_trace.set(parent)
    try:
        return broadcast_batch(_as_array(v), size)
    finally:
        _current_trace.reset(token)


def _scatter(arrays: list, lane_sets: list, axis_size: int) -> Any:
    """The groups' outputs (lane axis first) back in lane order, promoted as np.stack does."""
    if not any(isinstance(a, Tracer) for a in arrays):
        dtype = np.result_type(*arrays)
        out = np.empty((axis_size, *arrays[0].shape[1:]), dtype)
        for lanes, a in zip(lane_sets, arrays):  # no concatenation: one pass over each group
            out[lanes] = a
        return out
    order = np.concatenate(lane_sets)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(axis_size)
    return np.take(np.concatenate(arrays), inverse, axis=0)


_install_conversions()
batching.RUN_VMAP = run_vmap
batching.LANE_FAILURE = lane_failure
