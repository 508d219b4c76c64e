"""Program optimisations run by jit before compiling: constant folding, removal of no-op
shape operations, common-subexpression elimination, loop roll-up (``fusion.py``) and
dead-code elimination.

Each pass returns a new ``Program`` computing the same outputs.  All but loop roll-up keep
the very NumPy operations that produce each result, so their results are bit-identical; loop
roll-up may change floating-point summation order (as vmap may).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from autovec.core import EVAL_TRACE, _current_trace
from autovec.interpreters import staging
from autovec.interpreters.fusion import roll_up_loops
from autovec.ir import Atom, Eqn, Literal, Program, Var, bind_eqn, check_program, exact_key
from autovec.prims.base import FRESH

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


_NOT_FOLDED = object()


def _fold(e: Eqn, values: list) -> Any:
    """``e`` evaluated now, or ``_NOT_FOLDED`` if that warns or raises: such an equation stays
    in the program, so that it warns or raises on every call, under the caller's state."""
    try:
        with warnings.catch_warnings(), np.errstate(all="raise"):
            warnings.simplefilter("error")
            return bind_eqn(e, values)  # under e's own errstate blocks, raising otherwise
    except Exception:
        return _NOT_FOLDED


def fold_constants(program: Program) -> Program:
    """Evaluate equations whose inputs are all known now (literals and constants), except
    those that warn or raise (they do so at call time, as eagerly)."""
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
                out = _NOT_FOLDED
                if all(int(np.prod(v.aval.shape)) <= _FOLD_LIMIT for v in e.outputs):
                    out = _fold(e, values)
                if out is not _NOT_FOLDED:
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


def _shown_by_outputs(program: Program) -> set[int]:
    """Variables whose memory a program output may show: the outputs themselves, and what
    any view among them (by the primitives' ``output`` facts) was taken of."""
    shown = {o.id for o in program.outputs if isinstance(o, Var)}
    for e in reversed(program.eqns):
        if e.prim.facts.output != FRESH and any(v.id in shown for v in e.outputs):
            shown.update(a.id for a in e.inputs if isinstance(a, Var))
    return shown


def remove_noops(program: Program) -> Program:
    """Drop equations that give their input's values unchanged (each primitive's ``noop``
    fact: a reshape to the same shape, an identity transpose, a cast to the same dtype).

    A copy (the ``copies`` fact) is dropped only where nobody can tell: its result never
    reaches an output, or it copies a fresh temporary that nothing else reads or returns.
    """
    shown = _shown_by_outputs(program)
    readers: dict[int, int] = {}
    copiers: dict[int, int] = {}  # how many of those readers copy it
    for e in program.eqns:
        for a in e.inputs:
            if isinstance(a, Var):
                readers[a.id] = readers.get(a.id, 0) + 1
                if e.prim.facts.copies:
                    copiers[a.id] = copiers.get(a.id, 0) + 1
    producers = {v.id: e for e in program.eqns for v in e.outputs}
    subst: dict[int, Atom] = {}
    copied_away: set[int] = set()  # values one dropped copy already stands for

    def private(a: Atom, copied: bool = False) -> bool:
        """No output shows ``a``, and its memory is a fresh temporary's (or views of such)
        that nothing else reads. ``copied``: ``a`` is what a copy reads, and may be read by
        other copies too (``return y, y`` under vmap), as long as only one copy goes."""
        if isinstance(a, Literal):
            return True
        e = producers.get(a.id)
        if e is None or a.id in subst or a.id in shown:
            return False
        if copied:
            if readers[a.id] != copiers.get(a.id, 0) or a.id in copied_away:
                return False
        elif readers[a.id] != 1:
            return False
        return e.prim.facts.output == FRESH or all(private(i) for i in e.inputs)

    eqns = []
    for e in program.eqns:
        facts = e.prim.facts
        x = e.inputs[0] if e.inputs else None
        if (
            isinstance(x, Var)
            and facts.is_noop([a.aval for a in e.inputs], [v.aval for v in e.outputs], e.params)
            and (not facts.copies or e.outputs[0].id not in shown or private(x, copied=True))
        ):
            if facts.copies:
                copied_away.add(x.id)
            subst[e.outputs[0].id] = x
        else:
            eqns.append(e)
    return _rebuild(program, eqns, subst)


def _atom_key(a: Atom) -> Any:
    # Literals by type and bits: x * 0.0 and x * -0.0 are two computations.
    return ("v", a.id) if isinstance(a, Var) else ("l", a.key())


def eliminate_common_subexpressions(program: Program) -> Program:
    """Compute each (primitive, inputs, params, errstate) once, literals and params compared
    by type and bits; but two fresh results that outputs show stay two arrays, as they are
    eagerly (``return x + 1, x + 1``)."""
    shown = _shown_by_outputs(program)
    seen: dict[Any, list[Var]] = {}
    subst: dict[int, Atom] = {}
    eqns = []
    for e in program.eqns:
        inputs = [_substitute(a, subst) for a in e.inputs]
        try:
            key = (
                e.prim,
                tuple(_atom_key(a) for a in inputs),
                exact_key(e.params),
                e.errstate,  # the same operation under another errstate may warn or raise
            )
            hash(key)
        except TypeError:  # an unhashable param: keep the equation as it is
            eqns.append(e.replace(inputs))
            continue
        prev = seen.get(key)
        if prev is not None and not (
            e.prim.facts.output == FRESH
            and any(v.id in shown for v in e.outputs)
            and any(v.id in shown for v in prev)
        ):
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
