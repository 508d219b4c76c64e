"""``autovec.explain``: where a vmapped function leaves the vectorised path, and what to do.

It runs ``vmap(f)(*args)`` once and reports each place where the examples diverged (an
``if``/``while`` on a per-example value, ``int()`` of one), fell back to running example by
example (``np.asarray``, ``float()``, ``out[i] = v``: no NumPy hook), or failed for some
examples only; with the file and line, how many groups the batch split into there, how many
examples ran on their own, the share of the run time spent on the groups it created, and the
change that keeps the code vectorised.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.interpreters import split as split_mod
from autovec.interpreters import split_points, split_state
from autovec.interpreters.batching import vmap

__all__ = ["Explanation", "SplitSite", "explain"]

_CONTROL_ADVICE = {
    "bool": (
        "compute both sides and choose per example with np.where(cond, a, b) "
        "(autovec.numpy.where); for a while loop, run a fixed number of steps and keep "
        "finished examples with np.where(done, x, step(x))"
    ),
    "int": "give sizes and counts unbatched (in_axes=None or a closure), or pad to a fixed size",
    "index": (
        "give sizes and indices unbatched (in_axes=None or a closure), or use a fixed size "
        "with a mask (np.where); index arrays with autovec.numpy.take(table, i)"
    ),
    "value": "give the value unbatched to the inner vmap (in_axes=None)",
    "exception": (
        "keep failing examples out of the operation (np.where on the input, or a check "
        "before it), so that no example raises"
    ),
}


@dataclasses.dataclass
class SplitSite:
    """One place where the batch left the vectorised path."""

    filename: str
    lineno: int
    what: str  # what the code asked for there (bool(), np.asarray, ...)
    category: str  # "split" (control flow), "fallback" (no NumPy hook) or "exception"
    splits: int = 0  # how many times the batch split here
    groups: int = 0  # the most groups it split into at once
    examples_alone: int = 0  # examples that then ran one by one, as the loop
    seconds: float = 0.0  # time running the groups (and single examples) created here
    share: float = 0.0  # ``seconds`` over the whole call's time
    advice: str = ""  # the change that keeps it vectorised

    @property
    def where(self) -> str:
        return f"{self.filename}:{self.lineno}"


@dataclasses.dataclass
class Explanation:
    """What ``autovec.explain`` found: ``sites`` in the order first met, the call's
    ``seconds``, and ``output`` (what ``vmap(f)(*args)`` returned)."""

    sites: list[SplitSite]
    seconds: float
    batch_size: int
    output: Any = dataclasses.field(repr=False, default=None)

    @property
    def vectorised(self) -> bool:
        """True when nothing split: the whole batch ran as array operations."""
        return not self.sites

    def format(self, times: bool = True) -> str:
        """The report as text; ``times=False`` leaves out the timings."""
        if not self.sites:
            return f"vmap ran all {self.batch_size} examples vectorised: nothing split."
        lines = [f"vmap over {self.batch_size} examples left the vectorised path at:"]
        for site in self.sites:
            detail = f"split {site.splits}x, up to {site.groups} groups"
            if site.examples_alone:
                detail += f"; {site.examples_alone} examples ran one by one"
            if times:
                detail += f"; {site.share:.0%} of the time"
            lines.append(f"- {site.where}: {site.what} [{site.category}] ({detail})")
            lines.append(f"  to stay vectorised: {site.advice}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format(times=True)


class _Recorder:
    """Told by split.py where the batch splits and how long the groups ran."""

    def __init__(self) -> None:
        self.sites: dict[tuple[str, int, str], SplitSite] = {}
        self.last: SplitSite | None = None
        self.origin: dict[int, tuple[np.ndarray, SplitSite]] = {}
        self.batch_size: int | None = None

    def split_at(self, key: str, what: str, data_kind: bool, n_groups: int, counted: bool):
        filename, lineno, _ = split_points._call_site()
        if key == "exception":
            category = "exception"
        else:
            category = "fallback" if data_kind else "split"
        site = self.sites.get((filename, lineno, key))
        if site is None:
            advice = split_points._ADVICE.get(key) or _CONTROL_ADVICE.get(key, "")
            site = SplitSite(filename, lineno, what, category, advice=advice)
            self.sites[(filename, lineno, key)] = site
        site.groups = max(site.groups, n_groups)
        if counted:
            site.splits += 1
        self.last = site

    def count_last(self) -> None:
        if self.last is not None:
            self.last.splits += 1

    def spawned(self, lanes: np.ndarray) -> None:
        if self.last is not None:
            self.origin[id(lanes)] = (lanes, self.last)

    def _site_of(self, lanes: np.ndarray) -> SplitSite | None:
        entry = self.origin.get(id(lanes))
        return entry[1] if entry is not None and entry[0] is lanes else None

    def ran(self, lanes: np.ndarray, seconds: float) -> None:
        site = self._site_of(lanes)
        if site is not None:
            site.seconds += seconds

    def ran_alone(self, lane_sets: list, seconds: float) -> None:
        total = sum(len(lanes) for lanes in lane_sets) or 1
        for lanes in lane_sets:
            site = self._site_of(lanes)
            if site is not None:
                site.seconds += seconds * len(lanes) / total
                site.examples_alone += len(lanes)


def explain(f: Callable, *args: Any, **vmap_options: Any) -> Explanation:
    """Run ``vmap(f, **vmap_options)(*args)`` and report where the examples left the
    vectorised path (see ``Explanation``).  The fallback warning is not issued (the report
    says the same); ``fallback="error"`` still raises."""
    if split_state.EXPLAIN is not None:
        raise errors.UnsupportedOperationError(
            "autovec.explain cannot run inside another autovec.explain."
        )
    vmap_options.setdefault("fallback", "loop")
    vmapped = vmap(f, **vmap_options)
    recorder = _Recorder()
    key = getattr(f, "__code__", None)
    if key is not None:  # report the first attempt too, as a first call would make it
        split_mod._SPLIT_LAST_TIME.pop(id(key), None)
    split_state.EXPLAIN = recorder
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", errors.FallbackWarning)
            output = vmapped(*args)
    finally:
        split_state.EXPLAIN = None
    seconds = time.perf_counter() - started
    sites = list(recorder.sites.values())
    for site in sites:
        site.share = min(1.0, site.seconds / seconds) if seconds > 0 else 0.0
    return Explanation(sites, seconds, recorder.batch_size or 0, output)
