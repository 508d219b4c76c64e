"""What one run of a loop-faithful vmap knows about splitting (autovec/interpreters/split.py):
the call's shared settings, the run's decision log and state, the request to split, and the
hook autovec.explain listens on."""

from __future__ import annotations

from typing import Any

import numpy as np


class SplitRequest(BaseException):
    """Internal control flow: the lanes of one vmap run diverged; its driver re-runs groups.

    A ``BaseException`` so that a user's ``except Exception`` does not swallow it.
    """

    def __init__(
        self, state: SplitState, groups: list[tuple[np.ndarray, Any]], singles: np.ndarray
    ):
        super().__init__("vmap lanes diverged")  # never seen by users: run_vmap catches it
        self.state = state
        self.groups = groups  # (lane indices within the run, log entry or _NO_ENTRY)
        self.singles = singles  # lanes alone in their group: they run as the loop would


SOLO_BELOW_SCALAR = 32  # every example a scalar: one example's operations are cheap
SOLO_BELOW = 4


class _Call:
    """What every run of one vmapped call shares: the fallback mode, the call sites already
    warned about, and the bytes the runs' op records hold."""

    __slots__ = (
        "fallback",
        "warned",
        "memo_ops",
        "random",
        "key",
        "leaves",
        "axes",
        "_solo",
        "ragged",
        "axis_size",
        "foreign",
    )

    def __init__(
        self,
        fallback: str,
        random: Any = None,
        key: Any = None,
        leaves: Any = (),
        axes: Any = (),
        ragged: str = "error",
        axis_size: int = -1,
    ):
        self.fallback = fallback
        self.axis_size = axis_size  # the call's batch size
        self.ragged = ragged  # "list": outputs are the list of per-example results
        self.random = random  # the call's RandomRun (autovec/interpreters/randomness.py)
        self.key = key  # the user's function's code (see _SPLIT_LAST_TIME)
        self.leaves, self.axes = leaves, axes  # the call's arguments and their batch axes
        self.warned: set = set()
        self.memo_ops = 0
        self._solo = 0
        # Another library's namespace (torch) when the arguments are its arrays: no groups
        # there; a split runs every example alone (split_points.foreign_split).
        self.foreign: Any = None

    @property
    def solo_below(self) -> int:
        """A group smaller than this runs example by example (as the loop) rather than
        replaying the run: a replayed operation costs about a microsecond or two, an
        operation on one scalar example a few dozen nanoseconds."""
        if not self._solo:
            pairs = zip(self.leaves, self.axes)
            scalar = all(ax is None or getattr(x, "ndim", None) == 1 for x, ax in pairs)
            self._solo = SOLO_BELOW_SCALAR if scalar else SOLO_BELOW
        return self._solo


class SplitState:
    """What one run of a vmapped function knows about splitting: the decision log it
    replays and how far it got; for a continuing run (one that keeps going with one group
    at a split) also its active lanes, the lane sets its older values are over, the record
    of its batched operations, and the groups left for later runs."""

    __slots__ = (
        "log",
        "pos",
        "call",
        "request",
        "continuing",
        "lanes",
        "positions",
        "steps",
        "newest",
        "cache",
        "memo",
        "memo_src",
        "memo_len",
        "memo_pos",
        "hitting",
        "recording",
        "pending",
        "subs",
        "alive_scan",
    )

    def __init__(self, log: list, call: _Call):
        self.log = log
        self.pos = 0
        self.call = call
        # Set when this run asked to split.  NumPy replaces an exception raised by
        # __float__ (out[i] = v) with its own ValueError, and user code may catch that: the
        # driver trusts this field, not the exception that reaches it.
        self.request: SplitRequest | None = None
        self.continuing = False
        self.hitting = False  # replaying a recorded prefix (split_replay; continuing runs only)
        self.alive_scan = None  # split_replay._alive's last pass over the record

    @property
    def fallback(self) -> str:
        return self.call.fallback

    @property
    def warned(self) -> set:
        return self.call.warned

    @property
    def random(self) -> Any:
        return self.call.random

    def split(self, groups: list[tuple[np.ndarray, Any]], singles: np.ndarray) -> SplitRequest:
        self.request = SplitRequest(self, groups, singles)
        return self.request


_NO_ENTRY = object()  # a split on failing lanes: the groups replay nothing new there


class _NotConcrete(Exception):
    """The lanes of this value are not concrete here (e.g. under jit): keep today's error."""


# Set by autovec.explain for the duration of one call: told where the batch splits and how
# long each group ran (autovec/explain.py).
EXPLAIN: Any = None
