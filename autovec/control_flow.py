"""Structured control flow with JAX's signatures: ``cond``, ``switch``, ``while_loop``,
``fori_loop``, ``scan`` and ``map``.

Outside any transformation they are the Python control flow they stand for (with JAX's
checks). Inside ``jit`` or ``vmap`` the functions are traced into sub-programs carried by the
``cond``, ``while`` and ``scan`` primitives (autovec/interpreters/control.py), whose batched
forms run each branch only on its lanes and drop finished lanes from loops.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autovec import errors
from autovec import numpy as anp
from autovec.core import EVAL_TRACE, ShapedArray, Tracer, current_trace, get_aval
from autovec.interpreters.batching import vmap
from autovec.interpreters.control import cond_p, scan_p, strong, while_p
from autovec.interpreters.staging import trace_to_program
from autovec.ir import Program, eval_program
from autovec.tree import PyTreeDef, tree_flatten, tree_flatten_with_path, tree_unflatten

__all__ = ["cond", "fori_loop", "map", "scan", "switch", "while_loop"]


def _eager(*values: Any) -> bool:
    """No transformation is running and no traced value is involved: run plain Python."""
    if current_trace() is not EVAL_TRACE:
        return False
    return not any(isinstance(x, Tracer) for x in tree_flatten(values)[0])


def _aval(x: Any, what: str) -> ShapedArray:
    try:
        return get_aval(x)
    except Exception as e:  # noqa: BLE001 - any non-array leaf: say which
        raise errors.ControlFlowError(
            f"{what} must be arrays or numbers (pytrees of them), got a {type(x).__name__}"
        ) from e


def _check_callable(fun: Any, what: str) -> None:
    if not callable(fun):
        raise errors.ControlFlowError(f"{what} must be callable, got {type(fun).__name__}")


def _scalar(x: Any, what: str, kinds: str, kind_name: str) -> ShapedArray:
    aval = _aval(x, what)
    if aval.shape != ():
        raise errors.ControlFlowError(
            f"{what} must be a scalar, got shape {aval.shape}. Inside vmap, pass one value "
            f"per example (vmap maps the leading axis away); for an elementwise choice use "
            f"np.where."
        )
    if aval.dtype.kind not in kinds:
        raise errors.ControlFlowError(f"{what} must be {kind_name}, got dtype {aval.dtype}")
    return aval


def _describe(treedef: PyTreeDef, avals: list[ShapedArray]) -> str:
    """``(a: f64[3], b: i64[])``: each leaf's pytree path and abstract value."""
    placeholder = tree_unflatten(treedef, [0] * treedef.num_leaves)
    paths = [p for p, _ in tree_flatten_with_path(placeholder)[0]]
    items = [
        f"{p}: {strong(a).str_short()}" if p else strong(a).str_short()
        for p, a in zip(paths, avals)
    ]
    return f"({', '.join(items)})" if treedef.node_type is not None else ", ".join(items)


def _same_types(treedef_a, avals_a, treedef_b, avals_b) -> bool:
    return treedef_a == treedef_b and all(
        a.shape == b.shape and a.dtype == b.dtype for a, b in zip(avals_a, avals_b)
    )


def _name(fun: Any) -> str:
    return getattr(fun, "__name__", type(fun).__name__)


def _trace(fun: Callable, treedef: PyTreeDef, avals: list[ShapedArray], name: str):
    """Trace ``fun(*tree)`` at ``avals``: (program, output treedef, lifted tracers)."""
    return trace_to_program(
        lambda *leaves: fun(*tree_unflatten(treedef, list(leaves))),
        [strong(a) for a in avals],
        name=name,
    )


def _trace_unary(fun: Callable, treedef: PyTreeDef, avals: list, name: str):
    """Trace ``fun(tree)`` (one pytree argument) at ``avals``."""
    return trace_to_program(
        lambda *leaves: fun(tree_unflatten(treedef, list(leaves))),
        [strong(a) for a in avals],
        name=name,
    )


def _with_inputs(program: Program, lifted: list, common: list) -> Program:
    """``program`` (inputs: its own lifted values, then the operands) taking ``common`` (all
    branches' lifted values) first instead, so that every branch has one signature."""
    if [id(t) for t in lifted] == [id(t) for t in common]:
        return program
    where = [next(i for i, c in enumerate(common) if c is t) for t in lifted]
    n = len(common)

    def call(*args: Any) -> list:
        return eval_program(program, [*(args[i] for i in where), *args[n:]])

    avals = [strong(get_aval(t)) for t in common] + program.in_avals[len(lifted) :]
    out, _, _ = trace_to_program(call, avals, name=program.name)
    return out


