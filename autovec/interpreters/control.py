"""The structured control-flow primitives: ``cond``, ``while`` and ``scan``, each carrying
per-example sub-programs as params (hashable: programs compare by identity).

They live among the interpreters, as the ``jit`` primitive does, because their rules batch
and compile sub-programs. Their batching rules do only the loop's work:

- an unbatched predicate (or index) keeps the structure: the sub-programs are batched and
  the primitive is bound again, one branch or one loop for the whole batch;
- a batched predicate switches the primitive to *lane mode* (the ``lanes`` param:
  ``(axis_size, batched)``, every batched argument with its batch axis in front). At run time
  ``cond`` groups the lanes by branch and runs each branch only on its lanes (gather, run,
  scatter back), and ``while`` drops finished lanes, so its cost follows the sum of the lanes'
  iterations. A lane-mode primitive under another vmap merges both batch axes into one.

Lane-mode sub-programs run under an eager batch trace on the lanes at hand, so any number of
lanes runs without re-staging the program for each count.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec.core import EVAL_TRACE, ShapedArray, _current_trace
from autovec.interpreters.batching import BatchTrace, BatchTracer
from autovec.interpreters.jit import compiled_for
from autovec.interpreters.optimize import optimize
from autovec.interpreters.staging import trace_to_program
from autovec.interpreters.while_lanes import computes_only, run_while_lanes, size_class
from autovec.ir import Program, eval_program
from autovec.prims.base import VIEW, Arg, Sample, declare
from autovec.prims.elementwise import BINARY, UNARY
from autovec.prims.shape import broadcast_batch, broadcast_to_p, expand_dims_p, moveaxis, reshape_p

# Lane evaluations done by lane-mode primitives since the last reset (for the benchmarks and
# tests that check that only the loop's work is done).
LANE_COUNTS: dict[str, int] = {
    "cond_branch": 0,
    "while_body": 0,
    "while_cond": 0,
    "while_idle": 0,  # finished lanes (and copies) a step carried along: see while_lanes
}


def reset_lane_counts() -> None:
    for k in LANE_COUNTS:
        LANE_COUNTS[k] = 0


def strong(aval: ShapedArray) -> ShapedArray:
    """``aval`` without the weak type of a Python scalar: a loop carry or a branch output has
    the dtype NumPy gives it, whatever produced it."""
    return ShapedArray(aval.shape, aval.dtype) if aval.weak_type else aval


def _as_array(xp: Any, x: Any, aval: ShapedArray) -> Any:
    """A program output (a Python scalar where the program returns a literal) as an array of
    its aval's dtype."""
    if getattr(x, "dtype", None) == aval.dtype and hasattr(x, "shape"):
        return x
    return xp.asarray(x, dtype=aval.dtype)


def _run(program: Program, xp: Any, args: Any) -> list:
    outs = compiled_for(program, xp)(*args)
    return [_as_array(xp, o, a) for o, a in zip(outs, program.out_avals)]


# ------------------------------------------------------------------ batching sub-programs


def batch_front(
    program: Program, flags: tuple, axis_size: int, force: tuple | None = None
) -> tuple[Program, tuple]:
    """``program`` over a batch of ``axis_size``: inputs with ``flags[i]`` have a leading batch
    axis; returns the batched program and which outputs are batched (at axis 0). Outputs
    marked in ``force`` are batched (broadcast) even where they do not depend on the batch."""
    force = force or (False,) * len(program.outputs)
    key = ("front", flags, axis_size, force)
    hit = program._cache.get(key)
    if hit is not None:
        return hit
    out_flags: list[bool] = []

    def batched(*args: Any) -> list:
        outs, trace = _eval_lanes(program, _current_trace.get(), axis_size, args, flags)
        res = []
        for o, f in zip(outs, force):
            is_batched = type(o) is BatchTracer and o._trace is trace
            if is_batched:
                res.append(moveaxis(o.val, o.bdim, 0))
            elif f:
                res.append(broadcast_batch(o, axis_size))
            else:
                res.append(o)
            out_flags.append(is_batched or f)
        return res

    avals = [
        ShapedArray((axis_size, *v.aval.shape), v.aval.dtype) if f else v.aval
        for v, f in zip(program.in_vars, flags)
    ]
    token = _current_trace.set(EVAL_TRACE)  # a closed program: nothing to lift
    try:
        out, _, _ = trace_to_program(batched, avals, name=f"vmap_{program.name}")
    finally:
        _current_trace.reset(token)
    hit = program._cache[key] = (optimize(out), tuple(out_flags))
    return hit


