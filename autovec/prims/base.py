"""What every primitive declaration uses: ``declare``, its facts, sample specs and shape
helpers."""

from __future__ import annotations

import dataclasses
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


# ----------------------------------------------------------------------------------- facts
# What an output is, relative to the inputs (the ``output`` fact):
FRESH = "fresh"  # newly allocated, writeable, and nothing else refers to it
VIEW = "view"  # may share memory with an input (or be it); writeable where that input is
READ_ONLY_VIEW = "read-only view"  # may share memory with an input, and may be read-only
OUTPUT_KINDS = (FRESH, VIEW, READ_ONLY_VIEW)


@dataclasses.dataclass(frozen=True)
class Facts:
    """What jit's passes know about a primitive besides its value (see
    docs/writing-a-primitive.md). Every ``declare`` states them; families give defaults.

    - ``output``: ``FRESH``, ``VIEW`` or ``READ_ONLY_VIEW``, for every output. Buffer reuse
      writes only into fresh outputs and never into a value some view may still show; a
      read-only view that a program returns is copied, so the caller can write to it.
    - ``copies``: the output is a copy of input 0 (its values, perhaps cast). The optimiser
      drops such a copy only where nobody can tell: its result never reaches an output, or
      it copies a fresh temporary that nothing else reads.
    - ``noop(*in_avals, **params) -> bool``: True when the output has input 0's values
      (``reshape`` to the same shape, ``transpose`` by the identity). The optimiser then
      reads input 0 instead (a copy, only where nobody can tell).
    - ``inline``: staging does not record a call but replays the program in
      ``params["program"]`` (the ``jit`` primitive), so programs stay flat.
    - ``in_place(xp, *arrays, **params)``: the impl, allowed to write its result into input
      0 (of the output's shape and dtype), which the caller no longer needs: jit calls it
      where input 0 is a temporary nothing reads afterwards (``scatter``: ``y[i] = v`` in a
      loop costs one element per step, not one array).
    - ``runs_program``: the impl runs ``params["program"]`` through ``compiled_for`` on the
      arrays it is given (``scan``), so a jit backend may put an equivalent program of its own
      there (the numba backend's fused groups).
    """

    output: str
    copies: bool = False
    noop: Callable[..., bool] | None = None
    inline: bool = False
    in_place: Callable[..., Any] | None = None
    runs_program: bool = False

    def __post_init__(self) -> None:
        if self.output not in OUTPUT_KINDS:
            raise ValueError(f"output must be one of {OUTPUT_KINDS}, got {self.output!r}")
        if self.copies and self.output != FRESH:
            raise ValueError("a primitive that copies its input gives fresh outputs")

    def is_noop(self, in_avals: list, out_avals: list, params: dict) -> bool:
        """Whether an equation with these avals and params gives input 0's values."""
        if self.noop is None or len(out_avals) != 1 or not in_avals:
            return False
        x, out = in_avals[0], out_avals[0]
        return x.shape == out.shape and x.dtype == out.dtype and self.noop(*in_avals, **params)


def declare(
    name: str,
    *,
    impl: Callable[..., Any],
    shape: Callable[..., Any],
    batch: Callable[..., Any],
    output: str,
    copies: bool = False,
    noop: Callable[..., bool] | None = None,
    inline: bool = False,
    in_place: Callable[..., Any] | None = None,
    runs_program: bool = False,
    samples: tuple = (),
    multiple_results: bool = False,
    doc: str = "",
    xp_function: str | None = None,
) -> Primitive:
    """Declare and register a primitive: one place for all of its rules and facts
    (``output``, ``copies``, ``noop``, ``inline``, ``in_place``, ``runs_program``: see
    ``Facts``)."""
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
            facts=Facts(output, copies, noop, inline, in_place, runs_program),
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
    if max(map(len, shapes), default=0) <= 32:
        return tuple(np.broadcast_shapes(*shapes))
    # np.broadcast_shapes stops at 32 axes; arrays may have 64.
    out = [1] * max(map(len, shapes))
    for sh in shapes:
        for i, d in enumerate(sh, len(out) - len(sh)):
            if d != 1:
                if out[i] not in (1, d):
                    raise ValueError(
                        f"shape mismatch: objects cannot be broadcast to a single shape: {shapes}"
                    )
                out[i] = d
    return tuple(out)


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
