"""The array API standard's own functions (2024.12) that NumPy's namespace has and the rest of
``autovec.numpy`` did not: ``__array_namespace_info__``, ``isdtype``, ``can_cast`` and
``from_dlpack``, plus the array-object protocols of traced values (``__array_namespace__``,
``device``, ``__dlpack__``).

Outside a transformation each function is NumPy's.  Inside one, dtypes and devices are the same
for every example (a traced value knows its dtype), so the answers are NumPy's too; the one
thing a transformation changes is what the namespace can do: see ``capabilities``.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import EvalTrace, Tracer, current_trace
from autovec.numpy._util import implements
from autovec.numpy.indexing import copy_value

# The array API versions __array_namespace__(api_version=) accepts (the newest is followed).
_API_VERSIONS = ("2021.12", "2022.12", "2023.12", "2024.12")


class ArrayNamespaceInfo:
    """What ``__array_namespace_info__()`` returns: NumPy's answers (one device, ``"cpu"``;
    NumPy's dtypes and defaults), with the capabilities of the current transformation."""

    __module__ = "autovec.numpy"

    def __init__(self) -> None:
        self._numpy = np.__array_namespace_info__()

    def capabilities(self) -> dict[str, Any]:
        """Eagerly NumPy's.  Inside vmap or jit, data-dependent shapes (``unique_values``,
        ``nonzero``, ``x[mask]``) raise ``DataDependentShapeError`` unless given ``size=``,
        so they report False there; each enclosing vmap takes one of NumPy's 64 dimensions."""
        caps = dict(self._numpy.capabilities())
        trace = current_trace()
        if not isinstance(trace, EvalTrace):
            caps["data-dependent shapes"] = False
            max_dims = caps.get("max dimensions")
            if max_dims is not None:
                caps["max dimensions"] = max_dims - _vmap_depth(trace)
        return caps

    def default_device(self) -> str:
        return self._numpy.default_device()

    def devices(self) -> list[str]:
        return self._numpy.devices()

    def default_dtypes(self, *, device: Any = None) -> dict[str, np.dtype]:
        return self._numpy.default_dtypes(device=device)

    def dtypes(self, *, device: Any = None, kind: Any = None) -> dict[str, np.dtype]:
        return self._numpy.dtypes(device=device, kind=kind)


def _vmap_depth(trace: Any) -> int:
    """How many batch axes the current trace adds (vmaps nest through ``parent``)."""
    depth = 0
    while trace is not None and not isinstance(trace, EvalTrace):
        depth += "vmap" in trace.kind
        trace = getattr(trace, "parent", None)
    return depth


def __array_namespace_info__() -> ArrayNamespaceInfo:  # noqa: N807 (the standard's name)
    """The array API's inspection namespace (devices, dtypes, capabilities)."""
    return ArrayNamespaceInfo()


@implements(np.isdtype)
def isdtype(dtype: Any, kind: Any) -> bool:
    """NumPy's ``isdtype``: whether ``dtype`` is of ``kind`` (a kind name, a dtype, or a
    tuple of them).  A traced value is not a dtype: NumPy's ``TypeError``, as for an array."""
    return np.isdtype(dtype, kind)


@implements(np.can_cast)
def can_cast(from_: Any, to: Any, casting: str = "safe") -> bool:
    """NumPy's ``can_cast``; a traced ``from_`` counts by its dtype (NumPy 2 looks only at
    an array's dtype too, never at its values)."""
    return np.can_cast(from_.dtype if isinstance(from_, Tracer) else from_, to, casting)


@implements(np.from_dlpack)
def from_dlpack(x: Any, /, *, device: Any = None, copy: Any = None) -> Any:
    """NumPy's ``from_dlpack``.  A traced value is already this namespace's array: it is
    returned as it is (``copy=True``: a copy), as ``from_dlpack`` of a NumPy array gives a
    view of it."""
    _check_device(device)
    return copy_value(x) if copy else x


def _check_device(device: Any) -> None:
    if device not in (None, "cpu") and getattr(device, "__str__", lambda: "")() != "cpu":
        raise ValueError(f"Unsupported device {device!r}: NumPy arrays live on 'cpu'")


# ----------------------------------------------------------------- protocols of traced values


def _dlpack(self: Any, /, **kwargs: Any) -> Any:
    raise errors.UnsupportedOperationError(
        f"__dlpack__ exports memory, and a value {self._trace.kind} has none of its own "
        f"(it stands for one example of many). Use autovec.numpy.from_dlpack(x), which keeps "
        f"the value as it is, or convert the result after the transformation."
    )


