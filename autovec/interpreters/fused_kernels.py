"""numba kernels for fusion groups (``fused_groups``): source, on-disk cache, loading.

A group's kernel is Python source for ``numba.njit``, written to a file in the user's cache
folder (``$AUTOVEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/autovec`` or ``~/.cache/autovec``) and
compiled with ``cache=True``, so numba keeps the machine code beside it and a second process
loads it instead of compiling.  The file is named by a hash of its source; the source depends
on ranks, dtypes and which axes broadcast, not on sizes, so one kernel serves every batch size.

Each kernel computes rows ``start:stop`` of the iteration space's first axis (the caller runs
chunks on several threads) and leaves the floating-point exception flags as NumPy's ufunc
loops would; ``fp_flags`` reads them, so the caller can give NumPy's warnings instead.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from autovec.interpreters.fused_groups import MAX_PAIRWISE, Group, Node, template
from autovec.interpreters.fused_sums import FILL, SIMD_VERSION, pairwise_functions

# Reductions summed in NumPy's pairwise order ("mean" then divides by the count, _mean).
FLOAT_SUMS = ("sum", "mean")

_NB_TYPE = {
    "b": "boolean",
    "i1": "int8",
    "i2": "int16",
    "i4": "int32",
    "i8": "int64",
    "u1": "uint8",
    "u2": "uint16",
    "u4": "uint32",
    "f4": "float32",
    "f8": "float64",
}


def _nb(dt: np.dtype) -> str:
    return _NB_TYPE["b" if dt.kind == "b" else dt.kind + str(dt.itemsize)]


def _np(dt: np.dtype) -> str:
    return "np.bool_" if dt.kind == "b" else f"np.{dt.name}"


def _literal(v: Any, dt: np.dtype) -> str:
    x = np.asarray(v).astype(dt)[()]
    if dt.kind == "b":
        return repr(bool(x))
    if dt.kind == "f":
        text = repr(float(x))
        if not np.isfinite(x):
            text = f"float('{text}')"
        return f"{_np(dt)}({text})"
    return f"{_np(dt)}({int(x)})"


_HELPERS = f"""
from autovec.interpreters.fused_simd import order_key  # noqa: E402  (v{SIMD_VERSION})

_u = np.uint64


@njit(**_OPTS)
def _maximum(a, b):
    return a if (a > b or a != a) else b


@njit(**_OPTS)
def _minimum(a, b):
    return a if (a < b or a != a) else b


@njit(**_OPTS)
def _lt(a, b):  # a < b for floats with no flag on a NaN: integer keys (fused_simd)
    return (a == a) & (b == b) & (order_key(a) < order_key(b))


@njit(**_OPTS)
def _le(a, b):
    return (a == a) & (b == b) & (order_key(a) <= order_key(b))


@njit(**_OPTS)
def _fmaximum(a, b):
    return a if (_lt(b, a) or a != a) else b


@njit(**_OPTS)
def _fminimum(a, b):
    return a if (_lt(a, b) or a != a) else b


@njit(**_OPTS)
def _sign(a):  # NumPy's: +0.0 for either zero, a NaN as it came (quiet tests only)
    if a != a:
        return a
    if a == 0:
        return 0.0
    return -1.0 if np.signbit(a) else 1.0
