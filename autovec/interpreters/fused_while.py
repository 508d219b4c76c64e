"""jit's numba backend for a batched ``while``: one kernel runs each lane's loop to its end.

A ``while`` whose predicate differs between lanes (``lanes`` set, see control.py) runs on the
NumPy path iteration by iteration over the lanes still running (while_lanes.py): a few NumPy
calls and some Python per iteration, which is most of the time for loops of many short steps.
When every value of the loop is one number per example (scalar carry and constants) and every
equation of its predicate and body is one a kernel computes exactly as NumPy
(``fused_groups.ELEMENTWISE``, and ``sin``/``cos`` where NumPy's are the C library's, see
``libm_matches``), the numba backend runs it as one kernel that does, for each lane, what the
Python loop over the examples does: run that example's loop until its predicate is false.

The kernel leaves the floating-point exception flags as NumPy's loops would; the runner
(fused.WhileRunner) reads them, and the program runs again as NumPy code if anything would
have warned.  Lanes are independent: a large batch runs on several threads, thread ``t``
taking lanes ``t, t + T, ...`` so that trip counts growing with the lane stay balanced.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autovec.interpreters.fused_groups import DTYPES, ELEMENTWISE, elementwise_op, template
from autovec.interpreters.fused_kernels import _HELPERS, _literal, _nb, _np
from autovec.ir import Literal, Program, Var

# Functions a kernel computes by calling the C library, as NumPy does on some builds only:
# they join a kernel where NumPy's float64 loop gives the C library's bits (libm_matches).
LIBM: dict[str, str] = {"sin": "np.sin({0})", "cos": "np.cos({0})"}
_LIBM_OK: dict[str, bool] = {}


def libm_matches(name: str) -> bool:
    """Whether NumPy's float64 ``name`` gives the C library's bits here (the kernel calls the
    C library): checked once per process on values of every magnitude, near the multiples of
    pi/2 where argument reduction is hardest, and at the edges (zeros, subnormals, huge)."""
    ok = _LIBM_OK.get(name)
    if ok is None:
        rng = np.random.default_rng(12345)
        parts = [rng.uniform(-(10.0**e), 10.0**e, 256) for e in range(-8, 23, 2)]
        parts.append(np.pi / 2 * np.arange(-2000, 2000) + rng.normal(0, 1e-9, 4000))
        parts.append(np.array([0.0, -0.0, 5e-324, -5e-324, 2.2e-308, 1e300, -1e300, 1.7e308]))
        probe = np.concatenate(parts)
        with np.errstate(all="ignore"):
            mine = getattr(np, name)(probe)
        libm = np.array([getattr(math, name)(float(v)) for v in probe])
        ok = _LIBM_OK[name] = bool((mine.view(np.uint64) == libm.view(np.uint64)).all())
    return ok


def _operation(e: Any) -> tuple[str, tuple] | None:
    """(function, loop dtypes) of an equation a kernel computes as NumPy, else None."""
    got = elementwise_op(e)
    if got is not None:
        return got
    name = e.prim.xp_function
    if name not in LIBM or e.params or len(e.inputs) != 1 or len(e.outputs) != 1:
        return None
    a = e.inputs[0]
    f8 = np.dtype(np.float64)
    if isinstance(a, Literal) or a.aval.weak_type or a.aval.dtype != f8:
        return None
    if e.outputs[0].aval.dtype != f8 or not libm_matches(name):
        return None
    return name, (f8,)


def _scalar_program(program: Program) -> bool:
    """Whether every value of ``program`` is one number of a kernel dtype, and every
    equation one a kernel computes as NumPy."""
    values = [*program.const_vars, *program.in_vars]
    values += [v for e in program.eqns for v in e.outputs]
    if any(v.aval.shape != () or v.aval.dtype not in DTYPES for v in values):
        return False
    for val in program.const_vals:
        if np.ndim(val) != 0 or np.asarray(val).dtype not in DTYPES:
            return False
    return all(_operation(e) is not None for e in program.eqns)


def while_kernel_ok(e: Any) -> bool:
    """Whether ``e`` is a batched ``while`` (one loop per lane) a kernel can run."""
    if e.prim.name != "while" or e.params.get("lanes") is None:
        return False
    cond, body = e.params["cond_program"], e.params["body_program"]
    nb = e.params["body_nconsts"]
    if not (isinstance(cond, Program) and isinstance(body, Program)):
        return False
    if not (_scalar_program(cond) and _scalar_program(body)):
        return False
    carry = body.in_avals[nb:]
    outs = [getattr(v, "aval", None) for v in body.outputs]
    # The body gives the carry's own dtypes (no cast between iterations) and a bool predicate.
    if [a.dtype if a is not None else None for a in outs] != [a.dtype for a in carry]:
        return False
    pred = cond.outputs[0]
    return len(cond.outputs) == 1 and isinstance(pred, Var) and pred.aval.dtype == bool


def in_avals(e: Any) -> list:
    """The per-example aval of each input of the ``while`` equation ``e``."""
    nc, nb = e.params["cond_nconsts"], e.params["body_nconsts"]
    cond, body = e.params["cond_program"], e.params["body_program"]
    return [*cond.in_avals[:nc], *body.in_avals[:nb], *body.in_avals[nb:]]


def while_source(e: Any) -> str:
    """The module source of the kernel for ``while_kernel_ok`` equation ``e``:
    ``kernel(start, stop, step, *xs, *outs)`` runs lanes ``start:stop:step``; ``xs`` are the
    equation's inputs (a batched one holds a number per lane, an unbatched one one number),
    ``outs`` the final carries."""
    nc, nb = e.params["cond_nconsts"], e.params["body_nconsts"]
    cond, body = e.params["cond_program"], e.params["body_program"]
    flags = e.params["lanes"][1]
    avals = in_avals(e)
    ncarry = len(avals) - nc - nb
    lines: list[str] = []
    for k, batched in enumerate(flags):
        lines.append(f"a{k} = x{k}[{'lane' if batched else '0'}]")
    lines += [f"c{j} = a{nc + nb + j}" for j in range(ncarry)]

    def program_lines(program: Program, consts: list[str], prefix: str) -> tuple[list, dict]:
        names: dict[int, str] = {}
        out: list[str] = []
        for var, val in zip(program.const_vars, program.const_vals):
            names[var.id] = _literal(np.asarray(val)[()], var.aval.dtype)
        for var, text in zip(program.in_vars, consts + [f"c{j}" for j in range(ncarry)]):
            names[var.id] = text

        def operand(a: Any, want: np.dtype) -> str:
            if isinstance(a, Literal):
                return _literal(a.val, want)
            return f"{_np(want)}({names[a.id]})"

        for i, eq in enumerate(program.eqns):
            fn, loop = _operation(eq)
            dtype = eq.outputs[0].aval.dtype
            if fn == "where":
                c, x, y = eq.inputs
                expr = f"({operand(x, dtype)} if {operand(c, loop[0])} else {operand(y, dtype)})"
            else:
                text = template(fn, loop) if fn in ELEMENTWISE else LIBM[fn]
                expr = text.format(*(operand(a, t) for a, t in zip(eq.inputs, loop)))
            name = f"{prefix}{i}"
            out.append(f"{name} = {_np(dtype)}({expr})")
            names[eq.outputs[0].id] = name
        return out, names

    def result(a: Any, names: dict, dtype: np.dtype) -> str:
        return _literal(a.val, dtype) if isinstance(a, Literal) else names[a.id]

    cond_lines, cond_names = program_lines(cond, [f"a{k}" for k in range(nc)], "p")
    body_lines, body_names = program_lines(body, [f"a{nc + k}" for k in range(nb)], "b")
    carry_dtypes = [a.dtype for a in avals[nc + nb :]]
    news = [result(o, body_names, dt) for o, dt in zip(body.outputs, carry_dtypes)]
    loop = [
        *cond_lines,
        f"if not {cond_names[cond.outputs[0].id]}:",
        "    break",
        *body_lines,
        f"{', '.join(f'c{j}' for j in range(ncarry))}, = {', '.join(news)},",
    ]
    lines += ["while True:", *(f"    {line}" for line in loop)]
    lines += [f"o{j}[lane] = c{j}" for j in range(ncarry)]
    xs = ", ".join(f"x{k}" for k in range(len(avals)))
    os_ = ", ".join(f"o{j}" for j in range(ncarry))
    in_tys = [f"nt.Array(nt.{_nb(a.dtype)}, 1, 'C', readonly=True)" for a in avals]
    out_tys = [f"nt.Array(nt.{_nb(dt)}, 1, 'C')" for dt in carry_dtypes]
    return "\n".join(
        [
            "import numpy as np",
            "from numba import njit, types as nt",
            "",
            '_OPTS = dict(error_model="numpy", nogil=True, cache=True)',
            _HELPERS,
            f"_SIG = nt.int64(nt.int64, nt.int64, nt.int64, {', '.join(in_tys + out_tys)})",
            "",
            "",
            "@njit([_SIG], **_OPTS)",
            f"def kernel(start, stop, step, {xs}, {os_}):",
            "    for lane in range(start, stop, step):",
            *(f"        {line}" for line in lines),
            "    return 0",
            "",
        ]
    )
