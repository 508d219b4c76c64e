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
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from autovec import errors
from autovec.backends import adopt, namespace_of, numpy_dtype

# ------------------------------------------------------------------------ abstract values

MAX_DIMS = 64  # NumPy's limit on the number of array axes (NPY_MAXDIMS)
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
        if len(shape) > MAX_DIMS:  # a staged batching rule added the batch axis to a 64-d
            raise errors.TooManyDimensionsError(
                f"A traced value would have {len(shape)} axes, more than the {MAX_DIMS} a "
                f"NumPy array can have. Inside vmap a value can have at most {MAX_DIMS - 1} "
                f"axes per example (one fewer per enclosing vmap); merge axes with reshape."
            )
        self.shape = tuple(shape)
        self.dtype = numpy_dtype(dtype)  # np.dtype, also of another library's dtype
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


# Class attributes a subclass of ndarray may define and still compute as a plain ndarray.
_PLAIN_CLASS_ATTRS = frozenset(
    {
        "__module__",
        "__qualname__",
        "__doc__",
        "__dict__",
        "__weakref__",
        "__slots__",
        "__annotations__",
        "__firstlineno__",
        "__static_attributes__",
        "__orig_bases__",
        "__parameters__",
        "__type_params__",
    }
)
# Subclasses that compute as ndarray does: a memmap is an ndarray whose memory is a file.
_PLAIN_SUBCLASSES = (np.memmap,)


def plain_ndarray(x: np.ndarray, where: str = "vmap/jit") -> np.ndarray:
    """``x`` as a plain ndarray when its subclass changes nothing NumPy computes (no method,
    operator, protocol or attribute of its own); otherwise ``UnsupportedInputError``, since
    tracing it with plain-ndarray rules would silently give another answer (``np.matrix``'s
    ``*`` is a matrix product, a masked array skips masked elements)."""
    if namespace_of(x) is not np:  # a registered backend's array type: its namespace computes
        return x
    own: set[str] = set()
    for klass in type(x).__mro__:
        if klass is np.ndarray:
            break
        if klass not in _PLAIN_SUBCLASSES:
            own |= set(vars(klass)) - _PLAIN_CLASS_ATTRS
    names = sorted(own, key=lambda n: (not n.startswith("__"), n))  # operators first
    if not isinstance(x, _PLAIN_SUBCLASSES) and getattr(x, "__dict__", None):
        names += [f"instance attribute {k!r}" for k in vars(x)]
    if not names:
        return x.view(np.ndarray)
    hint = ""
    if isinstance(x, np.matrix):
        hint = " For matrix products of plain arrays use @ (np.matmul) instead of *."
    elif isinstance(x, np.ma.MaskedArray):
        hint = (
            " Pass the data and the mask as two arrays (np.ma.getdata(x), "
            "np.ma.getmaskarray(x)), or fill the masked elements first (x.filled(np.nan))."
        )
    raise errors.UnsupportedInputError(
        f"{where} got a {type(x).__module__}.{type(x).__qualname__}, a subclass of "
        f"numpy.ndarray with its own {', '.join(names[:5])}{', ...' if len(names) > 5 else ''}. "
        f"Inside vmap/jit it would be computed as a plain ndarray, which can give another "
        f"answer than the loop. Pass np.asarray(x) if plain-ndarray semantics are what you "
        f"want.{hint}"
    )


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
        plain = True  # NumPy arrays only: the common case, with nothing to look up
        for a in args:
            if type(a) is np.ndarray:
                continue
            if isinstance(a, Tracer):
                raise escaped_tracer_error(a, prim)
            plain = False
        if plain:
            return prim.impl(np, *args, **params)
        xp = namespace_of(*args)
        if xp is not np:  # NumPy constants meet another library's arrays: convert them
            return prim.impl(xp, *adopt(xp, args), **params)
        return prim.impl(xp, *args, **params)


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


def _no_concrete(what: str, exc: type[errors.ConcretizationTypeError]) -> Callable[..., Any]:
    def method(self: Tracer, *args: Any, **kwargs: Any) -> Any:
        err = exc(self._concretization_message(what))
        err.tracer = (self._trace.kind, self.aval.str_short())  # for raise_numpy_write_error
        raise err

    return method


