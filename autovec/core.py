"""Primitives, tracers, traces and ``bind``: the machinery every transformation shares.

The data path of every operation is ``prim.bind(*args, **params)``, which hands the primitive
to the *current trace* (held in a context variable).  The eval trace computes with the
primitive's ``impl``; the batching trace (vmap) applies its batching rule; the staging trace
(jit) records an equation.  A trace that processes a primitive makes its *parent* current
while it works, so the rule's own ``bind`` calls reach the next transformation out: that is
how ``vmap(vmap(f))`` and ``jit(vmap(f))`` compose.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from autovec import errors
from autovec.backends import namespace_of

# ------------------------------------------------------------------------ abstract values

_SHORT = {"b": "bool", "i": "i", "u": "u", "f": "f", "c": "c"}


def short_dtype(dtype: np.dtype) -> str:
    """``float64`` -> ``f64``; the spelling the IR printer uses."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return "bool"
    prefix = _SHORT.get(dtype.kind)
    return f"{prefix}{dtype.itemsize * 8}" if prefix else str(dtype)


class ShapedArray:
    """An abstract value: what is known of an array before it is computed.

    ``weak_type`` marks a Python scalar, which NumPy 2 (NEP 50) lets the other operand's
    dtype win over.
    """

    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape: tuple[int, ...], dtype: Any, weak_type: bool = False):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = weak_type

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def str_short(self) -> str:
        return f"{short_dtype(self.dtype)}[{','.join(map(str, self.shape))}]" + (
            "~" if self.weak_type else ""
        )

    def __repr__(self) -> str:
        return f"ShapedArray({self.str_short()})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ShapedArray)
            and self.shape == other.shape
            and self.dtype == other.dtype
            and self.weak_type == other.weak_type
        )

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype, self.weak_type))


_PY_SCALAR_DTYPE = {
    bool: np.dtype(bool),
    int: np.dtype(np.int64),
    float: np.dtype(np.float64),
    complex: np.dtype(np.complex128),
}


def get_aval(x: Any) -> ShapedArray:
    """The abstract value of a concrete value or tracer."""
    if isinstance(x, Tracer):
        return x.aval
    t = type(x)
    if t in _PY_SCALAR_DTYPE:
        return ShapedArray((), _PY_SCALAR_DTYPE[t], weak_type=t is not bool)
    return ShapedArray(np.shape(x), x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype)


# ----------------------------------------------------------------------------- primitives


class Primitive:
    """One operation every transformation understands, declared once with all its rules.

    - ``impl(xp, *arrays, **params)`` computes on concrete arrays of namespace ``xp``;
    - ``shape(*avals, **params)`` gives the output aval(s) without computing;
    - ``batch(axis_size, args, dims, **params)`` returns ``(outs, out_dims)``: the batching
      rule, told which axis of each argument is the batch axis (``None``: unbatched);
    - ``samples`` are the argument specs the generic tests run it on;
    - ``xp_function`` (optional) names the ``xp`` function ``impl`` calls when there are no
      params, so compiled programs can call it directly;
    - ``facts`` (``autovec.prims.base.Facts``) say what jit's passes need to know: whether
      outputs are fresh or views, whether it copies, when it is a no-op, whether it inlines.

    ``multiple_results`` primitives return a tuple from ``impl`` and lists from the rules.
    """

    __slots__ = (
        "name",
        "impl",
        "shape",
        "batch",
        "samples",
        "multiple_results",
        "doc",
        "xp_function",
        "facts",
    )

    def __init__(
        self,
        name: str,
        *,
        impl: Callable[..., Any],
        shape: Callable[..., Any],
        batch: Callable[..., Any],
        samples: tuple = (),
        multiple_results: bool = False,
        doc: str = "",
        xp_function: str | None = None,
        facts: Any = None,
    ):
        self.name = name
        self.facts = facts
        # When params are empty, impl(xp, *args) is just xp.<xp_function>(*args): jit calls
        # that function directly, saving a Python call per equation.
        self.xp_function = xp_function
        self.impl = impl
        self.shape = shape
        self.batch = batch
        self.samples = samples
        self.multiple_results = multiple_results
        self.doc = doc

    def bind(self, *args: Any, **params: Any) -> Any:
        return _current_trace.get().process_primitive(self, args, params)

    def __repr__(self) -> str:
        return self.name


PRIMITIVES: dict[str, Primitive] = {}


def register_primitive(prim: Primitive) -> Primitive:
    if prim.name in PRIMITIVES:
        raise ValueError(f"primitive {prim.name!r} is declared twice")
    PRIMITIVES[prim.name] = prim
    return prim


# ------------------------------------------------------------------------ traces, tracers


class Trace:
    """A transformation in progress.  ``parent`` is the trace its rules bind into."""

    __slots__ = ("parent", "alive", "__weakref__")
    # Words used in error messages: "batched by vmap", "traced by jit".
    kind = "traced"

    def __init__(self, parent: Trace | None):
        self.parent = parent
        self.alive = True

    def process_primitive(self, prim: Primitive, args: tuple, params: dict) -> Any:
        raise NotImplementedError  # every concrete trace overrides this

    def is_ancestor_of(self, other: Trace) -> bool:
        t: Trace | None = other
        while t is not None:
            if t is self:
                return True
            t = t.parent
        return False


class EvalTrace(Trace):
    """The bottom trace: compute now, with the primitive's ``impl``."""

    __slots__ = ()
    kind = "concrete"

    def process_primitive(self, prim: Primitive, args: tuple, params: dict) -> Any:
        for a in args:
            if isinstance(a, Tracer):
                raise escaped_tracer_error(a, prim)
        return prim.impl(namespace_of(*args), *args, **params)


