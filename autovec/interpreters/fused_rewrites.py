"""Rewrites the numba backend makes before it looks for groups (``fused_groups``): equations
NumPy computes as a fixed sequence of simpler operations, written as that sequence so the
operations can join groups.

``var`` and ``std`` of floats with ``ddof=0``: NumPy's ``_var`` takes the mean with
``keepdims`` (a pairwise sum, then a float64 division by the count), subtracts it, squares the
differences, sums them and divides by the count again (``std`` then takes ``sqrt`` in the
input's dtype).  Those are exactly ``mean``, ``subtract``, ``multiply``, ``mean`` and ``sqrt``
here, so the result has NumPy's bits, and the second mean fuses with the subtraction and the
square: one pass over the data instead of four.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec.core import ShapedArray
from autovec.ir import Eqn, Program, Var
from autovec.prims.elementwise import BINARY, UNARY
from autovec.prims.reductions import REDUCTIONS

_MOMENTS = {REDUCTIONS["var"]: "var", REDUCTIONS["std"]: "std"}


def expand_moments(program: Program) -> Program:
    """``program`` with each float ``var``/``std`` (``ddof=0``, over trailing axes) written
    as NumPy's own steps; the program itself where there is none."""
    eqns: list[Eqn] = []
    for e in program.eqns:
        steps = _moment_steps(e)
        eqns.extend(steps if steps is not None else [e])
    if len(eqns) == len(program.eqns):
        return program
    return Program(
        program.const_vars, program.const_vals, program.in_vars, eqns, program.outputs,
        program.name,
    )  # fmt: skip


def _moment_steps(e: Eqn) -> list[Eqn] | None:
    name = _MOMENTS.get(e.prim)
    if name is None or set(e.params) != {"axes", "keepdims", "ddof"} or e.errstate is not None:
        return None
    x, (out,) = e.inputs[0], e.outputs
    ddof, axes, keepdims = e.params["ddof"], e.params["axes"], e.params["keepdims"]
    if not isinstance(x, Var) or type(ddof) not in (int, float) or ddof != 0:
        return None
    dt, ndim = x.aval.dtype, x.aval.ndim
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)) or out.aval.dtype != dt:
        return None
    if not axes or tuple(axes) != tuple(range(ndim - len(axes), ndim)) or len(axes) >= ndim:
        return None
    if 0 in x.aval.shape:
        return None

    def var(shape: tuple) -> Var:
        return Var(ShapedArray(tuple(shape), dt))

    def eqn(prim: Any, inputs: list, params: dict, output: Var) -> Eqn:
        return Eqn(prim, inputs, params, [output], None, e.source_info)

    kept = tuple(1 if d in axes else n for d, n in enumerate(x.aval.shape))
    mean, diff, square = var(kept), var(x.aval.shape), var(x.aval.shape)
    moment = out if name == "var" else var(out.aval.shape)
    steps = [
        eqn(REDUCTIONS["mean"], [x], {"axes": axes, "keepdims": True}, mean),
        eqn(BINARY["subtract"], [x, mean], {}, diff),
        eqn(BINARY["multiply"], [diff, diff], {}, square),
        eqn(REDUCTIONS["mean"], [square], {"axes": axes, "keepdims": keepdims}, moment),
    ]
    if name == "std":
        steps.append(eqn(UNARY["sqrt"], [moment], {}, out))
    return steps
