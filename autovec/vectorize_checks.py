"""When arrays give the results of Python numbers: the checks behind ``autovec.vectorize``.

``np.vectorize`` computes every element on Python objects (``int``, ``float``, ``complex``,
``bool``) and casts the results to the output types.  ``autovec.vectorize`` computes on arrays
standing for those objects (ints as int64, floats as float64, complexes as complex128), which
gives the same results except where Python numbers behave otherwise: integer overflow (Python
ints do not wrap), division by zero and other floating-point exceptions (Python raises),
``**`` (Python calls the C library's ``pow``, NumPy its own loop), complex products and
quotients (other formulas), ``True + True`` (2 in Python), comparisons and quotients of ints
beyond 2**53, and a strong NumPy scalar meeting a Python number (NEP 50: the result takes the
NumPy scalar's type).  ``python_scalar_mode`` runs code under checks for all of these; any
that trips raises ``NotPythonScalars``, and ``autovec.vectorize`` then runs ``np.vectorize``
itself for the call.  A check may trip where Python gives the same result: that costs time,
never an answer.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import platform
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from autovec.prims.elementwise import PYTHON_SCALAR_CHECK


class NotPythonScalars(BaseException):  # noqa: N818
    """The arrays stopped giving the Python numbers' results: run ``np.vectorize``.

    A ``BaseException``, like ``KeyboardInterrupt``: neither the user's ``except Exception``
    nor vmap's per-lane handling of exceptions may catch it."""


# The dtypes of the Python numbers np.vectorize's loop computes with.
PYTHON_DTYPES = frozenset(map(np.dtype, ("bool", "int64", "float64", "complex128")))
_EXACT_INT = 2**53  # ints up to this convert to float64 exactly

# Integer arithmetic that can leave the dtype's range; checked against a float64 estimate.
_INT_ARITHMETIC = frozenset(
    (
        "add",
        "subtract",
        "multiply",
        "negative",
        "absolute",
        "square",
        "power",
        "left_shift",
        "floor_divide",
        "divmod",
        "positive",
    )
)
# Python: a zero divisor raises ZeroDivisionError; NumPy gives inf/nan, for nan/0.0 or inf//0.0
# even without a floating-point flag.
_DIVISIONS = frozenset(("divide", "floor_divide", "remainder", "divmod", "fmod"))
_FLOORED = frozenset(("floor_divide", "remainder", "divmod"))
_ORDERED = frozenset(("less", "less_equal", "greater", "greater_equal"))
_COMPARISONS = frozenset(("less", "less_equal", "greater", "greater_equal", "equal", "not_equal"))
# Python's bools are ints for arithmetic (True + True == 2, -True == -1, ~True == -2).
_BOOL_ARITHMETIC = frozenset(
    (
        "add",
        "subtract",
        "multiply",
        "negative",
        "positive",
        "absolute",
        "invert",
        "floor_divide",
        "remainder",
        "divmod",
        "power",
        "square",
        "left_shift",
        "right_shift",
    )
)
# Complex operations whose NumPy result is bit for bit Python's (checked in
# tests/test_vectorize_exact.py); products of two complexes, quotients, abs and powers use
# other formulas.
_COMPLEX_EXACT = frozenset(
    (
        "add",
        "subtract",
        "negative",
        "positive",
        "conjugate",
        "real",
        "imag",
        "equal",
        "not_equal",
        "isnan",
        "isinf",
        "isfinite",
        "where",
    )
)


def _fenv() -> tuple[Callable[[int], int], Callable[[int], int], int, int] | None:
    """The C library's ``fetestexcept`` and ``feclearexcept`` with this machine's flags for
    invalid | divide-by-zero | overflow, and for underflow; None where they are not known."""
    flags = {
        "x86_64": (1 | 4 | 8, 16),
        "amd64": (1 | 4 | 8, 16),
        "aarch64": (1 | 2 | 4, 8),
        "arm64": (1 | 2 | 4, 8),
    }.get(platform.machine().lower())
    name = ctypes.util.find_library("m") or ctypes.util.find_library("c")
    if flags is None or name is None:
        return None
    try:
        libm = ctypes.CDLL(name)
        return libm.fetestexcept, libm.feclearexcept, *flags
    except (OSError, AttributeError):
        return None


# Python's own float arithmetic (on Python numbers: unbatched arguments, float(x) of a lane,
# constants chosen by an ``if``) raises no NumPy error, but sets the processor's
# floating-point flags, which np.vectorize's loop reports after it ("overflow encountered in
# <lambda> (vectorized)").  NumPy's next ufunc clears them, so they are read before each
# elementwise computation, at each split and at the end (``python_scalar_mode``).
_FENV = _fenv()
_FLAGS_MASK = [0]  # the flags that count in the current python_scalar_mode


