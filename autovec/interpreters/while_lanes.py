"""The lane-mode ``while`` on NumPy arrays: compiled batched programs, finished lanes carried
along until half of them are finished, then dropped.

``control._while_impl`` runs a batched ``while`` (a predicate that differs between lanes) as
the loop would: each lane runs the body until its own predicate is false.  Dropping finished
lanes every iteration costs a gather and a scatter of the whole carry per iteration, and
running the per-example programs under an eager batch trace costs Python work per equation;
with hundreds of iterations over a few lanes that is most of the time.  Here:

- the cond and body programs are batched and compiled once per lane count (``batch_front``
  and jit's code generator), so an iteration is a few straight-line NumPy calls;
- a finished lane stays in the arrays, *frozen*: the body still runs on it, and
  ``where(pred, new, old)`` keeps its carry, until an eighth of the slots are idle; then
  the live lanes are gathered, padded with copies of live lanes to one of four counts per
  doubling (``size_class``: the lane counts compiled stay few; a copy repeats its lane's
  work exactly);
- a body run on frozen lanes must not show: it runs with NumPy's floating-point errors
  raised, and on any error or exception the frozen lanes are dropped and the step runs again
  as the loop would run it (warning or raising as the caller's ``np.errstate`` says).

Only programs that do nothing but compute are run this way: no callbacks, no nested
``while`` (a frozen lane might never leave an inner loop); others keep dropping lanes every
iteration under the eager batch trace (``control.run_lanes``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autovec.interpreters.codegen import explain_error
from autovec.ir import Program

# Lane evaluations, shared with control.LANE_COUNTS: "while_idle" counts the frozen lanes
# and copies the body ran on beside the live ones.
Counts = dict


def computes_only(program: Program, loop_prim: Any) -> bool:
    """Whether ``program`` (and every program in its params) only computes: no callable
    params, no ``loop_prim`` (``while``) inside."""
    for e in program.eqns:
        if e.prim is loop_prim:
            return False
        for v in e.params.values():
            for p in v if isinstance(v, tuple) else (v,):
                if callable(p) and not isinstance(p, Program):
                    return False
                if isinstance(p, Program) and not computes_only(p, loop_prim):
                    return False
    return True


def size_class(live: int) -> int:
    """The lane count ``live`` lanes are padded to: four counts per doubling (``live``
    rounded up to a multiple of a power of two an eighth to a quarter of it), so that few
    lane counts are ever compiled and padding adds at most a quarter."""
    step = 1 << max((live - 1).bit_length() - 3, 0)
    return -(-live // step) * step


def _errors_raised() -> Any:
    """NumPy's error state for a step that runs frozen lanes: every error raised (underflow
    only where the caller does not ignore it)."""
    under = "ignore" if np.geterr()["under"] == "ignore" else "raise"
    return np.errstate(divide="raise", over="raise", invalid="raise", under=under)


def run_while_lanes(
    n: int,
    compiled: Callable[[str, int], Callable],
    consts: tuple[list, list],
    const_flags: tuple[tuple, tuple],
    carry: list,
    out_avals: list,
    counts: Counts,
) -> tuple:
    """The while loop over ``n`` lanes.  ``compiled(which, k)`` is the batched ``"cond"`` or
    ``"body"`` program over ``k`` lanes (every carry batched, consts batched as
    ``const_flags`` say), compiled; ``carry`` has the lanes in front."""
    cc, bc = list(consts[0]), list(consts[1])
    fc, fb = const_flags
    cur = list(carry)
    outs = [np.empty((n, *a.shape), a.dtype) for a in out_avals]
    slots = np.arange(n)  # the lane each slot holds; slots[unique:] copy live lanes
    unique = n
    pred: Any = None  # the last predicate, while some slots are frozen (else None)
    live = n  # the live lanes by the last predicate
    fns: dict = {}
    step: list = []  # the cond and body functions at the current lane count

    def refresh() -> None:
        step[:] = [fns.get((w, len(slots))) for w in ("cond", "body")]
        for i, w in enumerate(("cond", "body")):
            if step[i] is None:
                step[i] = fns[w, len(slots)] = compiled(w, len(slots)).fn

    def leave(done: Any) -> None:  # finished lanes' carries are final
        idx = slots[:unique][done]
        for out, c in zip(outs, cur):
            out[idx] = c[:unique][done]

    def compact(alive: Any) -> None:
        """Keep the live lanes, padded to a lane count of ``size_class`` with copies."""
        nonlocal cc, bc, cur, slots, unique, pred
        leave(~alive)
        keep = np.flatnonzero(alive)
        size = size_class(live)
        if size > live:
            keep = np.resize(keep, size)
        cur = [c[keep] for c in cur]
        cc = [c[keep] if f else c for c, f in zip(cc, fc)]
        bc = [c[keep] if f else c for c, f in zip(bc, fb)]
        slots, unique, pred = slots[keep], live, None
        refresh()

    def decide(new_pred: Any) -> bool:
        """After a predicate: whether every lane is done; else compact or freeze."""
        nonlocal pred, live
        counts["while_cond"] += live if pred is not None else unique
        alive = new_pred[:unique]
        live = int(np.count_nonzero(alive))
        if live == 0:
            leave(np.ones(unique, bool))
            return True
        k = len(slots)
        if size_class(live) <= k - max(4, k // 8):  # enough idle slots to pay a gather
            compact(alive)
        else:  # copies finish with their lanes: some slots are frozen iff a lane finished
            pred = new_pred if live < unique else None
        return False

    def body() -> None:
        nonlocal cur
        new = step[1](*bc, *cur)
        if pred is not None:
            new = [np.where(pred if c.ndim == 1 else pred.reshape((-1,) + (1,) * (c.ndim - 1)),
                            v, c) for v, c in zip(new, cur)]  # fmt: skip
        counts["while_body"] += live
        counts["while_idle"] += len(slots) - live
        if any(v.dtype != a.dtype for v, a in zip(new, out_avals)):
            new = [v.astype(a.dtype, copy=False) for v, a in zip(new, out_avals)]
        cur = new

    refresh()
    at_cond = True
    while True:
        if pred is None:  # every slot live: the loop's own step, the caller's error state
            try:
                if at_cond and decide(step[0](*cc, *cur)[0]):
                    return tuple(outs)
                if not at_cond:
                    body()
            except Exception as exc:
                explain_error(exc)  # as jit's compiled code does: which line of the user's
                raise
            at_cond = not at_cond
            continue
        try:  # frozen slots: nothing they compute may show
            with _errors_raised():
                while pred is not None:
                    if at_cond and decide(step[0](*cc, *cur)[0]):
                        return tuple(outs)
                    if not at_cond:
                        body()
                    at_cond = not at_cond
        except Exception:  # noqa: BLE001  (the step runs again as the loop would run it)
            compact(pred[:unique])
