"""Eager vmap's Python overhead: per call and per batched operation, against
``torch.func.vmap`` and ``jax.vmap`` (without jit) when they are installed.

    python benchmarks/bench_overhead.py            # about 40 s
    python benchmarks/bench_overhead.py --quick    # a few seconds: a smoke run

Everything runs on one thread (BLAS, torch, XLA), in one process, variants interleaved. The
figure is the minimum over repeats of the CPU time per call (``time.process_time``), which
another process's load on a shared machine disturbs least.

Two tables:

- **workloads**: the JAX tutorial's seed convolution (B=4096, N=64, 3 taps: a Python loop of
  62 slices and dot products, then a stack), the same convolution as three shifted products
  (``x[:-2] * w[0] + x[1:-1] * w[1] + x[2:] * w[2]``) and a tiny ``x * x + 1`` (B=8), each
  with hand-vectorised NumPy as the reference;
- **per operation**: one operation applied 32 times in a row inside the vmapped function,
  on a batch of 8 (so the arithmetic is nothing and the overhead is everything), minus the
  same function without the operations, divided by 32: the microseconds one batched
  operation costs.
"""

from __future__ import annotations

import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")

import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _timing import markdown_table  # noqa: E402

import autovec  # noqa: E402
import autovec.numpy as anp  # noqa: E402

try:
    import torch
    from torch.func import vmap as torch_vmap

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover -- optional
    torch = None
try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)  # float64, as NumPy
except ImportError:  # pragma: no cover -- optional
    jax = None


