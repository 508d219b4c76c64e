"""Workloads beyond the report's (``python -m autovec.bench``): row statistics, stencils,
extremes, piecewise losses, masks and rows holding NaNs.  jit(vmap(f)) (numba, steady calls)
and eager vmap against hand-vectorised NumPy, and jax.jit(jax.vmap(f)) and jax.vmap where JAX
is installed; float64, 8192 rows of 256.

    NUMBA_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \\
        XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \\
        taskset -c 0 python benchmarks/bench_fused_more.py [NAME ...]

Prints, per workload, the median of 7 calls for each, as a ratio to hand NumPy (its own time
in ms), and whether jit's result equals the Python loop's bit for bit (on 256 rows).
"""

from __future__ import annotations

import sys
import time

import numpy as np

import autovec

try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError:  # JAX is optional (the bench extra)
    jax = jnp = None


def median_time(fn, reps: int = 7) -> float:
    fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def subjects(xp):
    """name -> (per-example function over the namespace ``xp``, in_axes, hand NumPy)."""

    def layernorm(x, g):
        m = xp.mean(x)
        d = x - m
        return d / xp.sqrt(xp.mean(d * d) + 1e-5) * g

    def layernorm_hand(x, g):
        d = x - x.mean(axis=1, keepdims=True)
        return d / np.sqrt((d * d).mean(axis=1, keepdims=True) + 1e-5) * g

    def std(x, g):
        return xp.std(x * g)

    def stencil(x, g):
        return x[2:] - 2.0 * x[1:-1] + x[:-2]

    def smoothness(x, g):
        return xp.sum((x[1:] - x[:-1]) ** 2)

    def max_error(x, g):
        return xp.max(xp.abs(x - g))

    def huber(x, g):
        d = x - g
        a = xp.abs(d)
        return xp.sum(xp.where(a < 1.0, 0.5 * d * d, a - 0.5))

    def softmax(x, g):
        e = xp.exp(x - xp.max(x))
        return e / xp.sum(e)

    def cosine(x, g):
        return xp.sum(x * g) / xp.sqrt(xp.sum(x * x) * xp.sum(g * g))

    def nanmean(x, g):  # (run on rows holding NaNs)
        return xp.sum(xp.where(xp.isnan(x), 0.0, x * g)) / xp.sum(~xp.isnan(x))

    def relu_nan(x, g):  # (run on rows holding NaNs)
        return xp.sum(xp.maximum(x, 0.0) * g)

    def sign_agree(x, g):
        return xp.sum(xp.sign(x) == xp.sign(g))

    def huber_hand(x, g):
        d = x - g
        a = np.abs(d)
        return np.where(a < 1.0, 0.5 * d * d, a - 0.5).sum(axis=1)

    def softmax_hand(x, g):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def cosine_hand(x, g):
        return (x * g).sum(1) / np.sqrt((x * x).sum(1) * (g * g).sum())

    return {
        "layernorm": (layernorm, (0, None), layernorm_hand),
        "std": (std, (0, None), lambda x, g: (x * g).std(axis=1)),
        "stencil": (stencil, (0, None), lambda x, g: x[:, 2:] - 2.0 * x[:, 1:-1] + x[:, :-2]),
        "smoothness": (smoothness, (0, None), lambda x, g: ((x[:, 1:] - x[:, :-1]) ** 2).sum(1)),
        "max_error": (max_error, (0, None), lambda x, g: np.abs(x - g).max(axis=1)),
        "huber": (huber, (0, None), huber_hand),
        "softmax": (softmax, (0, None), softmax_hand),
        "cosine": (cosine, (0, None), cosine_hand),
        "nanmean": (
            nanmean,
            (0, None),
            lambda x, g: np.where(np.isnan(x), 0.0, x * g).sum(1) / (~np.isnan(x)).sum(1),
        ),
        "relu_nan": (relu_nan, (0, None), lambda x, g: (np.maximum(x, 0.0) * g).sum(1)),
        "sign_agree": (sign_agree, (0, None), lambda x, g: (np.sign(x) == np.sign(g)).sum(1)),
    }


# Workloads run on rows where one number in a hundred is NaN.
WITH_NANS = ("nanmean", "relu_nan")


def main(names: list[str]) -> None:
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((8192, 256)), rng.standard_normal(256)
    ours = subjects(np)
    theirs = subjects(jnp) if jnp is not None else {}
    print(f"{'workload':11s} {'hand ms':>8s} {'jit':>6s} {'vmap':>6s} {'jax.jit':>8s} "
          f"{'jax.vmap':>9s}  jit == loop")  # fmt: skip
    clean, with_nans = x, np.where(rng.random(x.shape) < 0.01, np.nan, x)
    for name in names or list(ours):
        f, in_axes, hand = ours[name]
        x = with_nans if name in WITH_NANS else clean
        jitted = autovec.jit(autovec.vmap(f, in_axes=in_axes))
        jitted(x, g)  # the first call runs NumPy code; the second compiles the kernels
        got = jitted(x, g)
        want = np.stack([f(row, g) for row in x[:256]])
        equal = bool(np.array_equal(np.asarray(got)[:256], want, equal_nan=True))
        t_hand = median_time(lambda: hand(x, g))
        cols = [median_time(lambda: jitted(x, g)) / t_hand]
        eager = autovec.vmap(f, in_axes=in_axes)
        cols.append(median_time(lambda: eager(x, g)) / t_hand)
        if name in theirs:
            jx, jg = jnp.asarray(x), jnp.asarray(g)
            jf = jax.jit(jax.vmap(theirs[name][0], in_axes=in_axes))
            cols.append(median_time(lambda: jf(jx, jg).block_until_ready()) / t_hand)
            jv = jax.vmap(theirs[name][0], in_axes=in_axes)
            cols.append(median_time(lambda: jv(jx, jg).block_until_ready(), 3) / t_hand)
        print(f"{name:11s} {1e3 * t_hand:8.2f} " + " ".join(f"{c:>7.2f}" for c in cols)
              + f"  {equal}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
