"""Program optimisations run by jit before compiling: constant folding, removal of no-op
shape operations, common-subexpression elimination, loop roll-up (``fusion.py``) and
dead-code elimination.

Each pass returns a new ``Program`` computing the same outputs.  All but loop roll-up keep
the very NumPy operations that produce each result, so their results are bit-identical; loop
roll-up may change floating-point summation order (as vmap may).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec.core import EVAL_TRACE, _current_trace
from autovec.interpreters import staging
from autovec.interpreters.fusion import roll_up_loops
from autovec.ir import Atom, Eqn, Literal, Program, Var, bind_eqn, check_program

# Constant folding never materialises more than this many elements at compile time.
_FOLD_LIMIT = 1 << 16


def optimize(program: Program) -> Program:
    """All passes, in order; the result is type-checked when the tests ask for it."""
    program = fold_constants(program)
    program = remove_noops(program)
    program = eliminate_common_subexpressions(program)
    program = roll_up_loops(program)
    program = remove_noops(program)  # roll-up leaves whole-array slices behind
    program = eliminate_dead_code(program)
    if staging.CHECK_PROGRAMS:
        check_program(program)
    return program


def _substitute(a: Atom, subst: dict[int, Atom]) -> Atom:
    if isinstance(a, Var):
        while a.id in subst:
            nxt = subst[a.id]
            if isinstance(nxt, Literal):
                return nxt
            a = nxt
    return a


def _rebuild(
    program: Program,
    eqns: list[Eqn],
    subst: dict[int, Atom],
    const_vars: list[Var] | None = None,
    const_vals: list[Any] | None = None,
) -> Program:
    new_eqns = [e.replace([_substitute(a, subst) for a in e.inputs]) for e in eqns]
    outs = [_substitute(o, subst) for o in program.outputs]
    return Program(
        program.const_vars if const_vars is None else const_vars,
        program.const_vals if const_vals is None else const_vals,
        program.in_vars,
        new_eqns,
        outs,
        program.name,
    )


def fold_constants(program: Program) -> Program:
    """Evaluate equations whose inputs are all known now (literals and constants)."""
    known: dict[int, Any] = {v.id: val for v, val in zip(program.const_vars, program.const_vals)}
    const_vars, const_vals = list(program.const_vars), list(program.const_vals)
    eqns: list[Eqn] = []
    subst: dict[int, Atom] = {}
    token = _current_trace.set(EVAL_TRACE)  # fold with the impls, whatever is tracing now
    try:
        for e in program.eqns:
            inputs = [_substitute(a, subst) for a in e.inputs]
            values = []
            for a in inputs:
                if isinstance(a, Literal):
                    values.append(a.val)
                elif a.id in known:
                    values.append(known[a.id])
                else:
                    break
            else:
                if all(int(np.prod(v.aval.shape)) <= _FOLD_LIMIT for v in e.outputs):
                    out = bind_eqn(e, values)
                    outs = out if e.prim.multiple_results else (out,)
                    for v, val in zip(e.outputs, outs):
                        known[v.id] = val
                        const_vars.append(v)
                        const_vals.append(val)
                    continue
            eqns.append(e.replace(inputs))
    finally:
        _current_trace.reset(token)
    return _rebuild(program, eqns, subst, const_vars, const_vals)


def _is_noop(e: Eqn) -> bool:
    name, p = e.prim.name, e.params
    if len(e.inputs) != 1 or len(e.outputs) != 1:
        return False
    x, out = e.inputs[0].aval, e.outputs[0].aval
    if x.shape != out.shape or x.dtype != out.dtype:
        return False
    if name in ("reshape", "broadcast_to", "convert_element_type"):
        return True
    if name == "transpose":
        return p["perm"] == tuple(range(len(p["perm"])))
    if name in ("expand_dims", "squeeze"):
        return not p["axes"]
    if name == "getitem":
        return all(i == (None, None, None) for i in p["index"])
    return False


def remove_noops(program: Program) -> Program:
    """Drop reshapes/transposes/broadcasts/casts that leave their input unchanged."""
    subst: dict[int, Atom] = {}
    eqns = []
    for e in program.eqns:
        if _is_noop(e) and isinstance(e.inputs[0], Var):
            subst[e.outputs[0].id] = e.inputs[0]
        else:
            eqns.append(e)
    return _rebuild(program, eqns, subst)


def _atom_key(a: Atom) -> Any:
    if isinstance(a, Var):
        return ("v", a.id)
    return (
        "l",
        type(a.val),
        a.val if not isinstance(a.val, np.generic) else (a.val.dtype, a.val.item()),
    )


def eliminate_common_subexpressions(program: Program) -> Program:
    """Compute each (primitive, inputs, params) once."""
    seen: dict[Any, list[Var]] = {}
    subst: dict[int, Atom] = {}
    eqns = []
    for e in program.eqns:
        inputs = [_substitute(a, subst) for a in e.inputs]
        try:
            key = (e.prim, tuple(_atom_key(a) for a in inputs), tuple(sorted(e.params.items())))
            hash(key)
        except TypeError:  # an unhashable param: keep the equation as it is
            eqns.append(e.replace(inputs))
            continue
        prev = seen.get(key)
        if prev is not None:
            for v, p in zip(e.outputs, prev):
                subst[v.id] = p
            continue
        seen[key] = e.outputs
        eqns.append(e.replace(inputs))
    return _rebuild(program, eqns, subst)


def eliminate_dead_code(program: Program) -> Program:
    """Drop equations and constants no output depends on."""
    live = {o.id for o in program.outputs if isinstance(o, Var)}
    kept: list[Eqn] = []
    for e in reversed(program.eqns):
        if any(v.id in live for v in e.outputs):
            kept.append(e)
            live.update(a.id for a in e.inputs if isinstance(a, Var))
    kept.reverse()
    pairs = [(v, val) for v, val in zip(program.const_vars, program.const_vals) if v.id in live]
    return Program(
        [v for v, _ in pairs],
        [val for _, val in pairs],
        program.in_vars,
        kept,
        program.outputs,
        program.name,
    )
