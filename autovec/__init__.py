"""autovec: JAX-style automatic vectorisation (``vmap``) for NumPy code.

Write a function for ONE example; ``autovec.vmap(f)`` runs it over a whole batch as a few
array operations instead of a Python loop; ``autovec.jit(f)`` traces it once into a program
and replays it with almost no Python overhead.

>>> import numpy as np, autovec
>>> autovec.vmap(lambda x: np.dot(x, x))(np.arange(6.0).reshape(3, 2))
array([ 1., 13., 41.])
"""

from autovec import dask as _dask  # noqa: F401  (vmap of dask arrays; dask imported lazily)
from autovec import errors, numpy, prims  # noqa: F401  (importing declares the primitives)
from autovec.control_flow import cond, fori_loop, map, scan, switch, while_loop  # noqa: A004
from autovec.explain import explain
from autovec.interpreters import (
    chunking,  # noqa: F401  (installs vmap's chunk_size=/max_memory=)
    shared,  # noqa: F401  (in_axes=None values: SharedTracer)
    split,  # noqa: F401  (installs loop-faithful vmap)
)
from autovec.interpreters.batching import vmap
from autovec.interpreters.jit import clear_caches, jit, make_ir
from autovec.tree import (
    register_pytree_node,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
)
from autovec.vectorize import vectorize

__version__ = "0.1.0"

__all__ = [
    "clear_caches",
    "cond",
    "errors",
    "explain",
    "fori_loop",
    "jit",
    "make_ir",
    "map",
    "numpy",
    "register_pytree_node",
    "scan",
    "switch",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_structure",
    "tree_unflatten",
    "vectorize",
    "vmap",
    "while_loop",
]


def __dir__() -> list[str]:
    """The public API and the module's dunders; not the submodules imported on the way
    (``core``, ``tree``, ``interpreters``, ...), which ``__all__`` leaves out."""
    return sorted({*__all__, *(n for n in globals() if n.startswith("__") and n.endswith("__"))})
