"""jit(vmap(f)) with the numpy and auto (numba) backends against jax.jit(jax.vmap(f)), float64.

    python benchmarks/bench_fused.py pd|mlp|tanh|conv|outer|tiny
    NUMBA_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 taskset -c 0 python benchmarks/bench_fused.py pd

Prints first-call times and best-of-5 steady times (seconds), and whether auto equals numpy.
"""

import os
import sys
import time

import numpy as np

import autovec

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jax
import jax.numpy as jnp
from bench_vmap import distance, mlp, seed_convolve, tiny

jax.config.update("jax_enable_x64", True)
from autovec.interpreters import fused  # noqa: E402


def best(fn, reps=5):
    fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return min(ts)


rng = np.random.default_rng(0)
which = sys.argv[1]
if which == "pd":
    n = 1024
    args = (rng.standard_normal((n, 64)), rng.standard_normal((n, 64)))
    mk = lambda: autovec.vmap(autovec.vmap(distance, (None, 0)), (0, None))
    jf = jax.jit(
        jax.vmap(jax.vmap(lambda a, b: jnp.sqrt(jnp.sum((a - b) ** 2)), (None, 0)), (0, None))
    )
elif which == "mlp":
    b = 8192
    w = (
        rng.standard_normal((256, 512)) / 16,
        rng.standard_normal(512) / 16,
        rng.standard_normal((512, 10)) / 16,
        rng.standard_normal(10) / 16,
    )
    args = (*w, rng.standard_normal((b, 256)))
    ax = (None, None, None, None, 0)
    mk = lambda: autovec.vmap(mlp, ax)

    def jmlp(w1, b1, w2, b2, x):
        h = jnp.maximum(x @ w1 + b1, 0.0)
        logits = h @ w2 + b2
        s = logits - logits.max()
        return s - jnp.log(jnp.sum(jnp.exp(s)))

    jf = jax.jit(jax.vmap(jmlp, ax))
elif which == "tanh":
    b = 8192
    w = (rng.standard_normal((256, 512)) / 16, rng.standard_normal(512) / 16)
    args = (*w, rng.standard_normal((b, 256)))
    ax = (None, None, 0)
    mk = lambda: autovec.vmap(lambda w, b, x: np.tanh(x @ w + b), ax)
    jf = jax.jit(jax.vmap(lambda w, b, x: jnp.tanh(x @ w + b), ax))
elif which == "conv":
    b = 4096
    args = (rng.standard_normal((b, 64)), rng.standard_normal((b, 3)))
    mk = lambda: autovec.vmap(seed_convolve)

    def jconv(x, w):
        return jnp.array([jnp.dot(x[i - 1 : i + 2], w) for i in range(1, len(x) - 1)])

    jf = jax.jit(jax.vmap(jconv))
elif which == "outer":  # np.outer(v, v).sum() per example, chunked (max_memory)
    args = (rng.standard_normal((100, 700)),)
    mk = lambda: autovec.vmap(lambda v: np.outer(v, v).sum(), max_memory="100MB")
    jf = jax.jit(jax.vmap(lambda v: jnp.outer(v, v).sum()))
elif which == "tiny":
    args = (rng.standard_normal(8),)
    mk = lambda: autovec.vmap(tiny)
    jf = jax.jit(jax.vmap(lambda x: x * x + 1))
res = {}
t = time.perf_counter()
fa = autovec.jit(mk())
fa(*args)
res["first auto"] = time.perf_counter() - t
jargs = [jnp.asarray(a) for a in args]
t = time.perf_counter()
jf(*jargs).block_until_ready()
res["first jax"] = time.perf_counter() - t
fn = autovec.jit(mk(), backend="numpy")
fused.wait_for_kernels()
res["numpy"] = best(lambda: fn(*args))
res["auto"] = best(lambda: fa(*args))
res["jax"] = best(lambda: jf(*jargs).block_until_ready())
want = fn(*args)
got = fa(*args)
print(
    which,
    {k: f"{v:.3g}" for k, v in res.items()},
    "equal",
    np.array_equal(want, got),
    "ready",
    getattr(fa._cache[next(iter(fa._cache))].fn, "ready", "n/a"),
)
