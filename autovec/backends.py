"""Which array library a value belongs to, and its namespace ``xp``.

Primitives compute with ``xp`` functions only, so the same declaration runs on NumPy and on
other array libraries: each backend registers the array types it owns and the namespace its
impls receive.  PyTorch tensors (and CuPy arrays) are recognised on first sight with
array-api-compat's ``is_torch_array`` / ``is_cupy_array``, without importing those libraries
unless the user already has; their namespaces live in ``autovec/torch_namespace/``.

A namespace belongs to one library *and one device* (``xp.device``): a tensor on the GPU and
one on the CPU have different namespaces, so jit compiles a program once per device and
mixing devices in one call is the same error as mixing libraries (``BackendMismatchError``).
NumPy arrays and scalars meeting another library's arrays inside a computation (constants
the function closes over, index tables the batching rules build) are converted to that
library and device by ``adopt``; arguments of ``vmap``/``jit`` must all be of one library
(``input_namespace``).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from autovec import errors

# type -> namespace; filled lazily so that looking up a NumPy type costs one dict access.
_namespace_by_type: dict[type, Any] = {np.ndarray: np}
# What was registered (the cache above also remembers types found to be NumPy's, ``object``
# among them, which must not make every subclass NumPy's).
_registered: dict[type, Any] = {np.ndarray: np}
# The array types registered so far (read-only for other modules: ``type(x) in ARRAY_TYPES``
# says an array of a known library, which holds no Python objects to look into).
ARRAY_TYPES = _registered
_NUMPY_SCALARS = (np.generic, int, float, complex, bool)


class DeviceNamespaces:
    """A registered array type whose namespace depends on the value's device: ``of(x)``
    gives the namespace of ``x``'s device (``xp.device``)."""

    def __init__(self, make: Any):
        self.make = make  # device -> namespace
        self.by_device: dict[Any, Any] = {}

    def of(self, x: Any) -> Any:
        device = x.device
        xp = self.by_device.get(device)
        if xp is None:
            xp = self.by_device[device] = self.make(device)
        return xp


def register_backend(array_type: type, xp: Any) -> None:
    """Say that values of ``array_type`` are computed on with namespace ``xp`` (a module,
    or a ``DeviceNamespaces`` when the namespace depends on the value's device)."""
    _namespace_by_type[array_type] = xp
    _registered[array_type] = xp


def _namespace(v: Any) -> Any:
    xp = _namespace_by_type.get(type(v))
    if xp is None:
        xp = _lookup(v)
    if type(xp) is DeviceNamespaces:
        return xp.of(v)
    return xp


def namespace_of(*values: Any) -> Any:
    """The namespace of the non-NumPy arrays among ``values``, else ``numpy``.

    NumPy arrays and Python or NumPy scalars go with any library (``adopt`` converts them);
    two other libraries, or two devices of one library, raise ``BackendMismatchError``."""
    found: Any = np
    for v in values:
        xp = _namespace_by_type.get(type(v))
        if xp is np:
            continue
        if xp is None:
            xp = _lookup(v)
            if xp is np:
                continue
        if type(xp) is DeviceNamespaces:
            xp = xp.of(v)
        if found is not np and xp is not found:
            raise errors.BackendMismatchError(_mismatch_message(found, xp))
        found = xp
    return found


def input_namespace(leaves: Any, where: str) -> Any:
    """The namespace of a ``vmap``/``jit`` call's argument leaves; ``BackendMismatchError``
    when NumPy arrays and another library's arrays (or two libraries) are mixed."""
    found: Any = np
    numpy_leaf = None
    for v in leaves:
        t = type(v)
        if t is np.ndarray:
            numpy_leaf = v
            continue
        xp = _namespace_by_type.get(t)
        if xp is np or (xp is None and _lookup(v) is np):
            if numpy_leaf is None and isinstance(v, np.ndarray):
                numpy_leaf = v
            continue
        xp = _namespace(v)
        if found is not np and xp is not found:
            raise errors.BackendMismatchError(f"{where}: " + _mismatch_message(found, xp))
        found = xp
    if found is not np and numpy_leaf is not None:
        raise errors.BackendMismatchError(
            f"{where} got NumPy arrays and {found.__name__} arrays among its arguments. "
            f"Pass every array argument from one library (convert the NumPy ones with "
            f"{found.__name__}'s asarray, on the device the others live on); NumPy arrays "
            f"the function closes over are converted for you, once per call."
        )
    return found


