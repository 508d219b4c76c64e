"""Continuing runs of a loop-faithful vmap: a run that keeps going with one group at a
split, narrows its values lazily to that group's lanes, and records its batched operations
so that the groups it leaves behind replay the shared prefix instead of recomputing it
(autovec/interpreters/split.py)."""

from __future__ import annotations

import itertools
import math
import weakref
from typing import Any

import numpy as np

from autovec.core import Primitive, _current_trace
from autovec.interpreters import split_state
from autovec.interpreters.batching import (
    BatchTrace,
    BatchTracer,
    SharedTracer,
)
from autovec.interpreters.split_state import _NO_ENTRY, SplitRequest, SplitState

# Past this many recorded operations per call, later groups recompute the rest.
MEMO_LIMIT_OPS = 200_000


class ContinuingBatchTrace(BatchTrace):
    """A vmap run that continues with one group at a split (see above)."""

    __slots__ = ("replaying",)  # state.hitting, where the operators of tracers read it

    def __init__(self, parent: Any, axis_size: int, axis_name: Any = None):
        super().__init__(parent, axis_size, axis_name)
        self.replaying = False

    def process_primitive(self, prim: Primitive, args: tuple, params: dict) -> Any:
        state = self.split
        if state.hitting:  # a group replaying the shared prefix: most operations end here
            pos = state.memo_pos
            if pos < state.memo_len:
                entry = state.memo_src[pos]
                if entry[0] is prim and (
                    _same_args(self, args, entry[2], entry[3])
                    if not params and not entry[1]
                    else _matches(self, entry, args, params)
                ):
                    return _hit(self, state, pos, entry)
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
        if state.hitting:  # the first operation off the record: compute from here on
            state.hitting = self.replaying = False
            state.memo = state.memo_src[: state.memo_pos]
            state.memo_src = None
        narrowed = tuple([_narrow(self, state, a) for a in args]) if stale else args
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


def _hit(trace: ContinuingBatchTrace, state: SplitState, pos: int, entry: tuple) -> Any:
    """The recorded output of the operation at ``pos`` of the record, which this one is."""
    state.memo_pos = pos + 1
    gone = entry[4]
    if gone is not None:  # the common case: one batched array
        val = gone.ref()
        return BatchTracer(trace, gone if val is None else val, entry[5])
    if entry[0].multiple_results:
        return tuple(_replayed(trace, *o) for o in entry[6])
    return _replayed(trace, *entry[6][0])


def _same_arg_pair(trace: BatchTrace, args: tuple, keys: tuple, bdims: tuple) -> bool:
    """_same_args for two arguments (``x * y``, ``2.0 * x``), unrolled: half the time of
    the loop, on the path of most replayed operations."""
    a, b = args
    key, bdim = keys[0], bdims[0]
    if type(a) is BatchTracer and a._trace is trace:
        if a.bdim != bdim:
            return False
        val = a.val
        if type(val) is np.ndarray:
            if type(key) is not weakref.ref or key() is not val:
                return False
        elif type(val) is _Gone:
            if val.ref is not key:
                return False
        elif val is not key:
            return False
    elif bdim is not None:
        return False
    elif a is not key and not _same_constant(
        a.val if type(a) is SharedTracer and a._trace is trace else a, key
    ):
        return False
    key, bdim = keys[1], bdims[1]
    if type(b) is BatchTracer and b._trace is trace:
        if b.bdim != bdim:
            return False
        val = b.val
        if type(val) is np.ndarray:
            if type(key) is not weakref.ref or key() is not val:
                return False
        elif type(val) is _Gone:
            if val.ref is not key:
                return False
        elif val is not key:
            return False
    elif bdim is not None:
        return False
    elif b is not key and not _same_constant(
        b.val if type(b) is SharedTracer and b._trace is trace else b, key
    ):
        return False
    return True


