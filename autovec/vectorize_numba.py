"""``autovec.vectorize``'s compiled path: the scalar function compiled by numba, when that
gives np.vectorize's results bit for bit.

np.vectorize computes every element with Python floats; numba compiles the same code for
float64, and for the operations listed here the two agree bit for bit: IEEE arithmetic,
comparisons, Python's ``//`` and ``%`` (numba implements CPython's algorithm), ``abs``,
``min``/``max``, ``float ** float`` (both call the C library's ``pow``) and the ``math``
functions that CPython takes from the C library.  The function's typed code is inspected
before it is used: any other operation (a NumPy function, whose NumPy loop numba does not
share; ``x ** 2`` with an int exponent, which numba turns into a product; an int variable,
which would wrap where Python's does not; a call of another function) leaves the function
to the vmap path.  Where Python raises, numba either raises too (a zero divisor, numba's
``error_model='python'``) or sets a floating-point flag (overflow, invalid) that NumPy's
ufunc machinery reports after the loop; either makes ``autovec.vectorize`` run
``np.vectorize`` for the call.  numba is optional (the ``fast`` extra).
"""

from __future__ import annotations

import math
import operator
import types
from collections.abc import Callable
from typing import Any

# Compiling costs about 0.2-1 s; below this many elements the vmap path is used instead.
MIN_SIZE = 100_000

_BINOPS = {
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
    operator.floordiv,
    operator.mod,
    operator.pow,
    operator.lt,
    operator.le,
    operator.gt,
    operator.ge,
    operator.eq,
    operator.ne,
    operator.iadd,
    operator.isub,
    operator.imul,
    operator.itruediv,
}
_UNARY = {operator.neg, operator.pos, operator.not_}
# CPython's math module computes these with the C library's function of the same name;
# numba calls the same function.  (CPython has its own hypot, gamma, lgamma, erf, ... .)
_MATH = {
    math.sqrt,
    math.fabs,
    math.exp,
    math.expm1,
    math.log1p,
    math.sin,
    math.cos,
    math.tan,
    math.atan,
    math.sinh,
    math.cosh,
    math.tanh,
    math.copysign,
    math.isnan,
    math.isinf,
    math.isfinite,
}
_CALLS = {abs, float, bool, min, max} | _MATH

_cache: dict[Any, Any] = {}


def _frozen(pyfunc: Callable) -> tuple | None:
    """The values numba would freeze into the compiled code (globals and closure cells the
    function reads): numbers and modules, which key the cache; None when it reads anything
    else (an array or object that may change, another function)."""
    code = getattr(pyfunc, "__code__", None)
    if code is None or any(isinstance(c, types.CodeType) for c in code.co_consts):
        return None
    frozen = []
    env = getattr(pyfunc, "__globals__", {})
    for name in code.co_names:
        if name in env:
            frozen.append((name, _freezable(env[name])))
    for name, cell in zip(code.co_freevars, pyfunc.__closure__ or ()):
        try:
            frozen.append((name, _freezable(cell.cell_contents)))
        except ValueError:  # an empty cell
            return None
    if any(v is None for _, v in frozen):
        return None
    return tuple(frozen)


def _freezable(v: Any) -> Any:
    if type(v) in (int, float, bool):
        return (type(v), v)
    if isinstance(v, types.ModuleType) and v.__name__ == "math":
        return ("module", v.__name__)
    if v in _CALLS:
        return ("function", id(v))
    return None


def compiled(pyfunc: Callable, nargs: int) -> Any:
    """A NumPy ufunc computing ``pyfunc`` on float64 arguments as Python floats would, or
    None when numba is missing, cannot compile it, or it uses something not checked here."""
    frozen = _frozen(pyfunc)
    if frozen is None:
        return None
    key = (pyfunc, nargs, frozen)
    try:
        hit = _cache.get(key, False)
    except TypeError:  # an unhashable function
        return None
    if hit is not False:
        return hit
    try:
        ufunc = _compile(pyfunc, nargs)
    except Exception:  # noqa: BLE001  (numba's typing and lowering errors, or no numba)
        ufunc = None
    if len(_cache) >= 256:  # functions made on the fly (lambdas) must not pile up
        _cache.clear()
    _cache[key] = ufunc
    return ufunc


def _compile(pyfunc: Callable, nargs: int) -> Any:
    import numba
    from numba.core import types as nt

    inner = numba.njit(error_model="python")(pyfunc)
    arg_types = (nt.float64,) * nargs
    inner.compile(arg_types)
    cres = inner.overloads[arg_types]
    if not _verified(cres, nt):
        return None
    ret = cres.signature.return_type
    out = {nt.float64: "float64", nt.boolean: "boolean"}.get(ret)
    if out is None:
        return None
    names = ", ".join(f"a{i}" for i in range(nargs))
    namespace: dict[str, Any] = {"inner": inner}
    exec(f"def kernel({names}):\n    return inner({names})\n", namespace)  # noqa: S102
    sig = f"{out}({', '.join(['float64'] * nargs)})"
    return numba.vectorize([sig], nopython=True)(namespace["kernel"])


def _is_small_int_literal(t: Any, nt: Any) -> bool:
    return isinstance(t, nt.IntegerLiteral) and abs(t.literal_value) <= 2**53


def _verified(cres: Any, nt: Any) -> bool:
    """Whether every operation of the typed function is one whose numba result is Python's."""
    ann = cres.type_annotation
    typemap = ann.typemap
    for t in typemap.values():
        if t in (nt.float64, nt.boolean) or _is_small_int_literal(t, nt):
            continue
        if isinstance(t, (nt.Function, nt.Module, nt.BooleanLiteral, nt.NoneType)):
            continue
        return False  # an int variable, a tuple, an array, ...
    numeric = (nt.float64, nt.boolean)
    for expr, sig in ann.calltypes.items():
        op = getattr(expr, "op", None)
        if op in ("binop", "inplace_binop"):
            if expr.fn not in _BINOPS:
                return False
            lhs, rhs = typemap[expr.lhs.name], typemap[expr.rhs.name]
            if expr.fn is operator.pow:
                if lhs != nt.float64 or rhs != nt.float64:
                    return False  # numba computes x ** 2 as x * x, Python as pow(x, 2.0)
            for t in (lhs, rhs):
                if t not in numeric and not _is_small_int_literal(t, nt):
                    return False
        elif op == "unary":
            if expr.fn not in _UNARY or typemap[expr.value.name] not in numeric:
                return False
        elif op == "call":
            fty = typemap[expr.func.name]
            key = getattr(fty, "typing_key", None)
            try:
                known = key in _CALLS
            except TypeError:
                known = False
            if not known or any(a not in numeric for a in sig.args):
                return False
            if key is bool and sig.args != (nt.boolean,):
                return False
        else:
            return False
    return True
