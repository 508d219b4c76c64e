"""Running a jit program on blocks of rows: in cache, and across threads.

A program made by ``jit(vmap(f))`` often treats the rows of its values' first axis (the
examples) independently from start to end: elementwise steps, reductions over the other
axes, stacked matrix products, views that keep the first axis.  Such a program gives the
same rows when it runs on a block of rows of its inputs as when it runs on all of them, so
it can run block by block: each block's intermediate values fit in the CPU's cache (a
softmax's five passes over a large score array then read the cache, not memory), and the
blocks are shared among threads (autovec/parallel.py) in one parallel region per call.

Which steps keep rows apart is decided from each equation's primitive and parameters
(``_row_rule``); a program with any other step that touches a row value runs whole.  Every
element is computed by the same NumPy loop from the same operands as in the whole run (a
stacked product makes one BLAS call per matrix either way; a reduction reduces each row
alone either way), so the results are the whole run's, bit for bit.  NumPy's warnings and
errors: where a block raises a floating-point flag the caller's error state does not
ignore, the call runs again whole, which warns or raises as NumPy does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import parallel
from autovec.interpreters.codegen import _is_ufunc_call, compile_program
from autovec.ir import Eqn, Program, Var
from autovec.prims.base import FRESH
from autovec.prims.linalg import dot_general_p
from autovec.prims.reductions import REDUCTIONS, example_layout_p
from autovec.prims.scatter import copy_p
from autovec.prims.shape import (
    convert_element_type_p,
    expand_dims_p,
    getitem_p,
    reshape_p,
    squeeze_p,
    transpose_p,
)

# A block holds about this many bytes of the program's largest value (in a core's L2).
BLOCK_BYTES = 1 << 20
# Programs whose largest value is smaller run whole: it stays in cache anyway.
MIN_BYTES = 8 << 20
# Programs whose intermediate values hold fewer bytes than this many times their outputs'
# run whole (see ``row_plan``).
MIN_INTERMEDIATES = 2
# A step on unblocked values alone runs once per block: only cheap ones are allowed.
MAX_CONST_ELEMENTS = 1 << 12

_REDUCTIONS = frozenset(REDUCTIONS.values())


def _row_rule(e: Any, rows: list[bool], n: int) -> bool | None:
    """Whether equation ``e``, whose inputs are row values where ``rows`` says so, keeps the
    rows of its output apart (True: the output is a row value); None where it does not."""
    prim, params = e.prim, e.params
    ins = e.inputs
    out = e.outputs[0].aval if len(e.outputs) == 1 else None
    if out is None or not out.shape or out.shape[0] != n:
        return None
    if _is_ufunc_call(e):
        for a, row in zip(ins, rows):
            shape = a.aval.shape if isinstance(a, Var) else ()
            if row and (len(shape) != len(out.shape) or shape[0] != n):
                return None
            if not row and len(shape) == len(out.shape) and shape[0] != 1:
                return None  # a full-rank operand not split with the rows
        return True
    if len(ins) == 1 and rows[0]:
        if prim in _REDUCTIONS:
            axes = params.get("axes")
            return True if isinstance(axes, tuple) and 0 not in axes else None
        if prim is transpose_p:
            return True if params["perm"][0] == 0 else None
        if prim in (expand_dims_p, squeeze_p):
            return True if 0 not in params["axes"] else None
        if prim is example_layout_p:
            return True if params["batch_axes"][:1] == (0,) else None
        if prim is getitem_p:  # basic indexing: the whole first axis, then anything
            return True if params["index"][:1] == ((None, None, None),) else None
        if prim is reshape_p:  # run with the first axis left to NumPy (``_rows_program``)
            rest = math.prod(params["new_sizes"][1:])
            return True if ins[0].aval.shape[0] == n and rest > 0 else None
        if prim in (convert_element_type_p, copy_p):
            return True  # the same values, whatever the layout of the copy
        return None
    if prim is dot_general_p and len(ins) == 2 and all(rows):
        (_, _), (lb, rb) = params["dimension_numbers"]
        return True if lb[:1] == (0,) and rb[:1] == (0,) else None
    return None


def _nbytes(v: Var) -> int:
    return math.prod(v.aval.shape) * v.aval.dtype.itemsize


def row_plan(program: Program) -> tuple[int, tuple[bool, ...], int] | None:
    """``(n, which inputs are split, bytes per row of the largest value)`` where every step
    of ``program`` keeps the rows of a first axis of ``n`` apart and the program is large
    enough to gain; None otherwise."""
    outs = program.outputs
    if not outs or not all(isinstance(o, Var) and o.aval.shape for o in outs):
        return None
    n = outs[0].aval.shape[0]
    if n < 2:
        return None
    row: dict[int, bool] = {v.id: False for v in program.const_vars}
    split = []
    for v in program.in_vars:
        row[v.id] = bool(v.aval.shape) and v.aval.shape[0] == n
        split.append(row[v.id])
    largest = max(
        (math.prod(v.aval.shape) * v.aval.dtype.itemsize for v in program.in_vars), default=0
    )
    for e in program.eqns:
        if e.errstate is not None:
            return None  # its own np.errstate would warn or raise in each block
        rows = [isinstance(a, Var) and row[a.id] for a in e.inputs]
        for v in e.outputs:
            largest = max(largest, _nbytes(v))
        if not any(rows):
            if any(math.prod(v.aval.shape) > MAX_CONST_ELEMENTS for v in e.outputs):
                return None
            for v in e.outputs:
                row[v.id] = False
            continue
        if _row_rule(e, rows, n) is None:
            return None
        row[e.outputs[0].id] = True
    if not all(row[o.id] for o in outs) or largest < MIN_BYTES:
        return None
    # Blocks keep intermediate values in the cache, and cost a copy of each block's results
    # into the outputs: with intermediates of less than twice the outputs' bytes they lose
    # (x[::2] + x[1::2]: 4.3 ms in blocks against 2.3 whole; x * 2.0 + 1.0 and np.exp(x) +
    # 1.0 lose on two threads; (x * 2.0 + 1.0) * 3.0 - 4.0 gains 10%).
    out_bytes = sum(_nbytes(o) for o in outs)
    if _bytes_written(program) - out_bytes < MIN_INTERMEDIATES * out_bytes:
        return None
    return n, tuple(split), largest // n


class _NotRows(Exception):
    """A block's result is not the rows of the program's output (a safety net)."""


class BlockedProgram:
    """Callable like generated code: ``fn`` run on blocks of rows (see the module
    docstring), or whole where that is not worth it or NumPy's error state asks for it."""

    def __init__(self, fn: Callable[..., tuple], program: Program, plan: tuple, block_fn: Callable):
        self.fn = fn  # the whole run's code
        self.block_fn = block_fn  # a block's: the same, or with reshapes keeping its rows
        self.n, self.split, row_bytes = plan
        self.rows = max(1, BLOCK_BYTES // max(row_bytes, 1))
        self.out_avals = [o.aval for o in program.outputs]

    def __call__(self, *args: Any) -> tuple:
        threads = parallel.num_threads()
        n, fn, split = self.n, self.fn, self.split
        parts = max(-(-n // self.rows), min(n, threads * parallel.PARTS_PER_THREAD))
        if parts < 2 or parallel.inside_parts():
            return fn(*args)
        outs = [np.empty(a.shape, a.dtype) for a in self.out_avals]

        block_fn = self.block_fn

        def block(i: int, j: int) -> None:
            got = block_fn(*(a[i:j] if s else a for a, s in zip(args, split)))
            for out, g in zip(outs, got):
                if type(g) is not np.ndarray or g.dtype != out.dtype or g.shape != out[i:j].shape:
                    raise _NotRows  # never seen: a value the avals did not promise
                out[i:j] = g

        try:
            if threads > 1 and parallel.blas_controlled():
                with parallel.blas_on_one_thread():
                    seen = parallel.run_parts(n, block, threads, parts)
            else:
                seen = parallel.run_parts(n, block, threads, parts)
        except Exception:  # noqa: BLE001  (_NotRows, or any error: the whole run decides)
            # A block that fails where the whole run would not must cost a whole run, not
            # an eager one (jit runs a call eagerly when its program raises); a real error
            # is raised again by the whole run, as NumPy raises it.
            return fn(*args)
        if seen:
            return fn(*args)  # NumPy's own warnings or errors, from the whole run
        return tuple(outs)


def _rows_program(program: Program, n: int) -> Program | None:
    """``program`` with every reshape of a value of ``n`` rows asking for ``-1`` rows, so
    that on a block it keeps the block's rows (its traced sizes name all ``n``); None where
    ``program`` has no such reshape."""
    eqns, changed = [], False
    for e in program.eqns:
        sizes = e.params.get("new_sizes") if e.prim is reshape_p else None
        if sizes and sizes[0] == n and isinstance(e.inputs[0], Var):
            if e.inputs[0].aval.shape[:1] == (n,):
                params = dict(e.params, new_sizes=(-1, *sizes[1:]))
                e = Eqn(e.prim, e.inputs, params, e.outputs, e.errstate, e.source_info)
                changed = True
        eqns.append(e)
    if not changed:
        return None
    return Program(
        program.const_vars, program.const_vals, program.in_vars, eqns, program.outputs,
        program.name,
    )  # fmt: skip


def blocked(program: Program, fn: Callable[..., tuple]) -> Callable[..., tuple]:
    """``fn`` (the NumPy code of ``program``), run on blocks of rows where that keeps every
    row's result (see the module docstring)."""
    hit = program._cache.get("blocked plan", False)
    if hit is False:
        hit = program._cache["blocked plan"] = row_plan(program)
    if hit is None:
        return fn
    rows_fn = program._cache.get("blocked rows code", False)
    if rows_fn is False:  # compiled once per program, as its plan (None: no reshape to mend)
        rows = _rows_program(program, hit[0])
        rows_fn = program._cache["blocked rows code"] = (
            None if rows is None else compile_program(rows, np).fn
        )
    return BlockedProgram(fn, program, hit, fn if rows_fn is None else rows_fn)


def blocks_beat(program: Program, fused: Program) -> bool:
    """Whether ``program`` run as NumPy code in blocks of rows (each block's values stay in
    the cache) beats ``fused``, the same program with fused groups: where it can run so and
    fusion leaves more than a third of the bytes NumPy writes to be written to memory (a
    pass over memory costs about three over the cache here: attention's softmax around fused
    max and subtract kernels took 28 ms against 20 in blocks, writing four fifths of the
    bytes)."""
    if row_plan(program) is None:
        return False
    return 3 * _bytes_written(fused) > _bytes_written(program)


def _bytes_written(program: Program) -> int:
    """The bytes a program's steps write into fresh values (views write nothing)."""
    return sum(_nbytes(v) for e in program.eqns if e.prim.facts.output == FRESH for v in e.outputs)
