"""The batching interpreter: ``vmap``, its checks of ``in_axes``/``axis_size`` and its runs.

``vmap(f)(*args)`` flattens the arguments, finds the batch size, makes what every example
shares read-only, runs ``f`` once on ``BatchTracer``s of a ``BatchTrace`` (or through the
runners other modules install here: ``RUN_VMAP``, ``RUN_CHUNKED``, ``RUN_DASK``) and finishes
the outputs.  The parts, lowest first: ``batch_views`` (views linked to their bases),
``batch_trace`` (the tracers and the trace), ``batch_writes`` (``x[i] = v`` for the numpy
layer), ``batch_outputs`` (a run's outputs as the loop's ``np.stack`` gives them); the names
of those the rest of autovec reads through this module are imported here.
"""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.backends import input_namespace, namespace_of
from autovec.core import Tracer, _current_trace, plain_ndarray, raise_numpy_write_error
from autovec.interpreters.batch_outputs import _as_array, _finish_outputs, _resolve_outputs
from autovec.interpreters.batch_trace import _ELIDE_MIN_SIZE as _ELIDE_MIN_SIZE
from autovec.interpreters.batch_trace import _SHARED, _SHARED_MESSAGE, BatchTrace, BatchTracer
from autovec.interpreters.batch_trace import SharedTracer as SharedTracer
from autovec.interpreters.batch_trace import check_not_shared as check_not_shared
from autovec.interpreters.batch_trace import elide_into as elide_into
from autovec.interpreters.batch_trace import shared_value as shared_value
from autovec.interpreters.batch_views import is_view as is_view
from autovec.interpreters.batch_writes import read_only as read_only
from autovec.interpreters.batch_writes import write_into as write_into
from autovec.interpreters.batch_writes import zero_d_view as zero_d_view
from autovec.interpreters.reach import InUse, current, reach
from autovec.interpreters.writeback import mark_read_only, without_write_back, write_back, written
from autovec.tree import broadcast_prefix, tree_flatten, tree_flatten_with_path, tree_unflatten

# -------------------------------------------------------------------------------- vmap


def _check_axis_spec(axis: Any, what: str) -> None:
    if axis is not None and not (
        isinstance(axis, (int, np.integer)) and not isinstance(axis, bool)
    ):
        raise errors.InAxesStructureError(
            f"vmap {what} entries must be int or None, got {axis!r} ({type(axis).__name__})."
        )


def _arg_names(fun: Callable) -> list[str] | None:
    try:
        params = inspect.signature(fun).parameters.values()
    except (TypeError, ValueError):
        return None
    names = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            names.append(f"*{p.name}")
            break
    return names


def _describe_arg(names: list[str] | None, i: int, path: str, kwarg: str | None) -> str:
    if kwarg is not None:
        return f"keyword argument {kwarg!r}" + (f" at {path}" if path else "")
    name = ""
    if names:
        name = (
            f" ({names[min(i, len(names) - 1)]})"
            if i < len(names) or names[-1].startswith("*")
            else ""
        )
    return f"argument {i}{name}" + (f" at path {path}" if path else "")


def _leaf_shape(x: Any) -> tuple[int, ...]:
    if isinstance(x, np.ndarray):  # subclasses too: np.shape may dispatch to their override
        return x.shape
    if isinstance(x, Tracer) or namespace_of(x) is not np:  # another library's array
        return tuple(x.shape)
    return tuple(np.shape(x))


