"""Make tracers behave like ``numpy.ndarray``: operators, methods, properties, and the NumPy
protocols (NEP 13 ``__array_ufunc__``, NEP 18 ``__array_function__``) that route plain
``np.sin(t)``/``np.dot(t, w)`` calls on tracers to ``autovec.numpy``.

The core knows nothing of ``autovec.numpy`` (imports point down); this module installs the
behaviour on ``Tracer`` when ``autovec.numpy`` is imported.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy._core._exceptions import _UFuncNoLoopError as _NO_LOOP  # ==/!= fall back on it

from autovec import errors
from autovec.core import Tracer, _current_trace, plain_ndarray
from autovec.interpreters.batching import BatchTracer
from autovec.interpreters.split_fast import replay
from autovec.numpy._convert import arr
from autovec.numpy._elision import (
    bind_maybe_in_place,
    bind_ufunc_call_maybe_in_place,
    bind_unary,
)
from autovec.numpy._util import is_foreign, shape
from autovec.numpy.cumulative import ufunc_accumulate
from autovec.numpy.index_tricks import dims_of
from autovec.numpy.indexing import getitem
from autovec.numpy.manipulation import astype, concatenate, ravel, reshape
from autovec.numpy.ufuncs import imag, real
from autovec.numpy.updates import ufunc_at_inplace
from autovec.prims.elementwise import complex_p
from autovec.prims.foreign import foreign_ufunc_p
from autovec.prims.scatter import copy_p

# Operand types an operator takes as they are (the fast path).  Any other operand is taken
# too, converted as NumPy converts it (None, str, Fraction, range: object, string or integer
# arrays), unless ndarray's own operator would give way to it (``_odd_operand``).
_PLAIN = {np.ndarray, int, float, complex, bool, list, tuple, BatchTracer}
_MISSING = object()
# Operand types arr() returns unchanged (a vmap value: the common tracer).
_AS_IS = frozenset((np.ndarray, int, float, complex, bool, BatchTracer))


def _odd_operand(other: Any) -> bool:
    """Whether ndarray's binary operator returns NotImplemented for ``other``, so that
    ``other``'s reflected operator runs: NumPy's rule (NEP 13), with ndarray's priority (0),
    since a tracer stands for the ndarray the loop would hold.  An ndarray subclass that
    changes NumPy's meaning (``np.matrix``) raises ``UnsupportedInputError`` instead."""
    if isinstance(other, (Tracer, np.generic)) or is_foreign(other):
        return False  # (a torch tensor: an operand of its own namespace, as ndarray is)
    if isinstance(other, np.ndarray):
        plain_ndarray(other, "An operator on a traced value")
        return False
    array_ufunc = getattr(type(other), "__array_ufunc__", _MISSING)
    if array_ufunc is not _MISSING:
        return array_ufunc is None
    return getattr(other, "__array_priority__", -1e6) > 0.0


def _binop(f: Callable[[Any, Any], Any]) -> tuple[Callable, Callable]:
    prim = getattr(f, "prim", None)
    if prim is not None:  # a ufunc: bind its primitive directly (the hot path of x * y)

        def op(self: Any, other: Any) -> Any:
            t = type(other)
            if t not in _PLAIN and not isinstance(other, Tracer) and _odd_operand(other):
                return NotImplemented
            if (
                type(self) is BatchTracer
                and self._trace.replaying
                and _current_trace.get() is self._trace
            ):
                # A group replaying a split run's record: straight to it (split_fast).
                return replay(self._trace, prim, (self, other if t in _AS_IS else arr(other)))
            # (operands arr() takes as they are skip the call: x * 2.0 is the hot path)
            return bind_maybe_in_place(self, prim, self, other if t in _AS_IS else arr(other))

        def rop(self: Any, other: Any) -> Any:
            t = type(other)
            if t not in _PLAIN and not isinstance(other, Tracer) and _odd_operand(other):
                return NotImplemented
            if (
                type(self) is BatchTracer
                and self._trace.replaying
                and _current_trace.get() is self._trace
            ):
                return replay(self._trace, prim, (other if t in _AS_IS else arr(other), self))
            return bind_maybe_in_place(self, prim, other if t in _AS_IS else arr(other), self)

        return op, rop

    def op(self: Any, other: Any) -> Any:
        if type(other) not in _PLAIN and not isinstance(other, Tracer) and _odd_operand(other):
            return NotImplemented
        return f(self, other)

    def rop(self: Any, other: Any) -> Any:
        if type(other) not in _PLAIN and not isinstance(other, Tracer) and _odd_operand(other):
            return NotImplemented
        return f(other, self)

    return op, rop


