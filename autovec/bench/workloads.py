"""The workloads of ``python -m autovec.bench``: each a function written for ONE example, the
batch it runs on, the same computation vectorised by hand in NumPy, and the per-example
function as a JAX or PyTorch user would write it for ``jax.vmap`` / ``torch.func.vmap``.

The per-example NumPy functions are shared with ``benchmarks/bench_vmap.py`` and
``benchmarks/bench_control.py``.  JAX and PyTorch versions are factories taking the library's
modules, so that nothing here imports either library; they are the natural spelling in that
library (``jax.lax.cond``, ``torch.cond``, ``torch.while_loop``), and where the natural
spelling is refused (a Python ``while`` on a traced value, ``np.asarray`` of one) the bench
reports the refusal instead of a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import autovec
import autovec.numpy as anp

# ------------------------------------------------------------ per-example NumPy functions


def seed_convolve(x, w):
    """The JAX vmap tutorial's 1-D convolution: a Python loop of slices and dot products."""
    output = []
    for i in range(1, len(x) - 1):
        output.append(np.dot(x[i - 1 : i + 2], w))
    return anp.array(output)


def seed_hand(xs, ws):
    # Every length-3 window of every row at once (a view), times that row's taps.
    return (sliding_window_view(xs, 3, axis=1) @ ws[:, :, None])[..., 0]


def row_convolve(x, w):
    return np.convolve(x, w)


def rows_hand(xs, w):
    m = len(w)
    padded = np.pad(xs, ((0, 0), (m - 1, m - 1)))
    return sliding_window_view(padded, m, axis=1) @ w[::-1]


def mlp(w1, b1, w2, b2, x):
    """A per-example MLP: ReLU hidden layer, log-softmax over the classes."""
    h = np.maximum(x @ w1 + b1, 0.0)
    logits = h @ w2 + b2
    shifted = logits - logits.max()
    return shifted - np.log(np.sum(np.exp(shifted)))


def mlp_hand(w1, b1, w2, b2, xs):
    h = np.maximum(xs @ w1 + b1, 0.0)
    logits = h @ w2 + b2
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def distance(a, b):
    return np.sqrt(np.sum((a - b) ** 2))


def distance_hand(xs, ys):
    return np.sqrt(np.sum((xs[:, None, :] - ys[None, :, :]) ** 2, axis=-1))


def _softmax(s, axis=-1):
    s = s - s.max(axis=axis, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=axis, keepdims=True)


def attention(q, k, v):
    """Scaled dot-product attention for one example (one head): (L, d) each."""
    return _softmax(q @ k.T / np.sqrt(q.shape[-1])) @ v


def attention_hand(qs, ks, vs):
    # The naive batching of `q @ k.T`: transpose the last two axes of the stack.
    return _softmax(qs @ ks.transpose(0, 2, 1) / np.sqrt(qs.shape[-1])) @ vs


def tiny(x):
    return x * x + 1


def newton_sqrt(a):
    """Newton's square root with a Python ``while`` on the example's own value: under vmap
    the batch splits as lanes converge (loop-faithful vmap)."""
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x


def newton_hand(a):
    # The same iterates lane by lane: step only the lanes not yet converged.
    x = a.copy()
    active = np.arange(len(a))
    while active.size:
        xa, aa = x[active], a[active]
        go = np.abs(xa * xa - aa) > 1e-12 * aa
        active, xa, aa = active[go], xa[go], aa[go]
        x[active] = 0.5 * (xa + aa / xa)
    return x


def expensive(x):
    m = np.outer(x, x) + np.eye(x.shape[0])
    for _ in range(3):
        m = m @ m / np.linalg.norm(m)
    return np.trace(m)


def cheap(x):
    return x.sum()


def with_cond(x):
    """``autovec.cond``: the batched form runs each branch only on its lanes."""
    return autovec.cond(x[0] > 0.9, expensive, cheap, x)


def cond_hand(xs):
    # Cheap branch everywhere, the expensive one on its rows only.
    out = xs.sum(axis=1)
    rows = xs[:, 0] > 0.9
    x = xs[rows]
    m = x[:, :, None] * x[:, None, :] + np.eye(xs.shape[1])
    for _ in range(3):
        m = m @ m / np.linalg.norm(m, axis=(1, 2))[:, None, None]
    out[rows] = np.trace(m, axis1=1, axis2=2)
    return out


