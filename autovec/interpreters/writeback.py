"""Writes into a vmap's arguments reach the caller's arrays, as the loop's writes do.

The loop ``for x in xs: f(x)`` hands ``f`` views of the caller's rows, so an in-place update
inside ``f`` (``x[0] = 0``, ``x /= x.sum()``, a write through a view of ``x``) changes the
caller's array.  vmap runs ``f`` on tracers instead: an update makes the input tracer take a
new value (``_become``) and never touches the caller's memory while ``f`` runs.  When a run
has completed, ``write_back`` puts the final value of every batched argument that was
written back where it came from:

- a plain ``numpy.ndarray``: copied into it, along the ``in_axes`` axis (at the lanes the
  run held, for a group of a split batch);
- a value of an enclosing transformation (``vmap(vmap(f))``, ``jit(vmap(f))``): updated in
  place, so that the write travels outwards as the loop's would (jit then returns the final
  value and copies it into the caller's array, interpreters/jit.py).

Another library's arrays (torch tensors) are written as NumPy arrays are (the loop's rows of
a tensor are views too).  Arrays a write could not reach in the loop are left alone: other
array types (their own semantics), values the function only rebinds (``x = x + 1`` makes a
new value).  A read-only argument is read-only inside (``mark_read_only``): the write raises
NumPy's ``ValueError`` where the loop raises it.  Two arguments sharing memory cannot be
written as the loop writes them (a write into one shows in the other at once):
``AliasedArgumentsError``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import numpy as np

from autovec import errors
from autovec.backends import namespace_of
from autovec.core import Tracer, _current_trace
from autovec.interpreters.batch_trace import BatchTrace, BatchTracer
from autovec.prims.shape import moveaxis

# Set while a run must not write into its arguments: dask's blocks (autovec/dask.py) are the
# graph's arrays, or views of the array a dask array was made from, not the caller's.
NO_WRITE_BACK: ContextVar[bool] = ContextVar("autovec_no_write_back", default=False)


def without_write_back(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` with ``NO_WRITE_BACK`` set (a module-level function, so that dask can
    pickle a task that calls it by reference)."""
    token = NO_WRITE_BACK.set(True)
    try:
        return fn(*args)
    finally:
        NO_WRITE_BACK.reset(token)


def mark_read_only(in_vals: list, leaves: list) -> None:
    """Mark the input tracers of read-only arguments read-only, as NumPy marks the loop's
    row views: a write into them (or a view of them) raises NumPy's ``ValueError``."""
    for t, leaf in zip(in_vals, leaves):
        if type(t) is BatchTracer:
            if type(leaf) is np.ndarray:
                if not leaf.flags.writeable:
                    t._readonly = True
            elif getattr(leaf, "_readonly", False) or (
                isinstance(leaf, np.ndarray) and not leaf.flags.writeable
            ):
                t._readonly = True


def written(in_vals: list, leaves: list) -> bool:
    """Whether any input tracer may have been written (it holds another value than the
    argument it was made from): the cheap test every run makes before ``write_back``."""
    for t, leaf in zip(in_vals, leaves):
        if type(t) is BatchTracer and t.val is not leaf:
            return True
    return False


def write_back(
    trace: BatchTrace,
    in_vals: list,
    leaves: list,
    axes: list,
    lanes: np.ndarray | None = None,
    final: Any = None,
) -> None:
    """After a completed run of the function on ``trace``: write the final value of every
    batched argument written in place (``in_vals[i]`` made from ``leaves[i]`` along
    ``axes[i]``) into the argument.  ``lanes``: the examples the run held at its end (None:
    all of them); ``final(t)`` gives an input tracer's value over those lanes."""
    if NO_WRITE_BACK.get():
        return
    todo = []
    for i, (t, leaf, ax) in enumerate(zip(in_vals, leaves, axes)):
        if ax is None or type(t) is not BatchTracer or t._trace is not trace:
            continue
        val = t.val
        if val is leaf:
            continue
        if isinstance(leaf, np.ndarray):
            if type(leaf) is not np.ndarray and getattr(val, "base", None) is leaf:
                continue  # a subclass's plain view (batch_outputs._as_array), not written
        elif not isinstance(leaf, Tracer) and not _foreign(leaf):
            continue  # converted to an array for the run (the loop had no array to write)
        todo.append(i)
    if not todo:
        return
    _check_not_aliased(todo, leaves, axes)
    for i in todo:
        t = in_vals[i] if final is None else final(in_vals[i])
        _write(trace, leaves[i], axes[i], t, lanes)


def _foreign(leaf: Any) -> bool:
    """Whether ``leaf`` is another library's array (a torch tensor): the loop's rows of it
    are views, so its writes reach it as they reach a NumPy array."""
    return type(leaf) is not np.ndarray and namespace_of(leaf) is not np


