"""Timing helpers shared by `python -m autovec.bench` and the scripts in benchmarks/: medians
of repeated runs, a table printer.

Variants of one workload are timed *interleaved*: each repeat runs every variant once, so a
burst of load from another process slows all of them alike and the ratios stay fair.  Fast
callables are run several times per repeat (``number``) so that a repeat lasts at least
``min_time`` seconds; the figure reported is the median over repeats of the time per call.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence


def calibrate(fn: Callable[[], object], min_time: float) -> int:
    """How many calls of ``fn`` make a run of at least ``min_time`` seconds (one warm-up call
    is made here, so caches and lazy imports are out of the way before timing)."""
    t0 = time.perf_counter()
    fn()
    once = time.perf_counter() - t0
    if once >= min_time:
        return 1
    return max(1, math.ceil(min_time / max(once, 1e-7)))


def median_times(
    fns: dict[str, Callable[[], object]],
    *,
    repeat: int = 5,
    min_time: float = 0.05,
    number: dict[str, int] | None = None,
) -> dict[str, float]:
    """Median seconds per call of each callable, over ``repeat`` interleaved runs.

    ``number[name]`` fixes the calls per run for a variant (1 for a "first call" variant that
    must not be warmed up); the others are calibrated to last ``min_time``.
    """
    fixed = number or {}
    counts = {
        name: fixed[name] if name in fixed else calibrate(fn, min_time) for name, fn in fns.items()
    }
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            n = counts[name]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t0) / n)
    return {name: statistics.median(ts) for name, ts in samples.items()}


def fmt_time(seconds: float) -> str:
    """``0.0123`` -> ``12.3 ms``; microseconds below a millisecond, seconds above one."""
    if seconds != seconds:  # NaN: not measured
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(x: float) -> str:
    if x != x:
        return "-"
    return f"{x:.0f}x" if x >= 100 else f"{x:.2f}x" if x < 10 else f"{x:.1f}x"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured markdown table, columns padded to line up in a terminal too."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])
