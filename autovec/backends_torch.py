"""PyTorch tensors as a backend: the namespace ``xp`` the primitives' impls receive for them.

The primitives call NumPy's function names with NumPy's signatures (``xp.arctan2``,
``xp.sum(x, axis=(0, 2), keepdims=False)``, ``xp.astype(x, np.dtype("float32"))``) and
expect NumPy's result dtypes (NEP 50 promotion, float64 for integer inputs to ``sin``).
``TorchNamespace`` gives them exactly that on tensors: each elementwise function asks NumPy,
once per combination of input dtypes, which dtype NumPy would compute in and return
(``_Plan``), casts the inputs to it, calls the torch function, and casts the result only
where torch returns another dtype.  Functions torch lacks are built from torch operations
here; what cannot be raises ``BackendUnsupportedError`` naming the backend. Nothing is ever
copied to NumPy to compute.

One namespace per device: ``xp.device`` is where ``xp.asarray`` puts NumPy constants and
where ``zeros``/``arange``/... allocate. CuPy's namespace is array-api-compat's, unchanged
(``autovec.backends``): CuPy mirrors NumPy's names, signatures and dtypes.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
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
    return errors.BackendUnsupportedError(
        f"{name} is not supported on the {BACKEND} backend{': ' + why if why else ''}. "
        f"autovec does not copy tensors to NumPy behind your back: convert the inputs "
        f"yourself (x.cpu().numpy()) if running this part with NumPy is what you want."
    )


# ------------------------------------------------------------------------ dtype planning
_PY_SCALARS = (bool, int, float, complex)
_DUMMY_SCALAR = {bool: True, int: 1, float: 1.0, complex: 1.0 + 0j}


def _key_of(a: Any) -> Any:
    return a.dtype if isinstance(a, torch.Tensor) else type(a)


@functools.lru_cache(maxsize=8192)
def _numpy_result(np_name: str, key: tuple, params: tuple) -> tuple[np.dtype, ...]:
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


def _common(key: tuple) -> np.dtype:
    """NumPy's promotion of the inputs (Python scalars weak)."""
    parts = [_DUMMY_SCALAR[k] if k in _DUMMY_SCALAR else numpy_dtype_of(k) for k in key]
    return np.result_type(*parts)


class _Plan:
    """For one combination of input dtypes: the dtype to cast tensor inputs to (None: leave
    them), whether Python scalars become tensors, and the result dtypes NumPy gives."""

    __slots__ = ("cast", "outs", "scalars")

    def __init__(self, cast: torch.dtype | None, outs: tuple, scalars: bool):
        self.cast = cast
        self.outs = outs
        self.scalars = scalars


def _prepare(plan: _Plan, args: tuple) -> tuple:
    cast = plan.cast
    device = next((a.device for a in args if isinstance(a, torch.Tensor)), None)
    out = []
    for a in args:
        if isinstance(a, torch.Tensor):
            out.append(a if cast is None or a.dtype == cast else a.to(cast))
        elif plan.scalars and cast is not None:
            out.append(torch.tensor(a, dtype=cast, device=device))
        else:
            out.append(a)
    return tuple(out)


def _fix(out: Any, want: torch.dtype) -> Any:
    return out if out.dtype == want else out.to(want)


# Operations that compute in NumPy's common input dtype (the result's dtype, for a float
# result); comparisons and logical operations compute on the inputs as they are.
_NO_CAST = frozenset(
    {
        "equal",
        "not_equal",
        "less",
        "less_equal",
        "greater",
        "greater_equal",
        "logical_and",
        "logical_or",
        "logical_xor",
        "logical_not",
        "isnan",
        "isinf",
        "isfinite",
        "signbit",
        "real",
        "imag",
        "ldexp",
    }
)
# torch functions that take Python numbers as well as tensors (the others get 0-d tensors).
_SCALARS_OK = frozenset(
    {
        "add",
        "subtract",
        "multiply",
        "divide",
        "power",
        "equal",
        "not_equal",
        "less",
        "less_equal",
        "greater",
        "greater_equal",
        "floor_divide",
        "remainder",
        "fmod",
        "bitwise_and",
        "bitwise_or",
        "bitwise_xor",
        "left_shift",
        "right_shift",
        "where",
    }
)