def _check_not_aliased(todo: list[int], leaves: list, axes: list) -> None:
    arrays = [(j, x) for j, (x, ax) in enumerate(zip(leaves, axes)) if isinstance(x, np.ndarray)]
    for i in todo:
        leaf = leaves[i]
        if not isinstance(leaf, np.ndarray):
            if _foreign(leaf):
                for j, other in enumerate(leaves):
                    if j != i and type(other) is type(leaf) and _same_memory(leaf, other):
                        raise errors.AliasedArgumentsError(aliased_message(i, j))
            continue
        for j, other in arrays:
            if j != i and np.may_share_memory(leaf, other):
                raise errors.AliasedArgumentsError(aliased_message(i, j))


def _same_memory(a: Any, b: Any) -> bool:
    """Whether two arrays of one other library may share memory (torch: one storage)."""
    if a is b:
        return True
    storage = getattr(a, "untyped_storage", None)
    if storage is not None:
        return bool(a.numel() and b.numel()) and (
            storage().data_ptr() == b.untyped_storage().data_ptr()
        )
    shares = getattr(namespace_of(a), "shares_memory", None)
    return bool(shares(a, b)) if shares is not None else False


def aliased_message(i: int, j: int) -> str:
    return (
        f"The function wrote in place into argument leaf {i}, whose memory argument leaf {j} "
        f"shares (the same array passed twice, or a view of it). In the loop a write into "
        f"one shows in the other at once, which a batched run cannot reproduce. Pass a copy "
        f"for one of them (xs.copy()), or write into a copy made inside the function."
    )


def _write(trace: BatchTrace, leaf: Any, ax: int, t: BatchTracer, lanes: np.ndarray | None):
    token = _current_trace.set(trace.parent)
    try:
        if isinstance(leaf, np.ndarray):
            rows = np.moveaxis(leaf, ax, 0)
            value = moveaxis(t.val, t.bdim, 0)
            # A value of an enclosing jit (a vmap inside jit over an array it made) goes
            # through NumPy's conversion, as the loop's write of it would.
            if lanes is None:
                rows[...] = value
            else:
                rows[lanes] = value
        elif _foreign(leaf):
            # Another library's array (a torch tensor): its rows are views in the loop too.
            rows = namespace_of(leaf).moveaxis(leaf, ax, 0)
            value = moveaxis(t.val, t.bdim, 0)
            if lanes is None:
                rows[...] = value
            else:
                rows[namespace_of(leaf).asarray(lanes)] = value
        elif lanes is None:
            value = moveaxis(t.val, t.bdim, ax)
            # With this vmap current again, an argument it also reaches unbatched (a
            # closure) is refused as shared, as a write inside would have been.
            inner = _current_trace.set(trace)
            try:
                leaf._become(value)
            finally:
                _current_trace.reset(inner)
        else:
            rows = moveaxis(leaf, ax, 0)  # a view of the enclosing value: writes reach it
            rows[lanes] = moveaxis(t.val, t.bdim, 0)
    finally:
        _current_trace.reset(token)


def with_write_back(fn: Callable[..., tuple], entry: Any) -> Callable:
    """``fn`` (a compiled program with the extra outputs of ``entry.written``), then
    ``write_back_jit``: what a cached jit call runs for a function that writes its
    arguments (the others call their program directly)."""

    def call(*leaves: Any) -> list:
        return write_back_jit(entry, leaves, fn(*leaves))

    return call


def write_back_jit(entry: Any, leaves: Any, out: Any) -> list:
    """After a jitted call (``entry``: its cache entry, interpreters/jit.py) whose program
    updated arguments in place (``entry.written``, see staging.trace_to_program): copy each
    final value into the caller's array, or update the enclosing transformation's value, as
    the function's own writes would have; an output that is the argument itself is the
    argument, as eagerly.  Returns the function's outputs (without the extra ones)."""
    written = entry.written
    if not written:
        return list(out)
    out = list(out)
    for i, _, _ in written:
        leaf = leaves[i]
        for j, other in enumerate(leaves):
            if j != i and (
                other is leaf
                or isinstance(leaf, np.ndarray)
                and isinstance(other, np.ndarray)
                and np.may_share_memory(leaf, other)
                or type(other) is type(leaf)
                and _foreign(leaf)
                and _same_memory(leaf, other)
            ):
                raise errors.AliasedArgumentsError(aliased_message(i, j))
    for i, position, returned in written:
        leaf = leaves[i]
        value = out[position]
        if isinstance(leaf, np.ndarray):
            leaf[...] = value  # a read-only array raises NumPy's error, as the write would
        elif getattr(type(leaf), "VIEWS_LINKED", False):
            leaf._become(value)  # a value of the vmap (or jit) around this call
        elif isinstance(leaf, Tracer) or _foreign(leaf):
            leaf[...] = value  # (a torch tensor: copied into, as the loop's row writes)
        else:
            continue  # a Python or NumPy scalar: ``x += 1`` made a new value, as eagerly
        for k in returned:
            out[k] = leaf
    return out[: entry.out_def.num_leaves]
