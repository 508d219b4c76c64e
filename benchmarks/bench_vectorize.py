"""autovec.vectorize against np.vectorize: scalar functions with a Python ``if``.

    python benchmarks/bench_vectorize.py            # 10**6 elements (about half a minute)
    python benchmarks/bench_vectorize.py --quick    # 10**5 elements: a smoke run

Workloads: NumPy's own docstring example (``a - b if a > b else a + b``) and a Huber loss
(two branches of a few operations each).  Each result is checked against np.vectorize
(dtype, shape, values, bit for bit) before timing.

With numba installed (the ``fast`` extra) both functions pass vectorize's check of their
typed code and run compiled: "numba compile" is the first call of the function in the
process (numba compiles it; about 0.15-1 s, the first compile also imports numba), "first
call" a new ``autovec.vectorize`` object's first call once the function is compiled, "later
calls" the same object again.  "vmap path" is the same call with numba's path switched off:
the ``if`` splits the batch into the elements taking each branch (two groups), and each
branch runs once on its group, as array operations under vectorize's checks.
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
from autovec import vectorize_numba  # noqa: E402


def myfunc(a, b):
    "Return a-b if a>b, otherwise return a+b"
    if a > b:
        return a - b
    else:
        return a + b


def huber(r, delta):
    if abs(r) <= delta:
        return 0.5 * r * r
    return delta * (abs(r) - 0.5 * delta)


def workloads(n: int) -> dict:
    rng = np.random.default_rng(0)
    return {
        "a-b if a>b else a+b": (myfunc, (rng.standard_normal(n), rng.standard_normal(n))),
        "Huber loss": (huber, (rng.standard_normal(n) * 2.0, 1.0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 10**5 if args.quick else 10**6
    rows = []
    for name, (fun, fargs) in workloads(n).items():
        numpy_v, ours = np.vectorize(fun), autovec.vectorize(fun)
        want = numpy_v(*fargs)
        vectorize_numba._cache.clear()
        compile_time = time.perf_counter()
        got = ours(*fargs)
        compile_time = time.perf_counter() - compile_time
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.tobytes() == want.tobytes()
        times = median_times(
            {
                "np.vectorize": lambda: numpy_v(*fargs),
                "first call": lambda: autovec.vectorize(fun)(*fargs),
                "later calls": lambda: ours(*fargs),
            },
            repeat=3,
            min_time=0.2,
            number={"np.vectorize": 1, "first call": 1},
        )
        min_size, vectorize_numba.MIN_SIZE = vectorize_numba.MIN_SIZE, 10**18
        try:
            assert ours(*fargs).tobytes() == want.tobytes()
            times.update(median_times({"vmap path": lambda: ours(*fargs)}, repeat=3, min_time=0.2))
        finally:
            vectorize_numba.MIN_SIZE = min_size
        rows.append(
            [
                name,
                str(n),
                fmt_time(times["np.vectorize"]),
                fmt_time(compile_time),
                fmt_time(times["first call"]),
                fmt_time(times["later calls"]),
                fmt_time(times["vmap path"]),
                fmt_ratio(times["np.vectorize"] / compile_time),
                fmt_ratio(times["np.vectorize"] / times["later calls"]),
                fmt_ratio(times["np.vectorize"] / times["vmap path"]),
            ]
        )
    headers = ["workload", "n", "np.vectorize", "numba compile", "first call", "later calls"]
    headers += ["vmap path", "ratio compile", "ratio", "ratio vmap"]
    print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
