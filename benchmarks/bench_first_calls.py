"""First calls of jit(vmap(f)) and jax.jit(jax.vmap(f)) on the report's workloads, each in a
fresh process, as ``python -m autovec.bench`` measures them (after each library's eager
variant ran), with the wall time AND the process's CPU time (steadier on a loaded machine).

    python benchmarks/bench_first_calls.py [ROOT[,ROOT...]] [--rounds N] [--only KEY,...]

Each ROOT is a checkout of autovec (default: this one); with several, their processes
alternate, so that a change of load hits them alike.  One thread each (BLAS, numba, XLA).
Prints a Markdown table: medians over N rounds (default 3) of wall / CPU milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ONE_THREAD = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
}


def _timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def child(key: str) -> None:
    """One workload in this process: autovec's first jit call, then jax's; JSON on stdout."""
    import warnings

    import numpy as np

    import autovec
    from autovec.bench.runner import _autovec_vmap, _import_jax, _jax_vmap
    from autovec.bench.workloads import WORKLOADS

    warnings.simplefilter("ignore")  # the fallback row warns by design
    (w,) = [w for w in WORKLOADS if w.key == key]
    _, args = w.make(False, np.random.default_rng(0))
    out: dict = {}
    _autovec_vmap(w)(*args)
    f = autovec.jit(_autovec_vmap(w))
    out["jit"] = _timed(lambda: f(*args))
    if w.jax is not None:
        jax = _import_jax(1)
        jargs = tuple(jax.numpy.asarray(a) for a in args)
        try:
            jax.block_until_ready(_jax_vmap(w, jax)(*jargs))
            g = jax.jit(_jax_vmap(w, jax))
            out["jax.jit"] = _timed(lambda: jax.block_until_ready(g(*jargs)))
        except Exception:  # noqa: BLE001  (JAX refuses the row: reported as absent)
            pass
    print(json.dumps(out))


def _cell(runs: list[dict], key: str) -> str:
    got = [r[key] for r in runs if key in r]
    if not got:
        return "-"
    wall = statistics.median(g[0] for g in got) * 1e3
    cpu = statistics.median(g[1] for g in got) * 1e3
    return f"{wall:.0f} / {cpu:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="?", default=os.path.dirname(HERE))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="")
    opts = parser.parse_args()
    roots = [os.path.abspath(r) for r in opts.roots.split(",")]
    sys.path.insert(0, roots[0])
    from autovec.bench.workloads import WORKLOADS

    only = set(filter(None, opts.only.split(",")))
    heads = [f"jit(vmap) {os.path.basename(r)}" for r in roots]
    print("| workload | " + " | ".join(heads) + " | jax.jit(jax.vmap) |")
    print("|---" * (len(roots) + 2) + "|")
    for w in WORKLOADS:
        if only and w.key not in only:
            continue
        runs: dict[str, list[dict]] = {r: [] for r in roots}
        for _ in range(opts.rounds):
            for root in roots:
                env = dict(os.environ, **ONE_THREAD, PYTHONPATH=root)
                done = subprocess.run(
                    [sys.executable, os.path.abspath(__file__), "--child", w.key],
                    env=env,
                    cwd=root,
                    capture_output=True,
                    text=True,
                )
                lines = done.stdout.strip().splitlines()
                runs[root].append(json.loads(lines[-1]) if done.returncode == 0 else {})
        every = [run for r in roots for run in runs[r]]
        cells = [_cell(runs[r], "jit") for r in roots] + [_cell(every, "jax.jit")]
        print(f"| {w.title} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        sys.path.insert(0, os.getcwd())
        child(sys.argv[2])
    else:
        main()
