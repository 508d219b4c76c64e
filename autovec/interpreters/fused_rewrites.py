"""Rewrites the numba backend makes before it looks for groups (``fused_groups``): equations
NumPy computes as a fixed sequence of simpler operations, written as that sequence so the
operations can join groups.

``var`` and ``std`` of floats: NumPy's ``_var`` takes the mean with ``keepdims`` (a pairwise
sum, then a float64 division by the count), subtracts it, squares the differences, sums them
and divides by the count less ``ddof`` (an integer or a float64: float64's division, rounded to
the input's dtype), and ``std`` takes ``sqrt`` in the input's dtype.  Those are exactly
``mean``, ``subtract``, ``multiply``, ``mean`` (with ``ddof=0``; else ``sum``, a cast to
float64, ``divide`` and a cast back) and ``sqrt`` here, so the result has NumPy's bits, and the
second reduction fuses with the subtraction and the square: one pass over the data instead of
four.  A count less ``ddof`` of 0 or less (NumPy warns of it) is left to NumPy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autovec.core import ShapedArray
from autovec.ir import Eqn, Literal, Program, Var
from autovec.prims.elementwise import BINARY, UNARY
from autovec.prims.reductions import REDUCTIONS
from autovec.prims.shape import convert_element_type_p

_MOMENTS = {REDUCTIONS["var"]: "var", REDUCTIONS["std"]: "std"}


def expand_moments(program: Program) -> Program:
    """``program`` with each float ``var``/``std`` over trailing axes written as NumPy's own
    steps; the program itself where there is none."""
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
    if not isinstance(x, Var) or type(ddof) not in (int, float):
        return None
    dt, ndim = x.aval.dtype, x.aval.ndim
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)) or out.aval.dtype != dt:
        return None
    if not axes or tuple(axes) != tuple(range(ndim - len(axes), ndim)) or len(axes) >= ndim:
        return None
    if 0 in x.aval.shape:
        return None
    count = math.prod(x.aval.shape[d] for d in axes)
    if count - ddof <= 0:
        return None

    def var(shape: tuple) -> Var:
        return Var(ShapedArray(tuple(shape), dt))

    def eqn(prim: Any, inputs: list, params: dict, output: Var) -> Eqn:
        return Eqn(prim, inputs, params, [output], None, e.source_info)

    kept = tuple(1 if d in axes else n for d, n in enumerate(x.aval.shape))
    mean, diff, square = var(kept), var(x.aval.shape), var(x.aval.shape)
    moment = out if name == "var" else var(out.aval.shape)
    reduced = {"axes": axes, "keepdims": keepdims}
    steps = [
        eqn(REDUCTIONS["mean"], [x], {"axes": axes, "keepdims": True}, mean),
        eqn(BINARY["subtract"], [x, mean], {}, diff),
        eqn(BINARY["multiply"], [diff, diff], {}, square),
    ]
    if ddof == 0:
        steps.append(eqn(REDUCTIONS["mean"], [square], reduced, moment))
    else:  # sum / (count - ddof), in float64 as NumPy divides by an intp or a float64
        total, wide = var(moment.aval.shape), Var(ShapedArray(moment.aval.shape, np.float64))
        steps.append(eqn(REDUCTIONS["sum"], [square], reduced, total))
        if dt != np.float64:
            steps.append(eqn(convert_element_type_p, [total], {"dtype": wide.aval.dtype}, wide))
        else:
            wide = total
        divisor = Literal(np.float64(count - ddof))
        if dt != np.float64:
            quotient = Var(ShapedArray(moment.aval.shape, np.float64))
            steps.append(eqn(BINARY["divide"], [wide, divisor], {}, quotient))
            steps.append(eqn(convert_element_type_p, [quotient], {"dtype": dt}, moment))
        else:
            steps.append(eqn(BINARY["divide"], [wide, divisor], {}, moment))
    if name == "std":
        steps.append(eqn(UNARY["sqrt"], [moment], {}, out))
    return steps
