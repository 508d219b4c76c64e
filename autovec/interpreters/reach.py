"""What a transformed function can reach without arguments, found in one walk and cached.

Two things need it on every eager vmap call: the arrays every example shares are made
read-only while the function runs (autovec/interpreters/batching.py), and the random
generators it reaches draw through hooks (autovec/interpreters/randomness.py).  Both come
from one walk over the function: its closure cells, default values, the globals its code
names, and those of the helper functions it reaches so (a few levels deep); the arguments of
a ``functools.partial``; the attributes of a bound method's object or a callable object.

The walk is cached per function object.  Each call re-reads only the slots the walk read
(the cells' contents, the named globals, the attribute dicts, ...) and compares what they
hold by identity with what the walk saw; anything rebound since (a generator or an array put
in a global after the first call) makes the call walk again.  What may change without a
rebinding -- the items of a list or dict, an array's contents and flags -- is read by the
callers when they use the result, never cached.  The cache holds what it can weakly
(functions, objects, arrays), so it keeps nothing alive that the program has let go of, and
an entry goes when its function does.
"""

from __future__ import annotations

import functools
import operator
import types
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

GENERATOR_TYPES = (np.random.Generator, np.random.RandomState)
_RAND = np.random.mtrand._rand  # the RandomState behind the legacy np.random.* functions
# Names of the legacy functions that can be hooked (set by randomness.py, which owns them).
LEGACY_NAMES: frozenset[str] = frozenset()
# Code that names these may call the legacy np.random functions through the module.
_LEGACY_MODULE_NAMES = frozenset({"random", "default_rng"})
# How deep the walk follows helper functions: the user's own (same module: their shared
# arrays are protected) and any other (only for their generators).
_DEPTH_OWN = 3
_DEPTH_OTHER = 2
_EMPTY_CELL = object()


class _Weak(weakref.ref):
    """How the cache holds what it can hold weakly (never confused with a user's weakref)."""

    __slots__ = ()


# Held as they are: they cannot hold on to a user's function or array, and the check of
# what is held strongly is a plain identity test.
_STRONG = (types.ModuleType, types.CodeType, types.BuiltinFunctionType, type(None))


def _hold(x: Any) -> Any:
    if isinstance(x, _STRONG):
        return x
    try:
        return _Weak(x)
    except TypeError:  # ints, tuples, lists, dicts, ...: held as they are
        return x


def _get(held: Any) -> Any:
    return held() if type(held) is _Weak else held


class Reach:
    """The result of one walk over a function: the values it can reach (for shared-array
    protection), the slots holding random generators, whether it may call ``np.random.*``,
    and the reads that tell whether all of this still holds."""

    __slots__ = ("_values", "_slots", "legacy", "_reads")

    def __init__(self) -> None:
        self._values: list = []
        self._slots: list[tuple[Any, Callable[[Any], Any], Any]] = []
        self.legacy = False
        # (reader, its source, what it read): reader(source) is a tuple of values.
        self._reads: list[tuple[Callable[[Any], tuple], Any, tuple]] = []

    def values(self) -> list:
        """What the function reaches (arrays, tracers, containers, other objects)."""
        return [_get(v) for v in self._values] if self._values else []

    @property
    def has_slots(self) -> bool:
        return bool(self._slots)

    def slots(self) -> list[tuple[Any, Any]]:
        """``(cell, None)`` or ``(dict, key)`` of each slot holding a random generator."""
        return [(container(_get(source)), key) for source, container, key in self._slots]

    def reached(self) -> list:
        """``values()`` and what the generator slots hold now: the stand-ins while
        randomness.hooked has them in place (random_hidden.py tells hooked generators from
        others by them)."""
        out = self.values()
        for container, key in self.slots():
            try:
                out.append(container.cell_contents if key is None else container.get(key))
            except ValueError:  # a cell emptied since
                pass
        return out

    def unchanged(self) -> bool:
        """Whether every slot the walk read still holds what it held (by identity)."""
        for read, source, seen in self._reads:
            if type(source) is _Weak:
                source = source()
                if source is None:
                    return False
            now = read(source)
            if len(now) != len(seen):
                return False
            if all(map(operator.is_, now, seen)):
                continue
            for a, b in zip(now, seen):
                if a is not b and (type(b) is not _Weak or b() is not a):
                    return False
        return True

    def _read(self, read: Callable[[Any], tuple], source: Any) -> tuple:
        now = read(source)
        self._reads.append((read, _hold(source), tuple(map(_hold, now))))
        return now


