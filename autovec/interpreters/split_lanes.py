"""Lanes on their own in a loop-faithful vmap (autovec/interpreters/split.py): a batched
operation that fails for some lanes only is re-run per lane to find them, and examples alone
in their group run one by one, exactly as the Python loop does."""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec import errors
from autovec.backends import ARRAY_TYPES, adopt, namespace_of
from autovec.core import Primitive, Tracer, _current_trace
from autovec.interpreters import split_state
from autovec.interpreters.batching import BatchTrace, _resolve_outputs
from autovec.interpreters.split_points import foreign_split
from autovec.interpreters.split_state import _NO_ENTRY
from autovec.interpreters.writeback import NO_WRITE_BACK
from autovec.tree import LEAF, tree_flatten

_ALL = slice(None)

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
    xp = state.call.foreign
    n = trace.axis_size
    failures: dict[int, Exception] = {}
    token = _current_trace.set(trace.parent)
    try:
        for i in range(n):
            if xp is None or nested:
                lane_args = [v if d is None else np.take(v, i, axis=d) for v, d in zip(vals, dims)]
            else:  # the example's own view of another library's batch, as the loop's
                lane_args = [v if d is None else v[(_ALL,) * d + (i,)] for v, d in zip(vals, dims)]
            try:
                if nested:
                    # Values of an enclosing vmap: it runs the lane, and splits its own
                    # batch where only some of its examples fail.
                    prim.bind(*lane_args, **params)
                elif xp is not None:
                    prim.impl(xp, *adopt(xp, tuple(lane_args)), **params)
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
    if xp is not None and not nested:
        # Another library's arrays: no groups; every example runs alone (split.py).
        what = f"{prim.name} raising {type(next(iter(failures.values()))).__name__}"
        if split_state.EXPLAIN is not None:
            split_state.EXPLAIN.split_at("exception", what, False, n, False)
        request = foreign_split(state, "exception", f"{what} for some examples only", n)
        request.cause = err  # (fallback="error" chains it to its error)
        raise request
    by_type: dict[type, list[int]] = {}
    for i, exc in failures.items():
        by_type.setdefault(type(exc), []).append(i)
    healthy = np.array([i for i in range(n) if i not in failures])
    groups = [healthy] + [np.array(lanes) for lanes in by_type.values()]
    if split_state.EXPLAIN is not None:
        names = ", ".join(sorted({type(e).__name__ for e in failures.values()}))
        what = f"{prim.name} raising {names}"
        split_state.EXPLAIN.split_at("exception", what, False, len(groups), state.continuing)
    raise state.split([(g, _NO_ENTRY) for g in groups], np.zeros(0, np.intp))


_PLAIN_LEAVES = frozenset(
    (np.ndarray, float, int, bool, complex, np.float64, np.float32, np.int64, np.bool_)
)


def _run_lanes(call, leaves, axes, lanes: np.ndarray, ragged: str = "error") -> tuple:
    """Lanes alone in their group (``lanes``: sorted, distinct): the function runs on each
    example exactly as in the loop, and the outputs are stacked as the loop's ``np.stack``
    would (kept per example with ``ragged="list"``)."""
    # One example of each mapped leaf, as the loop's indexing gives it: a view of the
    # caller's row, so that a write inside the function (x[1] = -5) reaches the caller's
    # batch as in the loop (writeback.py), and read-only rows refuse it as NumPy does.
    # (another library's arrays, a torch tensor: its rows are views too, as tensor[i] gives)
    rows = [
        None if ax is None else (leaf if ax == 0 else _moveaxis(leaf, ax))
        for leaf, ax in zip(leaves, axes)
    ]
    copies = NO_WRITE_BACK.get()

    def example(r: Any, lane: int) -> Any:
        one = r[lane]
        if copies and type(one) is np.ndarray:
            # np.copy keeps the example's memory order (a Fortran-like example stays so),
            # which layout-reading code (ravel(order='K'), zeros_like) sees as in the loop.
            return np.copy(one, order="K")
        if copies and type(one) is not np.ndarray and namespace_of(one) is not np:
            return namespace_of(one).asarray(one, copy=True)
        return one

    results: list = []
    plain = None  # whether every output is one plain leaf (None: not known)
    direct = getattr(call, "positional", None)
    try:
        if direct is not None and not copies:
            # The loop itself: the function on each example's leaves, no tracer, no
            # unflattening; only an output that may hold stand-ins is resolved (as call does).
            plain = _lanes_direct(direct, leaves, rows, lanes, results)
        elif len(leaves) == 1 and rows[0] is not None:  # the common case, kept tight
            (r,) = rows
            for lane in lanes.tolist():
                results.append(call([example(r, lane)]))
        else:
            for lane in lanes.tolist():
                results.append(
                    call([x if r is None else example(r, lane) for x, r in zip(leaves, rows)])
                )
    except Exception as exc:
        return None, (int(lanes[len(results)]), exc)
    if ragged == "list":
        return (results, _RAGGED, None), None
    if plain if plain is not None else all(type(o) in _PLAIN_LEAVES for o in results):
        # One leaf per example (the common case): stacked once, as the loop's np.stack.
        return (_stack([results], lanes, rows), LEAF, [_ROWS]), None
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
    columns = [[o[k] for o in outs] for k in range(treedef.num_leaves)]
    return (_stack(columns, lanes, rows), treedef, [_ROWS] * len(columns)), None


