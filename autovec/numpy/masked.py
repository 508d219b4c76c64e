"""``x[mask]`` for a batched boolean ``mask`` (autovec/numpy/indexing.py hands it here): a
count of values that differs per example, kept as the whole of ``x`` plus the mask, so that
elementwise arithmetic, ``x[mask] op= v`` and the masked ``sum``/``mean`` stay vectorised, and
any other use splits the batch by mask value (eager vmap) or raises (jit)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.interpreters.split import per_example
from autovec.numpy import indexing
from autovec.numpy._util import ndim, shape
from autovec.numpy.indexing import _COUNTS, _raise_casting_error, getitem
from autovec.numpy.manipulation import astype, reshape
from autovec.numpy.reductions import argmax
from autovec.numpy.reductions import sum as total
from autovec.numpy.ufuncs import UFUNCS, clip, divide, where
from autovec.prims.cumulative import accumulate_p
from autovec.prims.scatter import guard_p
from autovec.prims.shape import convert_element_type_p
from autovec.prims.sorting import searchsorted_p


class MaskedRead:
    """``x[mask]`` for a traced boolean ``mask``: one value per true entry, a count that
    differs per example, so no array can hold it.  What NumPy code does with it in place --
    ``x[mask] += v``, ``x[mask] = np.sqrt(x[mask])``, ``x[mask] *= -1`` -- still works: this
    stand-in keeps the whole of ``x``, takes part in elementwise arithmetic and ufuncs, and
    writes back through the same mask as ``where(mask, result, x)``.  Anything else (a
    reduction, a shape, a function call) raises ``DataDependentShapeError``.

    Where the mask is false, ``x``'s entries are replaced by one selected entry of the same
    example before computing, so an operation sees only values the selection holds (no
    warning NumPy would not give, e.g. ``np.log`` of masked-out zeros).
    """

    __slots__ = ("mask", "full", "shape_of_x")
    __array_priority__ = 2000  # beat tracers and ndarrays in mixed binary operators

    def __init__(self, mask: Any, full: Any, shape_of_x: tuple[int, ...]):
        self.mask = mask
        self.full = full
        self.shape_of_x = shape_of_x

    @classmethod
    def of(cls, x: Any, mask: Any) -> MaskedRead:
        xs, ms = shape(x), shape(mask)
        if ms != xs[: len(ms)]:
            raise IndexError(
                f"boolean index did not match indexed array: array shape {xs}, mask shape {ms}"
            )
        rows = xs[len(ms) :]
        count = int(np.prod(ms, dtype=np.int64))
        if count == 0:
            return cls(mask, x, xs)
        # One selected row of each example (its first; the first row when none is).
        first = getitem(reshape(x, (count, *rows)), argmax(reshape(mask, (count,))))
        m = reshape(mask, ms + (1,) * len(rows))
        return cls(mask, where(m, x, first), xs)

    def aligned_to(self, mask: Any, shape_of_x: tuple[int, ...]) -> Any:
        """The values in an array of shape ``shape_of_x`` where, at the k-th true entry of
        ``mask``, the k-th value read lies (NumPy's ``x[mask] = y[other_mask]``).  With the
        same mask that is ``full`` itself.  As in NumPy, the counts must agree (or one value
        is given for all places); otherwise NumPy's ValueError, when the values are known."""
        rows = self.shape_of_x[ndim(self.mask) :]
        if shape_of_x[ndim(mask) :] != rows:
            raise ValueError(
                f"shape mismatch: values read with rows of shape {rows} cannot be assigned to "
                f"rows of shape {shape_of_x[ndim(mask) :]}"
            )
        if mask is self.mask and shape_of_x == self.shape_of_x:
            return self.full
        n_to, n_from = (int(np.prod(shape(m), dtype=np.int64)) for m in (mask, self.mask))
        if n_from == 0:
            return np.zeros(shape_of_x, self.full.dtype)
        rank = _running_count(reshape(mask, (n_to,)))  # 1 + rank of each true entry among them
        seen = _running_count(reshape(self.mask, (n_from,)))
        # NumPy assigns as many values as there are places, or one value to all of them.
        given, wanted = total(self.mask), total(mask)
        rank = where(UFUNCS["equal"](given, 1), 1, rank)
        found = searchsorted_p.bind(seen, rank, side="left", batch_dims=0)
        source = clip(found, 0, n_from - 1)
        picked = getitem(reshape(self.full, (n_from, *rows)), source)
        ne = UFUNCS["not_equal"]
        failed = UFUNCS["logical_and"](ne(given, wanted), ne(given, 1))
        picked = guard_p.bind(picked, failed, given, wanted, error="ValueError", message=_COUNTS)
        return reshape(picked, shape_of_x)

    def _wrap(self, full: Any) -> MaskedRead:
        return MaskedRead(self.mask, full, self.shape_of_x)

    def _operand(self, other: Any) -> Any:
        if isinstance(other, MaskedRead):  # its k-th value meets this one's k-th value
            return other.aligned_to(self.mask, self.shape_of_x)
        rows = self.shape_of_x[ndim(self.mask) :]
        if ndim(other) > len(rows):
            raise self._error(
                f"combining it with an array of shape {shape(other)} (it would need one entry "
                f"per true element; a scalar or a row of shape {rows} broadcasts)"
            )
        return other

    def _error(self, what: str) -> errors.DataDependentShapeError:
        return errors.DataDependentShapeError(
            f"x[mask] with a mask {self.mask._trace.kind} ({self.mask.aval.str_short()}) "
            f"has one value per true entry, a count that differs per example, so {what} is "
            f"not possible. It can be combined elementwise and written back through the "
            f"mask (x[mask] += v, x[mask] = np.sqrt(x[mask])); otherwise use "
            f"autovec.numpy.where(mask, x, fill) to keep x's shape."
        )

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kw: Any) -> Any:
        f = UFUNCS.get(ufunc.__name__) if getattr(np, ufunc.__name__, None) is ufunc else None
        if method != "__call__" or kw or f is None:
            raise self._error(f"numpy.{ufunc.__name__}.{method} with {kw or 'it'}")
        outs = f(*(self._operand(i) for i in inputs))
        if isinstance(outs, tuple):
            return tuple(self._wrap(o) for o in outs)
        return self._wrap(outs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        name = getattr(func, "__name__", func)
        if func in (np.sum, np.mean) and len(args) == 1 and args[0] is self:
            return _masked_reduction(self, name, **kwargs)
        selected = self._selected(f"numpy.{name}")
        args = tuple(selected if a is self else a for a in args)
        return func(*args, **kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        return self._selected("turning it into an array").__array__(dtype)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # protocol probes (copy, pickle, ...) find nothing
            raise AttributeError(name)
        if name in ("sum", "mean"):
            return functools.partial(_masked_reduction, self, name)
        return getattr(self._selected(f".{name}"), name)

    def _selected(self, what: str) -> Any:
        """``x[mask]`` itself where the batch can split by mask value (eager vmap: lanes
        with equal masks continue together, as the loop would); else the error."""
        masks = per_example(self.mask)
        if masks is None:
            raise self._error(what)
        return getitem(self.full, masks[0])

    def __autovec_output__(self) -> Any:
        """Returned from a vmapped function: ``x[mask]`` itself (vmap's output protocol)."""
        return self._selected("returning it from the function")

    def __len__(self) -> int:
        return len(self._selected("len()"))

    def __iter__(self) -> Any:
        return iter(self._selected("iterating over it"))

    def __bool__(self) -> bool:
        return bool(self._selected("bool()"))

    def __getitem__(self, index: Any) -> Any:
        return self._selected("indexing it")[index]

    def __neg__(self) -> MaskedRead:
        return self._wrap(-self.full)

    def __pos__(self) -> MaskedRead:
        return self._wrap(+self.full)

    def __abs__(self) -> MaskedRead:
        return self._wrap(abs(self.full))

    def __invert__(self) -> MaskedRead:
        return self._wrap(~self.full)


def _masked_reduction(m: MaskedRead, name: str, **kwargs: Any) -> Any:
    """``x[mask].sum()`` / ``.mean()`` over all selected values, vectorised: the masked-out
    entries count as zero (and not at all in the mean's count).  Other arguments: per
    example (``_selected``)."""
    if kwargs:
        return getattr(m._selected(f".{name}"), name)(**kwargs)
    ms = shape(m.mask)
    rows = m.shape_of_x[len(ms) :]
    wide = reshape(m.mask, ms + (1,) * len(rows))
    dtype = m.full.dtype
    if name == "sum":
        return total(where(wide, m.full, 0), dtype=np.sum(np.zeros(1, dtype)).dtype)
    out_dtype = np.mean(np.zeros(1, dtype)).dtype
    acc = out_dtype if dtype.kind in "biu" else None
    s = total(where(wide, m.full, 0), dtype=acc)
    n = total(m.mask, dtype=np.intp) * int(np.prod(rows, dtype=np.int64))
    counts = getattr(n, "val", None)
    if isinstance(counts, np.ndarray) and not counts.all():
        import warnings

        warnings.warn("Mean of empty slice.", RuntimeWarning, stacklevel=3)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = divide(s, n)
    return astype(r, out_dtype) if r.dtype != out_dtype else r


def _running_count(mask: Any) -> Any:
    """``cumsum`` of a 1-d boolean mask (intp): 1 + the rank of each true entry."""
    return accumulate_p.bind(mask, ufunc="add", axis=0, dtype=np.dtype(np.intp))


def _masked_binop(name: str) -> tuple[Callable, Callable, Callable]:
    import operator as op_module

    f = getattr(op_module, name)

    def op(self: MaskedRead, other: Any) -> Any:
        return self._wrap(f(self.full, self._operand(other)))

    def rop(self: MaskedRead, other: Any) -> Any:
        return self._wrap(f(self._operand(other), self.full))

    def iop(self: MaskedRead, other: Any) -> Any:
        # x[mask] is an array in NumPy, so x[mask] += v follows the in-place rules: the
        # result keeps x's dtype (same_kind casting, else NumPy's own error).
        result = f(self.full, self._operand(other))
        dtype = self.full.dtype
        if result.dtype != dtype:
            if not np.can_cast(result.dtype, dtype, "same_kind"):
                _raise_casting_error(getattr(np, _NP_NAMES.get(name, ""), None), self.full, other)
            result = convert_element_type_p.bind(result, dtype=dtype)
        return self._wrap(result)

    return op, rop, iop


_NP_NAMES = {
    "add": "add",
    "sub": "subtract",
    "mul": "multiply",
    "truediv": "divide",
    "floordiv": "floor_divide",
    "mod": "remainder",
    "pow": "power",
    "and_": "bitwise_and",
    "or_": "bitwise_or",
    "xor": "bitwise_xor",
    "lshift": "left_shift",
    "rshift": "right_shift",
}
for _name in _NP_NAMES:
    _dunder = _name.rstrip("_")
    _op, _rop, _iop = _masked_binop(_name)
    setattr(MaskedRead, f"__{_dunder}__", _op)
    setattr(MaskedRead, f"__r{_dunder}__", _rop)
    setattr(MaskedRead, f"__i{_dunder}__", _iop)
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(MaskedRead, f"__{_name}__", _masked_binop(_name)[0])


indexing.MASKED_READ = MaskedRead

__all__: list[str] = []  # internal: reached through x[mask]
