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

import heapq
import time
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.backends import namespace_of
from autovec.core import EVAL_TRACE, _current_trace, raise_numpy_write_error
from autovec.interpreters import batch_trace, batching, random_hidden, split_replay, split_state
from autovec.interpreters import randomness as randomness_mod
from autovec.interpreters.batch_foreign import ForeignBatchTrace
from autovec.interpreters.batching import (
    BatchTrace,
    BatchTracer,
    SharedTracer,
    _as_array,
    _finish_outputs,
    _unbatched_input,
)
from autovec.interpreters.split_lanes import _run_lanes, lane_failure
from autovec.interpreters.split_merge import _merge, _unstack
from autovec.interpreters.split_points import _install_conversions
from autovec.interpreters.split_points import concretize as concretize  # for autovec.numpy
from autovec.interpreters.split_points import per_example as per_example  # for autovec.numpy
from autovec.interpreters.split_replay import ContinuingBatchTrace, _narrow, _Restart
from autovec.interpreters.split_state import SplitState, _Call
from autovec.interpreters.writeback import mark_read_only, write_back, written
from autovec.prims.shape import moveaxis
from autovec.tree import tree_flatten

FALLBACK_MODES = ("warn", "loop", "error")


_note = errors.add_note


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
    if split_state.EXPLAIN is not None and split_state.EXPLAIN.batch_size is None:
        split_state.EXPLAIN.batch_size = axis_size
    run = randomness_mod.RandomRun(randomness)
    key = getattr(fun, "__code__", None)  # which function: see _SPLIT_LAST_TIME
    with randomness_mod.hooked(fun, leaves) as leaves:
        # Generators no hook stands for (in a list, an attribute, a default, ...): if one
        # drew, its draws were shared by the examples; they run as the loop instead.
        inner = getattr(fun, "__wrapped__", None)  # vmap(jit(f)): f's own reach too
        reached = batching._reachable(fun) + (batching._reachable(inner) if inner else [])
        hidden = random_hidden.hidden_generators([*leaves, *reached], leaves)
        try:
            out = _run_vmap(
                call, leaves, axes, axis_size, axis_name, out_axes, fallback, run, key, ragged
            )
            if not hidden or not random_hidden.drew(hidden) or run.mode == "same":
                return out
            if run.mode != "loop":
                raise errors.RandomnessError(
                    f"A generator reached through a container, an attribute or a default "
                    f"value drew random numbers inside vmap(..., randomness={run.mode!r}); "
                    f"pass it as an argument or hold it in a variable the function names."
                )
            raise run.to_loop()
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


def _no_split(leaves: list) -> errors.BackendUnsupportedError:
    return errors.BackendUnsupportedError(
        f"vmap(..., fallback='error') on {namespace_of(*leaves).__name__} arrays: the "
        f"examples diverge here (a Python `if`/`while`, float(), .item() or np.asarray on a "
        f"batched value, or an operation that fails for some examples only), and on this "
        f"library vmap cannot split the batch into groups as it does on NumPy arrays: it "
        f"would run every example on its own, as the Python loop does, which "
        f"fallback='error' refuses. Keep the choice per example with autovec.numpy.where or "
        f"autovec.cond (loops: autovec.while_loop), or pass fallback='warn' or 'loop'."
    )


def _run_every_lane(call, leaves, axes, axis_size, axis_name, out_axes, ragged) -> Any:
    """Every example on its own, in lane order, as the Python loop runs it: the function on
    each example's row (a view of the caller's, so writes reach it), the outputs stacked by
    their library (split_lanes._run_lanes); an exception names its example."""
    parent = _current_trace.get()
    lanes = np.arange(axis_size)
    started = time.perf_counter()
    result, failed = _run_lanes(call, leaves, axes, lanes, ragged) if axis_size else (None, None)
    if split_state.EXPLAIN is not None:
        split_state.EXPLAIN.spawned(lanes)
        split_state.EXPLAIN.ran_alone([lanes], time.perf_counter() - started)
    if failed is not None:
        lane, exc = failed
        _note(exc, f"vmap: raised for the example at index {lane}")
        raise exc
    return _merge([(lanes, *result)], axis_size, axis_name, parent, out_axes, leaves, ragged)


