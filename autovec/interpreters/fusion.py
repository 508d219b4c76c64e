"""Loop roll-up: turn an unrolled Python loop back into one batched computation.

Code written for one example often builds a result with a Python loop over positions::

    anp.array([np.dot(x[i - 1:i + 2], w) for i in range(1, len(x) - 1)])

Traced, that is ``n`` copies of the same small computation, each reading a slice (or an
element) of the same array at an offset that grows by a fixed step, stacked at the end.  This
pass finds such stacks and replaces them with ONE computation over all positions: the slices
become a strided ``windows`` view (elements become one strided slice), and the body is
batched over the new axis with the ordinary batching rules -- the same machinery as vmap.
Results equal the unrolled program up to floating-point summation order.
"""

from __future__ import annotations

from typing import Any

from autovec.core import EVAL_TRACE, _current_trace
from autovec.interpreters.batching import BatchTrace, BatchTracer
from autovec.interpreters.staging import StagingTrace, recording_errstate
from autovec.ir import Atom, Eqn, Literal, Program, Var, bind_eqn, exact_key, replaying_source
from autovec.prims.shape import concatenate_p, expand_dims_p, getitem_p, moveaxis
from autovec.prims.windows import windows_p

# Fewer copies than this are left alone: the rolled form costs a few operations itself.
MIN_COPIES = 3
_FULL = (None, None, None)


class _Mismatch(Exception):
    pass


def _norm_item(item: Any, size: int) -> tuple[str, int, int, int] | None:
    """A varying-capable index item as (kind, start, step, length), or None if not one."""
    if type(item) is int:
        if not -size <= item < size:
            return None
        return ("int", item % size, 0, 0)
    if type(item) is tuple:
        start, stop, step = slice(*item).indices(size)
        if step <= 0:
            return None
        return ("slice", start, step, len(range(start, stop, step)))
    return None


class _Matcher:
    """Compare the expression graphs of copy 0 and copy k, node by node.

    Each node of copy 0 is compared once per copy: bodies that reuse a value (``z = z + z``)
    are graphs with shared nodes, and walking them as trees would take exponential time.
    """

    def __init__(self, producers: dict[int, Eqn]):
        self.producers = producers
        # template getitem equation id -> list over copies of the varying (kind, start, ...)
        self.varying: dict[int, list] = {}
        # (variable of copy 0, k) -> the variable of copy k it was matched with
        self.paired: dict[tuple[int, int], Var] = {}

    def match(self, a0: Atom, ak: Atom, k: int) -> None:
        """Raise ``_Mismatch`` unless ``ak`` is computed as ``a0`` is (a loop, not recursion:
        a long body must not exhaust Python's stack)."""
        pending = [(a0, ak)]
        while pending:
            pending.extend(self.visit(*pending.pop(), k))

    def visit(self, a0: Atom, ak: Atom, k: int) -> list[tuple[Atom, Atom]]:
        """Compare one pair of nodes; return the pairs of inputs still to compare."""
        if isinstance(a0, Literal) or isinstance(ak, Literal):
            # Compared by type and bits: a copy adding -0.0 is not one adding 0.0.
            if not (isinstance(a0, Literal) and isinstance(ak, Literal) and a0.key() == ak.key()):
                raise _Mismatch
            return []
        if a0 is ak:
            return []  # shared by every copy: computed once, outside the loop
        seen = self.paired.get((a0.id, k))
        if seen is not None:
            if seen is not ak:  # one value in copy 0, two in copy k: not the same body
                raise _Mismatch
            return []
        self.paired[(a0.id, k)] = ak
        e0, ek = self.producers.get(a0.id), self.producers.get(ak.id)
        if e0 is None or ek is None or e0.prim is not ek.prim or len(e0.inputs) != len(ek.inputs):
            raise _Mismatch
        if e0.prim is getitem_p:
            return self._match_getitem(e0, ek, k)
        if (
            exact_key(e0.params) != exact_key(ek.params)
            or e0.errstate != ek.errstate  # one batched equation runs under one errstate
            or e0.outputs.index(a0) != ek.outputs.index(ak)
        ):
            raise _Mismatch
        return list(zip(e0.inputs, ek.inputs))

    def _match_getitem(self, e0: Eqn, ek: Eqn, k: int) -> list[tuple[Atom, Atom]]:
        x0, xk = e0.inputs[0], ek.inputs[0]
        idx0, idxk = e0.params["index"], ek.params["index"]
        if len(idx0) != len(idxk):
            raise _Mismatch
        if idx0 == idxk:
            return [(x0, xk)]
        if x0 is not xk:  # the sliced array itself must be the same for every copy
            raise _Mismatch
        diffs = [p for p, (a, b) in enumerate(zip(idx0, idxk)) if a != b]
        if len(diffs) != 1 or any(
            i is not None and type(i) is not tuple for p, i in enumerate(idx0) if p != diffs[0]
        ):
            raise _Mismatch  # one varying item, everything else slices or new axes
        p = diffs[0]
        axis = sum(1 for i in idx0[:p] if i is not None)
        size = x0.aval.shape[axis]
        n0, nk = _norm_item(idx0[p], size), _norm_item(idxk[p], size)
        if n0 is None or nk is None or n0[0] != nk[0] or n0[2:] != nk[2:]:
            raise _Mismatch
        entry = self.varying.setdefault(id(e0), [(p, axis, n0)])
        if entry[0][0] != p:
            raise _Mismatch
        entry.append((p, axis, nk))
        return []


