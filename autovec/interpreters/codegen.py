"""Compiling a jit program to Python source: one line per equation over ``xp`` calls, buffers
reused in place where a value dies (``out=``), and errors raised by the generated code
explained with the equation and the user's line that made it (autovec/interpreters/jit.py)."""

from __future__ import annotations

import functools
import itertools
import keyword
import linecache
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors, parallel
from autovec.backends import adopt
from autovec.ir import Literal, Program, Var, describe_eqn, pretty
from autovec.prims.base import FRESH, READ_ONLY_VIEW
from autovec.prims.reductions import REDUCTIONS


class Compiled:
    """A program compiled to a Python function; ``source`` is the generated code."""

    __slots__ = ("fn", "source", "program")

    def __init__(self, fn: Callable[..., tuple], source: str, program: Program):
        self.fn = fn
        self.source = source
        self.program = program

    def __call__(self, *args: Any) -> tuple:
        try:
            return self.fn(*args)
        except Exception as exc:
            explain_error(exc)
            raise


class _SourceMap:
    """Kept in a compiled function's globals: which equation each generated line runs.

    Its source stays in ``linecache`` (so tracebacks show the generated lines) while the
    function, or a traceback through it, is alive.
    """

    __slots__ = ("filename", "program", "eqn_at_line")

    def __init__(self, filename: str, program: Program, eqn_at_line: dict[int, int]):
        self.filename = filename
        self.program = program
        self.eqn_at_line = eqn_at_line

    def __del__(self) -> None:
        linecache.cache.pop(self.filename, None)


_SOURCE_MAP = "__autovec_source_map__"
_compiled_ids = itertools.count()


def explain_error(exc: BaseException) -> None:
    """Say which equation of a compiled program raised ``exc``, and where the user's code
    traced it, as torch.fx's interpreter does: ``while executing c:f64[2,2] = inv b (traced
    at model.py:12)``. A note on Python 3.11+; on 3.10 the note ends the message. The
    exception keeps its type."""
    where = None
    tb = exc.__traceback__
    while tb is not None:  # the innermost compiled frame
        source_map = tb.tb_frame.f_globals.get(_SOURCE_MAP)
        if source_map is not None:
            where = source_map, tb.tb_lineno
        tb = tb.tb_next
    if where is None:
        return
    source_map, line = where
    k = source_map.eqn_at_line.get(line)
    if k is None:
        return
    errors.add_note(exc, f"while executing {describe_eqn(source_map.program, k)}")