def count_to(n):
    """``autovec.while_loop``: lane ``n`` needs ``n`` iterations; the batched form drops
    finished lanes."""

    def body(c):
        i, acc = c
        return i + 1, acc + np.sin(i * 0.001)

    return autovec.while_loop(lambda c: c[0] < n, body, (0, 0.0))[1]


def count_to_hand(ns):
    # The same steps, on the lanes still running.
    acc = np.zeros(len(ns))
    i = np.zeros(len(ns), dtype=np.int64)
    active = np.flatnonzero(i < ns)
    while active.size:
        acc[active] += np.sin(i[active] * 0.001)
        i[active] += 1
        active = active[i[active] < ns[active]]
    return acc


def _legacy_standardise(v):
    # A helper from a library that converts its argument: NumPy offers no hook for
    # np.asarray, so under vmap each example falls back to running on its own.
    v = np.asarray(v, dtype=float)
    return (v - v.mean()) / (v.std() + 1e-12)


def with_fallback(x):
    return np.tanh(2.0 * _legacy_standardise(x)).sum()


def fallback_hand(xs):
    z = (xs - xs.mean(axis=1, keepdims=True)) / (xs.std(axis=1, keepdims=True) + 1e-12)
    return np.tanh(2.0 * z).sum(axis=1)


def outer_sum(v):
    return np.outer(v, v).sum()


def outer_sum_hand(xs):
    # The whole batch of outer products at once (B x d x d in memory).
    return (xs[:, :, None] * xs[:, None, :]).sum(axis=(1, 2))


# ---------------------------------------------------- the same functions in JAX and PyTorch
# Each factory takes the library's modules and returns the per-example function.


def _jax_seed(jnp: Any, lax: Any) -> Callable:
    def f(x, w):
        output = []
        for i in range(1, len(x) - 1):
            output.append(jnp.dot(x[i - 1 : i + 2], w))
        return jnp.array(output)

    return f


def _torch_seed(torch: Any) -> Callable:
    def f(x, w):
        output = []
        for i in range(1, len(x) - 1):
            output.append(torch.dot(x[i - 1 : i + 2], w))
        return torch.stack(output)

    return f


def _jax_mlp(jnp: Any, lax: Any) -> Callable:
    def f(w1, b1, w2, b2, x):
        h = jnp.maximum(x @ w1 + b1, 0.0)
        logits = h @ w2 + b2
        shifted = logits - logits.max()
        return shifted - jnp.log(jnp.sum(jnp.exp(shifted)))

    return f


def _torch_mlp(torch: Any) -> Callable:
    def f(w1, b1, w2, b2, x):
        h = torch.relu(x @ w1 + b1)
        logits = h @ w2 + b2
        shifted = logits - logits.max()
        return shifted - torch.log(torch.sum(torch.exp(shifted)))

    return f


def _jax_attention(jnp: Any, lax: Any) -> Callable:
    def f(q, k, v):
        s = q @ k.T / jnp.sqrt(q.shape[-1])
        s = s - s.max(axis=-1, keepdims=True)
        e = jnp.exp(s)
        return e / e.sum(axis=-1, keepdims=True) @ v

    return f


def _torch_attention(torch: Any) -> Callable:
    def f(q, k, v):
        s = q @ k.T / q.shape[-1] ** 0.5
        s = s - s.amax(dim=-1, keepdim=True)
        e = torch.exp(s)
        return e / e.sum(dim=-1, keepdim=True) @ v

    return f


def _jax_distance(jnp: Any, lax: Any) -> Callable:
    return lambda a, b: jnp.sqrt(jnp.sum((a - b) ** 2))


def _torch_distance(torch: Any) -> Callable:
    return lambda a, b: torch.sqrt(torch.sum((a - b) ** 2))


def _jax_newton(jnp: Any, lax: Any) -> Callable:
    def f(a):
        x = a
        while abs(x * x - a) > 1e-12 * a:  # refused: a Python while on a traced value
            x = 0.5 * (x + a / x)
        return x

    return f


