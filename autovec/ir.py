"""The program representation: variables, literals, equations, programs; a printer that reads
like JAX's ``make_jaxpr``; a type checker; and ``eval_program``, which replays a program by
binding its primitives (so any trace can interpret it: eval, vmap, staging).
"""

from __future__ import annotations

import contextvars
import itertools
import struct
from collections.abc import Iterator
from typing import Any

import numpy as np

from autovec.core import Primitive, ShapedArray, get_aval, short_dtype


class Var:
    """A value inside a program, known by its abstract value only."""

    __slots__ = ("aval", "id")
    _ids = itertools.count()

    def __init__(self, aval: ShapedArray):
        self.aval = aval
        self.id = next(Var._ids)

    def __repr__(self) -> str:
        return f"Var<{self.aval.str_short()}#{self.id}>"


class Literal:
    """A constant written into an equation: a Python or NumPy scalar."""

    __slots__ = ("val", "aval")

    def __init__(self, val: Any):
        self.val = val
        self.aval = get_aval(val)

    def __repr__(self) -> str:
        return f"Literal({self.val!r})"

    def key(self) -> Any:
        """What two literals must share to be interchangeable: type and bits (``0.0`` and
        ``-0.0`` differ; a NaN equals a NaN of the same bits)."""
        return exact_key(self.val)

    def spell(self) -> str:
        v = self.val
        if isinstance(v, np.generic):
            return f"{v.item()!r}:{self.aval.str_short()}"
        return repr(v)


Atom = Var | Literal


def exact_key(v: Any) -> Any:
    """A hashable key for a scalar or a (nested) tuple of them that tells apart what ``==``
    does not: the type (``1``, ``1.0``, ``True``, ``np.float32(1)``) and the bits of floats
    (``0.0`` and ``-0.0``; NaNs of equal bits compare equal). Other hashable values key as
    themselves, with their type."""
    t = type(v)
    if t is float:
        return (t, struct.pack("<d", v))
    if t is complex:
        return (t, exact_key(v.real), exact_key(v.imag))
    if isinstance(v, np.generic):
        return (t, v.dtype.str, v.tobytes())
    if t is tuple:
        return (t, *(exact_key(x) for x in v))
    if t is dict:
        return (t, *((k, exact_key(x)) for k, x in sorted(v.items())))
    return (t, v)


# Where in the user's code an equation was traced: (file name, line number).
SourceInfo = tuple[str, int]

# The source of the equation being replayed (``bind_eqn``), so that a staging trace that
# records it again keeps where the user wrote it rather than where it was replayed.
replaying_source: contextvars.ContextVar[SourceInfo | None] = contextvars.ContextVar(
    "replaying_source", default=None
)


class Eqn:
    """``outputs = prim[params](*inputs)``.

    ``errstate`` is what the ``np.errstate`` blocks of the traced function set around the
    equation (sorted ``(category, mode)`` pairs, perhaps ``("call", handler)``), or None: it
    is replayed over the caller's state at call time, so warnings behave as they would
    eagerly (the categories the function did not set follow the caller).
    ``source_info`` is the user's ``(file, line)`` that traced it, for error messages.
    """

    __slots__ = ("prim", "inputs", "params", "outputs", "errstate", "source_info")

    def __init__(
        self,
        prim: Primitive,
        inputs: list[Atom],
        params: dict,
        outputs: list[Var],
        errstate: tuple | None = None,
        source_info: SourceInfo | None = None,
    ):
        self.prim = prim
        self.inputs = inputs
        self.params = params
        self.outputs = outputs
        self.errstate = errstate
        self.source_info = source_info

    def replace(self, inputs: list[Atom]) -> Eqn:
        """The same equation reading other inputs."""
        return Eqn(self.prim, inputs, self.params, self.outputs, self.errstate, self.source_info)


class Program:
    """A straight-line program: ``outputs = f(*consts, *inputs)``.

    ``const_vars`` are bound to ``const_vals`` (arrays captured while tracing); ``in_vars`` are
    the arguments; ``outputs`` are variables or literals.
    """

    __slots__ = (
        "const_vars",
        "const_vals",
        "in_vars",
        "eqns",
        "outputs",
        "name",
        "_cache",
        "__weakref__",
    )

    def __init__(
        self,
        const_vars: list[Var],
        const_vals: list[Any],
        in_vars: list[Var],
        eqns: list[Eqn],
        outputs: list[Atom],
        name: str = "f",
    ):
        self.const_vars = const_vars
        self.const_vals = const_vals
        self.in_vars = in_vars
        self.eqns = eqns
        self.outputs = outputs
        self.name = name
        self._cache: dict = {}  # compiled forms and batched versions, keyed by what made them

    @property
    def in_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.in_vars]

    @property
    def out_avals(self) -> list[ShapedArray]:
        return [o.aval for o in self.outputs]

    def __str__(self) -> str:
        return pretty(self)

    def __repr__(self) -> str:
        return pretty(self)

    # Programs are compared by identity: they are params of the jit primitive.
    __hash__ = object.__hash__