def _plan_for(name: str, key: tuple, multiple: bool) -> _Plan:
    outs_np = _numpy_result(name, key, ())
    outs = tuple(torch_dtype(d) for d in outs_np)
    if name in _NO_CAST:
        cast = None
    elif outs_np[0].kind in "fc" and name not in ("frexp",):
        cast = outs[0]
    else:
        cast = torch_dtype(_common(key))
    scalars = name not in _SCALARS_OK
    return _Plan(cast, outs, scalars)


def _elementwise(name: str, torch_fn: Callable[..., Any], multiple: bool = False) -> Any:
    plans: dict[tuple, _Plan] = {}

    def fn(*args: Any) -> Any:
        key = tuple(map(_key_of, args))
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = _plan_for(name, key, multiple)
        out = torch_fn(*_prepare(plan, args))
        if multiple:
            return tuple(_fix(o, w) for o, w in zip(out, plan.outs))
        return _fix(out, plan.outs[0])

    fn.__name__ = name
    return fn


def _real(x: Any) -> Any:
    return torch.real(x) if x.is_complex() else x


def _imag(x: Any) -> Any:
    return torch.imag(x) if x.is_complex() else torch.zeros_like(x)


def _sign(x: Any) -> Any:
    return torch.sgn(x) if x.is_complex() else torch.sign(x)


def _cbrt(x: Any) -> Any:
    return torch.sign(x) * torch.abs(x).pow(1.0 / 3.0)


def _spacing(x: Any) -> Any:
    return torch.nextafter(x, torch.copysign(torch.full_like(x, math.inf), x)) - x


def _bitwise_count(x: Any) -> Any:
    """NumPy's population count of ``|x|``, one bit at a time (torch has none)."""
    a = torch.abs(x)
    bits = a.element_size() * 8
    count = torch.zeros_like(a, dtype=torch.uint8)
    for k in range(bits):
        count += ((a >> k) & 1).to(torch.uint8)
    return count


_TORCH_UNARY: dict[str, Callable[..., Any]] = {
    "negative": torch.negative,
    "positive": torch.positive,
    "absolute": torch.abs,
    "fabs": torch.abs,
    "sign": _sign,
    "exp": torch.exp,
    "exp2": torch.exp2,
    "expm1": torch.expm1,
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "arctan": torch.atan,
    "sinh": torch.sinh,
    "cosh": torch.cosh,
    "tanh": torch.tanh,
    "arcsinh": torch.asinh,
    "arcsin": torch.asin,
    "arccos": torch.acos,
    "arctanh": torch.atanh,
    "arccosh": torch.acosh,
    "floor": torch.floor,
    "ceil": torch.ceil,
    "trunc": torch.trunc,
    "rint": torch.round,
    "square": torch.square,
    "cbrt": _cbrt,
    "reciprocal": torch.reciprocal,
    "deg2rad": torch.deg2rad,
    "rad2deg": torch.rad2deg,
    "degrees": torch.rad2deg,
    "radians": torch.deg2rad,
    "isnan": torch.isnan,
    "isinf": torch.isinf,
    "isfinite": torch.isfinite,
    "signbit": torch.signbit,
    "spacing": _spacing,
    "conjugate": torch.conj_physical,
    "conj": torch.conj_physical,
    "logical_not": torch.logical_not,
    "real": _real,
    "imag": _imag,
    "log": torch.log,
    "log2": torch.log2,
    "log10": torch.log10,
    "log1p": torch.log1p,
    "sqrt": torch.sqrt,
    "invert": torch.bitwise_not,
    "bitwise_count": _bitwise_count,
    "i0": torch.special.i0,
}
_TORCH_BINARY: dict[str, Callable[..., Any]] = {
    "add": torch.add,
    "subtract": torch.subtract,
    "multiply": torch.multiply,
    "divide": torch.true_divide,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
    "fmax": torch.fmax,
    "fmin": torch.fmin,
    "arctan2": torch.atan2,
    "hypot": torch.hypot,
    "copysign": torch.copysign,
    "nextafter": torch.nextafter,
    "logaddexp": torch.logaddexp,
    "logaddexp2": torch.logaddexp2,
    "heaviside": torch.heaviside,
    "equal": torch.eq,
    "not_equal": torch.ne,
    "less": torch.lt,
    "less_equal": torch.le,
    "greater": torch.gt,
    "greater_equal": torch.ge,
    "logical_and": torch.logical_and,
    "logical_or": torch.logical_or,
    "logical_xor": torch.logical_xor,
    "floor_divide": torch.floor_divide,
    "remainder": torch.remainder,
    "fmod": torch.fmod,
    "power": torch.pow,
    "float_power": torch.float_power,
    # x * 2**e, exact (torch.ldexp resizes a broadcast output with a warning)
    "ldexp": lambda x, e: x * torch.pow(2.0, e.to(x.dtype)),
    "gcd": torch.gcd,
    "lcm": torch.lcm,
    "bitwise_and": torch.bitwise_and,
    "bitwise_or": torch.bitwise_or,
    "bitwise_xor": torch.bitwise_xor,
    "left_shift": torch.bitwise_left_shift,
    "right_shift": torch.bitwise_right_shift,
}
_TORCH_MULTI: dict[str, Callable[..., Any]] = {
    "divmod": lambda a, b: (torch.floor_divide(a, b), torch.remainder(a, b)),
    "modf": lambda x: (torch.frac(x), torch.trunc(x)),
    "frexp": torch.frexp,
}


