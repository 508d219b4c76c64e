"""Argument normalisation shared by the ``autovec.numpy`` functions."""

from __future__ import annotations

import builtins
import operator
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import Tracer

PY_SCALARS = (int, float, complex, bool)


def arr(x: Any) -> Any:
    """An operand for ``bind``: tracers, arrays and Python scalars (weak) pass as they are;
    NumPy scalars and sequences become arrays (a sequence holding tracers is stacked)."""
    if isinstance(x, (Tracer, np.ndarray)) or type(x) in PY_SCALARS:
        return x
    if isinstance(x, (list, tuple)):
        from autovec.numpy.creation import array

        return array(x)
    if isinstance(x, PY_SCALARS):  # subclasses of Python scalars (e.g. IntEnum)
        return np.asarray(x)
    if hasattr(x, "__array_namespace__") and not isinstance(x, np.generic):
        return x  # another backend's array
    return np.asarray(x)


def is_traced(*xs: Any) -> bool:
    return builtins.any(isinstance(x, Tracer) for x in xs)


def ndim(x: Any) -> int:
    return x.ndim if hasattr(x, "ndim") else np.ndim(x)


def shape(x: Any) -> tuple[int, ...]:
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def normalize_axis(axis: Any, nd: int) -> int:
    """One axis in ``[0, nd)``; NumPy's ``AxisError`` when out of range."""
    axis = operator.index(axis)
    if not -nd <= axis < nd:
        raise np.exceptions.AxisError(axis, nd)
    return axis % nd if nd else 0


def normalize_axes(axis: Any, nd: int) -> tuple[int, ...]:
    """``None`` -> all axes; an int or a sequence -> sorted non-negative axes."""
    if axis is None:
        return tuple(range(nd))
    if isinstance(axis, (tuple, list)):
        axes = tuple(normalize_axis(a, nd) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError("duplicate value in 'axis'")
        return tuple(sorted(axes))
    return (normalize_axis(axis, nd),)


def reject_out(fname: str, out: Any) -> None:
    """On the traced path: ``out=`` has no array to write into, so say so."""
    if out is not None:
        raise errors.UnsupportedOperationError(
            f"autovec.numpy.{fname}(out=...) is not supported inside vmap/jit (there is no "
            f"array to write into); use the return value."
        )


def holds_tracer(obj: Any) -> bool:
    """Whether ``obj`` is a tracer or a (nested) list/tuple/dict holding one."""
    if isinstance(obj, Tracer):
        return True
    if isinstance(obj, (list, tuple)):
        return builtins.any(holds_tracer(o) for o in obj)
    if isinstance(obj, dict):
        return builtins.any(holds_tracer(o) for o in obj.values())
    return False


def reject_traced_kwargs(fname: str, args: tuple, **kwargs: Any) -> None:
    """Keyword arguments we pass to NumPy only eagerly; under a transformation say so."""
    used = [k for k, v in kwargs.items() if v is not None]
    if used and is_traced(*args):
        raise errors.UnsupportedOperationError(
            f"autovec.numpy.{fname}: the argument(s) {', '.join(used)} are not supported "
            f"inside vmap/jit (there is no array to write into). Use the return value instead."
        )


def split_value(x: Any) -> Any:
    """``x`` itself; under eager vmap, for a batched ``x``, the one value it has for the
    examples that continue here (the batch splits by its value, as the loop would)."""
    if isinstance(x, Tracer) and getattr(x._trace, "split", None) is not None:
        from autovec.interpreters.split import concretize  # numpy builds on interpreters

        return concretize(x, "value")
    return x


def concrete_int(x: Any, what: str) -> int:
    x = split_value(x)
    if isinstance(x, Tracer):
        raise errors.ConcretizationTypeError(
            f"{what} must be a concrete integer, but it is {x._trace.kind} "
            f"({x.aval.str_short()}). Sizes and shapes must be the same for every example: "
            f"pass it unbatched (vmap: in_axes=None for it, or a closure; jit: mark it static "
            f"with static_argnums/static_argnames)."
        )
    return operator.index(x)