def _eval_lanes(program: Program, parent: Any, k: int, args: Any, flags: tuple) -> tuple:
    """``program``'s equations under a batch trace of ``k`` lanes over ``parent`` (inputs
    with ``flags[i]`` have the lanes on axis 0); returns the outputs and that trace."""
    trace = BatchTrace(parent, k)
    wrapped = [BatchTracer(trace, a, 0) if f else a for a, f in zip(args, flags)]
    token = _current_trace.set(trace)
    try:
        return eval_program(program, wrapped), trace
    finally:
        _current_trace.reset(token)
        trace.alive = False


def run_lanes(program: Program, xp: Any, args: list, flags: tuple, k: int) -> list:
    """Run the per-example ``program`` on ``k`` lanes (inputs with ``flags[i]`` have them on
    axis 0) under an eager batch trace; every output gets the lanes on axis 0."""
    if k == 0:
        return [xp.empty((0, *a.shape), a.dtype) for a in program.out_avals]
    outs, trace = _eval_lanes(program, EVAL_TRACE, k, args, flags)
    res = []
    for o, aval in zip(outs, program.out_avals):
        if type(o) is BatchTracer and o._trace is trace:
            res.append(_as_array(xp, xp.moveaxis(o.val, o.bdim, 0), aval))
        else:
            res.append(xp.broadcast_to(_as_array(xp, o, aval), (k, *aval.shape)))
    return res


def _to_front(args: tuple, dims: tuple) -> list:
    return [a if d is None else moveaxis(a, d, 0) for a, d in zip(args, dims)]


def _merge_lanes(prim: Any, axis_size: int, args: tuple, dims: tuple, params: dict):
    """A lane-mode primitive under another vmap: both batch axes become one of
    ``axis_size * inner`` lanes, and the outputs are split back into the two axes."""
    inner, flags = params["lanes"]
    m, n = axis_size, inner
    merged = []
    new_flags = []
    for a, d, f in zip(args, dims, flags):
        if d is None and not f:
            merged.append(a)
            new_flags.append(False)
            continue
        if d is None:  # lanes of the inner vmap only: the same for every outer example
            a = broadcast_batch(a, m)
        else:
            a = moveaxis(a, d, 0)
            if not f:  # outer lanes only
                rest = tuple(a.shape[1:])
                a = broadcast_to_p.bind(expand_dims_p.bind(a, axes=(1,)), shape=(m, n, *rest))
        merged.append(reshape_p.bind(a, new_sizes=(m * n, *a.shape[2:])))
        new_flags.append(True)
    outs = prim.bind(*merged, **{**params, "lanes": (m * n, tuple(new_flags))})
    outs = [reshape_p.bind(o, new_sizes=(m, n, *o.shape[1:])) for o in outs]
    return outs, [0] * len(outs)


# ---------------------------------------------------------------------------------- cond


def _cond_shape(index: ShapedArray, *ops: ShapedArray, branches: tuple, lanes: Any) -> list:
    lead = (lanes[0],) if lanes else ()
    return [ShapedArray((*lead, *a.shape), a.dtype) for a in branches[0].out_avals]


def _cond_impl(xp: Any, index: Any, *ops: Any, branches: tuple, lanes: Any) -> tuple:
    last = len(branches) - 1
    if lanes is None:
        return tuple(_run(branches[min(max(int(index), 0), last)], xp, ops))
    n, flags = lanes
    op_flags = flags[1:]
    index = xp.clip(index, 0, last) if flags[0] else xp.full((n,), min(max(int(index), 0), last))
    taken = [int(j) for j in xp.unique(index)]
    if len(taken) == 1:  # every lane agrees: one branch, no gather
        LANE_COUNTS["cond_branch"] += n
        return tuple(_branch_lanes(branches[taken[0]], xp, list(ops), op_flags, n))
    outs = [xp.empty((n, *a.shape), a.dtype) for a in branches[0].out_avals]
    for j in taken:
        where = xp.nonzero(index == j)[0]
        k = len(where)
        if xp is np and computes_only(branches[j], None):
            # Padded with copies of its first lane to a size class (see while_lanes): few
            # lane counts are compiled, and a copy repeats a lane's work exactly.
            where = np.concatenate([where, np.full(size_class(k) - k, where[0])])
        sub = [o[where] if f else o for o, f in zip(ops, op_flags)]
        LANE_COUNTS["cond_branch"] += k
        for out, r in zip(outs, _branch_lanes(branches[j], xp, sub, op_flags, len(where))):
            out[where[:k]] = r[:k]
    return tuple(outs)