def _moveaxis(leaf: Any, ax: int) -> Any:
    """``leaf`` with axis ``ax`` first (a view), on its own library."""
    return (
        np.moveaxis(leaf, ax, 0)
        if isinstance(leaf, np.ndarray)
        else (namespace_of(leaf).moveaxis(leaf, ax, 0))
    )


def _lanes_direct(fun, leaves: list, rows: list, lanes: np.ndarray, results: list) -> bool:
    """``fun`` called on each example's arguments in lane order, its outputs appended to
    ``results`` (so that a failing lane is ``lanes[len(results)]``); True when every output
    is one plain leaf (``_PLAIN_LEAVES``, or an array of a registered library: a tensor)."""
    append = results.append
    plain = _PLAIN_LEAVES
    every_plain = True
    if len(leaves) == 1 and rows[0] is not None:
        (r,) = rows
        # Every lane in order (sorted, distinct): iterate the rows as the loop does.
        every = len(lanes) == len(r) and (not len(lanes) or lanes[-1] == len(r) - 1)
        for one in r if every else (r[lane] for lane in lanes.tolist()):
            out = fun(one)
            if type(out) not in plain and type(out) not in ARRAY_TYPES:
                out = _resolve_outputs(out)
                every_plain = False
            append(out)
        return every_plain
    for lane in lanes.tolist():
        out = fun(*[x if r is None else r[lane] for x, r in zip(leaves, rows)])
        if type(out) not in plain and type(out) not in ARRAY_TYPES:
            out = _resolve_outputs(out)
            every_plain = False
        append(out)
    return every_plain


# Scalar types whose values np.stack gathers into an array of one fixed dtype.
_SCALAR_DTYPES = {
    t: np.dtype(t)
    for t in (
        *(np.float16, np.float32, np.float64, np.complex64, np.complex128, np.bool_),
        *(np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64),
    )
}
_SCALAR_DTYPES[float] = np.dtype(np.float64)


def _stack_scalars(column: list) -> np.ndarray | None:
    """``np.stack(column)`` when every value is a scalar of one type (a float per example,
    the common case): read in one pass, without np.stack's 0-d array per value (30x
    faster on 10,000 values); None otherwise."""
    dtype = _SCALAR_DTYPES.get(type(column[0])) if column else None
    if dtype is None or len(set(map(type, column))) != 1:
        return None
    return np.fromiter(column, dtype, len(column))


def _stack(columns: list, lanes: np.ndarray, rows: list = ()) -> list:
    """Each output leaf's per-example values stacked as the loop's ``np.stack`` does; with
    another library's ``rows`` (torch tensors), values of that library by its own stack
    (``torch.stack``: their dtype and device), as that loop would stack them."""
    stacked = []
    for k, column in enumerate(columns):
        fast = _stack_scalars(column)
        if fast is not None:
            stacked.append(fast)
            continue
        # (another library's rows, a torch tensor's: its outputs may be its arrays)
        xp = _library_of(column) if any(_foreign(r) for r in rows) else None
        try:
            if xp is None:
                stacked.append(np.stack(column))
            else:  # another library's arrays (torch): its own stack, on their device
                if len({tuple(c.shape) if hasattr(c, "shape") else () for c in column}) > 1:
                    raise ValueError("shapes differ")
                stacked.append(xp.stack([xp.asarray(c) for c in column]))
        except ValueError:
            shapes = [
                tuple(np.shape(c)) if xp is None else tuple(getattr(c, "shape", ())) for c in column
            ]
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
    return stacked


def _foreign(row: Any) -> bool:
    return row is not None and type(row) is not np.ndarray and namespace_of(row) is not np


def _library_of(column: list) -> Any:
    """The namespace of another library's arrays among ``column`` (the examples' values of
    one output), else None (NumPy arrays and scalars: np.stack, as the NumPy loop)."""
    for c in column:
        if type(c) is not np.ndarray and not isinstance(c, (np.generic, float, int, complex)):
            xp = namespace_of(c)
            if xp is not np:
                return xp
    return None


_ROWS = "rows"  # an output stacked from examples run one by one (batched, but maybe equal)


_RAGGED = "ragged"  # a group's outputs kept per example (ragged="list")
