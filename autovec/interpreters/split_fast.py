"""The operators' short way into a continuing run of a loop-faithful vmap
(autovec/interpreters/split_replay.py): a group replaying the record gets the recorded
output, and a run that computes calls NumPy's elementwise function and records it, each a
few Python calls short of ``bind`` (the operators of tracers come here,
autovec/numpy/methods.py and autovec/numpy/_elision.py).  Anything else goes to the trace's
own rule, which is what these stand for."""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from autovec import parallel
from autovec.core import EVAL_TRACE, Primitive
from autovec.interpreters import batch_views, split_replay
from autovec.interpreters.batch_fast import EAGER, eager_facts
from autovec.interpreters.batch_trace import elide_into
from autovec.interpreters.batching import BatchTracer
from autovec.interpreters.split_replay import (
    _PLAIN_SCALARS,
    ContinuingBatchTrace,
    _Gone,
    _hit,
    _narrow,
    _record,
    _same_args,
)
from autovec.prims.elementwise import PYTHON_SCALAR_CHECK


def replay(trace: ContinuingBatchTrace, prim: Primitive, args: tuple) -> Any:
    """``prim.bind(*args)`` (an operation without parameters: ``x * y``, ``abs(x)``) where
    ``trace`` is the current trace and is replaying its record (``trace.split.hitting``):
    the recorded output when this is the next recorded operation (the same primitive on
    the same arguments, as ``_same_args`` says), else the trace's own rule."""
    state = trace.split
    pos = state.memo_pos
    if state.hitting and pos < state.memo_len:
        entry = state.memo_src[pos]
        if entry[0] is prim and not entry[1]:
            keys = entry[2]
            if not _same_args(trace, args, keys, entry[3]):
                return trace.process_primitive(prim, args, {})
            state.memo_pos = pos + 1
            gone = entry[4]
            if gone is not None:  # the common case: one batched array
                val = gone.ref()
                return BatchTracer(trace, gone if val is None else val, entry[5])
            return _hit(trace, state, pos, entry)
    return trace.process_primitive(prim, args, {})


def compute(trace: ContinuingBatchTrace, prim: Primitive, args: tuple) -> Any:
    """``prim.bind(*args)`` (an operation without parameters) where ``trace`` is the current
    trace and a continuing run that computes (not replaying): for an elementwise NumPy
    function on batches over the active lanes and Python scalars (what eager vmap's hot path,
    ``BatchTrace._call_ufunc``, calls NumPy on directly), that call and its entry in the
    record (as ``_record`` writes it), a few Python calls short of ``bind``; anything else,
    or any error, takes the trace's own rule (which computes it again and reports it its
    way)."""
    facts = EAGER.get(prim)
    if facts is None:
        facts = eager_facts(prim)
    fn = facts[0]
    if (
        fn is None
        or facts[4] is not prim.impl  # (a replaced impl: a spy, which the rule calls)
        or trace.parent is not EVAL_TRACE
        or batch_views.WRITE_INTO is not None
        or elide_into.get() is not None
        or PYTHON_SCALAR_CHECK.get() is not None
        or len(args) > 2
    ):
        return trace.process_primitive(prim, args, {})
    state = trace.split
    size = trace.axis_size
    vals = []
    keys = []  # the record's keys of the arguments (see _record)
    bdims = []
    bdim = ndim = None
    for a in args:
        if type(a) is BatchTracer and a._trace is trace:
            val = a.val
            if type(val) is np.ndarray:
                key: Any = weakref.ref(val)
                if val.shape[a.bdim] != size:  # computed over an earlier lane set
                    cached = state.cache.get(id(val))  # (narrowed already: _narrow's cache)
                    if cached is not None and cached[0]() is val:
                        val = cached[1]
                    else:
                        val = _narrow(trace, state, a).val
            elif type(val) is _Gone:  # dead since an earlier run recorded it
                key = val.ref
                val = _narrow(trace, state, a).val
            else:
                return trace.process_primitive(prim, args, {})
            if type(val) is not np.ndarray or val.size >= parallel.MIN_ELEMENTS:
                return trace.process_primitive(prim, args, {})  # (the rule may split it)
            if bdim is None:
                bdim, ndim = a.bdim, val.ndim
            elif a.bdim != bdim or val.ndim != ndim:  # (the rule aligns them)
                return trace.process_primitive(prim, args, {})
            vals.append(val)
            keys.append(key)
            bdims.append(bdim)
        elif type(a) in _PLAIN_SCALARS:
            vals.append(a)
            keys.append(a)
            bdims.append(None)
        else:
            return trace.process_primitive(prim, args, {})
    if bdim is None:
        return trace.process_primitive(prim, args, {})
    try:
        v = fn(*vals)
    except Exception:  # noqa: BLE001  (failing lanes, errstate: the rule's path reports it)
        return trace.process_primitive(prim, args, {})
    out = BatchTracer(trace, v, bdim)
    if state.recording:
        if type(v) is not np.ndarray:
            _record(trace, state, prim, {}, args, out)
            return out
        gone = _Gone(weakref.ref(v), v.shape, v.dtype)
        state.memo.append((prim, {}, tuple(keys), tuple(bdims), gone, bdim, None))
        call = state.call
        call.memo_ops += 1
        if call.memo_ops >= split_replay.MEMO_LIMIT_OPS:
            state.recording = False
    return out
