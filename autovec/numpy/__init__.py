"""``autovec.numpy``: NumPy's API on values that may be batched (vmap) or traced (jit).

Each function normalises its arguments as NumPy does and then binds primitives (or calls other
functions here).  On plain arrays, outside any transformation, the results are NumPy's.  Plain
``numpy`` calls on tracers land here too, through ``__array_ufunc__``/``__array_function__``.

Each module below lists its functions in ``__all__``; this namespace exports all of them.  To
add a family of functions, write a module and add it to ``_MODULES``.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

# NumPy's constants and dtypes, so `import autovec.numpy as np` code keeps working.
from numpy import (  # noqa: F401
    bool_,
    complex64,
    complex128,
    dtype,
    e,
    euler_gamma,
    finfo,
    float16,
    float32,
    float64,
    iinfo,
    inf,
    int8,
    int16,
    int32,
    int64,
    intp,
    nan,
    newaxis,
    pi,
    uint8,
    uint16,
    uint32,
    uint64,
)

from autovec.numpy import assembly as _assembly
from autovec.numpy import creation as _creation
from autovec.numpy import cumulative as _cumulative
from autovec.numpy import datadependent as _datadependent
from autovec.numpy import fft, indexing, linalg, methods  # fft, linalg: NumPy's submodules
from autovec.numpy import indexing_ops as _indexing_ops
from autovec.numpy import manipulation as _manipulation
from autovec.numpy import mathfuncs as _mathfuncs
from autovec.numpy import more as _more
from autovec.numpy import products as _products
from autovec.numpy import reductions as _reductions
from autovec.numpy import sets as _sets
from autovec.numpy import signal as _signal
from autovec.numpy import sorting as _sorting
from autovec.numpy import statistics as _statistics
from autovec.numpy import ufuncs as _ufuncs
from autovec.numpy.indexing import getitem
from autovec.numpy.ufuncs import UFUNCS

_MODULES = [
    _assembly,
    _creation,
    _cumulative,
    _datadependent,
    _indexing_ops,
    _manipulation,
    _mathfuncs,
    _more,
    _products,
    _reductions,
    _sets,
    _signal,
    _sorting,
    _statistics,
    _ufuncs,
]
for _module in _MODULES:
    globals().update({_name: getattr(_module, _name) for _name in _module.__all__})

shape = _manipulation.shape_of
ndim = _manipulation.ndim_of
size = _manipulation.size_of


def result_type(*arrays_and_dtypes: Any) -> _np.dtype:
    """NumPy's ``result_type``; traced values count by their dtype."""
    # Dtypes, scalar types and strings pass as they are (``np.int16`` has a ``dtype``
    # attribute too, but it is a descriptor, not a dtype); Python scalars stay weak.
    return _np.result_type(
        *(
            a
            if isinstance(a, (type, _np.dtype, str, int, float, complex))
            else getattr(a, "dtype", a)
            for a in arrays_and_dtypes
        )
    )


def iscomplexobj(x: Any) -> bool:
    """Whether ``x`` has a complex dtype."""
    dt = x.dtype if hasattr(x, "dtype") else _np.asarray(x).dtype
    return issubclass(dt.type, _np.complexfloating)


def isrealobj(x: Any) -> bool:
    """Whether ``x`` has a non-complex dtype."""
    return not iscomplexobj(x)


# The functions this namespace implements; the completeness test checks each is tested.
EXPORTED: list[str] = sorted(
    {n for m in _MODULES for n in m.__all__}
    | {"ndim", "shape", "size", "result_type", "iscomplexobj", "isrealobj"}
)

# NumPy module -> the namespace here that mirrors it (None: this one).
_MIRRORS: dict[str, Any] = {"numpy": None, "numpy.linalg": linalg, "numpy.fft": fft}


def lookup_numpy_function(module: str, name: str) -> Any:
    """The ``autovec.numpy`` function standing in for NumPy's ``module.name``, or None."""
    if module not in _MIRRORS:
        return None
    mirror = _MIRRORS[module]
    if mirror is None:
        return globals().get(name) if name in EXPORTED else None
    return getattr(mirror, name, None)


methods.install(__import__(__name__, fromlist=["UFUNCS"]))

__all__ = [*EXPORTED, "getitem", "indexing", "UFUNCS", "lookup_numpy_function", "linalg", "fft"]
