"""Memory-bounded vmap: the batch runs in chunks of examples (``chunk_size=``, ``max_memory=``).

Each chunk is an ordinary vmap run (splits, fallbacks, per-lane exceptions and loop-faithful
random numbers included) over consecutive examples, in order, so a chunked run is the loop
cut into pieces: the same values and the same generator states as the unchunked run.

- Eagerly, the first chunk's results fix each output's shape and dtype; the outputs are then
  allocated once for the whole batch and every chunk is written into them.
- Inside ``jit`` the full chunks are one ``scan`` over the program of ONE chunk: the compiled
  program loops over them, so the peak holds one chunk's intermediates whatever the number of
  chunks; the last, partial chunk is staged after it, and the pieces are concatenated.
- Under an outer ``vmap`` (not staged) the chunks are batched like any other code and their
  results concatenated.

``max_memory`` picks the chunk size from what one example costs.  Eagerly it is measured:
the first chunk holds one example and the second about 1% of the batch (at least two); their
peak allocations (``tracemalloc``, which sees NumPy's array buffers) give a fixed cost and a
cost per example, and the remaining chunks are sized so that fixed cost + chunk cost + the
outputs stay under the budget.  Inside ``jit`` the same two points come from the staged
programs instead: the largest total size of the values alive at once, equation by equation.
"""

from __future__ import annotations

import math
import re
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.backends import namespace_of, numpy_dtype
from autovec.core import EVAL_TRACE, ShapedArray, Tracer, _current_trace, get_aval
from autovec.interpreters import batching
from autovec.interpreters.control import scan_p
from autovec.interpreters.jit import Jitted
from autovec.interpreters.optimize import optimize
from autovec.interpreters.staging import StagingTrace, trace_to_program
from autovec.ir import Program, Var
from autovec.prims.base import FRESH
from autovec.prims.shape import concatenate_p, moveaxis, reshape_p
from autovec.tree import broadcast_prefix, tree_flatten, tree_unflatten

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$", re.IGNORECASE)

# The share of the budget chunks are sized for: the measured peaks vary a little (the
# allocator, Python objects), and a wrong guess should not cross the budget.
SAFETY = 0.9

# A progress bar appears once a chunked run has taken this long (tqdm's ``delay``).
PROGRESS_DELAY_S = 2.0


def parse_memory(spec: Any) -> int:
    """Bytes from ``max_memory``: an int, or a string such as ``"256MB"``, ``"1.5GiB"``."""
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        if spec <= 0:
            raise errors.OptionError(f"vmap max_memory must be positive, got {spec}.")
        return int(spec)
    if isinstance(spec, str):
        m = _MEMORY.match(spec)
        if m and m.group(2).lower() in _UNITS:
            n = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
            if n > 0:
                return n
    raise errors.OptionError(
        f"vmap max_memory must be a number of bytes or a string such as '256MB', '2GB' or "
        f"'1.5GiB', got {spec!r}."
    )


def check_options(chunk_size: Any, max_memory: Any, progress: Any, randomness: str) -> tuple:
    """Validate the chunking options of ``vmap``; return ``(chunk_size, budget, progress)``."""
    if chunk_size is not None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)):
            raise errors.OptionError(
                f"vmap chunk_size must be a positive int (examples per chunk), got {chunk_size!r}."
            )
        if chunk_size < 1:
            raise errors.OptionError(f"vmap chunk_size must be positive, got {chunk_size}.")
        if max_memory is not None:
            raise errors.OptionError(
                "vmap takes chunk_size or max_memory, not both: max_memory chooses the chunk size."
            )
    budget = None if max_memory is None else parse_memory(max_memory)
    if progress not in (None, True, False):
        raise errors.OptionError(f"vmap progress must be None, True or False, got {progress!r}.")
    if randomness == "same" and (chunk_size is not None or budget is not None):
        raise errors.OptionError(
            "vmap randomness='same' shares one draw among all examples, which chunks cannot "
            "do (each chunk would draw its own): leave chunk_size/max_memory out, or use "
            "randomness='loop'."
        )
    if progress is True:
        _tqdm()  # the clear error now, not after the first chunk
    return (None if chunk_size is None else int(chunk_size), budget, progress)