"""


# Lanes per block of the lane form: 8 running sums of this many lanes stay in the L1 cache.
LANE_BLOCK = 256
# The fewest lanes for the lane form of a long float sum (measured: 22 lanes of 490,000
# products ran 10% slower than the row form, 64 lanes 1.4x faster).
LONG_LANES = 32


def lane_inputs(group: Group) -> tuple[int, ...] | None:
    """The inputs a reduction's kernel reads with the lane axis moved last (so that the
    lanes, the axis before the reduced ones, are contiguous), or None for the row form.

    The lane form runs the reduction for a block of lanes at once: the innermost loop runs
    over lanes, each with its own running sums, so each lane adds its numbers in NumPy's
    order while the compiler vectorises across lanes.  Worth it when the inputs to move are
    small next to the work (a broadcast operand, as in pairwise distances; the vectors of an
    outer product); an input as large as the iteration space would cost a pass to move.
    Float sums take it over one axis whatever its length, and over several axes holding one
    block (MAX_PAIRWISE numbers) or fewer; a long one, or one over several axes, only with
    LONG_LANES lanes or more: with fewer the vectorised lane loop is mostly its scalar
    remainder, slower than the row form.  Over several axes holding more than one block, the
    row form's vector sums (``fused_sums``) beat the lane form whatever the lanes (measured:
    outer products of 700, 300, 100 and 30 numbers, 64 to 4,096 lanes: 0.20-0.34 ns a
    product against 0.21-0.52).  Other reductions take it for one reduced axis.
    """
    if not group.reduced or len(group.shape) < 2 or any(group.starts):
        return None  # (a slice is read at offsets of the whole value: the row form)
    red = next(nd for nd in group.nodes if nd.reduce)
    lane = len(group.shape) - group.nred - 1
    if red.fn in FLOAT_SUMS and red.dtype.kind == "f":
        run = int(np.prod(group.shape[lane + 1 :], dtype=np.int64))
        if group.nred > 1 and run > MAX_PAIRWISE:
            return None  # the row form's vector sums are faster (docs/how-jit-works.md)
        if (group.nred > 1 or run > MAX_PAIRWISE) and group.shape[lane] < LONG_LANES:
            return None
    elif group.nred != 1 or red.dtype.kind == "f":  # (float max/min: the row form)
        return None
    swapped = tuple(k for k in range(len(group.inputs)) if lane_axis(group, k) is not None)
    cost = sum(int(np.prod(group.inputs[k][1])) for k in swapped)
    return swapped if 8 * cost <= group.size else None


def lane_axis(group: Group, k: int) -> int | None:
    """The axis of input ``k`` (as viewed) that the lane form moves last: its lane axis,
    where the input varies along the lanes and along a reduced axis; else None."""
    _, view, lv = group.inputs[k]
    off = len(group.shape) - len(view)
    lane = len(group.shape) - group.nred - 1 - off
    if lv != "pre" or lane < 0 or view[lane] == 1 or all(n == 1 for n in view[lane + 1 :]):
        return None
    return lane


# The elementwise functions _elem8 computes on 8 numbers at once (fused_simd), with each
# operand in the sum's float dtype: the same IEEE operations lane by lane.
_VECTOR = {
    "add": "vadd8({0}, {1})",
    "subtract": "vsub8({0}, {1})",
    "multiply": "vmul8({0}, {1})",
    "divide": "vdiv8({0}, {1})",
    "negative": "vneg8({0})",
    "positive": "{0}",
    "square": "vmul8({0}, {0})",
}
# Rows of at most this many numbers are summed from _elem8 directly (longer ones through
# the buffer of fused_sums, which vectorises any _elem).
VECTOR_ROWS = 128


def vector_elem_ok(group: Group) -> bool:
    """Whether the row form sums ``group`` from ``_elem8``: a float sum over one axis of at
    most VECTOR_ROWS numbers, every step before it one of ``_VECTOR`` in the sum's dtype, on
    inputs of that dtype."""
    red = next((nd for nd in group.nodes if nd.reduce), None)
    if red is None or red.fn not in FLOAT_SUMS or red.dtype.kind != "f" or group.nred != 1:
        return False
    if group.shape[-1] > VECTOR_ROWS:
        return False
    dt = red.dtype
    for nd in group.nodes:
        if nd.level != "pre":
            continue
        if nd.fn not in _VECTOR or nd.dtype != dt or any(t != dt for t in nd.loop):
            return False
    return all(var.aval.dtype == dt for var, _, lv in group.inputs if lv == "pre")


def kernel_source(group: Group) -> str:
    """The module source of ``group``'s kernel: ``kernel(shape, run, start, stop, out, *xs)``
    (``run``: the longest run of numbers NumPy sums pairwise in one go, ``sum_run_length``)."""
    rank = len(group.shape)
    outer = rank - group.nred
    swapped = lane_inputs(group)
    # ``sk``: scratch rows where the kernel stores the values ``where`` may drop, so that
    # every one is computed, and raises its floating-point flags, as in NumPy (Node.keep).
    xs = ", ".join([f"x{k}" for k in range(len(group.inputs))] + ["sk"] * bool(group.kept))
    idx = [f"i{d}" for d in range(rank)]

    def index(k: int) -> str:
        var, view, lv = group.inputs[k]
        if not view:
            return f"x{k}[0]"
        return f"x{k}[{', '.join(parts(k))}]"

    def parts(k: int) -> list[str]:
        var, view, lv = group.inputs[k]
        if lv == "pre":
            space, names = group.shape, idx
        else:
            space = group.out_shape
            names = idx[:outer] + (["0"] * group.nred if group.keepdims else [])
        off = len(space) - len(view)
        starts = group.starts[k] or (0,) * len(view)
        # Unsigned indices: no negative-index wraparound test, which stops vectorisation.
        parts = [
            str(at) if n == 1 else f"_u({names[d + off]}{f' + {at}' if at else ''})"
            for d, (n, at) in enumerate(zip(view, starts))
        ]
        if swapped and k in swapped:
            parts.append(parts.pop(lane_axis(group, k)))
        return parts

    def operand(a: tuple, want: np.dtype) -> str:
        if a[0] == "lit":
            return _literal(a[1], want)
        text = f"a{a[1]}" if a[0] == "x" else f"v{a[1]}"
        return f"{_np(want)}({text})"

    def node_line(n: int, node: Node) -> str:
        if node.fn == "where":
            c, x, y = node.args
            expr = f"({operand(x, node.dtype)} if {operand(c, node.loop[0])} else "
            expr += f"{operand(y, node.dtype)})"
        else:
            expr = template(node.fn, node.loop).format(
                *(operand(a, t) for a, t in zip(node.args, node.loop))
            )
        return f"v{n} = {_np(node.dtype)}({expr})"

    def loads(level: str) -> list[str]:
        used = {a[1] for nd in group.nodes if nd.level == level for a in nd.args if a[0] == "x"}
        return [f"a{k} = {index(k)}" for k in sorted(used) if group.inputs[k][2] == level]

    lines = [
        "import numpy as np",
        "from numba import njit, types as nt",
        "",
        "from autovec.interpreters.fused_simd import (  # noqa: F401",
        "    add8, lane8, load8, splat8, start8, vadd8, vdiv8, vmul8, vneg8, vstart8, vsub8,",
        f")  # v{SIMD_VERSION}",
        "",
        '_OPTS = dict(error_model="numpy", nogil=True, cache=True)',
        _HELPERS,
    ]
    pre = [(n, nd) for n, nd in enumerate(group.nodes) if nd.level == "pre"]
    red = next((n for n, nd in enumerate(group.nodes) if nd.reduce), None)
    last_pre = group.nodes[red].args[0] if red is not None else ("v", len(group.nodes) - 1)
    if group.reduced:
        elem_nodes = pre
        top_nodes = [(n, nd) for n, nd in enumerate(group.nodes) if nd.level == "top" and n != red]
    else:
        elem_nodes, top_nodes = list(enumerate(group.nodes)), []
    body = loads("pre" if group.reduced else "top")
    for n, nd in elem_nodes:
        body.append(node_line(n, nd))
        if nd.keep:
            body.append(f"sk[{group.kept.index(n)}, _u({idx[-1]})] = np.float64(v{n})")
    result = f"v{last_pre[1]}" if last_pre[0] == "v" else f"a{last_pre[1]}"
    if last_pre[0] == "x":
        body.append(f"a{last_pre[1]} = {index(last_pre[1])}")
    lines += [
        "",
        "@njit(**_OPTS)",
        f"def _elem({', '.join(idx)}, {xs}):",
        *(f"    {line}" for line in body),
        f"    return {result}",
        "",
    ]
    vector = swapped is None and vector_elem_ok(group)
    if vector:  # _elem8: numbers i..i + 7 of the reduced axis at once (fused_simd)
        lines += ["@njit(**_OPTS)", f"def _elem8({', '.join(idx)}, {xs}):"]
        used = {a[1] for _, nd in pre for a in nd.args if a[0] == "x"}
        if last_pre[0] == "x":
            used.add(last_pre[1])
        for k in sorted(used):
            view = group.inputs[k][1]
            if view and view[-1] != 1:
                tup = ", ".join("_u(0)" if p == "0" else p for p in parts(k))
                lines.append(f"    a{k} = load8(x{k}, ({tup},))")
            else:
                lines.append(f"    a{k} = splat8({index(k)})")
        for n, nd in pre:
            ops = [
                _literal(a[1], nd.dtype).join(("splat8(", ")"))
                if a[0] == "lit"
                else f"{'a' if a[0] == 'x' else 'v'}{a[1]}"
                for a in nd.args
            ]
            lines.append(f"    v{n} = {_VECTOR[nd.fn].format(*ops)}")
        lines += [f"    return {result}", ""]
    setup, row, fill, finish = [], [], [], []
    if group.reduced and swapped is None:
        helpers, setup, row = _reduce_lines(group, red, rank, xs, vector)
        lines += helpers
    elif swapped is not None:
        helpers, setup, fill, finish = _lane_reduction(group, red, rank, xs)
        lines += helpers
    out_ty = f"nt.Array(nt.{_nb(group.out_dtype)}, {max(len(group.out_shape), 1)}, 'C')"
    in_tys = [f"nt.Array(nt.{_nb(v.aval.dtype)}, {max(len(s), 1)}, 'C', readonly=True)"
              for v, s, _ in group.inputs]  # fmt: skip
    in_tys += ["nt.Array(nt.float64, 2, 'C')"] * bool(group.kept)  # the scratch rows
    lines.append(
        f"_SIG = nt.int64(nt.UniTuple(nt.int64, {rank}), nt.int64, nt.int64, nt.int64, {out_ty}, "
        f"{', '.join(in_tys)})"
    )
    lines += ["", "", "@njit([_SIG], **_OPTS)", f"def kernel(shape, run, start, stop, out, {xs}):"]
    lines += [f"    n{d} = shape[{d}]" for d in range(1, rank)]
    lines += [f"    {line}" for line in setup]
    pad = "    "
    lane = outer - 1
    for d in range(outer if swapped is None else lane):
        bounds = "start, stop" if d == 0 else f"n{d}"
        lines.append(f"{pad}for i{d} in range({bounds}):")
        pad += "    "
    if swapped is not None:  # the lane form: blocks of lanes, each lane's sums in acc[:, l]
        lo, hi = ("start", "stop") if lane == 0 else ("0", f"n{lane}")
        lines.append(f"{pad}for b0 in range({lo}, {hi}, {LANE_BLOCK}):")
        pad += "    "
        lines.append(f"{pad}m = min({LANE_BLOCK}, {hi} - b0)")
        lines += [pad + line for line in fill]
        lines.append(f"{pad}for l in range(m):")
        pad += "    "
        lines.append(f"{pad}i{lane} = b0 + l")
        lines += [pad + line for line in finish]
    lines += [pad + line for line in row]
    if group.reduced:
        # (in the reduction's dtype: an int8 count wraps, as NumPy's, before later steps)
        lines += [pad + f"v{red} = {_np(group.nodes[red].dtype)}(r)"]
        lines += [pad + line for line in loads("top")]
        lines += [pad + node_line(n, nd) for n, nd in top_nodes]
        root = f"v{len(group.nodes) - 1}"
        at = idx[:outer] + (["0"] * group.nred if group.keepdims else [])
    else:
        root = f"_elem({', '.join(idx)}, {xs})"
        at = idx
    lines.append(f"{pad}out[{', '.join(at) or '0'}] = {root}")
    lines.append("    return 0")
    return "\n".join(lines) + "\n"


def _lane_reduction(group: Group, red: int, rank: int, xs: str) -> tuple[list, ...]:
    """The lane form's reduction: (helper functions, kernel lines before the loops, lines
    filling the block's sums, lines giving lane ``l``'s result ``r``)."""
    node = group.nodes[red]
    acc_t = _np(node.dtype)
    setup = [f"acc = np.empty((8, {LANE_BLOCK}), {acc_t})"]
    if node.fn not in FLOAT_SUMS or node.dtype.kind != "f":
        return [], setup, *_lane_lines(group, red, rank, xs)
    outer = rank - group.nred
    setup += [
        "st = np.empty((64, 3), np.int64)",  # _pairwise's stack: (start, count, state)
        f"sv = np.empty((64, {LANE_BLOCK}), {acc_t})",
        f"res = np.empty({LANE_BLOCK}, {acc_t})",
        f"tot = np.empty({LANE_BLOCK}, {acc_t})",
        f"nn = {' * '.join(f'n{d}' for d in range(outer, rank))}",
    ]
    head = "".join(f"i{d}, " for d in range(outer - 1))
    sizes = "".join(f"n{d}, " for d in range(outer, rank))
    call = f"_pairwise({head}b0, m, lo0, cnt, {sizes}{xs}, st, sv, acc, res)"
    add = "\n".join([call, "for l in range(m):", "    tot[_u(l)] = tot[_u(l)] + res[_u(l)]"])
    fill = ["for l in range(m):", f"    tot[_u(l)] = {acc_t}(0.0)", *_runs(add)]
    helpers = pairwise_functions(group, acc_t, rank, xs, lanes=True)
    return helpers, setup, fill, ["r = tot[l]", *_mean(node, acc_t)]


def _mean(node: Node, acc_t: str) -> list[str]:
    """For a mean, the line dividing the sum ``r`` by the count ``nn`` as NumPy's ``_mean``
    does: an integer count (strong, under NEP 50) makes the division float64's, rounded back
    to the sum's dtype."""
    return [f"r = {acc_t}(np.float64(r) / np.float64(nn))"] if node.fn == "mean" else []


