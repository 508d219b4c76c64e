"""The test-case convention for ``autovec.numpy`` functions.

Each ``tests/test_numpy_*.py`` module defines ``CASES``, a list of ``Case``: the name of the
``autovec.numpy`` function under test, a function of ONE example written against a namespace
``xp`` (run with ``xp=autovec.numpy`` and with plain ``xp=numpy``), and the example's
arguments.  ``run_case`` checks, for each case:

1. eager: ``fun(autovec.numpy, *args)`` equals ``fun(numpy, *args)`` exactly (shape, dtype,
   values) -- autovec.numpy outside a transformation is NumPy;
2. ``check_vmap`` of the autovec.numpy version under every transformation in ``TRANSFORMS``
   (vmap, ``jit(vmap(f))``, ``vmap(jit(f))``), every in_axes combination and batch sizes
   0/1/3, and nested ``vmap(vmap(f))``;
3. the same under vmap and nested vmap with the plain-NumPy version (``np.f`` on tracers
   routes to autovec.numpy), unless ``plain_numpy=False`` (NumPy offers no hook for, e.g.,
   ``np.zeros`` or ``np.array``);
4. for the first case of each name in a module's ``CASES`` (the id ending ``-0``), also the
   jit forms of the nested compositions (the rest of ``NESTED_TRANSFORMS``) for both
   versions, with every program jit builds type-checked.  On the other cases they would add
   no fact of their own: each is the composition of two facts checked on every case
   (nested vmap, and jit of a vmap / vmap of a jit), every primitive is checked under all of
   them on every sample in ``tests/test_prims.py``, and the machinery that nests them is the
   same for every function.

``tests/test_completeness.py`` fails when an exported name has no case.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

import autovec.numpy as anp
from autovec.interpreters import staging
from autovec.prims.base import Arg
from autovec.testing import NESTED_TRANSFORMS, TRANSFORMS, check_vmap, make_arg
from autovec.tree import tree_flatten


@contextlib.contextmanager
def checking_programs(on: bool = True) -> Iterator[None]:
    """Type-check every program jit and make_ir build (``staging.CHECK_PROGRAMS``) inside."""
    before = staging.CHECK_PROGRAMS
    staging.CHECK_PROGRAMS = on or before
    try:
        yield
    finally:
        staging.CHECK_PROGRAMS = before


def example_maker(seed: int, low: float = -2.0, high: float = 2.0) -> Callable[..., Any]:
    """``ex(shape, dtype="float64", low, high, rng=None)``: a random example array (values in
    ``[low, high)``; booleans fair coins), from one generator per test module."""
    default_rng = np.random.default_rng(seed)

    def ex(
        shape: Any,
        dtype: str = "float64",
        low: float = low,
        high: float = high,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        return make_arg(Arg(shape, dtype, low, high), default_rng if rng is None else rng)

    return ex


class Case(NamedTuple):
    name: str
    fun: Callable[..., Any]
    args: tuple
    plain_numpy: bool = True
    batchable: Sequence[bool] | None = None
    rtol: float = 1e-7
    atol: float = 1e-9
    nested: bool = True  # nested vmap (and, on the first case of this name, its jit forms)

    def id(self) -> str:
        return self.name


# The first case of each name in each module's CASES, by identity (filled by ``case_ids``,
# which every module calls on its CASES): these run the nested compositions.
_FIRST_OF_NAME: dict[int, Case] = {}


def case_ids(cases: Sequence[Case]) -> list[str]:
    """``name-k``, the k-th case of that name; marks each ``name-0`` for the compositions."""
    seen: dict[str, int] = {}
    ids = []
    for c in cases:
        k = seen.get(c.name, 0)
        seen[c.name] = k + 1
        ids.append(f"{c.name}-{k}")
        if k == 0:
            _FIRST_OF_NAME[id(c)] = c
    return ids


def assert_identical(got: Any, want: Any, context: str = "") -> None:
    g_leaves, g_def = tree_flatten(got)
    w_leaves, w_def = tree_flatten(want)
    assert g_def == w_def, f"{context}: structure {g_def} != {w_def}"
    for g, w in zip(g_leaves, w_leaves):
        # NumPy's own types: an ndarray where NumPy gives one, a NumPy scalar where it
        # gives a scalar (0-d results of reductions and products), a Python value likewise.
        assert type(g) is type(w), (
            f"{context}: type {type(g).__name__} != NumPy's {type(w).__name__}"
        )
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, f"{context}: shape {g.shape} != NumPy's {w.shape}"
        assert g.dtype == w.dtype, f"{context}: dtype {g.dtype} != NumPy's {w.dtype}"
        assert np.array_equal(g, w, equal_nan=g.dtype.kind in "fc"), (
            f"{context}: values differ from NumPy's\n{g}\n{w}"
        )


def _bind_namespace(case: Case, xp: Any, name: str) -> Callable[..., Any]:
    """``case.fun`` with ``xp`` bound.  Its signature is computed once and stored: vmap and
    jit read it on every construction (for argument names in errors), and working it out
    for a ``functools.partial`` each time cost a sixth of a case's time."""
    fun = functools.partial(case.fun, xp)
    fun.__name__ = name  # type: ignore[attr-defined]
    fun.__signature__ = inspect.signature(fun)  # type: ignore[attr-defined]
    return fun


def run_case(case: Case) -> None:
    ours = _bind_namespace(case, anp, case.name)
    theirs = _bind_namespace(case, np, f"np.{case.name}")
    assert_identical(ours(*case.args), theirs(*case.args), f"eager {case.name}")
    first = _FIRST_OF_NAME.get(id(case)) is case
    nested = (tuple(NESTED_TRANSFORMS) if first else ("vmap_vmap",)) if case.nested else ()
    kw = dict(batchable=case.batchable, rtol=case.rtol, atol=case.atol, nested=nested)
    with checking_programs(first):
        assert check_vmap(ours, *case.args, transforms=tuple(TRANSFORMS), **kw) > 0
        if case.plain_numpy:
            assert check_vmap(theirs, *case.args, transforms=("vmap",), **kw) > 0