def _jax_cond(jnp: Any, lax: Any) -> Callable:
    def expensive_j(x):
        m = jnp.outer(x, x) + jnp.eye(x.shape[0])
        for _ in range(3):
            m = m @ m / jnp.linalg.norm(m)
        return jnp.trace(m)

    return lambda x: lax.cond(x[0] > 0.9, expensive_j, lambda x: x.sum(), x)


def _torch_cond(torch: Any) -> Callable:
    def expensive_t(x):
        m = torch.outer(x, x) + torch.eye(x.shape[0], dtype=x.dtype)
        for _ in range(3):
            m = m @ m / torch.linalg.norm(m)
        return torch.trace(m)

    return lambda x: torch.cond(x[0] > 0.9, expensive_t, lambda x: x.sum(), (x,))


def _jax_count_to(jnp: Any, lax: Any) -> Callable:
    def f(n):
        def body(c):
            i, acc = c
            return i + 1, acc + jnp.sin(i * 0.001)

        return lax.while_loop(lambda c: c[0] < n, body, (jnp.int64(0), jnp.float64(0.0)))[1]

    return f


def _torch_count_to(torch: Any) -> Callable:
    def f(n):
        start = (torch.zeros((), dtype=torch.int64), torch.zeros((), dtype=torch.float64))
        return torch.while_loop(
            lambda i, acc: i < n, lambda i, acc: (i + 1, acc + torch.sin(i * 0.001)), start
        )[1]

    return f


def _as_is(*_modules: Any) -> Callable:
    """The NumPy function itself (it converts with ``np.asarray``: that is the point)."""
    return with_fallback


def _jax_outer_sum(jnp: Any, lax: Any) -> Callable:
    return lambda v: jnp.outer(v, v).sum()


def _torch_outer_sum(torch: Any) -> Callable:
    return lambda v: torch.outer(v, v).sum()


def _jax_tiny(jnp: Any, lax: Any) -> Callable:
    return tiny


def _torch_tiny(torch: Any) -> Callable:
    return tiny


# -------------------------------------------------------------------------- the workloads


@dataclass(frozen=True)
class Workload:
    """One row of the report.

    ``make(quick, rng)`` returns the sizes' description and the arguments (the whole
    batch); ``fun`` is written for one example and batched with ``in_axes`` (for a nested
    workload, ``(inner, outer)`` in_axes of ``vmap(vmap(fun, inner), outer)``).  The Python
    loop runs every ``loop_stride``-th example (scaled up to the batch), so that the long
    loops stay short; every implementation's result is compared with the loop's on those
    examples.
    """

    key: str  # for --only
    title: str
    make: Callable[[bool, np.random.Generator], tuple[str, tuple]]
    fun: Callable[..., Any]
    in_axes: Any
    hand: Callable[..., Any]
    jax: Callable[[Any, Any], Callable] | None = None
    torch: Callable[[Any], Callable] | None = None
    nested: bool = False
    vmap_options: dict = field(default_factory=dict)  # autovec.vmap's (max_memory=...)
    torch_options: dict = field(default_factory=dict)  # torch.func.vmap's (chunk_size=...)
    loop_stride: tuple[int, int] = (1, 1)  # (full, quick)
    group: str = "issue 12's table"
    rtol: float = 1e-7
    atol: float = 1e-9

    def mapped(self) -> tuple:
        """The outermost in_axes, one per argument."""
        axes = self.in_axes[1] if self.nested else self.in_axes
        return axes if isinstance(axes, tuple) else (axes,)


