"""jit's numba backend: fused loops for elementwise chains and the reductions that end them.

``backend_function(program, xp, backend)`` gives the function a jit cache entry calls.  With
the ``numpy`` backend (or without numba) it is the generated NumPy code of ``codegen``.  With
``auto`` and ``numba``, the groups ``fused_groups`` finds become one equation each, running a
numba kernel (``fused_kernels``) in one pass over the data, on several threads when the work is
large; matrix products stay on BLAS and their elementwise epilogues write into the product.
The body of a ``scan`` (chunked vmap under jit runs its full chunks as one) is fused too: the
scan then runs the body with its groups.

Results are NumPy's, bit for bit.  Warnings are NumPy's too: the fused program runs with
NumPy's divide/overflow/invalid errors raised and each kernel's floating-point exception flags
read; if anything would have warned, the call runs again as plain NumPy code, which warns (or
raises) as the caller's ``np.errstate`` says.  A program that keeps doing so stays on NumPy.

``auto`` fuses groups of at least ``MIN_ELEMENTS`` elements (smaller ones cost more to call
than they save) and compiles kernels on the second call, in the caller's thread (numba's
compiler changes the process's warning filters while it runs, which a thread of its own
would do under the user's feet): the first call runs NumPy code.  There, a group whose
values are larger than the caches runs its NumPy operations over blocks of rows of its
iteration shape (each block's values about ``BLOCK_BYTES``), not over the whole shape at
once: the same operations on the same numbers, so the same bits, without writing and
reading back arrays the size of the batch.  ``numba`` fuses every group and compiles at once.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from autovec import errors, parallel
from autovec.core import Primitive
from autovec.interpreters.blocked import blocked, blocks_beat
from autovec.interpreters.codegen import _lower, compile_program, compiled_for
from autovec.interpreters.fused_groups import Group, find_groups, kept_members, sum_run_length
from autovec.interpreters.fused_kernels import (
    _FE_BITS,
    FPFlags,
    kernel_source,
    lane_axis,
    lane_inputs,
    load_kernel,
)
from autovec.interpreters.fused_rewrites import expand_moments
from autovec.interpreters.fused_while import in_avals, while_kernel_ok, while_source
from autovec.ir import Eqn, Program, Var
from autovec.prims.base import FRESH, Facts

BACKENDS = ("auto", "numpy", "numba")
# Whether numba can be imported (tests set it False to check the NumPy-only install).
NUMBA_AVAILABLE = importlib.util.find_spec("numba") is not None
# auto: a group over fewer elements stays NumPy; one over PARALLEL_ELEMENTS or more runs on
# numba's thread count (numba.get_num_threads(): NUMBA_NUM_THREADS, numba.set_num_threads).
MIN_ELEMENTS = 1 << 15
PARALLEL_ELEMENTS = 1 << 18
# A batched while runs its lanes on several threads from this many lanes per thread.
PARALLEL_LANES = 128
# Calls that had to run again as NumPy before a program stays on NumPy for good.
MAX_REDOS = 3
# Before its kernel is compiled, a group whose values hold BLOCK_MIN_BYTES or more (each)
# runs as NumPy code over blocks of rows holding about BLOCK_BYTES per value: they stay in
# the CPU's caches, where the whole shape's values would go out to memory and back.
BLOCK_BYTES = 1 << 20
BLOCK_MIN_BYTES = 4 << 20


def default_backend() -> str:
    """The backend ``jit`` uses when none is given: ``$AUTOVEC_JIT_BACKEND``, else auto."""
    return check_backend(os.environ.get("AUTOVEC_JIT_BACKEND") or "auto")


def check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise errors.OptionError(f"jit backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "numba" and not NUMBA_AVAILABLE:
        raise errors.MissingDependencyError(
            "jit(backend='numba') needs numba: pip install 'autovec[fast]' (or use "
            "backend='auto', which runs NumPy code where numba is missing)"
        )
    return backend


def backend_function(program: Program, xp: Any, backend: str) -> Any:
    """The function running ``program`` on arrays of ``xp`` with ``backend``."""
    if xp is not np:
        return compiled_for(program, xp).fn
    if backend == "numpy" or not NUMBA_AVAILABLE or not _fusible(program):
        return blocked(program, compiled_for(program, xp).fn)
    key = ("fused", backend)
    hit = program._cache.get(key)
    if hit is None:
        fused = _fuse(program, 1 if backend == "numba" else MIN_ELEMENTS)
        if fused and backend == "auto" and blocks_beat(program, fused[0]):
            fused = None
        hit = FusedProgram(program, *fused, wait=backend == "numba") if fused else None
        program._cache[key] = hit
    return hit if hit is not None else blocked(program, compiled_for(program, xp).fn)


def _fusible(program: Program) -> bool:
    """Programs the backend takes: no np.errstate of their own (running twice would warn
    twice), no callbacks, no sub-programs but the bodies of primitives that run theirs as
    given (``scan``; fusible too), on an architecture whose FP flags it can read."""
    if platform.machine().lower() not in _FE_BITS:
        return False
    for e in program.eqns:
        if e.errstate is not None:
            return False
        if while_kernel_ok(e):  # a batched while of scalars: one kernel (fused_while)
            continue
        body = e.params.get("program") if e.prim.facts.runs_program else None
        if body is not None and not _fusible(body):
            return False
        if any(v is not body and (callable(v) or _holds_program(v)) for v in e.params.values()):
            return False
    return True


def _fuse(program: Program, min_size: int) -> tuple[Program, list[GroupRunner]] | None:
    """``program`` with its groups (and those of the bodies it runs) fused, and their
    runners; None when there is nothing to fuse."""
    program = expand_moments(program)
    groups = find_groups(program, min_size)
    runners = [GroupRunner(g, program) for g in groups]
    bodies: dict[int, Eqn] = {}
    inner: list = []  # runners of scan bodies and batched whiles
    for k, e in enumerate(program.eqns):
        if while_kernel_ok(e):
            runner = WhileRunner(e)
            prim = Primitive(
                runner.name,
                impl=runner,
                shape=lambda *avals, _avals=[v.aval for v in e.outputs]: _avals,
                batch=None,
                multiple_results=True,
                doc="A batched while run by one numba kernel (autovec/interpreters/fused.py).",
                facts=Facts(FRESH),
            )
            bodies[k] = Eqn(prim, e.inputs, {}, e.outputs, e.errstate, e.source_info)
            inner.append(runner)
        elif e.prim.facts.runs_program and isinstance(e.params.get("program"), Program):
            got = _fuse(e.params["program"], min_size)
            if got is not None:
                params = dict(e.params, program=got[0])
                bodies[k] = Eqn(e.prim, e.inputs, params, e.outputs, e.errstate, e.source_info)
                inner += got[1]
    if not runners and not inner:
        return None
    return _with_groups(program, groups, runners, bodies), runners + inner


def _holds_program(v: Any) -> bool:
    return isinstance(v, Program) or (isinstance(v, tuple) and any(map(_holds_program, v)))


class _Redo(Exception):
    """A kernel raised a floating-point exception flag (NumPy would have warned), or a group
    running in blocks stopped half way through a temporary it writes over."""


class FusedProgram:
    """Callable like generated code: the fused program once its kernels are compiled (and
    NumPy's error state allows), else the NumPy program."""

    def __init__(self, program: Program, fused: Program, runners: list, wait: bool):
        self.original = program
        self._numpy_fn: Any = None
        self.runners = runners  # the kernels it waits for, those of scan bodies included
        self.program = fused
        self.fused_fn = compile_program(self.program, np).fn
        self.ready = False
        self.redos = 0
        self.error: BaseException | None = None
        self.futures: list[_Deferred] | None = None
        # Whether a group is worth running in blocks of rows before its kernel is compiled.
        self.blocks = any(
            isinstance(r, GroupRunner) and r.block_rows < r.group.shape[0] for r in runners
        )
        if wait:
            for runner in self.runners:
                runner.kernel = _kernel_future(runner.source).result()
            self.ready = True

    def __call__(self, *args: Any) -> tuple:
        if (self.ready or self._poll()) and np.geterr()["under"] == "ignore":
            try:
                with np.errstate(divide="raise", over="raise", invalid="raise"):
                    return self.fused_fn(*args)
            except (_Redo, FloatingPointError):
                self.redos += 1
                if self.redos >= MAX_REDOS:
                    self.ready = False  # and self.futures stays None: NumPy for good
        elif self.blocks and self.futures is None and self.redos < MAX_REDOS:
            # No kernel asked for yet: the runners run their groups' NumPy code in blocks.
            # It raises where NumPy would warn, and NumPy's code below then warns once.
            out = self._numpy_blocks(args)
            if out is not None:
                self.futures = [_kernel_future(r.source) for r in self.runners]
                return out
        out = self.numpy_fn(*args)
        if not self.ready and self.futures is None and self.redos < MAX_REDOS:
            # The kernels compile on the next call (see _Deferred): this one stays cheap.
            self.futures = [_kernel_future(r.source) for r in self.runners]
        return out

    @property
    def numpy_fn(self) -> Any:
        """The NumPy program's generated code (compiled when first needed: a first call
        that runs in blocks does not need it)."""
        if self._numpy_fn is None:
            self._numpy_fn = blocked(self.original, compiled_for(self.original, np).fn)
        return self._numpy_fn

    def _numpy_blocks(self, args: tuple) -> tuple | None:
        """The fused program with NumPy code in blocks for its groups (no kernel compiled
        yet); None where NumPy warns or raises (the caller runs the NumPy program)."""
        if np.geterr()["under"] != "ignore":
            return None
        try:
            with np.errstate(divide="raise", over="raise", invalid="raise"):
                return self.fused_fn(*args)
        except (_Redo, FloatingPointError):
            self.redos += 1
            return None

    def _poll(self) -> bool:
        """Whether every kernel is compiled now (then the fused program is used)."""
        if self.futures is None or not all(f.done() for f in self.futures):
            return False
        futures, self.futures = self.futures, None
        for runner, future in zip(self.runners, futures):
            if future.exception() is not None:
                self.error = future.exception()
                self.redos = MAX_REDOS  # a kernel that does not compile: NumPy for good
                return False
            runner.kernel = future.result()
        self.ready = True
        return True


def _with_groups(
    program: Program, groups: list[Group], runners: list[GroupRunner], bodies: dict[int, Eqn]
) -> Program:
    """``program`` with each group's equations replaced by one equation calling its runner,
    and the equations ``bodies`` replaces (a scan with its body fused)."""
    at_root = {g.members[-1]: (g, r) for g, r in zip(groups, runners)}
    dropped = {k for g in groups for k in g.members} - kept_members(program, groups)
    eqns = []
    for k, e in enumerate(program.eqns):
        if k in at_root:
            g, runner = at_root[k]
            prim = Primitive(
                runner.name,
                impl=runner,
                shape=lambda *avals, _aval=g.root.aval: _aval,
                batch=None,
                doc="A fused group of the numba backend (autovec/interpreters/fused.py).",
                facts=Facts(FRESH, in_place=runner.in_place if g.in_place else None),
            )
            eqns.append(Eqn(prim, list(runner.args), {}, [g.root], None, e.source_info))
        elif k not in dropped:
            eqns.append(bodies.get(k, e))
    return Program(
        program.const_vars, program.const_vals, program.in_vars, eqns, program.outputs,
        program.name,
    )  # fmt: skip


class GroupRunner:
    """Runs one group: its kernel on contiguous inputs, else the group's NumPy code."""

    def __init__(self, group: Group, program: Program):
        self.group = group
        self._source: str | None = None
        self.kernel: Any = None
        self.args: list[Var] = []  # the fused equation's inputs: each program value once
        for var, _, _ in group.inputs:
            if all(v is not var for v in self.args):
                self.args.append(var)
        # (argument, shape the kernel reads it as): a slice's kernel reads the whole value.
        self.views = [
            (self.args.index(var), var.aval.shape if at else view or (1,))
            for (var, view, _), at in zip(group.inputs, group.starts)
        ]
        # The slice NumPy code reads, where an input is one (``x[:, 1:-1]``).
        self.cuts = [
            tuple(slice(a, a + n) for a, n in zip(at, view)) if at else None
            for (_, view, _), at in zip(group.inputs, group.starts)
        ]
        self.swapped = lane_inputs(group) or ()  # read transposed by the kernel
        self.scratch = (len(group.kept), group.shape[-1])  # rows for values where may drop
        self.name = "fused_" + "_".join(dict.fromkeys(n.fn for n in group.nodes))
        eqns = [program.eqns[k] for k in group.members]
        self.numpy_program = Program([], [], self.args, eqns, [group.root], self.name)
        self.numpy_fn: Any = None
        self.parallel = group.size >= PARALLEL_ELEMENTS and group.shape[0] > 1
        itemsize = max(n.dtype.itemsize for n in group.nodes)
        rows = group.shape[0]
        row_bytes = max(1, group.size // rows * itemsize)
        big = group.size * itemsize >= BLOCK_MIN_BYTES
        self.block_rows = max(1, min(rows, BLOCK_BYTES // row_bytes)) if big else rows
        # Which kernel inputs vary along the rows (the others broadcast along them).
        self.sliced = [
            len(view) == len(group.shape if level == "pre" else group.out_shape)
            and view[0] == rows > 1
            for _, view, level in group.inputs
        ]
        self.node_fns: list | None = None
        # The last node reading each node's value (after it, its buffer may take another's),
        # and the nodes whose values vary along the rows (the others broadcast along them).
        self.last_use = [-1] * len(group.nodes)
        self.varies = []
        for i, node in enumerate(group.nodes):
            for kind, j in node.args:
                if kind == "v":
                    self.last_use[j] = i
            self.varies.append(
                any(
                    (kind == "x" and self.sliced[j]) or (kind == "v" and self.varies[j])
                    for kind, j in node.args
                )
            )

    @property
    def source(self) -> str:
        """The kernel's numba source (written when the kernel is first asked for)."""
        if self._source is None:
            self._source = kernel_source(self.group)
        return self._source

    def numpy(self, args: tuple) -> Any:
        if self.numpy_fn is None:
            self.numpy_fn = compile_program(self.numpy_program, np).fn
        return self.numpy_fn(*args)[0]

    def numpy_blocks(self, args: tuple, target: Any = None) -> Any:
        """The group's NumPy operations, ``block_rows`` rows of its iteration shape at a
        time: each block computes its rows of every value from the same numbers with the
        same functions (elementwise ones, whose bits do not depend on the layout), and every
        reduction sums the trailing axes of a C-contiguous block, as NumPy sums them in the
        C-contiguous whole value, so the bits are those of the group's NumPy code (which
        runs instead where a value to reduce would be laid out otherwise)."""
        g = self.group
        xs = [
            args[pos].reshape(shape) if cut is None else args[pos][cut]
            for (pos, shape), cut in zip(self.views, self.cuts)
        ]
        for x, (_, _, level) in zip(xs, g.inputs):
            # Values to reduce are computed in the inputs' memory order (NumPy's "K"): from
            # C-contiguous inputs they are C-contiguous in the whole shape and in each block.
            if g.reduced and level == "pre" and not x.flags.c_contiguous:
                return self.numpy(args)
        if self.node_fns is None:
            self.node_fns = [_lower(n.eqn.prim, np, n.eqn.params) for n in g.nodes]
        # ``target``: input 0, a temporary of the program the output may overwrite (groups
        # that reduce have none); if the blocks stop half way, the whole program runs again.
        out = np.empty(g.out_shape, g.out_dtype) if target is None else target
        rows, step = g.shape[0], self.block_rows
        blocks = -(-rows // step)
        threads = parallel.num_threads() if self.parallel and blocks > 1 else 1
        if threads > 1:  # runs of blocks shared among threads (autovec/parallel.py)
            stopped: list[bool] = []

            def body(i: int, j: int) -> None:
                if not self._numpy_rows(xs, out, i * step, min(rows, j * step)):
                    stopped.append(True)

            # Floating-point flags the caller (raising) does not ignore come back as ``seen``:
            # the program runs again as NumPy code, which warns or raises (FusedProgram).
            if parallel.run_parts(blocks, body, threads):
                raise _Redo
            done = not stopped
        else:
            done = self._numpy_rows(xs, out, 0, rows)
        if not done:
            if target is not None:
                raise _Redo
            return self.numpy(args)
        return out

    def _numpy_rows(self, xs: list, out: Any, start: int, stop: int) -> bool:
        for lo in range(start, stop, self.block_rows):
            hi = min(stop, lo + self.block_rows)
            if not self._numpy_block(xs, out[lo:hi], lo, hi):
                return False
        return True

    def _numpy_block(self, xs: list, dest: Any, start: int, stop: int) -> bool:
        """Write rows ``start:stop`` of the group's output into ``dest``; False where a
        reduction would read a block of another shape or layout than the rows of the whole
        value.  An elementwise step writes into a value no later step reads (``out=``, as
        the generated code does), or into ``dest``: the block's values stay in the cache."""
        g = self.group
        ins = [x[start:stop] if cut else x for x, cut in zip(xs, self.sliced)]
        shapes = {
            "pre": (stop - start, *g.shape[1:]),
            "top": (stop - start, *g.out_shape[1:]),
        }  # the block's shape of the values that vary along the rows
        values: list = []
        root = len(g.nodes) - 1
        for i, (node, fn) in enumerate(zip(g.nodes, self.node_fns)):
            ops = [
                ins[j] if kind == "x" else values[j] if kind == "v" else j for kind, j in node.args
            ]
            if node.reduce:
                if not (ops[0].shape == shapes["pre"] and ops[0].flags.c_contiguous):
                    return False
            elif type(fn) is np.ufunc and self.varies[i]:
                shape = shapes[node.level]  # every computed value has its level's shape
                if i == root and shape == dest.shape and node.dtype == dest.dtype:
                    fn(*ops, out=dest)
                    return True
                for kind, j in node.args:
                    if kind == "v" and self.last_use[j] == i:
                        dead = values[j]
                        if (
                            type(dead) is np.ndarray
                            and dead.shape == shape
                            and dead.dtype == node.dtype
                        ):
                            values.append(fn(*ops, out=dead))
                            break
                else:
                    values.append(fn(*ops))
                continue
            values.append(fn(*ops))
        value = values[-1]
        if value.dtype != dest.dtype:
            return False
        dest[...] = value
        return True

    def __call__(self, xp: Any, *args: Any) -> Any:
        return self.run(None, args)

    def in_place(self, xp: Any, *args: Any) -> Any:
        return self.run(args[0], args)

    def run(self, target: Any, args: tuple) -> Any:
        if self.kernel is None:  # not compiled yet (the first call of ``auto``)
            return self.numpy_blocks(args, target)
        xs = []
        for k, (pos, shape) in enumerate(self.views):
            x = args[pos].reshape(shape)
            flags = x.flags
            if not (flags.c_contiguous and flags.aligned):
                return self.numpy(args)  # another layout: NumPy's own order and speed
            if k in self.swapped:  # the lane axis last (fused_kernels.lane_inputs)
                x = np.ascontiguousarray(np.moveaxis(x, lane_axis(self.group, k), -1))
            xs.append(x)
        g = self.group
        out = np.empty(g.out_shape, g.out_dtype) if target is None else target
        if out.ndim == 0:
            out = out.reshape(1)
        n0 = g.shape[0]
        threads = _threads() if self.parallel else 1
        if threads > 1:
            bounds = [n0 * t // threads for t in range(threads + 1)]
            pool = _pool(threads)
            futures = [
                pool.submit(self._rows, out, xs, bounds[t], bounds[t + 1])
                for t in range(1, threads)
            ]
            bad = self._rows(out, xs, bounds[0], bounds[1])
            bad = any([f.result() for f in futures]) or bad
        else:
            bad = self._rows(out, xs, 0, n0)
        if bad:
            raise _Redo
        return out.reshape(g.out_shape)

    def _rows(self, out: Any, xs: list, start: int, stop: int) -> bool:
        flags = _FLAGS[0]
        flags.clear(flags.mask)
        # A kernel returns 1 where NumPy's result is its own to give (a float max that is
        # NaN or zero, fused_kernels): the call runs again as NumPy code.
        if self.scratch[0]:  # (fused_kernels stores each value where may drop: one row each)
            xs = [*xs, np.empty(self.scratch, np.float64)]
        stopped = self.kernel(self.group.shape, sum_run_length(), start, stop, out, *xs)
        return stopped != 0 or flags.test(flags.mask) != 0


class WhileRunner:
    """Runs a batched ``while`` of scalars (fused_while) as one kernel over the lanes."""

    def __init__(self, eqn: Eqn):
        self.source = while_source(eqn)
        self.kernel: Any = None
        self.name = "fused_while"
        self.avals = in_avals(eqn)
        self.n, self.flags = eqn.params["lanes"]
        self.outs = [(v.aval.shape, v.aval.dtype) for v in eqn.outputs]
        self.numpy = _lower(eqn.prim, np, eqn.params)  # before the kernel is compiled

    def __call__(self, xp: Any, *args: Any) -> tuple:
        if self.kernel is None:  # a first call running other groups in blocks
            return tuple(self.numpy(*args))
        n = self.n
        xs = [
            np.ascontiguousarray(np.asarray(a, dtype=aval.dtype).reshape(n if batched else 1))
            for a, aval, batched in zip(args, self.avals, self.flags)
        ]
        outs = [np.empty(shape, dtype) for shape, dtype in self.outs]
        threads = min(_threads(), n // PARALLEL_LANES) if n >= 2 * PARALLEL_LANES else 1
        if threads > 1:
            pool = _pool(threads)
            futures = [pool.submit(self._lanes, t, threads, xs, outs) for t in range(1, threads)]
            bad = self._lanes(0, threads, xs, outs)
            bad = any([f.result() for f in futures]) or bad
        else:
            bad = self._lanes(0, 1, xs, outs)
        if bad:
            raise _Redo
        return tuple(outs)

    def _lanes(self, start: int, step: int, xs: list, outs: list) -> bool:
        flags = _FLAGS[0]
        flags.clear(flags.mask)
        self.kernel(start, self.n, step, *xs, *outs)
        return flags.test(flags.mask) != 0


# ----------------------------------------------------------------- compiling on a later call

_FLAGS: list[FPFlags] = []
_kernels: dict[str, _Deferred] = {}
_lock = threading.RLock()
_workers: list[ThreadPoolExecutor] = []


def _load(source: str) -> Any:
    if not _FLAGS:
        _FLAGS.append(FPFlags())
    return load_kernel(source)


class _Deferred:
    """A kernel, compiled in the thread that first asks whether it is ready.  Not on a thread
    of its own: numba's compiler sets and restores the process's warning filters while it
    runs (``warnings.catch_warnings``, which is not thread-safe), so compiling beside the
    user's code could drop or misroute the warnings that code records."""

    def __init__(self, source: str):
        self.source = source
        self.value: Any = None
        self.error: BaseException | None = None
        self.compiled = False

    def _compile(self) -> None:
        with _lock:
            if not self.compiled:
                try:
                    self.value = _load(self.source)
                except Exception as err:  # noqa: BLE001  (the program stays on NumPy)
                    self.error = err
                self.compiled = True

    def done(self) -> bool:
        self._compile()
        return True

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._compile()
        return self.error

    def result(self) -> Any:
        self._compile()
        if self.error is not None:
            raise self.error
        return self.value


def _kernel_future(source: str) -> _Deferred:
    """The kernel for ``source``, compiled once per process, when first asked for."""
    with _lock:
        future = _kernels.get(source)
        if future is None:
            future = _kernels[source] = _Deferred(source)
    return future


def wait_for_kernels(timeout: float | None = None) -> None:
    """Wait until every kernel asked for so far is compiled (for tests and benchmarks)."""
    for future in list(_kernels.values()):
        future.exception(timeout)


def _threads() -> int:
    import numba

    return numba.get_num_threads()


def _pool(threads: int) -> ThreadPoolExecutor:
    with _lock:
        if not _workers or _workers[0]._max_workers < threads - 1:
            _workers[:] = [ThreadPoolExecutor(threads - 1, thread_name_prefix="autovec-fused")]
        return _workers[0]