def _unary(prim: Any) -> Callable[[Any], Any]:
    """``-x``, ``abs(x)``: the ufunc's primitive on the tracer (what ``np.negative(x)`` binds)."""

    def method(self: Any) -> Any:
        if (
            type(self) is BatchTracer
            and self._trace.replaying
            and _current_trace.get() is self._trace
        ):
            return replay(self._trace, prim, (self,))  # (see _binop)
        return bind_unary(self, prim)

    return method


def _equality(op: Callable[[Any, Any], Any], result: bool) -> Callable[[Any, Any], Any]:
    """``==``/``!=`` as ndarray does them: when NumPy has no loop for the two dtypes
    (``x == "a"`` for a float ``x``), every element compares unequal, in an array of the
    broadcast shape, instead of the ufunc's TypeError."""

    def compare(self: Any, other: Any) -> Any:
        try:
            return op(self, other)
        except _NO_LOOP:
            shape = np.broadcast_shapes(self.shape, np.shape(arr(other)))
            return np.full(shape, result)

    return compare


def _pow_shortcuts(op: Callable, u: dict) -> Callable:
    """``x ** y`` as ndarray computes it: NumPy's operator (not ``np.power``) turns an exact
    Python ``2`` into ``square`` (so ``bool ** 2`` is int8, not int64) and, for inexact
    ``x``, ``0.5`` into ``sqrt`` and ``-1`` into ``reciprocal`` (complex ``sqrt`` rounds
    differently from ``power``).  Doing the same keeps vmap equal to the loop.  A 0-d value
    per example is, in the loop, almost always a NumPy scalar (what indexing and ufuncs
    return), and scalars take no shortcut: those use ``power``."""
    square, sqrt, reciprocal = u["square"], u["sqrt"], u["reciprocal"]

    def pow_(self: Any, other: Any) -> Any:
        t = type(other)
        if not self.ndim:
            pass
        elif t is int:
            if other == 2:
                return bind_maybe_in_place(self, square.prim, self)
            if other == -1 and self.dtype.kind in "fc":
                return bind_maybe_in_place(self, reciprocal.prim, self)
        elif t is float and other == 0.5 and self.dtype.kind in "fc":
            return bind_maybe_in_place(self, sqrt.prim, self)
        return op(self, other)

    return pow_


