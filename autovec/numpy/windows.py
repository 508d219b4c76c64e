"""Window functions (NumPy's section of that name): ``hanning``, ``hamming``, ``blackman``,
``bartlett``, ``kaiser``.  The length ``M`` must be concrete; ``kaiser``'s ``beta`` may be
batched."""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec.numpy._convert import arr
from autovec.numpy._util import concrete_int, implements, is_traced
from autovec.numpy.manipulation import astype
from autovec.numpy.ufuncs import UFUNCS
from autovec.prims.special import i0_p

u = UFUNCS


def _window(name: str, M: Any) -> np.ndarray:
    if is_traced(M):
        concrete_int(M, f"{name}: M")
    return getattr(np, name)(M)


@implements(np.hanning)
def hanning(M: Any) -> np.ndarray:
    """NumPy's ``hanning`` window of ``M`` points (``M`` concrete; a constant)."""
    return _window("hanning", M)


@implements(np.hamming)
def hamming(M: Any) -> np.ndarray:
    """NumPy's ``hamming`` window of ``M`` points (``M`` concrete; a constant)."""
    return _window("hamming", M)


@implements(np.blackman)
def blackman(M: Any) -> np.ndarray:
    """NumPy's ``blackman`` window of ``M`` points (``M`` concrete; a constant)."""
    return _window("blackman", M)


@implements(np.bartlett)
def bartlett(M: Any) -> np.ndarray:
    """NumPy's ``bartlett`` window of ``M`` points (``M`` concrete; a constant)."""
    return _window("bartlett", M)


@implements(np.kaiser)
def kaiser(M: Any, beta: Any) -> Any:
    """NumPy's ``kaiser`` window (``M`` concrete; ``beta`` may be batched)."""
    if is_traced(M):
        concrete_int(M, "kaiser: M")
    m = float(M)
    if m == 1:
        return np.ones(1, np.float64)
    b = astype(arr(beta), np.float64)
    n = np.arange(0, m)
    alpha = (m - 1) / 2.0
    shape_ = np.sqrt(1 - ((n - alpha) / alpha) ** 2.0)
    return u["divide"](i0_p.bind(u["multiply"](b, shape_)), i0_p.bind(b))


__all__ = [
    "hanning",
    "hamming",
    "blackman",
    "bartlett",
    "kaiser",
]