def vmap(
    fun: Callable,
    in_axes: Any = 0,
    out_axes: Any = 0,
    *,
    axis_size: int | None = None,
    axis_name: Any = None,
    fallback: str = "warn",
    randomness: str = "loop",
    ragged: str = "error",
    chunk_size: int | None = None,
    max_memory: int | str | None = None,
    progress: bool | None = None,
) -> Callable:
    """Vectorise ``fun`` over a batch axis (JAX's ``vmap``, on NumPy arrays).

    ``fun`` is written for ONE example.  ``in_axes`` says, for each positional argument (a
    pytree prefix: an int, ``None`` for unbatched, or a tuple/list/dict of those), which axis
    holds the batch; keyword arguments are batched along axis 0.  ``out_axes`` says where the
    batch axis goes in each output (``None``: the output must not depend on the batch).
    ``axis_size`` gives the batch size when no argument is batched.

    The result equals ``numpy.stack([fun(x) for x in xs])`` but runs as whole-batch NumPy
    operations.  Where the examples diverge (an ``if``/``while`` on a batched value,
    ``float(x)``, ``np.asarray(x)``, an operation failing for some examples only), the batch
    splits into groups of examples that continue separately, as the loop would (see
    docs/semantics.md).  ``fallback`` says what happens where NumPy offers no hook and the
    examples continue one group per distinct value (``np.asarray``, ``float``, ``.item()``,
    ...): ``"warn"`` (one ``FallbackWarning`` per call site), ``"loop"`` (silently) or
    ``"error"`` (raise).  ``randomness`` says what draws from a ``numpy.random`` generator
    the function reaches give: ``"loop"`` (each example draws what the loop would, and the
    generator ends in the loop's state), ``"same"`` (one draw shared by every example) or
    ``"error"`` (``RandomnessError``); see docs/semantics.md.  ``ragged`` says what happens
    when the examples' outputs differ in shape or structure: ``"error"`` (a
    ``SplitOutputMismatchError`` naming the examples and their shapes) or ``"list"`` (the
    result is always the list of per-example results, ``[fun(x) for x in xs]``).
    ``chunk_size=N`` runs the batch N examples at a time, ``max_memory`` (bytes, or a string
    such as ``"2GB"``) chooses the chunk size so the run stays under that budget, and
    ``progress`` shows a tqdm bar for long chunked runs (None: when standard error is a
    terminal); the result is the unchunked one (docs/scale.md).

    >>> import numpy as np, autovec, autovec.numpy as anp
    >>> def convolve(x, w):
    ...     return anp.array([np.dot(x[i - 1:i + 2], w) for i in range(1, len(x) - 1)])
    >>> xs = np.stack([np.arange(5.0), np.arange(5.0) * 2])
    >>> autovec.vmap(convolve, in_axes=(0, None))(xs, np.array([2.0, 3.0, 4.0]))
    array([[11., 20., 29.],
           [22., 40., 58.]])
    """
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if not callable(fun):
        raise TypeError(f"vmap expects a callable, got {type(fun).__name__}")
    for a in tree_flatten(in_axes, is_leaf=lambda x: x is None)[0]:
        _check_axis_spec(a, "in_axes")
    for a in tree_flatten(out_axes, is_leaf=lambda x: x is None)[0]:
        _check_axis_spec(a, "out_axes")
    if axis_size is not None:
        if isinstance(axis_size, bool) or not isinstance(axis_size, (int, np.integer)):
            raise errors.AxisSizeError(
                f"vmap axis_size must be a non-negative int (the batch size), got "
                f"{axis_size!r} ({type(axis_size).__name__})."
            )
        if axis_size < 0:
            raise errors.AxisSizeError(f"vmap axis_size must be non-negative, got {axis_size}.")
        axis_size = int(axis_size)
    if fallback not in ("warn", "loop", "error"):
        raise errors.OptionError(
            f"vmap fallback must be 'warn', 'loop' or 'error', got {fallback!r}."
        )
    if randomness not in ("loop", "same", "error"):
        raise errors.OptionError(
            f"vmap randomness must be 'loop', 'same' or 'error', got {randomness!r}."
        )
    if ragged not in ("error", "list"):
        raise errors.OptionError(f"vmap ragged must be 'error' or 'list', got {ragged!r}.")
    if ragged == "list" and out_axes != 0:
        raise errors.OptionError(
            "vmap ragged='list' returns one result per example, which has no batch axis: "
            "leave out_axes at 0."
        )
    chunking = None
    if chunk_size is not None or max_memory is not None or progress is not None:
        if CHUNK_OPTIONS is None:
            raise errors.OptionError("vmap chunking needs autovec.interpreters.chunking")
        chunking = CHUNK_OPTIONS(chunk_size, max_memory, progress, randomness)
    names = _arg_names(fun)

    @functools.wraps(fun, updated=())
    def vmapped(*args: Any, **kwargs: Any) -> Any:
        return _vmap_call(
            fun,
            in_axes,
            out_axes,
            axis_size,
            axis_name,
            names,
            args,
            kwargs,
            fallback,
            randomness,
            ragged,
            chunking,
        )

    vmapped.__wrapped__ = fun
    return vmapped


