"""``python -m autovec.bench``: autovec against the Python loop, hand-vectorised NumPy, JAX and
PyTorch, in one run, as a report people can read (docs/performance.md).

Modules: ``workloads`` (what is run), ``runner`` (one row in a process of its own: check
every implementation against the loop, peak memory, interleaved timing), ``report`` (the
command line, the tables, the Markdown file and the chart), ``timing`` (medians of
interleaved runs; the scripts in benchmarks/ use it too).  JAX, PyTorch, matplotlib and tqdm
are imported only when present and needed.
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the report (``python -m autovec.bench --help`` lists the options)."""
    from autovec.bench.report import main as report_main

    return report_main(argv)
