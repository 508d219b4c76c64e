"""Random numbers under vmap and jit: the loop's draws, lane by lane.

A ``numpy.random.Generator`` or ``RandomState`` draw whose parameters are not batched never
sees a tracer, so without help every example would get the same draw.  While a vmapped (or
jit-traced) function runs, the generators it can reach -- its arguments, its closure cells,
the module globals its code names (and those of the functions it calls directly, and the
attributes of a bound method's object) -- are swapped, in their slots, for *hooked*
stand-ins that share the generator's bit generator and route every draw method through
:func:`draw`; the legacy ``np.random.*`` functions are swapped the same way in the
``numpy.random`` module.  Every slot gets its original object back when the call ends.

:func:`draw` decides by the innermost transformation:

- no transformation (a lane running as the loop does): the original method;
- jit tracing: ``RandomUnderJitError`` (a traced program cannot draw at run time);
- a vmap with ``randomness="error"``: ``RandomnessError``; ``"same"``: one draw shared by
  every example of that vmap;
- ``"loop"`` (the default): the FIRST draw of the vmap's first run, if its method consumes
  the stream value by value (a block of ``B`` draws equals ``B`` sequential draws, checked
  per method and dtype) and its parameters are not batched, is one block draw of size
  ``(B, *shape)``; it stays if the run ends without another draw and without a split.  Any
  other draw (a second one, batched parameters, a method such as ``permutation``, a draw
  after the batch split) puts every touched generator back in the state it had before the
  vmap's first draw and re-runs the whole batch example by example, as the loop does.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import EVAL_TRACE, Tracer, _current_trace
from autovec.interpreters import reach as reach_mod
from autovec.interpreters import staging
from autovec.interpreters.batching import BatchTrace, BatchTracer

RANDOMNESS_MODES = ("loop", "same", "error")
# Internal: "loop" on the blocks of a dask array, where the loop's stream cannot be kept.
DASK_MODE = "dask"

_GENERATOR_TYPES = (np.random.Generator, np.random.RandomState)

# Methods whose block draw of size (B, *shape) equals B sequential draws of ``shape`` (and
# leaves the same state), when their parameters are scalars: the number of distribution
# parameters that come before ``size``.  Verified empirically for every entry (tests).
_BLOCK_EQUIVALENT: dict[str, int] = {
    "random": 0,
    "random_sample": 0,
    "sample": 0,
    "ranf": 0,
    "standard_normal": 0,
    "standard_exponential": 0,
    "standard_cauchy": 0,
    "normal": 2,
    "uniform": 2,
    "exponential": 1,
    "poisson": 1,
    "binomial": 2,
    "integers": 2,
    "randint": 2,
    "gamma": 2,
    "standard_gamma": 1,
    "beta": 2,
    "lognormal": 2,
    "geometric": 1,
    "laplace": 2,
    "logistic": 2,
    "gumbel": 2,
    "rayleigh": 1,
    "weibull": 1,
    "pareto": 1,
    "power": 1,
    "chisquare": 1,
    "standard_t": 1,
    "f": 2,
    "triangular": 3,
    "wald": 2,
    "vonmises": 2,
    "negative_binomial": 2,
    "zipf": 1,
    "logseries": 1,
    "choice": 1,
}
# Integers narrower than 32 bits are drawn from a buffered 32-bit word, and the buffer does
# not survive between calls: a block draw consumes the stream differently.
_NARROW_INTEGERS = ("integers", "randint")

# Everything that draws (or reseeds): hooked so that no draw slips through unseen.
_GENERATOR_METHODS = tuple(
    n
    for n in dir(np.random.Generator)
    if not n.startswith("_") and n not in ("bit_generator", "spawn")
)
_LEGACY_FUNCTIONS = tuple(
    n
    for n in dir(np.random.RandomState)
    if not n.startswith("_") and n not in ("get_state", "set_state")
)


class _RunAsLoop(BaseException):
    """Internal: the draws of this vmap cannot be vectorised; its driver runs the loop."""

    def __init__(self, run: RandomRun):
        super().__init__("vmap draws run as the loop")
        self.run = run


class RandomRun:
    """The randomness state of one vmap call: its mode, its first run's trace, the draws it
    made and the generator states before them."""

    __slots__ = ("mode", "first_trace", "draws", "saved", "looping")

    def __init__(self, mode: str):
        self.mode = mode
        self.first_trace: BatchTrace | None = None
        self.draws = 0
        self.saved: dict[int, tuple[Any, Any]] = {}
        self.looping = False

    def remember(self, gen: Any) -> None:
        key = id(gen)
        if key not in self.saved:
            state = gen.bit_generator.state if hasattr(gen, "bit_generator") else gen.get_state()
            self.saved[key] = (gen, state)

    def restore(self) -> None:
        for gen, state in self.saved.values():
            if hasattr(gen, "bit_generator"):
                gen.bit_generator.state = state
            else:
                gen.set_state(state)
        self.saved.clear()
        self.draws = 0

    def to_loop(self) -> _RunAsLoop:
        self.restore()
        return _RunAsLoop(self)


# ------------------------------------------------------------------------------- the hook


def draw(gen: Any, name: str, args: tuple, kwargs: dict) -> Any:
    """A draw ``gen.name(*args, **kwargs)`` made by user code (through a hooked slot)."""
    trace = _current_trace.get()
    if trace is EVAL_TRACE:
        return getattr(gen, name)(*args, **kwargs)
    return _draw_at(trace, gen, name, args, kwargs, ())


def _draw_at(trace: Any, gen: Any, name: str, args: tuple, kwargs: dict, block: tuple) -> Any:
    if trace is EVAL_TRACE:
        if not block:
            return getattr(gen, name)(*args, **kwargs)
        return _block_draw(gen, name, args, kwargs, block)
    if not isinstance(trace, BatchTrace):  # (a continuing run is a BatchTrace subclass)
        err = errors.RandomUnderJitError(
            f"{type(gen).__name__}.{name} draws random numbers inside a jit-traced function: "
            f"a compiled program replays what was traced, so every call would return the "
            f"numbers drawn while tracing. Draw outside jit and pass the numbers in as an "
            f"argument (for example noise = rng.standard_normal((B, n)); jit(f)(x, noise)), "
            f"or call the function without jit."
        )
        # Nothing was drawn: jit runs the function uncompiled instead, drawing at run time.
        staging.note_unstageable(trace, err)
        raise err
    run = trace.split.random if trace.split is not None else None
    if run is None:
        # A vmap that cannot re-run (under jit): the enclosing transformation decides.
        return _wrap(trace, _draw_at(trace.parent, gen, name, args, kwargs, block), None)
    if run.mode == "dask":
        raise errors.RandomnessError(
            f"{type(gen).__name__}.{name} draws random numbers inside a vmap over a dask array. "
            f"The blocks run separately, each from the generator's state when the graph was "
            f"built, so they cannot continue one stream as the loop does. Draw the numbers "
            f"before vmap and pass them in as a batched argument, or use randomness='same' "
            f"(one draw shared by every example)."
        )
    if run.mode == "error":
        raise errors.RandomnessError(
            f"{type(gen).__name__}.{name} draws random numbers inside vmap(..., "
            f"randomness='error'). Use randomness='loop' (each example draws what the Python "
            f"loop would draw) or randomness='same' (one draw shared by every example)."
        )
    if run.mode == "same":
        return _wrap(trace, _draw_at(trace.parent, gen, name, args, kwargs, block), None)
    if run.looping:
        raise run.to_loop()
    vectorisable = (
        trace is run.first_trace
        and run.draws == 0
        and _block_shape(gen, name, args, kwargs) is not None
        and not _has_tracer(args, kwargs)
    )
    if not vectorisable:
        raise run.to_loop()
    run.remember(gen)
    run.draws += 1
    out = _draw_at(trace.parent, gen, name, args, kwargs, (trace.axis_size, *block))
    return _wrap(trace, out, 0)


def _wrap(trace: BatchTrace, out: Any, bdim: int | None) -> Any:
    if bdim is None:
        return out
    return BatchTracer(trace, out, bdim)


def _has_tracer(args: tuple, kwargs: dict) -> bool:
    def has(v: Any) -> bool:
        if isinstance(v, Tracer):
            return True
        if isinstance(v, (list, tuple)):
            return any(has(x) for x in v)
        return False

    return any(has(a) for a in args) or any(has(v) for v in kwargs.values())


def _scalar(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _block_shape(gen: Any, name: str, args: tuple, kwargs: dict) -> tuple | None:
    """The per-example output shape of a draw that can be taken as one block, else None."""
    if name in ("rand", "randn"):
        if kwargs or not all(isinstance(a, (int, np.integer)) for a in args):
            return None
        return tuple(int(a) for a in args)
    n_params = _BLOCK_EQUIVALENT.get(name)
    if n_params is None or "out" in kwargs:
        return None
    params = list(args[:n_params])
    if len(args) > n_params + 1:
        return None
    size = args[n_params] if len(args) == n_params + 1 else kwargs.get("size")
    if not all(_scalar(p) for p in params):
        return None
    for key, value in kwargs.items():
        if key == "size":
            continue
        if key == "dtype":
            dtype = np.dtype(value)
            if name in _NARROW_INTEGERS and (dtype.kind == "b" or dtype.itemsize < 4):
                return None
            continue
        if key == "endpoint" and name == "integers":
            continue
        if name == "choice" and key == "replace" and value is True:
            continue
        if key in ("loc", "scale", "low", "high", "lam", "n", "p") and name != "choice":
            if not _scalar(value):
                return None
            continue
        return None  # an option we have not checked block-equivalence for
    if name in _NARROW_INTEGERS and "dtype" not in kwargs and name == "randint":
        pass  # legacy randint's default dtype is 'long' (64-bit)
    if name == "choice" and not _scalar(params[0]):
        return None
    if size is None:
        return ()
    if isinstance(size, (int, np.integer)):
        return (int(size),)
    if isinstance(size, tuple) and all(isinstance(s, (int, np.integer)) for s in size):
        return tuple(int(s) for s in size)
    return None


def _block_draw(gen: Any, name: str, args: tuple, kwargs: dict, block: tuple) -> Any:
    shape = _block_shape(gen, name, args, kwargs)
    assert shape is not None  # checked by every vmap level on the way here
    if name in ("rand", "randn"):
        return getattr(gen, name)(*block, *shape)
    n_params = _BLOCK_EQUIVALENT[name]
    kwargs = {**kwargs, "size": (*block, *shape)}
    return getattr(gen, name)(*args[:n_params], **kwargs)


# ------------------------------------------------------------------ hooked stand-ins


def _hooked_method(name: str) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return draw(self._autovec_target, name, args, kwargs)

    method.__name__ = name
    return method


class HookedGenerator(np.random.Generator):
    """Stands in for a user's Generator during a vmap/jit call (same bit generator)."""

    def __init__(self, target: np.random.Generator):
        super().__init__(target.bit_generator)
        self._autovec_target = target


