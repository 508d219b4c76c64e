"""The timing helpers now live in ``autovec.bench.timing`` (``python -m autovec.bench`` uses
them too); the benchmark scripts keep importing them from here."""

from autovec.bench.timing import (  # noqa: F401
    calibrate,
    fmt_ratio,
    fmt_time,
    markdown_table,
    median_times,
)
