"""The numba kernels' float sums in NumPy's pairwise order: the source of ``_leaf`` and
``_pairwise`` for a group's reduction (``fused_kernels.kernel_source`` writes the rest).

NumPy sums a run of floats pairwise: below 8 numbers one after another from -0.0; up to
``MAX_PAIRWISE``, 8 running sums over every 8th number added in a fixed tree, then the rest
one by one; longer runs split at half, rounded down to a multiple of 8, each half summed so
and the two added.  Two forms make the same additions:

- the row form sums one row at a time; a row longer than one block is computed into a
  buffer a part at a time, and each block's 8 running sums are one vector (``fused_simd``);
- the lane form sums a block of rows ("lanes") at once, the innermost loop over lanes, each
  lane with its own running sums: the compiler vectorises across lanes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec.interpreters.fused_groups import MAX_PAIRWISE, Group

# fused_simd's version: part of each kernel's source, so a change there compiles them again
# (that module imports numba, which this one must not).
SIMD_VERSION = 3
# The row form of a float sum computes up to this many numbers of a row at once, then adds
# them (_row_functions below): long enough for vector loops, short enough for L1.
FILL = 2048


# NumPy's fixed tree over the 8 running sums of a block, held in the vector ``{s}``.
_TREE8 = "((lane8({s}, 0) + lane8({s}, 1)) + (lane8({s}, 2) + lane8({s}, 3))) + "
_TREE8 += "((lane8({s}, 4) + lane8({s}, 5)) + (lane8({s}, 6) + lane8({s}, 7)))"


def pairwise_functions(
    group: Group, acc_t: str, rank: int, xs: str, lanes: bool, vector: bool = False
) -> list:
    """``_leaf`` and ``_pairwise``: NumPy's pairwise sum of numbers ``lo:lo + n`` of a row (its
    reduced axes read as one run, C order).  Below 8 numbers, one after another from -0.0; up
    to MAX_PAIRWISE, 8 running sums over every 8th number added in a fixed tree, then the rest
    one by one; longer runs split at half, rounded down to a multiple of 8, each half summed
    so and the two added.  numba's cache cannot load recursive functions: ``_pairwise`` keeps
    its own stack.  The row form returns the sum; the lane form (``lanes``) sums lanes
    ``b0:b0 + m`` at once, each with its own running sums ``acc[:, l]``, into ``res[l]``."""
    outer = rank - group.nred
    last = rank - 1
    lead = [f"i{d}" for d in range(outer)]
    if lanes:
        lead[-1] = "b0 + l"
    head = "".join(f"{i}, " for i in lead) + "".join(f"i{d}, " for d in range(outer, last))
    params = [i for i in lead if i != "b0 + l"] + (["b0", "m"] if lanes else [])
    args = "".join(f"{a}, " for a in params) + "lo, n, "
    args += "".join(f"n{d}, " for d in range(outer, rank)) + xs
    extra = ", acc, res" if lanes else ""

    def elem(k: object = 0) -> str:
        return f"_elem({head}i{last}{f' + {k}' if k else ''}, {xs})"

    def over(line: str) -> list[str]:  # one statement for the row, or for each lane
        return ["for l in range(m):", "    " + line.replace("[l]", "[_u(l)]")] if lanes else [line]

    def carry(pad: str) -> list[str]:
        """After ``i{last}`` moved on: wrap the reduced indices at their sizes."""
        lines = []
        for d in range(last, outer, -1):
            lines += [f"{pad}if i{d} == n{d}:", f"{pad}    i{d} = 0", f"{pad}    i{d - 1} += 1"]
            pad += "    "
        return lines

    def step(pad: str) -> list[str]:
        return [f"{pad}i{last} += 1", *carry(pad)]

    def acc(k: object) -> str:
        return f"acc[_u({k}), _u(l)]" if lanes else f"a{k}"

    def indent(pad: str, lines: list[str]) -> list[str]:
        return [pad + line for line in lines]

    r = "res[l]" if lanes else "r"
    where = ["t = lo"]
    for d in range(last, outer, -1):
        where += [f"i{d} = t % n{d}", f"t //= n{d}"]
    where.append(f"i{outer} = t")
    if lanes:
        init8 = ["for k in range(8):", *indent("    ", over(f"{acc('k')} = {acc_t}(-0.0)"))]
        fast = ["for k in range(8):", *indent("    ", over(f"{acc('k')} += {elem('k')}"))]
    else:
        init8 = [f"{acc(k)} = {acc_t}(-0.0)" for k in range(8)]
        fast = [f"{acc(k)} += {elem(k)}" for k in range(8)]
    block = indent("    ", fast) + [f"    i{last} += 8", *carry("    ")]
    if group.nred > 1:  # 8 numbers within the last axis, else one by one across its end
        block = [f"    if i{last} + 8 <= n{last}:", *indent("    ", block), "    else:"]
        for k in range(8):
            block += [*indent("        ", over(f"{acc(k)} += {elem()}")), *step("        ")]
    steps = ["    for _ in range(n // 8):"]
    if lanes and group.nred == 1:
        # Four steps of the 8 running sums per pass over the lanes: each running sum is read
        # and written once for 4 numbers, added one after another as before (the memory
        # traffic of the sums was the kernel's bound: pairwise distances 13.1-13.6 -> 9.1-10.6 ms).
        chain = acc("k")
        for t in range(4):
            chain = f"({chain} + {elem(f'k + {8 * t}' if t else 'k')})"
        steps = [
            "    for _ in range(n // 32):",
            "        for k in range(8):",
            *indent("            ", over(f"{acc('k')} = {chain[1:-1]}")),
            f"        i{last} += 32",
            "    for _ in range((n // 8) % 4):",
        ]
    tree = f"(({acc(0)} + {acc(1)}) + ({acc(2)} + {acc(3)})) + "
    tree += f"(({acc(4)} + {acc(5)}) + ({acc(6)} + {acc(7)}))"
    done = "return 0" if lanes else "return r"
    leaf = [
        "@njit(**_OPTS)",
        f"def _leaf({args}{extra}):",
        *indent("    ", where),
        "    if n < 8:",
        *indent("        ", over(f"{r} = {acc_t}(-0.0)")),
        "        for _ in range(n):",
        *indent("            ", over(f"{r} += {elem()}")),
        *step("            "),
        f"        {done}",
        *indent("    ", init8),
        *steps,
        *indent("    ", block),
        *indent("    ", over(f"{r} = {tree}")),
        "    for _ in range(n % 8):",
        *indent("        ", over(f"{r} += {elem()}")),
        *step("        "),
        f"    {done}",
    ]
    if not lanes and vector:  # rows of one block, 8 numbers at a time from _elem8
        leaf = [
            *leaf[: leaf.index(f"        {done}") + 1],  # the header and fewer than 8 numbers
            f"    s = vstart8(_elem8({head}i{last}, {xs}))",
            "    for t in range(1, n // 8):",
            f"        s = vadd8(s, _elem8({head}i{last} + 8 * t, {xs}))",
            f"    r = {_TREE8.format(s='s')}",
            "    for k in range(n - n % 8, n):",
            f"        r += _elem({head}i{last} + k, {xs})",
            "    return r",
        ]
    if not lanes and int(np.prod(group.shape[outer:])) <= MAX_PAIRWISE:
        # Rows of one block: this leaf alone (the functions below cost a second to compile).
        short = f"@njit(**_OPTS)\ndef _pairwise({args}, st, sv, buf):\n    return _leaf({args})"
        return ["", *leaf, "", *short.split("\n")]
    if not lanes:  # a block: this leaf; a longer run: the buffered vector sums
        return ["", *leaf, *_row_functions(args, where, head, last, acc_t, xs, carry)]
    return ["", *leaf, "", *_pairwise_source(args, extra, acc_t, lanes=True)]


def _row_functions(args: str, where: list, head: str, last: int, acc_t: str, xs: str,
                   carry: Any) -> list[str]:  # fmt: skip
    """The row form's sum: ``_fill`` computes numbers ``lo:lo + n`` of the row into ``buf``
    (one run of the last axis at a time: loops the compiler vectorises), ``_bleaf`` adds a
    block of ``buf`` as NumPy adds a block, its 8 running sums in one vector (``fused_simd``),
    ``_bleaf2`` two sibling blocks at once (two chains of vector additions in flight) and
    their sum; ``_pairwise`` fills ``buf`` for each part of at most FILL numbers it meets (a
    row of one block goes to the scalar ``_leaf``: for so few numbers the buffer costs more
    than the vector saves)."""
    tree = _TREE8
    fill = [
        "@njit(**_OPTS)",
        f"def _fill({args}, buf):",
        *("    " + line for line in where),
        "    p = 0",
        "    while p < n:",
        f"        seg = min(n - p, n{last} - i{last})",
        # A view of the run: indexing buf at p + j instead keeps numba from vectorising.
        "        b = buf[p : p + seg]",
        "        for j in range(seg):",
        f"            b[j] = _elem({head}i{last} + j, {xs})",
        "        p += seg",
        f"        i{last} += seg",
        *carry("        "),
        "    return 0",
    ]
    leaf = f"""
