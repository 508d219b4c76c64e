"""Eager ``autovec.vmap`` (and ``jit(vmap)``) on PyTorch CPU tensors against
``torch.func.vmap``, on the workloads of ``python -m autovec.bench`` (issue 13's CPU target:
eager vmap on torch at least as fast as torch.func.vmap on every workload).

    python benchmarks/bench_torch.py              # full sizes, one thread
    python benchmarks/bench_torch.py --quick      # small sizes: a smoke run
    python benchmarks/bench_torch.py --only mlp,tiny --threads 2
    python benchmarks/bench_torch.py --cpu-min --repeat 15   # steadier on a busy machine

autovec runs the workload's NumPy per-example function on the batch as torch tensors (the
result is a tensor); torch.func.vmap runs the workload's PyTorch spelling. Both results are
compared with the Python loop on NumPy arrays before anything is timed. float64 throughout.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch.func import vmap as torch_vmap

import autovec
from autovec.bench.timing import calibrate, fmt_ratio, fmt_time, markdown_table, median_times
from autovec.bench.workloads import WORKLOADS, Workload

# Every row of the report. A row that one side refuses (a Python ``while`` on a traced value,
# ``np.asarray`` of one, ``torch.while_loop`` under ``torch.func.vmap``) says so instead of a
# time.
KEYS = tuple(w.key for w in WORKLOADS)


def _torch_convolve(torch: Any) -> Callable:
    """``np.convolve(x, w)`` (full mode) for one row, in torch: conv1d of the flipped taps."""

    def f(x, w):
        m = w.shape[0]
        return torch.nn.functional.conv1d(x[None, None], w.flip(0)[None, None], padding=m - 1)[0, 0]

    return f


def _nest(vmap: Callable, fun: Callable, w: Workload, key: str, options: dict) -> Callable:
    if w.nested:
        inner, outer = w.in_axes
        return vmap(vmap(fun, **{key: inner}), **{key: outer}, **options)
    return vmap(fun, **{key: w.in_axes}, **options)


def _autovec_options(w: Workload) -> dict:
    """The workload's vmap options on tensors: ``max_memory`` measures NumPy's allocations
    only, so a chunked row runs torch.func.vmap's chunk size instead."""
    if "max_memory" in w.vmap_options and "chunk_size" in w.torch_options:
        return {"chunk_size": w.torch_options["chunk_size"]}
    return w.vmap_options


def _loop(w: Workload, args: tuple, stride: int) -> np.ndarray:
    from autovec.bench.runner import workload_loop

    return workload_loop(w, args, stride)


def cpu_min_times(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """CPU seconds per call of each callable: the least over ``repeat`` interleaved rounds
    (the order rotated each round), each round at least 50 ms of calls. On a machine shared
    with other jobs the least CPU time is the steadiest figure: waiting for a core is not
    counted, and a slow round (cache or memory contention) is not the one kept."""
    if not fns:  # (every side refused)
        return {}
    counts = {name: calibrate(fn, 0.05) for name, fn in fns.items()}
    best = dict.fromkeys(fns, math.inf)
    names = list(fns)
    for r in range(repeat):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            fn, n = fns[name], counts[name]
            t0 = time.process_time()
            for _ in range(n):
                fn()
            best[name] = min(best[name], (time.process_time() - t0) / n)
    return best


def row(w: Workload, quick: bool, repeat: int, cpu_min: bool = False) -> list[str]:
    sizes, args = w.make(quick, np.random.default_rng(0))
    targs = tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in args)
    stride = w.loop_stride[1 if quick else 0]
    want = _loop(w, args, stride)
    tfun = (w.torch or _torch_convolve)(torch)
    vmapped = _nest(autovec.vmap, w.fun, w, "in_axes", _autovec_options(w))
    fns = {
        "vmap": (lambda f: lambda: f(*targs))(vmapped),
        "jit": (lambda f: lambda: f(*targs))(autovec.jit(vmapped)),
        "torch": (lambda f: lambda: f(*targs))(
            _nest(torch_vmap, tfun, w, "in_dims", w.torch_options)
        ),
    }
    refused = {}
    for name, fn in fns.items():
        try:
            got = fn()
        except Exception as e:  # noqa: BLE001  (a refusal is reported, not timed)
            refused[name] = f"refused ({type(e).__name__})"
            continue
        # (np.asarray inside: every example returns NumPy values, and so does the loop)
        assert isinstance(got, (torch.Tensor, np.ndarray)), (name, type(got))
        got = np.asarray(got)[::stride]
        if not np.allclose(got, want, rtol=w.rtol, atol=w.atol):
            raise AssertionError(f"{w.key}: {name} differs from the loop")
    timed = {k: f for k, f in fns.items() if k not in refused}
    times = cpu_min_times(timed, repeat) if cpu_min else median_times(timed, repeat=repeat)
    cells = {k: refused.get(k) or fmt_time(times[k]) for k in fns}
    ratio = "-" if refused.keys() & {"vmap", "torch"} else fmt_ratio(times["vmap"] / times["torch"])
    return [w.title, sizes, cells["vmap"], cells["jit"], cells["torch"], ratio]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--only", default=",".join(KEYS), help="comma-separated row keys")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--cpu-min",
        action="store_true",
        help="the least CPU time over the repeats instead of the median wall time",
    )
    opts = parser.parse_args(argv)
    torch.set_num_threads(opts.threads)
    keys = opts.only.split(",")
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for w in WORKLOADS:
            if w.key in keys:
                rows.append(row(w, opts.quick, opts.repeat, opts.cpu_min))
    headers = ["workload", "sizes", "autovec vmap", "jit(vmap)", "torch.func.vmap", "vmap/torch"]
    stat = f"least CPU time of {opts.repeat}" if opts.cpu_min else f"median of {opts.repeat}"
    print(f"torch {torch.__version__}, {opts.threads} thread(s), float64, {stat}")
    print(markdown_table(headers, rows))


if __name__ == "__main__":
    main()
