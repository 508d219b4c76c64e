"""NumPy's elementwise functions on tensors, with NumPy's result dtypes: each asks NumPy,
once per combination of input dtypes, which dtype it computes in and returns (a plan),
casts the inputs to it, calls the torch function and casts the result only where torch
returns another dtype. Functions torch lacks (``cbrt``, ``spacing``, ``bitwise_count``)
are built from torch operations."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from autovec.torch_namespace.dtypes import common_dtype, fix_dtype, numpy_result, torch_dtype

_PY_SCALARS = (bool, int, float, complex)


class _Plan:
    """For one combination of input dtypes: the dtype to cast tensor inputs to (None: leave
    them), whether Python scalars become tensors, the result dtypes NumPy gives, and whether
    the inputs go to the torch function as they are (``direct``: nothing to cast)."""

    __slots__ = ("cast", "outs", "out", "scalars", "direct")

    def __init__(self, cast: torch.dtype | None, outs: tuple, scalars: bool, key: tuple):
        self.cast = cast
        self.outs = outs
        self.out = outs[0]
        self.scalars = scalars
        self.direct = cast is None or all(
            k == cast if isinstance(k, torch.dtype) else not scalars for k in key
        )


def _prepare(plan: _Plan, args: tuple) -> tuple:
    cast = plan.cast
    device = next((a.device for a in args if isinstance(a, torch.Tensor)), None)
    out = []
    for a in args:
        if isinstance(a, torch.Tensor):
            out.append(a if cast is None or a.dtype == cast else a.to(cast))
        elif plan.scalars and cast is not None:
            out.append(torch.tensor(a, dtype=cast, device=device))
        else:
            out.append(a)
    return tuple(out)


# Operations that compute in NumPy's common input dtype (the result's dtype, for a float
# result); comparisons and logical operations compute on the inputs as they are.
_NO_CAST = frozenset(
    {
        "equal",
        "not_equal",
        "less",
        "less_equal",
        "greater",
        "greater_equal",
        "logical_and",
        "logical_or",
        "logical_xor",
        "logical_not",
        "isnan",
        "isinf",
        "isfinite",
        "signbit",
        "real",
        "imag",
        "ldexp",
    }
)
# torch functions that take Python numbers as well as tensors (the others get 0-d tensors).
_SCALARS_OK = frozenset(
    {
        "add",
        "subtract",
        "multiply",
        "divide",
        "power",
        "equal",
        "not_equal",
        "less",
        "less_equal",
        "greater",
        "greater_equal",
        "floor_divide",
        "remainder",
        "fmod",
        "bitwise_and",
        "bitwise_or",
        "bitwise_xor",
        "left_shift",
        "right_shift",
        "where",
    }
)


def _plan_for(name: str, key: tuple, multiple: bool) -> _Plan:
    outs_np = numpy_result(name, key, ())
    outs = tuple(torch_dtype(d) for d in outs_np)
    if name in _NO_CAST:
        cast = None
    elif outs_np[0].kind in "fc" and name not in ("frexp",):
        cast = outs[0]
    else:
        cast = torch_dtype(common_dtype(key))
    scalars = name not in _SCALARS_OK
    return _Plan(cast, outs, scalars, key)


def elementwise(
    name: str,
    torch_fn: Callable[..., Any],
    multiple: bool = False,
    out_fn: Callable[..., Any] | None = None,
) -> Any:
    """NumPy's ``name`` on tensors (and Python scalars), computed by ``torch_fn`` with
    NumPy's dtypes: the plan for the inputs' dtypes is made once, then looked up.

    With ``out_fn`` (``torch_fn`` taking ``out=``), the function also has ``into(out,
    *args)``: the same result written into the tensor ``out`` (eager vmap's reuse of a dead
    temporary's buffer, autovec/interpreters/batch_foreign.py), or None where that would
    not be exactly the fresh result."""
    plans: dict[tuple, _Plan] = {}
    tensor = torch.Tensor

    def plan_of(args: tuple) -> _Plan:
        # The plan's key: each tensor's dtype, each scalar's type (one look-up per call).
        key = tuple([a.dtype if isinstance(a, tensor) else type(a) for a in args])
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = _plan_for(name, key, multiple)
        return plan

    def fn(*args: Any) -> Any:
        plan = plan_of(args)
        out = torch_fn(*args) if plan.direct else torch_fn(*_prepare(plan, args))
        if multiple:
            return tuple(fix_dtype(o, w) for o, w in zip(out, plan.outs))
        want = plan.out
        return out if out.dtype == want else out.to(want)

    def into(out: Any, *args: Any) -> Any:
        plan = plan_of(args)
        want = plan.out
        if out.dtype != want:
            return None
        if not plan.direct:
            args = _prepare(plan, args)
        # Every tensor operand in the result's dtype: torch computes in that dtype, so the
        # buffer receives what ``fn`` would return (no cast after the fact to mimic).
        for a in args:
            if isinstance(a, tensor) and (a.dtype != want or a.requires_grad):
                return None
        out_fn(*args, out=out)
        return out

    fn.__name__ = name
    if out_fn is not None and not multiple:
        fn.into = into  # type: ignore[attr-defined]
    return fn


def out_function(name: str, torch_fn: Callable[..., Any]) -> Callable[..., Any] | None:
    """The torch function computing NumPy's ``name`` that takes ``out=`` (a torch builtin,
    or a spelling of its own below), else None."""
    special = TORCH_OUT.get(name, False)
    if special is not False:
        return special
    return torch_fn if type(torch_fn) is type(torch.add) else None


def _real(x: Any) -> Any:
    return torch.real(x) if x.is_complex() else x


def _imag(x: Any) -> Any:
    return torch.imag(x) if x.is_complex() else torch.zeros_like(x)


def _sign(x: Any) -> Any:
    return torch.sgn(x) if x.is_complex() else torch.sign(x)


def _cbrt(x: Any) -> Any:
    return torch.sign(x) * torch.abs(x).pow(1.0 / 3.0)


def _spacing(x: Any) -> Any:
    return torch.nextafter(x, torch.copysign(torch.full_like(x, math.inf), x)) - x


def _bitwise_count(x: Any) -> Any:
    """NumPy's population count of ``|x|``, one bit at a time (torch has none)."""
    a = torch.abs(x)
    bits = a.element_size() * 8
    count = torch.zeros_like(a, dtype=torch.uint8)
    for k in range(bits):
        count += ((a >> k) & 1).to(torch.uint8)
    return count


