"""``jit``: trace once into a program, optimise it, compile it to Python source over ``xp``
calls, and replay it from a cache keyed on the arguments' structure, shapes and dtypes.

``jit`` is also a primitive (``jit_p``, a call of a sub-program), so it composes with vmap in
every order: ``vmap(jit(f))`` batches the program and re-stages it; ``jit(vmap(f))`` traces
through the batch trace; a jit inside a jit is inlined into one program.
"""

from __future__ import annotations

import functools
import inspect
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autovec import errors
from autovec.backends import input_namespace
from autovec.core import EVAL_TRACE, ShapedArray, Tracer, _current_trace, get_aval, plain_ndarray
from autovec.interpreters.batching import BatchTrace, BatchTracer
from autovec.interpreters.codegen import Lowered as Lowered  # jit(f).lower(...) gives one
from autovec.interpreters.codegen import compiled_for as compiled_for  # for control.py
from autovec.interpreters.fused import backend_function, check_backend, default_backend
from autovec.interpreters.labels import leaf_labels
from autovec.interpreters.optimize import optimize
from autovec.interpreters.random_hidden import draws_seen
from autovec.interpreters.randomness import hooked
from autovec.interpreters.staging import (
    StagingTrace,
    recording_errstate,
    trace_to_program,
    user_source,
)
from autovec.interpreters.unstaged import (
    FALLBACK_MODES,
    NEEDS_VALUES,
    GeneratorArgument,
    Unstaged,
    closed_over_read_only,
    reached,
    run_eagerly,
    runs_eagerly,
    user_line,
    warn_unstaged,
)
from autovec.interpreters.writeback import with_write_back, write_back_jit
from autovec.ir import Program, eval_program, exact_key
from autovec.prims.base import VIEW, Arg, Sample, declare
from autovec.prims.elementwise import BINARY, UNARY
from autovec.prims.reductions import REDUCTIONS
from autovec.tree import PyTreeDef, tree_flatten, tree_unflatten

# How many argument signatures a jitted function keeps compiled (least recently used go
# first); ``jit(f, cache_size=...)`` sets it per function.
DEFAULT_CACHE_SIZE = 128
# How many batched versions (batch axes and size) of one program vmap(jit(f)) keeps.
BATCHED_CACHE_SIZE = 32


# ------------------------------------------------------------------------- the jit primitive


def _jit_impl(xp: Any, *args: Any, program: Program, name: str) -> tuple:
    return compiled_for(program, xp)(*args)  # Compiled.__call__ explains errors


def _jit_shape(*avals: ShapedArray, program: Program, name: str) -> list[ShapedArray]:
    return list(program.out_avals)


def batch_program(program: Program, dims: tuple, axis_size: int) -> tuple[Program, list]:
    """``program`` vectorised over a batch axis at ``dims`` (None: unbatched input); returns
    the new program and each output's batch axis (None where an output is unbatched)."""
    key = ("batched", dims, axis_size)
    hit = program._cache.pop(key, None)
    if hit is not None:
        program._cache[key] = hit  # most recently used last
        return hit
    staging = StagingTrace(EVAL_TRACE)
    in_tracers = []
    for v, d in zip(program.in_vars, dims):
        shape = list(v.aval.shape)
        if d is not None:
            shape.insert(d, axis_size)
        in_tracers.append(
            staging.new_arg(ShapedArray(tuple(shape), v.aval.dtype, v.aval.weak_type))
        )
    btrace = BatchTrace(staging, axis_size)
    args = [t if d is None else BatchTracer(btrace, t, d) for t, d in zip(in_tracers, dims)]
    token = _current_trace.set(btrace)
    try:
        with recording_errstate(staging):
            outs = eval_program(program, args)
    finally:
        _current_trace.reset(token)
        btrace.alive = False
    out_dims = [o.bdim if type(o) is BatchTracer and o._trace is btrace else None for o in outs]
    out_vals = [o.val if d is not None else o for o, d in zip(outs, out_dims)]
    token = _current_trace.set(staging)
    try:
        batched = optimize(staging.finish(out_vals, f"vmap_{program.name}"))
    finally:
        _current_trace.reset(token)
        staging.alive = False
    program._cache[key] = (batched, out_dims)
    batched_keys = [k for k in program._cache if k[0] == "batched"]
    for old in batched_keys[: max(0, len(batched_keys) - BATCHED_CACHE_SIZE)]:
        del program._cache[old]  # the least recently used batch layouts and sizes
    return batched, out_dims


