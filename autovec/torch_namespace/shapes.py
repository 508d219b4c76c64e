"""Shapes and layouts on tensors with NumPy's signatures: ``reshape`` (C and Fortran
order), ``ravel``, ``expand_dims``, ``array`` (copies), ``astype``, ``concatenate``,
byte strides."""

from __future__ import annotations

from typing import Any

import torch

from autovec.torch_namespace.dtypes import same_dtype, torch_dtype, unsupported


def astype(x: Any, dtype: Any, copy: bool = True) -> Any:
    return x.to(torch_dtype(dtype), copy=copy)


def reshape(x: Any, shape: Any, order: str = "C") -> Any:
    if order == "C" or (order in "AK" and (x.is_contiguous() or x.ndim < 2)):
        return torch.reshape(x, tuple(shape))
    if order in "AK" and not x.mT.is_contiguous():
        return torch.reshape(x, tuple(shape))  # neither layout: NumPy's 'A' reads C order
    # Fortran order: reverse the axes, reshape in C order, reverse back.
    rev = x.permute(*range(x.ndim - 1, -1, -1))
    out = torch.reshape(rev, tuple(shape)[::-1])
    return out.permute(*range(out.ndim - 1, -1, -1))


def ravel(x: Any, order: str = "C") -> Any:
    return reshape(x, (-1,), order)


def expand_dims(x: Any, axes: Any) -> Any:
    if type(axes) is int and axes >= 0:
        return torch.unsqueeze(x, axes)
    axes = (axes,) if isinstance(axes, int) else axes
    ndim = x.ndim + len(axes)
    for a in sorted(a % ndim for a in axes):
        x = torch.unsqueeze(x, a)
    return x


def array(x: Any, copy: bool = True, order: str = "K") -> Any:
    if not isinstance(x, torch.Tensor):
        raise unsupported("array() of a non-tensor")
    if order == "F":
        rev = tuple(range(x.ndim - 1, -1, -1))
        return x.permute(rev).contiguous().permute(rev)
    return x.clone(memory_format=torch.contiguous_format)


def concatenate(xs: Any, axis: int = 0) -> Any:
    return torch.cat(same_dtype(*xs), dim=axis)


def byte_strides(x: Any) -> tuple:
    return tuple(s * x.element_size() for s in x.stride())
