"""The outputs of the groups of a loop-faithful vmap put back in lane order
(autovec/interpreters/split.py): stacked as the loop's ``np.stack`` would, laid out by
``out_axes``, or kept per example with ``ragged="list"``."""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec import errors
from autovec.backends import namespace_of
from autovec.core import Tracer, _current_trace
from autovec.interpreters.batching import (
    BatchTrace,
    BatchTracer,
    _as_array,
    _finish_outputs,
)
from autovec.interpreters.split_lanes import _RAGGED, _ROWS
from autovec.prims.elementwise import PYTHON_SCALAR_CHECK
from autovec.prims.shape import broadcast_batch
from autovec.tree import broadcast_prefix, tree_flatten, tree_unflatten


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
        alone = len(parts) == 1 and parts[0][2] is _ROWS  # examples run one by one
        merged.append(BatchTracer(trace, _scatter(arrays, lane_sets, axis_size, alone), 0))
    try:
        return _finish_outputs(trace, tree_unflatten(treedef, merged), out_axes, inputs)
    finally:
        trace.alive = False


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
    xp = namespace_of(a, b)
    if xp is not np:  # another library's arrays (a GPU tensor): compared where they are
        a, b = xp.asarray(a), xp.asarray(b)
        if tuple(a.shape) != tuple(b.shape):
            return False
        return bool(xp.all((a == b) | ((a != a) & (b != b))))  # NaNs equal, as below
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


def _scatter(arrays: list, lane_sets: list, axis_size: int, alone: bool = False) -> Any:
    """The groups' outputs (lane axis first) back in lane order, promoted as np.stack does.
    ``alone``: one array, the examples' own outputs stacked afresh (split_lanes.py)."""
    if not any(isinstance(a, Tracer) for a in arrays):
        check = PYTHON_SCALAR_CHECK.get()
        if check is not None:  # autovec.vectorize: ints promoted to float may round
            check("stack", tuple(arrays), None)
        if alone and _in_order(lane_sets[0], axis_size):
            return arrays[0]  # every example, in order: stacked once already
        dtype = np.result_type(*arrays)
        out = np.empty((axis_size, *arrays[0].shape[1:]), dtype)
        for lanes, a in zip(lane_sets, arrays):  # no concatenation: one pass over each group
            out[lanes] = a
        return out
    order = np.concatenate(lane_sets)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(axis_size)
    return np.take(np.concatenate(arrays), inverse, axis=0)


def _in_order(lanes: np.ndarray, axis_size: int) -> bool:
    return len(lanes) == axis_size and bool((lanes == np.arange(axis_size)).all())