def _tqdm() -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError as e:
        raise errors.MissingDependencyError(
            "vmap progress=True draws its bar with tqdm, which is not installed: "
            "pip install autovec[progress]  (or pip install tqdm)"
        ) from e
    return tqdm


def out_of_memory(err: MemoryError, axis_size: int) -> errors.VmapMemoryError:
    """The error for a MemoryError of an unchunked run: it says how to chunk."""
    return errors.VmapMemoryError(
        f"vmap ran out of memory running all {axis_size} examples at once ({err}). Run the "
        f"batch in chunks under a memory budget with vmap(f, max_memory='2GB') (or a fixed "
        f"number of examples per chunk with chunk_size=N); the result is the same."
    )


# ------------------------------------------------------------------------------ the runner


def run_chunked(run: Callable[..., Any], options: tuple, call, leaves, axes, n, *rest) -> Any:
    """``run(call, leaves, axes, n, *rest)`` (batching.RUN_VMAP), chunk by chunk.

    ``rest`` is ``(axis_name, out_axes, fallback, randomness, fun[, ragged])``."""
    chunk_size, budget, progress = options
    out_axes = rest[1]
    ragged = rest[5] if len(rest) > 5 else "error"
    if n == 0:
        return run(call, leaves, axes, n, *rest)
    staging = _under_staging()
    eager = _current_trace.get() is EVAL_TRACE and not any(isinstance(x, Tracer) for x in leaves)
    if staging and ragged != "list":
        return _staged_loop(run, call, leaves, axes, n, chunk_size, budget, rest)

    if staging:
        # One sub-program per chunk shape: the chunk size is static, the leaves traced.
        def body(m: int, *chunk_leaves: Any) -> Any:
            return run(call, list(chunk_leaves), axes, m, *rest)

        staged = Jitted(body, (0,), ())

        def run_lanes(start: int, stop: int) -> Any:
            return staged(stop - start, *_slice(leaves, axes, start, stop))
    else:

        def run_lanes(start: int, stop: int) -> Any:
            return run(call, _slice(leaves, axes, start, stop), axes, stop - start, *rest)

    out = _Outputs(n, out_axes, ragged, eager)
    bar = _Progress(n, progress) if eager else None
    start = 0
    try:
        if budget is not None:
            size_of = _estimated(staged, leaves, axes) if staging else _measured
            chunk_size, start = _fit(size_of, run_lanes, out, bar, n, budget)
        while start < n:
            stop = min(n, start + chunk_size)
            out.add(start, stop, _noted(run_lanes, start, stop))
            if bar is not None:
                bar.update(stop - start)
            start = stop
    finally:
        if bar is not None:
            bar.close()
    return out.result()