# ---------------------------------------------------------------------------- cond/switch


def switch(index: Any, branches: Sequence[Callable], *operands: Any) -> Any:
    """``branches[index](*operands)``, with ``index`` clamped to ``[0, len(branches) - 1]``
    (JAX's ``lax.switch``). Every branch must return the same pytree structure, shapes and
    dtypes. Under vmap with a batched index each branch runs only on the lanes taking it."""
    branches = tuple(branches) if isinstance(branches, (list, tuple)) else branches
    if not isinstance(branches, tuple) or not branches:
        raise errors.ControlFlowError(
            "switch: branches must be a non-empty sequence of callables, got "
            f"{branches if isinstance(branches, tuple) else type(branches).__name__}"
        )
    for i, b in enumerate(branches):
        _check_callable(b, f"switch: branches[{i}]")
    _scalar(index, "switch: the branch index", "iub", "an integer")
    last = len(branches) - 1
    if _eager(index, operands):
        return branches[min(max(operator.index(index), 0), last)](*operands)
    index = anp.clip(anp.asarray(index), 0, last).astype(np.int64)
    return _staged_branches(index, branches, operands, "switch")


def cond(pred: Any, true_fun: Callable, false_fun: Callable, *operands: Any) -> Any:
    """``true_fun(*operands) if pred else false_fun(*operands)`` (JAX's ``lax.cond``).
    ``pred`` is a scalar bool or number; both branches must return the same pytree
    structure, shapes and dtypes. Under vmap with a batched ``pred`` each branch runs only on
    the lanes taking it: an untaken branch never runs (no NaN, warning or exception)."""
    _check_callable(true_fun, "cond: true_fun")
    _check_callable(false_fun, "cond: false_fun")
    _scalar(pred, "cond: pred", "biuf", "a boolean or a number")
    if _eager(pred, operands):
        return (true_fun if pred else false_fun)(*operands)
    pred = anp.asarray(pred)
    index = (pred if pred.dtype == bool else anp.not_equal(pred, 0)).astype(np.int64)
    return _staged_branches(index, (false_fun, true_fun), operands, "cond")


def _staged_branches(index: Any, branches: tuple, operands: tuple, what: str) -> Any:
    leaves, treedef = tree_flatten(operands)
    avals = [_aval(x, f"{what}: operands") for x in leaves]
    traced = [_trace(b, treedef, avals, _name(b)) for b in branches]
    first_def, first_avals = traced[0][1], traced[0][0].out_avals
    for i, (program, out_def, _) in enumerate(traced[1:], 1):
        if not _same_types(first_def, first_avals, out_def, program.out_avals):
            names = ("false_fun", "true_fun") if what == "cond" else None
            a = names[0] if names else "branches[0]"
            b = names[i] if names else f"branches[{i}]"
            raise errors.BranchOutputMismatchError(
                f"{what}: the branches must return the same pytree structure, shapes and "
                f"dtypes, but {a} returns {_describe(first_def, first_avals)} and {b} returns "
                f"{_describe(out_def, program.out_avals)}. Cast or reshape inside the branches "
                f"so that they agree (e.g. x.astype(np.float64))."
            )
    common: list = []
    for _, _, lifted in traced:
        for t in lifted:
            if not any(t is c for c in common):
                common.append(t)
    programs = tuple(_with_inputs(p, lifted, common) for p, _, lifted in traced)
    outs = cond_p.bind(index, *common, *leaves, branches=programs, lanes=None)
    return tree_unflatten(first_def, list(outs))


# ------------------------------------------------------------------------------- loops


def _carry_error(what: str, init_def, init_avals, out_def, out_avals) -> errors.CarryTypeError:
    return errors.CarryTypeError(
        f"{what} must return a carry of the same pytree structure, shapes and dtypes as the "
        f"initial value: it starts as {_describe(init_def, init_avals)} but the body returns "
        f"{_describe(out_def, out_avals)}. Cast inside the body (e.g. x.astype(np.float64)) or "
        f"start from a value of the type the body returns."
    )


def _check_pred(p: Any) -> None:
    aval = _aval(p, "while_loop: cond_fun's output")
    if aval.shape != () or aval.dtype.kind != "b":
        raise errors.ControlFlowError(
            f"while_loop: cond_fun must return a boolean scalar, got {aval.str_short()}"
        )