def _stack_candidates(
    program: Program, producers: dict[int, Eqn]
) -> dict[int, tuple[int, list[Var]]]:
    """concatenate equations that stack (expand_dims at the concatenation axis) n values."""
    found = {}
    for e in program.eqns:
        if e.prim is not concatenate_p or len(e.inputs) < MIN_COPIES:
            continue
        axis = e.params["axis"]
        items = []
        for a in e.inputs:
            p = producers.get(a.id) if isinstance(a, Var) else None
            if p is None or p.prim is not expand_dims_p or p.params["axes"] != (axis,):
                break
            items.append(p.inputs[0])
        else:
            found[id(e)] = (axis, items)
    return found


def _plan(producers: dict[int, Eqn], items: list[Var]) -> dict[int, Any] | None:
    """For a stack of ``items``: the varying getitems of copy 0 and their progressions."""
    matcher = _Matcher(producers)
    try:
        for k in range(1, len(items)):
            matcher.match(items[0], items[k], k)
    except _Mismatch:
        return None
    if not matcher.varying:
        return None
    plan = {}
    n = len(items)
    for eqn_id, entries in matcher.varying.items():
        if len(entries) != n:
            return None  # varies for some copies only
        p, axis, first = entries[0]
        starts = [e[2][1] for e in entries]
        step = starts[1] - starts[0]
        if step <= 0 or any(b - a != step for a, b in zip(starts, starts[1:])):
            return None
        plan[eqn_id] = (p, axis, first, step)
    return plan


def roll_up_loops(program: Program) -> Program:
    """Replace stacks of offset copies of one computation by one batched computation."""
    producers = {v.id: e for e in program.eqns for v in e.outputs}
    candidates = _stack_candidates(program, producers)
    plans = {}
    for eqn_id, (axis, items) in candidates.items():
        plan = _plan(producers, items)
        if plan is not None:
            plans[eqn_id] = (axis, items, plan)
    if not plans:
        return program
    return _restage(program, plans)


def _restage(program: Program, plans: dict) -> Program:
    staging = StagingTrace(EVAL_TRACE)
    env: dict[int, Any] = {}
    for v, val in zip(program.const_vars, program.const_vals):
        env[v.id] = val
    for v in program.in_vars:
        env[v.id] = staging.new_arg(v.aval)
    producers = {v.id: e for e in program.eqns for v in e.outputs}

    def read(a: Atom) -> Any:
        return a.val if isinstance(a, Literal) else env[a.id]

    token = _current_trace.set(staging)
    try:
        with recording_errstate(staging):  # the function's errstate blocks, as traced
            for e in program.eqns:
                plan = plans.get(id(e))
                if plan is None:
                    out = bind_eqn(e, [read(a) for a in e.inputs])
                    outs = out if e.prim.multiple_results else (out,)
                else:  # new equations say they come from the user's line that stacked the copies
                    source = replaying_source.set(e.source_info)
                    try:
                        outs = (_rolled(staging, plan, producers, read),)
                    finally:
                        replaying_source.reset(source)
                for v, val in zip(e.outputs, outs):
                    env[v.id] = val
            outs = [read(o) for o in program.outputs]
            return staging.finish(outs, program.name)
    finally:
        _current_trace.reset(token)
        staging.alive = False