def _staged_loop(run, call, leaves: list, axes: list, n: int, chunk: Any, budget, rest) -> Any:
    """Inside ``jit``: the full chunks are ONE ``scan`` over a program for one chunk (the
    compiled program then loops over the chunks, each freed before the next), the last
    partial chunk is staged on its own, and the pieces are concatenated."""
    out_axes = rest[1]
    mapped = [i for i, ax in enumerate(axes) if ax is not None]
    info: dict = {}

    def per_chunk(m: int) -> Callable[..., list]:
        def body(*slices: Any) -> list:  # the chunk's mapped leaves, lanes on axis 0
            chunk_leaves = list(leaves)
            for i, x in zip(mapped, slices):
                chunk_leaves[i] = x
            chunk_axes = [None if ax is None else 0 for ax in axes]
            result = run(call, chunk_leaves, chunk_axes, m, *rest)
            flat, info["def"] = tree_flatten(result)
            spec = broadcast_prefix(out_axes, result, what="out_axes")
            info["axes"] = [
                None if a is None else a % max(np.ndim(x), 1) for a, x in zip(spec, flat)
            ]
            return [x if a is None else moveaxis(x, a, 0) for x, a in zip(flat, info["axes"])]

        return body

    def slice_avals(m: int) -> list[ShapedArray]:
        out = []
        for i in mapped:
            aval = get_aval(leaves[i])
            shape = list(aval.shape)
            del shape[axes[i]]
            out.append(ShapedArray((m, *shape), aval.dtype))
        return out

    def program_for(m: int) -> Program:
        return trace_to_program(per_chunk(m), slice_avals(m), name="chunk")[0]

    if budget is not None:
        chunk = _staged_size(program_for, n, budget)
    n_full, tail = divmod(n, chunk)
    if n_full <= 1:  # nothing to loop over
        return run(call, leaves, axes, n, *rest)
    front = [moveaxis(leaves[i], axes[i], 0) for i in mapped]
    xs = []
    for x in front:
        rest_shape = tuple(x.shape[1:])
        if tail:
            x = x[: n_full * chunk]
        xs.append(reshape_p.bind(x, new_sizes=(n_full, chunk, *rest_shape)))
    written: list = []  # chunk arguments the function updates in place (see below)
    program, _, lifted = trace_to_program(
        per_chunk(chunk), slice_avals(chunk), name=f"chunk_of_{chunk}", written=written
    )
    program = optimize(program)
    ys = scan_p.bind(
        *lifted,
        *xs,
        program=program,
        length=n_full,
        reverse=False,
        num_consts=len(lifted),
        num_carry=0,
    )
    for k, position, _ in written:
        # The scan's chunks' final values of an argument written in place: its first
        # n_full * chunk examples take them (the tail's run writes the rest through views).
        y = reshape_p.bind(ys[position], new_sizes=(n_full * chunk, *front[k].shape[1:]))
        front[k][: n_full * chunk] = y
    tails = per_chunk(n - n_full * chunk)(*(x[n_full * chunk :] for x in front)) if tail else None
    leaves_out = []
    for j, (y, a) in enumerate(zip(ys, info["axes"])):
        if a is None:  # out_axes=None: every chunk returns the same value
            leaves_out.append(y[0])
            continue
        y = reshape_p.bind(y, new_sizes=(n_full * chunk, *y.shape[2:]))
        if tails is not None:
            y = concatenate_p.bind(y, tails[j], axis=0)
        leaves_out.append(moveaxis(y, 0, a))
    return tree_unflatten(info["def"], leaves_out)


def _staged_size(program_for: Callable[[int], Program], n: int, budget: int) -> int:
    """The chunk size whose program keeps the peak under ``budget``, from the peaks of the
    programs for one example and for about 1% of the batch (the outputs of the loop are
    counted three times: the chunks', stacked, then concatenated)."""
    first = program_peak(program_for(1))
    if n == 1:
        return 1
    k = min(n - 1, max(2, math.ceil(n / 100)))
    program = program_for(k)
    second = program_peak(program)
    per_lane = max((second - first) / (k - 1), 1.0)
    fixed = max(first - per_lane, 0.0)
    out_per_lane = sum(_nbytes(v) for v in program.outputs if isinstance(v, Var)) / k
    room = SAFETY * budget - fixed - 3 * out_per_lane * n
    return max(1, min(n, int(room / per_lane)))


def _noted(run_lanes: Callable[[int, int], Any], start: int, stop: int) -> Any:
    try:
        return run_lanes(start, stop)
    except Exception as exc:
        if start and hasattr(exc, "add_note"):  # Python >= 3.11
            exc.add_note(
                f"vmap: in the chunk of examples {start}..{stop - 1} (an index above is "
                f"counted from {start})"
            )
        raise


def _under_staging() -> bool:
    """Whether values are abstract here: a staging trace (jit, make_ir) under the current."""
    trace = _current_trace.get()
    while trace is not None and trace is not EVAL_TRACE:
        if isinstance(trace, StagingTrace):
            return True
        trace = getattr(trace, "parent", None)
    return False