def _branch_lanes(program: Program, xp: Any, args: list, flags: tuple, k: int) -> list:
    """``run_lanes`` for a branch of ``cond``: on NumPy, a branch that only computes runs as
    its batched program over ``k`` lanes, compiled once per lane count (cached on the
    branch), instead of equation by equation under an eager batch trace."""
    if xp is not np or not k or not computes_only(program, None):
        return run_lanes(program, xp, args, flags, k)
    key = ("cond lanes", flags, k)
    fn = program._cache.get(key)
    if fn is None:
        batched, _ = batch_front(program, flags, k, (True,) * len(program.outputs))
        fn = program._cache[key] = compiled_for(batched, np)
    return [_as_array(xp, o, a) for o, a in zip(fn(*args), program.out_avals)]


def _cond_batch(axis_size: int, args: tuple, dims: tuple, *, branches: tuple, lanes: Any):
    if lanes is not None:
        return _merge_lanes(cond_p, axis_size, args, dims, {"branches": branches, "lanes": lanes})
    index, ops = args[0], args[1:]
    flags = tuple(d is not None for d in dims[1:])
    if dims[0] is None:  # one branch for the whole batch: batch the branches
        union = tuple(
            any(fl) for fl in zip(*(batch_front(b, flags, axis_size)[1] for b in branches))
        )
        batched = tuple(batch_front(b, flags, axis_size, union)[0] for b in branches)
        outs = cond_p.bind(index, *_to_front(ops, dims[1:]), branches=batched, lanes=None)
        return list(outs), [0 if f else None for f in union]
    outs = cond_p.bind(*_to_front(args, dims), branches=branches, lanes=(axis_size, (True, *flags)))
    return list(outs), [0] * len(outs)


# --------------------------------------------------------------------------------- while


def _while_parts(args: tuple, cond_nconsts: int, body_nconsts: int) -> tuple:
    c = cond_nconsts
    b = c + body_nconsts
    return args[:c], args[c:b], args[b:]


def _while_shape(
    *avals: ShapedArray, cond_program, body_program, cond_nconsts, body_nconsts, lanes
):
    lead = (lanes[0],) if lanes else ()
    return [ShapedArray((*lead, *a.shape), a.dtype) for a in body_program.in_avals[body_nconsts:]]


def _while_impl(xp, *args, cond_program, body_program, cond_nconsts, body_nconsts, lanes):
    cc, bc, carry = _while_parts(args, cond_nconsts, body_nconsts)
    avals = body_program.in_avals[body_nconsts:]
    if lanes is None:
        carry = [_as_array(xp, c, a) for c, a in zip(carry, avals)]
        cond_fn = compiled_for(cond_program, xp)
        body_fn = compiled_for(body_program, xp)
        while cond_fn(*cc, *carry)[0]:
            carry = body_fn(*bc, *carry)
        return tuple(_as_array(xp, c, a) for c, a in zip(carry, avals))
    n, flags = lanes
    fc, fb, fcarry = _while_parts(flags, cond_nconsts, body_nconsts)
    cur = [
        _as_array(xp, c, a) if f else xp.broadcast_to(_as_array(xp, c, a), (n, *a.shape))
        for c, a, f in zip(carry, avals, fcarry)
    ]
    every = (True,) * len(cur)
    if (
        xp is np
        and n
        and computes_only(cond_program, while_p)
        and computes_only(body_program, while_p)
    ):
        fronts = {"cond": (cond_program, (*fc, *every)), "body": (body_program, (*fb, *every))}

        def compiled(which: str, k: int) -> Any:
            program, in_flags = fronts[which]
            batched, _ = batch_front(program, in_flags, k, (True,) * len(program.outputs))
            return compiled_for(batched, np)

        return run_while_lanes(
            n, compiled, (cc, bc), (fc, fb), cur, [strong(a) for a in avals], LANE_COUNTS
        )
    outs = [xp.empty((n, *a.shape), a.dtype) for a in avals]
    lanes_left = xp.arange(n)
    cc, bc = list(cc), list(bc)
    while len(lanes_left):
        k = len(lanes_left)
        LANE_COUNTS["while_cond"] += k
        pred = run_lanes(cond_program, xp, [*cc, *cur], (*fc, *every), k)[0]
        if not pred.all():  # finished lanes leave: their carry is final
            done = ~pred
            for out, c in zip(outs, cur):
                out[lanes_left[done]] = c[done]
            keep = xp.nonzero(pred)[0]
            lanes_left = lanes_left[keep]
            cur = [c[keep] for c in cur]
            cc = [c[keep] if f else c for c, f in zip(cc, fc)]
            bc = [c[keep] if f else c for c, f in zip(bc, fb)]
            k = len(keep)
            if not k:
                break
        LANE_COUNTS["while_body"] += k
        cur = run_lanes(body_program, xp, [*bc, *cur], (*fb, *every), k)
    return tuple(outs)


