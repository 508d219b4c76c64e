"""SciPy and scikit-learn functions under vmap (array-API dispatch) against the Python loop.

    python benchmarks/bench_scipy.py            # B=1000 examples of 64 values
    python benchmarks/bench_scipy.py --quick    # B=100: a smoke run

SCIPY_ARRAY_API=1 is set before SciPy is imported, scikit-learn's ``array_api_dispatch`` is
on, and ``enable_array_api_compat()`` lets NumPy constants meet batched values.  Each vmap
result is checked against the loop (shape, dtype, values) and runs with fallback="error"
(vectorised: no per-example fallback).  "loop" is ``np.stack([f(x) for x in xs])``.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

os.environ["SCIPY_ARRAY_API"] = "1"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import scipy.integrate as integrate  # noqa: E402
import scipy.special as special  # noqa: E402
import scipy.stats as stats  # noqa: E402
import sklearn  # noqa: E402
import sklearn.metrics.pairwise as pairwise  # noqa: E402
from _timing import fmt_ratio, fmt_time, markdown_table, median_times  # noqa: E402

import autovec  # noqa: E402
from autovec.numpy.array_api import enable_array_api_compat  # noqa: E402

sklearn.set_config(array_api_dispatch=True)
enable_array_api_compat()

CASES = {
    "special.logsumexp": (special.logsumexp, 1),
    "special.softmax": (special.softmax, 1),
    "stats.zscore": (stats.zscore, 1),
    "stats.skew": (stats.skew, 1),
    "stats.kurtosis": (stats.kurtosis, 1),
    "stats.gmean": (stats.gmean, 1),
    "stats.iqr": (stats.iqr, 1),
    "integrate.trapezoid": (integrate.trapezoid, 1),
    "pairwise.rbf_kernel": (lambda a, b: pairwise.rbf_kernel(a.reshape(8, 8), b.reshape(8, 8)), 2),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    batch = 100 if parser.parse_args().quick else 1000
    rng = np.random.default_rng(0)
    xs = rng.uniform(0.1, 2.0, (batch, 64))
    ys = rng.uniform(0.1, 2.0, (batch, 64))
    rows = []
    for name, (f, n_args) in CASES.items():
        args = (xs, ys)[:n_args]
        vmapped = autovec.vmap(f, fallback="error")

        def loop(f=f, args=args):
            return np.stack([np.asarray(f(*(a[i] for a in args))) for i in range(batch)])

        want, got = loop(), vmapped(*args)
        assert got.shape == want.shape and got.dtype == want.dtype, name
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=name)
        times = median_times({"loop": loop, "vmap": lambda v=vmapped, a=args: v(*a)}, repeat=3)
        rows.append(
            [
                name,
                fmt_time(times["loop"]),
                fmt_time(times["vmap"]),
                fmt_ratio(times["loop"] / times["vmap"]),
            ]
        )
    print(f"B={batch} examples of 64 values (median of 3 interleaved runs)\n")
    print(markdown_table(["function", "loop", "vmap", "speed-up"], rows))


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        main()
