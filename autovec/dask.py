"""vmap over Dask arrays: each block of the batch axis runs the vectorised function.

``vmap(f)(x)`` with ``x`` a dask array chunked along its batch axis returns dask arrays
(lazily; nothing runs until ``.compute()``), one task per block, each task an ordinary
eager vmap of the block's examples (splits, fallbacks, chunking included).  The graph:

- the batched arguments are rechunked to the first dask argument's blocks along the batch
  axis (one piece along every other axis); NumPy batched arguments are cut the same way;
- the unbatched arguments and the vectorised function itself are one key each, so a
  ``dask.distributed`` cluster sends each to a worker once, not once per block, and a
  worker keeps one copy of the function: a ``jit`` program compiled for one block is
  reused by the next block of the same shape on that worker;
- the output shapes come from tracing the function for one example (``jit``'s abstract
  evaluation); a function that cannot be traced (it splits, converts a batched value, draws
  random numbers) runs once on the first example instead.

Random draws inside the function happen on the workers from the generator's state the graph
was built with, so each block draws what the loop would draw for that block starting from
that state: loop-faithful within a block, not across blocks (docs/distributed.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.interpreters import batching
from autovec.interpreters.jit import Jitted
from autovec.tree import broadcast_prefix, tree_flatten, tree_unflatten


def is_dask_array(x: Any) -> bool:
    return type(x).__module__.startswith("dask.array")


def _import_dask() -> tuple[Any, Any]:
    try:
        import dask
        import dask.array as da
    except ImportError as e:
        raise errors.MissingDependencyError(
            "vmap got a dask array but dask is not installed: pip install autovec[dask]"
        ) from e
    return dask, da


def _apply(fn: Callable, *args: Any) -> Any:
    return fn(*args)


def _pick(result: Any, j: int) -> Any:
    return tree_flatten(result)[0][j]


def run_dask(run_block: Callable, leaves: list, axes: list, n: int, out_axes: Any) -> Any:
    """Build the dask graph: ``run_block(leaves)`` (numpy leaves of some examples, the
    unbatched ones whole) on every block of the batch axis."""
    dask, da = _import_dask()
    first = next(x for x, a in zip(leaves, axes) if a is not None and is_dask_array(x))
    bounds = np.cumsum((0, *first.chunks[axes[leaves.index(first)]]))
    blocks_of = []
    for x, a in zip(leaves, axes):
        if a is None:
            blocks_of.append(None)
            continue
        if not is_dask_array(x):
            x = da.from_array(np.asarray(x), chunks=-1)
        x = x.rechunk({i: (tuple(np.diff(bounds)) if i == a else -1) for i in range(x.ndim)})
        blocks_of.append(x.to_delayed().reshape(-1))
    # One key each: the function (its jit caches live on in the worker's copy) and every
    # unbatched argument.
    fn_key = dask.delayed(run_block, pure=True, traverse=False)
    shared = [
        None if a is not None else dask.delayed(x, pure=True, traverse=False)
        for x, a in zip(leaves, axes)
    ]
    out_def, avals, out_leaf_axes = _output_layout(run_block, leaves, axes, out_axes)
    per_block = []
    for b in range(len(bounds) - 1):
        args = [shared[i] if a is None else blocks_of[i][b] for i, a in enumerate(axes)]
        per_block.append(dask.delayed(_apply, pure=True)(fn_key, *args))
    outs = []
    for j, (aval, a) in enumerate(zip(avals, out_leaf_axes)):
        shape, dtype = aval
        pieces = []
        for b, task in enumerate(per_block if a is not None else per_block[:1]):
            piece = dask.delayed(_pick, pure=True)(task, j)
            if a is None:
                pieces.append(da.from_delayed(piece, shape=shape, dtype=dtype))
                break
            block_shape = list(shape)
            block_shape.insert(a, int(bounds[b + 1] - bounds[b]))
            pieces.append(da.from_delayed(piece, shape=tuple(block_shape), dtype=dtype))
        outs.append(pieces[0] if a is None else da.concatenate(pieces, axis=a))
    return tree_unflatten(out_def, outs)


def _output_layout(run_block: Callable, leaves: list, axes: list, out_axes: Any) -> tuple:
    """The output tree, each output leaf's (shape without the batch axis, dtype), and its
    batch axis in the output (None: unbatched), from one example."""
    one = []
    for x, a in zip(leaves, axes):
        if a is None:
            one.append(x if not is_dask_array(x) else np.zeros(x.shape, x.dtype))
        else:
            one.append(np.zeros(x.shape[:a] + (1,) + x.shape[a + 1 :], x.dtype))
    try:
        lowered = Jitted(lambda *lv: run_block(*lv), (), ()).lower(*one)
        result = tree_unflatten(
            lowered.out_def, [np.zeros(v.aval.shape, v.aval.dtype) for v in _out_vars(lowered)]
        )
    except Exception:  # noqa: BLE001  (not traceable: run the first example for real)
        real = []
        for x, a in zip(leaves, axes):
            if a is not None:
                x = x[(slice(None),) * a + (slice(0, 1),)]
            real.append(np.asarray(x.compute() if is_dask_array(x) else x))
        result = run_block(*real)
    out_leaves, out_def = tree_flatten(result)
    leaf_axes = broadcast_prefix(out_axes, result, what="out_axes")
    avals, norm = [], []
    for x, a in zip(out_leaves, leaf_axes):
        x = np.asarray(x)
        if a is None:
            avals.append((x.shape, x.dtype))
            norm.append(None)
            continue
        a %= x.ndim
        avals.append((x.shape[:a] + x.shape[a + 1 :], x.dtype))
        norm.append(a)
    return out_def, avals, norm


def _out_vars(lowered: Any) -> list:
    program = lowered.program
    return [v for v in program.outputs]


def install() -> None:
    batching.RUN_DASK = run_dask
    batching.IS_DASK = is_dask_array


install()