def _runs(add: str) -> list[str]:
    """Lines running ``add`` (which sums ``cnt`` numbers from ``lo0`` into the result) over
    the runs NumPy sums pairwise in one go, one after another, as NumPy adds them."""
    # (np.int64(0), not 0: numba types a call on a literal 0 apart from one on an int64, and
    # would compile the whole chain of functions under it twice)
    return [
        "lo0 = np.int64(0)",
        "while lo0 < nn:",
        "    cnt = min(run, nn - lo0)",
        *("    " + line for line in add.split("\n")),
        "    lo0 += cnt",
    ]


def _lane_lines(group: Group, red: int, rank: int, xs: str) -> tuple[list[str], list[str]]:
    """The lane form's exact reductions (float sums: ``fused_sums``): lines filling
    ``acc[:, :m]`` for lanes ``b0 + l`` (the innermost loop runs over lanes), and lines giving
    one lane's result ``r`` from them."""
    node = group.nodes[red]
    acc_t = _np(node.dtype)
    n = f"n{rank - 1}"
    outer = "".join(f"i{d}, " for d in range(rank - 2))

    def elem(lane: str, j: str) -> str:
        return f"_elem({outer}{lane}, {j}, {xs})"

    def over_lanes(line: str, j: str, k: str = "0") -> list[str]:
        return ["for l in range(m):", "    " + line.format(a=f"acc[{k}, l]", e=elem("b0 + l", j))]

    if node.fn == "sum":
        start, update, first = f"{acc_t}(0)", f"{{a}} += {acc_t}({{e}})", 0
    elif node.fn in ("any", "all"):
        op = "|" if node.fn == "any" else "&"
        start, update, first = repr(node.fn == "all"), f"{{a}} = {{a}} {op} {{e}}", 0
    else:
        cmp = ">" if node.fn == "max" else "<"
        start, update, first = None, f"v = {{e}}\n{{a}} = v if v {cmp} {{a}} else {{a}}", 1
    fill = over_lanes("{a} = " + (start or "{e}"), "0")
    body = over_lanes(update, "j")
    body = body[:1] + ["    " + x for x in body[1].strip().split("\n")]
    fill += [f"for j in range({first}, {n}):", *("    " + x for x in body)]
    return fill, ["r = acc[0, l]"]


