"""Loop-faithful vmap: functions with Python control flow on per-example values, and a
library-style ``np.asarray`` prologue, against the Python loop.

    python benchmarks/bench_split.py            # B=10,000 (about half a minute)
    python benchmarks/bench_split.py --quick    # B=1,000: a smoke run

Workloads: Newton's square root with a Python ``while`` (examples converge after different
numbers of steps, so the batch splits once per distinct step count), a two-branch Python
``if``, and a function whose first line is ``np.asarray(x)`` (every example continues on its
own: the target is the loop's own time, within 1.5x).  Each result is checked against the
loop before timing; the table gives the median time per call and loop/vmap.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _timing import fmt_ratio, fmt_time, markdown_table, median_times  # noqa: E402

import autovec  # noqa: E402


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-9 * a:
        x = 0.5 * (x + a / x)
    return x


def two_branch(x):
    if x.sum() > 0:
        return np.sqrt(x * x + 1.0).sum()
    return np.exp(-x).mean()


def asarray_prologue(x):
    x = np.asarray(x, dtype=float)  # what library code does first
    return np.sqrt((x * x).sum()) / (1.0 + x.max())


def workloads(batch: int) -> dict:
    rng = np.random.default_rng(0)
    return {
        "Newton sqrt, Python while": (newton_sqrt, rng.uniform(1.0, 1e6, batch)),
        "two-branch Python if": (two_branch, rng.normal(size=(batch, 4))),
        "np.asarray prologue": (asarray_prologue, rng.normal(size=(batch, 4))),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    batch = 1_000 if args.quick else 10_000
    rows = []
    for name, (fun, xs) in workloads(batch).items():
        vf = autovec.vmap(fun, fallback="loop")

        def loop(fun=fun, xs=xs):
            return np.stack([fun(x) for x in xs])

        np.testing.assert_array_equal(vf(xs), loop())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            times = median_times(
                {"loop": loop, "vmap": lambda vf=vf, xs=xs: vf(xs)}, repeat=3, min_time=0.2
            )
        rows.append(
            [
                name,
                str(batch),
                fmt_time(times["loop"]),
                fmt_time(times["vmap"]),
                fmt_ratio(times["loop"] / times["vmap"]),
            ]
        )
    print(markdown_table(["workload", "B", "loop", "vmap", "loop/vmap"], rows))


if __name__ == "__main__":
    main()
