"""Loop-faithful vmap: the batch splits where examples diverge.

Where code needs ONE concrete value of a batched value (``bool``, ``int``, ``operator.index``,
``float``, ``complex``, ``.item()``, ``.tolist()``, ``np.asarray``), the lanes are grouped by
their value at that point.  When every lane agrees the value is simply returned (the fast
path).  Otherwise the run is abandoned (``SplitRequest``) and ``run_vmap`` runs the function
again once per group, on that group's lanes only, with a *decision log*: the concrete values
of the earlier points, replayed in order, so that each group follows its own path.  A group
that is a single lane runs the function as the loop would (no tracer at all).  The groups'
outputs are put back in lane order.

A batched operation that fails for some lanes only (``np.linalg.inv`` with one singular
example, ``FloatingPointError`` under ``np.errstate``) is re-run per lane to find the failing
lanes; healthy and failing lanes then become groups, so ``try``/``except`` inside the function
sees what each example sees in the loop.

Cost model (docs/semantics.md): every group re-runs the function from the start, replaying
the log without recomputing the decisions; the prefix before a split is batched work on the
group's own lanes.  Functions are assumed pure: side effects of the prefix happen again for
every group.
"""

from __future__ import annotations

import dis
import operator
import os
import sys
import warnings
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


class SplitState:
    """What one run of a vmapped function knows about splitting: the decision log it
    replays, how far it got, and (shared by every group of one call) the fallback mode and
    the call sites already warned about."""

    __slots__ = ("log", "pos", "fallback", "warned", "request", "random")

    def __init__(self, log: list, fallback: str, warned: set, random: Any = None):
        self.log = log
        self.random = random  # the call's RandomRun (autovec/interpreters/randomness.py)
        self.pos = 0
        self.fallback = fallback
        self.warned = warned
        # Set when this run asked to split.  NumPy replaces an exception raised by
        # __float__ (out[i] = v) with its own ValueError, and user code may catch that: the
        # driver trusts this field, not the exception that reaches it.
        self.request: SplitRequest | None = None

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
    "value": (lambda v: v, False, "a concrete value"),
    "shape": (
        lambda v: np.array(v),
        True,
        "A result whose size depends on the values (np.nonzero, np.unique, x[mask], ...)",
    ),  # an inner vmap asks an outer one
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
}

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
    entries = [(g, _convert(kind, lanes[g[0]], args)) for g in groups]
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

    def __array__(self: BatchTracer, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = concretize(self, "array")
        return out if dtype is None else out.astype(dtype, copy=False)

    BatchTracer.__array__ = __array__


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
    raise state.split([(g, _NO_ENTRY) for g in groups], np.zeros(0, np.intp))


# ----------------------------------------------------------------------------- the driver


def _note(exc: BaseException, note: str) -> None:
    if hasattr(exc, "add_note"):
        if note not in getattr(exc, "__notes__", ()):
            exc.add_note(note)
    elif len(exc.args) == 1 and isinstance(exc.args[0], str) and note not in exc.args[0]:
        exc.args = (f"{exc.args[0]}\n{note}",)


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
) -> Any:
    """Run ``call`` (the function on flat argument leaves) over the batch, splitting it
    where lanes diverge; the result is laid out by ``out_axes``.  ``fun`` (the user's
    function) tells which random generators it reaches (randomness.py)."""
    run = randomness_mod.RandomRun(randomness)
    with randomness_mod.hooked(fun, leaves) as leaves:
        try:
            return _run_vmap(call, leaves, axes, axis_size, axis_name, out_axes, fallback, run)
        except randomness_mod._RunAsLoop as exc:
            if exc.run is not run:
                raise
        # The draws cannot be vectorised: every example runs as the loop, from the
        # generators' states before this call's first draw (restored by to_loop).
        run.looping = True
        parent = _current_trace.get()
        lanes = np.arange(axis_size)
        result, failed = _run_lanes(call, leaves, axes, lanes) if axis_size else (None, None)
        if failed is not None:
            lane, exc = failed
            _note(exc, f"vmap: raised for the example at index {lane}")
            raise exc
        if result is None:
            return _run_vmap(call, leaves, axes, axis_size, axis_name, out_axes, fallback, run)
        return _merge([(lanes, *result)], axis_size, axis_name, parent, out_axes, leaves)


def _run_vmap(call, leaves, axes, axis_size, axis_name, out_axes, fallback, run) -> Any:
    parent = _current_trace.get()
    splittable = _splittable(parent)
    state = SplitState([], fallback, set(), run) if splittable else None
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
        return _finish_outputs(trace, out, out_axes, leaves)
    if run.draws:
        # The groups would re-run a block draw made for the whole batch: run the loop.
        raise run.to_loop()
    return _run_groups(call, leaves, axes, axis_size, axis_name, out_axes, state, state.request)


def _subgroups(lanes: np.ndarray, state: SplitState, request: SplitRequest) -> list:
    prefix = state.log[: state.pos]
    out = []
    for idx, entry in request.groups:
        if len(idx) == 1:
            out.append((lanes[idx], None))
            continue
        log = prefix if entry is _NO_ENTRY else [*prefix, entry]
        out.append((lanes[idx], log))
    return out


