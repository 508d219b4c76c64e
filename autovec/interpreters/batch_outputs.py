"""The end of a vmap run: its outputs as the loop's ``np.stack`` would give them (the batch
axis where ``out_axes`` says, fresh writable arrays, the dtype the stack infers)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec import errors
from autovec.backends import fresh_copy, namespace_of
from autovec.core import Tracer, escaped_tracer_error, plain_ndarray
from autovec.interpreters.batch_trace import BatchTrace, BatchTracer, SharedTracer
from autovec.prims.scatter import copy_p
from autovec.prims.shape import broadcast_batch, convert_element_type_p, moveaxis
from autovec.tree import broadcast_prefix, tree_flatten, tree_flatten_with_path, tree_unflatten


def _output_name(path: str) -> str:
    return f"the output at {path}" if path else "the output"


def _as_array(x: Any) -> Any:
    if type(x) is np.ndarray or isinstance(x, Tracer):
        return x
    if isinstance(x, np.ndarray):
        return plain_ndarray(x, "vmap")  # a subclass: only if it changes nothing
    if hasattr(x, "__array_namespace__") or namespace_of(x) is not np:
        return x  # another library's array (a torch tensor): computed on its namespace
    return np.asarray(x)


def _aliases(val: np.ndarray, inputs: Any, results: list, handed_out: set[int]) -> bool:
    if val.base is None:  # owns its memory: an alias only if it is that very array
        return id(val) in handed_out or any(val is x for x in inputs)
    return any(type(x) is np.ndarray and np.may_share_memory(val, x) for x in (*inputs, *results))


def _remember(val: np.ndarray, handed_out: set[int]) -> None:
    b: Any = val
    while b is not None:  # the array and every array it views
        handed_out.add(id(b))
        b = getattr(b, "base", None)


def _as_stacked(val: Any, scalar_examples: bool) -> Any:
    """The dtype the loop's ``np.stack`` gives: native byte order; and for 0-d object
    examples (a Python object per example in the loop) the dtype NumPy infers from those
    objects (floats give float64)."""
    if val.dtype.kind == "O" and scalar_examples:
        return _infer_object_dtype(val)
    if val.dtype.isnative:
        return val
    return convert_element_type_p.bind(val, dtype=val.dtype.newbyteorder("="))


def _infer_object_dtype(val: Any) -> Any:
    if type(val) is BatchTracer:  # an outer vmap's value: convert what it holds
        return BatchTracer(val._trace, _infer_object_dtype(val.val), val.bdim)
    if type(val) is not np.ndarray:
        raise errors.UnsupportedOperationError(
            "This vmap returns one Python object per example (an object-dtype 0-d value), "
            "and the loop's np.stack infers the dtype from those objects' values, which a "
            "traced program (jit) does not know. Convert inside the function (for example "
            ".astype(float)), or call the vmap without jit around it."
        )
    elems = [np.asarray(o) for o in val.reshape(-1)]
    if not elems:
        return val
    return np.stack(elems).reshape(val.shape + elems[0].shape)


# Outputs that are no stand-in and hold none (one per lane when examples run one by one).
_NO_STAND_IN = (Tracer, np.ndarray, np.generic, float, int, complex)


def _resolve_outputs(out: Any) -> Any:
    """``out`` with stand-ins for batched values (``x[mask]`` of ``autovec.numpy``) turned into
    values by their ``__autovec_output__`` method, while the function's trace is still
    current: that may split the batch, which only works inside the run."""
    if isinstance(out, _NO_STAND_IN):
        return out  # the common case: no flatten
    leaves, out_def = tree_flatten(out)
    if not any(hasattr(type(leaf), "__autovec_output__") for leaf in leaves):
        return out
    return tree_unflatten(
        out_def,
        [
            leaf.__autovec_output__() if hasattr(type(leaf), "__autovec_output__") else leaf
            for leaf in leaves
        ],
    )


def _finish_outputs(trace: BatchTrace, out: Any, out_axes: Any, inputs: list = ()) -> Any:
    if type(out) is BatchTracer and out._trace is trace and type(out_axes) is int:
        val = out.val  # the common case, one NumPy array out: what the loop below does
        if type(val) is np.ndarray and -val.ndim <= out_axes < val.ndim:
            dtype = val.dtype
            if dtype.isnative and dtype.kind != "O":
                val = moveaxis(val, out.bdim, out_axes % val.ndim)
                if (
                    not val.flags.writeable
                    or val.base is not None
                    and _aliases(val, inputs, [], set())
                    or any(val is x for x in inputs)
                ):
                    val = val.copy()
                return val
    leaves, out_def = tree_flatten(out)
    if isinstance(out_axes, list):
        out_axes_tree = out_axes if isinstance(out, list) else tuple(out_axes)
    else:
        out_axes_tree = out_axes
    if out_axes_tree is None or type(out_axes_tree) is int:
        axes = [out_axes_tree] * len(leaves)  # the common case: no second flatten
    else:
        axes = broadcast_prefix(out_axes_tree, out, what="out_axes")
    paths = None
    results: list = []
    handed_out: set[int] = set()
    for i, (leaf, ax) in enumerate(zip(leaves, axes)):
        if type(leaf) is SharedTracer and leaf._trace is trace:
            leaf = leaf.val  # the same for every example: broadcast (or returned as is)
        batched = type(leaf) is BatchTracer and leaf._trace is trace
        if ax is None:
            if batched:
                paths = paths or [p for p, _ in tree_flatten_with_path(out)[0]]
                raise errors.OutAxesError(
                    f"vmap out_axes=None was given for {_output_name(paths[i])}, but it "
                    f"depends on the batch (it is batched, one value per example). Use an "
                    f"integer out_axes for it, or reduce over the examples inside the function."
                )
            results.append(leaf)
            continue
        if batched:
            val, bdim = leaf.val, leaf.bdim
        else:
            if isinstance(leaf, Tracer) and not leaf._trace.alive:
                raise escaped_tracer_error(leaf)
            val = broadcast_batch(_as_array(leaf), trace.axis_size)
            bdim = 0
        ndim = val.ndim
        if not -ndim <= ax < ndim:
            paths = paths or [p for p, _ in tree_flatten_with_path(out)[0]]
            raise errors.BatchAxisError(
                f"vmap out_axes {ax} is out of range for {_output_name(paths[i])} of shape "
                f"{tuple(val.shape[:bdim] + val.shape[bdim + 1 :])}: with the batch axis it has "
                f"{ndim} axes, so out_axes must be in {-ndim}..{ndim - 1}."
            )
        val = moveaxis(val, bdim, ax % ndim)
        dtype = val.dtype
        if isinstance(dtype, np.dtype) and (not dtype.isnative or dtype.kind == "O"):
            val = _as_stacked(val, ndim == 1)
        if type(val) is np.ndarray:
            # The loop's np.stack gives a fresh, writable array per output: copy a read-only
            # broadcast view, and an output that shares memory with an argument or with an
            # output already handed out (the identity function, a slice of the input, (a, a)),
            # so that writing into one result never changes another array.
            if not val.flags.writeable or _aliases(val, inputs, results, handed_out):
                val = val.copy()
            _remember(val, handed_out)
        elif not isinstance(val, Tracer):
            # Another library's array: a fresh copy where it shows an argument or an
            # output already handed out (as for NumPy above).
            val = fresh_copy(val, (*inputs, *results))
        elif not isinstance(val, BatchTracer):
            # Staged (jit(vmap(f))): whether it aliases is known only to jit, which drops
            # this copy where nobody can tell (a temporary nothing else reads).
            val = copy_p.bind(val)
        results.append(val)
    return tree_unflatten(out_def, results)