TORCH_UNARY: dict[str, Callable[..., Any]] = {
    "negative": torch.negative,
    "positive": torch.positive,
    "absolute": torch.abs,
    "fabs": torch.abs,
    "sign": _sign,
    "exp": torch.exp,
    "exp2": torch.exp2,
    "expm1": torch.expm1,
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "arctan": torch.atan,
    "sinh": torch.sinh,
    "cosh": torch.cosh,
    "tanh": torch.tanh,
    "arcsinh": torch.asinh,
    "arcsin": torch.asin,
    "arccos": torch.acos,
    "arctanh": torch.atanh,
    "arccosh": torch.acosh,
    "floor": torch.floor,
    "ceil": torch.ceil,
    "trunc": torch.trunc,
    "rint": torch.round,
    "square": lambda x: torch.mul(x, x),  # torch.square is several times slower on CPU
    "cbrt": _cbrt,
    "reciprocal": torch.reciprocal,
    "deg2rad": torch.deg2rad,
    "rad2deg": torch.rad2deg,
    "degrees": torch.rad2deg,
    "radians": torch.deg2rad,
    "isnan": torch.isnan,
    "isinf": torch.isinf,
    "isfinite": torch.isfinite,
    "signbit": torch.signbit,
    "spacing": _spacing,
    "conjugate": torch.conj_physical,
    "conj": torch.conj_physical,
    "logical_not": torch.logical_not,
    "real": _real,
    "imag": _imag,
    "log": torch.log,
    "log2": torch.log2,
    "log10": torch.log10,
    "log1p": torch.log1p,
    "sqrt": torch.sqrt,
    "invert": torch.bitwise_not,
    "bitwise_count": _bitwise_count,
    "i0": torch.special.i0,
}
TORCH_BINARY: dict[str, Callable[..., Any]] = {
    "add": torch.add,
    "subtract": torch.subtract,
    "multiply": torch.multiply,
    "divide": torch.true_divide,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
    "fmax": torch.fmax,
    "fmin": torch.fmin,
    "arctan2": torch.atan2,
    "hypot": torch.hypot,
    "copysign": torch.copysign,
    "nextafter": torch.nextafter,
    "logaddexp": torch.logaddexp,
    "logaddexp2": torch.logaddexp2,
    "heaviside": torch.heaviside,
    "equal": torch.eq,
    "not_equal": torch.ne,
    "less": torch.lt,
    "less_equal": torch.le,
    "greater": torch.gt,
    "greater_equal": torch.ge,
    "logical_and": torch.logical_and,
    "logical_or": torch.logical_or,
    "logical_xor": torch.logical_xor,
    "floor_divide": torch.floor_divide,
    "remainder": torch.remainder,
    "fmod": torch.fmod,
    "power": torch.pow,
    "float_power": torch.float_power,
    # x * 2**e, exact (torch.ldexp resizes a broadcast output with a warning)
    "ldexp": lambda x, e: x * torch.pow(2.0, e.to(x.dtype)),
    "gcd": torch.gcd,
    "lcm": torch.lcm,
    "bitwise_and": torch.bitwise_and,
    "bitwise_or": torch.bitwise_or,
    "bitwise_xor": torch.bitwise_xor,
    "left_shift": torch.bitwise_left_shift,
    "right_shift": torch.bitwise_right_shift,
}
# The functions above whose ``out=`` form is not the function itself: a torch function of
# ours with an ``out=`` twin, or None for a torch builtin that returns its operand.
TORCH_OUT: dict[str, Callable[..., Any] | None] = {
    "square": lambda x, *, out: torch.mul(x, x, out=out),
    "positive": None,
    "isnan": None,  # (bool results; these take no out=)
    "isinf": None,
    "isfinite": None,
}
TORCH_MULTI: dict[str, Callable[..., Any]] = {
    "divmod": lambda a, b: (torch.floor_divide(a, b), torch.remainder(a, b)),
    "modf": lambda x: (torch.frac(x), torch.trunc(x)),
    "frexp": torch.frexp,
}


def where(cond: Any, x: Any, y: Any) -> Any:
    return torch.where(cond if cond.dtype == torch.bool else cond != 0, x, y)


def clip(x: Any, lo: Any, hi: Any) -> Any:
    return torch.clamp(x, lo, hi)