def _flags_raised() -> bool:
    return _FENV is not None and bool(_FENV[0](_FLAGS_MASK[0]))


def _clear_flags() -> None:
    if _FENV is not None:
        _FENV[1](_FENV[2] | _FENV[3])


def _trip(why: str) -> None:
    raise NotPythonScalars(why)


def _dtype(x: Any) -> np.dtype | None:
    """The dtype of an operand; None for a Python number (weak: it takes the other's type)."""
    if type(x) in (int, float, complex, bool):
        return None
    return getattr(x, "dtype", None) or np.asarray(x).dtype


def _kind(x: Any) -> str:
    dt = _dtype(x)
    if dt is not None:
        return dt.kind
    return {bool: "b", int: "i", float: "f", complex: "c"}[type(x)]


def _beyond_exact(a: Any) -> bool:
    """Whether ints ``a`` hold a value float64 may not represent (beyond +-2**53)."""
    if type(a) is int:
        return abs(a) > _EXACT_INT
    return bool(np.any((a > _EXACT_INT) | (a < -_EXACT_INT)))


def _int_range_ok(ref: np.ndarray, dtype: np.dtype) -> bool:
    """Whether a float64 estimate ``ref`` of integer results fits ``dtype`` for sure."""
    info = np.iinfo(dtype)
    if dtype.itemsize < 8:  # the estimate is exact (or off far below 2**53)
        lo, hi = info.min, info.max
    else:  # float64 rounds near 2**63: keep a margin
        lo, hi = (0, 2.0**63 - 2.0**11) if dtype.kind == "u" else (-(2.0**62), 2.0**62)
    with np.errstate(all="ignore"):
        return bool(np.all((ref >= lo) & (ref <= hi)))


def _float_estimate(name: str, args: tuple) -> np.ndarray:
    a = [np.asarray(x, dtype=np.float64) for x in args]
    with np.errstate(all="ignore"):
        if name in ("add", "subtract", "multiply", "floor_divide", "power"):
            return getattr(np, name)(a[0], a[1])
        if name == "divmod":
            return np.floor_divide(a[0], a[1])
        if name == "left_shift":
            return a[0] * np.exp2(a[1])
        if name == "square":
            return a[0] * a[0]
        if name == "negative":
            return -a[0]
        return np.abs(a[0])  # absolute, positive


def check(name: str | None, args: tuple, out: Any) -> None:
    """Raise ``NotPythonScalars`` where ``name`` on ``args`` (giving ``out``) may differ from
    the same operation on the Python numbers the arrays stand for.  ``name`` None: before an
    elementwise computation; "concretize" (``args``: the conversion's kind): a split point."""
    if name is None or name == "concretize" or name == "stack":
        # The Python arithmetic since the last computation: flags the loop would report.
        if _flags_raised():
            _trip("a floating-point flag raised by Python arithmetic")
        if name is None:
            return
    if name == "concretize":
        if args[0] in ("item", "tolist"):  # Python numbers have no .item() / .tolist()
            _trip(f".{args[0]}() of an element")
        return
    try:
        _check(name, args, out)
    finally:
        _clear_flags()  # those of the estimates above (computed with errors ignored)


