"""Which array library a value belongs to, and its namespace ``xp``.

Primitives compute with ``xp`` functions only, so the same declaration runs on NumPy today
and on other array libraries (CuPy, PyTorch, Dask) as backends are added: each backend
registers the array types it owns and the namespace its impls receive.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

# type -> namespace; filled lazily so that looking up a NumPy type costs one dict access.
_namespace_by_type: dict[type, ModuleType] = {np.ndarray: np}
_NUMPY_SCALARS = (np.generic, int, float, complex, bool)


def register_backend(array_type: type, xp: ModuleType) -> None:
    """Say that values of ``array_type`` are computed on with namespace ``xp``."""
    _namespace_by_type[array_type] = xp


def namespace_of(*values: Any) -> ModuleType:
    """The namespace of the first non-NumPy array among ``values``, else ``numpy``."""
    for v in values:
        xp = _namespace_by_type.get(type(v))
        if xp is None:
            xp = _lookup(type(v))
        if xp is not np:
            return xp
    return np


def _lookup(t: type) -> ModuleType:
    for known, xp in list(_namespace_by_type.items()):
        if issubclass(t, known):
            _namespace_by_type[t] = xp
            return xp
    # Python scalars, NumPy scalars, lists and anything else compute with NumPy.
    _namespace_by_type[t] = np
    return np