def _slice(leaves: list, axes: list, start: int, stop: int) -> list:
    out = []
    for leaf, ax in zip(leaves, axes):
        if ax is None:
            out.append(leaf)
        else:
            out.append(leaf[(slice(None),) * ax + (slice(start, stop),)])
    return out


# --------------------------------------------------------------------- choosing the size


def _fit(size_of, run_lanes, out, bar, n: int, budget: int) -> tuple[int, int]:
    """Run the trial chunks (one example, then ~1%); return the chunk size that keeps the
    peak under ``budget`` and where the remaining chunks start."""
    first = size_of(run_lanes, out, 0, 1)
    if bar is not None:
        bar.update(1)
    if n == 1:
        return 1, 1
    k = min(n - 1, max(2, math.ceil(n / 100)))
    k = max(1, min(k, int(budget / 2 / max(first, 1))))  # the trial itself stays in budget
    second = size_of(run_lanes, out, 1, 1 + k)
    if bar is not None:
        bar.update(k)
    # peak(c) = fixed + c * per_lane through the two points (c = 1 and c = k).
    per_lane = max((second - first) / (k - 1) if k > 1 else second, 1.0)
    fixed = max(first - per_lane, 0.0)
    room = SAFETY * budget - fixed - out.nbytes
    return max(1, min(n, int(room / per_lane))), 1 + k