@njit(**_OPTS)
def _bleaf(buf, o, n):
    if n < 8:
        r = {acc_t}(-0.0)
        for k in range(o, o + n):
            r += buf[k]
        return r
    s = start8(buf, o)
    for k in range(o + 8, o + n - n % 8, 8):
        s = add8(s, buf, k)
    r = {tree.format(s="s")}
    for k in range(o + n - n % 8, o + n):
        r += buf[k]
    return r


@njit(**_OPTS)
def _bleaf2(buf, o, n, o2, n2):
    # n and n2 are 8..{MAX_PAIRWISE}, n a multiple of 8 and n2 - n is 0..8: the common steps
    # of the two blocks run side by side, then the second block's last step.
    s = start8(buf, o)
    t = start8(buf, o2)
    for k in range(8, n, 8):
        s = add8(s, buf, o + k)
        t = add8(t, buf, o2 + k)
    for k in range(n, n2 - n2 % 8, 8):
        t = add8(t, buf, o2 + k)
    r = {tree.format(s="s")}
    r2 = {tree.format(s="t")}
    for k in range(o2 + n2 - n2 % 8, o2 + n2):
        r2 += buf[k]
    return r + r2
"""
    call_args = args.replace("lo, n, ", "{lo}, {n}, ")
    pairwise = f"""