def _flatten_with_axes(in_axes: Any, args: tuple, kwargs: dict) -> tuple:
    """Flatten ``(args, kwargs)``; return leaves, each leaf's axis, and the two treedefs."""
    if isinstance(in_axes, tuple) and len(in_axes) != len(args):
        raise errors.InAxesStructureError(
            f"vmap in_axes is a tuple of length {len(in_axes)}, but the function was called "
            f"with {len(args)} positional argument(s). Give one entry per positional argument "
            f"(or a single int/None for all of them)."
        )
    if isinstance(in_axes, dict):
        raise errors.InAxesStructureError(
            "vmap in_axes at the top level must be an int, None, or a tuple/list with one "
            "entry per positional argument; wrap the dict in a tuple: in_axes=({...},)."
        )
    leaves, args_def = tree_flatten(args)
    if in_axes is None or isinstance(in_axes, int):
        axes = [in_axes] * len(leaves)
    else:
        axes = broadcast_prefix(in_axes, args, what="in_axes")
    kw_def = None
    if kwargs:  # JAX maps keyword arguments along axis 0
        kw_leaves, kw_def = tree_flatten(kwargs)
        leaves = leaves + kw_leaves
        axes = axes + [0] * len(kw_leaves)
    return leaves, axes, args_def, kw_def