def _measured(run_lanes, out, start: int, stop: int) -> int:
    """Run lanes ``start:stop`` into ``out``; return their peak allocation in bytes."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = _noted(run_lanes, start, stop)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        if not was_tracing:
            tracemalloc.stop()
    out.add(start, stop, result)
    return peak


def _estimated(staged: Jitted, leaves: list, axes: list) -> Callable[..., int]:
    def size_of(run_lanes, out, start: int, stop: int) -> int:
        chunk = _slice(leaves, axes, start, stop)
        program = staged.lower(stop - start, *chunk).program
        out.add(start, stop, run_lanes(start, stop))
        return program_peak(program)

    return size_of


def program_peak(program: Program) -> int:
    """The largest total size in bytes of the buffers a program holds at once (inputs and
    constants excluded: the caller holds them).  A buffer lives until the last use of it or
    of a view of it; a view (the primitive's ``output`` fact) is counted as no new buffer,
    which misses the copy a reshape of a non-contiguous value makes."""
    owner: dict[int, int] = {}  # a view's var id -> the id of the buffer it shows
    sizes: dict[int, int] = {}
    last: dict[int, int] = {}
    for i, eqn in enumerate(program.eqns):
        ins = [owner.get(a.id, a.id) for a in eqn.inputs if isinstance(a, Var)]
        for b in ins:
            last[b] = i
        for v in eqn.outputs:
            if eqn.prim.facts.output != FRESH and ins:
                owner[v.id] = ins[0]
            else:
                sizes[v.id] = _nbytes(v)
                last[v.id] = i
    for a in program.outputs:
        if isinstance(a, Var):
            last[owner.get(a.id, a.id)] = len(program.eqns)  # handed to the caller
    freed_after: dict[int, int] = {}
    for vid, size in sizes.items():
        freed_after[last[vid]] = freed_after.get(last[vid], 0) + size
    live = peak = 0
    for i, eqn in enumerate(program.eqns):
        live += sum(sizes.get(v.id, 0) for v in eqn.outputs)
        peak = max(peak, live)
        live -= freed_after.get(i, 0)
    return peak


def _nbytes(v: Var) -> int:
    return math.prod(v.aval.shape) * np.dtype(v.aval.dtype).itemsize


# ------------------------------------------------------------------------------ the output


class _Outputs:
    """The chunks' results gathered in order: written into outputs allocated once (eager),
    or kept to be concatenated (under a transformation)."""

    def __init__(self, n: int, out_axes: Any, ragged: str, eager: bool):
        self.n, self.out_axes, self.ragged, self.eager = n, out_axes, ragged, eager
        self.treedef = None
        self.nbytes = 0
        self.parts: list = []

    def add(self, start: int, stop: int, result: Any) -> None:
        if self.ragged == "list":  # the list of per-example results
            self.parts.extend(result)
            return
        leaves, treedef = tree_flatten(result)
        if self.treedef is None:
            self.treedef = treedef
            axes = broadcast_prefix(self.out_axes, result, what="out_axes")
            self.axes = [
                None if a is None else a % max(np.ndim(x), 1) for a, x in zip(axes, leaves)
            ]
            if self.eager:
                self.arrays = [self._allocate(x, a) for x, a in zip(leaves, self.axes)]
            else:
                self.arrays = [[] for _ in leaves]
        elif treedef != self.treedef:
            raise errors.SplitOutputMismatchError(
                f"vmap chunk of examples {start}..{stop - 1} returned {treedef}, the first "
                f"chunk {self.treedef}: run without chunk_size/max_memory to see which "
                f"examples differ."
            )
        for j, (x, a) in enumerate(zip(leaves, self.axes)):
            if a is None:
                continue  # out_axes=None: every chunk returns the same unbatched value
            if not self.eager:
                self.arrays[j].append(x)
                continue
            dest = self.arrays[j]
            index = (slice(None),) * a + (slice(start, stop),)
            x = x if namespace_of(dest) is not np else np.asarray(x)
            if x.dtype != dest.dtype or x.shape != dest[index].shape:
                raise errors.SplitOutputMismatchError(
                    f"vmap chunk of examples {start}..{stop - 1} returned an output of shape "
                    f"{x.shape} and dtype {x.dtype} where the first chunk's outputs make "
                    f"{dest[index].shape} {dest.dtype}: run without chunk_size/max_memory "
                    f"to see which examples differ."
                )
            dest[index] = x
        if start == 0:
            self.first = leaves

    def _allocate(self, x: Any, axis: int | None) -> Any:
        if axis is None:
            return x
        xp = namespace_of(x)  # another library's arrays: their library, their device
        if xp is np:
            x = np.asarray(x)
        shape = list(x.shape)
        shape[axis] = self.n
        dest = xp.empty(tuple(shape), dtype=numpy_dtype(x.dtype))
        self.nbytes += math.prod(shape) * numpy_dtype(x.dtype).itemsize
        return dest

    def result(self) -> Any:
        if self.ragged == "list":
            return self.parts
        leaves = []
        for j, (x, a) in enumerate(zip(self.first, self.axes)):
            if a is None:
                leaves.append(x)
            elif self.eager:
                leaves.append(self.arrays[j])
            else:
                parts = self.arrays[j]
                xp = namespace_of(*parts)
                leaves.append(parts[0] if len(parts) == 1 else xp.concatenate(parts, axis=a))
        return tree_unflatten(self.treedef, leaves)


class _Progress:
    """A tqdm bar over the examples, shown once the run has lasted ``PROGRESS_DELAY_S``
    (``progress=None``: only when standard error is a terminal and tqdm is installed)."""

    def __init__(self, n: int, progress: bool | None):
        self.bar = None
        if progress is False:
            return
        if progress is None:
            if not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
                return
            try:
                tqdm = _tqdm()
            except errors.MissingDependencyError:
                return
        else:
            tqdm = _tqdm()
        self.started = time.perf_counter()
        self.bar = tqdm(
            total=n,
            unit="example",
            desc="vmap",
            delay=PROGRESS_DELAY_S if progress is None else 0.0,
            file=sys.stderr,
            leave=True,
        )

    def update(self, k: int) -> None:
        if self.bar is not None:
            self.bar.update(k)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def install() -> None:
    batching.RUN_CHUNKED = run_chunked
    batching.CHUNK_OPTIONS = check_options
    batching.OUT_OF_MEMORY = out_of_memory


install()
