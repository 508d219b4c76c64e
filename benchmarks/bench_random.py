"""Random draws under vmap against the Python loop (B=10,000), bit-identical results.

Run: python benchmarks/bench_random.py
"""

import time

import numpy as np

import autovec

B = 10_000
XS = np.linspace(0.0, 1.0, B)


def _best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    cases = {
        "one normal draw (vectorised)": lambda x, g: x + g.normal(0.0, 1.0, size=4),
        "one poisson draw (vectorised)": lambda x, g: x + g.poisson(3.0),
        "two draws (runs as the loop)": lambda x, g: x * g.normal() + g.uniform(),
        "batched parameter (loop)": lambda x, g: g.normal(x, 1.0),
    }
    for name, f in cases.items():
        g1, g2 = np.random.default_rng(0), np.random.default_rng(0)
        vf = autovec.vmap(f, in_axes=(0, None))
        t_vmap = _best(lambda: vf(XS, g1))
        t_loop = _best(lambda: np.stack([f(x, g2) for x in XS]))
        g1, g2 = np.random.default_rng(1), np.random.default_rng(1)
        same = np.array_equal(vf(XS, g1), np.stack([f(x, g2) for x in XS]))
        print(
            f"{name:32s} vmap {t_vmap * 1e3:8.2f} ms  loop {t_loop * 1e3:8.2f} ms  "
            f"speed-up {t_loop / t_vmap:6.1f}x  identical={same}"
        )


if __name__ == "__main__":
    main()
