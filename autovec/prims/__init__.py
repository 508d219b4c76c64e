"""The closed set of primitives.  Importing this package declares all of them.

Every primitive lives in ``autovec.core.PRIMITIVES`` under its name; each module below holds
one family, and each primitive's whole story (impl, shape rule, batching rule, samples) is in
its one ``declare(...)`` call.
"""

from autovec.core import PRIMITIVES
from autovec.prims import elementwise, linalg, reductions, shape, signal  # noqa: F401
from autovec.prims import cumulative, gather, scatter, sorting  # noqa: F401
from autovec.prims import decompositions, fft  # noqa: F401
from autovec.prims import windows  # noqa: F401
from autovec.prims import counting, special  # noqa: F401

__all__ = ["PRIMITIVES"]