def raise_numpy_write_error(err: ValueError) -> None:
    """``out[i] = value`` into a plain ndarray converts a 0-d tracer with ``float()`` (or
    ``int()``, ``bool()``); NumPy then reports only "setting an array element with a
    sequence", with our error as its cause.  At the transformation's boundary, raise the
    specific error as the primary one, with the user's traceback; otherwise do nothing."""
    cause = err.__cause__
    if not (
        isinstance(cause, errors.ConcretizationTypeError)
        and hasattr(cause, "tracer")
        and "setting an array element" in str(err)
    ):
        return
    kind, aval = cause.tracer
    if kind == "batched by vmap":
        what, why = f"{aval} per example", "holds one number there, not one per example"
    else:
        what, why = aval, "needs a number now, and this one is known only when the program runs"
    raise errors.TracerArrayConversionError(
        f"A value {kind} ({what}) was written into an element of a plain numpy.ndarray "
        f'(out[i] = value), which {why} (NumPy says "setting an array element with a '
        f'sequence"). '
        f"Collect the values in a list and build the array from it with "
        f"autovec.numpy.stack(values) or autovec.numpy.array(values) instead."
    ).with_traceback(err.__traceback__) from None


class Tracer:
    """A stand-in for an array inside a transformation.

    Tracers carry an abstract value and behave like NumPy arrays: ``autovec.numpy`` installs
    the operators, methods and the NumPy protocols (``__array_ufunc__``,
    ``__array_function__``) on this class.  What needs a concrete value (``bool``, ``int``,
    ``float``, ``.item()``, ``np.asarray``) raises a specific error instead.
    """

    __slots__ = ("_trace",)
    __array_priority__ = 1000  # beat ndarray in mixed binary operators
    _numpy: Any = None  # the autovec.numpy namespace, set when it is imported

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A tracer type that redefines shape/dtype (as a plain property, for speed) gets the
        # same assignment behaviour as the base class: x.shape = s is an error, not the
        # built-in "property has no setter" AttributeError.
        super().__init_subclass__(**kwargs)
        for name in ("shape", "dtype"):
            attr = cls.__dict__.get(name)
            if isinstance(attr, property) and attr.fset is None:
                setattr(cls, name, property(attr.fget, _ASSIGN[name], None, attr.__doc__))

    @property
    def aval(self) -> ShapedArray:
        raise NotImplementedError  # every concrete tracer overrides this

    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    @shape.setter
    def shape(self, value: Any) -> None:
        _ASSIGN["shape"](self, value)

    @property
    def dtype(self) -> np.dtype:
        return self.aval.dtype

    @dtype.setter
    def dtype(self, value: Any) -> None:
        _ASSIGN["dtype"](self, value)

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
        # The structured forms that stay vectorised (and compile under jit).
        loops = (
            "a loop whose number of steps differs per example is autovec.while_loop(cond_fun, "
            "body_fun, init_val) (or autovec.fori_loop); "
        )
        choice = (
            "a choice per example is autovec.numpy.where(cond, x, y) (or np.where, which "
            "routes to it) or autovec.cond(pred, true_fun, false_fun, *operands); "
        )
        if what.startswith("bool"):
            forms = choice + loops
        elif "index" in what or what.startswith("int"):
            forms = loops + (
                "a size per example becomes a mask, autovec.numpy.where(np.arange(n) < k, x, 0); "
            )
        else:
            forms = choice
        return (
            f"{what} needs a concrete value, but this value is {kind} "
            f"(an abstract {self.aval.str_short()} per example): it has no single value here. "
            f"The form to use: {forms}for a number that is the same for every example, pass "
            f"it unbatched: in_axes=None for a positional argument, or fix it before vmap with "
            f"functools.partial(f, name=value) (keyword arguments are always mapped)."
        )

    __bool__ = _no_concrete(
        "bool() (an `if`, `while`, `and`/`or` or `not` on it)", errors.TracerBoolConversionError
    )
    __int__ = _no_concrete("int()", errors.TracerIntegerConversionError)
    __index__ = _no_concrete(
        "Using it as an index or size (operator.index)", errors.TracerIntegerConversionError
    )
    __float__ = _no_concrete("float()", errors.ConcretizationTypeError)
    __complex__ = _no_concrete("complex()", errors.ConcretizationTypeError)
    item = _no_concrete(".item()", errors.ConcretizationTypeError)

    def __str__(self) -> str:
        # In the loop, str(x) is the text of each example's values; one string for the whole
        # batch would be wrong for every example, so (until the batch can split per value)
        # this is an error.  repr(x) still shows the tracer, for debugging.
        raise errors.ConcretizationTypeError(
            self._concretization_message("str() (print, f'{x}', format)")
            + " To look at the values, return them from the transformed function and print "
            "them outside; print(repr(x)) shows the shape and dtype."
        )

    def __format__(self, format_spec: str) -> str:
        raise errors.ConcretizationTypeError(
            self._concretization_message(f"Formatting (f'{{x:{format_spec}}}', format())")
            + " To look at the values, return them from the transformed function and print "
            "them outside; print(repr(x)) shows the shape and dtype."
        )

    tolist = _no_concrete(".tolist()", errors.ConcretizationTypeError)
    tobytes = _no_concrete(".tobytes()", errors.ConcretizationTypeError)
    tofile = _no_concrete(".tofile()", errors.ConcretizationTypeError)
    dump = _no_concrete(".dump()", errors.ConcretizationTypeError)
    dumps = _no_concrete(".dumps()", errors.ConcretizationTypeError)

    def __round__(self, ndigits: int | None = None) -> Any:
        # ndarray has no __round__ (round(array) is a TypeError); NumPy scalars, what the loop
        # has for 0-d examples, round to a Python int, or to a scalar with ``ndigits``.
        if self.ndim:
            raise errors.UnsupportedOperationError(
                "round() of an array: numpy.ndarray defines no __round__, so the loop raises "
                "TypeError here too. Use np.round(x) (or x.round(decimals)) for arrays."
            )
        if ndigits is None:
            raise errors.TracerIntegerConversionError(
                self._concretization_message("round(x) (a Python int)")
            )
        return self.round(ndigits)  # type: ignore[attr-defined]  # installed by autovec.numpy

    def __contains__(self, value: Any) -> bool:
        # ndarray: (x == value).any(), as one Python bool, which needs a concrete value.
        return bool((self == value).any())  # type: ignore[attr-defined]

    def __copy__(self) -> Any:
        return self.copy()  # type: ignore[attr-defined]

    def __deepcopy__(self, memo: Any) -> Any:
        if self.dtype.kind == "O":  # ndarray deep-copies each element object
            raise errors.UnsupportedOperationError(
                "copy.deepcopy of an object-dtype value inside vmap/jit is not supported."
            )
        return self.copy()  # type: ignore[attr-defined]

    def __delitem__(self, index: Any) -> None:
        raise ValueError("cannot delete array elements")  # ndarray's error

    def __reduce_ex__(self, *protocol: Any) -> Any:
        raise errors.UnsupportedOperationError(
            f"A value {self._trace.kind} cannot be pickled or copied by its state: return it "
            f"from the transformed function and pickle the result."
        )

    __reduce__ = __reduce_ex__  # type: ignore[assignment]
    __getstate__ = __reduce_ex__  # type: ignore[assignment]
    __setstate__ = __reduce_ex__  # type: ignore[assignment]
    __class_getitem__ = classmethod(types.GenericAlias)

    @property
    def device(self) -> str:
        return "cpu"  # NumPy's only device (ndarray.device)

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)  # (kDLCPU, 0), as ndarray's

    @property
    def flat(self) -> FlatIter:
        return FlatIter(self)

    @flat.setter
    def flat(self, value: Any) -> None:
        # x.flat = v fills x with v's elements, repeated as often as needed (np.resize).
        anp = self._numpy
        self[...] = anp.reshape(anp.resize(value, (self.size,)), self.shape)  # type: ignore[index]

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


