"""Temporary elision for eager vmap: ``(a - b) ** 2`` writes the square into the buffer of
``a - b`` instead of allocating another whole-batch array, as NumPy itself does for plain
arrays.  With batches of hundreds of megabytes, fresh memory is often the dominant cost.

An operator method (``__mul__``, ``__pow__``, ...) sees whether its left operand is a
temporary -- an intermediate value nothing else refers to -- from its reference count, the
signal NumPy uses.  The count a temporary has depends on the Python version, so it is
measured once, on a probe class whose operator has the same shape as ours; elision is off
when that measurement cannot tell a temporary from a value held in a variable (NumPy's own
elision broke that way on Python 3.14, where a variable's value can be pushed without a
reference of its own).  ``available()`` says which it is.  The batching trace then checks the
buffer itself (``BatchTrace._elide``): a whole, writeable array of the result's shape and
dtype that nothing else references, not a view, not an argument.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from autovec.backends import ARRAY_TYPES
from autovec.core import _current_trace
from autovec.interpreters import batching
from autovec.interpreters.batching import BatchTracer
from autovec.interpreters.split_fast import compute as _compute
from autovec.interpreters.split_fast import replay as _replay
from autovec.numpy._convert import arr

# The reference count a temporary left operand shows inside an operator method (and inside
# ``__array_ufunc__``, for ``np.exp(t)``-style calls); None until measured; 0 when elision is
# off on this Python and NumPy.
_temporary_refs: int | None = None
_ufunc_temporary_refs: int | None = None


def _count(x: Any) -> int:
    return sys.getrefcount(x)


def _refs_in_call(self: Any, prim: Any, *args: Any) -> int:
    # The same parameters as bind_maybe_in_place, so the same references to `self`.
    return _count(self)


class _Probe:
    def __mul__(self, other: Any) -> int:
        # The same shape as an operator method calling bind_maybe_in_place(self, prim, ...).
        return _refs_in_call(self, None, self, other)


def _refs_in_ufunc_call(self: Any, prim: Any, inputs: tuple) -> int:
    # The same parameters as bind_ufunc_call_maybe_in_place.
    return _count(self)


class _UfuncProbe:
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> int:
        # The same shape as Tracer.__array_ufunc__ calling bind_ufunc_call_maybe_in_place.
        return _refs_in_ufunc_call(self, None, inputs)


def _measure_ufunc_call() -> int:
    held = _UfuncProbe()
    held_refs = np.exp(held)
    temporary_refs = np.exp(_UfuncProbe())
    return temporary_refs if temporary_refs < held_refs else 0


def _measure() -> int:
    held = _Probe()
    held_refs = held * 1
    temporary_refs = _Probe() * 1
    return temporary_refs if temporary_refs < held_refs else 0


def _operator_refs() -> int:
    global _temporary_refs
    if _temporary_refs is None:
        _temporary_refs = _measure()
    return _temporary_refs


def _ufunc_call_refs() -> int:
    global _ufunc_temporary_refs
    if _ufunc_temporary_refs is None:
        _ufunc_temporary_refs = _measure_ufunc_call()
    return _ufunc_temporary_refs


def available() -> bool:
    """Whether temporary elision is on: True when this Python shows a temporary operand with
    fewer references than a held one, both in operator methods and in ``np.<ufunc>(t)``
    calls; False (elision stays off, results unchanged) when it cannot tell them apart."""
    return bool(_operator_refs()) and bool(_ufunc_call_refs())


def _worth_it(t: Any) -> bool:
    """Cheap pre-check before reading reference counts: only a vmap value whose buffer (at
    the bottom of nested vmaps) is big enough can be reused; jit and small arrays skip."""
    if type(t) is not batching.BatchTracer:
        return False
    split = t._trace.split
    if split is not None and split.hitting:
        return False  # a group replaying recorded operations: nothing is computed
    v = t.val
    while type(v) is batching.BatchTracer:
        v = v.val
    if type(v) is np.ndarray:
        return v is not t and v.size >= batching._ELIDE_MIN_SIZE
    # Another library's array (a torch tensor): its trace checks the buffer itself.
    return v is not t and type(v) in ARRAY_TYPES and math.prod(v.shape) >= batching._ELIDE_MIN_SIZE


def bind_maybe_in_place(self: Any, prim: Any, *args: Any) -> Any:
    """``prim.bind(*args)``, writing into ``self``'s buffer when it is a dead temporary.

    Call it only as ``return bind_maybe_in_place(self, prim, ...)`` directly from an
    operator method whose ``self`` is the left operand: the reference count it reads is
    calibrated for exactly that call shape.
    """
    if type(self) is not BatchTracer:
        return prim.bind(*args)  # (jit: nothing to reuse)
    trace = self._trace
    split = trace.split
    if split is not None and split.continuing:
        if split.hitting:
            # A group replaying recorded operations: nothing is computed (no elision); the
            # record answers directly when the operation is the current trace's.
            if _current_trace.get() is trace:
                return _replay(trace, prim, args)
            return prim.bind(*args)
        if (
            type(self.val) is np.ndarray
            and self.val.size < batching._ELIDE_MIN_SIZE
            and _current_trace.get() is trace
        ):
            return _compute(trace, prim, args)  # a continuing run: compute and record
    # (_worth_it's common case inline; no local holds the buffer: _elide reads its count)
    if type(self.val) is np.ndarray:
        if self.val.size < batching._ELIDE_MIN_SIZE:
            return prim.bind(*args)
    elif not _worth_it(self):
        return prim.bind(*args)
    refs = _operator_refs()
    if not refs or _count(self) > refs:
        return prim.bind(*args)  # held elsewhere too (a variable, a list): never overwrite
    token = batching.elide_into.set(self)
    try:
        return prim.bind(*args)
    finally:
        batching.elide_into.reset(token)


def bind_ufunc_call_maybe_in_place(self: Any, prim: Any, inputs: tuple) -> Any:
    """Like ``bind_maybe_in_place`` for ``np.<ufunc>(self, ...)`` calls: call it only as
    ``return bind_ufunc_call_maybe_in_place(self, prim, inputs)`` from
    ``Tracer.__array_ufunc__``, with ``inputs[0] is self``."""
    if type(self) is BatchTracer:
        trace = self._trace
        split = trace.split
        if split is not None and split.hitting:  # see bind_maybe_in_place
            if _current_trace.get() is trace:
                return _replay(trace, prim, tuple(map(arr, inputs)))
            return prim.bind(*map(arr, inputs))
    if not _worth_it(self):
        return prim.bind(*map(arr, inputs))
    refs = _ufunc_call_refs()
    if not refs or _count(self) > refs:
        return prim.bind(*map(arr, inputs))
    token = batching.elide_into.set(self)
    try:
        return prim.bind(*map(arr, inputs))
    finally:
        batching.elide_into.reset(token)


def bind_unary(self: Any, prim: Any) -> Any:
    """``prim.bind(self)`` for a unary operator method (``-x``, ``abs(x)``): straight to the
    record of a group replaying recorded operations (see bind_maybe_in_place)."""
    if type(self) is BatchTracer:
        trace = self._trace
        split = trace.split
        if split is not None and split.continuing and _current_trace.get() is trace:
            if split.hitting:
                return _replay(trace, prim, (self,))
            return _compute(trace, prim, (self,))
    return prim.bind(self)
