"""Structured control flow under vmap: batched forms do only the loop's work.

    python benchmarks/bench_control.py            # B=4096 while, B=20,000 cond
    python benchmarks/bench_control.py --quick    # smaller batches: a smoke run

1. ``while_loop`` where lane i needs i iterations (B=4096): the batched form drops finished
   lanes, so the body's lane evaluations should equal the sum of the iterations (target:
   within 1.5x), against "run until the slowest lane finishes" (a masked ``np.where`` loop,
   the usual vmap rule: B times the slowest lane's count) and the Python loop.
2. ``cond`` whose expensive branch 10% of the lanes take: against running both branches on
   every lane and selecting with ``np.where`` (target: at least 5x faster).

Each batched result is checked against the loop before timing.

Lane-mode branches run under an eager batch trace on the lanes at hand; the evaluation drops
each intermediate after its last use (``eval_program``), so the branch allocates no more than
eager code and the allocator recycles its buffers (holding every intermediate to the end made
page faults dominate the cond figures: 2.5x instead of 8x).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _timing import fmt_ratio, fmt_time, markdown_table, median_times  # noqa: E402

import autovec  # noqa: E402

# The per-example functions are python -m autovec.bench's.
from autovec.bench.workloads import cheap, count_to, expensive, with_cond  # noqa: E402, F401
from autovec.interpreters.control import LANE_COUNTS, reset_lane_counts  # noqa: E402


def count_to_masked(ns):
    """The usual batched while: every lane steps until the slowest is done (masked)."""
    i = np.zeros(len(ns), dtype=np.int64)
    acc = np.zeros(len(ns))
    while (i < ns).any():
        active = i < ns
        acc = np.where(active, acc + np.sin(i * 0.001), acc)
        i = np.where(active, i + 1, i)
    return acc


def both_and_select(x):
    return np.where(x[0] > 0.9, expensive(x), cheap(x))


def bench_while(b: int) -> None:
    ns = np.arange(b)
    want = np.array([count_to(int(n)) for n in ns[:: max(1, b // 64)]])
    total_iterations = int(ns.sum())
    rows = []
    for name, fn in (
        ("vmap", autovec.vmap(count_to)),
        ("jit(vmap)", autovec.jit(autovec.vmap(count_to))),
    ):
        reset_lane_counts()
        t0 = time.perf_counter()
        got = fn(ns)
        seconds = time.perf_counter() - t0
        np.testing.assert_allclose(got[:: max(1, b // 64)], want, rtol=1e-12)
        evals = LANE_COUNTS["while_body"]
        rows.append([name, f"{evals:,}", f"{evals / total_iterations:.3f}", fmt_time(seconds)])
    np.testing.assert_allclose(count_to_masked(ns)[:: max(1, b // 64)], want, rtol=1e-12)
    t0 = time.perf_counter()
    count_to_masked(ns)
    masked = time.perf_counter() - t0
    rows.append(
        [
            "masked np.where loop",
            f"{b * (b - 1):,}",
            f"{b * (b - 1) / total_iterations:.3f}",
            fmt_time(masked),
        ]
    )
    sub = ns[:: max(1, b // 256)]
    t0 = time.perf_counter()
    for n in sub:
        count_to(int(n))
    loop = (time.perf_counter() - t0) * len(ns) / len(sub)
    rows.append(["Python loop (extrapolated)", f"{total_iterations:,}", "1.000", fmt_time(loop)])
    print(
        f"\nwhile_loop, lane i needs i iterations, B={b} (sum of iterations {total_iterations:,})\n"
    )
    print(markdown_table(["variant", "body lane evaluations", "/ sum of iterations", "time"], rows))


def bench_cond(b: int, d: int) -> None:
    rng = np.random.default_rng(0)
    xs = rng.random((b, d))
    xs[:, 0] = rng.random(b)  # lane takes the expensive branch when x[0] > 0.9: 10%
    frac = float((xs[:, 0] > 0.9).mean())
    f_cond, f_both = autovec.vmap(with_cond), autovec.vmap(both_and_select)
    want = np.array([with_cond(x) for x in xs[:200]])
    np.testing.assert_allclose(f_cond(xs)[:200], want, rtol=1e-10)
    np.testing.assert_allclose(f_both(xs)[:200], want, rtol=1e-10)
    jc, jb = autovec.jit(f_cond), autovec.jit(f_both)
    times = median_times(
        {
            "vmap cond": lambda: f_cond(xs),
            "vmap both+where": lambda: f_both(xs),
            "jit(vmap) cond": lambda: jc(xs),
            "jit(vmap) both+where": lambda: jb(xs),
        },
        repeat=3,
    )
    print(f"\ncond, expensive branch on {frac:.1%} of B={b} lanes (d={d})\n")
    rows = [
        [
            "vmap",
            fmt_time(times["vmap cond"]),
            fmt_time(times["vmap both+where"]),
            fmt_ratio(times["vmap both+where"] / times["vmap cond"]),
        ],
        [
            "jit(vmap)",
            fmt_time(times["jit(vmap) cond"]),
            fmt_time(times["jit(vmap) both+where"]),
            fmt_ratio(times["jit(vmap) both+where"] / times["jit(vmap) cond"]),
        ],
    ]
    print(
        markdown_table(
            ["", "cond (each branch on its lanes)", "both branches + where", "speed-up"], rows
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small batches: a smoke run")
    args = parser.parse_args()
    bench_while(512 if args.quick else 4096)
    bench_cond(2000 if args.quick else 20000, 16)


if __name__ == "__main__":
    main()
