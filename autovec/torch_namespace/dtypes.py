"""dtypes on the PyTorch backend: NumPy's dtypes for torch's and back, and NumPy's result
dtypes (NEP 50 promotion) asked of NumPy once per combination of input dtypes."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np
import torch

from autovec import errors

BACKEND = "PyTorch"

_NP_TO_TORCH: dict[np.dtype, torch.dtype] = {
    np.dtype(k): v
    for k, v in {
        "bool": torch.bool,
        "int8": torch.int8,
        "int16": torch.int16,
        "int32": torch.int32,
        "int64": torch.int64,
        "uint8": torch.uint8,
        "uint16": torch.uint16,
        "uint32": torch.uint32,
        "uint64": torch.uint64,
        "float16": torch.float16,
        "float32": torch.float32,
        "float64": torch.float64,
        "complex64": torch.complex64,
        "complex128": torch.complex128,
    }.items()
}
_TORCH_TO_NP: dict[torch.dtype, np.dtype] = {v: k for k, v in _NP_TO_TORCH.items()}


def numpy_dtype_of(dtype: Any) -> np.dtype:
    """NumPy's dtype for a ``torch.dtype``; ``BackendUnsupportedError`` for one NumPy lacks
    (bfloat16, the float8 and quantized types)."""
    try:
        return _TORCH_TO_NP[dtype]
    except (KeyError, TypeError):
        raise errors.BackendUnsupportedError(
            f"{BACKEND} dtype {dtype} has no NumPy equivalent; autovec computes with NumPy's "
            f"dtypes and promotion rules. Convert the tensor first (e.g. x.float())."
        ) from None


def torch_dtype(dtype: Any) -> torch.dtype:
    """The ``torch.dtype`` for a NumPy dtype (or anything ``np.dtype`` takes, or a torch
    dtype)."""
    if isinstance(dtype, torch.dtype):
        return dtype
    try:
        return _NP_TO_TORCH[np.dtype(dtype)]
    except KeyError:
        raise errors.BackendUnsupportedError(
            f"dtype {np.dtype(dtype)} has no {BACKEND} equivalent."
        ) from None


def unsupported(name: str, why: str = "") -> errors.BackendUnsupportedError:
    """The error for what the PyTorch backend cannot compute (nothing runs on NumPy)."""
    return errors.BackendUnsupportedError(
        f"{name} is not supported on the {BACKEND} backend{': ' + why if why else ''}. "
        f"autovec does not copy tensors to NumPy behind your back: convert the inputs "
        f"yourself (x.cpu().numpy()) if running this part with NumPy is what you want."
    )


_DUMMY_SCALAR = {bool: True, int: 1, float: 1.0, complex: 1.0 + 0j}


@functools.lru_cache(maxsize=8192)
def numpy_result(np_name: str, key: tuple, params: tuple) -> tuple[np.dtype, ...]:
    """NumPy's result dtypes for ``np.<np_name>`` on inputs of these dtypes / scalar types."""
    fn = np
    for part in np_name.split("."):
        fn = getattr(fn, part)
    dummies = [
        _DUMMY_SCALAR[k] if k in _DUMMY_SCALAR else np.ones(1, numpy_dtype_of(k)) for k in key
    ]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = fn(*dummies, **dict(params))
    outs = out if isinstance(out, tuple) else (out,)
    return tuple(np.asarray(o).dtype for o in outs)


def common_dtype(key: tuple) -> np.dtype:
    """NumPy's promotion of the inputs (Python scalars weak)."""
    parts = [_DUMMY_SCALAR[k] if k in _DUMMY_SCALAR else numpy_dtype_of(k) for k in key]
    return np.result_type(*parts)


def fix_dtype(out: Any, want: torch.dtype) -> Any:
    """``out`` cast to ``want`` where torch gave another dtype."""
    return out if out.dtype == want else out.to(want)


def result_type(*xs: Any) -> np.dtype:
    """NumPy's ``result_type`` of tensors, torch dtypes and NumPy dtypes or scalars."""
    parts = [
        numpy_dtype_of(x.dtype)
        if isinstance(x, torch.Tensor)
        else (numpy_dtype_of(x) if isinstance(x, torch.dtype) else x)
        for x in xs
    ]
    return np.result_type(*parts)


def same_dtype(*xs: Any) -> tuple:
    """Tensors cast to NumPy's common dtype of all of them."""
    first = xs[0].dtype
    if all(x.dtype == first for x in xs):  # the common case: nothing to cast
        return xs
    want = torch_dtype(result_type(*xs))
    return tuple(x if x.dtype == want else x.to(want) for x in xs)