def _reduce_lines(
    group: Group, red: int, rank: int, xs: str, vector: bool
) -> tuple[list, list, list]:
    """The row form's reduction over the trailing ``group.nred`` axes: (helper functions,
    kernel lines before the loops, lines giving one row's result ``r``)."""
    node = group.nodes[red]
    acc_t = _np(node.dtype)
    outer = rank - group.nred
    red_idx = [f"i{d}" for d in range(outer, rank)]
    elem = f"_elem({''.join(f'i{d}, ' for d in range(rank))}{xs})"
    if node.fn in FLOAT_SUMS and node.dtype.kind == "f":
        helpers = pairwise_functions(group, acc_t, rank, xs, lanes=False, vector=vector)
        sizes = " * ".join(f"n{d}" for d in range(outer, rank))
        out_idx = "".join(f"i{d}, " for d in range(outer))
        red_sizes = "".join(f"n{d}, " for d in range(outer, rank))
        setup = [
            "st = np.empty((64, 3), np.int64)",  # _pairwise's stack: (start, count, state)
            f"sv = np.empty(64, {acc_t})",
            f"nn = {sizes}",
        ]
        setup.append(f"buf = np.empty({FILL}, {acc_t})")  # numbers of the row, in parts
        call = f"_pairwise({out_idx}lo0, cnt, {red_sizes}{xs}, st, sv, buf)"
        return helpers, setup, [f"r = {acc_t}(0.0)", *_runs(f"r = r + {call}"), *_mean(node, acc_t)]
    if node.fn in ("max", "min") and node.dtype.kind == "f":
        return [], [], _float_extreme(group, node, rank, xs)
    # Exact reductions (integers, booleans): any order gives NumPy's result.
    loops = [f"{'    ' * k}for {i} in range(n{outer + k}):" for k, i in enumerate(red_idx)]
    pad = "    " * len(red_idx)
    if node.fn == "sum":
        first, update = f"r = {acc_t}(0)", [f"r += {acc_t}({elem})"]
    elif node.fn in ("any", "all"):
        op, start = ("|", "False") if node.fn == "any" else ("&", "True")
        first, update = f"r = {start}", [f"r = r {op} {elem}"]
    else:
        cmp = ">" if node.fn == "max" else "<"
        zero = [f"{i} = np.int64(0)" for i in red_idx]
        first = "\n".join([*zero, f"r = {elem}"])
        update = [f"v = {elem}", f"r = v if v {cmp} r else r"]
    return [], [], [*first.split("\n"), *loops, *(pad + u for u in update)]