def raised_in_program(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while a compiled program ran (a frame of its generated
    source is on the traceback), not while a function was traced or a program built."""
    tb = exc.__traceback__
    while tb is not None:
        if _SOURCE_MAP in tb.tb_frame.f_globals:
            return True
        tb = tb.tb_next
    return False


def _py_literal(v: Any) -> str | None:
    """Source text for a Python scalar that round-trips exactly, else None."""
    if type(v) in (bool, int):
        return repr(v)
    if type(v) is float and np.isfinite(v):
        return repr(v)
    return None


def compile_program(program: Program, xp: Any) -> Compiled:
    """Generate straight-line Python source for ``program`` with ``xp`` and ``exec`` it."""
    names: dict[int, str] = {}
    glob: dict[str, Any] = {}
    fresh_names = (f"v{i}" for i in itertools.count())

    def name(v: Var) -> str:
        if v.id not in names:
            names[v.id] = next(fresh_names)
        return names[v.id]

    def atom(a: Any) -> str:
        if isinstance(a, Literal):
            text = _py_literal(a.val)
            if text is not None:
                return text
            key = f"k{len(glob)}"
            glob[key] = a.val if xp is np else adopt(xp, (a.val,))[0]
            return key
        return name(a)

    for v, val in zip(program.const_vars, program.const_vals):
        # Another library's program holds its constants on its device, converted once here.
        glob[name(v)] = val if xp is np else adopt(xp, (val,))[0]
    args = [name(v) for v in program.in_vars]
    lines = ["def {fn_name}(" + ", ".join(args) + "):"]
    eqn_at_line: dict[int, int] = {}
    reuse = _reusable_buffers(program) if xp is np else {}
    dead_after = _dead_after(program, reuse)
    for k, e in enumerate(program.eqns):
        fname = f"f{k}_{_identifier(e.prim.name)}"
        glob[fname] = _lower(e.prim, xp, e.params)
        if xp is np:
            glob[fname] = _split_large(e, glob[fname])
        inputs = [atom(a) for a in e.inputs]
        if k in reuse:  # write into a dead temporary instead of allocating, under its name
            if e.prim.facts.in_place is not None and not _is_ufunc_call(e):
                glob[fname] = functools.partial(e.prim.facts.in_place, xp, **e.params)
            else:
                inputs.append(f"out={name(reuse[k])}")
            names[e.outputs[0].id] = name(reuse[k])
        outs = ", ".join(name(v) for v in e.outputs) + (
            "," if e.prim.multiple_results and len(e.outputs) == 1 else ""
        )
        call = f"{outs} = {fname}({', '.join(inputs)})"
        if e.errstate is not None:  # traced inside an np.errstate block: replay it there
            glob.setdefault("_errstate", np.errstate)
            kwargs = ", ".join(
                f"{key}={v!r}" if key != "call" else f"call={_global(glob, v, f'h{k}')}"
                for key, v in e.errstate
            )
            lines.append(f"    with _errstate({kwargs}):")
            eqn_at_line[len(lines)] = k
            call = f"    {call}"
        lines.append(f"    {call}")
        eqn_at_line[len(lines)] = k
        if k in dead_after:  # free each temporary after its last use, as eagerly
            lines.append(f"    del {', '.join(name(v) for v in dead_after[k])}")
    # Outputs that may be read-only (a broadcast, windows, or a view of one) or show a
    # constant the program keeps are copied: the caller gets arrays it can write to, and
    # writing to them cannot change what later calls return.
    copied = _outputs_to_copy(program)
    if copied:
        glob["_writable"] = xp.array
    outs = ", ".join(
        f"_writable({atom(o)})" if isinstance(o, Var) and o.id in copied else atom(o)
        for o in program.outputs
    )
    lines.append(f"    return ({outs}{',' if len(program.outputs) == 1 else ''})")
    # A file name of its own, registered with linecache: tracebacks show the generated line.
    filename = f"<autovec.jit {program.name} #{next(_compiled_ids)}>"
    glob[_SOURCE_MAP] = _SourceMap(filename, program, eqn_at_line)
    # The function is named after the program, unless that is a name the code uses.
    fn_name = _identifier(program.name)
    while fn_name in glob or fn_name in names.values():
        fn_name += "_"
    lines[0] = lines[0].format(fn_name=fn_name)
    source = "\n".join(lines) + "\n"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    code = compile(source, filename, "exec")
    exec(code, glob)  # noqa: S102 - the source is generated here, from the program
    return Compiled(glob[fn_name], source, program)


def _dead_after(program: Program, reuse: dict[int, Var]) -> dict[int, list[Var]]:
    """Equation index -> the temporaries (not 0-d) that no later equation reads nor the
    program returns: the generated code deletes them there, so that a long chain holds no
    more memory than eager code, which drops each temporary when its name is reused. (A
    temporary written over by ``out=`` passes its name on instead.)"""
    last_use: dict[int, int] = {}
    for k, e in enumerate(program.eqns):
        for a in e.inputs:
            if isinstance(a, Var):
                last_use[a.id] = k
    returned = {o.id for o in program.outputs if isinstance(o, Var)}
    returned.update(v.id for v in reuse.values())
    dead: dict[int, list[Var]] = {}
    for k, e in enumerate(program.eqns):
        for v in e.outputs:
            if v.id not in returned and v.aval.shape:
                dead.setdefault(last_use.get(v.id, k), []).append(v)
    return dead


def _global(glob: dict[str, Any], value: Any, name: str) -> str:
    glob[name] = value
    return name


def _outputs_to_copy(program: Program) -> set[int]:
    """Output variables that may be read-only or share memory with a program constant.

    Follows the primitives' ``output`` facts: a fresh output owns its memory; a view may show
    its inputs' memory (and is read-only where one of them may be); a read-only view may be
    read-only whatever its inputs.
    """
    read_only: set[int] = set()
    shows_const = {v.id for v in program.const_vars}
    for e in program.eqns:
        kind = e.prim.facts.output
        if kind == FRESH:
            continue
        ins = [a.id for a in e.inputs if isinstance(a, Var)]
        if kind == READ_ONLY_VIEW or any(i in read_only for i in ins):
            read_only.update(v.id for v in e.outputs)
        if any(i in shows_const for i in ins):
            shows_const.update(v.id for v in e.outputs)
    return {
        o.id
        for o in program.outputs
        if isinstance(o, Var) and (o.id in read_only or o.id in shows_const)
    }


def _is_ufunc_call(e: Any) -> bool:
    """An equation that is a plain NumPy ufunc call (it accepts ``out=``)."""
    name = e.prim.xp_function
    return (
        name is not None
        and not e.params
        and not e.prim.multiple_results
        and isinstance(getattr(np, name, None), np.ufunc)
    )


def _reusable_buffers(program: Program) -> dict[int, Var]:
    """Equation index -> a dead temporary of the output's shape and dtype it can write into.

    NumPy itself elides temporaries in expressions like ``(a - b) ** 2``; a program knows
    exactly when each value dies, so it can do the same for every elementwise step (a ufunc
    writes into the temporary with ``out=``) and every update of an array (a primitive with
    an ``in_place`` form, such as ``scatter``, writes into its input 0). The temporary (a)
    was freshly allocated by this program, (b) is read by no later equation and no output,
    (c) is shown by no view that is still to be read, by an output, or by another input of
    the same equation, and (d) has the output's shape and dtype. Which equations give fresh
    outputs and which may make views is each primitive's ``output`` fact.
    """
    last_use: dict[int, int] = {}
    for k, e in enumerate(program.eqns):
        for a in e.inputs:
            if isinstance(a, Var):
                last_use[a.id] = k
    returned = {o.id for o in program.outputs if isinstance(o, Var)}
    # For each fresh temporary, the values that may show its memory (itself and its views).
    shown_by: dict[int, list[int]] = {}
    shows: dict[int, set[int]] = {}  # value -> the fresh temporaries it may show
    fresh: set[int] = set()
    reuse: dict[int, Var] = {}

    def free_at(a: Var, k: int, e: Any) -> bool:
        if (
            a.id not in fresh
            or a.id in returned
            or last_use.get(a.id) != k
            or a.aval.shape != e.outputs[0].aval.shape
            or a.aval.dtype != e.outputs[0].aval.dtype
            or not a.aval.shape
        ):
            return False
        others = {b.id for b in e.inputs if isinstance(b, Var) and b is not a}
        return all(
            u not in returned and u not in others and last_use.get(u, -1) < k
            for u in shown_by.get(a.id, ())
        )

    for k, e in enumerate(program.eqns):
        facts = e.prim.facts
        if _is_ufunc_call(e):
            for a in e.inputs:
                if isinstance(a, Var) and free_at(a, k, e):
                    reuse[k] = a
                    break
        elif facts.in_place is not None and isinstance(e.inputs[0], Var):
            if free_at(e.inputs[0], k, e):
                reuse[k] = e.inputs[0]
        if k in reuse:
            fresh.discard(reuse[k].id)
        if facts.output == FRESH:
            fresh.update(v.id for v in e.outputs if v.aval.shape)
        else:  # a view shows what its inputs show
            roots = set().union(*(shows.get(a.id, {a.id}) for a in e.inputs if isinstance(a, Var)))
            for v in e.outputs:
                shows[v.id] = roots
                for r in roots:
                    shown_by.setdefault(r, []).append(v.id)
    return reuse


def _identifier(name: str) -> str:
    """A valid Python identifier made from ``name`` (ASCII letters, digits, underscores)."""
    ident = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_" for c in name)
    if not ident or ident[0].isdigit() or keyword.iskeyword(ident):
        ident = f"f_{ident}"
    return ident


def _lower(prim: Any, xp: Any, params: dict) -> Callable[..., Any]:
    """The cheapest callable computing ``prim[params]`` on arrays of ``xp``."""
    direct = getattr(prim, "xp_function", None)
    if direct is not None and not params:
        fn = getattr(xp, direct, None)
        if fn is not None:
            return fn
    return functools.partial(prim.impl, xp, **params)


def _split_large(e: Any, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, or where the equation is a large NumPy ufunc call or a reduction that keeps
    the first axis, a function running it in parts across threads (autovec/parallel.py):
    the same elements computed by the same loops, so the same bits."""
    out_shape = e.outputs[0].aval.shape if len(e.outputs) == 1 else ()
    if _is_ufunc_call(e):
        ufunc = getattr(np, e.prim.xp_function)
        shapes = tuple(a.aval.shape if isinstance(a, Var) else None for a in e.inputs)
        sliced = parallel.ufunc_plan(ufunc, shapes, out_shape)
        if sliced is None:
            return fn

        def split_ufunc(*args: Any, out: Any = None) -> Any:
            got = parallel.split_ufunc(ufunc, args, sliced, out, stacklevel=3)
            if got is not None:
                return got
            return fn(*args) if out is None else fn(*args, out=out)

        return split_ufunc
    axes = e.params.get("axes")
    if (
        e.prim in _REDUCTIONS
        and len(e.inputs) == 1
        and isinstance(e.inputs[0], Var)
        and e.inputs[0].aval.ndim >= 1
        and isinstance(axes, tuple)
        and 0 not in axes
        and out_shape
        and out_shape[0] == e.inputs[0].aval.shape[0]
        and math.prod(e.inputs[0].aval.shape) >= parallel.MIN_ELEMENTS
    ):
        dtype = e.outputs[0].aval.dtype

        def split_reduction(x: Any) -> Any:
            got = parallel.split_reduction(fn, x, out_shape, dtype)
            return fn(x) if got is None else got

        return split_reduction
    return fn


_REDUCTIONS = frozenset(REDUCTIONS.values())


def compiled_for(program: Program, xp: Any) -> Compiled:
    key = ("compiled", xp.__name__)
    c = program._cache.get(key)
    if c is None:
        c = program._cache[key] = compile_program(program, xp)
    return c


class Lowered:
    """A traced and optimised program for one argument signature (``jit(f).lower(...)``)."""

    def __init__(self, program: Program, out_def: Any):
        self.program = program
        self.out_tree = out_def

    def as_text(self) -> str:
        """The optimised program, printed like a jaxpr."""
        return pretty(self.program)

    def compile(self) -> Compiled:
        return compiled_for(self.program, np)

    def as_python(self) -> str:
        """The generated Python source the program runs as."""
        return self.compile().source