def _vmap_call(
    fun,
    in_axes,
    out_axes,
    axis_size,
    axis_name,
    names,
    args,
    kwargs,
    fallback="warn",
    randomness="loop",
    ragged="error",
    chunking=None,
):
    leaves, axes, args_def, kw_def = _flatten_with_axes(in_axes, args, kwargs)
    foreign = input_namespace(leaves, "vmap") is not np  # BackendMismatchError if mixed
    if foreign and chunking is not None and chunking[1] is not None:
        raise errors.BackendUnsupportedError(
            "vmap(max_memory=) is not supported on the PyTorch/CuPy backends: it measures "
            "NumPy's allocations, which another library's are not. Give the number of "
            "examples per chunk instead (chunk_size=N)."
        )

    # Normalise axes, find the batch size; errors name the argument and its path.
    sizes: list[tuple[int, tuple, int, int]] = []
    norm_axes: list[int | None] = []
    unbatched: list = []  # what every example shares
    plain = True  # every leaf a NumPy array (no dask array among them)
    for i, (leaf, ax) in enumerate(zip(leaves, axes)):
        if type(leaf) is not np.ndarray:
            plain = False
        if ax is None:
            norm_axes.append(None)
            unbatched.append(leaf)
            continue
        shape = leaf.shape if type(leaf) is np.ndarray else _leaf_shape(leaf)
        if not -len(shape) <= ax < len(shape):
            described = _describe_leaves(names, args, kwargs)
            # in_axes covers positional arguments only: keyword arguments are always mapped.
            if i >= args_def.num_leaves:
                kw = [k for k in sorted(kwargs) for _ in tree_flatten(kwargs[k])[0]]
                unbatched = (
                    f"pass it positionally with in_axes=None for it, or fix it before vmap "
                    f"with functools.partial(f, {kw[i - args_def.num_leaves]}=value) (keyword "
                    f"arguments are always mapped)"
                )
            else:
                unbatched = (
                    "pass it with in_axes=None for that argument, or let the function close over it"
                )
            if not _is_array_like(leaf):
                raise errors.BatchAxisError(
                    f"vmap cannot map over {described[i]}: it is a {type(leaf).__name__} "
                    f"({_short_repr(leaf)}), not an array. vmap maps over arrays (and "
                    f"tuples/lists/dicts of arrays); to give every example the same value, "
                    f"{unbatched}."
                )
            raise errors.BatchAxisError(
                f"vmap in_axes {ax} is out of range for {described[i]} with shape {shape}: "
                f"a {len(shape)}-d value has axes {-len(shape)}..{len(shape) - 1}"
                + (f" (none: a scalar cannot be mapped; {unbatched})" if not shape else "")
                + "."
            )
        ax = ax % len(shape)
        norm_axes.append(ax)
        sizes.append((i, shape, ax, shape[ax]))
    size_set = {s[3] for s in sizes}
    if axis_size is not None and size_set and size_set != {axis_size}:
        size_set.add(axis_size)
    if len(size_set) > 1:
        described = _describe_leaves(names, args, kwargs)
        lines = "\n".join(
            f"  {described[i]}: shape {sh}, axis {ax} has size {n}" for i, sh, ax, n in sizes
        )
        extra = f"\n  axis_size={axis_size} was given" if axis_size is not None else ""
        raise errors.BatchSizeMismatchError(
            f"vmap got inconsistent sizes for the mapped axis (sizes seen: "
            f"{sorted(size_set)}):\n{lines}{extra}\nEvery mapped argument must have the same "
            f"size along its in_axes axis; pass arguments that are shared by all examples "
            f"with in_axes=None."
        )
    if not size_set:
        if axis_size is None:
            raise errors.AxisSizeError(
                "vmap has nothing to map over: every in_axes entry is None (or there are no "
                "arguments), so the batch size is unknown. Pass axis_size=N to vmap, or map at "
                "least one argument."
            )
        n = axis_size
    else:
        (n,) = size_set

    n_args = args_def.num_leaves

    def call(in_vals: list) -> Any:
        if kw_def is None:
            return _resolve_outputs(fun(*tree_unflatten(args_def, in_vals)))
        return _resolve_outputs(
            fun(
                *tree_unflatten(args_def, in_vals[:n_args]),
                **tree_unflatten(kw_def, in_vals[n_args:]),
            )
        )

    # Examples run one by one (split_lanes.py) call ``fun`` on the leaves themselves where
    # they are its positional arguments: no unflattening per example.
    flat_args = kw_def is None and all(c.node_type is None for c in args_def.children)
    call.positional = fun if flat_args else None

    # Every run of the function (batched, per group, lane by lane, per chunk or block) sees
    # the shared arrays read-only and the shared traced values listed ("shared arrays" below).
    shared: dict[int, Any] = {}
    found = reach(fun)
    reached = found.values()
    protected = _protect(shared, unbatched + reached if reached else unbatched)
    token = _SHARED.set(shared)
    in_use = InUse(fun, found)  # the run's hooks (randomness.py) read the same walk
    in_use.__enter__()
    try:
        rest = (axis_name, out_axes, fallback, randomness, fun) + (
            (ragged,) if ragged != "error" else ()
        )
        if not plain and IS_DASK is not None and any(IS_DASK(x) for x in leaves):
            if randomness == "loop":  # the blocks cannot continue one stream: draws raise
                rest = (axis_name, out_axes, fallback, "dask", fun) + rest[5:]

            def run_block(*block: Any) -> Any:  # one block's examples, on a dask worker
                m = next((np.shape(x)[a] for x, a in zip(block, norm_axes) if a is not None), n)
                # The blocks are dask's, not the caller's: nothing is written back.
                return without_write_back(_run, call, list(block), norm_axes, m, rest, chunking)

            return RUN_DASK(run_block, leaves, norm_axes, n, out_axes)
        return _run(call, leaves, norm_axes, n, rest, chunking)
    except ValueError as err:
        if (
            protected
            and "read-only" in str(err)
            and (_wrote_into(err, protected) or _batched_and_shared(leaves, norm_axes, protected))
        ):
            raise errors.SharedStateWriteError(_SHARED_MESSAGE) from err
        raise
    finally:
        in_use.__exit__()
        _SHARED.reset(token)
        _unprotect(protected)


