"""Benchmarks of ``autovec.vmap`` and ``jit(vmap)`` against the Python loop and
hand-vectorised NumPy.

    python benchmarks/bench_vmap.py            # the full table (about a minute)
    python benchmarks/bench_vmap.py --quick    # small sizes, a few seconds: a smoke run
    python benchmarks/bench_vmap.py --threads 1   # one BLAS thread: steadier on a busy machine

Each workload is a function written for ONE example, the batch it runs on, and the same
computation vectorised by hand the way a good NumPy user would write it.  For each workload
the script checks that vmap's result equals the hand-vectorised one (and the loop's), then
prints the median time per call of every variant and the ratios loop/vmap and vmap/hand.

Variants are functions below (``variant_loop``, ``variant_hand``, ``variant_vmap``,
``variant_jit_first``: jit's first call, tracing included, and ``variant_jit_steady``), each
turning a workload into a zero-argument callable to time; ``VARIANTS`` lists them in table
order.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


def _set_threads_early(argv: list[str]) -> None:
    """Apply ``--threads N`` before NumPy is imported: BLAS reads its thread count then.

    On a machine shared with other work, a multi-threaded BLAS waits for its slowest thread
    and matrix products slow down several-fold; one thread gives steadier figures."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            n = argv[i + 1]
        elif arg.startswith("--threads="):
            n = arg.split("=", 1)[1]
        else:
            continue
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = n


if __name__ == "__main__":
    _set_threads_early(sys.argv[1:])

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _timing import fmt_ratio, fmt_time, markdown_table, median_times  # noqa: E402

import autovec  # noqa: E402


@dataclass
class Workload:
    """One benchmark: ``fun`` is written for one example; ``args`` hold the whole batch."""

    name: str
    sizes: str
    fun: Callable[..., Any]
    in_axes: Any
    args: tuple
    hand: Callable[..., Any]
    # loop(*args, rows=k): the Python loop over the first k examples (all when k is None).
    loop: Callable[..., Any]
    batch: int
    # Expensive loops are timed over the first `loop_rows` examples and scaled up linearly
    # (a loop's time is proportional to its length); the table marks such figures with "*".
    loop_rows: int | None = None
    nested: bool = False  # vmap(vmap(fun)) rather than vmap(fun)
    target: tuple[str, Callable[[dict[str, float]], bool]] | None = None
    # issue 3's target for jit(vmap(f)); by default: steady state no slower than eager vmap
    jit_target: tuple[str, Callable[[dict[str, float]], bool]] | None = None
    rtol: float = 1e-7
    atol: float = 1e-9

    def make_vmap(self) -> Callable[..., Any]:
        """The vmapped function, as a user would build it."""
        if self.nested:
            inner, outer = self.in_axes
            return autovec.vmap(autovec.vmap(self.fun, in_axes=inner), in_axes=outer)
        return autovec.vmap(self.fun, in_axes=self.in_axes)


# ------------------------------------------------------------------------------ workloads


# The per-example functions and their hand-vectorised versions are python -m autovec.bench's.
from autovec.bench.workloads import (  # noqa: E402
    attention,
    attention_hand,
    distance,
    distance_hand,
    mlp,
    mlp_hand,
    row_convolve,
    rows_hand,
    seed_convolve,
    seed_hand,
    tiny,
)


def _loop(fun: Callable[..., Any], in_axes: tuple) -> Callable[..., Any]:
    """The Python loop over the mapped arguments (axis 0), unmapped ones passed whole."""

    def loop(*args: Any, rows: int | None = None) -> np.ndarray:
        n = next(len(a) for a, ax in zip(args, in_axes) if ax is not None)
        n = n if rows is None else min(rows, n)
        return np.stack(
            [fun(*(a if ax is None else a[i] for a, ax in zip(args, in_axes))) for i in range(n)]
        )

    return loop


def _pairwise_loop(xs: np.ndarray, ys: np.ndarray, rows: int | None = None) -> np.ndarray:
    n = len(xs) if rows is None else min(rows, len(xs))
    return np.array([[distance(x, y) for y in ys] for x in xs[:n]])