def install(anp: Any) -> None:
    """Install ndarray behaviour on ``Tracer``; ``anp`` is the ``autovec.numpy`` module."""
    u = anp.UFUNCS
    binops = {
        "add": u["add"],
        "sub": u["subtract"],
        "mul": u["multiply"],
        "truediv": u["divide"],
        "floordiv": u["floor_divide"],
        "mod": u["remainder"],
        "pow": u["power"],
        "matmul": anp.matmul,
        "and": u["bitwise_and"],
        "or": u["bitwise_or"],
        "xor": u["bitwise_xor"],
        "lshift": u["left_shift"],
        "rshift": u["right_shift"],
        "divmod": u["divmod"],
    }
    for name, f in binops.items():
        op, rop = _binop(f)
        if name == "pow":
            op = _pow_shortcuts(op, u)
        setattr(Tracer, f"__{name}__", op)
        setattr(Tracer, f"__r{name}__", rop)
        if name != "divmod":  # x += y: x takes the result, with NumPy's in-place rules
            np_ufunc = getattr(np, getattr(f, "__name__", ""), None)
            setattr(Tracer, f"__i{name}__", anp.indexing.inplace_operator(op, np_ufunc))
    for name, f in {
        "lt": u["less"],
        "le": u["less_equal"],
        "gt": u["greater"],
        "ge": u["greater_equal"],
        "eq": u["equal"],
        "ne": u["not_equal"],
    }.items():
        op = _binop(f)[0]
        setattr(Tracer, f"__{name}__", _equality(op, name == "ne") if name in ("eq", "ne") else op)
    Tracer.__neg__ = _unary(u["negative"].prim)
    Tracer.__pos__ = _unary(u["positive"].prim)
    Tracer.__abs__ = _unary(u["absolute"].prim)
    Tracer.__invert__ = _unary(u["invert"].prim)
    Tracer.__getitem__ = _getitem_method(anp)
    Tracer.__setitem__ = anp.indexing.setitem  # x[i] = v: x takes the updated value

    # Methods with ndarray's signatures.
    for name in (
        "sum",
        "prod",
        "max",
        "min",
        "any",
        "all",
        "mean",
        "var",
        "std",
        "argmax",
        "argmin",
        "clip",
        "conj",
        "conjugate",
        "round",
        "cumsum",
        "cumprod",
        "ptp",
        "nonzero",
        "argsort",
        "trace",
        "diagonal",
        "repeat",
        "take",
        "searchsorted",
        "dot",
        "squeeze",
        "swapaxes",
        "ravel",
        "choose",
        "argpartition",
    ):
        if hasattr(anp, name):
            setattr(Tracer, name, _method(getattr(anp, name)))
    Tracer.reshape = _reshape_method(anp)
    Tracer.transpose = _transpose_method(anp)
    # ndarray.astype and .flatten copy (even to the same dtype, even when 1-d): jit keeps the
    # copy wherever an output could show that it is not one.
    Tracer.astype = astype_method
    Tracer.flatten = lambda self, order="C": anp.copy(anp.ravel(self, order))
    Tracer.copy = anp.indexing.copy_value
    # ndarray methods that work in place (sort, partition, put, fill): the tracer takes the
    # result, and they return None.
    for name, method in anp.indexing.ndarray_inplace_methods(anp).items():
        setattr(Tracer, name, method)
    Tracer.resize = resize_method  # ndarray.resize: in place, zero-padded
    Tracer.to_device = to_device_method
    if hasattr(anp, "compress"):  # ndarray.compress(condition, ...) puts the array first
        Tracer.compress = lambda self, condition, axis=None, out=None: anp.compress(
            condition, self, axis, out
        )
    Tracer.view = _no_view
    Tracer.T = property(lambda self: anp.transpose(self))
    Tracer.itemsize = property(lambda self: self.dtype.itemsize)
    Tracer.nbytes = property(lambda self: self.size * self.dtype.itemsize)
    Tracer.mT = property(lambda self: anp.matrix_transpose(self))
    Tracer.real = property(lambda self: anp.real(self), _set_real)
    Tracer.imag = property(lambda self: anp.imag(self), _set_imag)
    Tracer._numpy = anp
    Tracer.__array_ufunc__ = _array_ufunc(anp)
    Tracer.__array_function__ = _array_function(anp)


def _getitem_method(anp: Any) -> Callable[..., Any]:
    getitem_p = anp.indexing.getitem_p

    def getitem(self: Any, index: Any) -> Any:
        kind = type(index)
        if kind is int and self.ndim:  # x[i], the hot path of per-example loops
            n = self.shape[0]
            if -n <= index < n:
                return getitem_p.bind(self, index=(index,))
        elif kind is slice and self.ndim:  # x[i:j], the other one
            start, stop, step = index.start, index.stop, index.step
            if (
                (start is None or type(start) is int)
                and (stop is None or type(stop) is int)
                and (step is None or (type(step) is int and step))
            ):
                return getitem_p.bind(self, index=((start, stop, step),))
        return anp.getitem(self, index)

    return getitem


def _method(f: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return f(self, *args, **kwargs)

    method.__name__ = f.__name__
    method.__doc__ = f.__doc__
    return method


def _reshape_method(anp: Any) -> Callable[..., Any]:
    def reshape(self: Any, *shape: Any, order: str = "C", copy: Any = None) -> Any:
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = shape[0]
        if (
            shape is None
        ):  # x.reshape(None) keeps the shape on every NumPy (np.reshape only on some)
            shape = np.shape(self)
        return anp.reshape(self, shape, order=order)

    return reshape


def _transpose_method(anp: Any) -> Callable[..., Any]:
    def transpose(self: Any, *axes: Any) -> Any:
        if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], (int, np.integer))):
            axes = axes[0]
        return anp.transpose(self, axes if axes != () else None)

    return transpose


def _set_real(self: Any, value: Any) -> None:
    if self.dtype.kind != "c":
        self[...] = value  # for a real array, x.real is x itself
        return
    # x takes the complex value with the new real part and its own imaginary part, each
    # exactly (assigned into the parts, as NumPy assigns them, with NumPy's casting).
    self[...] = complex_p.bind(arr(value), imag(self), dtype=self.dtype)


