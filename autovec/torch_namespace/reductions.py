"""NumPy's reductions (``sum``, ``max``, ``var``, ``argmax``, ``nanargmax``, ...) on tensors,
with NumPy's signatures and result dtypes."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from autovec.torch_namespace.dtypes import fix_dtype, numpy_result, torch_dtype


def axes_of(axis: Any, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    return tuple(axis) if isinstance(axis, tuple) else (axis,)


def _reduction(name: str, torch_fn: Callable[..., Any], cast_input: bool) -> Any:
    """NumPy's ``name(x, axis=, keepdims=, dtype=, ddof=)`` with NumPy's result dtype."""

    def fn(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None, **kw: Any) -> Any:
        params = tuple(sorted(kw.items())) + ((("dtype", np.dtype(dtype)),) if dtype else ())
        want = torch_dtype(numpy_result(name, (x.dtype,), params)[0])
        axes = axes_of(axis, x.ndim)
        if cast_input and x.dtype != want:
            x = x.to(want)
        if not axes:  # NumPy: a reduction over no axes gives the values (cast, as a copy)
            out = x.clone()
        else:
            out = torch_fn(x, axes, keepdims, **kw)
        return fix_dtype(out, want)

    fn.__name__ = name
    return fn


def _prod(x: Any, axes: tuple, keepdims: bool) -> Any:
    for a in sorted(axes, reverse=True):  # torch.prod reduces one axis at a time
        x = torch.prod(x, dim=a, keepdim=keepdims)
    return x


REDUCTIONS = {
    "sum": _reduction("sum", lambda x, a, k: torch.sum(x, dim=a, keepdim=k), True),
    "prod": _reduction("prod", _prod, True),
    "max": _reduction("max", lambda x, a, k: torch.amax(x, dim=a, keepdim=k), False),
    "min": _reduction("min", lambda x, a, k: torch.amin(x, dim=a, keepdim=k), False),
    "any": _reduction("any", lambda x, a, k: torch.any(x.bool(), dim=a, keepdim=k), False),
    "all": _reduction("all", lambda x, a, k: torch.all(x.bool(), dim=a, keepdim=k), False),
    "mean": _reduction("mean", lambda x, a, k: torch.mean(x, dim=a, keepdim=k), True),
    "var": _reduction(
        "var", lambda x, a, k, ddof=0: torch.var(x, dim=a, keepdim=k, correction=ddof), True
    ),
    "std": _reduction(
        "std", lambda x, a, k, ddof=0: torch.std(x, dim=a, keepdim=k, correction=ddof), True
    ),
}


def argreduction(torch_fn: Callable[..., Any]) -> Any:
    def fn(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
        if x.dtype == torch.bool:  # torch's argmax/argmin refuse booleans; NumPy's: False < True
            x = x.to(torch.uint8)
        if axis is None:
            out = torch_fn(x.reshape(-1), dim=0)
            return out.reshape((1,) * x.ndim) if keepdims else out
        return torch_fn(x, dim=axis, keepdim=keepdims)

    return fn


def nanarg(arg_reduction: Callable[..., Any], fill: float) -> Any:
    """NumPy's ``nanargmax``/``nanargmin``: NaNs replaced by ``fill``; an all-NaN slice
    raises NumPy's ValueError."""

    def fn(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
        if x.is_floating_point():
            nan = torch.isnan(x)
            every = nan.all() if axis is None else nan.all(dim=axis)
            if bool(every.any()):
                raise ValueError("All-NaN slice encountered")
            x = torch.where(nan, torch.full_like(x, fill), x)
        return arg_reduction(x, axis=axis, keepdims=keepdims)

    return fn


_ARGMAX, _ARGMIN = argreduction(torch.argmax), argreduction(torch.argmin)
ARG_REDUCTIONS = {
    "argmax": _ARGMAX,
    "argmin": _ARGMIN,
    "nanargmax": nanarg(_ARGMAX, -math.inf),
    "nanargmin": nanarg(_ARGMIN, math.inf),
}