def cpu_time(fns: dict[str, Callable[[], Any]], repeat: int, min_time: float) -> dict:
    """Minimum CPU seconds per call of each callable, over ``repeat`` interleaved runs."""
    counts = {}
    for name, fn in fns.items():
        fn()  # warm up (and jax's first-call tracing)
        t0 = time.process_time()
        fn()
        once = max(time.process_time() - t0, 1e-6)
        counts[name] = max(1, int(min_time / once))
    best = {name: float("inf") for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            n = counts[name]
            t0 = time.process_time()
            for _ in range(n):
                fn()
            best[name] = min(best[name], (time.process_time() - t0) / n)
    return best


# ------------------------------------------------------------------------------ workloads


def seed_numpy(x: Any, w: Any) -> Any:
    out = []
    for i in range(1, len(x) - 1):
        out.append(np.dot(x[i - 1 : i + 2], w))
    return anp.array(out)


def seed_torch(x: Any, w: Any) -> Any:
    return torch.stack([torch.dot(x[i - 1 : i + 2], w) for i in range(1, len(x) - 1)])


def seed_jax(x: Any, w: Any) -> Any:
    return jnp.stack([jnp.dot(x[i - 1 : i + 2], w) for i in range(1, len(x) - 1)])


def seed_hand(xs: np.ndarray, ws: np.ndarray) -> np.ndarray:
    windows = np.lib.stride_tricks.sliding_window_view(xs, 3, axis=1)
    return (windows @ ws[:, :, None])[..., 0]


def taps(x: Any, w: Any) -> Any:  # the same for every library
    return x[:-2] * w[0] + x[1:-1] * w[1] + x[2:] * w[2]


def taps_hand(xs: np.ndarray, ws: np.ndarray) -> np.ndarray:
    return xs[:, :-2] * ws[:, 0:1] + xs[:, 1:-1] * ws[:, 1:2] + xs[:, 2:] * ws[:, 2:3]


def tiny(x: Any) -> Any:
    return x * x + 1


def workloads(quick: bool) -> list[tuple]:
    rng = np.random.default_rng(0)
    b = 512 if quick else 4096
    xs, ws = rng.standard_normal((b, 64)), rng.standard_normal((b, 3))
    small = rng.standard_normal(8)
    return [
        ("seed convolution", f"B={b}, N=64, 3 taps", (seed_numpy, seed_torch, seed_jax),
         seed_hand, (xs, ws), 62 * 2 + 1),
        ("three shifted products", f"B={b}, N=64", (taps, taps, taps), taps_hand, (xs, ws), 11),
        ("tiny x * x + 1", "B=8", (tiny, tiny, tiny), tiny, (small,), 2),
    ]  # fmt: skip


def run_workloads(quick: bool, repeat: int, min_time: float) -> str:
    rows = []
    for name, sizes, (f_np, f_torch, f_jax), hand, args, n_ops in workloads(quick):
        vf = autovec.vmap(f_np)
        np.testing.assert_allclose(vf(*args), hand(*args), rtol=1e-10, atol=1e-10)
        fns = {"hand": lambda: hand(*args), "autovec": lambda: vf(*args)}
        if torch is not None:
            t_args = tuple(torch.from_numpy(a) for a in args)
            tf = torch_vmap(f_torch)
            np.testing.assert_allclose(tf(*t_args).numpy(), hand(*args), rtol=1e-10)
            fns["torch"] = lambda: tf(*t_args)
        if jax is not None:
            j_args = tuple(jnp.asarray(a) for a in args)
            jf = jax.vmap(f_jax)
            np.testing.assert_allclose(np.asarray(jf(*j_args)), hand(*args), rtol=1e-10)
            fns["jax"] = lambda: jf(*j_args).block_until_ready()
        t = cpu_time(fns, repeat, min_time if name.startswith("tiny") else 2 * min_time)
        row = [name, sizes, f"{t['hand'] * 1e6:.0f}", f"{t['autovec'] * 1e6:.0f}"]
        row.append(f"{(t['autovec'] - t['hand']) * 1e6 / n_ops:.2f}")
        for lib in ("torch", "jax"):
            row += (
                [f"{t[lib] * 1e6:.0f}", f"{t['autovec'] / t[lib]:.2f}"] if lib in t else ["-"] * 2
            )
        rows.append(row)
    headers = ["workload", "sizes", "hand µs", "autovec µs", "autovec overhead µs/op"]
    headers += ["torch.func.vmap µs", "autovec/torch", "jax.vmap µs", "autovec/jax"]
    return markdown_table(headers, rows)


# -------------------------------------------------------------------------- per operation

OPS: dict[str, tuple[Callable[[Any, Any], Any], Callable[..., Any], Callable[..., Any]]] = {
    # name: (op for NumPy code, for torch, for jax); x has 64 elements per example, w 3.
    "x * y (elementwise)": (lambda x, w: x * x, None, None),
    "x + 1 (with a scalar)": (lambda x, w: x + 1.0, None, None),
    "np.exp(x) (ufunc call)": (lambda x, w: np.exp(x), lambda x, w: torch.exp(x),
                               lambda x, w: jnp.exp(x)),
    "x[1:4] (slice)": (lambda x, w: x[1:4], None, None),
    "x[3] (integer index)": (lambda x, w: x[3], None, None),
    "np.dot(x[1:4], w)": (lambda x, w: np.dot(x[1:4], w), lambda x, w: torch.dot(x[1:4], w),
                          lambda x, w: jnp.dot(x[1:4], w)),
    "x.sum()": (lambda x, w: x.sum(), None, None),
}  # fmt: skip
_REPEATS = 32


def _repeated(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def f(x: Any, w: Any) -> Any:
        for _ in range(_REPEATS):
            op(x, w)
        return x

    return f


def _empty(x: Any, w: Any) -> Any:
    for _ in range(_REPEATS):
        pass
    return x


def run_ops(repeat: int, min_time: float) -> str:
    rng = np.random.default_rng(1)
    xs, ws = rng.standard_normal((8, 64)), rng.standard_normal((8, 3))
    libs: dict[str, tuple[Callable, tuple]] = {"autovec": (autovec.vmap, (xs, ws))}
    if torch is not None:
        libs["torch"] = (torch_vmap, (torch.from_numpy(xs), torch.from_numpy(ws)))
    if jax is not None:
        libs["jax"] = (jax.vmap, (jnp.asarray(xs), jnp.asarray(ws)))
    fns: dict[str, Callable[[], Any]] = {}
    for lib, (vmap, args) in libs.items():
        fns[f"{lib}|empty"] = (lambda vf, args: lambda: vf(*args))(vmap(_empty), args)
        for name, (op, op_torch, op_jax) in OPS.items():
            own = {"autovec": op, "torch": op_torch or op, "jax": op_jax or op}[lib]
            vf = vmap(_repeated(own))
            fns[f"{lib}|{name}"] = (lambda vf, args: lambda: vf(*args))(vf, args)
    t = cpu_time(fns, repeat, min_time)
    rows = []
    per_op: dict[tuple[str, str], float] = {}
    for name in OPS:
        for lib in libs:
            per_op[lib, name] = (t[f"{lib}|{name}"] - t[f"{lib}|empty"]) / _REPEATS
        row = [name, f"{per_op['autovec', name] * 1e6:.2f}"]
        for lib in ("torch", "jax"):
            if lib in libs:
                row += [f"{per_op[lib, name] * 1e6:.2f}"]
                row += [f"{per_op['autovec', name] / per_op[lib, name]:.2f}"]
            else:
                row += ["-", "-"]
        rows.append(row)
    rows.append(
        ["(per call: the empty function)"]
        + [f"{t['autovec|empty'] * 1e6:.2f}"]
        + sum(
            (
                [f"{t[f'{lib}|empty'] * 1e6:.2f}", "-"] if lib in libs else ["-", "-"]
                for lib in ("torch", "jax")
            ),
            [],
        )
    )
    headers = ["operation (B=8)", "autovec µs", "torch µs", "autovec/torch", "jax µs"]
    headers.append("autovec/jax")
    return markdown_table(headers, rows)


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    repeat, min_time = (3, 0.01) if quick else (7, 0.05)
    print(f"numpy {np.__version__}", end="")
    print(f", torch {torch.__version__}" if torch is not None else "", end="")
    print(f", jax {jax.__version__}" if jax is not None else "")
    print("\nWorkloads (CPU µs per call, one thread):\n")
    print(run_workloads(quick, repeat, min_time))
    print("\nOne batched operation (CPU µs, B=8, one thread):\n")
    print(run_ops(repeat, min_time))


if __name__ == "__main__":
    main(sys.argv[1:])