def _mismatch_message(a: Any, b: Any) -> str:
    return (
        f"arrays of {a.__name__} and {b.__name__} meet in one call. autovec never copies "
        f"arrays between libraries or devices behind your back: convert them to one library "
        f"and device first."
    )


def adopt(xp: Any, args: tuple) -> tuple:
    """``args`` with the NumPy arrays and NumPy scalars among them converted to ``xp``'s
    arrays on its device (Python scalars stay: they are weak in NumPy's promotion)."""
    if not any(isinstance(a, (np.ndarray, np.generic)) for a in args):
        return args
    return tuple(xp.asarray(a) if isinstance(a, (np.ndarray, np.generic)) else a for a in args)


def _lookup(v: Any) -> Any:
    t = type(v)
    for known, xp in list(_registered.items()):
        if issubclass(t, known):
            _namespace_by_type[t] = xp
            return xp
    if "torch" in sys.modules or "cupy" in sys.modules:
        from array_api_compat import is_cupy_array, is_torch_array

        if "torch" in sys.modules and is_torch_array(v):
            import torch

            from autovec.torch_namespace import TorchNamespace

            namespaces = DeviceNamespaces(TorchNamespace)
            register_backend(torch.Tensor, namespaces)
            register_backend(t, namespaces)  # (a subclass: torch.nn.Parameter)
            return namespaces
        if "cupy" in sys.modules and is_cupy_array(v):
            # CuPy mirrors NumPy's names, signatures and dtypes: array-api-compat's namespace.
            import array_api_compat.cupy as cupy_namespace

            register_backend(t, cupy_namespace)
            return cupy_namespace
    # Python scalars, NumPy scalars, lists and anything else compute with NumPy.
    _namespace_by_type[t] = np
    return np


# Other libraries' dtypes seen so far -> NumPy's (``numpy_dtype`` without an exception).
_FOREIGN_DTYPES: dict[Any, np.dtype] = {}


def numpy_dtype(dtype: Any) -> np.dtype:
    """NumPy's dtype for a dtype of any registered library (a ``torch.dtype`` too)."""
    if isinstance(dtype, np.dtype):
        return dtype
    if type(dtype).__hash__ is not None:
        found = _FOREIGN_DTYPES.get(dtype)
        if found is not None:
            return found
    try:
        return np.dtype(dtype)
    except TypeError:
        from autovec.torch_namespace import numpy_dtype_of

        found = _FOREIGN_DTYPES[dtype] = numpy_dtype_of(dtype)
        return found


def fresh_copy(x: Any, others: Any) -> Any:
    """``x``, or a copy of it where it shares memory with one of ``others`` (arrays of
    ``x``'s library; others are ignored), so that writing into it changes nothing else."""
    storage = getattr(x, "untyped_storage", None)
    if storage is None:  # CuPy and other libraries with NumPy's memory helpers
        shares = getattr(_namespace(x), "shares_memory", None)
        if (
            shares is None
            or not any(type(o) is type(x) and shares(x, o) for o in others if o is not x)
            and not any(o is x for o in others)
        ):
            return x
        return x.copy()
    ptr = storage().data_ptr()
    for o in others:
        if o is x or (
            type(o) is type(x) and o.numel() and x.numel() and o.untyped_storage().data_ptr() == ptr
        ):
            return x.clone()
    return x
