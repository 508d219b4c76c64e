"""Chunked vmap's peak memory and time, and vmap over dask blocks (issue 11).

Each memory case runs in a fresh subprocess; its peak RSS is read from outside (``os.wait4``'s
resource usage of that child, ``ru_maxrss``, after it exits), and the baseline (Python, NumPy,
autovec imported, inputs made) is subtracted to give what the vmap itself added.

    python benchmarks/bench_scale.py            # everything (about a minute)
    python benchmarks/bench_scale.py memory     # the memory cases only
    python benchmarks/bench_scale.py dask       # the dask case only

The issue's example (200 examples of 2000, 6.4 GB unchunked) runs chunked only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys, time, resource
sys.path.insert(0, {root!r})
import numpy as np, autovec
n, d, option = {n}, {d}, {option!r}
x = np.random.default_rng(0).normal(size=(n, d))
f = lambda v: np.outer(v, v).sum()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
if option != 'baseline':
    out = autovec.vmap(f, **option)(x)
print(json.dumps(dict(base_kb=base, seconds=time.perf_counter() - t)))
"""


def run_child(n: int, d: int, option: dict | str) -> dict:
    code = CHILD.format(root=str(ROOT), n=n, d=d, option=option)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    stdout = proc.stdout.read()
    # os.wait4 gives this child's own rusage (RUSAGE_CHILDREN would be the largest so far).
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, proc.returncode
    result = json.loads(stdout)
    result["peak_mb"] = usage.ru_maxrss / 1024
    result["added_mb"] = (usage.ru_maxrss - result["base_kb"]) / 1024
    return result


def memory() -> None:
    mb = 2**20
    big = run_child(200, 2000, {"max_memory": "256MB"})
    print(
        f"outer-sum 200x2000 (6.4 GB unchunked), max_memory='256MB': peak RSS "
        f"{big['peak_mb']:.0f} MB (vmap added {big['added_mb']:.0f} MB), {big['seconds']:.2f} s"
    )
    n, d = 100, 700  # 392 MB unchunked
    best = {}
    for name, opt in [("unchunked", {})]:
        runs = [run_child(n, d, opt) for _ in range(3)]
        best[name] = min(r["seconds"] for r in runs), max(r["added_mb"] for r in runs)
    budget = int(best["unchunked"][1] * mb / 4)
    runs = [run_child(n, d, {"max_memory": budget}) for _ in range(3)]
    best["max_memory"] = min(r["seconds"] for r in runs), max(r["added_mb"] for r in runs)
    t0, m0 = best["unchunked"]
    t1, m1 = best["max_memory"]
    print(
        f"outer-sum {n}x{d}: unchunked {m0:.0f} MB added, {t0:.3f} s; max_memory="
        f"{budget / mb:.0f} MB (a quarter): {m1:.0f} MB added, {t1:.3f} s "
        f"({t1 / t0:.2f}x the unchunked time)"
    )


def dask_case() -> None:
    import dask.array as da
    import distributed
    import numpy as np

    sys.path.insert(0, str(ROOT))
    import autovec

    rng = np.random.default_rng(0)
    n, d, h = 80_000, 64, 256
    x = rng.normal(size=(n, d))
    w1, w2 = rng.normal(size=(d, h)) / 8, rng.normal(size=(h, 10)) / 16

    def mlp(v, w1, w2):
        return np.tanh(np.tanh(v @ w1) @ w2).sum()

    warnings.filterwarnings("ignore", message=".*large graph.*")  # x in the graph, on purpose
    f = autovec.vmap(mlp, in_axes=(0, None, None))
    t = time.perf_counter()
    ref = f(x, w1, w2)
    one = time.perf_counter() - t
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        lazy = f(da.from_array(x, chunks=n // 8), w1, w2)
        client.compute(lazy).result()  # warm the workers (imports)
        t = time.perf_counter()
        got = client.compute(lazy).result()
        two = time.perf_counter() - t
    assert np.allclose(got, ref)
    print(
        f"MLP {n} examples ({d}->{h}->10), 8 dask blocks on a 2-worker LocalCluster: "
        f"{two:.3f} s; one process, one vmap: {one:.3f} s"
    )


if __name__ == "__main__":
    which = sys.argv[1:] or ["memory", "dask"]
    if "memory" in which:
        memory()
    if "dask" in which:
        dask_case()