def _jit_batch(axis_size: int, args: tuple, dims: tuple, *, program: Program, name: str):
    batched, out_dims = batch_program(program, tuple(dims), axis_size)
    outs = jit_p.bind(*args, program=batched, name=name)
    return list(outs), out_dims


def _sample_program() -> Program:
    """A small program for the generic primitive tests: (sin(x) * y, sum(x))."""

    def sample(x: Any, y: Any) -> tuple:
        s = BINARY["multiply"].bind(UNARY["sin"].bind(x), y)
        return s, REDUCTIONS["sum"].bind(x, axes=(0,), keepdims=False)

    f64 = np.dtype(np.float64)
    program, _, _ = trace_to_program(
        sample, [ShapedArray((3,), f64), ShapedArray((), f64)], name="sample"
    )
    return program


jit_p = declare(
    "jit",
    impl=_jit_impl,
    shape=_jit_shape,
    batch=_jit_batch,
    output=VIEW,  # a program may return its inputs, or views of them
    inline=True,
    multiple_results=True,
    samples=[Sample((Arg((3,)), Arg(())), {"program": _sample_program(), "name": "sample"})],
    doc="Call a staged program (what jit leaves behind under other transformations).",
)


# ---------------------------------------------------------------------------- the jit API


class _Entry:
    """One cached signature: the compiled function, or (``program`` None) a function jit
    could not stage, which runs uncompiled."""

    __slots__ = ("fn", "out_def", "single", "program", "written")

    def __init__(self, fn: Callable[..., tuple], out_def: Any, program: Program | None, written=()):
        self.fn = fn if not written or fn is None else with_write_back(fn, self)
        self.out_def = out_def
        # One array out (or the whole result of an uncompiled run): skip unflattening.
        self.single = out_def is None or out_def.node_type is None
        self.program = program
        # The arguments the function updates in place (see trace_to_program's ``written``):
        # their final values are extra outputs, which each call copies into them.
        self.written = written


_PY_SCALARS = (int, float, complex, bool)


def _leaf_key(x: Any) -> Any:
    t = type(x)
    if t is np.ndarray:
        return (x.shape, x.dtype)
    if t in _PY_SCALARS:
        return t
    if isinstance(x, Tracer):
        return None  # not at the eval trace: the slow path handles it
    if isinstance(x, np.generic):
        return (t, x.dtype)
    if isinstance(x, np.ndarray):
        plain_ndarray(x, "jit")  # a subclass that changes NumPy's meaning: a clear error
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return (t, tuple(x.shape), x.dtype, getattr(x, "device", None))
    if isinstance(x, (np.random.Generator, np.random.RandomState)):
        raise GeneratorArgument(f"a {t.__name__} passed as an argument")
    raise errors.UnsupportedOperationError(
        f"jit got an argument of type {t.__name__}, which is not an array or a number. Mark "
        f"it static (jit(f, static_argnums=...) or static_argnames=...) if it configures the "
        f"function, or pass it as an array."
    )


def _aval_of(x: Any) -> ShapedArray:
    if isinstance(x, Tracer):
        return x.aval
    _leaf_key(x)  # the clear error for non-array leaves
    return get_aval(x)