def _narrow(trace: BatchTrace, state: SplitState, t: Any) -> Any:
    """``t`` over the active lanes (a gather when it was computed on an earlier lane set)."""
    if type(t) is not BatchTracer or t._trace is not trace:
        return t
    val = t.val
    if type(val) is _Gone:
        # Dead since the run that recorded it: this group's copy of it, or compute again.
        sub = state.subs.get(id(val.ref)) if state.subs else None
        if sub is None:
            raise _Restart
        val = sub[1]
    size = val.shape[t.bdim]
    if size == trace.axis_size:
        return t if val is t.val else BatchTracer(trace, val, t.bdim)
    # The cache holds its source weakly: a value the function no longer holds is not kept
    # alive (nor pinned for the groups left behind) by having been narrowed once.
    cached = state.cache.get(id(val))
    if cached is None or cached[0]() is not val:
        positions = _positions(state, size)
        if positions is None:
            if state.subs and type(val) is np.ndarray:
                # A recorded value over a lane set of the run this group left: its copy.
                sub = state.subs.get(id(weakref.ref(val)))
                if sub is not None:
                    return _narrow(trace, state, BatchTracer(trace, sub[1], t.bdim))
            # not a lane set of this run's lineage (a broadcast axis)
            return t if val is t.val else BatchTracer(trace, val, t.bdim)
        narrowed = _take(trace, val, positions, t.bdim)
        source: Any = weakref.ref(val) if type(val) is np.ndarray else _Held(val)
        cached = (source, narrowed)
        state.cache[id(val)] = cached
    return BatchTracer(trace, cached[1], t.bdim)


class _Held:
    """A strong reference called like a weak one."""

    __slots__ = ("val",)

    def __init__(self, val: Any):
        self.val = val

    def __call__(self) -> Any:
        return self.val


def _positions(state: SplitState, size: int) -> np.ndarray | None:
    """Where the active lanes are in the earlier lane set of ``size`` lanes (None when no
    lane set of this run's lineage has that size).

    ``state.steps`` holds each narrowing as a mask over the lane set before it (one byte
    per lane: index arrays of every narrowing would be most of a split run's memory, and
    fresh memory costs page faults on every call); ``state.newest`` is the newest one's
    kept positions.  ``state.positions[size]`` is (a mask over that set of the lanes
    active after narrowing number ``version``, or None for all of them; ``version``).  The
    call's own lane set (every example) needs no composing: the active lanes are
    ``state.lanes``."""
    if size == state.call.axis_size:
        return state.lanes
    entry = state.positions.get(size)
    if entry is None:
        return None
    mask, version = entry
    steps = state.steps
    n = len(steps)
    if mask is None and version == n - 1:  # the lane set just before the newest narrowing
        return state.newest
    if version < n:
        if mask is None:
            mask = steps[version].copy()
            version += 1
        else:
            mask = mask.copy()  # (shared with nothing else once composed)
        for k in range(version, n):
            mask[mask] = steps[k]
        state.positions[size] = (mask, n)
    return mask.nonzero()[0]


def _memo_view(state: SplitState) -> tuple[list, int]:
    """The record a group leaving now may replay: this run's operations so far."""
    if state.hitting:
        return state.memo_src, state.memo_pos
    return state.memo, len(state.memo)