class HookedRandomState(np.random.RandomState):
    """Stands in for a user's RandomState during a vmap/jit call; every draw is made by the
    original object (it holds the legacy Gaussian cache)."""

    def __init__(self, target: np.random.RandomState):
        super().__init__(target._bit_generator)
        self._autovec_target = target


for _name in _GENERATOR_METHODS:
    setattr(HookedGenerator, _name, _hooked_method(_name))
for _name in _LEGACY_FUNCTIONS:
    setattr(HookedRandomState, _name, _hooked_method(_name))


_RAND = np.random.mtrand._rand


def _legacy_function(name: str) -> Callable[..., Any]:
    rand = _RAND

    def function(*args: Any, **kwargs: Any) -> Any:
        return draw(rand, name, args, kwargs)

    function.__name__ = name
    function.__doc__ = getattr(rand, name).__doc__
    function._autovec_hook = True  # type: ignore[attr-defined]
    return function


def _concrete_seed(seed: Any) -> Any:
    """A batched seed is one value per example: the batch splits by it (each group of
    examples with one seed creates its own generator, as each example does in the loop)."""
    if isinstance(seed, Tracer):
        if seed.ndim == 0 and np.dtype(seed.dtype).kind in "iub":
            return int(seed)
        return np.asarray(seed)
    return seed