def _no_memory(name: str, hint: str = "") -> property:
    """An ndarray attribute about memory, which a traced value does not have.  The error is
    also an AttributeError, so ``hasattr(x, name)`` is False and protocol probes move on."""

    def get(self: Tracer, *value: Any) -> Any:
        raise errors.UnsupportedAttributeError(
            f"x.{name} describes an array's memory, which a value {self._trace.kind} "
            f"({self.aval.str_short()} per example) does not have.{hint}"
        )

    return property(get, get)


def _no_memory_method(name: str, hint: str) -> Callable[..., Any]:
    def method(self: Tracer, *args: Any, **kwargs: Any) -> Any:
        raise errors.UnsupportedOperationError(
            f"x.{name}() works on an array's memory, which a value {self._trace.kind} "
            f"({self.aval.str_short()} per example) does not have. {hint}"
        )

    method.__name__ = name
    return method


for _name, _hint in {
    "base": " Whether a result is a view is not defined inside vmap/jit.",
    "flags": " Layout and writeability are not defined inside vmap/jit.",
    "strides": " Layout is not defined inside vmap/jit.",
    "data": "",
    "ctypes": "",
    "__array_interface__": " Use autovec.numpy functions on it, or return it.",
    "__array_struct__": " Use autovec.numpy functions on it, or return it.",
    "__dlpack__": " Return it from the transformed function to export it.",
    "__array_finalize__": "",
    "__array_wrap__": "",
}.items():
    setattr(Tracer, _name, _no_memory(_name, _hint))