# Readers: what a source holds now, as a tuple; the walk and the check use the same ones.
def _read_cells(f: types.FunctionType) -> tuple:
    out = []
    for c in f.__closure__ or ():
        try:
            out.append(c.cell_contents)
        except ValueError:  # a cell not yet assigned
            out.append(_EMPTY_CELL)
    return tuple(out)


def _read_function(f: types.FunctionType) -> tuple:
    kw = f.__kwdefaults__
    wrapped = f.__dict__.get("__wrapped__") if f.__dict__ else None
    return (f.__code__, f.__defaults__, wrapped, *(kw.values() if kw else ()))


def _read_globals(source: tuple) -> tuple:
    g, names = source
    return tuple(map(g.get, names))


def _read_attributes(obj: Any) -> tuple:
    d = getattr(obj, "__dict__", None)
    return (*d, *d.values()) if isinstance(d, dict) else ()


def _read_partial(p: functools.partial) -> tuple:
    return (p.func, *p.args, *p.keywords, *p.keywords.values())


def _read_call(obj: Any) -> tuple:
    return (type(obj).__call__, getattr(obj, "__wrapped__", None))


def _cell_of(index: int) -> Callable[[Any], Any]:
    return lambda f: f.__closure__[index]


def _attributes_of(obj: Any) -> dict:
    return obj.__dict__


def _same(g: Any) -> Any:
    return g