def _seeding(original: Callable[..., Any]) -> Callable[..., Any]:
    def function(seed: Any = None, *args: Any, **kwargs: Any) -> Any:
        return original(_concrete_seed(seed), *args, **kwargs)

    function.__name__ = original.__name__
    function.__doc__ = original.__doc__
    return function


_LEGACY_HOOKS: dict[str, Any] = {
    name: _legacy_function(name)
    for name in _LEGACY_FUNCTIONS
    if getattr(np.random, name, None) is not None
    and getattr(getattr(np.random, name), "__self__", None) is np.random.mtrand._rand
}
# (classes stay: isinstance checks inside NumPy and user code need them)
_LEGACY_HOOKS["default_rng"] = _seeding(np.random.default_rng)
_LEGACY_ORIGINALS = {name: np.random.__dict__[name] for name in _LEGACY_HOOKS}


def _stand_in(gen: Any) -> Any:
    if type(gen) is np.random.Generator:
        return HookedGenerator(gen)
    if type(gen) is np.random.RandomState:
        return HookedRandomState(gen)
    return None  # a subclass: its own methods may differ; left alone (documented)


# The walk that finds the slots (autovec/interpreters/reach.py) knows which legacy functions
# can be hooked.
reach_mod.LEGACY_NAMES = frozenset(_LEGACY_HOOKS)