EVAL_TRACE = EvalTrace(None)
_current_trace: contextvars.ContextVar[Trace] = contextvars.ContextVar(
    "autovec_current_trace", default=EVAL_TRACE
)


def current_trace() -> Trace:
    return _current_trace.get()


@contextmanager
def set_current_trace(trace: Trace) -> Iterator[Trace]:
    """Make ``trace`` current for the body of the ``with`` block."""
    token = _current_trace.set(trace)
    try:
        yield trace
    finally:
        _current_trace.reset(token)


def escaped_tracer_error(t: Tracer, prim: Primitive | None = None) -> errors.UnexpectedTracerError:
    where = f" by {prim.name}" if prim is not None else ""
    return errors.UnexpectedTracerError(
        f"A value {t._trace.kind} ({t.aval.str_short()}) was used{where} after the "
        f"transformation that created it had returned. It escaped, for example through a "
        f"global variable, a list defined outside the function, or a closure kept for later. "
        f"Return the value from the transformed function instead of storing it."
    )


def _no_concrete(
    what: str, exc: type[errors.ConcretizationTypeError], numpy_calls_it: bool = False
) -> Callable[..., Any]:
    def method(self: Tracer, *args: Any, **kwargs: Any) -> Any:
        msg = self._concretization_message(what)
        if numpy_calls_it:
            # NumPy converts with this when a value is stored into one element of a plain
            # ndarray (out[i] = value) and then reports only "setting an array element with
            # a sequence", with this error as its cause: say what to do for that case too.
            msg += (
                " NumPy also calls it when the value is written into an element of a plain "
                "ndarray (out[i] = value): collect the values in a list and build the array "
                "with autovec.numpy.stack or autovec.numpy.array instead."
            )
        raise exc(msg)

    return method


class Tracer:
    """A stand-in for an array inside a transformation.

    Tracers carry an abstract value and behave like NumPy arrays: ``autovec.numpy`` installs
    the operators, methods and the NumPy protocols (``__array_ufunc__``,
    ``__array_function__``) on this class.  What needs a concrete value (``bool``, ``int``,
    ``float``, ``.item()``, ``np.asarray``) raises a specific error instead.
    """

    __slots__ = ("_trace",)
    __array_priority__ = 1000  # beat ndarray in mixed binary operators

    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError  # every concrete tracer overrides this

    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.aval.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object (a 0-d value)")
        return self.shape[0]

    def __iter__(self) -> Iterator[Any]:
        if not self.shape:
            raise TypeError("iteration over a 0-d value")
        return (self[i] for i in range(self.shape[0]))

    __hash__ = None  # type: ignore[assignment]  # like ndarray: mutable-looking, unhashable

    def _concretization_message(self, what: str) -> str:
        kind = self._trace.kind
        return (
            f"{what} needs a concrete value, but this value is {kind} "
            f"(an abstract {self.aval.str_short()} per example): it has no single value here. "
            f"For a choice per example use autovec.numpy.where(cond, x, y) (or np.where, "
            f"which routes to it); for a number that is the same for every example, pass it "
            f"unbatched (in_axes=None) or as a static argument."
        )

    __bool__ = _no_concrete(
        "bool() (an `if`, `while`, `and`/`or` or `not` on it)",
        errors.TracerBoolConversionError,
        numpy_calls_it=True,
    )
    __int__ = _no_concrete("int()", errors.TracerIntegerConversionError, numpy_calls_it=True)
    __index__ = _no_concrete(
        "Using it as an index or size (operator.index)", errors.TracerIntegerConversionError
    )
    __float__ = _no_concrete("float()", errors.ConcretizationTypeError, numpy_calls_it=True)
    __complex__ = _no_concrete("complex()", errors.ConcretizationTypeError, numpy_calls_it=True)
    item = _no_concrete(".item()", errors.ConcretizationTypeError)

    def __format__(self, format_spec: str) -> str:
        # f"{x}" shows the tracer; a numeric format (f"{x:.3f}") needs a concrete number.
        if not format_spec:
            return repr(self)
        raise errors.ConcretizationTypeError(
            self._concretization_message(f"Formatting with {format_spec!r} (f'{{x:...}}')")
            + " To look at values, return them from the transformed function and print "
            "them outside."
        )

    tolist = _no_concrete(".tolist()", errors.ConcretizationTypeError)

    def _become(self, other: Any) -> None:
        """Take ``other``'s value in place: how ``x[i] = v``, ``x += v``, ``x.sort()`` and
        ``np.add.at(x, ...)`` update a tracer, since it has no memory to write into.

        Each tracer type that supports in-place updates overrides this (``other`` is the
        updated value, normally a tracer of the same trace).  Views taken earlier keep the
        old value: an update never reaches them, unlike NumPy's shared memory.
        """
        raise errors.UnsupportedOperationError(
            f"In-place updates (x[i] = v, x += v, x.sort(), ufunc.at) of a value "
            f"{self._trace.kind} ({type(self).__name__}) are not supported by this "
            f"transformation. Build the updated value and rebind the name instead, e.g. "
            f"x = autovec.numpy.where(mask, v, x)."
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise errors.TracerArrayConversionError(
            f"A value {self._trace.kind} ({self.aval.str_short()} per example) cannot become "
            f"a plain numpy.ndarray. This happens with np.array([...]) or np.asarray(...) of a "
            f"list holding it, or when it is written into an existing ndarray "
            f"(out[i] = value), or when a plain ndarray is indexed with it (table[i]). Use "
            f"autovec.numpy.array / autovec.numpy.stack to build arrays from such values, "
            f"build results functionally (collect them in a list, then stack) instead of "
            f"writing into a preallocated NumPy array, and index a plain table through "
            f"autovec.numpy: autovec.numpy.getitem(table, i)."
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}<{self.aval.str_short()}>"