class Jitted:
    """The function ``jit(fun)`` returns: callable, with ``lower`` and cache inspection."""

    def __init__(
        self,
        fun: Callable,
        static_argnums: tuple[int, ...],
        static_argnames: tuple[str, ...],
        cache_size: int | None = None,
        fallback: str = "warn",
        backend: str | None = None,
    ):
        if fallback not in FALLBACK_MODES:
            raise errors.OptionError(
                f"jit fallback must be 'warn', 'eager' or 'error', got {fallback!r}."
            )
        self.fallback = fallback
        self.fun = fun
        self.backend = default_backend() if backend is None else check_backend(backend)
        # Least recently used first; a hit moves its entry to the end.
        self._cache: OrderedDict[Any, _Entry] = OrderedDict()
        size = DEFAULT_CACHE_SIZE if cache_size is None else cache_size
        if type(size) is not int or size < 1:
            raise ValueError(f"jit cache_size must be a positive int, got {size!r}")
        self.cache_size = size
        self.trace_count = 0
        _all_jitted.add(self)
        try:
            self._signature: inspect.Signature | None = inspect.signature(fun)
        except (TypeError, ValueError):
            self._signature = None
        # As in JAX, a static parameter is static whether it is passed by position or name.
        positional = (
            []
            if self._signature is None
            else [
                p.name
                for p in self._signature.parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
        )
        nums = set(static_argnums)
        names = set(static_argnames)
        nums |= {positional.index(n) for n in static_argnames if n in positional}
        names |= {positional[i] for i in static_argnums if 0 <= i < len(positional)}
        self.static_argnums = tuple(sorted(nums))
        self.static_argnames = tuple(sorted(names))
        # Name, docstring and __wrapped__ only: copying fun's __dict__ (as update_wrapper does
        # by default) would let a wrapped Jitted's attributes overwrite ours.
        functools.update_wrapper(self, fun, updated=())

    def __reduce__(self) -> tuple:
        # Pickled (to a dask worker, say) as the function and its options: compiled programs
        # hold generated code and run-time state that belong to this process.
        options = (self.static_argnums, self.static_argnames, self.cache_size, self.fallback)
        return (Jitted, (self.fun, *options, self.backend))

    # -- the fast path: plain arrays at the eval trace, positional arguments, no statics --
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs and not self.static_argnums and _current_trace.get() is EVAL_TRACE:
            leaves, treedef = tree_flatten(args)
            try:
                key = (treedef, *[_leaf_key(x) for x in leaves])
                entry = self._cache.get(key)
            except TypeError:
                entry = None
                key = None
            if entry is None and key is not None and None not in key:
                entry = self._trace(args, {}, leaves, key)
            elif entry is not None and len(self._cache) > 1:
                self._cache.move_to_end(key)
            if entry is not None:
                try:
                    out = entry.fn(*leaves)
                except Exception as exc:
                    if not runs_eagerly(exc):
                        raise
                    failed = exc
                else:
                    return out[0] if entry.single else tree_unflatten(entry.out_def, out)
                return self._run_eagerly(failed, args, {})
        return self._call_slow(args, kwargs)

    def _split_static(self, args: tuple, kwargs: dict) -> tuple[tuple, dict, tuple]:
        statics = []
        dyn_args = list(args)
        for i in self.static_argnums:
            j = i if i >= 0 else len(args) + i
            if not 0 <= j < len(args):
                continue  # given by name, or left to its default: either way not traced
            statics.append(("pos", j, args[j]))
        dyn_kwargs = dict(kwargs)
        for k in self.static_argnames:
            if k in dyn_kwargs:
                statics.append(("kw", k, dyn_kwargs.pop(k)))
        drop = {j for kind, j, _ in statics if kind == "pos"}
        dyn_args = [a for j, a in enumerate(args) if j not in drop]
        try:
            hash(tuple(statics))
        except TypeError as e:
            bad = next(s for s in statics if not _hashable(s[2]))
            raise errors.NonHashableStaticArgumentError(
                f"jit static argument {bad[1]!r} must be hashable (it keys the cache), got a "
                f"{type(bad[2]).__name__}. {errors.hashable_advice(bad[2])}"
            ) from e
        # Keyed by type and bits as well as by value, as in JAX: 1, 1.0, True and
        # np.float32(1) are equal but promote differently; 0.0 and -0.0 differ in sign.
        key = tuple((kind, j, exact_key(v)) for kind, j, v in statics)
        return tuple(dyn_args), dyn_kwargs, key

    def _call_slow(self, args: tuple, kwargs: dict) -> Any:
        dyn_args, dyn_kwargs, static_key = self._split_static(args, kwargs)
        leaves, treedef = tree_flatten((dyn_args, dyn_kwargs))
        try:
            avals = [_aval_of(x) for x in leaves]
        except GeneratorArgument as exc:
            if self.fallback == "error":
                raise errors.RandomUnderJitError(
                    f"jit got {exc}: the function draws random numbers, which a compiled "
                    f"program cannot do at run time. Draw outside jit and pass the numbers in."
                ) from None
            if self.fallback == "warn":
                why = Unstaged(errors.RandomUnderJitError(f"{exc}."), user_source())
                warn_unstaged(self.fun, why)
            return self.fun(*args, **kwargs)  # uncompiled, at the current transformation
        at_eval = _current_trace.get() is EVAL_TRACE and not any(
            isinstance(x, Tracer) for x in leaves
        )
        if at_eval:
            key = ("eval", treedef, static_key, *[_leaf_key(x) for x in leaves])
            entry = self._lookup(key) or self._trace(args, kwargs, leaves, key)
            if entry.program is None:
                return self.fun(*args, **kwargs)
            try:
                out = entry.fn(*leaves)
            except Exception as exc:
                if not runs_eagerly(exc):
                    raise
                failed = exc
            else:
                return out[0] if entry.single else tree_unflatten(entry.out_def, out)
            return self._run_eagerly(failed, args, kwargs)
        # Under another transformation: stage (or reuse) the program, bind the jit primitive.
        key = ("abstract", treedef, static_key, *avals)
        entry = self._lookup(key)
        lifted: list = []
        if entry is None:
            try:
                program, out_def, lifted, written = self._stage(args, kwargs, treedef, avals)
            except Unstaged as why:
                entry = self._unstaged(args, why)
                self._store(key, entry)
            else:
                entry = _Entry(None, out_def, program, written)  # type: ignore[arg-type]
                if not lifted:  # a closure over an enclosing tracer cannot be reused later
                    self._store(key, entry)
        if entry.program is None:  # under the enclosing transformation, uncompiled
            return self.fun(*args, **kwargs)
        try:
            outs = jit_p.bind(*lifted, *leaves, program=entry.program, name=entry.program.name)
        except Exception as exc:
            if not runs_eagerly(exc):
                raise
            failed = exc
        else:
            return tree_unflatten(entry.out_def, write_back_jit(entry, leaves, outs))
        return self._run_eagerly(failed, args, kwargs)  # under vmap: per example

    def _run_eagerly(self, failed: Exception, args: tuple, kwargs: dict) -> Any:
        return run_eagerly(self.fun, failed, args, kwargs)

    def _stage(
        self, args: tuple, kwargs: dict, treedef: PyTreeDef, avals: list[ShapedArray]
    ) -> tuple[Program, PyTreeDef, list, tuple]:
        """Trace ``fun`` at ``avals`` (the dynamic leaves) and optimise the program; also
        returns the arguments it updates in place (see ``trace_to_program``'s ``written``):
        their final values are extra outputs, which the call copies into them."""
        self.trace_count += 1
        static = {i if i >= 0 else len(args) + i for i in self.static_argnums}
        positions = [j for j in range(len(args)) if j not in static]
        # Draws from generators the function reaches raise while tracing (randomness.py).
        noted: list = []  # what needed a concrete value, even if the function caught it
        try:
            with (
                hooked(self.fun),
                draws_seen(reached(self.fun), noted),
                closed_over_read_only(self.fun, self.fallback),
            ):
                program, out_def, lifted = trace_to_program(
                    self.fun,
                    avals,
                    name=getattr(self.fun, "__name__", "f"),
                    labels=leaf_labels(self._signature, treedef, positions),
                    arg_builder=self._arg_builder(args, kwargs, treedef),
                    unstageable=noted,
                    written=(written := []),
                )
        except Exception as err:
            if noted or isinstance(err, NEEDS_VALUES):
                error, source = noted[0] if noted else (err, None)
                if self.fallback == "error":
                    raise
                raise Unstaged(error, source or user_line(err)) from err
            raise
        if noted:
            if self.fallback == "error":
                raise noted[0][0]  # caught by the function: the program would be wrong
            raise Unstaged(*noted[0])
        return optimize(program), out_def, lifted, tuple(written)

    def _unstaged(self, args: tuple, why: Unstaged) -> _Entry:
        """The cache entry of a signature jit cannot stage: the function runs uncompiled."""
        if self.fallback == "warn":
            warn_unstaged(self.fun, why)
        fun, treedef = self.fun, tree_flatten(args)[1]

        def uncompiled(*leaves: Any) -> tuple:  # the fast path's call: positional only
            return (fun(*tree_unflatten(treedef, leaves)),)

        return _Entry(uncompiled, None, None)

    def _arg_builder(
        self, args: tuple, kwargs: dict, treedef: PyTreeDef
    ) -> Callable[[list], tuple[tuple, dict]]:
        """Put the tracers for the dynamic leaves back among the static arguments."""
        static_pos = {
            (i if i >= 0 else len(args) + i): args[i]
            for i in self.static_argnums
            if -len(args) <= i < len(args)
        }
        static_kw = {k: kwargs[k] for k in self.static_argnames if k in kwargs}

        def build(tracers: list) -> tuple[tuple, dict]:
            dyn_a, dyn_k = tree_unflatten(treedef, tracers)
            it = iter(dyn_a)
            full = [static_pos[j] if j in static_pos else next(it) for j in range(len(args))]
            return tuple(full), {**dyn_k, **static_kw}

        return build

    def _trace(self, args: tuple, kwargs: dict, leaves: list, key: Any) -> _Entry:
        dyn_args, dyn_kwargs, _ = self._split_static(args, kwargs)
        treedef = tree_flatten((dyn_args, dyn_kwargs))[1]
        xp = input_namespace(leaves, "jit")  # one library per call (BackendMismatchError)
        try:
            avals = [_aval_of(x) for x in leaves]
            program, out_def, _, written = self._stage(args, kwargs, treedef, avals)
        except Unstaged as why:
            entry = self._unstaged(args, why)
            self._store(key, entry)
            return entry
        fn = backend_function(program, xp, self.backend)
        entry = _Entry(fn, out_def, program, written)
        self._store(key, entry)
        return entry

    def _lookup(self, key: Any) -> _Entry | None:
        entry = self._cache.get(key)
        if entry is not None:
            self._cache.move_to_end(key)
        return entry

    def _store(self, key: Any, entry: _Entry) -> None:
        self._cache[key] = entry
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)  # the least recently used signature

    def lower(self, *args: Any, **kwargs: Any) -> Lowered:
        """Trace and optimise for these arguments (JAX's ``jit(f).lower(...)``)."""
        dyn_args, dyn_kwargs, _ = self._split_static(args, kwargs)
        leaves, treedef = tree_flatten((dyn_args, dyn_kwargs))
        try:
            program, out_def = self._stage(args, kwargs, treedef, list(map(_aval_of, leaves)))[:2]
        except Unstaged as why:  # no program to show: what stopped the trace
            raise why.error from None
        return Lowered(program, out_def)

    def _cache_size(self) -> int:
        """How many signatures are cached now (JAX's spelling); at most ``cache_size``."""
        return len(self._cache)

    def clear_cache(self) -> None:
        """Forget every traced signature (and the constants their programs hold)."""
        self._cache.clear()