def _continue_with_one_group(
    trace: BatchTrace, state: SplitState, entries: list, singles: np.ndarray, keys: Any = None
) -> Any:
    """Narrow the run to the group holding the lowest example among the groups of several
    examples; leave the others (and the examples alone) for later runs.  Returns the
    continuing group's log entry, or None when no group is large enough to continue
    (the caller then abandons the run).  ``keys``: for a split on a bool, the lanes' bools."""
    solo_below = state.call.solo_below
    # The first run over every lane: positions ARE lanes (no gather of a batch-sized index).
    full = len(state.lanes) == state.call.axis_size
    large = [e for e in entries if len(e[0]) >= solo_below]
    if not large:
        return None
    keep, keep_entry = min(large, key=lambda e: e[0][0])
    prefix = state.log[: state.pos]
    memo, memo_len = _memo_view(state)
    alive = (
        _alive(state, memo, memo_len)
        if any(len(idx) >= solo_below and idx is not keep for idx, _ in entries)
        else None
    )
    size = trace.axis_size
    for idx, entry in entries:
        if idx is keep:
            continue
        lanes = idx if full else state.lanes.take(idx)
        if split_state.EXPLAIN is not None:
            split_state.EXPLAIN.spawned(lanes)
        if len(idx) < solo_below:  # cheaper run example by example than replayed
            state.pending.append((lanes, None, None, 0, None, None))
            continue
        log = prefix if entry is _NO_ENTRY else [*prefix, entry]
        subs = _substitutes(trace, state, alive, idx)
        # Its copies cover every recorded value alive now: of this run's lane sets the
        # group needs none (the call's own lane set is its lanes, see _positions).
        state.pending.append((lanes, log, memo, memo_len, ({}, []), subs))
    if len(singles):
        state.pending.append((state.lanes[singles], None, None, 0, None, None))
        if split_state.EXPLAIN is not None:
            split_state.EXPLAIN.spawned(state.pending[-1][0])
    state.positions[size] = (None, len(state.steps))
    if keys is not None:  # a split on a bool: the group is where the lanes are True or False
        mask = keys.copy() if keys[keep[0]] else ~keys
    else:
        mask = np.zeros(size, bool)
        mask[keep] = True
    state.steps.append(mask)
    state.newest = keep
    state.lanes = keep if full else state.lanes.take(keep)
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


def _same_args(trace: BatchTrace, args: tuple, keys: tuple, bdims: tuple) -> bool:
    """_matches for an operation without parameters (``x * y``, ``abs(x)``), kept tight."""
    if len(keys) != len(args):
        return False
    if len(args) == 2:
        return _same_arg_pair(trace, args, keys, bdims)
    for a, key, bdim in zip(args, keys, bdims):
        if type(a) is BatchTracer and a._trace is trace:
            if a.bdim != bdim:
                return False
            val = a.val
            if type(val) is np.ndarray:
                if type(key) is not weakref.ref or key() is not val:
                    return False
            elif type(val) is _Gone:
                if val.ref is not key:
                    return False
            elif val is not key:
                return False
        elif bdim is not None:
            return False
        elif a is not key and not _same_constant(
            a.val if type(a) is SharedTracer and a._trace is trace else a, key
        ):
            return False
    return True


def _matches(trace: BatchTrace, entry: tuple, args: tuple, params: dict) -> bool:
    """Whether this operation is the recorded one: the same parameters and arguments.

    An entry of the record is ``(prim, params, keys, bdims, gone, bdim, outs)``: per
    argument its key (a weak reference to a batched value's array, or the plain value) and
    batch axis (None for a plain value); then the output, as ``gone`` (the common case: one
    batched array, ``_Gone`` standing for it once it is dead) with its batch axis, or
    ``outs`` (see _record)."""
    rparams = entry[1]
    if rparams is not params and (rparams or params) and not _same_params(rparams, params):
        return False
    return _same_args(trace, args, entry[2], entry[3])


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


_PLAIN_SCALARS = frozenset((int, float, complex, bool))


def _arg_key(trace: BatchTrace, a: Any) -> tuple:
    """(key, batch axis) of one argument in the record (see _matches)."""
    if type(a) is BatchTracer and a._trace is trace:
        v = a.val
        return (weakref.ref(v) if type(v) is np.ndarray else _key(v)), a.bdim
    # a value shared by every example: the same plain value in every run
    return (a.val if type(a) is SharedTracer and a._trace is trace else a), None


