"""Large array calls split along their first axis across a few threads.

NumPy's ufuncs, reductions and stacked matrix products release the GIL, so a call over a
large batch can run as a few calls over its parts, one per thread, each writing its own rows
of one output.  The result is bit for bit the whole call's: every element is computed by the
same loop from the same operands (a reduction only over axes other than the first; each
matrix of a stack by its own BLAS call, as NumPy's stacked ``matmul`` makes it anyway).

The parts are handed out one at a time (a shared counter) to the calling thread and a small
pool of workers, so a thread the operating system leaves waiting just takes fewer parts.
Stacked matrix products run with BLAS on one thread meanwhile: OpenBLAS threading each small
product of a stack synchronises its threads many times per call, and when a core is busy
with another process every one of those waits costs a scheduler time slice (measured on a
2-core machine: 64 products of 256x64 by 64x256, 10 ms on 2 threads when idle, 40-390 ms
while another process kept one core busy; split across 2 threads: 8 ms and about 15 ms).
While any such product runs, every thread of the process calls BLAS on one thread (OpenBLAS
keeps one global count); the count it had is put back after the last one ends.

How many threads: ``$AUTOVEC_NUM_THREADS`` when set, else NumPy's BLAS's own count (which
``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS`` and threadpoolctl set), else the
environment's thread limits, else the CPUs this process may run on.  With one, nothing is
split.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import itertools
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

# A call is split only from this many output elements (elementwise) or multiply-adds (matrix
# products): below, handing parts to threads costs more than it saves.
MIN_ELEMENTS = 1 << 17
MIN_MATMUL_WORK = 1 << 21
# Parts per thread: small enough that a thread the OS leaves waiting holds back little.
PARTS_PER_THREAD = 4
_ENV_LIMITS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# ------------------------------------------------------------------------ thread counts


class _Blas:
    """NumPy's OpenBLAS, reached through ctypes (None where NumPy uses another BLAS)."""

    def __init__(self) -> None:
        self.get: Any = None
        self.set: Any = None
        root = os.path.dirname(os.path.dirname(np.__file__))
        here = os.path.dirname(np.__file__)
        paths = glob.glob(os.path.join(root, "numpy.libs", "*openblas*"))
        paths += glob.glob(os.path.join(here, ".dylibs", "*openblas*"))
        for path in paths:
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for prefix, suffix in (
                ("scipy_openblas", "64_"),
                ("scipy_openblas", ""),
                ("openblas", ""),
            ):
                try:
                    get = getattr(lib, f"{prefix}_get_num_threads{suffix}")
                    set_ = getattr(lib, f"{prefix}_set_num_threads{suffix}")
                except AttributeError:
                    continue
                get.restype, get.argtypes = ctypes.c_int, []
                set_.restype, set_.argtypes = None, [ctypes.c_int]
                self.get, self.set = get, set_
                return


_blas: _Blas | None = None


def _the_blas() -> _Blas:
    global _blas
    if _blas is None:
        _blas = _Blas()
    return _blas


def _env_threads() -> int | None:
    for var in _ENV_LIMITS:
        try:
            return max(1, int(os.environ[var]))
        except (KeyError, ValueError):
            continue
    return None


def num_threads() -> int:
    """The threads a large call may be split across (see the module docstring)."""
    own = os.environ.get("AUTOVEC_NUM_THREADS")
    if own:
        try:
            return max(1, int(own))
        except ValueError:
            pass
    blas = _the_blas()
    if blas.get is not None:
        return _saved_blas_threads if _pinned else max(1, blas.get())
    limit = _env_threads()
    if limit is not None:
        return limit
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def blas_controlled() -> bool:
    """Whether BLAS can be held to one thread while a split product runs."""
    return _the_blas().set is not None


# ------------------------------------------------------------------ BLAS on one thread

_pin_lock = threading.Lock()
_pinned = 0  # split products running now
_saved_blas_threads = 1


def _pin_blas() -> None:
    global _pinned, _saved_blas_threads
    with _pin_lock:
        if _pinned == 0:
            blas = _the_blas()
            _saved_blas_threads = max(1, blas.get())
            blas.set(1)
        _pinned += 1


def _unpin_blas() -> None:
    global _pinned
    with _pin_lock:
        _pinned -= 1
        if _pinned == 0:
            _the_blas().set(_saved_blas_threads)


@contextlib.contextmanager
def blas_on_one_thread() -> Iterator[None]:
    """BLAS on one thread (process-wide, see the module docstring) while the block runs."""
    _pin_blas()
    try:
        yield
    finally:
        _unpin_blas()


# ------------------------------------------------------------------------------ the pool