def install(tracer_cls: type, namespace: Any) -> None:
    """The array-object protocols the standard asks of arrays, on traced values;
    ``namespace`` is ``autovec.numpy`` (passed in: this module sits below it)."""

    def __array_namespace__(self: Any, /, *, api_version: str | None = None) -> Any:  # noqa: N807
        """``x.__array_namespace__()``: ``autovec.numpy``, whose functions keep a traced
        value vectorised (array-API code such as SciPy's dispatches on this)."""
        if api_version is not None and api_version not in _API_VERSIONS:
            raise ValueError(
                f"Unrecognized array API version {api_version!r}; autovec.numpy supports "
                f"{', '.join(_API_VERSIONS)}"
            )
        return namespace

    tracer_cls.__array_namespace__ = __array_namespace__
    tracer_cls.__dlpack__ = _dlpack
    tracer_cls.__dlpack_device__ = lambda self: (1, 0)  # (kDLCPU, device 0), as NumPy's
    tracer_cls.device = property(lambda self: "cpu")


# ------------------------------------------------- array-api-compat: NumPy arrays with tracers

# The copies of array-api-compat that libraries use: its own, and those SciPy and scikit-learn
# vendor.  Each has ``array_namespace`` (and its older alias ``get_namespace``).
_COMPAT_MODULES = (
    "array_api_compat",
    "scipy._lib.array_api_compat",
    "scipy._external.array_api_compat",  # where SciPy 1.18 moved its copy
    "sklearn.externals.array_api_compat",
)
_NAMESPACE_FUNCTIONS = ("array_namespace", "get_namespace")
_NON_ARRAYS = (int, float, complex, bool, type(None))


def _resolving(original: Any) -> Any:
    """``array_namespace`` that answers ``autovec.numpy`` when a traced value is among its
    arguments and the rest are NumPy arrays or Python scalars, and ``original``'s answer
    otherwise."""

    @functools.wraps(original)
    def array_namespace(*xs: Any, api_version: str | None = None, **kwargs: Any) -> Any:
        traced = [x for x in xs if isinstance(x, Tracer)]
        if traced and all(
            isinstance(x, (Tracer, np.ndarray, np.generic, *_NON_ARRAYS)) for x in xs
        ):
            return traced[0].__array_namespace__(api_version=api_version)
        return original(*xs, api_version=api_version, **kwargs)

    array_namespace._autovec_original = original  # type: ignore[attr-defined]
    return array_namespace


def enable_array_api_compat() -> list[str]:
    """Let array-api-compat's ``array_namespace`` (and SciPy's and scikit-learn's vendored
    copies) mix NumPy arrays with batched or traced values, answering ``autovec.numpy``.

    Inside vmap or jit, a value that does not depend on the batch is a plain NumPy array (an
    ``xp.asarray(0.5)`` a library makes, a constant argument), and array-api-compat refuses
    NumPy arrays next to another library's arrays ("Multiple namespaces").  For autovec the
    two are one namespace: ``autovec.numpy`` computes on both.  Call this once, after
    importing the libraries (copies imported later are not changed); calling it again changes
    nothing.  Arguments with no traced value keep the library's own answer.  Returns the
    modules changed."""
    changed = []
    originals = {}
    for name in _COMPAT_MODULES:
        module = sys.modules.get(name)
        if module is None:
            continue
        for attr in _NAMESPACE_FUNCTIONS:
            func = getattr(module, attr, None)
            if func is not None and not hasattr(func, "_autovec_original"):
                originals[func] = _resolving(func)
    if not originals:
        return changed
    # Modules that imported the function by name hold it too (``from ... import
    # array_namespace``): replace it wherever it is the same function object.
    for module_name, module in list(sys.modules.items()):
        if module is None or not module_name.startswith(("array_api_compat", "scipy", "sklearn")):
            continue
        for attr in _NAMESPACE_FUNCTIONS:
            func = getattr(module, attr, None)
            try:
                replacement = originals.get(func)
            except TypeError:  # an unhashable attribute of that name
                continue
            if replacement is not None:
                setattr(module, attr, replacement)
                changed.append(f"{module_name}.{attr}")
    return changed


# (``__array_namespace_info__`` is imported by the face too; a dunder stays out of ``__all__``,
# as ``dir(autovec.numpy)`` leaves dunders out.)
__all__ = ["isdtype", "can_cast", "from_dlpack"]  # enable_array_api_compat: by module