def while_loop(cond_fun: Callable, body_fun: Callable, init_val: Any) -> Any:
    """``val = init_val; while cond_fun(val): val = body_fun(val)`` (JAX's
    ``lax.while_loop``). ``body_fun`` must keep the carry's pytree structure, shapes and
    dtypes. Under vmap, a predicate that differs per example drops finished lanes: the work
    follows the sum of the examples' iteration counts, not the slowest one times the batch."""
    _check_callable(cond_fun, "while_loop: cond_fun")
    _check_callable(body_fun, "while_loop: body_fun")
    leaves, treedef = tree_flatten(init_val)
    avals = [_aval(x, "while_loop: init_val") for x in leaves]
    if _eager(init_val):
        val = init_val
        while True:
            p = cond_fun(val)
            _check_pred(p)
            if not p:
                return val
            val = body_fun(val)
            out_leaves, out_def = tree_flatten(val)
            out_avals = [_aval(x, "while_loop: body_fun's output") for x in out_leaves]
            if not _same_types(treedef, avals, out_def, out_avals):
                raise _carry_error("while_loop: body_fun", treedef, avals, out_def, out_avals)
    cond_prog, cond_def, cond_lifted = _trace_unary(cond_fun, treedef, avals, _name(cond_fun))
    if cond_def.num_leaves != 1 or cond_def.node_type is not None:
        raise errors.ControlFlowError("while_loop: cond_fun must return a boolean scalar")
    (pred_aval,) = cond_prog.out_avals
    if pred_aval.shape != () or pred_aval.dtype.kind != "b":
        raise errors.ControlFlowError(
            f"while_loop: cond_fun must return a boolean scalar, got {pred_aval.str_short()}"
        )
    body_prog, body_def, body_lifted = _trace_unary(body_fun, treedef, avals, _name(body_fun))
    if not _same_types(treedef, avals, body_def, body_prog.out_avals):
        raise _carry_error("while_loop: body_fun", treedef, avals, body_def, body_prog.out_avals)
    outs = while_p.bind(
        *cond_lifted,
        *body_lifted,
        *leaves,
        cond_program=cond_prog,
        body_program=body_prog,
        cond_nconsts=len(cond_lifted),
        body_nconsts=len(body_lifted),
        lanes=None,
    )
    return tree_unflatten(treedef, list(outs))


def fori_loop(lower: Any, upper: Any, body_fun: Callable, init_val: Any) -> Any:
    """``for i in range(lower, upper): val = body_fun(i, val)`` (JAX's ``lax.fori_loop``).
    ``i`` has the integer dtype of ``lower`` and ``upper`` (int64 for Python ints). Under
    vmap, bounds that differ per example drop finished lanes as ``while_loop`` does."""
    _check_callable(body_fun, "fori_loop: body_fun")
    lo = _scalar(lower, "fori_loop: lower", "iu", "an integer")
    hi = _scalar(upper, "fori_loop: upper", "iu", "an integer")
    dtype = np.result_type(lo.dtype, hi.dtype)
    if _eager(lower, upper, init_val):
        val = init_val
        leaves, treedef = tree_flatten(init_val)
        avals = [_aval(x, "fori_loop: init_val") for x in leaves]
        for i in range(int(lower), int(upper)):
            val = body_fun(dtype.type(i), val)
            out_leaves, out_def = tree_flatten(val)
            out_avals = [_aval(x, "fori_loop: body_fun's output") for x in out_leaves]
            if not _same_types(treedef, avals, out_def, out_avals):
                raise _carry_error("fori_loop: body_fun", treedef, avals, out_def, out_avals)
        return val
    i0 = anp.asarray(lower).astype(dtype)
    stop = anp.asarray(upper).astype(dtype)

    def body(state: tuple) -> tuple:
        i, n, val = state
        return i + dtype.type(1), n, body_fun(i, val)

    return while_loop(lambda s: s[0] < s[1], body, (i0, stop, init_val))[2]