def _float_extreme(group: Group, node: Node, rank: int, xs: str) -> list[str]:
    """A row's float max or min ``r``, ending the kernel (``return 1``: the call runs as
    NumPy code) where it is NaN or zero, whose bits NumPy's SIMD order decides.  Over one
    axis, 8 running extremes over every 8th number: chains the CPU overlaps."""
    cmp = ">" if node.fn == "max" else "<"
    head = "".join(f"i{d}, " for d in range(rank - 1))

    def pick(m: str, j: str) -> list[str]:  # the extreme of m and number j, NaN winning
        return [f"v = _elem({head}{j}, {xs})", f"{m} = v if (v {cmp} {m} or v != v) else {m}"]

    stop = ["if r == 0.0 or r != r:", "    return 1"]
    if group.nred > 1:
        red_idx = [f"i{d}" for d in range(rank - group.nred, rank)]
        loops = [f"{'    ' * k}for {i} in range(n{d}):" for k, (d, i) in
                 enumerate(zip(range(rank - group.nred, rank), red_idx))]  # fmt: skip
        pad = "    " * group.nred
        update = [f"v = _elem({''.join(f'i{d}, ' for d in range(rank))}{xs})",
                  f"r = v if (v {cmp} r or v != v) else r"]  # fmt: skip
        first = [f"{i} = np.int64(0)" for i in red_idx] + [update[0], "r = v"]
        return [*first, *loops, *(pad + u for u in update), *stop]
    n = f"n{rank - 1}"
    lines = [f"if {n} >= 8:"]
    lines += [f"    m{k} = _elem({head}np.int64({k}), {xs})" for k in range(8)]
    lines += [f"    for j in range(8, {n} - {n} % 8, 8):"]
    lines += ["        " + x for k in range(8) for x in pick(f"m{k}", f"j + {k}")]
    lines += ["    r = m0"]
    lines += [f"    r = m{k} if (m{k} {cmp} r or m{k} != m{k}) else r" for k in range(1, 8)]
    lines += [
        f"    j0 = {n} - {n} % 8",
        "else:",
        f"    r = _elem({head}np.int64(0), {xs})",
        "    j0 = 1",
    ]
    lines += [f"for j in range(j0, {n}):", *("    " + x for x in pick("r", "j"))]
    return lines + stop


