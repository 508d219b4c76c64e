"""Random generators that no hooked slot stands for (randomness.py swaps the ones reached by
name): found by looking into what a function reaches, and watched by their state.

A generator reached other than by name -- an element of a list, dict or tuple, a default
argument, a functools.partial argument, an attribute of an object the function closes over
-- keeps its own methods while vmap runs, so its draws would be one draw shared by the
examples.  Eager vmap compares their states after its vectorised run and, if one drew, runs
the examples as the loop does (split.py); jit, after tracing, undoes such draws and runs the
function uncompiled (jit.py), so no number drawn while tracing is compiled in.
"""

from __future__ import annotations

import contextlib
import functools
import types
from collections.abc import Iterator
from typing import Any

import numpy as np

from autovec import errors
from autovec.backends import ARRAY_TYPES
from autovec.interpreters.randomness import HookedGenerator, HookedRandomState

_SCAN_ITEMS = 64
_SCAN_DEPTH = 3
# Values that hold no generator (skipped at once).
_LEAVES = frozenset({np.ndarray, int, float, complex, bool, str, type(None), types.ModuleType})
_NOT_SCANNED = (type, types.ModuleType, types.FunctionType, types.MethodType, np.ndarray)


def hidden_generators(values: list, hooked_leaves: list | None = None) -> list[tuple]:
    """``(generator, state)`` of each generator inside ``values`` (looked into) that no
    hooked slot stands for; ``hooked_leaves`` are arguments that may hold stand-ins."""
    if all(type(v) in _LEAVES or type(v) in ARRAY_TYPES for v in values):  # arrays, numbers
        return []
    targets = {
        id(getattr(v, "_autovec_target", None))
        for v in [*values, *(hooked_leaves or ())]
        if isinstance(v, (HookedGenerator, HookedRandomState))
    }
    found: dict[int, Any] = {}
    seen: set[int] = set()

    def scan(v: Any, depth: int) -> None:
        if id(v) in seen:
            return
        seen.add(id(v))
        t = type(v)
        if t is np.random.Generator or t is np.random.RandomState:
            if id(v) not in targets:
                found[id(v)] = v
            return
        if depth >= _SCAN_DEPTH or isinstance(v, (HookedGenerator, HookedRandomState)):
            return
        if t in (list, tuple, set, frozenset):
            items: Any = v
        elif t is dict:
            items = v.values()
        elif t is functools.partial:
            items = [*v.args, *v.keywords.values()]
        elif isinstance(getattr(v, "__dict__", None), dict) and not isinstance(v, _NOT_SCANNED):
            items = v.__dict__.values()
        else:
            return
        if len(items) <= _SCAN_ITEMS:
            for item in list(items):
                scan(item, depth + 1)

    for value in values:
        scan(value, 0)
    return [(g, _state_of(g)) for g in found.values()]


def _state_of(gen: Any) -> Any:
    return gen.bit_generator.state if hasattr(gen, "bit_generator") else gen.get_state()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    return a == b


def drew(watched: list[tuple]) -> bool:
    """Whether a watched generator drew; if so every watched one gets its state back."""
    if all(_same(_state_of(g), state) for g, state in watched):
        return False
    for g, state in watched:
        if hasattr(g, "bit_generator"):
            g.bit_generator.state = state
        else:
            g.set_state(state)
    return True


@contextlib.contextmanager
def draws_seen(values: list, noted: list) -> Iterator[None]:
    """While jit traces: a draw on a generator that no hook stands for, among ``values``
    (what the function reaches; see hidden_generators), is undone when the trace ends, and
    ``noted`` receives ``(error, None)``: jit then runs the function uncompiled, drawing at
    run time, instead of compiling the numbers drawn while tracing into the program."""
    watched = hidden_generators(values)
    try:
        yield
    finally:
        if watched and drew(watched):
            noted.append(
                (
                    errors.RandomUnderJitError(
                        "A generator reached through a container, an attribute or a default "
                        "value drew random numbers while jit traced the function; a compiled "
                        "program would replay the numbers drawn then."
                    ),
                    None,
                )
            )