def _set_imag(self: Any, value: Any) -> None:
    if self.dtype.kind != "c":
        raise TypeError("array does not have imaginary part to set")  # NumPy's error
    self[...] = complex_p.bind(real(self), arr(value), dtype=self.dtype)


def _no_view(self: Any, *args: Any, **kwargs: Any) -> Any:
    raise errors.UnsupportedOperationError(
        ".view() reinterprets memory, which traced values do not have. To convert the values "
        "to another dtype use .astype(dtype) (a conversion, not a reinterpretation of the "
        "bits); for the same values under another name, use x itself."
    )


_REDUCE_METHODS = {
    "add": "sum",
    "multiply": "prod",
    "maximum": "max",
    "minimum": "min",
    "logical_and": "all",
    "logical_or": "any",
}


# `array == t` / `array != t` with no ufunc loop for the pair (a string array and a number):
# ndarray falls back to converting t with __array__, which raises for a tracer, and NumPy
# before 2.4.3 does not check that error (a segfault).  There, refuse the comparison first.
_EQ_FALLBACK_CRASHES = np.lib.NumpyVersion(np.__version__) < "2.4.3"


def _eq_fallback_refused(self: Any, name: str, inputs: tuple) -> errors.UnsupportedOperationError:
    kinds = ", ".join(str(np.result_type(x)) for x in inputs if not isinstance(x, Tracer))
    return errors.UnsupportedOperationError(
        f"numpy.{name} of a value {self._trace.kind} and {kinds}: NumPy has no loop for these "
        f"dtypes, and ndarray's ==/!= fallback crashes NumPy {np.__version__} (fixed in "
        f"2.4.3) when one side is traced. Compare values of comparable dtypes."
    )


def _call_foreign_ufunc(ufunc: np.ufunc, inputs: tuple, kwargs: dict) -> Any:
    """A ufunc that is not NumPy's, called on the whole batch (prims/foreign.py: a ufunc
    computes each element on its own, so one call gives what the loop's calls give), or
    None where its keywords need more (``out=``, a traced ``where=``)."""
    if "out" in kwargs or any(isinstance(v, Tracer) or _unhashable(v) for v in kwargs.values()):
        return None
    outs = foreign_ufunc_p.bind(
        *(arr(x) for x in inputs), ufunc=ufunc, kwargs=tuple(sorted(kwargs.items()))
    )
    return outs[0] if len(outs) == 1 else tuple(outs)


def _unhashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return True
    return False


def _array_ufunc(anp: Any) -> Callable[..., Any]:
    def __array_ufunc__(
        self: Any, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any
    ) -> Any:
        name = ufunc.__name__
        if getattr(np, name, None) is not ufunc:
            # Known by identity, never by name: numba's @vectorize, scipy.special and
            # np.frompyfunc ufuncs may share a name with NumPy's (a numba "sign").
            if method == "__call__":
                called = _call_foreign_ufunc(ufunc, inputs, kwargs)
                if called is not None:
                    return called
            same_name = f" (NumPy's numpy.{name} is another one)" if hasattr(np, name) else ""
            raise errors.ForeignUfuncError(
                f"{ufunc!r} is not one of NumPy's ufuncs{same_name}, so vmap/jit cannot "
                f"compute it on a value {self._trace.kind}. Write it with NumPy / "
                f"autovec.numpy functions, or call it outside the transformed function."
            )
        if method == "__call__":
            f = anp.UFUNCS.get(name) or (anp.matmul if name == "matmul" else None)
            if f is None:
                raise errors.UnsupportedOperationError(
                    f"numpy.{name} has no autovec implementation, so it cannot take a "
                    f"value {self._trace.kind}. See docs/coverage.md for what is supported."
                )
            if _EQ_FALLBACK_CRASHES and name in ("equal", "not_equal"):
                try:
                    return f(*inputs, **kwargs)
                except _NO_LOOP as err:
                    raise _eq_fallback_refused(self, name, inputs) from err
            prim = getattr(f, "prim", None)
            if prim is not None and not kwargs and inputs and inputs[0] is self:
                return bind_ufunc_call_maybe_in_place(self, prim, inputs)
            return f(*inputs, **kwargs)
        if method == "reduce" and name in _REDUCE_METHODS:
            kwargs.setdefault("axis", 0)
            return getattr(anp, _REDUCE_METHODS[name])(*inputs, **kwargs)
        if method == "accumulate" and name in anp.UFUNCS:
            # ufunc.accumulate keeps the ufunc's own dtype (np.add.accumulate of int8 is int8,
            # where cumsum widens), so it has its own entry rather than cumsum's.
            return ufunc_accumulate(ufunc, *inputs, **kwargs)
        if method == "at" and name in anp.UFUNCS:
            # np.add.at(x, i, v): a traced x takes the updated value (see autovec.numpy.indexing)
            return ufunc_at_inplace(ufunc, *inputs, **kwargs)
        if method == "outer" and len(inputs) == 2 and name in anp.UFUNCS:
            a, b = anp.asarray(inputs[0]), anp.asarray(inputs[1])
            a = anp.reshape(a, (*np.shape(a), *(1,) * np.ndim(b))) if np.ndim(b) else a
            return anp.UFUNCS[name](a, b, **kwargs)
        raise errors.UnsupportedOperationError(
            f"numpy.{name}.{method} is not supported on a value {self._trace.kind}."
        )

    return __array_ufunc__