@functools.lru_cache(maxsize=4096)
def global_names(code: types.CodeType) -> tuple[str, ...]:
    """The global names ``code`` (and the code nested in it: lambdas, comprehensions) uses."""
    names = list(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names.extend(global_names(c))
    return tuple(dict.fromkeys(names))


def _is_generator(value: Any, name: Any = None) -> bool:
    """A generator, or a legacy ``np.random`` function (``from numpy.random import normal``)
    held under the name ``name`` (its own name for a cell)."""
    if isinstance(value, GENERATOR_TYPES):
        return True
    if getattr(value, "__self__", None) is not _RAND:
        return False
    return (name if name is not None else getattr(value, "__name__", None)) in LEGACY_NAMES


def _is_plain_object(v: Any) -> bool:
    return isinstance(getattr(v, "__dict__", None), dict) and not isinstance(
        v, (type, types.ModuleType, types.FunctionType, np.ndarray)
    )


def _walk(fun: Any) -> Reach:
    found = Reach()
    seen: set[tuple[int, bool]] = set()
    slots_seen: set[tuple[int, Any]] = set()

    def slot(source: Any, container: Callable[[Any], Any], key: Any, where: Any) -> None:
        if (id(where), key) not in slots_seen:
            slots_seen.add((id(where), key))
            found._slots.append((_hold(source), container, key))

    def keep(v: Any) -> None:
        found._values.append(_hold(v))

    def attributes(obj: Any, own: bool) -> None:
        now = found._read(_read_attributes, obj)
        half = len(now) // 2
        for key, v in zip(now[:half], now[half:]):
            if isinstance(v, GENERATOR_TYPES):
                slot(obj, _attributes_of, key, obj)
            if own:
                keep(v)

    def value(v: Any, g: dict, depth: int, own: bool, follow: bool) -> None:
        """A value read in a function whose globals are ``g``: walked into if it is a
        helper function of the same module, kept if the function is the user's."""
        if own and type(v) is types.FunctionType and v.__globals__ is g:
            visit(v, depth + 1, True)
            return
        if own:
            keep(v)
        if follow:
            visit(v, depth + 1, False)

    def visit(obj: Any, depth: int, own: bool) -> None:
        if depth > (_DEPTH_OWN if own else _DEPTH_OTHER) or (id(obj), own) in seen:
            return
        seen.add((id(obj), own))
        kind = type(obj)
        if kind is functools.partial:
            now = found._read(_read_partial, obj)
            for v in now[1 : 1 + len(obj.args)] + now[1 + len(obj.args) + len(obj.keywords) :]:
                if own:
                    keep(v)
                if _is_plain_object(v):  # partial(Model.step, model): as a bound method
                    attributes(v, own)
            visit(obj.func, depth, own)
        elif kind is types.MethodType:
            attributes(obj.__self__, own)
            visit(obj.__func__, depth, own)
        elif kind is types.FunctionType:
            _, defaults, wrapped, *kwdefaults = found._read(_read_function, obj)
            if wrapped is not None:  # functools.wraps: the function it stands for
                visit(wrapped, depth, own)
            g = obj.__globals__
            if obj.__closure__:
                for i, v in enumerate(found._read(_read_cells, obj)):
                    if v is _EMPTY_CELL:
                        continue
                    if _is_generator(v):
                        slot(obj, _cell_of(i), None, obj.__closure__[i])
                    value(v, g, depth, own, callable(v))
            if own:
                for v in (*(defaults or ()), *kwdefaults):
                    value(v, g, depth, own, False)
            names = global_names(obj.__code__)
            if not _LEGACY_MODULE_NAMES.isdisjoint(names):
                found.legacy = True
            if names:
                for name, v in zip(names, found._read(_read_globals, (g, names))):
                    if v is None:
                        continue
                    if _is_generator(v, name):
                        slot(g, _same, name, g)
                    follow = type(v) is types.FunctionType or type(v) is types.MethodType
                    value(v, g, depth, own, follow)
        elif callable(obj) and not isinstance(obj, type) and hasattr(obj, "__dict__"):
            attributes(obj, own)  # a callable object: its state
            call, wrapped = found._read(_read_call, obj)
            if wrapped is not None and wrapped is not obj:
                visit(wrapped, depth, own)
            visit(call, depth + 1, own)

    visit(fun, 0, True)
    return found


# id(fun) -> (a weak reference to fun, its Reach).  An entry goes when its function dies.
_CACHE: dict[int, tuple[Any, Reach]] = {}


def reach(fun: Any) -> Reach:
    """What ``fun`` reaches, from the cache when nothing it read has been rebound since."""
    key = id(fun)
    entry = _CACHE.get(key)
    if entry is not None and entry[0]() is fun:
        if entry[1].unchanged():
            return entry[1]
        ref = entry[0]
    else:
        try:
            ref = weakref.ref(fun, functools.partial(_forget, key))
        except TypeError:  # not weakly referable: walked on every call
            return _walk(fun)
    found = _walk(fun)
    _CACHE[key] = (ref, found)
    return found


def _forget(key: int, ref: Any, cache: dict = _CACHE) -> None:
    entry = cache.get(key)  # (the default: module globals may be gone at interpreter exit)
    if entry is not None and entry[0] is ref:
        del cache[key]


# The Reach of each function in a call in progress (vmap's, or jit's tracing with hooks in
# place), so that the call reads its slots once: while hooks are in place they hold
# stand-ins, which a check would take for a rebinding.  id(fun) -> (fun, Reach).
_IN_USE: dict[int, tuple[Any, Reach]] = {}


def current(fun: Any) -> Reach:
    """The Reach in use for ``fun`` by a call in progress, else ``reach(fun)``."""
    entry = _IN_USE.get(id(fun))
    if entry is not None and entry[0] is fun:
        return entry[1]
    return reach(fun)


class InUse:
    """``with InUse(fun, found):`` -- ``current(fun)`` is ``found`` inside the block (the
    entry it replaced, if any, comes back after it)."""

    __slots__ = ("key", "entry", "before")

    def __init__(self, fun: Any, found: Reach):
        self.key = id(fun)
        self.entry = (fun, found)

    def __enter__(self) -> Reach:
        self.before = _IN_USE.get(self.key)
        _IN_USE[self.key] = self.entry
        return self.entry[1]

    def __exit__(self, *exc: Any) -> None:
        if self.before is None:
            _IN_USE.pop(self.key, None)
        else:
            _IN_USE[self.key] = self.before