def scan(
    f: Callable,
    init: Any,
    xs: Any,
    length: int | None = None,
    reverse: bool = False,
) -> tuple[Any, Any]:
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs`` (JAX's ``lax.scan``);
    returns the final carry and the stacked ``y``s. ``reverse=True`` runs from the last
    element to the first, storing each ``y`` at its ``x``'s position."""
    _check_callable(f, "scan: f")
    x_leaves, x_def = tree_flatten(xs)
    x_avals = [_aval(x, "scan: xs") for x in x_leaves]
    for a in x_avals:
        if not a.shape:
            raise errors.ControlFlowError("scan: every leaf of xs needs a leading axis to scan")
    sizes = sorted({a.shape[0] for a in x_avals})
    if length is not None:
        length = operator.index(length)
        if sizes and sizes != [length]:
            raise ValueError(f"scan: length={length} but xs have leading axis sizes {sizes}")
    elif len(sizes) > 1:
        raise ValueError(f"scan: xs have different leading axis sizes {sizes}")
    elif not sizes:
        raise ValueError("scan: xs has no arrays to scan over: pass length=")
    else:
        length = sizes[0]
    c_leaves, c_def = tree_flatten(init)
    c_avals = [_aval(x, "scan: init") for x in c_leaves]
    if _eager(init, xs) and length:
        carry, ys = init, []
        for i in range(length - 1, -1, -1) if reverse else range(length):
            out = f(carry, tree_unflatten(x_def, [x[i] for x in x_leaves]))
            if not isinstance(out, tuple) or len(out) != 2:
                raise errors.ControlFlowError("scan: f must return a pair (carry, y)")
            carry, y = out
            out_leaves, out_def = tree_flatten(carry)
            out_avals = [_aval(x, "scan: f's carry") for x in out_leaves]
            if not _same_types(c_def, c_avals, out_def, out_avals):
                raise _carry_error("scan: f", c_def, c_avals, out_def, out_avals)
            ys.append(y)
        if reverse:
            ys.reverse()
        y_leaves = [tree_flatten(y) for y in ys]
        y_def = y_leaves[0][1]
        stacked = [np.stack(col) for col in zip(*(ls for ls, _ in y_leaves))]
        return carry, tree_unflatten(y_def, stacked)
    slice_avals = [ShapedArray(a.shape[1:], a.dtype) for a in x_avals]
    n_c = len(c_leaves)
    out_defs: list = []

    def body(*leaves: Any) -> list:
        carry = tree_unflatten(c_def, list(leaves[:n_c]))
        x = tree_unflatten(x_def, list(leaves[n_c:]))
        out = f(carry, x)
        if not isinstance(out, tuple) or len(out) != 2:
            raise errors.ControlFlowError("scan: f must return a pair (carry, y)")
        new_leaves, new_def = tree_flatten(out[0])
        y_leaves, y_def = tree_flatten(out[1])
        out_defs.extend([new_def, y_def])
        return [*new_leaves, *y_leaves]

    program, _, lifted = trace_to_program(
        body, [strong(a) for a in c_avals + slice_avals], name=_name(f)
    )
    new_def, y_def = out_defs
    if not _same_types(c_def, c_avals, new_def, program.out_avals[:n_c]):
        raise _carry_error("scan: f", c_def, c_avals, new_def, program.out_avals[:n_c])
    outs = scan_p.bind(
        *lifted,
        *c_leaves,
        *x_leaves,
        program=program,
        length=length,
        reverse=bool(reverse),
        num_consts=len(lifted),
        num_carry=n_c,
    )
    return tree_unflatten(c_def, list(outs[:n_c])), tree_unflatten(y_def, list(outs[n_c:]))


def map(f: Callable, xs: Any, *, batch_size: int | None = None) -> Any:  # noqa: A001
    """``stack([f(x) for x in xs])`` over the leading axis of ``xs`` (JAX's ``lax.map``),
    sequentially; with ``batch_size``, ``vmap(f)`` runs on chunks of that many elements (the
    remainder last), bounding memory while vectorising."""
    _check_callable(f, "map: f")
    if batch_size is None:
        return scan(lambda c, x: (c, f(x)), None, xs)[1]
    batch_size = operator.index(batch_size)
    if batch_size < 1:
        raise ValueError(f"map: batch_size must be a positive int, got {batch_size}")
    leaves, x_def = tree_flatten(xs)
    if not leaves:
        raise ValueError("map: xs has no arrays to map over")
    n = _aval(leaves[0], "map: xs").shape[0]
    chunks, rest = divmod(n, batch_size)
    parts = []
    if chunks:
        main = [
            anp.reshape(x[: chunks * batch_size], (chunks, batch_size, *x.shape[1:]))
            for x in leaves
        ]
        ys = scan(lambda c, x: (c, vmap(f)(x)), None, tree_unflatten(x_def, main))[1]
        y_leaves, y_def = tree_flatten(ys)
        parts.append([anp.reshape(y, (chunks * batch_size, *y.shape[2:])) for y in y_leaves])
    if rest:
        tail = tree_unflatten(x_def, [x[chunks * batch_size :] for x in leaves])
        y_leaves, y_def = tree_flatten(vmap(f)(tail))
        parts.append(y_leaves)
    if len(parts) == 1:
        return tree_unflatten(y_def, parts[0])
    return tree_unflatten(y_def, [anp.concatenate(col) for col in zip(*parts)])