def _run(call, leaves, axes, n, rest, chunking) -> Any:
    if chunking is not None and (chunking[0] is not None or chunking[1] is not None):
        return RUN_CHUNKED(RUN_VMAP, chunking, call, leaves, axes, n, *rest)
    try:
        return RUN_VMAP(call, leaves, axes, n, *rest)
    except MemoryError as err:
        if OUT_OF_MEMORY is None or isinstance(err, errors.VmapMemoryError):
            raise
        raise OUT_OF_MEMORY(err, n) from err


def _run_unsplit(
    call, leaves, axes, axis_size, axis_name, out_axes, fallback, randomness="loop", fun=None
) -> Any:
    """Run ``call`` on the flat argument leaves, batched along ``axes``, once."""
    trace = BatchTrace(_current_trace.get(), axis_size, axis_name)
    in_vals = [
        _unbatched_input(leaf, trace) if ax is None else BatchTracer(trace, _as_array(leaf), ax)
        for leaf, ax in zip(leaves, axes)
    ]
    mark_read_only(in_vals, leaves)
    token = _current_trace.set(trace)
    try:
        out = call(in_vals)
    except ValueError as err:
        raise_numpy_write_error(err)
        raise
    finally:
        _current_trace.reset(token)
        trace.alive = False
    result = _finish_outputs(trace, out, out_axes, leaves)
    if written(in_vals, leaves):  # in-place updates reach the caller's arrays, as in the loop
        write_back(trace, in_vals, leaves, axes)
    return result


# Loop-faithful vmap (batch splits, per-lane fallback, exceptions per lane) lives in
# autovec/interpreters/split.py, which builds on this module and installs itself here.
RUN_VMAP: Callable[..., Any] = _run_unsplit
# Chunked vmap (chunk_size=, max_memory=) lives in autovec/interpreters/chunking.py, which
# installs these: the options' check, the chunked runner, the out-of-memory error.
CHUNK_OPTIONS: Callable[..., tuple] | None = None
RUN_CHUNKED: Callable[..., Any] = None  # type: ignore[assignment]
OUT_OF_MEMORY: Callable[..., BaseException] | None = None
# Dask arrays in: autovec/dask.py builds a graph running one block of examples per task.
IS_DASK: Callable[[Any], bool] | None = None
RUN_DASK: Callable[..., Any] = None  # type: ignore[assignment]


# ---------------------------------------------------------------------- shared arrays
# What every example shares -- unbatched arguments, arrays the function closes over or reads
# as globals -- would be written once per example by the loop, each example seeing the writes
# of those before it; vmap runs the function once.  Such arrays are read-only while the
# function runs (NumPy then refuses the write, and vmap says why), and such traced values of
# enclosing transformations are listed in the trace (``check_not_shared``).


def _reachable(fun: Any) -> list:
    """What ``fun`` reaches without arguments (interpreters/reach.py), with what its random
    generator slots hold now (the stand-ins while randomness.hooked has them in place)."""
    return current(fun).reached()


def _attributes(obj: Any) -> list:
    d = getattr(obj, "__dict__", None)
    return list(d.values()) if isinstance(d, dict) else []


