"""Batched linear algebra: ``autovec.vmap(np.linalg.<f>)`` against NumPy's stacked routine
called by hand and against the Python loop, on 10,000 3x3 problems.

    python benchmarks/bench_linalg.py             # 10,000 systems, 7 repeats
    python benchmarks/bench_linalg.py --quick     # 1,000 systems: a smoke run
    python benchmarks/bench_linalg.py --batch 100000

For each routine the script first checks that the three variants agree, then prints the
median time per call (``time.perf_counter``, interleaved repeats, see ``_timing.py``) and the
ratios.  Target (issue 4): vmap within 1.3x of the stacked routine.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _timing import fmt_ratio, fmt_time, markdown_table, median_times  # noqa: E402

import autovec  # noqa: E402

TARGET = 1.3


def problems(batch: int, n: int, seed: int = 0) -> dict[str, tuple]:
    """Well-conditioned batches: diagonally dominant for solve/inv/det, symmetric for eigh."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, (batch, n, n)) + n * np.eye(n)
    sym = a + np.swapaxes(a, -1, -2)
    b = rng.uniform(-1, 1, (batch, n))
    return {"solve": (a, b), "inv": (a,), "det": (a,), "eigh": (sym,)}


# name -> (per-example function, NumPy's stacked call written by hand)
ROUTINES: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "solve": (np.linalg.solve, lambda a, b: np.linalg.solve(a, b[..., None])[..., 0]),
    "inv": (np.linalg.inv, np.linalg.inv),
    "det": (np.linalg.det, np.linalg.det),
    "eigh": (np.linalg.eigh, np.linalg.eigh),
}


def _loop(fun: Callable[..., Any]) -> Callable[..., Any]:
    def loop(*args: Any) -> Any:
        outs = [fun(*ex) for ex in zip(*args)]
        if isinstance(outs[0], tuple):
            return tuple(np.stack(parts) for parts in zip(*outs))
        return np.stack(outs)

    return loop


def _same(x: Any, y: Any) -> bool:
    xs = x if isinstance(x, tuple) else (x,)
    ys = y if isinstance(y, tuple) else (y,)
    return all(np.allclose(a, b, rtol=1e-10, atol=1e-12) for a, b in zip(xs, ys))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--n", type=int, default=3, help="matrix size")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="1,000 problems, 3 repeats")
    opts = parser.parse_args()
    batch, repeat = (1_000, 3) if opts.quick else (opts.batch, opts.repeat)

    print(
        f"numpy {np.__version__}, python {platform.python_version()}, "
        f"{platform.machine()}; {batch} problems of size {opts.n}x{opts.n}, "
        f"median of {repeat} repeats\n"
    )
    data = problems(batch, opts.n)
    rows, missed = [], []
    for name, (fun, stacked) in ROUTINES.items():
        args = data[name]
        variants = {
            "loop": lambda f=fun, a=args: _loop(f)(*a),
            "stacked": lambda f=stacked, a=args: f(*a),
            "vmap": lambda f=autovec.vmap(fun), a=args: f(*a),
        }
        results = {k: v() for k, v in variants.items()}
        if not (
            _same(results["vmap"], results["stacked"]) and _same(results["vmap"], results["loop"])
        ):
            raise SystemExit(f"{name}: vmap, stacked and loop results differ")
        t = median_times(variants, repeat=repeat)
        ratio = t["vmap"] / t["stacked"]
        ok = ratio <= TARGET
        if not ok:
            missed.append(name)
        rows.append(
            [
                f"np.linalg.{name}",
                fmt_time(t["loop"]),
                fmt_time(t["stacked"]),
                fmt_time(t["vmap"]),
                fmt_ratio(ratio),
                fmt_ratio(t["loop"] / t["vmap"]),
                "yes" if ok else "NO",
            ]
        )
    headers = ["routine", "loop", "stacked", "vmap", "vmap/stacked", "loop/vmap", "<= 1.3x"]
    print(markdown_table(headers, rows))
    if missed:
        print(f"\ntarget missed for: {', '.join(missed)}")


if __name__ == "__main__":
    main()
