"""Values every example of a vmap shares: ``in_axes=None`` array arguments.

Inside the function such an argument is a ``SharedTracer`` (autovec/interpreters/batching.py):
the plain array, with no batch axis.  It behaves as the loop's array does:

- an operation on shared values alone (``logits - logits.max()``, ``np.unique(table)``,
  ``table[3]``) is NumPy's own call on the plain arrays, made once; an ndarray result is
  shared again, so ``logp = log_softmax(logits); logp[label]`` stays vectorised;
- an operation that mixes it with batched values (``table[i]``, ``np.take(table, i)``,
  ``W @ x``) batches it as any unbatched operand: one gather, one matmul;
- conversions (``np.asarray``, ``float``, ``bool``, ``len``, ``str``) give the plain value's,
  with no split: every example has the same one;
- an in-place write into the caller's array (``table[i] += 1``, ``w.sort()``, through a view)
  raises ``SharedStateWriteError``: the loop would write the caller's array once per example,
  each example seeing the writes of the ones before.  A shared value computed inside the
  function is the function's own: writing into it makes it an ordinary (batched, or still
  shared) value, as the loop's fresh array would be.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import Tracer
from autovec.interpreters.batching import SHARED_INPUTS, BatchTracer, SharedTracer, shared_value

_SHARED_WRITE = (
    "The function wrote into an array that every example shares (an argument with "
    "in_axes=None). The loop would write it once per example, each example seeing the "
    "writes of the ones before; vmap runs the function once for the whole batch and cannot. "
    "Write into a copy made inside the function (w = w.copy(), then w += 1), build a new "
    "array (w = w + 1, or autovec.numpy.set_at(w, i, v) for w[i] = v), or batch the "
    "argument (in_axes=0) if each example needs its own."
)


def _plain(x: Any, trace: Any) -> Any:
    """``x`` with this trace's shared tracers replaced by their values (into tuples, lists
    and dicts); raises ``_Mixed`` when a batched value (or any other tracer) is in it."""
    t = type(x)
    if t is SharedTracer:
        if x._trace is trace:
            return x.val
        raise _Mixed
    if t is tuple or t is list:
        return t(_plain(v, trace) for v in x)
    if t is dict:
        return {k: _plain(v, trace) for k, v in x.items()}
    if isinstance(x, Tracer):
        raise _Mixed
    return x


class _Mixed(Exception):
    """Internal: a batched value takes part; the tracer's (batching) path handles it."""


def _wrap(trace: Any, out: Any) -> Any:
    t = type(out)
    if t is np.ndarray:
        return SharedTracer(trace, out)
    if t is tuple and out and any(type(o) is np.ndarray for o in out):
        return tuple(_wrap(trace, o) for o in out)
    return out


def _forward(name: str, tracer_method: Callable[..., Any]) -> Callable[..., Any]:
    """A method that runs ndarray's ``name`` on the plain values when only shared values
    take part, and the tracer's batching method otherwise."""

    def method(self: SharedTracer, *args: Any, **kwargs: Any) -> Any:
        trace = self._trace
        # (Another library's array, a torch tensor, takes the tracer's path: its primitives
        # on its namespace, not its own methods' semantics.)
        if trace.alive and type(self.val) is np.ndarray:
            try:
                plain_args = _plain(args, trace) if args else args
                plain_kwargs = _plain(kwargs, trace) if kwargs else kwargs
            except _Mixed:
                pass
            else:
                return _wrap(trace, getattr(self.val, name)(*plain_args, **plain_kwargs))
        return tracer_method(self, *args, **kwargs)

    method.__name__ = name
    return method


def _array_ufunc(tracer_method: Callable[..., Any]) -> Callable[..., Any]:
    def __array_ufunc__(self: SharedTracer, ufunc: Any, method: str, *inputs: Any, **kw: Any):
        trace = self._trace
        if trace.alive and "out" not in kw and type(self.val) is np.ndarray:
            try:
                plain_inputs = _plain(inputs, trace)
                plain_kw = _plain(kw, trace) if kw else kw
            except _Mixed:
                pass
            else:
                return _wrap(trace, getattr(ufunc, method)(*plain_inputs, **plain_kw))
        return tracer_method(self, ufunc, method, *inputs, **kw)

    return __array_ufunc__


def _array_function(tracer_method: Callable[..., Any]) -> Callable[..., Any]:
    def __array_function__(self: SharedTracer, func: Any, types: Any, args: tuple, kwargs: dict):
        trace = self._trace
        if trace.alive and "out" not in kwargs and type(self.val) is np.ndarray:
            try:
                plain_args = _plain(args, trace)
                plain_kwargs = _plain(kwargs, trace) if kwargs else kwargs
            except _Mixed:
                pass
            else:
                return _wrap(trace, func(*plain_args, **plain_kwargs))
        return tracer_method(self, func, types, args, kwargs)

    return __array_function__