_LEGACY_LOCK = threading.Lock()
_legacy_users = 0


@contextlib.contextmanager
def _legacy_hooked() -> Iterator[None]:
    """``numpy.random.<function>`` routed through :func:`draw` while any call needs it.
    Other threads run at no transformation, so the hooks pass their draws straight on."""
    global _legacy_users
    with _LEGACY_LOCK:
        if _legacy_users == 0:
            np.random.__dict__.update(_LEGACY_HOOKS)  # (setattr on a module is 20x slower)
        _legacy_users += 1
    try:
        yield
    finally:
        with _LEGACY_LOCK:
            _legacy_users -= 1
            if _legacy_users == 0:
                np.random.__dict__.update(_LEGACY_ORIGINALS)


class _Unhooked:
    """``hooked``'s context when there is nothing to hook (the common case: no generator in
    reach), without a generator-based context manager's cost."""

    __slots__ = ("leaves",)

    def __init__(self, leaves: list | None):
        self.leaves = leaves

    def __enter__(self) -> list | None:
        return self.leaves

    def __exit__(self, *exc: Any) -> None:
        return None


def hooked(fun: Any, leaves: list | None = None) -> Any:
    """A context manager: while its block runs, every generator ``fun`` reaches (and every
    generator among ``leaves``) draws through :func:`draw`.  It yields the leaves with
    stand-ins."""
    found = reach_mod.current(fun)
    if not found.legacy and not found.has_slots and (leaves is None or not _has_generator(leaves)):
        return _Unhooked(leaves)
    return _hooked(fun, found, leaves)


def _has_generator(leaves: list) -> bool:
    for x in leaves:
        if isinstance(x, _GENERATOR_TYPES):
            return True
    return False


@contextlib.contextmanager
def _hooked(fun: Any, found: Any, leaves: list | None) -> Iterator[list | None]:
    with reach_mod.InUse(fun, found):  # what the block reads of fun: this walk, not stand-ins
        yield from _swapped(found, leaves)


def _swapped(found: Any, leaves: list | None) -> Iterator[list | None]:
    swapped: list[tuple[Any, Any, Any, Any]] = []
    legacy = found.legacy
    for container, key in found.slots():
        original = container.cell_contents if key is None else container[key]
        if isinstance(original, (HookedGenerator, HookedRandomState)):
            continue
        if getattr(original, "__self__", None) is _RAND:
            stand_in = _LEGACY_HOOKS[original.__name__]
        else:
            stand_in = _stand_in(original)
        if stand_in is None:
            continue
        if key is None:
            container.cell_contents = stand_in
        else:
            container[key] = stand_in
        swapped.append((container, key, original, stand_in))
    if leaves is not None and any(isinstance(x, _GENERATOR_TYPES) for x in leaves):
        leaves = [
            (_stand_in(x) or x) if type(x) in (np.random.Generator, np.random.RandomState) else x
            for x in leaves
        ]
    try:
        if legacy:
            with _legacy_hooked():
                yield leaves
        else:
            yield leaves
    finally:
        for container, key, original, stand_in in swapped:
            # Put the original back unless the function itself rebound the slot.
            if key is None:
                if container.cell_contents is stand_in:
                    container.cell_contents = original
            elif container.get(key) is stand_in:
                container[key] = original


def check_mode(randomness: str) -> None:
    if randomness not in RANDOMNESS_MODES and randomness != DASK_MODE:
        raise errors.OptionError(
            f"vmap randomness must be 'loop', 'same' or 'error', got {randomness!r}."
        )