def _run_vmap(
    call, leaves, axes, axis_size, axis_name, out_axes, fallback, run, key, ragged="error"
) -> Any:
    parent = _current_trace.get()
    foreign = namespace_of(*leaves) is not np  # splits run on NumPy arrays only (below)
    splittable = _splittable(parent)
    state = None
    if splittable:
        state = SplitState([], _Call(fallback, run, key, leaves, axes, ragged, axis_size))
        if foreign:
            state.call.foreign = namespace_of(*leaves)
        if key is not None and not foreign and _split_last_time(key):
            # This function split the last time: start with the continuing run.
            return _run_groups(call, leaves, axes, axis_size, axis_name, out_axes, state, None)
    trace = (ForeignBatchTrace if foreign else BatchTrace)(parent, axis_size, axis_name)
    trace.split = state
    run.first_trace = trace
    in_vals = [
        _unbatched_input(leaf, trace) if ax is None else BatchTracer(trace, _as_array(leaf), ax)
        for leaf, ax in zip(leaves, axes)
    ]
    mark_read_only(in_vals, leaves)
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
    if foreign and state is not None and state.request is not None:
        # Another library's arrays: no groups (ContinuingBatchTrace narrows NumPy batches);
        # every example runs alone, as in the loop (foreign_split warned where they differ).
        if fallback == "error":
            raise _no_split(leaves) from getattr(state.request, "cause", None)
        if run.draws:
            raise run.to_loop()  # (a block draw for the whole batch: restore the generators)
        return _run_every_lane(call, leaves, axes, axis_size, axis_name, out_axes, ragged)
    if state is None or state.request is None:
        if ragged == "list":
            result = _unstack(_finish_outputs(trace, out, 0, leaves), axis_size)
        else:
            result = _finish_outputs(trace, out, out_axes, leaves)
        if written(in_vals, leaves):  # in-place updates reach the caller's arrays
            write_back(trace, in_vals, leaves, axes)
        return result
    if run.draws:
        # The groups would re-run a block draw made for the whole batch: run the loop.
        raise run.to_loop()
    return _run_groups(call, leaves, axes, axis_size, axis_name, out_axes, state, state.request)


# A run still to do: (its lanes, the decision log it replays, the record it may replay and
# how much of it, where its lanes are in the earlier lane sets of its lineage (see
# _positions), its copies of the recorded values alive when it left (see _substitutes)).
# A run whose log is None is examples alone (or in groups too small to replay): they run
# one by one as the loop would.
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
        if split_state.EXPLAIN is not None:
            split_state.EXPLAIN.count_last()
            split_state.EXPLAIN.spawned(singles[-1])
    done: list[tuple[np.ndarray, list, Any, list[bool]]] = []
    # The exception the loop raises first is the lowest failing lane's: keep the lowest,
    # and skip the work of lanes above it.
    failed: tuple[int, BaseException] | None = None
    while heap:
        _, _, job = heapq.heappop(heap)
        if failed is not None and job[0][0] > failed[0]:
            continue
        # Each attempt on a copy of the job's log: a run appends its own decisions, and a
        # restarted run (or another group sharing that prefix) must not replay them.
        run_state = SplitState(list(job[1]), state.call)
        started = time.perf_counter()
        try:
            try:
                result = _run_job(call, arrays, leaves, axes, job, axis_name, parent, run_state)
            except _Restart:
                run_state = SplitState(list(job[1]), state.call)
                job = (*job[:2], None, 0, *job[4:])
                result = _run_job(call, arrays, leaves, axes, job, axis_name, parent, run_state)
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
            if split_state.EXPLAIN is not None:
                for lanes in singles[-len(request.groups) - bool(len(request.singles)) :]:
                    split_state.EXPLAIN.spawned(lanes)
        if split_state.EXPLAIN is not None:
            split_state.EXPLAIN.ran(job[0], time.perf_counter() - started)
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
            if split_state.EXPLAIN is not None:
                split_state.EXPLAIN.ran_alone(singles, time.perf_counter() - started)
            if lane_failed is not None:
                failed = min(failed or lane_failed, lane_failed, key=_first)
            elif result is not None:
                done.append((lanes, *result))
    if failed is not None:
        lane, exc = failed
        _note(exc, f"vmap: raised for the example at index {lane}")
        raise exc
    return _merge(done, axis_size, axis_name, parent, out_axes, leaves, state.call.ragged)


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


def _run_job(call, arrays, leaves, axes, job: Job, axis_name, parent, state: SplitState) -> tuple:
    """One continuing run over ``job``'s lanes; its outputs (lane axis first) over the lanes
    it still held at the end (``state.lanes``)."""
    lanes, log, memo, memo_len, (positions, steps), subs = job
    trace = ContinuingBatchTrace(parent, len(lanes), axis_name)
    trace.split = state
    state.continuing = True
    state.lanes = lanes
    state.positions = dict(positions)  # see _positions
    state.steps = list(steps)
    state.newest = None
    state.cache = {}
    state.memo = []
    state.memo_src = memo
    state.memo_len = memo_len
    state.memo_pos = 0
    state.hitting = trace.replaying = memo is not None
    state.recording = state.call.memo_ops < split_replay.MEMO_LIMIT_OPS
    state.pending = []
    state.subs = subs  # see _substitutes
    # Every run starts from the same input arrays, so that recorded operations on them
    # are recognised; a group's inputs are gathered to its lanes on first use.
    in_vals = [
        _unbatched_input(x, trace) if ax is None else BatchTracer(trace, x, ax)
        for x, ax in zip(arrays, axes)
    ]
    mark_read_only(in_vals, arrays)
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
    if state.request is None and written(in_vals, arrays):
        # This group's updates reach the caller's rows, last: a restart (_narrow) runs the
        # group again from the caller's arrays, which must still be unwritten.
        finals = {
            id(t): _narrow(trace, state, t)
            for t, x in zip(in_vals, arrays)
            if type(t) is BatchTracer and t.val is not x
        }
        write_back(trace, in_vals, leaves, axes, state.lanes, lambda t: finals[id(t)])
    return vals, treedef, batched


_install_conversions()
batching.RUN_VMAP = run_vmap
batch_trace.LANE_FAILURE = lane_failure
