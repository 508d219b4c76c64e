"""What every primitive declaration uses: ``declare``, sample specs and shape helpers."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from autovec.core import Primitive, ShapedArray, register_primitive


class Arg(NamedTuple):
    """A sample argument for the generic tests: an array of this shape and dtype.

    Values are drawn uniformly from ``[low, high)`` (integers: ``[low, high)`` as well);
    ``batchable=False`` marks an argument the tests always pass unbatched (an index table
    the example owns, say).
    """

    shape: tuple[int, ...]
    dtype: str = "float64"
    low: float = -2.0
    high: float = 2.0
    batchable: bool = True


class Sample(NamedTuple):
    """One way to call a primitive in the generic tests: argument specs and params."""

    args: tuple[Any, ...]
    params: dict[str, Any] = {}


def declare(
    name: str,
    *,
    impl: Callable[..., Any],
    shape: Callable[..., Any],
    batch: Callable[..., Any],
    samples: tuple = (),
    multiple_results: bool = False,
    doc: str = "",
    xp_function: str | None = None,
) -> Primitive:
    """Declare and register a primitive: one place for all of its rules."""
    return register_primitive(
        Primitive(
            name,
            impl=impl,
            shape=shape,
            batch=batch,
            samples=tuple(samples),
            multiple_results=multiple_results,
            doc=doc,
            xp_function=xp_function,
        )
    )


# ---------------------------------------------------------------------------- shape helpers


def dummy_of(aval: ShapedArray) -> Any:
    """A tiny concrete stand-in with ``aval``'s dtype, used to ask NumPy for result dtypes.

    Weak-typed avals become Python scalars so that NEP 50 promotion applies exactly.
    """
    if aval.weak_type:
        return {"i": 1, "f": 1.0, "c": 1.0 + 0j, "b": True}[aval.dtype.kind]
    return np.ones((1,) * aval.ndim, aval.dtype)


@functools.lru_cache(maxsize=4096)
def _result_dtypes(impl: Callable[..., Any], key: tuple, params: tuple) -> tuple[np.dtype, ...]:
    dummies = [dummy_of(ShapedArray((1,) * ndim, dt, weak)) for dt, weak, ndim in key]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = impl(np, *dummies, **dict(params))
    outs = out if isinstance(out, tuple) else (out,)
    return tuple(np.asarray(o).dtype for o in outs)


def result_dtypes(impl: Callable[..., Any], avals: tuple, params: dict) -> tuple[np.dtype, ...]:
    """The dtype(s) ``impl`` gives for inputs of these avals, found by running it on
    1-element stand-ins of the same ranks (exact: NumPy's dtypes do not depend on sizes)."""
    key = tuple((a.dtype, a.weak_type, a.ndim) for a in avals)
    return _result_dtypes(impl, key, tuple(sorted(params.items())))


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(np.broadcast_shapes(*shapes))


def ndim_of(x: Any) -> int:
    """Rank of an array, tracer or Python scalar."""
    return getattr(x, "ndim", 0) if not isinstance(x, (list, tuple)) else np.ndim(x)


def shape_of(x: Any) -> tuple[int, ...]:
    return getattr(x, "shape", ())


def normalize_axis(axis: int, ndim: int) -> int:
    """``axis`` in ``[0, ndim)``; NumPy's ``AxisError`` otherwise."""
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    return axis % ndim if ndim else 0