def _while_batch(
    axis_size, args, dims, *, cond_program, body_program, cond_nconsts, body_nconsts, lanes
):
    params = dict(
        cond_program=cond_program,
        body_program=body_program,
        cond_nconsts=cond_nconsts,
        body_nconsts=body_nconsts,
    )
    if lanes is not None:
        return _merge_lanes(while_p, axis_size, args, dims, {**params, "lanes": lanes})
    flags = tuple(d is not None for d in dims)
    fc, fb, carry_b = _while_parts(flags, cond_nconsts, body_nconsts)
    while True:  # which carry parts the body makes batched: to a fixed point
        body, out_b = batch_front(body_program, (*fb, *carry_b), axis_size, carry_b)
        grown = tuple(a or b for a, b in zip(carry_b, out_b))
        if grown == carry_b:
            break
        carry_b = grown
    cond, (pred_batched,) = batch_front(cond_program, (*fc, *carry_b), axis_size)
    cd, bd, carry_d = _while_parts(dims, cond_nconsts, body_nconsts)
    if not pred_batched:  # one loop for the whole batch
        carry = [
            moveaxis(a, d, 0) if d is not None else broadcast_batch(a, axis_size) if b else a
            for a, d, b in zip(_while_parts(args, cond_nconsts, body_nconsts)[2], carry_d, carry_b)
        ]
        consts = _to_front(args[: cond_nconsts + body_nconsts], (*cd, *bd))
        params.update(cond_program=cond, body_program=body)
        outs = while_p.bind(*consts, *carry, **params, lanes=None)
        return list(outs), [0 if b else None for b in carry_b]
    outs = while_p.bind(*_to_front(args, dims), **params, lanes=(axis_size, flags))
    return list(outs), [0] * len(outs)


# ---------------------------------------------------------------------------------- scan


def _scan_shape(*avals, program, length, reverse, num_consts, num_carry):
    outs = program.out_avals
    carry = [strong(a) for a in outs[:num_carry]]
    return carry + [ShapedArray((length, *a.shape), a.dtype) for a in outs[num_carry:]]


def _scan_impl(xp, *args, program, length, reverse, num_consts, num_carry):
    consts = args[:num_consts]
    carry = list(args[num_consts : num_consts + num_carry])
    xs = args[num_consts + num_carry :]
    out_avals = program.out_avals
    ys: list[list] = [[] for _ in out_avals[num_carry:]]
    fn = compiled_for(program, xp)
    for i in range(length - 1, -1, -1) if reverse else range(length):
        out = fn(*consts, *carry, *(x[i] for x in xs))
        carry = list(out[:num_carry])
        for acc, y in zip(ys, out[num_carry:]):
            acc.append(y)
    carry = [_as_array(xp, c, a) for c, a in zip(carry, out_avals)]
    stacked = []
    for acc, a in zip(ys, out_avals[num_carry:]):
        if reverse:
            acc.reverse()
        stacked.append(
            xp.astype(xp.stack(acc), a.dtype, copy=False)
            if acc
            else xp.empty((0, *a.shape), a.dtype)
        )
    return (*carry, *stacked)


