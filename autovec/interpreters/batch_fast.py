"""Eager vmap's hot paths: what the batching rules of common primitives compute on NumPy
batches, without the rules' binds (used by ``BatchTrace._process``,
autovec/interpreters/batch_trace.py).  Only speed depends on these tables: a primitive
missing from them takes the general path, its batching rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autovec.core import Primitive
from autovec.prims.base import FRESH
from autovec.prims.shape import (
    expand_dims_p,
    getitem_p,
    reshape_p,
    squeeze_p,
    to_slice_index,
    transpose_p,
)

_ALL = slice(None)


def _getitem_front(v: np.ndarray, *, index: tuple) -> np.ndarray:
    if len(index) == 1:  # x[i], x[i:j]
        i = index[0]
        if type(i) is int:
            return v[:, i]
        if type(i) is tuple:
            return v[:, slice(*i)]
    return v[(_ALL, *to_slice_index(index))]


def _expand_dims_front(v: np.ndarray, *, axes: tuple) -> np.ndarray:
    shape = list(v.shape)
    for a in axes:  # (sorted positions in the output)
        shape.insert(a + 1, 1)
    return v.reshape(shape)  # what np.expand_dims does


# What the batching rules of the common view primitives compute for a NumPy batch whose
# batch axis is first, without their binds: eager vmap's hot path for x[i:j], x[None],
# x.T, x.reshape(...).  (Only speed depends on this table; a primitive missing from it
# takes the general path.)
FRONT: dict[Primitive, Callable[..., Any]] = {
    getitem_p: _getitem_front,
    expand_dims_p: _expand_dims_front,
    squeeze_p: lambda v, *, axes: v.squeeze(tuple(a + 1 for a in axes)),
    transpose_p: lambda v, *, perm: v.transpose((0, *(p + 1 for p in perm))),
    reshape_p: lambda v, *, new_sizes: v.reshape((v.shape[0], *new_sizes)),
}

# Per primitive, what eager vmap's hot paths need: NumPy's own function when the primitive
# is an elementwise one with a single fresh output (``impl(np, *args)`` is that function's
# call when there are no params), its FRONT entry, whether its output may be a view of its
# operand, whether it calls a jitted program (the ``inline`` fact), and the ``impl`` these
# stand for (a primitive whose ``impl`` was replaced since, by a spy or a test double,
# takes the general path, which calls it).
EAGER: dict[Primitive, tuple] = {}


def eager_facts(prim: Primitive) -> tuple:
    name = prim.xp_function
    may_view = prim.facts.output != FRESH
    np_function = None
    if name is not None and not prim.multiple_results and not may_view:
        np_function = getattr(np, name, None)
    facts = (np_function, FRONT.get(prim), may_view, bool(prim.facts.inline), prim.impl)
    EAGER[prim] = facts
    return facts
