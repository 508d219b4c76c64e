"""Operands for ``bind``: ``arr`` turns any argument into a tracer, an array or a weak Python
scalar; lists holding tracers are stacked here, on the primitives directly (this layer sits
below every ``autovec.numpy`` function, so it calls none of them)."""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec.core import FlatIter, Tracer
from autovec.numpy._util import PY_SCALARS, holds_tracer, is_foreign, shape
from autovec.prims.shape import concatenate_p, expand_dims_p


def arr(x: Any) -> Any:
    """An operand for ``bind``: tracers, arrays and Python scalars (weak) pass as they are;
    NumPy scalars and sequences become arrays (a sequence holding tracers is stacked)."""
    if isinstance(x, (Tracer, np.ndarray)) or type(x) in PY_SCALARS:
        return x
    if isinstance(x, (list, tuple)):
        return stack_nested(x) if holds_tracer(x) else np.array(x)
    if isinstance(x, FlatIter):  # np.asarray(x.flat) is x flattened
        return x.base.ravel()
    if isinstance(x, PY_SCALARS):  # subclasses of Python scalars (e.g. IntEnum)
        return np.asarray(x)
    if is_foreign(x) or (hasattr(x, "__array_namespace__") and not isinstance(x, np.generic)):
        return x  # another backend's array
    return np.asarray(x)


def stack_nested(obj: Any) -> Any:
    """Nested lists/tuples as one value, as ``np.array`` reads them: the leaves (tracers, or
    anything ``np.asarray`` takes) stacked along new leading axes."""
    if isinstance(obj, Tracer):
        return obj
    if not isinstance(obj, (list, tuple)) or not holds_tracer(obj):
        return np.asarray(obj)
    parts = [stack_nested(o) for o in obj]
    if len({shape(p) for p in parts}) != 1:
        raise ValueError("all input arrays must have the same shape")
    # A trace may join the parts itself (eager vmap on torch tensors: one stack, without a
    # view per part); None leaves it to the primitives below.
    stack_rows = getattr(getattr(parts[0], "_trace", None), "stack_rows", None)
    if stack_rows is not None:
        out = stack_rows(parts)
        if out is not None:
            return out
    rows = [expand_dims_p.bind(p, axes=(0,)) for p in parts]
    return rows[0] if len(rows) == 1 else concatenate_p.bind(*rows, axis=0)


def as_array(x: Any) -> Any:
    """What NumPy's own code makes of an argument with ``asanyarray``: tracers stay, a list
    holding tracers is stacked, anything else becomes an array (so a Python scalar is strong
    here, not weak as in a ufunc call)."""
    x = arr(x)
    return x if isinstance(x, Tracer) else np.asanyarray(x)
