"""Indexing, gathering, sorting and searching on tensors with NumPy's meaning (negative
slice steps, ``take``, ``choose``, ``searchsorted``, stable sorts, ``bincount``)."""

from __future__ import annotations

from typing import Any

import torch

from autovec.torch_namespace.dtypes import same_dtype, unsupported


def getitem(x: Any, index: tuple) -> Any:
    """``x[index]`` for NumPy's basic and advanced indices, negative slice steps included
    (torch refuses those: each becomes a flip and a positive slice)."""
    if not any(type(i) is slice and i.step is not None and i.step < 0 for i in index):
        return x[index]
    parts = []
    flips = []
    axis = 0
    out_axis = 0
    for i in index:
        if i is None:
            parts.append(None)
            out_axis += 1
            continue
        if i is Ellipsis:
            raise unsupported("an Ellipsis with negative slice steps")
        if type(i) is slice:
            start, stop, step = i.indices(x.shape[axis])
            if step < 0:
                n = len(range(start, stop, step))
                # The elements start, start+step, ...: reversed, a positive slice.
                last = start + (n - 1) * step if n else 0
                parts.append(slice(last, last + (n - 1) * -step + 1 if n else 0, -step))
                flips.append(out_axis)
            else:
                parts.append(i)
            out_axis += 1
        elif isinstance(i, torch.Tensor) and i.ndim:
            parts.append(i)
            out_axis += 1  # approximate: advanced indices with reversed slices are rare
        else:
            parts.append(i)
        axis += 1
    out = x[tuple(parts)]
    return torch.flip(out, dims=flips) if flips else out


def take(x: Any, idx: Any, axis: int | None = None) -> Any:
    if axis is None:
        return x.reshape(-1)[idx]
    return x[(slice(None),) * (axis % x.ndim) + (idx,)]


def sort(x: Any, axis: int = -1, kind: Any = None) -> Any:
    return torch.sort(x, dim=axis, stable=True).values


def argsort(x: Any, axis: int = -1, kind: Any = None) -> Any:
    return torch.argsort(x, dim=axis, stable=True)


def choose(a: Any, choices: Any, mode: str = "raise") -> Any:
    n = len(choices)
    tensors = torch.broadcast_tensors(a, *same_dtype(*choices))
    idx, stacked = tensors[0], torch.stack(tensors[1:])
    if mode == "wrap":
        idx = idx % n
    elif mode == "clip":
        idx = idx.clamp(0, n - 1)
    elif bool(((idx < 0) | (idx >= n)).any()):
        raise ValueError("invalid entry in choice array")
    return torch.gather(stacked, 0, idx.unsqueeze(0).to(torch.int64))[0]


def searchsorted(a: Any, v: Any, side: str = "left") -> Any:
    a, v = same_dtype(a, v)
    return torch.searchsorted(a, v, side=side)


def bincount(x: Any, weights: Any = None, minlength: int = 0) -> Any:
    out = torch.bincount(x, weights=weights, minlength=minlength)
    return out if weights is None else out.to(torch.float64)