def _rolled(staging: StagingTrace, plan: tuple, producers: dict, read: Any) -> Any:
    """The stacked value computed once, batched over the copies."""
    stack_axis, items, varying = plan
    n = len(items)
    btrace = BatchTrace(staging, n)
    memo: dict[int, Any] = {}
    by_id = {id(e): e for e in producers.values() if id(e) in varying}
    for eqn_id, (p, axis, first, step) in varying.items():
        eqn = by_id[eqn_id]
        x = read(eqn.inputs[0])
        kind, start, sstep, length = first
        index = list(eqn.params["index"])
        if kind == "int":
            # x[start + i*step] for each copy i: one strided slice, the copies on that axis.
            index[p] = (start, start + step * (n - 1) + 1, step)
            val = getitem_p.bind(x, index=tuple(index))
            bdim = p  # every item before it (a slice or a new axis) makes one output axis
        else:
            # x[start + i*step : ... + length*sstep : sstep]: windows, then the slice's step.
            win = windows_p.bind(
                x, axis=axis, start=start, count=n, step=step, length=(length - 1) * sstep + 1
            )
            if sstep != 1:
                sel = [(None, None, None)] * (win.ndim)
                sel[axis + 1] = (None, None, sstep)
                win = getitem_p.bind(win, index=tuple(sel))
            # The remaining index items (slices / new axes) apply to the window value with the
            # copies axis kept whole.
            rest = list(index)
            rest[p] = (None, None, None)
            rest.insert(p, (None, None, None))
            val = getitem_p.bind(win, index=tuple(rest))
            bdim = p
        memo[id(eqn)] = BatchTracer(btrace, val, bdim)

    # Copy 0's body, batched: each of its values computed once however often the body reuses
    # it, in a loop rather than by recursion (a long body must not exhaust Python's stack).
    values: dict[int, Any] = {}
    depends: dict[int, bool] = {}

    def value(a: Atom) -> Any:
        return a.val if isinstance(a, Literal) else values[a.id]

    token = _current_trace.set(btrace)
    try:
        pending: list[tuple[Atom, bool]] = [(items[0], False)]
        while pending:
            a, inputs_ready = pending.pop()
            if isinstance(a, Literal) or a.id in values:
                continue
            e = producers.get(a.id)
            if e is not None and id(e) in memo:
                values[a.id] = memo[id(e)]
            elif e is None or not _depends_on_varying(a, producers, varying, depends):
                values[a.id] = read(a)  # shared by every copy
            elif not inputs_ready:
                pending.append((a, True))
                pending.extend((i, False) for i in e.inputs)
            else:
                out = bind_eqn(e, [value(i) for i in e.inputs])
                outs = out if e.prim.multiple_results else (out,)
                for v, val in zip(e.outputs, outs):
                    values[v.id] = val
        result = values[items[0].id]
    finally:
        _current_trace.reset(token)
        btrace.alive = False
    return moveaxis(result.val, result.bdim, stack_axis)


def _depends_on_varying(a: Var, producers: dict, varying: dict, cache: dict) -> bool:
    """Whether ``a`` is computed from a varying slice; ``cache`` keeps every answer found, so
    that all the questions about one body cost one walk of it."""
    pending = [(a, False)]
    while pending:
        v, inputs_ready = pending.pop()
        if v.id in cache:
            continue
        e = producers.get(v.id)
        if e is None or id(e) in varying:
            cache[v.id] = e is not None
            continue
        ins = [i for i in e.inputs if isinstance(i, Var)]
        if inputs_ready:
            cache[v.id] = any(cache[i.id] for i in ins)
        else:
            pending.append((v, True))
            pending.extend((i, False) for i in ins if i.id not in cache)
    return cache[a.id]