def _normal(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def _seed(quick: bool, rng: np.random.Generator) -> tuple[str, tuple]:
    b = 256 if quick else 4096
    return f"B={b}, N=64, 3 taps", (_normal(rng, b, 64), _normal(rng, b, 3))


def _rows(quick: bool, rng: np.random.Generator) -> tuple[str, tuple]:
    b = 256 if quick else 8192
    return f"B={b}, N=1024, 9 taps", (_normal(rng, b, 1024), _normal(rng, 9))


def _mlp(quick: bool, rng: np.random.Generator) -> tuple[str, tuple]:
    b = 256 if quick else 8192
    w = (_normal(rng, 256, 512) / 16, _normal(rng, 512) / 16)
    w += (_normal(rng, 512, 10) / 16, _normal(rng, 10) / 16)
    return f"B={b}, 256-512-10", (*w, _normal(rng, b, 256))


def _pairwise(quick: bool, rng: np.random.Generator) -> tuple[str, tuple]:
    n = 64 if quick else 1024
    return f"{n} x {n} x 64", (_normal(rng, n, 64), _normal(rng, n, 64))


def _attention(quick: bool, rng: np.random.Generator) -> tuple[str, tuple]:
    b = 4 if quick else 64
    qkv = tuple(_normal(rng, b, 256, 64) for _ in range(3))
    return f"B={b}, L=256, d=64", qkv


def _tiny(quick: bool, rng: np.random.Generator) -> tuple[str, tuple]:
    return "B=8", (_normal(rng, 8),)


def _newton(quick: bool, rng: np.random.Generator) -> tuple[str, tuple]:
    b = 256 if quick else 4096
    return f"B={b} scalars in [1, 1e6]", (np.exp(rng.uniform(0.0, np.log(1e6), b)),)


def _cond(quick: bool, rng: np.random.Generator) -> tuple[str, tuple]:
    b = 500 if quick else 20000
    xs = rng.random((b, 16))
    return f"B={b}, d=16, 10% expensive", (xs,)


def _count(quick: bool, rng: np.random.Generator) -> tuple[str, tuple]:
    b = 64 if quick else 1024
    return f"B={b}, lane i: i steps", (np.arange(b),)


def _fallback(quick: bool, rng: np.random.Generator) -> tuple[str, tuple]:
    b = 64 if quick else 2048
    return f"B={b}, N=64", (_normal(rng, b, 64),)


def _outer(quick: bool, rng: np.random.Generator) -> tuple[str, tuple]:
    b, d = (16, 100) if quick else (100, 700)
    full = b * d * d * 8 / 2**20
    return f"B={b}, d={d} ({full:.0f} MB unchunked)", (_normal(rng, b, d),)


# The per-example function's max_memory: a quarter of the full run's batch of outer products.
OUTER_MAX_MEMORY = "100MB"

WORKLOADS: list[Workload] = [
    Workload(
        "seed", "seed convolution", _seed, seed_convolve, 0, seed_hand,
        _jax_seed, _torch_seed, loop_stride=(4, 1),
    ),
    Workload(
        "convolve", "np.convolve per row", _rows, row_convolve, (0, None), rows_hand,
        lambda jnp, lax: lambda x, w: jnp.convolve(x, w), None, loop_stride=(2, 1),
    ),
    Workload(
        "mlp", "per-example MLP", _mlp, mlp, (None, None, None, None, 0), mlp_hand,
        _jax_mlp, _torch_mlp, loop_stride=(8, 1),
    ),
    Workload(
        "pairwise", "pairwise distances (nested vmap)", _pairwise, distance,
        ((None, 0), (0, None)), distance_hand, _jax_distance, _torch_distance,
        nested=True, loop_stride=(32, 1),
    ),
    Workload(
        "attention", "per-example attention", _attention, attention, 0, attention_hand,
        _jax_attention, _torch_attention,
    ),
    Workload("tiny", "tiny x * x + 1", _tiny, tiny, 0, tiny, _jax_tiny, _torch_tiny),
    Workload(
        "newton", "Python-while Newton (batch splits)", _newton, newton_sqrt, 0, newton_hand,
        _jax_newton, lambda torch: _jax_newton(torch, None), loop_stride=(4, 1),
        group="control flow", rtol=1e-15, atol=0.0,
    ),
    Workload(
        "cond", "batched cond", _cond, with_cond, 0, cond_hand, _jax_cond, _torch_cond,
        loop_stride=(8, 1), group="control flow",
    ),
    Workload(
        "while", "while_loop (lane i: i steps)", _count, count_to, 0, count_to_hand,
        _jax_count_to, _torch_count_to, loop_stride=(16, 1), group="control flow",
        rtol=1e-12,
    ),
    Workload(
        "fallback", "np.asarray inside (per-lane fallback)", _fallback, with_fallback, 0,
        fallback_hand, _as_is, _as_is, group="fallback",
    ),
    Workload(
        "chunking", "outer-sum with max_memory", _outer, outer_sum, 0, outer_sum_hand,
        _jax_outer_sum, _torch_outer_sum, vmap_options={"max_memory": OUTER_MAX_MEMORY},
        torch_options={"chunk_size": 25}, group="chunking",
    ),
]  # fmt: skip