def _run_groups(call, leaves, axes, axis_size, axis_name, out_axes, state, request) -> Any:
    parent = _current_trace.get()
    stack: list = []  # (lanes, log) of the groups still to run
    singles: list[np.ndarray] = []  # lanes that run alone, as in the loop

    def take(lanes: np.ndarray, run_state: SplitState, request: SplitRequest) -> None:
        # Pushed highest first: groups run in the order of their lowest example.
        subgroups = sorted(_subgroups(lanes, run_state, request), key=lambda g: -g[0][0])
        for sub_lanes, log in subgroups:
            (singles if log is None else stack).append((sub_lanes, log))
        if len(request.singles):
            singles.append((lanes[request.singles], None))

    take(np.arange(axis_size), state, request)
    done: list[tuple[np.ndarray, list, Any, list[bool]]] = []
    # The exception the loop raises first is the lowest failing lane's: keep the lowest,
    # and skip the work of lanes above it.
    failed: tuple[int, BaseException] | None = None
    while stack:
        lanes, log = stack.pop()
        if failed is not None and lanes[0] > failed[0]:
            continue
        group_state = SplitState(log, state.fallback, state.warned, state.random)
        try:
            result = _run_group(call, leaves, axes, lanes, axis_name, parent, group_state)
        except Exception as exc:
            if group_state.request is None:
                failed = min(failed or (axis_size, exc), (int(lanes[0]), exc), key=_first)
                continue
        except BaseException:
            if group_state.request is None:
                raise
        if group_state.request is not None:
            take(lanes, group_state, group_state.request)
            continue
        done.append((lanes, *result))
    if singles:
        lanes = np.sort(np.concatenate([lanes for lanes, _ in singles]))
        if failed is not None:
            lanes = lanes[lanes < failed[0]]
        if len(lanes):
            result, lane_failed = _run_lanes(call, leaves, axes, lanes)
            if lane_failed is not None:
                failed = min(failed or lane_failed, lane_failed, key=_first)
            elif result is not None:
                done.append((lanes, *result))
    if failed is not None:
        lane, exc = failed
        _note(exc, f"vmap: raised for the example at index {lane}")
        raise exc
    return _merge(done, axis_size, axis_name, parent, out_axes, leaves)


def _first(failure: tuple[int, BaseException]) -> int:
    return failure[0]


_PLAIN_LEAVES = frozenset(
    (np.ndarray, float, int, bool, complex, np.float64, np.float32, np.int64, np.bool_)
)


def _run_lanes(call, leaves, axes, lanes: np.ndarray) -> tuple:
    """Lanes alone in their group: the function runs on each example exactly as in the
    loop, and the outputs are stacked as the loop's ``np.stack`` would."""
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
                    f"np.stack them either)."
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
                f"({detail}, ...). The Python loop could not np.stack them either; return "
                f"arrays of one shape (pad, or reduce) for every example."
            ) from None
    return (stacked, treedef, [True] * len(stacked)), None


def _gather(leaves: list, axes: list, lanes: np.ndarray) -> list:
    return [leaf if ax is None else np.take(leaf, lanes, axis=ax) for leaf, ax in zip(leaves, axes)]


def _run_group(call, leaves, axes, lanes, axis_name, parent, state) -> tuple:
    trace = BatchTrace(parent, len(lanes), axis_name)
    trace.split = state
    in_vals = [
        _unbatched_input(leaf, trace) if ax is None else BatchTracer(trace, _as_array(leaf), ax)
        for leaf, ax in zip(_gather(leaves, axes, lanes), axes)
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
            vals.append(moveaxis(leaf.val, leaf.bdim, 0))
            batched.append(True)
        else:
            vals.append(leaf)
            batched.append(False)
    return vals, treedef, batched


def _describe_lanes(lanes: np.ndarray) -> str:
    shown = ", ".join(str(int(i)) for i in lanes[:8])
    return f"{shown}, ... ({len(lanes)} examples)" if len(lanes) > 8 else shown


def _merge(done, axis_size, axis_name, parent, out_axes, inputs) -> Any:
    treedef = done[0][2]
    for lanes, _, other, _ in done[1:]:
        if other != treedef:
            raise errors.SplitOutputMismatchError(
                f"vmap: the examples returned different structures: examples "
                f"{_describe_lanes(done[0][0])} returned {treedef}, examples "
                f"{_describe_lanes(lanes)} returned {other}. Every example must return the "
                f"same structure of arrays (the Python loop could not np.stack them either)."
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
    order = np.concatenate([lanes for lanes, *_ in done])
    merged = []
    for j in range(n_leaves):
        parts = [(lanes, vals[j], batched[j]) for lanes, vals, _, batched in done]
        if leaf_axes[j] is None and not any(b for _, _, b in parts):
            first = parts[0][1]
            if all(_same_value(first, v) for _, v, _ in parts[1:]):
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
                f"arrays of one shape (pad, or reduce) for every example."
            )
        merged.append(BatchTracer(trace, _scatter(arrays, order, axis_size), 0))
    try:
        return _finish_outputs(trace, tree_unflatten(treedef, merged), out_axes, inputs)
    finally:
        trace.alive = False


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


def _scatter(arrays: list, order: np.ndarray, axis_size: int) -> Any:
    """The groups' outputs (lane axis first) back in lane order, promoted as np.stack does."""
    if not any(isinstance(a, Tracer) for a in arrays):
        dtype = np.result_type(*arrays)
        out = np.empty((axis_size, *arrays[0].shape[1:]), dtype)
        out[order] = np.concatenate(arrays) if len(arrays) > 1 else arrays[0]
        return out
    inverse = np.empty_like(order)
    inverse[order] = np.arange(axis_size)
    return np.take(np.concatenate(arrays), inverse, axis=0)


_install_conversions()
batching.RUN_VMAP = run_vmap
batching.LANE_FAILURE = lane_failure
