"""Peak memory of eager code against ``jit`` (and ``jit(vmap)``) on workloads whose
temporaries add up: a long elementwise chain, a chain of ``np.where``, and a per-example
recurrence written with in-place updates (eager ``vmap`` against ``jit(vmap)``, at N and 2N
steps: jit's peak grew with N**2 when it kept every step's array alive).

    python benchmarks/bench_memory.py           # the full table (about half a minute)
    python benchmarks/bench_memory.py --quick   # small sizes: a smoke run

Each measurement runs in a fresh subprocess: the workload is built and run once, then the
peak of NumPy's allocations (``tracemalloc``, which sees NumPy's array data) is taken over a
second call only, so tracing and first-call costs are excluded. Reported: the peak above the
memory held before the call (inputs included in neither), eager and jit side by side, and
the size of the result (which both must hold at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

# Workloads: name -> (source defining the functions, source of the argument, the eager
# callable, the jit one). ``{n}``, ``{b}``, ``{m}`` are sizes. The functions are written as a
# NumPy user would.
_CHAIN = """
def f(x):
    for _ in range(25):
        x = np.sin(x) * 0.5
    return x
"""
_WHERE = """
def f(x):
    for _ in range(20):
        x = np.where(x > 0.5, x * 0.9, x + 0.1)
    return x
"""
_RECURRENCE = """
def one(x):
    y = x.copy()
    for i in range(1, x.shape[0]):
        y[i] = 0.5 * y[i - 1] + x[i]
    return y
"""
_BATCH = "np.linspace(0.0, 1.0, {b} * {m}).reshape({b}, {m})"
WORKLOADS = {
    "elementwise chain (50 ops)": (_CHAIN, "np.linspace(0.0, 1.0, {n})", "f", "jit(f)"),
    "np.where chain (20 steps)": (_WHERE, "np.linspace(0.0, 1.0, {n})", "f", "jit(f)"),
    "recurrence, vmap: N steps": (_RECURRENCE, _BATCH, "vmap(one)", "jit(vmap(one))"),
    "recurrence, vmap: 2N steps": (
        _RECURRENCE,
        _BATCH.replace("{m}", "(2 * {m})"),
        "vmap(one)",
        "jit(vmap(one))",
    ),
}

_RUNNER = """
import gc, json, tracemalloc
import numpy as np
from autovec import jit, vmap
{source}
x = {arg}
g = {variant}
g(x)  # the first call traces and compiles: not measured
gc.collect()
tracemalloc.start()
base = tracemalloc.get_traced_memory()[0]
out = g(x)
peak = tracemalloc.get_traced_memory()[1] - base
tracemalloc.stop()
print(json.dumps({{"peak": peak, "out": out.nbytes}}))
"""


def measure(source: str, arg: str, variant: str) -> dict:
    code = _RUNNER.format(source=source, arg=arg, variant=variant)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    opts = parser.parse_args()
    n = 200_000 if opts.quick else 5_000_000
    b, m = (20, 50) if opts.quick else (500, 400)
    print(f"n = {n}; recurrence: batch {b}, N = {m}")
    print(f"{'workload':30} {'eager':>11} {'jit':>11} {'jit/eager':>10} {'output':>11}")
    for name, (source, arg, eager_fn, jit_fn) in WORKLOADS.items():
        arg = arg.format(n=n, b=b, m=m)
        eager = measure(source, arg, eager_fn)
        staged = measure(source, arg, jit_fn)
        ratio = staged["peak"] / eager["peak"]
        print(
            f"{name:30} {_mb(eager['peak'])} {_mb(staged['peak'])} {ratio:10.2f} "
            f"{_mb(eager['out'])}"
        )


def _mb(nbytes: float) -> str:
    return f"{nbytes / 2**20:8.2f} MB"


if __name__ == "__main__":
    main()