# Every jitted function alive, for clear_caches (weakly: they go when their owner drops them).
_all_jitted: weakref.WeakSet[Jitted] = weakref.WeakSet()


def clear_caches() -> None:
    """Clear the cache of every jitted function (JAX's ``jax.clear_caches``)."""
    for jitted in list(_all_jitted):
        jitted.clear_cache()


def _hashable(x: Any) -> bool:
    try:
        hash(x)
    except TypeError:
        return False
    return True


def jit(
    fun: Callable | None = None,
    *,
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
    cache_size: int | None = None,
    fallback: str = "warn",
    backend: str | None = None,
) -> Any:
    """Trace ``fun`` once per argument signature and replay the compiled program.

    The cache is keyed on the arguments' tree structure, shapes, dtypes (Python scalars by
    type: they stay weakly typed, as in NumPy) and the types and values of static arguments,
    which must be hashable. It keeps the ``cache_size`` most recently used signatures
    (default ``autovec.interpreters.jit.DEFAULT_CACHE_SIZE``, 128); ``clear_cache()``
    empties it, ``autovec.clear_caches()`` empties every jitted function's.
    ``jit(f).lower(*args)`` shows the optimised program (``.as_text()``) and the generated
    Python source (``.as_python()``).

    Code that needs a concrete value of a traced one (a Python ``if``/``while`` on it,
    ``float(x)``, ``np.asarray(x)``, a size that depends on the values, a random draw)
    cannot be compiled: for that signature ``fun`` runs uncompiled, giving what it gives
    without jit (``jit(vmap(f))`` is then eager vmap, which splits its batch there).
    ``fallback`` says what else happens: ``"warn"`` (default, one ``JitFallbackWarning``
    naming the line), ``"eager"`` (nothing), ``"error"`` (raise the error tracing met).

    ``backend`` chooses what runs the program: ``"numpy"`` (generated NumPy code),
    ``"numba"`` (elementwise chains and the reductions ending them fused into numba loops;
    needs numba) or ``"auto"`` (numba for large enough work from the second call on,
    else NumPy); by default ``$AUTOVEC_JIT_BACKEND``, else ``"auto"``. Every backend gives
    NumPy's results (docs/how-jit-works.md).

    >>> import numpy as np, autovec
    >>> f = autovec.jit(lambda x: x * x + 1)
    >>> f(np.arange(3.0))
    array([1., 2., 5.])
    >>> print(f.lower(np.arange(3.0)).as_text())
    { lambda a:f64[3] .
        b:f64[3] = multiply a a
        c:f64[3] = add b 1
      in (c,) }
    """
    if fun is None:
        return functools.partial(
            jit,
            static_argnums=static_argnums,
            static_argnames=static_argnames,
            cache_size=cache_size,
            fallback=fallback,
            backend=backend,
        )
    if not callable(fun):
        raise TypeError(f"jit expects a callable, got {type(fun).__name__}")
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    if isinstance(static_argnames, str):
        static_argnames = (static_argnames,)
    return Jitted(fun, tuple(static_argnums), tuple(static_argnames), cache_size, fallback, backend)


