"""Which equations of a jit program the numba backend fuses into one loop (docs/how-jit-works.md).

A *group* is a chain (a graph, in fact) of elementwise equations over one iteration shape,
optionally ending in a reduction over its trailing axes (one or several: NumPy reduces those
of a C-contiguous array as one run), optionally followed by elementwise
equations on the reduced values; one loop over the data computes the group's one output
without materialising its intermediate values (an elementwise value other groups read too is
recomputed in each).  Reshaping views of the group's inputs (``expand_dims``, ``reshape``,
``example_layout``) become index patterns of the loop (so does ``ravel`` in C order, a
reshape), and so do slices with steps of 1 (offsets into the value they slice).

Only operations that compiled code computes exactly as NumPy does join a group: IEEE
arithmetic (``+ - * /``, ``sqrt``), comparisons, ``maximum``/``minimum`` with NumPy's NaN and
signed-zero rule, rounding, bitwise and logical operations, ``where``; integer arithmetic that
wraps as NumPy's does; sums and means that add in NumPy's own pairwise order; max and min.
Transcendental functions (``exp``, ``tanh``, ...) are left to NumPy, whose implementations
differ from libm's in the last bit.  The groups are found here; kernels are written in
``fused_kernels`` and run by ``fused``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autovec.ir import Literal, Program, Var
from autovec.prims.elementwise import where_p
from autovec.prims.reductions import REDUCTIONS, example_layout_p
from autovec.prims.shape import (
    convert_element_type_p,
    expand_dims_p,
    getitem_p,
    ravel_p,
    reshape_p,
    squeeze_p,
)

# The dtypes kernels handle (native byte order).  uint64 is left out: NumPy promotes it with
# signed integers to float64, a corner not worth the risk.
DTYPES = frozenset(
    np.dtype(t)
    for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32)
    + (np.float32, np.float64)
)

# NumPy ufunc -> (expression over operands already cast to the loop dtype, dtype kinds of the
# loops it may run in).  Each one gives, for every input, NumPy's bits and NumPy's floating-point
# exception flags (which the runner reads to reproduce NumPy's warnings).
ELEMENTWISE: dict[str, tuple[str, str]] = {
    "add": ("({0} + {1})", "iuf"),
    "subtract": ("({0} - {1})", "iuf"),
    "multiply": ("({0} * {1})", "iuf"),
    "divide": ("({0} / {1})", "f"),
    "negative": ("(-{0})", "if"),
    "positive": ("({0})", "iuf"),
    "square": ("({0} * {0})", "iuf"),
    "absolute": ("abs({0})", "iuf"),  # (abs of the most negative integer wraps, as NumPy's)
    "fabs": ("abs({0})", "f"),
    "sqrt": ("np.sqrt({0})", "f"),
    "reciprocal": ("(1.0 / {0})", "f"),  # (float32: a float64 quotient, rounded once more)
    "sign": ("(({0} > 0) * 1 - ({0} < 0) * 1)", "iuf"),  # floats: QUIET_FLOAT
    "maximum": ("_maximum({0}, {1})", "iuf"),
    "minimum": ("_minimum({0}, {1})", "iuf"),
    "equal": ("({0} == {1})", "biuf"),
    "not_equal": ("({0} != {1})", "biuf"),
    "less": ("({0} < {1})", "biuf"),
    "less_equal": ("({0} <= {1})", "biuf"),
    "greater": ("({0} > {1})", "biuf"),
    "greater_equal": ("({0} >= {1})", "biuf"),
    "logical_and": ("({0} & {1})", "b"),
    "logical_or": ("({0} | {1})", "b"),
    "logical_xor": ("({0} != {1})", "b"),
    "logical_not": ("(not {0})", "b"),
    "bitwise_and": ("({0} & {1})", "biu"),
    "bitwise_or": ("({0} | {1})", "biu"),
    "bitwise_xor": ("({0} ^ {1})", "biu"),
    "invert": ("(~{0})", "biu"),  # (numba's ~ of a boolean is not, unlike Python's)
    "floor": ("np.floor({0})", "f"),
    "ceil": ("np.ceil({0})", "f"),
    "trunc": ("np.trunc({0})", "f"),
    "rint": ("np.rint({0})", "f"),
    "copysign": ("np.copysign({0}, {1})", "f"),
    # Tests of a float's class, with quiet comparisons only (== and != raise no flag on NaN).
    "isnan": ("({0} != {0})", "f"),
    "isinf": ("(abs({0}) == np.inf)", "f"),
    "isfinite": ("((abs({0}) != np.inf) & ({0} == {0}))", "f"),
    "signbit": ("np.signbit({0})", "f"),
    # ``astype`` to a float dtype (convert_element_type): IEEE's rounding, and its overflow flag.
    "cast": ("({0})", "iuf"),
}

# The float loops of the ordered comparisons (and of what is made of them): NumPy compares
# quietly, raising no flag for a NaN, where the compiler's vector compares are signalling ones
# (an "invalid" flag, read as a warning NumPy did not give: the call would run again as NumPy
# code).  These helpers (fused_kernels._HELPERS) keep NaNs away from the ordered compares.
QUIET_FLOAT = {
    "less": "_lt({0}, {1})",
    "less_equal": "_le({0}, {1})",
    "greater": "_lt({1}, {0})",
    "greater_equal": "_le({1}, {0})",
    "maximum": "_fmaximum({0}, {1})",
    "minimum": "_fminimum({0}, {1})",
    "sign": "_sign({0})",
}


def template(fn: str, loop: tuple) -> str:
    """The kernel expression of ELEMENTWISE function ``fn`` over its loop dtypes."""
    if fn in QUIET_FLOAT and loop[0].kind == "f":
        return QUIET_FLOAT[fn]
    return ELEMENTWISE[fn][0]


# Reductions over trailing axes a kernel computes as NumPy does: integer sums (exact), float
# sums in NumPy's pairwise order (see sum_runs), float means (that sum, then NumPy's division
# by the count: in float64, rounded to the sum's dtype), any/all of booleans, max/min.  A
# float max/min is NumPy's except where it is NaN (which NaN, NumPy's SIMD order decides) or
# zero (NumPy returns either zero when both signs occur): there the kernel stops and the call
# runs as NumPy code.
REDUCIBLE = ("sum", "mean", "any", "all", "max", "min")
MAX_PAIRWISE = 128
_SUM_RUNS: list = []


def sum_runs() -> str | None:
    """How NumPy's ``add.reduce`` sums a long contiguous run of floats (no cast): "whole"
    (NumPy >= 2.3: one pairwise sum, blocks of MAX_PAIRWISE numbers added in a fixed tree),
    "buffer" (NumPy 2.2: one pairwise sum per ``np.getbufsize()`` numbers, added one after
    another), or None (neither: float sums longer than one block stay NumPy's).  Asked of
    NumPy once per process, on numbers whose sum shows the order."""
    if not _SUM_RUNS:
        b = np.getbufsize()
        rng = np.random.default_rng(0)
        x = rng.standard_normal((2, 2 * b + 1000)) * 10.0 ** rng.integers(-8, 9, (2, 2 * b + 1000))

        def whole(v: Any) -> Any:  # pieces of at most b numbers NumPy sums in one call
            h = len(v) // 2 - (len(v) // 2) % 8
            return np.add.reduce(v) if len(v) <= b else whole(v[:h]) + whole(v[h:])

        def buffer(v: Any) -> Any:
            r = np.float64(0.0)
            for start in range(0, len(v), b):
                r = r + np.add.reduce(v[start : start + b])
            return r

        got = list(np.add.reduce(x, axis=1))
        runs = next((m.__name__ for m in (whole, buffer) if got == [m(v) for v in x]), None)
        _SUM_RUNS.append(runs)
    return _SUM_RUNS[0]


def sum_run_length() -> int:
    """The longest run of numbers NumPy sums pairwise in one go, now (``np.setbufsize``)."""
    return np.getbufsize() if sum_runs() == "buffer" else 1 << 62


@dataclass
class Node:
    """One computed value of a group: ``fn`` over ``args`` (``("x", k)`` kernel input k,
    ``("v", n)`` node n, ``("lit", value)``), computed in ``loop`` dtypes, giving ``dtype``."""

    fn: str
    args: list[tuple]
    loop: tuple
    dtype: np.dtype
    level: str  # "pre": over the iteration shape; "top": over the output shape
    reduce: bool = False
    eqn: Any = field(default=None, repr=False, compare=False)  # the equation it computes
    # A float value ``where`` may drop: NumPy computes it (and may warn) for every element,
    # so the kernel stores it (``fused_kernels``), which keeps the compiler from skipping it.
    keep: bool = False


@dataclass
class Group:
    """A fusible group: ``members`` (equation indices) compute ``root`` from ``inputs``."""

    members: list[int]
    root: Var
    inputs: list[tuple[Var, tuple, str]]  # (program value, the shape it is viewed as, level)
    nodes: list[Node]
    shape: tuple  # the iteration shape (before the reduction, if any)
    out_shape: tuple
    out_dtype: np.dtype
    keepdims: bool = False
    reduced: bool = False
    nred: int = 0  # how many trailing axes of ``shape`` the reduction reduces
    # Per input: () or, for a slice of the program value (``x[:, 1:-1]``, steps of 1), the
    # start of the slice on each axis; the kernel reads the whole value at those offsets.
    starts: list[tuple] = field(default_factory=list)
    in_place: bool = False  # input 0 has the output's shape and dtype: the kernel may write it
    key: str = field(default="", compare=False)

    @property
    def kept(self) -> list[int]:
        """The nodes the kernel stores into its scratch rows (``Node.keep``)."""
        return [n for n, node in enumerate(self.nodes) if node.keep]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


def _operand_type(a: Any) -> Any:
    if isinstance(a, Literal):
        v = a.val
        if type(v) is bool or isinstance(v, np.bool_):
            return np.dtype(bool)
        if type(v) in (int, float):
            return type(v)
        return v.dtype if isinstance(v, np.generic) else None
    if a.aval.weak_type:
        return None
    return a.aval.dtype


def _literal_ok(a: Any) -> bool:
    return not isinstance(a, Literal) or (
        type(a.val) in (bool, int, float) or isinstance(a.val, (np.bool_, np.integer, np.floating))
    )


def elementwise_op(e: Any) -> tuple[str, tuple] | None:
    """(ufunc name, loop dtypes) when ``e`` is an elementwise equation a kernel computes
    exactly as NumPy, else None."""
    name = e.prim.xp_function
    if e.prim is convert_element_type_p:  # integers and floats to floats
        src, out = e.inputs[0], e.params["dtype"]
        ok = isinstance(src, Var) and src.aval.dtype in DTYPES and src.aval.dtype.kind in "iuf"
        return ("cast", (src.aval.dtype,)) if ok and out in DTYPES and out.kind == "f" else None
    if e.params or e.prim.multiple_results or len(e.outputs) != 1:
        return None
    out = e.outputs[0].aval.dtype
    if out not in DTYPES or not all(_literal_ok(a) for a in e.inputs):
        return None
    types = [_operand_type(a) for a in e.inputs]
    if any(t is None or (isinstance(t, np.dtype) and t not in DTYPES) for t in types):
        return None
    if e.prim is where_p:
        return ("where", (np.dtype(bool), out, out)) if types[0] == np.dtype(bool) else None
    if name not in ELEMENTWISE or not isinstance(getattr(np, name, None), np.ufunc):
        return None
    ufunc = getattr(np, name)
    if ufunc.nin != len(types) or ufunc.nout != 1:
        return None
    try:
        loop = ufunc.resolve_dtypes((*types, None))
    except (TypeError, ValueError):
        return None
    if loop[-1] != out or any(t not in DTYPES for t in loop):
        return None
    kinds = ELEMENTWISE[name][1]
    if loop[0].kind not in kinds or any(t != loop[0] for t in loop[:-1]):
        return None
    return name, tuple(loop[:-1])


def reduction_op(e: Any) -> str | None:
    """The reduction's name when a kernel computes ``e`` exactly as NumPy, else None."""
    name = next((n for n in REDUCIBLE if REDUCTIONS[n] is e.prim), None)
    x = e.inputs[0]
    if name is None or not isinstance(x, Var):
        return None
    # A sum of booleans may name its dtype: a count (count_nonzero's), exact in any order.
    counted = {"dtype"} if name == "sum" and getattr(x.aval, "dtype", None) == np.bool_ else set()
    if set(e.params) - counted != {"axes", "keepdims"}:
        return None
    axes, ndim = e.params["axes"], getattr(x.aval, "ndim", 0)
    # Trailing axes, at least one kept in front (its rows are the kernel's outer loop).
    if not axes or axes != tuple(range(ndim - len(axes), ndim)):
        return None
    if len(axes) >= ndim:
        return None
    n = int(np.prod(x.aval.shape[ndim - len(axes) :], dtype=np.int64))
    dt, out = x.aval.dtype, e.outputs[0].aval.dtype
    if dt not in DTYPES or out not in DTYPES or n == 0:
        return None
    if name in ("any", "all"):
        return name if dt == np.dtype(bool) else None
    if name == "mean" and dt.kind != "f":  # NumPy sums integers in float64: left to NumPy,
        # but for booleans (a fraction): every partial sum is a whole number, exact in any order
        return name if dt.kind == "b" and out == np.dtype(np.float64) else None
    if name in ("max", "min"):
        return name if dt.kind in "iuf" and out == dt else None
    if dt.kind == "f":  # NumPy's pairwise order, where NumPy adds in the input's dtype
        return name if out == dt and (n <= MAX_PAIRWISE or sum_runs() is not None) else None
    return name if out.kind in "iu" else None


_VIEWS = (expand_dims_p, reshape_p, squeeze_p, example_layout_p)


def _is_view(e: Any) -> bool:
    """Whether the runner can read ``e`` as a C-order reshape of its input."""
    return e.prim in _VIEWS or (e.prim is ravel_p and e.params.get("order") == "C")


def slice_starts(e: Any) -> tuple | None:
    """Where ``e`` takes a slice with steps of 1 on each axis (no ints, no new axes), of
    a non-empty result: the slice's start on each axis; else None."""
    if e.prim is not getitem_p or not isinstance(e.inputs[0], Var):
        return None
    shape = e.inputs[0].aval.shape
    index = e.params["index"]
    if len(index) > len(shape) or not all(type(i) is tuple and i[2] in (None, 1) for i in index):
        return None
    if 0 in e.outputs[0].aval.shape:
        return None
    starts = [slice(*i).indices(n)[0] for i, n in zip(index, shape)]
    return tuple(starts) + (0,) * (len(shape) - len(index))


KINDS = ("op", "red", "view", "slice")  # what _kind says of an equation a group may hold


def _kind(e: Any) -> str | None:
    if e.errstate is not None:
        return None
    if slice_starts(e) is not None:
        return "slice"
    if _is_view(e):
        return "view" if len(e.outputs) == 1 and isinstance(e.inputs[0], Var) else None
    if elementwise_op(e) is not None:
        return "op"
    return "red" if reduction_op(e) is not None else None


def find_groups(program: Program, min_size: int) -> list[Group]:
    """The groups worth a kernel: two or more computations over at least ``min_size``
    elements, one output each.  No two groups share a reduction; an elementwise equation
    (or a view) may be computed in several groups (recomputing is cheaper than writing the
    value out and reading it back, and gives the same bits), and stays in the program too
    where something outside them reads it (``kept_members``)."""
    eqns = program.eqns
    kinds = [_kind(e) for e in eqns]
    consumers: dict[int, set[int]] = {}
    producer: dict[int, int] = {}
    for k, e in enumerate(eqns):
        for a in e.inputs:
            if isinstance(a, Var):
                consumers.setdefault(a.id, set()).add(k)
        producer.update((o.id, k) for o in e.outputs)
    returned = returned_ids(program)
    taken: set[int] = set()
    groups: list[Group] = []
    holders: dict[int, list[set]] = {}  # equation -> member sets of the groups computing it
    outside: set[int] = set()  # equations the program still computes (not a group's root)

    def read_outside(k: int) -> bool:  # whether something but k's groups reads k's value
        if any(o.id in returned for o in eqns[k].outputs):
            return True
        users = set().union(*(consumers.get(o.id, set()) for o in eqns[k].outputs))
        return any(
            u in outside or any(k not in members for members in holders.get(u, ())) for u in users
        )

    for r in reversed(range(len(eqns))):
        if r in taken and not read_outside(r):
            continue  # computed in the groups that read it, and nowhere else
        group = None
        if kinds[r] == "op" or (kinds[r] == "red" and r not in taken):
            group = _grow(program, r, kinds, consumers, returned, taken, producer)
        if group is not None and group.size >= min_size:
            groups.append(group)
            taken.update(group.members)
            members = set(group.members)
            for k in members:
                holders.setdefault(k, []).append(members)
        else:
            outside.add(r)
    return groups[::-1]


def kept_members(program: Program, groups: list[Group]) -> set[int]:
    """The groups' equations (other than their roots) the program must still compute: those
    whose values a program output, an equation outside every group, or another group's
    kernel reads."""
    roots = {g.members[-1] for g in groups}
    inside = {k for g in groups for k in g.members} - roots
    needed = {o.id for o in program.outputs if isinstance(o, Var)}
    needed.update(var.id for g in groups for var, _, _ in g.inputs)
    kept: set[int] = set()
    for k in reversed(range(len(program.eqns))):
        e = program.eqns[k]
        if k in roots or (k in inside and not any(o.id in needed for o in e.outputs)):
            continue
        if k in inside:
            kept.add(k)
        needed.update(a.id for a in e.inputs if isinstance(a, Var))
    return kept


def _grow(
    program: Program,
    r: int,
    kinds: list,
    consumers: dict[int, set[int]],
    returned: set[int],
    taken: set[int],
    producer: dict[int, int],
    strict_top: bool = False,
) -> Group | None:
    """Absorb, from ``r`` down, every equation some of whose readers are in the group: all of
    them for a reduction (computed once), any for elementwise equations and views.  A float
    value ``where`` may drop joins where the kernel computes it element by element (not after
    a reduction, ``strict_top``: then the group is grown again without those)."""
    eqns = program.eqns
    top = eqns[r].outputs[0].aval.shape
    level = {r: "top"}
    pre_shape = None
    red = None
    if kinds[r] == "red":
        red, pre_shape, level[r] = r, eqns[r].inputs[0].aval.shape, "red"
    dropped_top = False  # a value where may drop joined at the output's level
    for j in range(r - 1, -1, -1):
        if kinds[j] is None or (kinds[j] == "red" and j in taken):
            continue
        out = eqns[j].outputs[0]
        readers = consumers.get(out.id, set())
        users = readers & level.keys()
        if not users:
            continue
        # Read outside the group too: recomputed here only where every reader may be fused
        # (a value NumPy code or the caller reads is written out anyway: the group reads it).
        if users != readers and (out.id in returned or any(kinds[u] is None for u in readers)):
            continue
        # The level a value read by these users lives at: the reduction reads "pre" values.
        lv = {"pre" if level[u] in ("red", "pre") else "top" for u in users}
        if len(lv) != 1:
            continue
        lv_ = lv.pop()
        shape = out.aval.shape
        if kinds[j] in ("view", "slice"):
            # A slice is read at offsets of the value it slices, which no group may compute
            # (and no view may reshape: the slice is not a contiguous block of it).
            src = producer.get(eqns[j].inputs[0].id)
            if src is not None and kinds[src] in (("slice",) if kinds[j] == "view" else KINDS):
                continue
            level[j] = lv_
            continue
        # A computed value is read at its own shape, through views that keep it.
        if any(_is_view(eqns[u]) and eqns[u].outputs[0].aval.shape != shape for u in users):
            continue
        if any(
            eqns[u].prim is where_p and out.aval.dtype.kind == "f" and eqns[u].inputs[0] is not out
            for u in users
        ):  # a value ``where`` may drop: computed for every element (Node.keep)
            if kinds[j] == "red" or (lv_ == "top" and (strict_top or red is not None)):
                continue
            dropped_top = dropped_top or lv_ == "top"
        if kinds[j] == "red":
            if red is not None or lv_ != "top" or shape != top:
                continue
            if users != readers:
                continue
            red, pre_shape, level[j] = j, eqns[j].inputs[0].aval.shape, "red"
            continue
        want = pre_shape if lv_ == "pre" else top
        if shape != want:
            continue
        level[j] = lv_
    if dropped_top and red is not None:  # computed per row, after the reduction: not kept
        return _grow(program, r, kinds, consumers, returned, taken, producer, strict_top=True)
    return _describe(program, level, r, red, pre_shape, top)


def returned_ids(program: Program) -> set[int]:
    return {o.id for o in program.outputs if isinstance(o, Var)}


def _describe(
    program: Program, level: dict[int, str], r: int, red: int | None, pre_shape: Any, top: tuple
) -> Group | None:
    """The group's kernel inputs and nodes, in program order; None if not worth a kernel."""
    eqns = program.eqns
    shape = pre_shape if red is not None else top
    root = eqns[r].outputs[0]
    if not shape or 0 in shape or (red is not None and not top) or root.aval.dtype not in DTYPES:
        return None
    # var id -> ("v", n) or ("ext", var, view shape, slice starts or ())
    produced: dict[int, tuple] = {}
    keys: list[tuple] = []  # (var, view shape, level, starts) of each kernel input
    nodes: list[Node] = []
    members = sorted(level)

    def ref(a: Any, lv: str) -> tuple:
        if isinstance(a, Literal):
            return ("lit", a.val)
        got = produced.get(a.id, ("ext", a, a.aval.shape, ()))
        if got[0] == "v":
            return got
        key = (got[1], got[2], lv, got[3])
        if key not in keys:
            keys.append(key)
        return ("x", keys.index(key))

    for k in members:
        e = eqns[k]
        lv = "pre" if level[k] == "pre" else "top"
        starts = slice_starts(e)
        if _is_view(e) or starts is not None:
            got = produced.get(e.inputs[0].id, ("ext", e.inputs[0], None, ()))
            out = e.outputs[0]
            if starts is not None:  # of a program value, whole (_grow)
                produced[out.id] = ("ext", got[1], out.aval.shape, starts)
            else:
                produced[out.id] = got if got[0] == "v" else ("ext", got[1], out.aval.shape, ())
            continue
        if k == red:
            nodes.append(
                Node(
                    reduction_op(e),
                    [ref(e.inputs[0], "pre")],
                    (),
                    e.outputs[0].aval.dtype,
                    "top",
                    reduce=True,
                    eqn=e,
                )  # fmt: skip
            )
        else:
            name, loop = elementwise_op(e)
            args = [ref(a, lv) for a in e.inputs]
            nodes.append(Node(name, args, loop, e.outputs[0].aval.dtype, lv, eqn=e))
        produced[e.outputs[0].id] = ("v", len(nodes) - 1)
    if len(nodes) < 2:
        return None
    for node in nodes:
        if node.fn == "where":
            for kind, n in node.args[1:]:
                if kind == "v" and nodes[n].dtype.kind == "f":
                    nodes[n].keep = True
    group = Group(
        members,
        root,
        [key[:3] for key in keys],
        nodes,
        tuple(shape),
        tuple(root.aval.shape),
        root.aval.dtype,
        keepdims=bool(red is not None and eqns[red].params["keepdims"]),
        reduced=red is not None,
        nred=len(eqns[red].params["axes"]) if red is not None else 0,
        starts=[key[3] for key in keys],
    )
    _put_in_place_first(group)
    return group


def _put_in_place_first(group: Group) -> None:
    """Put first an input the kernel may overwrite (jit's code generator decides whether it
    is a dead temporary): viewed whole, at the output's shape and dtype, read only once."""
    if group.reduced:
        return
    for k, (var, view, _) in enumerate(group.inputs):
        once = sum(v is var for v, _, _ in group.inputs) == 1
        whole = view == var.aval.shape == group.out_shape and not group.starts[k]
        if once and whole and var.aval.dtype == group.out_dtype:
            order = [k] + [i for i in range(len(group.inputs)) if i != k]
            remap = {old: new for new, old in enumerate(order)}
            group.inputs = [group.inputs[i] for i in order]
            group.starts = [group.starts[i] for i in order]
            for node in group.nodes:
                node.args = [("x", remap[a[1]]) if a[0] == "x" else a for a in node.args]
            group.in_place = True
            return