def _check(name: str, args: tuple, out: Any) -> None:
    if name == "stack":  # the split's merge: np.stack promotion of the groups' results
        kinds = {a.dtype.kind for a in args}
        if kinds & set("iu") and kinds & set("fc"):
            for a in args:
                if a.dtype.kind in "iu" and _beyond_exact(a):
                    _trip("an int beyond 2**53 promoted to float")
        return
    dtypes = [_dtype(a) for a in args]
    kinds = [_kind(a) for a in args]
    strong = {dt for dt in dtypes if dt is not None}
    if len(strong) > 1 and name != "where" and not strong <= PYTHON_DTYPES:
        # A NumPy scalar or array of another type (float32, int8, ...) meets a Python
        # number: NEP 50 gives the NumPy type, array promotion the wider one.
        _trip(f"{name} of {sorted(map(str, strong))}")
    if "c" in kinds and name not in _COMPLEX_EXACT:
        # A complex times a real: Python's formula is NumPy's, but with an inf or NaN
        # operand the NaNs' sign bits may differ (they depend on the order of operations).
        if not (name == "multiply" and kinds.count("c") == 1) or not all(
            np.all(np.isfinite(a)) for a in args
        ):
            _trip(f"complex {name}")
    if name in ("power", "float_power") and ("f" in kinds or "c" in kinds):
        _trip("float ** (Python calls the C library's pow)")
    if name in _DIVISIONS and len(args) == 2:
        divisor = args[1]
        if np.any(np.asarray(divisor) == 0):
            _trip(f"{name} by zero")
    if all(k == "b" for k in kinds):
        if name in _BOOL_ARITHMETIC:
            _trip(f"{name} of bools (Python's bools are ints)")
        return
    if name in _ORDERED and any(k in "fc" for k in kinds):
        # Python's float comparisons signal NaN operands (np.vectorize then warns "invalid
        # value"); NumPy's array comparisons are quiet.
        if any(k in "fc" and np.any(np.isnan(a)) for a, k in zip(args, kinds)):
            _trip(f"{name} of NaN")
    if name in _FLOORED and any(k == "f" for k in kinds):
        # Python's // and % of a NaN signal "invalid" (they go through fmod); NumPy's do not.
        if any(k == "f" and np.any(np.isnan(a)) for a, k in zip(args, kinds)):
            _trip(f"{name} of NaN")
    if name in _COMPARISONS or (name == "divide" and all(k in "iub" for k in kinds)):
        if any(k in "iu" for k in kinds) and (name == "divide" or any(k in "fc" for k in kinds)):
            for a, k in zip(args, kinds):
                if k in "iu" and _beyond_exact(a):
                    _trip(f"{name} of ints beyond 2**53 (Python's is exact)")
        return
    if name in ("left_shift", "right_shift") and np.any(np.asarray(args[1]) < 0):
        _trip("negative shift count")
    if name in _INT_ARITHMETIC:
        result = out[0] if isinstance(out, tuple) else out
        dt = getattr(result, "dtype", None)
        if dt is not None and dt.kind in "iu":
            if not _int_range_ok(_float_estimate(name, args), dt):
                _trip(f"integer overflow in {name}")


def _raise_on_fp_error(kind: str, flag: int) -> None:
    _trip(f"floating-point {kind}")


@contextlib.contextmanager
def python_scalar_mode() -> Iterator[None]:
    """Run the enclosed code under the checks: elementwise operations, the split's merges and
    NumPy's floating-point errors (underflow where the caller's ``np.errstate`` reports it:
    Python's float operations set the same flags, which NumPy's loop reports after it)."""
    # Underflow counts only where the caller's settings let NumPy's loop report it.
    under = "ignore" if np.geterr()["under"] == "ignore" else "call"
    if _FENV is not None:
        _FLAGS_MASK[0] = _FENV[2] | (0 if under == "ignore" else _FENV[3])
    _clear_flags()
    token = PYTHON_SCALAR_CHECK.set(check)
    try:
        with np.errstate(all="call", under=under, call=_raise_on_fp_error):
            yield
            if _flags_raised():  # the function's last Python arithmetic
                _trip("a floating-point flag raised by Python arithmetic")
    finally:
        PYTHON_SCALAR_CHECK.reset(token)


def cast_results(values: np.ndarray, otype: Any) -> np.ndarray | None:
    """``values`` (the arrays standing for the loop's Python results) as ``otype``, as NumPy
    converts the Python objects, where a direct cast gives the same values; None otherwise
    (then np.vectorize runs: lanes of a split may have returned Python numbers of different
    types, an int in one and a complex in another, which the merged array no longer tells
    apart, and NumPy's conversion raises on the first offending element in its order)."""
    target = np.dtype(otype)
    source = values.dtype
    if source == target:
        return values
    fast = False
    if source.kind == "b" or target.kind == "b":
        fast = source.kind in "biuf" or target.kind == "b"
    elif target.kind in "iu" and source.kind in "iu":
        info = np.iinfo(target)
        fast = not values.size or (values.min() >= info.min and values.max() <= info.max)
    elif target.kind in "iu" and source.kind == "f":  # int(x): truncates, refuses nan/inf
        info = np.iinfo(target)
        lo, hi = float(info.min), float(info.max) + 1  # exact in float64 (2**63, 2**64, ...)
        with np.errstate(all="ignore"):
            truncated = np.trunc(values)
            if np.all((truncated >= lo) & (truncated < hi)):
                return truncated.astype(target)
    elif target.kind in "fc" and source.kind in "iu":
        if target.itemsize < 8 and source.itemsize == 8:  # Python int -> double -> float32
            values = values.astype(np.float64)
        fast = True
    elif target.kind == "f" and source.kind == "f":
        fast = True
    elif target.kind == "c" and source.kind in "fc":
        fast = True
    if fast:
        with np.errstate(over="raise"):
            try:
                return values.astype(target)
            except FloatingPointError:
                pass
    return None
