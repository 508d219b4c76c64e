"""1-D ``convolve`` and ``correlate`` with NumPy's signatures."""

from __future__ import annotations

from typing import Any

from autovec.numpy._convert import arr
from autovec.numpy._util import ndim, shape
from autovec.prims.signal import convolve_p, correlate_p


def _check(name: str, a: Any, v: Any, mode: str) -> tuple:
    a, v = arr(a), arr(v)
    if ndim(a) == 0:
        a = a.reshape(1) if hasattr(a, "reshape") else arr([a])
    if ndim(v) == 0:
        v = v.reshape(1) if hasattr(v, "reshape") else arr([v])
    if ndim(a) != 1 or ndim(v) != 1:
        raise ValueError(f"{name}: object too deep for desired array (inputs must be 1-D)")
    if shape(a)[0] == 0:
        raise ValueError("a cannot be empty")
    if shape(v)[0] == 0:
        raise ValueError("v cannot be empty")
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"mode must be one of 'full', 'same', 'valid', got {mode!r}")
    return a, v


def convolve(a: Any, v: Any, mode: str = "full") -> Any:
    """NumPy's 1-D ``convolve``; batched, a few whole-batch shifted multiply-adds."""
    a, v = _check("convolve", a, v, mode)
    return convolve_p.bind(a, v, mode=mode)


def correlate(a: Any, v: Any, mode: str = "valid") -> Any:
    """NumPy's 1-D ``correlate`` (note NumPy's default mode 'valid')."""
    a, v = _check("correlate", a, v, mode)
    return correlate_p.bind(a, v, mode=mode)


__all__ = [
    "convolve",
    "correlate",
]