def _become(self: SharedTracer, other: Any) -> None:
    """An in-place update (``x[i] = v``, ``x += v``, ``x.sort()``) of a shared value."""
    for arg in _caller_arrays(self):
        if np.may_share_memory(self.val, arg):
            raise getattr(errors, "SharedStateWriteError", errors.UnsupportedOperationError)(
                _SHARED_WRITE
            )
    trace = self._trace
    if type(other) is SharedTracer and other._trace is trace:
        self.val = other.val
    elif type(other) is BatchTracer and other._trace is trace:
        # Written with batched values: from now on one value per example.
        self.__class__ = BatchTracer
        self.val, self.bdim = other.val, other.bdim
    elif isinstance(other, Tracer):
        self.__class__ = BatchTracer
        self.val, self.bdim = self.val, 0
        BatchTracer._become(self, other)  # broadcast, or the error for an inner vmap's value
    else:
        self.val = np.array(other, dtype=self.val.dtype)


def _caller_arrays(t: SharedTracer) -> list:
    return SHARED_INPUTS.get(t._trace, ())


def _plain_value(name: str) -> Callable[..., Any]:
    def method(self: SharedTracer, *args: Any) -> Any:
        return getattr(self.val, name)(*args)

    method.__name__ = name
    return method


# Names the tracer's own (functional) path must keep: writes, and what is not ndarray's.
_KEEP = frozenset(
    {
        "__setitem__",
        "__delitem__",
        "__init__",
        "__init_subclass__",
        "__new__",
        "__getattribute__",
        "__setattr__",
        "__delattr__",
        "__class__",
        "__copy__",
        "__deepcopy__",
        "__reduce__",
        "__reduce_ex__",
        "__getstate__",
        "__setstate__",
        "__class_getitem__",
        "__array__",
        "__array_ufunc__",
        "__array_function__",
        "__iter__",
        "__len__",
        "__hash__",
        "__dir__",
        "__sizeof__",
        "__subclasshook__",
        "__format__",
        "__str__",
        "__repr__",
        "__bool__",
        "__int__",
        "__index__",
        "__float__",
        "__complex__",
        "__contains__",
        "item",
        "tolist",
        "sort",
        "partition",
        "fill",
        "put",
        "resize",
        "itemset",
        "setflags",
        "setfield",
        "byteswap",
        "tofile",
        "dump",
    }
)


def install() -> None:
    """Give ``SharedTracer`` NumPy's behaviour for shared-only operations."""
    for name in dir(Tracer):
        if name in _KEEP or name.startswith("__i") and name != "__invert__":
            continue  # in-place operators (__iadd__, ...) stay functional
        if not hasattr(np.ndarray, name):
            continue
        attr = getattr(Tracer, name, None)
        if callable(attr) and not isinstance(attr, type):
            setattr(SharedTracer, name, _forward(name, attr))
    for name in ("T", "mT", "real", "imag"):
        prop = Tracer.__dict__.get(name)
        if isinstance(prop, property):
            setattr(
                SharedTracer,
                name,
                property(
                    (
                        lambda n, fget: (
                            lambda self: (
                                _wrap(self._trace, getattr(self.val, n))
                                if type(self.val) is np.ndarray
                                else fget(self)
                            )
                        )
                    )(name, prop.fget),
                    prop.fset,
                ),
            )
    SharedTracer.__array_ufunc__ = _array_ufunc(Tracer.__array_ufunc__)
    SharedTracer.__array_function__ = _array_function(Tracer.__array_function__)
    SharedTracer._become = _become
    for name in ("__bool__", "__int__", "__index__", "__float__", "__complex__", "item"):
        setattr(SharedTracer, name, _plain_value(name))
    for name in ("tolist", "__str__", "__format__", "__len__"):
        setattr(SharedTracer, name, _plain_value(name))
    SharedTracer.__contains__ = _forward("__contains__", Tracer.__contains__)

    def __array__(self: SharedTracer, dtype: Any = None, copy: Any = None) -> np.ndarray:
        v = self.val
        return v if dtype is None else v.astype(dtype, copy=False)

    SharedTracer.__array__ = __array__
    SharedTracer.__repr__ = lambda self: repr(self.val)
    SharedTracer.__hash__ = None  # type: ignore[assignment]


install()

__all__ = ["install", "shared_value"]