@njit(**_OPTS)
def _pairwise({args}, st, sv, buf):
    if n <= {MAX_PAIRWISE}:  # one block: no buffer (it costs more than it saves here)
        return _leaf({args})
    fb = 0
    fe = 0  # buf holds numbers fb:fe of the row
    sp = 0
    st[0, 0], st[0, 1], st[0, 2] = lo, n, 0
    v = {acc_t}(0.0)
    while sp >= 0:
        a, b, state = st[sp, 0], st[sp, 1], st[sp, 2]
        if state == 0 and b <= {FILL} and not (fb <= a and a + b <= fe):
            _fill({call_args.format(lo="a", n="b")}, buf)
            fb = a
            fe = a + b
        if b <= {MAX_PAIRWISE}:  # a block: its sum goes to the frame below
            v = _bleaf(buf, a - fb, b)
            sp -= 1
            continue
        h = b // 2 - (b // 2) % 8
        if state == 0 and b - h <= {MAX_PAIRWISE} and h >= 8:  # two blocks: their sum
            v = _bleaf2(buf, a - fb, h, a + h - fb, b - h)
            sp -= 1
        elif state == 0:  # the first half
            st[sp, 2] = 1
            sp += 1
            st[sp, 0], st[sp, 1], st[sp, 2] = a, h, 0
        elif state == 1:  # keep the first half's sum; the second half
            sv[sp] = v
            st[sp, 2] = 2
            sp += 1
            st[sp, 0], st[sp, 1], st[sp, 2] = a + h, b - h, 0
        else:
            v = sv[sp] + v
            sp -= 1
    return v
"""
    return ["", *fill, "", *leaf.split("\n"), *pairwise.split("\n")]


def _pairwise_source(args: str, extra: str, acc_t: str, lanes: bool) -> list[str]:
    """``_pairwise``: NumPy's split of a long run into blocks, each summed by ``_leaf``
    (numba's cache cannot load recursive functions: it keeps its own stack)."""
    call = f"_leaf({args.replace('lo, n, ', 'a, b, ')}{extra})"
    if lanes:
        keep = "for l in range(m):\n                sv[sp, _u(l)] = res[_u(l)]"
        add = "for l in range(m):\n                res[_u(l)] = sv[sp, _u(l)] + res[_u(l)]"
        start, result, got = "", "0", call
    else:
        keep, add = "sv[sp] = v", "v = sv[sp] + v"
        start, result, got = f"\n    v = {acc_t}(0.0)", "v", f"v = {call}"
    pairwise = f"""
@njit(**_OPTS)
def _pairwise({args}, st, sv{extra}):
    if n <= {MAX_PAIRWISE}:
        return _leaf({args}{extra})
    sp = 0
    st[0, 0], st[0, 1], st[0, 2] = lo, n, 0{start}
    while sp >= 0:
        a, b, state = st[sp, 0], st[sp, 1], st[sp, 2]
        if b <= {MAX_PAIRWISE}:  # a block: its sum goes to the frame below
            {got}
            sp -= 1
        elif state == 0:  # the first half
            h = b // 2 - (b // 2) % 8
            st[sp, 2] = 1
            sp += 1
            st[sp, 0], st[sp, 1], st[sp, 2] = a, h, 0
        elif state == 1:  # keep the first half's sum; the second half
            h = b // 2 - (b // 2) % 8
            {keep}
            st[sp, 2] = 2
            sp += 1
            st[sp, 0], st[sp, 1], st[sp, 2] = a + h, b - h, 0
        else:
            {add}
            sp -= 1
    return {result}
"""
    return pairwise.split("\n")