def _array_function(anp: Any) -> Callable[..., Any]:
    table: dict[Any, Callable[..., Any]] = {}

    def lookup(func: Any) -> Callable[..., Any] | None:
        if func in table:
            return table[func]
        module = getattr(func, "__module__", "") or ""
        name = getattr(func, "__name__", "")
        # Known by identity, never by name: another library's function may dispatch through
        # __array_function__ under NumPy's module and name.
        home = sys.modules.get(module)
        target = anp.lookup_numpy_function(module, name)
        if getattr(home, name, None) is not func:
            target = None
        table[func] = target
        return target

    def __array_function__(self: Any, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        f = lookup(func)
        if f is None:
            raise errors.UnsupportedOperationError(
                f"{getattr(func, '__module__', 'numpy')}.{getattr(func, '__name__', func)} has "
                f"no autovec implementation yet, so it cannot take a value {self._trace.kind}. "
                f"See docs/coverage.md for the supported NumPy functions; the autovec.numpy "
                f"functions can be combined to write it."
            )
        return f(*args, **kwargs)

    return __array_function__


# ------------------------------------------------------------- ndarray.resize and to_device


def _resized(a: Any, new_shape: tuple[int, ...]) -> Any:
    """``ndarray.resize``'s new value: the C-order elements, cut or padded with zeros."""
    if any(d < 0 for d in new_shape):
        raise ValueError("negative dimensions not allowed")
    n = int(np.prod(new_shape, dtype=np.int64))
    flat = ravel(a)
    size = shape(flat)[0]
    if n <= size:
        flat = getitem(flat, slice(0, n))
    else:
        flat = concatenate([flat, np.zeros(n - size, a.dtype)])
    return reshape(flat, new_shape)


def astype_method(
    self: Any,
    dtype: Any,
    order: str = "K",
    casting: str = "unsafe",
    subok: bool = True,
    copy: bool = True,
) -> Any:
    """``ndarray.astype``: NumPy's casting check (a ``TypeError`` where the rule forbids the
    cast) and the result laid out in ``order``, as the loop's copy of each example is."""
    dtype = np.dtype(dtype)
    if not np.can_cast(self.dtype, dtype, casting):
        raise TypeError(
            f"Cannot cast array data from {self.dtype!r} to {dtype!r} according to the rule "
            f"{casting!r}"
        )
    if order not in ("C", "F", "A", "K"):
        raise ValueError("order must be one of 'C', 'F', 'A', or 'K'")
    if order == "K":
        return astype(self, dtype, copy=copy)
    return copy_p.bind(astype(self, dtype, copy=False), order=order)


def resize_method(self: Any, *new_shape: Any, refcheck: bool = True) -> None:
    """``ndarray.resize`` for traced values: in place (the value takes the new one; views
    taken earlier keep the old value), C order, padded with zeros; returns None."""
    if len(new_shape) == 1 and not isinstance(new_shape[0], (int, np.integer)):
        new_shape = new_shape[0]
    if new_shape is None or new_shape == ():
        return None
    shp = dims_of(new_shape, "resize new_shape")
    self._become(_resized(self, shp))
    return None


def to_device_method(self: Any, device: Any, /, *, stream: Any = None) -> Any:
    """``ndarray.to_device``: NumPy arrays live on ``"cpu"`` only, and so do traced values."""
    if device != "cpu":
        raise ValueError(f"Unsupported device {device!r}: NumPy arrays live on 'cpu'")
    if stream is not None:
        raise ValueError("The stream argument in to_device() is not supported")
    return self
