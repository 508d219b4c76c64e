"""Eager vmap on another library's arrays (PyTorch tensors): ``ForeignBatchTrace``.

The batch trace of a vmap whose inputs are another library's arrays. Its hot paths do what
``BatchTrace``'s do for NumPy batches: an elementwise primitive whose operands' batch axes
already line up (``x * y``, ``x + 1``, ``h + b`` with ``b`` unbatched, ``np.exp(x)``) calls
the primitive's ``impl`` on the batches directly, on their namespace; ``x[i]`` /
``x[i:j]`` on a batch whose batch axis is first indexes it directly; a product
(``dot_general``: ``x @ w``, ``np.dot``) folds the batch axes into its dimension numbers as
its rule does and calls the ``impl``. That is what the batching rules would compute,
without their binds and look-ups. Anything else, and any
error, takes ``BatchTrace``'s general path (which reports errors its way).
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from autovec.backends import adopt, namespace_of, numpy_dtype
from autovec.core import EVAL_TRACE, Primitive, _current_trace
from autovec.interpreters.batch_trace import (
    _ELIDE_MIN_SIZE,
    _OWN_REFS,
    BatchTrace,
    BatchTracer,
    SharedTracer,
    elide_into,
)
from autovec.interpreters.batch_views import _attach
from autovec.prims.base import FRESH
from autovec.prims.elementwise import PYTHON_SCALAR_CHECK
from autovec.prims.linalg import _free, _shift, dot_general_p
from autovec.prims.shape import concatenate_p, expand_dims_p, getitem_p, to_slice_index
from autovec.prims.signal import convolve_p

_PY_SCALARS = (int, float, complex, bool)
_ALL = slice(None)


def _broadcast_shape(vals: list) -> tuple:
    return tuple(np.broadcast_shapes(*(tuple(getattr(x, "shape", ())) for x in vals)))


def _sole_owner(v: Any) -> bool:
    """Whether the tensor ``v``, seen from ``ForeignBatchTrace._elide``, is a buffer of
    torch's own that nothing but its tracer reads: no other Python reference, no view or
    alias sharing its storage (views of it, ``detach()``), memory torch allocated (not
    ``torch.from_numpy``'s), no autograd history, big enough to be worth it."""
    torch = sys.modules.get("torch")
    if torch is None or type(v) is not torch.Tensor or v.requires_grad:
        return False
    if v.numel() < _ELIDE_MIN_SIZE or sys.getrefcount(v) > _OWN_REFS + 1:  # (+1: `v` here)
        return False
    use_count = getattr(torch._C, "_storage_Use_Count", None)
    if use_count is None:  # (a torch without it: no way to see aliases, no reuse)
        return False
    try:
        storage = v.untyped_storage()
        # 2: ``v`` and the ``storage`` object just made
        return storage.resizable() and use_count(storage._cdata) <= 2
    except Exception:  # noqa: BLE001  (a tensor without storage: functorch's, a meta one)
        return False


class ForeignBatchTrace(BatchTrace):
    """A ``BatchTrace`` over another library's arrays, with hot paths for them."""

    __slots__ = ()

    def process_primitive(self, prim: Primitive, args: tuple, params: dict) -> Any:
        if self.parent is not EVAL_TRACE:
            return BatchTrace.process_primitive(self, prim, args, params)
        if not params:
            target = elide_into.get()
            if target is not None:
                out = self._elide(prim, target, args)
                if out is not None:
                    return out
        try:
            if not params:
                out = _elementwise(self, prim, args)
            elif prim is getitem_p:
                out = _getitem(self, args[0], params)
            elif prim is dot_general_p:
                out = _dot_general(self, args, params["dimension_numbers"])
            elif prim is expand_dims_p:
                out = _expand_dims(self, args[0], params)
            elif prim is convolve_p:
                out = _convolve_rows(self, args, params["mode"])
            elif prim is concatenate_p:
                out = _stack_front(self, args, params["axis"])
            else:
                out = None
        except Exception:  # noqa: BLE001  (the general path reports it its way)
            out = None
        if out is not None:
            return out
        if not params:  # (BatchTrace's would offer the temporary to ``_elide`` again)
            return self._process(prim, args, params)
        return BatchTrace.process_primitive(self, prim, args, params)

    def stack_rows(self, parts: list) -> BatchTracer | None:
        """``np.array([y0, y1, ...])`` of values of this eager vmap (batch axes first, one
        shape): the batches stacked along a new leading axis, the batch axis second, as
        ``_stack_front`` joins the rows that ``expand_dims`` would make of them; None where
        another trace is current or a part is not such a batch (autovec/numpy/_convert.py
        then binds the primitives)."""
        if self.parent is not EVAL_TRACE or _current_trace.get() is not self:
            return None
        vals = []
        for p in parts:
            if type(p) is not BatchTracer or p._trace is not self or p.bdim != 0:
                return None
            vals.append(p.val)
        first = vals[0]
        if any(type(v) is not type(first) for v in vals):
            return None
        try:
            out = namespace_of(first).stack(vals, axis=0)
        except Exception:  # noqa: BLE001  (the primitives' path reports it its way)
            return None
        return BatchTracer(self, out, 1)

    def _elide(self, prim: Primitive, target: Any, args: tuple) -> BatchTracer | None:
        """``BatchTrace._elide`` for another library's batches: compute an elementwise
        primitive into the buffer of the dead temporary ``target`` (``(a - b) ** 2``, ``x @ w
        + b``) through its namespace function's ``into`` (autovec/torch_namespace/
        elementwise.py), when the buffer is the whole result and nothing else reads it;
        None to take the normal path."""
        if (
            prim.multiple_results
            or prim.facts.output != FRESH
            or PYTHON_SCALAR_CHECK.get() is not None  # it checks operands the write overwrites
            or type(target) is not BatchTracer
            or target._trace is not self
        ):
            return None
        v = target.val
        if not _sole_owner(v):
            return None
        into = getattr(getattr(namespace_of(v), prim.xp_function or "", None), "into", None)
        if into is None:
            return None
        d, rank = target.bdim, v.ndim - 1
        vals = []
        hit = False
        for a in args:
            t = type(a)
            if a is target:
                hit = True
                vals.append(v)
            elif t is BatchTracer and a._trace is self:
                x = a.val
                if a.bdim != d or x.ndim != v.ndim or type(x) is not type(v):
                    return None
                vals.append(x)
            elif t is SharedTracer and a._trace is self:
                x = a.val
                if type(x) is not type(v) or x.ndim > rank - d:
                    return None
                vals.append(x)
            elif t in _PY_SCALARS:
                vals.append(a)
            elif isinstance(a, (np.ndarray, np.generic)) and np.ndim(a) <= rank - d:
                vals.append(a)  # (converted below, as the normal path's ``adopt`` does)
            else:
                return None
        if not hit:
            return None
        try:
            if _broadcast_shape(vals) != v.shape:
                return None
            # (torch checks the operands before it writes: an error leaves the buffer as it
            # was, and the normal path runs and reports it)
            out = into(v, *adopt(namespace_of(v), tuple(vals)))
        except Exception:  # noqa: BLE001
            return None
        return None if out is None else BatchTracer(self, out, d)


def _elementwise(trace: ForeignBatchTrace, prim: Primitive, args: tuple) -> Any:
    if prim.xp_function is None or prim.multiple_results or prim.facts.output != FRESH:
        return None
    n = len(args)
    a = args[0]
    if n == 1:
        if type(a) is not BatchTracer or a._trace is not trace:
            return None
        va = a.val
        return BatchTracer(trace, prim.impl(namespace_of(va), va), a.bdim)
    if n != 2:
        return None
    b = args[1]
    if type(a) is BatchTracer and a._trace is trace:
        va, d = a.val, a.bdim
        vb = _other(trace, b, va, d)
        if vb is None:
            return None
    elif type(b) is BatchTracer and b._trace is trace:
        vb, d = b.val, b.bdim
        va = _other(trace, a, vb, d)
        if va is None:
            return None
        xp = namespace_of(vb)
        return BatchTracer(trace, prim.impl(xp, va, vb), d)
    else:
        return None
    return BatchTracer(trace, prim.impl(namespace_of(va), va, vb), d)


def _other(trace: ForeignBatchTrace, x: Any, batch: Any, d: int) -> Any:
    """The value of the operand ``x`` of an elementwise operation with ``batch`` (batched
    along ``d``) when the rule would leave both as they are, else None: a batch of the same
    rank and batch axis, a Python scalar, or an unbatched array of the same library that
    broadcasts against the axes after the batch axis."""
    t = type(x)
    if t is BatchTracer:
        if x._trace is not trace or x.bdim != d:
            return None
        v = x.val
        return v if v.ndim == batch.ndim and type(v) is type(batch) else None
    if t in _PY_SCALARS:
        return x
    if t is SharedTracer and x._trace is trace:
        v = x.val
        if type(v) is type(batch) and v.ndim <= batch.ndim - 1 - d:
            return v
    return None


def _getitem(trace: ForeignBatchTrace, x: Any, params: dict) -> Any:
    """``x[index]`` of a batch with its batch axis first: the batch indexed directly, with
    ``:`` for the batch axis (basic indices only: ints, slices, None, Ellipsis)."""
    if type(x) is not BatchTracer or x._trace is not trace or x.bdim != 0:
        return None
    v = x.val
    index = params["index"]
    i = index[0] if len(index) == 1 else None
    if type(i) is int:
        out = v[:, i]  # x[i] and x[i:j] of per-example loops: the library's own indexing
    elif type(i) is tuple and (i[2] is None or i[2] > 0):
        out = v[:, slice(*i)]
    else:
        out = namespace_of(v).getitem(v, (_ALL, *to_slice_index(index)))
    t = BatchTracer(trace, out, 0)
    _attach(t, x, getitem_p, params)
    return t


def _convolve_rows(trace: ForeignBatchTrace, args: tuple, mode: str) -> Any:
    """``np.convolve(x, w)`` of batched rows at least as long as an unbatched ``w``: the
    namespace's ``convolve`` of the whole stack of rows at once (torch: one ``conv1d``)."""
    x, w = args
    if (
        type(x) is not BatchTracer
        or x._trace is not trace
        or x.bdim
        or type(w) is not SharedTracer
        or w._trace is not trace
    ):
        return None
    rows, taps = x.val, w.val
    if rows.ndim != 2 or taps.ndim != 1 or rows.shape[1] < taps.shape[0] or not taps.shape[0]:
        return None
    if type(rows) is not type(taps):
        return None
    return BatchTracer(trace, namespace_of(rows).convolve(rows, taps, mode=mode), 0)


def _expand_dims(trace: ForeignBatchTrace, x: Any, params: dict) -> Any:
    """``x[None]``, ``np.expand_dims(x, axes)`` of a batch with its batch axis first: the
    axes inserted after it, directly."""
    if type(x) is not BatchTracer or x._trace is not trace or x.bdim != 0:
        return None
    v, axes = x.val, params["axes"]
    out = namespace_of(v).expand_dims(v, 1 if axes == (0,) else tuple(a + 1 for a in axes))
    t = BatchTracer(trace, out, 0)
    _attach(t, x, expand_dims_p, params)
    return t


def _dot_general(trace: ForeignBatchTrace, args: tuple, dimension_numbers: tuple) -> Any:
    """``dot_general`` with the batch axes folded in as ``_dot_general_batch`` folds them
    (autovec/prims/linalg.py), computed by its ``impl`` at once."""
    (lc, rc), (lb, rb) = dimension_numbers
    out = _dot_front(trace, args, lc, rc) if not lb else None
    if out is not None:
        return out
    vals, dims = [], []
    for x in args:
        t = type(x)
        if t is BatchTracer and x._trace is trace:
            vals.append(x.val)
            dims.append(x.bdim)
        elif t is SharedTracer and x._trace is trace:
            vals.append(x.val)
            dims.append(None)
        else:
            return None
    (lhs, rhs), (ld, rd) = vals, dims
    if type(lhs) is not type(rhs):
        return None
    xp = namespace_of(lhs)
    if ld is not None and rd is not None:
        if ld:
            lhs = xp.moveaxis(lhs, ld, 0)
        if rd:
            rhs = xp.moveaxis(rhs, rd, 0)
        dn = ((_shift(lc, 0), _shift(rc, 0)), ((0, *_shift(lb, 0)), (0, *_shift(rb, 0))))
        d = 0
    elif ld is not None:
        dn = ((_shift(lc, ld), rc), (_shift(lb, ld), rb))
        d = len(lb) + _free(lhs.ndim, dn[0][0], dn[1][0]).index(ld)
    elif rd is not None:
        dn = ((lc, _shift(rc, rd)), (lb, _shift(rb, rd)))
        lfree = lhs.ndim - len(lc) - len(lb)
        d = len(lb) + lfree + _free(rhs.ndim, dn[0][1], dn[1][1]).index(rd)
    else:
        return None
    return BatchTracer(trace, dot_general_p.impl(xp, lhs, rhs, dimension_numbers=dn), d)


def _dot_front(trace: ForeignBatchTrace, args: tuple, lc: tuple, rc: tuple) -> Any:
    """The two common products of per-example code, batch axes first, without batch
    dimensions: ``x @ w`` / ``np.dot(x, w)`` with an unbatched vector or matrix ``w`` (the
    batch is one more leading axis of the library's own matmul, which folds it into one
    call), and ``np.dot(x, y)`` of two batched vectors (one ``vecdot`` over the rows, which
    would conjugate ``x``: real dtypes only)."""
    x, y = args
    if type(x) is not BatchTracer or x._trace is not trace or x.bdim:
        return None
    lhs, ty = x.val, type(y)
    if ty is SharedTracer:
        rhs = y.val
        if (
            y._trace is trace
            and rc == (0,)
            and lc == (lhs.ndim - 2,)
            and rhs.ndim <= 2
            and type(lhs) is type(rhs)
            and lhs.dtype == rhs.dtype
        ):
            return BatchTracer(trace, lhs @ rhs, 0)
    elif ty is BatchTracer:
        rhs = y.val
        if (
            y._trace is trace
            and not y.bdim
            and lc == (0,)
            and rc == (0,)
            and lhs.ndim == 2
            and rhs.ndim == 2
            and type(lhs) is type(rhs)
            and lhs.dtype == rhs.dtype
            and _is_real(lhs.dtype)
        ):
            return BatchTracer(trace, namespace_of(lhs).vecdot(lhs, rhs), 0)
    return None


# A library's dtype -> whether it is a real (integer or floating) one, as NumPy kinds say.
_REAL: dict[Any, bool] = {}


def _is_real(dtype: Any) -> bool:
    real = _REAL.get(dtype)
    if real is None:
        real = _REAL[dtype] = numpy_dtype(dtype).kind in "iuf"
    return real


def _stack_front(trace: ForeignBatchTrace, args: tuple, axis: int) -> Any:
    """``concatenate`` along axis 0 of batches whose batch axis is first and whose axis 0
    has length 1 (``np.array([y0, y1, ...])`` of per-example values): joined along a new
    leading axis, the batch axis second. The rule's layout (batch first) would write each
    piece as a strided column of the result, several times slower."""
    if axis != 0:
        return None
    vals = []
    for x in args:
        if type(x) is not BatchTracer or x._trace is not trace or x.bdim != 0:
            return None
        v = x.val
        if v.ndim < 2 or v.shape[1] != 1:
            return None
        vals.append(v.squeeze(1))
    if type(vals[0]) is not type(vals[-1]):
        return None
    return BatchTracer(trace, namespace_of(vals[0]).stack(vals, axis=0), 1)