def _protect(shared: dict[int, Any], values: list) -> list[np.ndarray]:
    """Make the writeable ndarrays among ``values`` (and inside small lists, tuples and
    dicts among them) read-only, and list the tracers in ``shared``; returns the arrays to
    make writeable again."""
    protected: list[np.ndarray] = []
    if not values:
        return protected
    stack = list(values)
    depth_left = len(stack)
    while stack:
        v = stack.pop()
        depth_left -= 1
        if isinstance(v, np.ndarray):
            if v.flags.writeable:
                v.setflags(write=False)
                protected.append(v)
        elif isinstance(v, Tracer):
            shared[id(v)] = v
        elif depth_left >= 0 and type(v) in (list, tuple, dict) and len(v) <= 64:
            stack.extend(v.values() if type(v) is dict else v)  # one level into containers
    return protected


def _unprotect(protected: list[np.ndarray]) -> None:
    # A view can only be made writeable again once its base is: retry until all are.
    if not protected:
        return
    todo = protected
    while todo:
        left = []
        for a in todo:
            try:
                a.setflags(write=True)
            except ValueError:
                left.append(a)
        if len(left) == len(todo):
            return
        todo = left


def _wrote_into(err: BaseException, protected: list[np.ndarray]) -> bool:
    """Whether the failed write that raised ``err`` went into a protected array: a
    read-only array sharing its memory is in reach of the frame that raised."""
    tb = err.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame = tb.tb_frame
    values = list(frame.f_locals.values())
    values.extend(frame.f_globals.get(name) for name in frame.f_code.co_names)
    for v in list(values):  # one level into containers and objects, as _protect looks
        values.extend(_attributes(v))
        if type(v) in (list, tuple, dict) and len(v) <= 64:
            values.extend(v.values() if type(v) is dict else v)
    return any(
        isinstance(v, np.ndarray)
        and not v.flags.writeable
        and any(np.may_share_memory(v, p) for p in protected)
        for v in values
    )


def _batched_and_shared(leaves: list, axes: list, protected: list[np.ndarray]) -> bool:
    """Whether a batched argument is also one every example shares (passed again with
    in_axes=None, or closed over): read-only for the call, so a write into it raised."""
    return any(
        ax is not None
        and isinstance(leaf, np.ndarray)
        and any(np.may_share_memory(leaf, p) for p in protected)
        for leaf, ax in zip(leaves, axes)
    )


def _is_array_like(x: Any) -> bool:
    return isinstance(x, (np.ndarray, np.generic, int, float, complex, Tracer)) or hasattr(
        x, "__array_namespace__"
    )


def _short_repr(x: Any, limit: int = 40) -> str:
    r = repr(x)
    return r if len(r) <= limit else r[: limit - 3] + "..."


# The in_axes=None arrays of each vmap run (the caller's: writes must not reach them).
SHARED_INPUTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _unbatched_input(x: Any, trace: BatchTrace | None = None) -> Any:
    if type(x) is not np.ndarray and isinstance(x, np.ndarray):
        x = plain_ndarray(x, "vmap")
    if trace is not None and type(x) is np.ndarray:
        inputs = SHARED_INPUTS.get(trace)
        if inputs is None:
            SHARED_INPUTS[trace] = inputs = []
        inputs.append(x)
        return SharedTracer(trace, x)  # the same for every example, and indexable by them
    if trace is not None and type(x) is not np.ndarray and namespace_of(x) is not np:
        return SharedTracer(trace, x)  # a torch tensor: computed through its namespace
    return x


def _describe_leaves(names, args, kwargs) -> list[str]:
    out = []
    for i, a in enumerate(args):
        for path, _ in tree_flatten_with_path(a)[0]:
            out.append(_describe_arg(names, i, path, None))
    for k in sorted(kwargs):
        for path, _ in tree_flatten_with_path(kwargs[k])[0]:
            out.append(_describe_arg(names, 0, path, k))
    return out
