"""``TorchNamespace``: NumPy's functions, as the primitives call them, on tensors of one
device; the table of every function it offers, assembled from the modules beside this one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from autovec.torch_namespace.dtypes import (
    BACKEND,
    fix_dtype,
    numpy_result,
    result_type,
    same_dtype,
    torch_dtype,
    unsupported,
)
from autovec.torch_namespace.elementwise import (
    TORCH_BINARY,
    TORCH_MULTI,
    TORCH_UNARY,
    clip,
    elementwise,
    out_function,
    where,
)
from autovec.torch_namespace.indexing import (
    argsort,
    bincount,
    choose,
    getitem,
    searchsorted,
    sort,
    take,
)
from autovec.torch_namespace.linalg import FFT, Linalg, conv, einsum, matmul, vecdot
from autovec.torch_namespace.reductions import ARG_REDUCTIONS, REDUCTIONS, axes_of
from autovec.torch_namespace.shapes import (
    array,
    astype,
    byte_strides,
    concatenate,
    expand_dims,
    ravel,
    reshape,
)


class _UfuncMethods:
    """The methods of a NumPy ufunc the primitives use (``accumulate``, ``at``), for the
    ufuncs torch has them for."""

    __slots__ = ("name", "accumulate_fn", "reduce")

    def __init__(self, name: str, accumulate_fn: Callable | None, reduce: str):
        self.name, self.accumulate_fn, self.reduce = name, accumulate_fn, reduce

    def accumulate(self, x: Any, axis: int = 0, dtype: Any = None) -> Any:
        if self.accumulate_fn is None:
            raise unsupported(f"{self.name}.accumulate")
        if dtype is not None:
            x = x.to(torch_dtype(dtype))
        elif self.name in ("add", "multiply") and x.dtype in (torch.bool, torch.int8):
            x = x.to(torch.int64)  # NumPy accumulates small integers in the default int
        out = self.accumulate_fn(x, axis)
        if self.name in ("add", "multiply"):
            want = numpy_result(
                f"{self.name}.accumulate",
                (x.dtype,),
                (("dtype", np.dtype(dtype)),) if dtype is not None else (),
            )[0]
            return fix_dtype(out, torch_dtype(want))
        return out

    def at(self, flat: Any, pos: Any, *vals: Any) -> None:
        if not self.reduce:
            raise unsupported(f"{self.name}.at")
        v = vals[0]
        if not isinstance(v, torch.Tensor):
            v = torch.full(pos.shape, v, dtype=flat.dtype, device=flat.device)
        v = v.to(flat.dtype)
        if self.reduce == "sum":
            flat.index_put_((pos,), v, accumulate=True)
        else:
            flat.scatter_reduce_(0, pos % flat.shape[0], v, reduce=self.reduce)


def ufunc(name: str, fn: Callable, accumulate_fn: Callable | None, reduce: str) -> Callable:
    """``fn`` (the elementwise function) with the ufunc methods ``accumulate`` and ``at`` as
    attributes: calling it costs no extra frame."""
    methods = _UfuncMethods(name, accumulate_fn, reduce)
    fn.accumulate = methods.accumulate  # type: ignore[attr-defined]
    fn.at = methods.at  # type: ignore[attr-defined]
    return fn


ACCUMULATE = {
    "logical_and": (lambda x, a: torch.cummin(x.bool().to(torch.uint8), dim=a).values.bool(), ""),
    "logical_or": (lambda x, a: torch.cummax(x.bool().to(torch.uint8), dim=a).values.bool(), ""),
    "add": (lambda x, a: torch.cumsum(x, dim=a), "sum"),
    "multiply": (lambda x, a: torch.cumprod(x, dim=a), "prod"),
    "maximum": (lambda x, a: torch.cummax(x, dim=a).values, "amax"),
    "minimum": (lambda x, a: torch.cummin(x, dim=a).values, "amin"),
}


class TorchNamespace:
    """NumPy's functions, as the primitives call them, on tensors of one device."""

    backend_name = BACKEND  # for errors that name the backend

    def __init__(self, device: Any):
        self.device = device
        self.__name__ = "torch" if str(device) == "cpu" else f"torch[{device}]"
        self.linalg = Linalg()
        self.fft = FFT()

    def __repr__(self) -> str:
        return f"<autovec namespace {self.__name__}>"

    def __getattr__(self, name: str) -> Any:
        fn = _FUNCTIONS.get(name)
        if fn is None:
            if name.startswith("__"):
                raise AttributeError(name)
            raise unsupported(f"numpy.{name}")
        setattr(self, name, fn)  # found once; later look-ups are plain attribute reads
        return fn

    # Creation on this namespace's device.
    def asarray(self, x: Any, dtype: Any = None, copy: Any = None) -> Any:
        dt = None if dtype is None else torch_dtype(dtype)
        if isinstance(x, np.generic):
            x = np.asarray(x)
        if isinstance(x, np.ndarray) and x.dtype.kind not in "biufc":
            raise unsupported(f"a NumPy array of dtype {x.dtype}")
        if isinstance(x, np.ndarray) and (
            not x.flags.writeable or any(stride < 0 for stride in x.strides)
        ):
            x = x.copy()  # torch.as_tensor warns about read-only memory, refuses w[::-1]
        if isinstance(x, torch.Tensor):
            out = x if dt is None or x.dtype == dt else x.to(dt)
            return out.clone() if copy and out is x else out
        return torch.as_tensor(x, dtype=dt, device=self.device)

    def zeros(self, shape: Any, dtype: Any = float) -> Any:
        return torch.zeros(shape, dtype=torch_dtype(dtype), device=self.device)

    def empty(self, shape: Any, dtype: Any = float) -> Any:
        return torch.empty(shape, dtype=torch_dtype(dtype), device=self.device)

    def full(self, shape: Any, fill_value: Any, dtype: Any = None) -> Any:
        if dtype is None:
            dtype = np.asarray(fill_value).dtype
        return torch.full(shape, fill_value, dtype=torch_dtype(dtype), device=self.device)

    def arange(self, *args: Any, dtype: Any = None) -> Any:
        if dtype is None:
            dtype = np.arange(*args[:3]).dtype if len(args) else np.int64
        return torch.arange(*args, dtype=torch_dtype(dtype), device=self.device)


