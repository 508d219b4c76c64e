"""The closed set of primitives.  Importing this package declares all of them.

Every primitive lives in ``autovec.core.PRIMITIVES`` under its name; each module below holds
one family, and each primitive's whole story (impl, shape rule, batching rule, samples) is in
its one ``declare(...)`` call.
"""

from autovec.core import PRIMITIVES
from autovec.prims import (  # noqa: F401  (importing a module declares its primitives)
    counting,
    cumulative,
    decompositions,
    elementwise,
    fft,
    foreign,
    gather,
    linalg,
    reductions,
    scatter,
    shape,
    signal,
    sorting,
    special,
    windows,
)

__all__ = ["PRIMITIVES"]