def _scan_batch(axis_size, args, dims, *, program, length, reverse, num_consts, num_carry):
    flags = tuple(d is not None for d in dims)
    n_ys = len(program.outputs) - num_carry
    fc = flags[:num_consts]
    carry_b = flags[num_consts : num_consts + num_carry]
    fx = flags[num_consts + num_carry :]
    while True:
        body, out_b = batch_front(
            program, (*fc, *carry_b, *fx), axis_size, (*carry_b, *(False,) * n_ys)
        )
        grown = tuple(a or b for a, b in zip(carry_b, out_b))
        if grown == carry_b:
            break
        carry_b = grown
    consts = _to_front(args[:num_consts], dims[:num_consts])
    carry = [
        moveaxis(a, d, 0) if d is not None else broadcast_batch(a, axis_size) if b else a
        for a, d, b in zip(args[num_consts : num_consts + num_carry], dims[num_consts:], carry_b)
    ]
    # The body sees one slice of each xs with the batch in front: the batch goes to axis 1.
    xs = [
        a if d is None else moveaxis(a, d, 1)
        for a, d in zip(args[num_consts + num_carry :], dims[num_consts + num_carry :])
    ]
    outs = scan_p.bind(
        *consts,
        *carry,
        *xs,
        program=body,
        length=length,
        reverse=reverse,
        num_consts=num_consts,
        num_carry=num_carry,
    )
    out_dims = [0 if b else None for b in carry_b] + [1 if f else None for f in out_b[num_carry:]]
    return list(outs), out_dims


# --------------------------------------------------------------------------- declarations


def _program(fun: Any, *avals: ShapedArray) -> Program:
    program, _, _ = trace_to_program(fun, list(avals), name=fun.__name__)
    return program


_F64 = ShapedArray((), np.float64)
_V3 = ShapedArray((3,), np.float64)


def _sin_branch(x, y):
    return (UNARY["sin"].bind(x),)


def _log_branch(x, y):
    return (BINARY["multiply"].bind(UNARY["log"].bind(UNARY["absolute"].bind(x)), y),)


def _below(lim, x):
    return BINARY["less"].bind(x, lim)


def _step(x):
    return BINARY["add"].bind(x, 0.75)


def _cumulate(w, c, x):
    c = BINARY["add"].bind(c, BINARY["multiply"].bind(x, w))
    return c, BINARY["multiply"].bind(c, 2.0)


cond_p = declare(
    "cond",
    impl=_cond_impl,
    shape=_cond_shape,
    batch=_cond_batch,
    output=VIEW,  # a branch may return its operands
    multiple_results=True,
    samples=[
        Sample(
            (Arg((), "int32", -1, 3), Arg((3,)), Arg(())),
            {
                "branches": (_program(_sin_branch, _V3, _F64), _program(_log_branch, _V3, _F64)),
                "lanes": None,
            },
        )
    ],
    doc="Run branch ``index`` (clamped) on the operands; batched: each branch on its lanes.",
)

while_p = declare(
    "while",
    impl=_while_impl,
    shape=_while_shape,
    batch=_while_batch,
    output=VIEW,  # zero iterations return the initial carry
    multiple_results=True,
    samples=[
        Sample(
            (Arg(()), Arg(())),
            {
                "cond_program": _program(_below, _F64, _F64),
                "body_program": _program(_step, _F64),
                "cond_nconsts": 1,
                "body_nconsts": 0,
                "lanes": None,
            },
        )
    ],
    doc="Run the body program while the cond program says so; batched: finished lanes leave.",
)

scan_p = declare(
    "scan",
    impl=_scan_impl,
    shape=_scan_shape,
    batch=_scan_batch,
    output=VIEW,  # zero steps return the initial carry
    runs_program=True,
    multiple_results=True,
    samples=[
        Sample(
            (Arg(()), Arg(()), Arg((4,))),
            {
                "program": _program(_cumulate, _F64, _F64, _F64),
                "length": 4,
                "reverse": False,
                "num_consts": 1,
                "num_carry": 1,
            },
        ),
        Sample(
            (Arg(()), Arg(()), Arg((0,))),
            {
                "program": _program(_cumulate, _F64, _F64, _F64),
                "length": 0,
                "reverse": True,
                "num_consts": 1,
                "num_carry": 1,
            },
        ),
    ],
    doc="Loop the program over the leading axis of xs, carrying state, stacking outputs.",
)
