"""Per-example writes under vmap: ``y[i] = ...`` in a Python loop over one example's
elements, against the Python loop over the examples and hand-vectorised NumPy.

    python benchmarks/bench_writes.py            # B=500, N=3000 (about half a minute)
    python benchmarks/bench_writes.py --quick    # B=100, N=300: a smoke run

A write into a value vmap owns goes into its buffer, so each step costs work proportional to
one element per example, not a copy of the whole batch.  Target (issue 8): the recurrence at
least 5x faster than the loop.  The figures are medians over interleaved repeats (see
``_timing.py``); every variant's result is checked against the loop's first.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _timing import fmt_ratio, fmt_time, markdown_table, median_times  # noqa: E402

import autovec  # noqa: E402

TARGET = 5.0


def recurrence(x: np.ndarray) -> np.ndarray:
    """An exponential filter written for one example: ``y[i] = 0.5 * y[i - 1] + x[i]``."""
    y = x.copy()
    for i in range(1, len(x)):
        y[i] = 0.5 * y[i - 1] + x[i]
    return y


def recurrence_hand(xs: np.ndarray) -> np.ndarray:
    """The same, vectorised by hand over the batch (axis 0)."""
    ys = xs.copy()
    for i in range(1, xs.shape[1]):
        ys[:, i] = 0.5 * ys[:, i - 1] + xs[:, i]
    return ys


def running_max(x: np.ndarray) -> np.ndarray:
    """Two writes per step, one through a row of a 2-d example: ``out[0, i] = ...``."""
    out = np.stack([x, x])
    for i in range(1, len(x)):
        out[0, i] = np.maximum(out[0, i - 1], x[i])
        out[1, i] += out[1, i - 1]
    return out


def running_max_hand(xs: np.ndarray) -> np.ndarray:
    out = np.stack([xs, xs], axis=1)
    for i in range(1, xs.shape[1]):
        out[:, 0, i] = np.maximum(out[:, 0, i - 1], xs[:, i])
        out[:, 1, i] += out[:, 1, i - 1]
    return out


WORKLOADS: dict[str, tuple[Callable, Callable]] = {
    "recurrence y[i] = 0.5*y[i-1] + x[i]": (recurrence, recurrence_hand),
    "two writes per step (2-d example)": (running_max, running_max_hand),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--length", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    batch, length = (100, 300) if args.quick else (args.batch, args.length)
    xs = np.random.default_rng(0).uniform(-1, 1, (batch, length))
    print(
        f"B={batch} examples of N={length} elements; Python {platform.python_version()}, "
        f"NumPy {np.__version__}; median of {args.repeat} interleaved repeats"
    )
    rows = []
    worst = float("inf")
    for name, (fun, hand) in WORKLOADS.items():
        variants = {
            "loop": lambda fun=fun: np.stack([fun(x) for x in xs]),
            "hand": lambda hand=hand: hand(xs),
            "vmap": lambda fun=fun: autovec.vmap(fun)(xs),
        }
        want = variants["loop"]()
        for v in ("hand", "vmap"):
            got = variants[v]()
            if not np.allclose(got, want, rtol=1e-12, atol=0):
                raise SystemExit(f"{name}: {v} disagrees with the loop")
        t = median_times(variants, repeat=args.repeat, number={k: 1 for k in variants})
        ratio = t["loop"] / t["vmap"]
        worst = min(worst, ratio)
        rows.append(
            [
                name,
                fmt_time(t["loop"]),
                fmt_time(t["hand"]),
                fmt_time(t["vmap"]),
                fmt_ratio(ratio),
                fmt_ratio(t["vmap"] / t["hand"]),
            ]
        )
    print(markdown_table(["workload", "loop", "hand", "vmap", "loop/vmap", "vmap/hand"], rows))
    verdict = "meets" if worst >= TARGET else "MISSES"
    print(f"\nloop/vmap at least {TARGET:g}x: {verdict} (worst {worst:.2f}x)")


if __name__ == "__main__":
    main()
