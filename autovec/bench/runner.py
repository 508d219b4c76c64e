"""One row of the report, run in a process of its own (``python -m autovec.bench.runner
SPEC``): build the batch, check every implementation against the Python loop, measure each
one's peak memory, then time them all interleaved.

A fresh process per row is what makes ``--threads`` work (BLAS, OpenMP and XLA read their
thread counts from the environment when they load) and what keeps one row's memory from
showing in the next.  The row's result is printed as one line of JSON, the last of stdout.

Order of events, per implementation: its first call is timed once (for ``jit`` and
``jax.jit`` that is the trace and compile; it runs after the eager variant of the same
library, so the library's own start-up is not in it); its result is compared with the
loop's on the loop's examples (an implementation that raises is reported as failing, one
that differs as wrong, and neither is timed); then, after a second call (where jit's numba
backend compiles its kernels), one steady call's peak memory is taken; last, every
implementation that passed is timed, interleaved (``timing.median_times``).
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import re
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import autovec
from autovec.bench import timing
from autovec.bench.workloads import WORKLOADS, Workload

# Implementations, in the order they run and are reported: key -> label.
IMPLS: dict[str, str] = {
    "loop": "Python loop",
    "numpy": "NumPy by hand",
    "vmap": "autovec vmap",
    "jit": "autovec jit(vmap)",
    "jax.vmap": "jax.vmap",
    "jax.jit": "jax.jit(jax.vmap)",
    "torch.vmap": "torch.func.vmap",
}
NOT_INSTALLED = "not installed"

# ------------------------------------------------------------------------ the loop


def _take(a: Any, axis: int | None, i: int) -> Any:
    return a if axis is None else a[(slice(None),) * axis + (i,)]


def _axes(in_axes: Any, n: int) -> tuple:
    return in_axes if isinstance(in_axes, tuple) else (in_axes,) * n


def python_loop(fun: Callable, in_axes: Any, args: tuple, stride: int = 1) -> np.ndarray:
    """``np.stack([fun(*example) for every stride-th example])``."""
    axes = _axes(in_axes, len(args))
    n = next(a.shape[ax] for a, ax in zip(args, axes) if ax is not None)
    return np.stack(
        [fun(*(_take(a, ax, i) for a, ax in zip(args, axes))) for i in range(0, n, stride)]
    )


def workload_loop(w: Workload, args: tuple, stride: int) -> np.ndarray:
    if w.nested:
        inner, outer = w.in_axes
        return python_loop(lambda *a: python_loop(w.fun, inner, a), outer, args, stride)
    return python_loop(w.fun, w.in_axes, args, stride)


# ----------------------------------------------------------------- implementations


def _autovec_vmap(w: Workload) -> Callable:
    if w.nested:
        inner, outer = w.in_axes
        return autovec.vmap(autovec.vmap(w.fun, in_axes=inner), in_axes=outer, **w.vmap_options)
    return autovec.vmap(w.fun, in_axes=w.in_axes, **w.vmap_options)


def _jax_vmap(w: Workload, jax: Any) -> Callable:
    f = w.jax(jax.numpy, jax.lax)
    if w.nested:
        inner, outer = w.in_axes
        return jax.vmap(jax.vmap(f, in_axes=inner), in_axes=outer)
    return jax.vmap(f, in_axes=w.in_axes)


def _torch_vmap(w: Workload, torch: Any) -> Callable:
    from torch.func import vmap

    f = w.torch(torch)
    if w.nested:
        inner, outer = w.in_axes
        return vmap(vmap(f, in_dims=inner), in_dims=outer, **w.torch_options)
    return vmap(f, in_dims=w.in_axes, **w.torch_options)


def _import_jax(threads: int | None) -> Any:
    import jax

    jax.config.update("jax_enable_x64", True)  # float64, as NumPy computes
    return jax


def _import_torch(threads: int | None) -> Any:
    import torch

    if threads:
        torch.set_num_threads(threads)
    return torch


def builders(
    w: Workload, args: tuple, impls: list[str], stride: int, threads: int | None, backend: Any
) -> dict[str, Callable[[], Callable[[], Any]] | str]:
    """Per implementation: a function building the zero-argument callable to time (called
    once, then the callable is reused), or a string saying why there is none."""
    out: dict[str, Any] = {}
    jit_options = {} if backend is None else {"backend": backend}
    for key in impls:
        if key == "loop":
            out[key] = lambda: lambda: workload_loop(w, args, stride)
        elif key == "numpy":
            out[key] = lambda: lambda: w.hand(*args)
        elif key == "vmap":
            out[key] = lambda: (lambda f: lambda: f(*args))(_autovec_vmap(w))
        elif key == "jit":
            out[key] = lambda: (lambda f: lambda: f(*args))(
                autovec.jit(_autovec_vmap(w), **jit_options)
            )
        elif key.startswith("jax."):
            if w.jax is None:
                out[key] = "n/a: no JAX equivalent"
                continue
            try:
                jax = _import_jax(threads)
            except ImportError:
                out[key] = NOT_INSTALLED
                continue
            jargs = tuple(jax.numpy.asarray(a) for a in args)
            if key == "jax.vmap":
                out[key] = lambda jax=jax, jargs=jargs: (
                    lambda f: lambda: jax.block_until_ready(f(*jargs))
                )(_jax_vmap(w, jax))
            else:
                out[key] = lambda jax=jax, jargs=jargs: (
                    lambda f: lambda: jax.block_until_ready(f(*jargs))
                )(jax.jit(_jax_vmap(w, jax)))
        elif key == "torch.vmap":
            if w.torch is None:
                out[key] = "n/a: no PyTorch equivalent"
                continue
            try:
                torch = _import_torch(threads)
            except ImportError:
                out[key] = NOT_INSTALLED
                continue
            targs = tuple(torch.from_numpy(a) for a in args)
            out[key] = lambda torch=torch, targs=targs: (lambda f: lambda: f(*targs))(
                _torch_vmap(w, torch)
            )
        else:
            raise ValueError(f"unknown implementation {key!r}; known: {', '.join(IMPLS)}")
    return out


# ------------------------------------------------------------------- checks, memory


def to_numpy(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor
        return x.detach().cpu().numpy()
    return np.asarray(x)


def compare(got: Any, want: np.ndarray, stride: int, rtol: float, atol: float) -> str | None:
    """None when ``got`` (the whole batch) agrees with the loop's ``want`` (every
    ``stride``-th example), else what differs."""
    got = to_numpy(got)
    if got.ndim == 0 or -(-got.shape[0] // stride) != want.shape[0]:
        return f"shape {got.shape}, the loop's batch has {want.shape[0]} of every {stride}"
    got = got[::stride]
    if got.shape != want.shape:
        return f"shape {got.shape} (every {stride}-th example), the loop's {want.shape}"
    if not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        err = np.max(np.abs(got.astype(float) - want.astype(float)))
        return f"differs from the loop by up to {err:.3g}"
    return None


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        return int(re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.M).group(1))


def _reset_peak() -> bool:
    """Reset this process's peak resident size (Linux >= 4.0); False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _release_free_memory() -> None:
    """Hand memory freed by earlier calls back to the system (glibc keeps small freed
    blocks), so the next measurement starts from what is really in use."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def peak_mb(fn: Callable[[], Any]) -> float | None:
    """How far one call of ``fn`` raised the resident memory above what was resident before
    it (inputs, libraries, caches: not counted), in MiB; None where the peak cannot be reset.
    """
    _release_free_memory()
    try:
        base = _status_kb("VmRSS")
    except (OSError, AttributeError):
        return None
    if not _reset_peak():
        return None
    out = fn()
    peak = _status_kb("VmHWM")
    del out
    return max(peak - base, 0) / 1024


# ----------------------------------------------------------------------------- a row


def run_row(
    w: Workload,
    *,
    quick: bool = False,
    impls: list[str] | None = None,
    repeat: int = 5,
    min_time: float = 0.05,
    threads: int | None = None,
    backend: Any = None,
) -> dict:
    """Check, measure and time one workload; a JSON-able dict (see the module docstring)."""
    impls = list(IMPLS) if impls is None else impls
    rng = np.random.default_rng(0)
    sizes, args = w.make(quick, rng)
    stride = w.loop_stride[1 if quick else 0]
    want = workload_loop(w, args, stride)
    result: dict[str, Any] = {
        "key": w.key,
        "title": w.title,
        "group": w.group,
        "sizes": sizes,
        "loop_stride": stride,
        # The CPUs this row's process may run on (``--threads N`` holds it to N).
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "impls": {},
    }
    fns: dict[str, Callable[[], Any]] = {}
    for key, build in builders(w, args, impls, stride, threads, backend).items():
        entry: dict[str, Any] = {"status": "ok"}
        result["impls"][key] = entry
        if isinstance(build, str):
            entry["status"] = "absent" if build == NOT_INSTALLED else "n/a"
            entry["reason"] = build
            continue
        try:
            t0 = time.perf_counter()
            fn = build()
            got = fn()
            entry["first"] = time.perf_counter() - t0
        except Exception as e:  # noqa: BLE001  (any refusal is reported, not raised)
            entry["status"] = "fails"
            entry["reason"] = f"{type(e).__name__}: {_first_line(e)}"
            continue
        if key == "loop":  # a second run of the loop that made `want`
            problem = None if np.array_equal(got, want, equal_nan=True) else "not deterministic"
        else:
            problem = compare(got, want, stride, w.rtol, w.atol)
        if problem:
            entry["status"], entry["reason"] = "wrong", problem
            continue
        fns[key] = fn
    for key, fn in fns.items():
        if key != "loop":
            # A steady call: jit's numba backend compiles its kernels on the second call
            # (autovec/interpreters/fused.py), whose memory is the compiler's, not the call's.
            fn()
    for key, fn in fns.items():
        result["impls"][key]["peak_mb"] = peak_mb(fn)
    times = timing.median_times(fns, repeat=repeat, min_time=min_time)
    for key, seconds in times.items():
        # The loop ran over every stride-th example: its time scales with the examples.
        result["impls"][key]["time"] = seconds * (stride if key == "loop" else 1)
    return result


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    line = text[0] if text else ""
    return line if len(line) <= 160 else line[:157] + "..."


def child_main(argv: list[str]) -> None:
    """``python -m autovec.bench.runner '{"key": ..., ...}'``: one row, as JSON on stdout."""
    spec = json.loads(argv[0])
    key = spec.pop("key")
    (w,) = [w for w in WORKLOADS if w.key == key]
    with warnings.catch_warnings():
        # The fallback row warns by design (once per call site), and JAX/PyTorch warn about
        # their own refusals; the report says what happened in its own words.
        warnings.simplefilter("ignore")
        result = run_row(w, **spec)
    print(json.dumps(result))


if __name__ == "__main__":
    child_main(sys.argv[1:])