# ------------------------------------------------------------------------- the cache folder


def cache_dir() -> Path:
    """Where kernel sources and numba's machine code for them are kept."""
    base = os.environ.get("AUTOVEC_CACHE_DIR")
    if base:
        return Path(base).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "autovec"


def load_kernel(source: str) -> Any:
    """Write ``source`` to the cache folder (once: numba's cache is keyed on the file's time
    stamp) and import it; numba compiles, or loads the machine code of an earlier process."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    folder = cache_dir() / "kernels"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"k_{digest}.py"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(source)
        os.replace(tmp, path)  # atomic: a concurrent process sees all of it or nothing
    name = f"autovec_kernel_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.kernel


# --------------------------------------------------------------- floating-point exceptions

# (invalid, divide by zero, overflow) bits of fetestexcept, per architecture (glibc, macOS).
_FE_BITS = {"x86_64": (1, 4, 8), "amd64": (1, 4, 8), "aarch64": (1, 2, 4), "arm64": (1, 2, 4)}


class FPFlags:
    """Clear and read the thread's floating-point exception flags (C99 ``fenv.h``)."""

    def __init__(self) -> None:
        bits = _FE_BITS.get(platform.machine().lower())
        if bits is None:
            raise OSError(f"no floating-point flag bits known for {platform.machine()}")
        self.mask = bits[0] | bits[1] | bits[2]
        for lib in (None, "libm.so.6", "libm.dylib", "libSystem.dylib"):
            try:
                libm = ctypes.CDLL(lib)
                self.clear = libm.feclearexcept
                self.test = libm.fetestexcept
                break
            except (OSError, AttributeError):
                continue
        else:
            raise OSError("feclearexcept/fetestexcept not found")
        self.clear.argtypes = self.test.argtypes = [ctypes.c_int]
        self.clear.restype = self.test.restype = ctypes.c_int