def workloads(quick: bool) -> Iterator[Workload]:
    """The workloads, each built when it is reached (only one batch in memory at a time)."""
    rng = np.random.default_rng(0)
    q = 16 if quick else 1  # --quick divides the batch sizes

    def normal(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape)

    def faster_than(factor: float) -> Callable[[dict[str, float]], bool]:
        return lambda t: t["loop"] / t["vmap"] >= factor

    def within(factor: float) -> Callable[[dict[str, float]], bool]:
        return lambda t: t["vmap"] / t["hand"] <= factor

    b = 4096 // q
    yield Workload(
        "seed convolution",
        f"B={b}, N=64, 3 taps",
        seed_convolve,
        0,
        (normal(b, 64), normal(b, 3)),
        seed_hand,
        _loop(seed_convolve, (0, 0)),
        b,
        target=("loop/vmap >= 50x", faster_than(50)),
        jit_target=(
            "first < 50 ms; jit <= hand",
            lambda t: t["jit first"] < 0.05 and t["jit"] <= t["hand"],
        ),
    )
    b = 8192 // q
    yield Workload(
        "np.convolve per row",
        f"B={b}, N=1024, 9 taps",
        row_convolve,
        (0, None),
        (normal(b, 1024), normal(9)),
        rows_hand,
        _loop(row_convolve, (0, None)),
        b,
    )
    b = 8192 // q
    mlp_axes = (None, None, None, None, 0)
    mlp_w = (normal(256, 512) / 16, normal(512) / 16, normal(512, 10) / 16, normal(10) / 16)
    yield Workload(
        "per-example MLP",
        f"B={b}, 256-512-10",
        mlp,
        mlp_axes,
        (*mlp_w, normal(b, 256)),
        mlp_hand,
        _loop(mlp, mlp_axes),
        b,
        loop_rows=None if quick else 2048,
        target=("vmap/hand <= 1.5x", within(1.5)),
    )
    n = 1024 // q
    yield Workload(
        "pairwise distances (nested vmap)",
        f"{n} x {n} x 64",
        distance,
        ((None, 0), (0, None)),
        (normal(n, 64), normal(n, 64)),
        distance_hand,
        _pairwise_loop,
        n,
        loop_rows=None if quick else 64,
        nested=True,
        target=("vmap/hand <= 1.5x", within(1.5)),
    )
    b = 64 // q
    yield Workload(
        "per-example attention",
        f"B={b}, L=256, d=64",
        attention,
        0,
        (normal(b, 256, 64), normal(b, 256, 64), normal(b, 256, 64)),
        attention_hand,
        _loop(attention, (0, 0, 0)),
        b,
        target=("vmap faster than hand", lambda t: t["vmap"] < t["hand"]),
    )
    yield Workload(
        "tiny inputs (x * x + 1)",
        "B=8",
        tiny,
        0,
        (normal(8),),
        tiny,
        _loop(tiny, (0,)),
        8,
        target=("vmap < 20 µs per call", lambda t: t["vmap"] < 20e-6),
        jit_target=("jit - hand < 5 µs", lambda t: t["jit"] - t["hand"] < 5e-6),
    )


# ------------------------------------------------------------------------------- variants
# Each returns the zero-argument callable that is timed (and whose result is checked).


def variant_loop(w: Workload) -> Callable[[], Any]:
    """The Python loop, over the first ``loop_rows`` examples when that is set."""
    return lambda: w.loop(*w.args, rows=w.loop_rows)


def variant_hand(w: Workload) -> Callable[[], Any]:
    """Hand-vectorised NumPy."""
    return lambda: w.hand(*w.args)


def variant_vmap(w: Workload) -> Callable[[], Any]:
    """Eager ``autovec.vmap``, built once (building it is free: nothing is traced ahead)."""
    f = w.make_vmap()
    return lambda: f(*w.args)


def variant_jit_first(w: Workload) -> Callable[[], Any]:
    """``jit(vmap(f))``'s first call: tracing, optimising and compiling included (a fresh
    jit each call, so nothing is cached)."""
    return lambda: autovec.jit(w.make_vmap())(*w.args)


def variant_jit_steady(w: Workload) -> Callable[[], Any]:
    """``jit(vmap(f))`` once cached: a dictionary look-up and the compiled program."""
    f = autovec.jit(w.make_vmap())
    f(*w.args)
    return lambda: f(*w.args)