def _record(trace: BatchTrace, state: SplitState, prim, params, args, out) -> None:
    # Every operation of a continuing run passes here: one or two arguments, unrolled.
    n = len(args)
    if n == 2:
        a, b = args
        if type(a) is BatchTracer and a._trace is trace and type(a.val) is np.ndarray:
            k0, b0 = weakref.ref(a.val), a.bdim
        else:
            k0, b0 = _arg_key(trace, a)
        if type(b) is BatchTracer and b._trace is trace and type(b.val) is np.ndarray:
            k1, b1 = weakref.ref(b.val), b.bdim
        elif type(b) in _PLAIN_SCALARS:
            k1, b1 = b, None
        else:
            k1, b1 = _arg_key(trace, b)
        keys: tuple = (k0, k1)
        bdims: tuple = (b0, b1)
    elif n == 1:
        k0, b0 = _arg_key(trace, args[0])
        keys, bdims = (k0,), (b0,)
    else:
        pairs = [_arg_key(trace, a) for a in args]
        keys = tuple(k for k, _ in pairs)
        bdims = tuple(b for _, b in pairs)
    if (
        type(out) is BatchTracer
        and out._trace is trace
        and type(out.val) is np.ndarray
        and not prim.multiple_results
    ):
        v = out.val
        gone = _Gone(weakref.ref(v), v.shape, v.dtype)
        entry = (prim, params, keys, bdims, gone, out.bdim, None)
    else:
        outs = []
        for o in out if prim.multiple_results else (out,):
            if type(o) is BatchTracer and o._trace is trace:
                v = o.val
                outs.append((_key(v), o.bdim, v.shape, v.dtype))
            else:
                outs.append((o.copy() if type(o) is np.ndarray else o, None, None, None))
        entry = (prim, params, keys, bdims, None, None, tuple(outs))
    state.memo.append(entry)
    call = state.call
    call.memo_ops += 1
    if call.memo_ops >= MEMO_LIMIT_OPS:
        state.recording = False


def _alive(state: SplitState, memo: list, memo_len: int) -> list:
    """The recorded batched values alive now, (weak reference, value, batch axis), and this
    run's own copies of those that died before it started (``state.subs``).

    A recorded value that died stays dead: a later pass over the same record looks again
    only at the entries alive at the last pass and at those recorded since
    (``state.alive_scan``), not at the whole record at every split."""
    scan = state.alive_scan
    if scan is not None and scan[0] is memo and scan[1] <= memo_len:
        entries: Any = itertools.chain(scan[2], itertools.islice(memo, scan[1], memo_len))
    else:
        entries = itertools.islice(memo, memo_len)
    alive = []
    live = []  # the entries with an output alive now
    for e in entries:
        gone = e[4]
        if gone is not None:  # one batched output (the common case)
            v = gone.ref()
            if v is not None:
                alive.append((gone.ref, v, e[5]))
                live.append(e)
            continue
        held = False
        for key, bdim, _, _ in e[6]:
            if bdim is not None and type(key) is weakref.ref:
                v = key()
                if v is not None:
                    alive.append((key, v, bdim))
                    held = True
        if held:
            live.append(e)
    state.alive_scan = (memo, memo_len, live)
    subs = state.subs
    if subs:
        alive.extend(sub for sub in subs.values() if sub[0]() is None)
    return alive


def _substitutes(trace: BatchTrace, state: SplitState, alive: list, idx: np.ndarray) -> dict:
    """What a group leaving now keeps of the recorded values alive now: (weak reference,
    the value over the group's lanes, batch axis), by the id of the weak reference (which
    the record holds).  The group's replay answers with a recorded value, or with ``_Gone``
    once that value is dead; computing on a ``_Gone`` value (_narrow) takes this copy,
    which holds the group's lanes only (not every lane of the run)."""
    subs = {}
    for ref, val, bdim in alive:
        size = val.shape[bdim]
        if size == trace.axis_size:
            positions = idx
        else:
            positions = _positions(state, size)
            if positions is None:  # not a lane set of this run's lineage: kept whole
                subs[id(ref)] = (ref, val, bdim)
                continue
            positions = positions[idx]
        subs[id(ref)] = (ref, _take(trace, val, positions, bdim), bdim)
    return subs


def _take(trace: BatchTrace, val: Any, positions: np.ndarray, axis: int) -> Any:
    """``val`` at ``positions`` along ``axis``: a gather (in the enclosing trace when ``val``
    is its value)."""
    if type(val) is np.ndarray:
        return val.take(positions, axis=axis)  # (the method: np.take's wrapper costs more)
    token = _current_trace.set(trace.parent)
    try:
        return np.take(val, positions, axis=axis)
    finally:
        _current_trace.reset(token)