for _name, _hint in {
    "byteswap": "Byte order is not part of a traced value's meaning.",
    "getfield": "Structured and reinterpreted fields are not supported inside vmap/jit.",
    "setfield": "Structured and reinterpreted fields are not supported inside vmap/jit.",
    "setflags": "Writeability and layout flags are not defined inside vmap/jit.",
}.items():
    setattr(Tracer, _name, _no_memory_method(_name, _hint))


def _assign_shape(self: Tracer, value: Any) -> None:
    raise errors.UnsupportedOperationError(
        "x.shape = ... reshapes x in place, which a value inside vmap/jit cannot do (NumPy "
        "itself refuses when the example is not contiguous). Write x = x.reshape(new_shape)."
    )


def _assign_dtype(self: Tracer, value: Any) -> None:
    raise errors.UnsupportedOperationError(
        "x.dtype = ... reinterprets x's memory, which a value inside vmap/jit does not have. "
        "For a conversion of the values write x = x.astype(new_dtype)."
    )


_ASSIGN: dict[str, Callable[[Tracer, Any], None]] = {
    "shape": _assign_shape,
    "dtype": _assign_dtype,
}


class FlatIter:
    """``x.flat`` of a traced value: indexing and assignment as ``numpy.flatiter`` does them,
    on the flattened value (an assignment updates ``x``)."""

    __slots__ = ("base",)

    def __init__(self, base: Tracer):
        self.base = base

    def __len__(self) -> int:
        return self.base.size

    def __iter__(self) -> Iterator[Any]:
        return iter(self.base.ravel())  # type: ignore[attr-defined]

    def __getitem__(self, index: Any) -> Any:
        return self.base.ravel()[index]  # type: ignore[attr-defined]

    def __setitem__(self, index: Any, value: Any) -> None:
        x = self.base
        flat = x.ravel()  # type: ignore[attr-defined]
        flat[index] = value
        x[...] = flat.reshape(x.shape)  # type: ignore[index]

    def copy(self) -> Any:
        return self.base.ravel().copy()  # type: ignore[attr-defined]

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        return self.base.__array__(dtype, copy)

    def __getattr__(self, name: str) -> Any:
        # An AttributeError too: hasattr(x.flat, "__array_namespace__") is False, as for
        # numpy.flatiter, so code probing for an array type goes on to convert it.
        raise errors.UnsupportedAttributeError(
            f"x.flat.{name} is not supported inside vmap/jit; use x.ravel() (a flat value) "
            f"and ordinary indexing."
        )