def _where(cond: Any, x: Any, y: Any) -> Any:
    return torch.where(cond if cond.dtype == torch.bool else cond != 0, x, y)


def _clip(x: Any, lo: Any, hi: Any) -> Any:
    return torch.clamp(x, lo, hi)


# ------------------------------------------------------------------------------ reductions


def _axes(axis: Any, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    return tuple(axis) if isinstance(axis, tuple) else (axis,)


def _reduction(name: str, torch_fn: Callable[..., Any], cast_input: bool) -> Any:
    """NumPy's ``name(x, axis=, keepdims=, dtype=, ddof=)`` with NumPy's result dtype."""

    def fn(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None, **kw: Any) -> Any:
        params = tuple(sorted(kw.items())) + ((("dtype", np.dtype(dtype)),) if dtype else ())
        want = torch_dtype(_numpy_result(name, (x.dtype,), params)[0])
        axes = _axes(axis, x.ndim)
        if cast_input and x.dtype != want:
            x = x.to(want)
        if not axes:  # NumPy: a reduction over no axes gives the values (cast, as a copy)
            out = x.clone()
        else:
            out = torch_fn(x, axes, keepdims, **kw)
        return _fix(out, want)

    fn.__name__ = name
    return fn


def _prod(x: Any, axes: tuple, keepdims: bool) -> Any:
    for a in sorted(axes, reverse=True):  # torch.prod reduces one axis at a time
        x = torch.prod(x, dim=a, keepdim=keepdims)
    return x


_REDUCTIONS = {
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


def _argreduction(torch_fn: Callable[..., Any]) -> Any:
    def fn(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
        if axis is None:
            out = torch_fn(x.reshape(-1), dim=0)
            return out.reshape((1,) * x.ndim) if keepdims else out
        return torch_fn(x, dim=axis, keepdim=keepdims)

    return fn


# ------------------------------------------------------------------------- basic indexing


def _getitem(x: Any, index: tuple) -> Any:
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


# ------------------------------------------------------------------------------ namespace


class _Ufunc:
    """A NumPy ufunc's callable with the methods the primitives use (``accumulate``,
    ``at``), for the ufuncs torch has them for."""

    __slots__ = ("name", "fn", "accumulate_fn", "reduce")

    def __init__(self, name: str, fn: Callable, accumulate_fn: Callable | None, reduce: str):
        self.name, self.fn, self.accumulate_fn, self.reduce = name, fn, accumulate_fn, reduce

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)

    def accumulate(self, x: Any, axis: int = 0, dtype: Any = None) -> Any:
        if self.accumulate_fn is None:
            raise unsupported(f"{self.name}.accumulate")
        if dtype is not None:
            x = x.to(torch_dtype(dtype))
        elif self.name in ("add", "multiply") and x.dtype in (torch.bool, torch.int8):
            x = x.to(torch.int64)  # NumPy accumulates small integers in the default int
        out = self.accumulate_fn(x, axis)
        if self.name in ("add", "multiply"):
            want = _numpy_result(
                f"{self.name}.accumulate",
                (x.dtype,),
                (("dtype", np.dtype(dtype)),) if dtype is not None else (),
            )[0]
            return _fix(out, torch_dtype(want))
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


_ACCUMULATE = {
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
        self.linalg = _Linalg()
        self.fft = _FFT()

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
        if isinstance(x, np.ndarray) and not x.flags.writeable:
            x = x.copy()  # torch.as_tensor warns about read-only NumPy memory
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


def _astype(x: Any, dtype: Any, copy: bool = True) -> Any:
    return x.to(torch_dtype(dtype), copy=copy)


def _result_type(*xs: Any) -> np.dtype:
    parts = [
        numpy_dtype_of(x.dtype)
        if isinstance(x, torch.Tensor)
        else (numpy_dtype_of(x) if isinstance(x, torch.dtype) else x)
        for x in xs
    ]
    return np.result_type(*parts)


def _same_dtype(*xs: Any) -> tuple:
    """Tensors cast to NumPy's common dtype of all of them."""
    want = torch_dtype(_result_type(*xs))
    return tuple(x if x.dtype == want else x.to(want) for x in xs)


def _reshape(x: Any, shape: Any, order: str = "C") -> Any:
    if order == "C" or (order in "AK" and (x.is_contiguous() or x.ndim < 2)):
        return torch.reshape(x, tuple(shape))
    if order in "AK" and not x.mT.is_contiguous():
        return torch.reshape(x, tuple(shape))  # neither layout: NumPy's 'A' reads C order
    # Fortran order: reverse the axes, reshape in C order, reverse back.
    rev = x.permute(*range(x.ndim - 1, -1, -1))
    out = torch.reshape(rev, tuple(shape)[::-1])
    return out.permute(*range(out.ndim - 1, -1, -1))


def _ravel(x: Any, order: str = "C") -> Any:
    return _reshape(x, (-1,), order)


def _expand_dims(x: Any, axes: Any) -> Any:
    axes = (axes,) if isinstance(axes, int) else axes
    ndim = x.ndim + len(axes)
    for a in sorted(a % ndim for a in axes):
        x = torch.unsqueeze(x, a)
    return x


def _array(x: Any, copy: bool = True, order: str = "K") -> Any:
    if not isinstance(x, torch.Tensor):
        raise unsupported("array() of a non-tensor")
    if order == "F":
        rev = tuple(range(x.ndim - 1, -1, -1))
        return x.permute(rev).contiguous().permute(rev)
    return x.clone(memory_format=torch.contiguous_format)


def _take(x: Any, idx: Any, axis: int | None = None) -> Any:
    if axis is None:
        return x.reshape(-1)[idx]
    return x[(slice(None),) * (axis % x.ndim) + (idx,)]


def _sort(x: Any, axis: int = -1, kind: Any = None) -> Any:
    return torch.sort(x, dim=axis, stable=True).values


def _argsort(x: Any, axis: int = -1, kind: Any = None) -> Any:
    return torch.argsort(x, dim=axis, stable=True)


def _choose(a: Any, choices: Any, mode: str = "raise") -> Any:
    n = len(choices)
    tensors = torch.broadcast_tensors(a, *_same_dtype(*choices))
    idx, stacked = tensors[0], torch.stack(tensors[1:])
    if mode == "wrap":
        idx = idx % n
    elif mode == "clip":
        idx = idx.clamp(0, n - 1)
    elif bool(((idx < 0) | (idx >= n)).any()):
        raise ValueError("invalid entry in choice array")
    return torch.gather(stacked, 0, idx.unsqueeze(0).to(torch.int64))[0]


def _conv(a: Any, v: Any, mode: str, flip: bool) -> Any:
    want = torch_dtype(_result_type(a, v))
    if want.is_complex:
        raise unsupported("convolve/correlate of complex tensors")
    work = want if want.is_floating_point else torch.float64
    if a.shape[0] < v.shape[0]:  # NumPy swaps so that the longer one slides
        if not flip:  # correlate(a, v) = convolve(a, conj(v)[::-1]), whatever the lengths
            return _conv(a, torch.flip(v, dims=(0,)), mode, True)
        a, v = v, a
    kernel = torch.flip(v.to(work), dims=(0,)) if flip else v.to(work)
    n, m = a.shape[0], v.shape[0]
    pad = {"full": m - 1, "same": (m - 1) // 2, "valid": 0}[mode]
    right = {"full": m - 1, "same": m - 1 - (m - 1) // 2, "valid": 0}[mode]
    x = torch.nn.functional.pad(a.to(work)[None, None], (pad, right))
    out = torch.nn.functional.conv1d(x, kernel[None, None])[0, 0]
    if not want.is_floating_point:
        out = torch.round(out)
    del n
    return out.to(want)


def _einsum(subscripts: str, *ops: Any, optimize: Any = False) -> Any:
    return torch.einsum(subscripts, *_same_dtype(*ops))


def _matmul(a: Any, b: Any) -> Any:
    return torch.matmul(*_same_dtype(a, b))


def _vecdot(a: Any, b: Any) -> Any:
    return torch.linalg.vecdot(*_same_dtype(a, b), dim=-1)


def _concatenate(xs: Any, axis: int = 0) -> Any:
    return torch.cat(_same_dtype(*xs), dim=axis)


def _searchsorted(a: Any, v: Any, side: str = "left") -> Any:
    a, v = _same_dtype(a, v)
    return torch.searchsorted(a, v, side=side)


def _nanarg(name: str, fill: float) -> Any:
    def fn(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
        if x.is_floating_point():
            nan = torch.isnan(x)
            every = nan.all() if axis is None else nan.all(dim=axis)
            if bool(every.any()):
                raise ValueError("All-NaN slice encountered")
            x = torch.where(nan, torch.full_like(x, fill), x)
        return _FUNCTIONS[name](x, axis=axis, keepdims=keepdims)

    return fn


def _byte_strides(x: Any) -> tuple:
    return tuple(s * x.element_size() for s in x.stride())


def _bincount(x: Any, weights: Any = None, minlength: int = 0) -> Any:
    out = torch.bincount(x, weights=weights, minlength=minlength)
    return out if weights is None else out.to(torch.float64)


_FUNCTIONS: dict[str, Any] = {
    **{n: _Ufunc(n, _elementwise(n, f), None, "") for n, f in _TORCH_UNARY.items()},
    **{n: _elementwise(n, f, multiple=True) for n, f in _TORCH_MULTI.items()},
    "where": _elementwise("where", _where),
    "clip": _elementwise("clip", _clip),
    **_REDUCTIONS,
    "amax": _REDUCTIONS["max"],
    "amin": _REDUCTIONS["min"],
    "argmax": _argreduction(torch.argmax),
    "argmin": _argreduction(torch.argmin),
    "transpose": lambda x, axes=None: x.permute(*axes) if axes is not None else x.mT,
    "reshape": _reshape,
    "ravel": _ravel,
    "expand_dims": _expand_dims,
    "squeeze": lambda x, axis=None: torch.squeeze(x) if axis is None else torch.squeeze(x, axis),
    "broadcast_to": lambda x, shape: torch.broadcast_to(x, tuple(shape)),
    "concatenate": _concatenate,
    "stack": lambda xs, axis=0: torch.stack(_same_dtype(*xs), dim=axis),
    "flip": lambda x, axis=None: torch.flip(x, dims=_axes(axis, x.ndim)),
    "moveaxis": torch.movedim,
    "astype": _astype,
    "array": _array,
    "matmul": _matmul,
    "vecdot": _vecdot,
    "einsum": _einsum,
    "take": _take,
    "take_along_axis": lambda x, idx, axis: torch.take_along_dim(x, idx, dim=axis),
    "sort": _sort,
    "argsort": _argsort,
    "partition": lambda x, kth, axis=-1: _sort(x, axis),
    "argpartition": lambda x, kth, axis=-1: _argsort(x, axis),
    "searchsorted": _searchsorted,
    "result_type": _result_type,
    "bincount": _bincount,
    "choose": _choose,
    "convolve": lambda a, v, mode="full": _conv(a, v, mode, True),
    "correlate": lambda a, v, mode="valid": _conv(a, v, mode, False),
    "getitem": _getitem,
    "nanargmax": _nanarg("argmax", -math.inf),
    "nanargmin": _nanarg("argmin", math.inf),
    "byte_strides": _byte_strides,
    "unique": lambda x: torch.unique(x, sorted=True),
    "nonzero": lambda x: tuple(torch.nonzero(x, as_tuple=True)),
    "float64": np.float64,
    "complex64": np.complex64,
    "complex128": np.complex128,
}
for _name, _fn in _TORCH_BINARY.items():
    _acc, _red = _ACCUMULATE.get(_name, (None, ""))
    _FUNCTIONS[_name] = _Ufunc(_name, _elementwise(_name, _fn), _acc, _red)
_FUNCTIONS["true_divide"] = _FUNCTIONS["divide"]


# ------------------------------------------------------------------------- linalg and fft


class _Linalg:
    """NumPy's ``linalg`` signatures on ``torch.linalg``."""

    @staticmethod
    def _float(a: Any) -> Any:
        return a if a.is_floating_point() or a.is_complex() else a.to(torch.float64)

    def inv(self, a: Any) -> Any:
        return torch.linalg.inv(self._float(a))

    def det(self, a: Any) -> Any:
        return torch.linalg.det(self._float(a))

    def slogdet(self, a: Any) -> Any:
        return tuple(torch.linalg.slogdet(self._float(a)))

    def solve(self, a: Any, b: Any) -> Any:
        a, b = _same_dtype(self._float(a), b)
        return torch.linalg.solve(a, b)

    def cholesky(self, a: Any, upper: bool = False) -> Any:
        return torch.linalg.cholesky(self._float(a), upper=upper)

    def eigh(self, a: Any, UPLO: str = "L") -> Any:  # noqa: N803 (NumPy's name)
        return tuple(torch.linalg.eigh(self._float(a), UPLO=UPLO))

    def eigvalsh(self, a: Any, UPLO: str = "L") -> Any:  # noqa: N803
        return torch.linalg.eigvalsh(self._float(a), UPLO=UPLO)

    def eig(self, a: Any) -> Any:
        return tuple(torch.linalg.eig(self._float(a)))

    def eigvals(self, a: Any) -> Any:
        return torch.linalg.eigvals(self._float(a))

    def svd(
        self, a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
    ) -> Any:
        a = self._float(a)
        if not compute_uv:
            return torch.linalg.svdvals(a)
        return tuple(torch.linalg.svd(a, full_matrices=full_matrices))

    def qr(self, a: Any, mode: str = "reduced") -> Any:
        if mode not in ("reduced", "complete", "r"):
            raise unsupported(f"linalg.qr(mode={mode!r})")
        q, r = torch.linalg.qr(self._float(a), mode=mode)
        return r if mode == "r" else (q, r)

    def __getattr__(self, name: str) -> Any:
        raise unsupported(f"numpy.linalg.{name}")


class _FFT:
    """NumPy's ``fft`` signatures on ``torch.fft``."""

    def __getattr__(self, kind: str) -> Any:
        torch_fn = getattr(torch.fft, kind, None)
        if torch_fn is None:
            raise unsupported(f"numpy.fft.{kind}")

        def fn(x: Any, n: Any = None, axis: int = -1, norm: Any = None) -> Any:
            if not (x.is_floating_point() or x.is_complex()):
                x = x.to(torch.float64)
            if x.numel() == 0 and x.shape[axis]:  # MKL refuses empty batches: shape only
                ones = x.new_zeros(tuple(s or 1 for s in x.shape))
                out = torch_fn(ones, n=n, dim=axis, norm=norm).resolve_conj()
                return out[tuple(slice(0, 0) if s == 0 else slice(None) for s in x.shape)]
            return torch_fn(x, n=n, dim=axis, norm=norm).resolve_conj()  # no lazy conj bit

        setattr(self, kind, fn)
        return fn