_local = threading.local()  # .busy: this thread is running parts (nested calls run whole)
_pool_lock = threading.Lock()
_pools: list[ThreadPoolExecutor] = []


def _pool(workers: int) -> ThreadPoolExecutor:
    with _pool_lock:
        if not _pools or _pools[0]._max_workers < workers:
            _pools[:] = [ThreadPoolExecutor(workers, thread_name_prefix="autovec-split")]
        return _pools[0]


def inside_parts() -> bool:
    """Whether this thread is running a part of a split call (a call it makes runs whole)."""
    return getattr(_local, "busy", False)


def _capturing(seen: set[int], caller: dict) -> Any:
    """NumPy's error state in a part: flags the caller's state (``caller``, its
    ``np.geterr()``) ignores stay ignored, the others are recorded in ``seen`` (neither
    warned nor raised there)."""
    modes = {k: "ignore" if m == "ignore" else "call" for k, m in caller.items()}
    return np.errstate(**modes, call=lambda kind, flag: seen.add(flag))


class _Job:
    """The parts of one ``run_parts`` call, taken one at a time by the threads running it."""

    def __init__(self, n: int, body: Callable[[int, int], Any], threads: int, parts: int | None):
        if parts is None:
            parts = threads * PARTS_PER_THREAD if threads > 1 else 1
        self.parts = 1 if inside_parts() else max(1, min(n, parts))
        self.bounds = [n * p // self.parts for p in range(self.parts + 1)]
        self.counter = itertools.count()  # next() on it is atomic: each part is taken once
        self.body: Callable[[int, int], Any] | None = body
        self.seen: set[int] = set()
        self.caller = np.geterr()  # the caller's: a worker thread has a state of its own

    def run(self) -> None:
        body, bounds, parts, counter = self.body, self.bounds, self.parts, self.counter
        if body is None:
            return
        was = getattr(_local, "busy", False)
        _local.busy = True
        try:
            with _capturing(self.seen, self.caller):
                while (p := next(counter)) < parts:
                    body(bounds[p], bounds[p + 1])
        finally:
            _local.busy = was


def run_parts(
    n: int, body: Callable[[int, int], Any], threads: int, parts: int | None = None
) -> set[int]:
    """``body(start, stop)`` over ``parts`` consecutive parts of ``range(n)`` (by default a
    few per thread) covering it once, on ``threads`` threads (the caller's included); the
    first error raised is raised here, after every part has finished.  NumPy's
    floating-point errors that the caller's error state does not ignore neither warn nor
    raise in the parts (a warning per part, from another thread, is not what the whole call
    gives): their flags are returned, for ``replay_errors`` or a whole run."""
    job = _Job(n, body, threads, parts)
    if threads <= 1 or job.parts <= 1 or inside_parts():
        job.run()
        return job.seen
    futures = [_pool(threads - 1).submit(job.run) for _ in range(min(threads, job.parts) - 1)]
    try:
        job.run()
    finally:
        for f in futures:
            if not f.cancel():
                f.result()
        # A cancelled task may wait in the pool's queue a while: it must not keep the
        # arrays the body reads and writes alive until then.
        job.body = None
    return job.seen


# NumPy's floating-point errors, in the order it reports them: errstate key, text, flag.
_FP_ERRORS = (
    ("divide", "divide by zero", 1),
    ("over", "overflow", 2),
    ("under", "underflow", 4),
    ("invalid", "invalid value", 8),
)


def errors_replayable() -> bool:
    """Whether NumPy's error state asks only to ignore, warn or raise (what
    ``replay_errors`` reproduces); a call or log handler keeps a call whole."""
    return all(mode in ("ignore", "warn", "raise") for mode in np.geterr().values())


def replay_errors(seen: set[int], name: str, stacklevel: int) -> None:
    """What NumPy does, in the caller's error state, after a call ``name`` raising the
    floating-point flags ``seen``: a ``RuntimeWarning`` (``stacklevel`` counted from the
    caller of this function) or a ``FloatingPointError``, with NumPy's message."""
    if not seen:
        return
    modes = np.geterr()
    for key, text, flag in _FP_ERRORS:
        if flag in seen and modes[key] != "ignore":
            message = f"{text} encountered in {name}"
            if modes[key] == "raise":
                raise FloatingPointError(message)
            warnings.warn(message, RuntimeWarning, stacklevel=stacklevel + 1)


# ----------------------------------------------------------------------- split calls


def split_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """``np.matmul(a, b)`` of two stacks of matrices (``(n, m, k)`` and ``(n, k, p)``) split
    along the stack, or None where that is not worth it (small, one thread, BLAS out of
    reach, mixed dtypes): the caller then calls ``np.matmul`` itself."""
    if (
        a.ndim != 3
        or b.ndim != 3
        or a.dtype != b.dtype
        or a.dtype.kind not in "fc"
        or a.shape[0] < 2
        or a.shape[0] != b.shape[0]
        or a.shape[0] * a.shape[1] * a.shape[2] * b.shape[2] < MIN_MATMUL_WORK
    ):
        return None
    threads = num_threads()
    if threads <= 1 or not blas_controlled() or inside_parts():
        return None
    if not errors_replayable():
        return None
    out = np.empty((a.shape[0], a.shape[1], b.shape[2]), a.dtype)

    def part(i: int, j: int) -> None:
        np.matmul(a[i:j], b[i:j], out=out[i:j])

    with blas_on_one_thread():
        seen = run_parts(a.shape[0], part, threads)
    replay_errors(seen, "matmul", 2)
    return out


def _c_ordered(x: Any) -> bool:
    return type(x) is not np.ndarray or x.flags.c_contiguous


def ufunc_plan(ufunc: np.ufunc, shapes: tuple, out_shape: tuple) -> tuple | None:
    """Which operands of a ufunc call are split with the output (those of the output's
    rank and first axis), or None where the call is not split (small, or a first axis of
    one)."""
    size = 1
    for s in out_shape:
        size *= s
    if not out_shape or out_shape[0] < 2 or size < MIN_ELEMENTS or ufunc.nout != 1:
        return None
    n, rank = out_shape[0], len(out_shape)
    sliced = tuple(s is not None and len(s) == rank and s[0] == n for s in shapes)
    return sliced if any(sliced) else None


def split_ufunc(
    ufunc: np.ufunc, args: tuple, sliced: tuple, out: np.ndarray | None, stacklevel: int = 2
) -> Any:
    """``ufunc(*args, out=out)`` split along the output's first axis (``sliced`` from
    ``ufunc_plan``); None where it is not split after all (one thread, an operand not
    C-ordered, whose output NumPy would lay out in another order, an error state with a
    handler).  NumPy's warnings are attributed to the frame ``stacklevel`` levels up (2:
    the caller)."""
    threads = num_threads()
    if threads <= 1 or inside_parts() or not errors_replayable():
        return None
    if not all(map(_c_ordered, args)) or (out is not None and not out.flags.c_contiguous):
        return None
    n = next(a.shape[0] for a, s in zip(args, sliced) if s)
    if out is None:
        # NumPy's output dtype: the call on one element of each array (values do not
        # matter; Python scalars stay Python scalars, weakly typed).
        with np.errstate(all="ignore"):
            dtype = ufunc(*(a.reshape(-1)[:1] if type(a) is np.ndarray else a for a in args)).dtype
        shape = np.broadcast_shapes(*(np.shape(a) for a in args))
        out = np.empty(shape, dtype)

    def part(i: int, j: int) -> None:
        ufunc(*(a[i:j] if s else a for a, s in zip(args, sliced)), out=out[i:j])

    replay_errors(run_parts(n, part, threads), ufunc.__name__, stacklevel)
    return out


def call_split(fn: Any, args: tuple, out: np.ndarray | None = None, stacklevel: int = 2) -> Any:
    """``fn(*args)`` (``out=out``) where ``fn`` is a NumPy ufunc and the call is large:
    split along the output's first axis; else None, for the caller to call it whole.
    (Eager vmap's elementwise steps; ``stacklevel`` as for ``split_ufunc``.)"""
    if type(fn) is not np.ufunc:
        return None
    shapes = tuple(a.shape if type(a) is np.ndarray else None for a in args)
    try:
        out_shape = np.broadcast_shapes(*(s for s in shapes if s is not None))
    except ValueError:
        return None  # NumPy's own call says what is wrong
    sliced = ufunc_plan(fn, shapes, out_shape)
    if sliced is None or (out is not None and out.shape != out_shape):
        return None
    return split_ufunc(fn, args, sliced, out, stacklevel + 1)


def split_reduction(fn: Callable[[Any], Any], x: np.ndarray, out_shape: tuple, dtype: Any) -> Any:
    """``fn(x)``, a reduction over axes other than the first (its output keeps the first
    axis), split along that axis; None where it is not split (small, one thread, ``x`` not
    C-ordered) or where a part raised a floating-point error flag: the caller then runs
    ``fn(x)`` whole, which warns or raises as NumPy does."""
    if x.ndim == 0 or x.shape[0] < 2 or x.size < MIN_ELEMENTS or not x.flags.c_contiguous:
        return None
    threads = num_threads()
    if threads <= 1 or inside_parts():
        return None
    out = np.empty(out_shape, dtype)

    def part(i: int, j: int) -> None:
        out[i:j] = fn(x[i:j])

    return None if run_parts(x.shape[0], part, threads) else out