# name -> (variant, calls per timed run: None calibrates, 1 for first-call figures).
VARIANTS: dict[str, tuple[Callable[[Workload], Callable[[], Any]], int | None]] = {
    "loop": (variant_loop, None),
    "hand": (variant_hand, None),
    "vmap": (variant_vmap, None),
    "jit first": (variant_jit_first, 1),
    "jit": (variant_jit_steady, None),
}


# ----------------------------------------------------------------------------------- main


def check(w: Workload, fns: dict[str, Callable[[], Any]]) -> None:
    """Every variant's result equals the hand-vectorised one (the loop's: on its rows)."""
    want = np.asarray(w.hand(*w.args))
    for name, fn in fns.items():
        got = np.asarray(fn())
        if name == "loop" and w.loop_rows is not None:
            ref = want[: w.loop_rows]
        else:
            ref = want
        assert got.shape == ref.shape, f"{w.name}: {name} shape {got.shape} != {ref.shape}"
        assert np.allclose(got, ref, rtol=w.rtol, atol=w.atol), f"{w.name}: {name} differs"


def run(quick: bool, only: str | None, repeat: int) -> tuple[str, bool]:
    """The markdown table, and whether some loop figure was scaled up from a part."""
    extra = [name for name in VARIANTS if name not in ("loop", "hand", "vmap")]
    headers = ["workload", "sizes", "loop", "hand", "vmap", *extra]
    headers += [
        "loop/vmap",
        "vmap/hand",
        "jit/hand",
        "jit/vmap",
        "target",
        "met",
        "jit target",
        "met ",
    ]
    rows = []
    scaled = False
    for w in workloads(quick):
        if only and only.lower() not in w.name.lower():
            continue
        fns = {name: make(w) for name, (make, _) in VARIANTS.items()}
        check(w, fns)
        number = {name: n for name, (_, n) in VARIANTS.items() if n is not None}
        times = median_times(fns, repeat=repeat, min_time=0.01 if quick else 0.05, number=number)
        loop_note = ""
        if w.loop_rows is not None and w.loop_rows < w.batch:
            times["loop"] *= w.batch / w.loop_rows
            loop_note = "*"
            scaled = True
        target, met = w.target if w.target and not quick else ("", None)
        jit_target, jit_met = w.jit_target or (
            "jit <= vmap (steady)",
            lambda t: t["jit"] <= t["vmap"],
        )
        if quick:
            jit_target, jit_met = "", None
        rows.append(
            [
                w.name,
                w.sizes,
                fmt_time(times["loop"]) + loop_note,
                fmt_time(times["hand"]),
                fmt_time(times["vmap"]),
                *(fmt_time(times[name]) for name in extra),
                fmt_ratio(times["loop"] / times["vmap"]),
                fmt_ratio(times["vmap"] / times["hand"]),
                fmt_ratio(times["jit"] / times["hand"]),
                fmt_ratio(times["jit"] / times["vmap"]),
                target,
                "" if met is None else ("yes" if met(times) else "no"),
                jit_target,
                "" if jit_met is None else ("yes" if jit_met(times) else "no"),
            ]
        )
        print(f"  done: {w.name}", file=sys.stderr, flush=True)
        del fns, w  # free this workload's batch before the next one is built
    return markdown_table(headers, rows), scaled


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    parser.add_argument("--only", help="run the workloads whose name contains this")
    parser.add_argument("--repeat", type=int, help="timed runs per variant (median reported)")
    parser.add_argument(
        "--threads", type=int, help="BLAS threads (default: the BLAS library's own choice)"
    )
    args = parser.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 7)
    print(
        f"autovec {autovec.__version__}, NumPy {np.__version__}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, BLAS threads: "
        f"{args.threads or 'default'}; median of {repeat} runs"
        + (" (--quick: batch sizes / 16)" if args.quick else "")
        + "\n",
        flush=True,
    )
    table, scaled = run(args.quick, args.only, repeat)
    print(table)
    print(
        (
            "\n* loop timed over the first examples only, scaled to the whole batch."
            if scaled
            else ""
        )
        + "\nloop/vmap: how many times faster vmap is than the loop; vmap/hand: vmap's time over "
        "hand-vectorised NumPy's (1.00x = as fast)."
    )


if __name__ == "__main__":
    main()
