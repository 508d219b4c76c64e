"""The staging interpreter: trace a function into a ``Program`` instead of computing.

A ``StagingTracer`` knows only its abstract value and the program variable it stands for;
``StagingTrace.process_primitive`` runs the primitive's shape rule and appends an equation.
Concrete values met while tracing become literals (scalars) or constants (arrays); live
tracers of an enclosing transformation (a closure over a vmapped value, say) become extra
program inputs, so the program stays a closed, replayable function.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import (
    Primitive,
    ShapedArray,
    Trace,
    Tracer,
    _current_trace,
    escaped_tracer_error,
    get_aval,
    raise_numpy_write_error,
)
from autovec.interpreters.batch_views import _attach, _prepare_write, _write_through
from autovec.interpreters.batching import check_not_shared
from autovec.ir import (
    Eqn,
    Literal,
    Program,
    SourceInfo,
    Var,
    check_program,
    eval_program,
    replaying_source,
)
from autovec.prims.base import FRESH
from autovec.tree import tree_flatten

# When True (the test suite sets it), every program built is type-checked.
CHECK_PROGRAMS = False


class StagingTracer(Tracer):
    """A value inside a function being traced: an aval and the variable it will be."""

    # Not "var": that would hide ndarray's .var() method on traced values.
    __slots__ = ("_aval", "ir_var", "label", "_view", "_views", "_readonly", "__weakref__")
    VIEWS_LINKED = True  # views of it are linked to it (batch_views), as eager vmap's are

    def __init__(self, trace: StagingTrace, var: Var, label: str | None = None):
        self._trace = trace
        self.ir_var = var
        self._aval = var.aval
        self.label = label
        # As BatchTracer's: (base, prim, params, state) where this value may be a view of
        # ``base``; the live views of this one; whether NumPy makes it read-only.
        self._view: tuple | None = None
        self._views: dict | None = None
        self._readonly = False

    @property
    def aval(self) -> ShapedArray:
        return self._aval

    @property
    def shape(self) -> tuple[int, ...]:
        return self._aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self._aval.dtype

    @property
    def ndim(self) -> int:
        return len(self._aval.shape)

    def _become(self, other: Any) -> None:
        """Take ``other``'s value (in-place updates: ``x[i] = v``, ``x += v``, ...), as
        NumPy's write into memory would: a base this value is a view of takes the new values
        too (an update of the base through the view's positions, staged), and so does every
        live view of it or of that base.  A read-only view raises NumPy's error."""
        check_not_shared(self)  # not a value every example of a vmap inside jit shares
        chain = _write_chain(self)
        if (
            isinstance(other, Tracer)
            and other._trace is not self._trace
            and not other._trace.is_ancestor_of(self._trace)
        ):
            # A value of a transformation inside this one (a vmap's batched value written
            # into an in_axes=None argument or a closure): this program has one value where
            # that one has one per example. Adopting it would stage a wrong program.
            err = errors.UnsupportedOperationError(
                f"An in-place update (x[i] = v, x += v, ...) would make a value traced by jit "
                f"({self.aval.str_short()}) take a value {other._trace.kind} inside it "
                f"({other.aval.str_short()}). Build a new value instead: y = "
                f"autovec.numpy.set_at(x, i, v) (or add_at, where, ...), or pass x batched."
            )
            note_unstageable(self._trace, err)  # eager vmap keeps each example's value
            raise err
        self._take(other)
        if chain or self._views:
            _write_through(self, chain)

    def _take(self, other: Any) -> None:
        if not isinstance(other, StagingTracer) or other._trace is not self._trace:
            other = self._trace.to_tracer(other)
        self.ir_var, self._aval = other.ir_var, other._aval

    def _reset(self, other: StagingTracer) -> None:
        self.ir_var, self._aval = other.ir_var, other._aval

    def _reapply(self, prim: Primitive, base: StagingTracer, params: dict) -> None:
        self._reset(self._trace.stage(prim, (base,), params, link=False))

    def _concretization_message(self, what: str) -> str:
        name = f" `{self.label}`" if self.label else ""
        arg = f" {self.label.partition('[')[0]!r}" if self.label else ""
        return (
            f"{what} needs a concrete value, but the value{name} ({self.aval.str_short()}) is "
            f"traced by jit: only its shape and dtype are known while the function is traced. "
            f"If it is a configuration value (a flag, a size, a mode), mark the argument{arg} "
            f"static with jit(f, static_argnums=...) or static_argnames=...; for a "
            f"per-element choice use autovec.numpy.where(cond, x, y)."
        )


def _link(t: StagingTracer, base: Any, prim: Primitive, params: dict) -> None:
    if type(base) is StagingTracer and base._trace is t._trace:
        _attach(t, base, prim, params)
    elif isinstance(base, Tracer):
        # A view of a value of an enclosing transformation (a closure over a vmapped
        # value): a write into it would have to reach that value, which this program
        # cannot change. Marked, not linked (_write_chain raises).
        t._view = (base, prim, params, _FOREIGN)


_FOREIGN = "foreign"


def _write_chain(t: StagingTracer) -> list:
    """The views from ``t`` up to its outermost base that a write into ``t`` reaches (see
    ``batch_views._prepare_write``); raises where the write cannot be staged."""
    if t._view is None:
        if t._readonly:
            raise ValueError("assignment destination is read-only")
        return []
    node = t
    while node._view is not None:
        base = node._view[0]
        if node._view[3] == _FOREIGN:
            raise errors.UnsupportedOperationError(
                f"A write into a view ({t.aval.str_short()}) of a value "
                f"{base._trace.kind} outside this jitted function ({base.aval.str_short()}) "
                f"cannot reach that value from inside jit. Pass the value to the jitted "
                f"function as an argument and return the updated value, or build a new "
                f"value (autovec.numpy.set_at(x, i, v))."
            )
        node = base
    chain = _prepare_write(t)
    for child in chain:
        check_not_shared(child._view[0])
    return chain


def _noting(name: str) -> Callable[..., Any]:
    """Tracer's ``name`` (a conversion that needs a concrete value), noting the failure on
    the traces being staged before it raises."""
    base = getattr(Tracer, name)

    def method(self: StagingTracer, *args: Any, **kwargs: Any) -> Any:
        try:
            return base(self, *args, **kwargs)
        except errors.AutovecError as err:
            note_unstageable(self._trace, err)
            raise

    method.__name__ = name
    return method


for _name in (
    "__bool__",
    "__int__",
    "__index__",
    "__float__",
    "__complex__",
    "__round__",
    "__str__",
    "__format__",
    "__array__",
    "item",
    "tolist",
):
    setattr(StagingTracer, _name, _noting(_name))


def note_unstageable(trace: Any, error: BaseException) -> None:
    """Mark every jit trace enclosing ``trace`` unable to stage its function: the code needed
    a concrete value (``bool``, ``float``, ``np.asarray``, a size, a random draw) that only
    running it has.  jit then runs the function uncompiled (interpreters/jit.py).  The mark
    holds even when the function catches ``error`` and goes on, which would stage a program
    that differs from the function."""
    source = None
    while trace is not None:
        if type(trace) is StagingTrace and trace.unstageable is None:
            source = source or user_source()
            trace.unstageable = (error, source)
        trace = trace.parent


# Constants already captured (by id; the value holds while the array lives): re-staging a
# program (vmap of jit, loop roll-up) reads them again and need not copy them again.
_snapshots: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _snapshot(x: Any) -> Any:
    """A read-only copy of the array ``x`` (NumPy or another array library)."""
    if _snapshots.get(id(x)) is x:
        return x
    if isinstance(x, np.ndarray) or not hasattr(x, "shape"):
        out = np.array(x, copy=True)
        out.flags.writeable = False
        _snapshots[id(out)] = out
        return out
    copy = getattr(x, "copy", None)
    return copy() if callable(copy) else x


class StagingTrace(Trace):
    """Records equations for the program under construction."""

    __slots__ = (
        "in_vars",
        "eqns",
        "const_vars",
        "const_vals",
        "_const_ids",
        "lifted",
        "lifted_vars",
        "base_errstate",
        "relay",
        "unstageable",
    )
    kind = "traced by jit"

    def __init__(self, parent: Trace):
        super().__init__(parent)
        self.in_vars: list[Var] = []
        self.eqns: list[Eqn] = []
        self.const_vars: list[Var] = []
        self.const_vals: list[Any] = []
        self._const_ids: dict[int, tuple[Var, Any]] = {}
        self.lifted: list[Any] = []  # tracers of enclosing transformations, in order
        self.lifted_vars: list[Var] = []
        # The caller's floating-point error state. While ``recording_errstate`` runs, the
        # state is the relay's marker instead, and what differs from it is what the
        # function's own np.errstate blocks set.
        self.base_errstate = np.geterr()
        self.relay: _ErrorRelay | None = None
        # (error, source) of the first point that needed a concrete value: see note_unstageable.
        self.unstageable: tuple[BaseException, SourceInfo | None] | None = None

    def new_arg(self, aval: ShapedArray, label: str | None = None) -> StagingTracer:
        v = Var(aval)
        self.in_vars.append(v)
        return StagingTracer(self, v, label)

    def to_atom(self, x: Any) -> Any:
        if type(x) is StagingTracer and x._trace is self:
            return x.ir_var
        if isinstance(x, Tracer):
            if not x._trace.alive:
                raise escaped_tracer_error(x)
            return self._lift(x)
        if type(x) in (int, float, complex, bool) or (isinstance(x, np.generic)):
            return Literal(x)
        if isinstance(x, np.ndarray) and x.ndim == 0:
            return Literal(x[()])
        return self._const(x)

    def to_tracer(self, x: Any) -> StagingTracer:
        atom = self.to_atom(x)
        if isinstance(atom, Literal):
            atom = self._const(np.asarray(atom.val))
        return StagingTracer(self, atom)

    def _const(self, x: Any) -> Var:
        """The program constant for the array ``x``: a read-only copy taken now.

        jit captures arrays met while tracing (globals, closed-over arrays) as they are at
        trace time, as JAX does: later in-place changes of ``x`` are not seen, whether the
        program reads ``x`` itself or something folded from it, and the cache keeps the
        copy alive, not ``x``.
        """
        hit = self._const_ids.get(id(x))
        if hit is not None:
            return hit[0]
        snapshot = _snapshot(x)
        v = Var(get_aval(snapshot))
        # x stays referenced while tracing, so that its id cannot be reused meanwhile.
        self._const_ids[id(x)] = (v, x)
        self.const_vars.append(v)
        self.const_vals.append(snapshot)
        return v

    def _lift(self, t: Tracer) -> Var:
        for known, v in zip(self.lifted, self.lifted_vars):
            if known is t:
                return v
        v = Var(t.aval)
        self.lifted.append(t)
        self.lifted_vars.append(v)
        return v

    def process_primitive(self, prim: Primitive, args: tuple, params: dict) -> Any:
        if prim.facts.inline:  # a nested jit: inline it, one flat program to optimise
            return _inline(self, params["program"], args)
        return self.stage(prim, args, params)

    def stage(self, prim: Primitive, args: tuple, params: dict, link: bool = True) -> Any:
        """Append ``prim`` applied to ``args``; its output is linked to ``args[0]`` when it
        may be a view of it (the ``output`` fact), so that writes reach across the link."""
        inputs = [self.to_atom(a) for a in args]
        out_aval = prim.shape(*(a.aval for a in inputs), **params)
        out_avals = out_aval if prim.multiple_results else [out_aval]
        outs = [Var(a) for a in out_avals]
        source = replaying_source.get() or user_source()
        self.eqns.append(Eqn(prim, inputs, dict(params), outs, self.errstate_set(), source))
        tracers = [StagingTracer(self, v) for v in outs]
        if prim.multiple_results:
            return tuple(tracers)
        if link and len(args) == 1 and prim.facts.output != FRESH:
            _link(tracers[0], args[0], prim, params)
        return tracers[0]

    def errstate_set(self) -> tuple | None:
        """What the traced function's ``np.errstate`` blocks set here: sorted ``(category,
        mode)`` pairs (with ``("call", handler)`` if they set one), or None.

        Under ``recording_errstate`` every category the function did not set still reads
        ``"log"`` to the relay, whatever the caller's state: so a block is recorded even
        where it sets what the caller had set too, and the caller's state at call time
        applies to the rest, as it would eagerly.
        """
        err = np.geterr()
        relay = self.relay
        if relay is None:  # not recording: the state that differs from the caller's
            return None if err == self.base_errstate else tuple(sorted(err.items()))
        call = np.geterrcall()
        if call is relay:
            changed = tuple(sorted((k, m) for k, m in err.items() if m != "log"))
            return changed or None
        # The function installed its own handler: every category it may reach is its own.
        return (*sorted(err.items()), ("call", call))

    def finish(self, outs: list[Any], name: str) -> Program:
        """The program: lifted tracers' variables come first among the inputs."""
        # A 0-d array returned as it is stays an array (a constant the caller gets a copy of),
        # not a scalar literal.
        out_atoms = [
            self._const(o) if type(o) is np.ndarray and o.ndim == 0 else self.to_atom(o)
            for o in outs
        ]
        program = Program(
            self.const_vars,
            self.const_vals,
            self.lifted_vars + self.in_vars,
            self.eqns,
            out_atoms,
            name,
        )
        if CHECK_PROGRAMS:
            check_program(program)
        return program


_CATEGORIES = {
    "divide by zero": ("divide", 1),
    "overflow": ("over", 2),
    "underflow": ("under", 4),
    "invalid value": ("invalid", 8),
}


class _ErrorRelay:
    """The floating-point error handler while a function is traced.

    Every category is set to ``"log"`` with this object as the handler, so that the
    categories the function's own ``np.errstate`` blocks set stand out (they read other
    than ``"log"``). NumPy code that runs on concrete values at trace time still gets the
    caller's treatment: each message is handled here as the caller's state says.
    """

    __slots__ = ("state", "call")

    def __init__(self, state: dict[str, str], call: Any):
        self.state = state
        self.call = call

    def write(self, message: str) -> None:
        text = message.strip()
        if text.startswith("Warning: "):
            text = text[len("Warning: ") :]
        what = text.split(" encountered", 1)[0]
        category, flag = _CATEGORIES.get(what, ("invalid", 8))
        mode = self.state.get(category, "warn")
        if mode == "warn":
            warnings.warn(text, RuntimeWarning, stacklevel=2)
        elif mode == "raise":
            raise FloatingPointError(text)
        elif mode == "print":
            print(message.strip())
        elif mode == "call" and self.call is not None:
            self.call(what, flag)
        elif mode == "log" and self.call is not None:
            self.call.write(message)


@contextlib.contextmanager
def recording_errstate(trace: StagingTrace) -> Iterator[None]:
    """Trace under the relay's marker state (see ``_ErrorRelay``), so that ``trace`` records
    exactly what the function's ``np.errstate`` blocks set."""
    trace.relay = _ErrorRelay(np.geterr(), np.geterrcall())
    try:
        with np.errstate(all="log", call=trace.relay):
            yield
    finally:
        trace.relay = None


# Frames of these files are the library's own (NumPy's Python code calls back into ours
# through __array_function__): the user's line is the first frame outside them.
_LIBRARY_DIRS = (
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,  # autovec/
    os.path.dirname(os.path.abspath(np.__file__)) + os.sep,
)
_is_library_file: dict[str, bool] = {}


def user_source() -> SourceInfo | None:
    """The ``(file, line)`` of the innermost frame outside autovec and NumPy: where the
    user's code asked for the operation being traced (JAX's source info, but one frame)."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        inside = _is_library_file.get(filename)
        if inside is None:
            inside = _is_library_file[filename] = os.path.abspath(filename).startswith(
                (*_LIBRARY_DIRS, "<autovec.")
            )
        if not inside:
            return filename, frame.f_lineno
        frame = frame.f_back
    return None


def _inline(trace: StagingTrace, program: Program, args: tuple) -> Any:
    token = _current_trace.set(trace)
    try:
        outs = eval_program(program, args)
    finally:
        _current_trace.reset(token)
    return tuple(outs)


def trace_to_program(
    fun: Callable,
    in_avals: list[ShapedArray],
    *,
    name: str = "f",
    labels: list[str] | None = None,
    arg_builder: Callable[[list[Any]], tuple[tuple, dict]] | None = None,
    unstageable: list | None = None,
    written: list | None = None,
) -> tuple[Program, Any, list[Any]]:
    """Trace ``fun`` on abstract arguments; return (program, output treedef, lifted tracers).

    ``arg_builder(tracers)`` turns the flat input tracers into ``(args, kwargs)`` for ``fun``
    (default: positional). The program's inputs are the lifted tracers' variables, then one
    per ``in_avals`` entry.  ``unstageable`` (a list) receives the trace's ``(error,
    source)`` when something needed a concrete value, whether the trace ended or raised.
    ``written`` (a list) receives, for each argument the function updated in place
    (``x[i] = v``, ``x /= s``, a write through a view of it), ``(argument index, output
    position of its final value, positions of the outputs that are the argument itself)``;
    final values not already among the outputs are appended after them.  Without it such
    updates stay inside the program.
    """
    parent = _current_trace.get()
    trace = StagingTrace(parent)
    tracers = [trace.new_arg(a, labels[i] if labels else None) for i, a in enumerate(in_avals)]
    args, kwargs = arg_builder(tracers) if arg_builder else (tuple(tracers), {})
    token = _current_trace.set(trace)
    try:
        with recording_errstate(trace):
            try:
                out = fun(*args, **kwargs)
            except ValueError as err:
                raise_numpy_write_error(err)
                raise
            out_leaves, out_def = tree_flatten(out)
            for o in out_leaves:
                _check_output(o, name)
            if written is not None:
                out_leaves = _written_outputs(trace, tracers, out_leaves, written)
        program = trace.finish(out_leaves, name)
    finally:
        _current_trace.reset(token)
        trace.alive = False
        if unstageable is not None and trace.unstageable is not None:
            unstageable.append(trace.unstageable)
    return program, out_def, trace.lifted


def _written_outputs(
    trace: StagingTrace, tracers: list[StagingTracer], outs: list, written: list
) -> list:
    """``outs`` and the final value of every argument updated in place (its tracer stands
    for another variable than the argument's now); ``written`` gets where each one is."""
    n = len(outs)
    for i, (t, v) in enumerate(zip(tracers, trace.in_vars)):
        if t.ir_var is v:
            continue
        same = [
            k
            for k, o in enumerate(outs[:n])
            if type(o) is StagingTracer and o._trace is trace and o.ir_var is t.ir_var
        ]
        returned = tuple(k for k in same if outs[k] is t)
        if same:
            written.append((i, same[0], returned))
        else:
            written.append((i, len(outs), returned))
            outs = [*outs, t]
    return outs


def _check_output(o: Any, name: str) -> None:
    if isinstance(o, Tracer) or isinstance(o, (np.ndarray, np.generic, int, float, complex, bool)):
        return
    raise errors.UnsupportedOperationError(
        f"{name} returned a {type(o).__name__} inside a pytree of outputs; jit outputs must be "
        f"arrays or numbers (pytrees of them). Return it from an unjitted wrapper instead."
    )