_FUNCTIONS: dict[str, Any] = {
    **{
        n: ufunc(n, elementwise(n, f, out_fn=out_function(n, f)), None, "")
        for n, f in TORCH_UNARY.items()
    },
    **{n: elementwise(n, f, multiple=True) for n, f in TORCH_MULTI.items()},
    "where": elementwise("where", where),
    "clip": elementwise("clip", clip),
    **REDUCTIONS,
    "amax": REDUCTIONS["max"],
    "amin": REDUCTIONS["min"],
    **ARG_REDUCTIONS,
    "transpose": lambda x, axes=None: x.permute(*axes) if axes is not None else x.mT,
    "reshape": reshape,
    "ravel": ravel,
    "expand_dims": expand_dims,
    "squeeze": lambda x, axis=None: torch.squeeze(x) if axis is None else torch.squeeze(x, axis),
    "broadcast_to": lambda x, shape: torch.broadcast_to(x, tuple(shape)),
    "concatenate": concatenate,
    "stack": lambda xs, axis=0: torch.stack(same_dtype(*xs), dim=axis),
    "flip": lambda x, axis=None: torch.flip(x, dims=axes_of(axis, x.ndim)),
    "moveaxis": torch.movedim,
    "astype": astype,
    "array": array,
    "matmul": matmul,
    "vecdot": vecdot,
    "einsum": einsum,
    "take": take,
    "take_along_axis": lambda x, idx, axis: torch.take_along_dim(x, idx, dim=axis),
    "sort": sort,
    "argsort": argsort,
    "partition": lambda x, kth, axis=-1: sort(x, axis),
    "argpartition": lambda x, kth, axis=-1: argsort(x, axis),
    "searchsorted": searchsorted,
    "result_type": result_type,
    "bincount": bincount,
    "choose": choose,
    "convolve": lambda a, v, mode="full": conv(a, v, mode, True),
    "correlate": lambda a, v, mode="valid": conv(a, v, mode, False),
    "getitem": getitem,
    "byte_strides": byte_strides,
    "unique": lambda x: torch.unique(x, sorted=True),
    "nonzero": lambda x: tuple(torch.nonzero(x, as_tuple=True)),
    "float64": np.float64,
    "complex64": np.complex64,
    "complex128": np.complex128,
}
for _name, _fn in TORCH_BINARY.items():
    _acc, _red = ACCUMULATE.get(_name, (None, ""))
    _FUNCTIONS[_name] = ufunc(
        _name, elementwise(_name, _fn, out_fn=out_function(_name, _fn)), _acc, _red
    )
_FUNCTIONS["true_divide"] = _FUNCTIONS["divide"]