def make_ir(
    fun: Callable,
    *,
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
) -> Callable[..., Program]:
    """``make_ir(f)(*args)`` returns the program ``f`` traces to (unoptimised), printable
    like JAX's ``make_jaxpr``.

    >>> import numpy as np, autovec
    >>> print(autovec.make_ir(lambda x, y: np.sin(x) @ y)(np.ones((4, 5)), np.ones(5)))
    { lambda a:f64[4,5] b:f64[5] .
        c:f64[4,5] = sin a
        d:f64[4] = dot_general[dimension_numbers=(((1,), (0,)), ((), ()))] c b
      in (d,) }
    """
    jitted = jit(fun, static_argnums=static_argnums, static_argnames=static_argnames)

    @functools.wraps(fun)
    def make(*args: Any, **kwargs: Any) -> Program:
        dyn_args, dyn_kwargs, _ = jitted._split_static(args, kwargs)
        leaves, treedef = tree_flatten((dyn_args, dyn_kwargs))
        noted: list = []
        program, _, _ = trace_to_program(
            fun,
            [_aval_of(x) for x in leaves],
            name=getattr(fun, "__name__", "f"),
            arg_builder=jitted._arg_builder(args, kwargs, treedef),
            unstageable=noted,
        )
        if noted:  # the function caught what stopped the trace: the program would be wrong
            raise noted[0][0]
        return program

    return make
