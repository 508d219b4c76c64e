"""How long the numba backend takes to compile its kernels: the first call of
``jit(vmap(f), backend="numba")`` with an empty kernel cache (trace, compile, run), per kind
of kernel, each in a fresh process with its own empty cache folder, after numba itself is
imported and has compiled a trivial function (its start-up is not in the figures).

    python benchmarks/bench_compile.py [ROOT[,ROOT...]] [--rounds N]

Each ROOT is a checkout of autovec (default: this one); with several, their processes
alternate, so that a change of load hits them alike.  Under ``auto`` the same compile runs
on a function's second call, once per machine: later processes load the kernels from the
cache folder.  Prints a Markdown table of the median seconds over N rounds (default 2).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench_first_calls import ONE_THREAD  # (a script beside this one: its folder is on the path)

HERE = os.path.dirname(os.path.abspath(__file__))

KINDS = {
    "elementwise where": "lambda x, y: np.where(x > 0, x * y + 1, y)",
    "float sum": "lambda x, y: np.sum(x * y)",
    "float max": "lambda x, y: np.max(np.abs(x - y))",
    "layernorm (two kernels)": "lambda x, y: (x - x.mean()) / np.sqrt(x.var() + 1e-5) * y",
    "pairwise distances (lane form)": None,  # nested vmap: see child()
}


def child(kind: str) -> None:
    """Compile one kind of kernel in this process; its seconds as JSON on stdout."""
    import numpy as np
    from numba import njit

    import autovec

    njit(lambda a: a.sum())(np.ones(3))  # numba's own start-up, outside the figure
    rng = np.random.default_rng(0)
    if KINDS[kind] is None:
        x, y = rng.normal(size=(256, 64)), rng.normal(size=(256, 64))
        inner = autovec.vmap(lambda a, b: np.sum((a - b) ** 2), in_axes=(None, 0))
        fn = autovec.jit(autovec.vmap(inner, in_axes=(0, None)), backend="numba")
    else:
        x, y = rng.normal(size=(1024, 256)), rng.normal(size=(1024, 256))
        fn = autovec.jit(autovec.vmap(eval(KINDS[kind], {"np": np})), backend="numba")  # noqa: S307
    start = time.perf_counter()
    fn(x, y)
    print(json.dumps(time.perf_counter() - start))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="?", default=os.path.dirname(HERE))
    parser.add_argument("--rounds", type=int, default=2)
    opts = parser.parse_args()
    roots = opts.roots.split(",")
    seconds: dict[tuple[str, str], list[float]] = {}
    for _ in range(opts.rounds):
        for kind in KINDS:
            for root in roots:
                with tempfile.TemporaryDirectory() as cache:
                    env = dict(os.environ, **ONE_THREAD, PYTHONPATH=root, AUTOVEC_CACHE_DIR=cache)
                    out = subprocess.run(
                        [sys.executable, __file__, "--child", kind],
                        env=env, capture_output=True, text=True, check=True,
                    )  # fmt: skip
                seconds.setdefault((kind, root), []).append(json.loads(out.stdout.split()[-1]))
    print("| kernel | " + " | ".join(roots) + " |")
    print("|---|" + "---|" * len(roots))
    for kind in KINDS:
        cells = [f"{statistics.median(seconds[kind, root]):.2f} s" for root in roots]
        print(f"| {kind} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(" ".join(sys.argv[2:]))
    else:
        main()