# ----------------------------------------------------------------------------------- printer


def _names() -> Iterator[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    for n in itertools.count(1):
        for combo in itertools.product(letters, repeat=n):
            yield "".join(combo)


def _spell_index(index: tuple) -> str:
    """An index param the way NumPy code spells it: ``[:, 1:4, None, A]`` (A: an array)."""

    def item(i: Any) -> str:
        if type(i) is tuple:
            start, stop, step = ("" if x is None else str(x) for x in i)
            return f"{start}:{stop}" + (f":{step}" if step else "")
        return str(i)

    return "[" + ", ".join(item(i) for i in index) + "]"


def _spell_param(v: Any) -> str:
    if isinstance(v, np.dtype):
        return short_dtype(v)
    if isinstance(v, Program):
        return f"<program {v.name}: {len(v.eqns)} equations>"
    if isinstance(v, tuple):
        inner = ", ".join(map(_spell_param, v))
        return f"({inner}{',' if len(v) == 1 else ''})"
    return repr(v)


class _Namer:
    """Names variables a, b, ..., z, aa, ... in order of first appearance."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.gen = _names()

    def name(self, v: Var) -> str:
        if v.id not in self.names:
            self.names[v.id] = next(self.gen)
        return self.names[v.id]

    def atom(self, a: Atom) -> str:
        return a.spell() if isinstance(a, Literal) else self.name(a)

    def binder(self, v: Var) -> str:
        return f"{self.name(v)}:{v.aval.str_short()}"

    def eqn(self, e: Eqn, pad: str = "") -> str:
        outs = " ".join(self.binder(v) for v in e.outputs)
        if any(_programs_in(v) for v in e.params.values()):
            return self._eqn_with_programs(e, outs, pad)
        params = ", ".join(
            f"{k}={_spell_index(v) if k in ('index', 'spec') else _spell_param(v)}"
            for k, v in sorted(e.params.items())
        )
        call = e.prim.name + (f"[{params}]" if params else "")
        return f"{outs} = {call} {' '.join(self.atom(a) for a in e.inputs)}".rstrip()

    def _eqn_with_programs(self, e: Eqn, outs: str, pad: str) -> str:
        """An equation carrying sub-programs (control flow): one param per line, each
        sub-program printed as a nested block with its own variable names, as JAX does."""
        inner = pad + "    "
        lines = [f"{outs} = {e.prim.name}["]
        for k, v in sorted(e.params.items()):
            progs = _programs_in(v)
            if not progs:
                lines.append(f"{inner}{k}={_spell_param(v)}")
                continue
            for i, p in enumerate(progs):
                label = k if isinstance(v, Program) else f"{k}[{i}]"
                lines.append(f"{inner}{label}={pretty(p, len(inner) + 2)}")
        args = " ".join(self.atom(a) for a in e.inputs)
        lines.append(f"{pad}  ] {args}".rstrip())
        return "\n".join(lines)


def _programs_in(v: Any) -> tuple:
    """The programs a param holds: itself, or the items of a tuple of programs."""
    if isinstance(v, Program):
        return (v,)
    if isinstance(v, tuple) and v and all(isinstance(p, Program) for p in v):
        return v
    return ()


def _namer_for(program: Program) -> _Namer:
    namer = _Namer()
    for v in (*program.const_vars, *program.in_vars):
        namer.name(v)
    return namer


def pretty(program: Program, indent: int = 2) -> str:
    """The program as text, like JAX's jaxprs::

    { lambda a:f64[4,5] b:f64[3] .
        c:f64[4,3] = dot_general[...] a b
      in (c,) }
    """
    namer = _namer_for(program)
    pad = " " * indent
    consts = " ".join(namer.binder(v) for v in program.const_vars)
    ins = " ".join(namer.binder(v) for v in program.in_vars)
    head = f"{{ lambda {consts + '; ' if consts else ''}{ins} ."
    lines = [head]
    for e in program.eqns:
        lines.append(f"{pad}  {namer.eqn(e, pad + '  ')}")
    outs = ", ".join(namer.atom(o) for o in program.outputs)
    lines.append(f"{pad}in ({outs}{',' if len(program.outputs) == 1 else ''}) }}")
    return "\n".join(lines)


def describe_eqn(program: Program, k: int) -> str:
    """Equation ``k`` as ``pretty`` prints it (same variable names), with where it was
    traced: ``c:f64[3,3] = inv b (traced at model.py:12)``."""
    namer = _namer_for(program)
    for e in program.eqns[:k]:
        for v in e.outputs:
            namer.name(v)
    e = program.eqns[k]
    where = f" (traced at {e.source_info[0]}:{e.source_info[1]})" if e.source_info else ""
    return namer.eqn(e) + where


# ------------------------------------------------------------------------------ type checker


class ProgramTypeError(Exception):
    """A program is malformed (a bug in a transformation, never a user error)."""


def check_program(program: Program) -> None:
    """Check that every variable is defined once before use and that every equation's
    outputs have the avals its primitive's shape rule gives for its inputs."""
    defined: set[int] = set()

    def define(v: Var, where: str) -> None:
        if not isinstance(v, Var):
            raise ProgramTypeError(f"{where}: binder {v!r} is not a Var")
        if v.id in defined:
            raise ProgramTypeError(f"{where}: variable {v!r} defined twice")
        defined.add(v.id)

    def use(a: Atom, where: str) -> None:
        if isinstance(a, Literal):
            return
        if not isinstance(a, Var) or a.id not in defined:
            raise ProgramTypeError(f"{where}: {a!r} used before it is defined")

    if len(program.const_vars) != len(program.const_vals):
        raise ProgramTypeError("const_vars and const_vals differ in length")
    for v, val in zip(program.const_vars, program.const_vals):
        define(v, "constants")
        if get_aval(val).shape != v.aval.shape or get_aval(val).dtype != v.aval.dtype:
            raise ProgramTypeError(f"constant {v!r} holds a value of aval {get_aval(val)}")
    for v in program.in_vars:
        define(v, "inputs")
    for k, e in enumerate(program.eqns):
        where = f"equation {k} ({e.prim.name})"
        for a in e.inputs:
            use(a, where)
        want = e.prim.shape(*(a.aval for a in e.inputs), **e.params)
        want = list(want) if e.prim.multiple_results else [want]
        if len(want) != len(e.outputs):
            raise ProgramTypeError(f"{where}: {len(e.outputs)} outputs, rule gives {len(want)}")
        for v, w in zip(e.outputs, want):
            if v.aval.shape != w.shape or v.aval.dtype != w.dtype:
                raise ProgramTypeError(
                    f"{where}: output {v.aval.str_short()} but the shape rule gives {w.str_short()}"
                )
            define(v, where)
    for o in program.outputs:
        use(o, "outputs")


# -------------------------------------------------------------------------------- evaluation


def eval_program(program: Program, args: list[Any] | tuple) -> list[Any]:
    """Replay ``program`` on ``args`` by binding each primitive at the current trace."""
    env: dict[int, Any] = {}
    for v, val in zip(program.const_vars, program.const_vals):
        env[v.id] = val
    for v, val in zip(program.in_vars, args):
        env[v.id] = val

    def read(a: Atom) -> Any:
        return a.val if isinstance(a, Literal) else env[a.id]

    dead = _dead_after(program)
    for k, e in enumerate(program.eqns):
        ins = [read(a) for a in e.inputs]
        for i in dead[k]:  # drop each value after its last use, as the compiled code does:
            del env[i]  # a long chain then holds (and allocates) no more than eager code
        out = bind_eqn(e, ins)
        del ins
        outs = out if e.prim.multiple_results else (out,)
        for v, val in zip(e.outputs, outs):
            env[v.id] = val
    return [read(o) for o in program.outputs]


def _dead_after(program: Program) -> list[tuple[int, ...]]:
    """Per equation, the ids of the values its inputs read for the last time (never an
    output of the program): ``eval_program`` forgets them before binding it."""
    hit = program._cache.get("dead_after")
    if hit is not None:
        return hit
    last_use: dict[int, int] = {}
    for k, e in enumerate(program.eqns):
        for a in e.inputs:
            if isinstance(a, Var):
                last_use[a.id] = k
    for o in program.outputs:
        if isinstance(o, Var):
            last_use[o.id] = len(program.eqns)
    dead: list[list[int]] = [[] for _ in program.eqns]
    for i, k in last_use.items():
        if k < len(program.eqns):
            dead[k].append(i)
    hit = program._cache["dead_after"] = [tuple(d) for d in dead]
    return hit


def bind_eqn(e: Eqn, args: list[Any]) -> Any:
    """Bind ``e``'s primitive on ``args`` at the current trace, under ``e``'s errstate; a
    staging trace that records it keeps ``e``'s source."""
    token = replaying_source.set(e.source_info)
    try:
        if e.errstate is None:
            return e.prim.bind(*args, **e.params)
        with np.errstate(**dict(e.errstate)):
            return e.prim.bind(*args, **e.params)
    finally:
        replaying_source.reset(token)
