"""Functional updates: ``scatter`` (what ``x[idx] = v`` and ``np.add.at`` compute, returning
a new array) and ``copy`` (a fresh value, so that an in-place update of one name never
reaches another).

``scatter`` takes its index as *flat positions*: an integer array ``pos`` of the indexed
shape, holding for each indexed element its position in ``x`` read in C order.  The numpy
layer turns any NumPy index (ints, slices, new axes, integer arrays, batched or not) into
``pos`` by indexing an ``arange`` of ``x``'s size with it, so every index form reaches the
same small primitive, and batching it is one offset per example.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autovec.core import ShapedArray
from autovec.prims.base import FRESH, VIEW, Arg, Sample, declare, ndim_of
from autovec.prims.elementwise import BINARY
from autovec.prims.shape import bdim_to_front, expand_to_rank, moveaxis

# ------------------------------------------------------------------------------ scatter


# Set (only for the duration of one bind) by eager vmap to a C-contiguous buffer that it owns
# and whose tracer takes the result (``x[i] = v``): the scatter then writes into it instead of
# copying the whole batch.  See ``BatchTrace.process_primitive``.
WRITE_IN_PLACE: Any = None


def _scatter_impl(xp: Any, x: Any, pos: Any, *v: Any, ufunc: str | None) -> Any:
    if x is WRITE_IN_PLACE:  # eager vmap's own buffer (BatchTrace._scatter_into)
        return _scatter_into(xp, x, pos, *v, ufunc=ufunc)
    perm = _memory_order(x)
    if perm is None:
        # A C-ordered copy, so that its flat reshape is a view we can write through.
        return _scatter_into(xp, xp.array(x, copy=True, order="C"), pos, *v, ufunc=ufunc)
    # x keeps its layout, as NumPy's x[idx] = v does (a Fortran array stays Fortran): the
    # copy is C-ordered in x's memory order of axes, and the flat positions follow.
    buf = np.array(np.transpose(x, perm), copy=True, order="C")
    at = np.unravel_index(np.asarray(pos), x.shape)
    pos = np.ravel_multi_index(tuple(at[a] for a in perm), buf.shape)
    return np.transpose(_scatter_into(xp, buf, pos, *v, ufunc=ufunc), tuple(np.argsort(perm)))


def _memory_order(x: Any) -> tuple | None:
    """x's axes from outermost to innermost in memory where that is not C order (broadcast
    axes, of stride 0, outermost); None for C order or anything but a NumPy array."""
    if not isinstance(x, np.ndarray) or x.ndim < 2 or x.size == 0 or x.flags.c_contiguous:
        return None
    st = x.strides
    perm = tuple(sorted(range(x.ndim), key=lambda a: (st[a] != 0, -abs(st[a]))))
    return None if perm == tuple(range(x.ndim)) else perm


def _scatter_in_place(xp: Any, x: Any, pos: Any, *v: Any, ufunc: str | None) -> Any:
    """The update written into ``x`` itself, which jit hands over only when nothing reads it
    afterwards (a copy still, where x cannot be written through a flat view)."""
    flags = getattr(x, "flags", None)
    if flags is None or not (flags.c_contiguous and flags.writeable):
        return _scatter_impl(xp, x, pos, *v, ufunc=ufunc)
    return _scatter_into(xp, x, pos, *v, ufunc=ufunc)


def _scatter_into(xp: Any, out: Any, pos: Any, *v: Any, ufunc: str | None) -> Any:
    flat = xp.reshape(out, (-1,))
    pos = xp.asarray(pos)
    # One flat, C-ordered index: with repeated positions NumPy's 1-d assignment keeps the last
    # write in this order, which is the order NumPy itself visits x[idx] = v in.
    p = xp.reshape(pos, (-1,))
    # Python scalars stay as they are, so that NumPy's weak-scalar promotion (NEP 50) applies
    # in ``ufunc.at`` exactly as in the user's own call.
    vals = [
        b
        if type(b) in (bool, int, float, complex)
        else xp.reshape(xp.broadcast_to(b, pos.shape), (-1,))
        for b in v
    ]
    if ufunc is None:
        v = vals[0]
        if xp is not np and getattr(v, "dtype", flat.dtype) != flat.dtype:
            v = xp.astype(v, flat.dtype)  # NumPy's assignment casts; torch's refuses
        flat[p] = v
    else:
        getattr(xp, ufunc).at(flat, p, *vals)
    return out


def _scatter_shape(x: ShapedArray, pos: ShapedArray, *v: ShapedArray, ufunc: str | None):
    for b in v:
        if np.broadcast_shapes(b.shape, pos.shape) != pos.shape:
            raise ValueError(
                f"shape mismatch: value array of shape {b.shape} could not be broadcast to "
                f"indexing result of shape {pos.shape}"
            )
    return ShapedArray(x.shape, x.dtype)


def _scatter_batch(axis_size: int, args: tuple, dims: tuple, *, ufunc: str | None):
    x, pos, *v = args
    xd, pd, *vd = dims
    # Every example's array becomes one row of a (batch, size) block; its positions are
    # shifted by its row offset, so one scatter over the block updates each example's own row.
    x = bdim_to_front(x, xd, axis_size)
    size = int(np.prod(x.shape[1:], dtype=np.int64))
    rank = ndim_of(pos) - (pd is not None)
    if pd is not None:
        pos = moveaxis(pos, pd, 0)
    offsets = (np.arange(axis_size, dtype=np.intp) * size).reshape((axis_size,) + (1,) * rank)
    pos = BINARY["add"].bind(pos, offsets)  # (batch, *S), whether pos was batched or not
    vals = [b if d is None else expand_to_rank(moveaxis(b, d, 0), rank) for b, d in zip(v, vd)]
    return scatter_p.bind(x, pos, *vals, ufunc=ufunc), 0


scatter_p = declare(
    "scatter",
    impl=_scatter_impl,
    shape=_scatter_shape,
    output=FRESH,
    in_place=_scatter_in_place,
    batch=_scatter_batch,
    samples=[
        Sample((Arg((4, 3)), Arg((5,), "int64", 0, 12), Arg((5,))), {"ufunc": None}),
        Sample((Arg((6,)), Arg((2, 3), "int64", 0, 6), Arg((3,))), {"ufunc": None}),
        Sample((Arg((6,), "int64", -9, 9), Arg((4,), "int64", 0, 6), Arg(())), {"ufunc": None}),
        Sample((Arg((3, 3)), Arg((2, 2), "int64", 0, 9), Arg((2, 1))), {"ufunc": "add"}),
        Sample(
            (Arg((5,), "int32", -9, 9), Arg((7,), "int64", 0, 5), Arg((7,), "int32", -9, 9)),
            {"ufunc": "maximum"},
        ),
        Sample((Arg((5,)), Arg((3,), "int64", 0, 5)), {"ufunc": "negative"}),
        Sample((Arg((2, 2)), Arg((), "int64", 0, 4), Arg(())), {"ufunc": "multiply"}),
    ],
    doc=(
        "A copy of ``x`` with ``x.flat[pos] = v`` (``ufunc=None``; repeated positions keep the "
        "last write in C order of ``pos``) or ``ufunc.at(x.flat, pos, v)`` (accumulating, as "
        "``np.add.at``; a unary ufunc takes no ``v``).  ``v`` broadcasts to ``pos``'s shape."
    ),
)

# --------------------------------------------------------------------------------- copy


def _example_axes_order(strides: tuple, order: str, contiguous: Any) -> tuple:
    """The example's axes from outermost to innermost in memory in NumPy's copy of it in
    ``order`` ('C', 'F', 'A' or 'K'), from the example's own strides."""
    nd = len(strides)
    if order == "A":
        order = "F" if contiguous(True) and not contiguous(False) else "C"
    if order == "C":
        return tuple(range(nd))
    if order == "F":
        return tuple(range(nd))[::-1]
    # "K": by decreasing stride length, ties in C order (NumPy's sorted stride permutation).
    return tuple(sorted(range(nd), key=lambda a: -abs(strides[a])))


def per_example_layout(xp: Any, x: Any, order: str, batch_dims: int, make: Any) -> Any:
    """``make(y)`` of ``x`` transposed so that its leading ``batch_dims`` axes come first and
    each example's axes follow in the memory order NumPy's ``order`` copy of the example
    would have, then transposed back: with ``make`` a C-ordered allocation, every example
    gets the layout the loop's own copy of it has, and the batch axes are outermost."""
    from autovec.prims.shape import _contiguous

    shape, strides = x.shape[batch_dims:], x.strides[batch_dims:]
    axes = _example_axes_order(
        strides, order, lambda f: _contiguous(shape, strides, x.itemsize, fortran=f)
    )
    lead = tuple(range(batch_dims))
    perm = lead + tuple(batch_dims + a for a in axes)
    y = make(xp.transpose(x, perm))
    return xp.transpose(y, tuple(np.argsort(perm)))


def _copy_impl(xp: Any, x: Any, *, order: str = "K", batch_dims: int = 0) -> Any:
    if batch_dims == 0 or not isinstance(x, np.ndarray):
        return xp.array(x, copy=True, order=order)
    return per_example_layout(xp, x, order, batch_dims, lambda y: xp.array(y, copy=True, order="C"))


def _copy_batch(
    axis_size: int, args: tuple, dims: tuple, *, order: str = "K", batch_dims: int = 0
) -> tuple:
    # A copy of the whole batch, as the loop copies each example: what vmap returns never
    # shares memory with its inputs (jit drops the copies nobody could tell from a view).
    # Each example is laid out as the loop's copy of it would be (its layout read from its
    # strides when the copy runs), the batch axes outermost.
    (x,), (d,) = args, dims
    return copy_p.bind(moveaxis(x, d, 0), order=order, batch_dims=batch_dims + 1), 0


copy_p = declare(
    "copy",
    impl=_copy_impl,
    shape=lambda x, *, order="K", batch_dims=0: ShapedArray(x.shape, x.dtype),
    output=FRESH,
    copies=True,
    # Only a copy that keeps the layout may go: a C or Fortran copy, or one that lays each
    # example of a batch out on its own (as the loop's copy of it is), decides what later
    # layout-dependent operations (ravel(order="K"), reshape(order="A")) read.
    noop=lambda x, *, order="K", batch_dims=0: order == "K" and batch_dims == 0,
    batch=_copy_batch,
    samples=[
        Sample((Arg((2, 3)),)),
        Sample((Arg((), "int64", 0, 5),)),
        Sample((Arg((2, 3)),), {"order": "C"}),
        Sample((Arg((3, 2)),), {"order": "F"}),
        Sample((Arg((3, 2)),), {"order": "A"}),
        Sample((Arg((2, 3, 2)),), {"order": "K", "batch_dims": 1}),
        Sample((Arg((2, 3, 2)),), {"order": "F", "batch_dims": 1}),
    ],
    doc="A new array with ``x``'s values (NumPy's ``copy``), laid out in ``order`` "
    "(``'K'``: as ``x``; ``'A'``; ``'C'`` or ``'F'``); with ``batch_dims``, each example "
    "(the axes after the first ``batch_dims``) laid out as NumPy's copy of it, the batch "
    "axes outermost.",
)

# ---------------------------------------------------------------------------- full_like


def _full_like_impl(
    xp: Any,
    x: Any,
    *,
    fill: Any,
    dtype: Any,
    order: str,
    shape: Any,
    batch_dims: int,
    batched: int = 0,
) -> Any:
    ex_shape = tuple(x.shape[batch_dims:]) if shape is None else shape
    lead = tuple(x.shape[:batched])
    if not isinstance(x, np.ndarray):
        return xp.full(lead + ex_shape, fill, dtype=dtype)
    # One example's own strides (every example of a batch has the same): NumPy lays the new
    # array out from them as it does for the loop's example.
    ex = np.lib.stride_tricks.as_strided(x, x.shape[batch_dims:], x.strides[batch_dims:])
    one = np.full_like(ex, fill, dtype=dtype, order=order, shape=shape)
    if not batched:
        return one
    # Every example its own array laid out as ``one``, the batch axes outermost.
    return per_example_layout(
        np, np.broadcast_to(one, lead + one.shape), "K", batched, lambda y: y.copy()
    )


def _full_like_batch(axis_size: int, args: tuple, dims: tuple, *, batch_dims: int, **params):
    (x,), (d,) = args, dims
    x = moveaxis(x, d, 0)
    batched = params.pop("batched", 0)
    params["batch_dims"] = batch_dims + 1
    if batched:  # one array per example already: one more leading batch axis
        return full_like_p.bind(x, batched=batched + 1, **params), 0
    if isinstance(x, np.ndarray):  # eager vmap: one example's array, unbatched
        return _full_like_impl(np, x, **params), None
    # Staged: one array per example, so that later writes of batched values into it work.
    return full_like_p.bind(x, batched=1, **params), 0


def _full_like_shape(x, *, fill, dtype, order, shape, batch_dims, batched=0):
    lead = tuple(x.shape[:batched])
    ex_shape = tuple(x.shape[batch_dims:]) if shape is None else shape
    return ShapedArray(lead + ex_shape, np.dtype(dtype))


full_like_p = declare(
    "full_like",
    impl=_full_like_impl,
    shape=_full_like_shape,
    output=FRESH,
    batch=_full_like_batch,
    samples=[
        Sample(
            (Arg((2, 3)),),
            dict(fill=0, dtype=np.dtype("float64"), order="K", shape=None, batch_dims=0),
        ),
        Sample(
            (Arg((3, 2)),),
            dict(fill=1.5, dtype=np.dtype("float32"), order="A", shape=None, batch_dims=0),
        ),
        Sample(
            (Arg((2, 3, 2)),),
            dict(fill=2, dtype=np.dtype("int64"), order="K", shape=(3, 2), batch_dims=1),
        ),
        Sample(
            (Arg((2, 3, 2)),),
            dict(fill=2, dtype=np.dtype("int64"), order="A", shape=None, batch_dims=2, batched=1),
        ),
    ],
    doc="NumPy's ``full_like(x, fill, dtype, order, shape)`` of one example of ``x`` (the "
    "axes after the first ``batch_dims``): only ``x``'s shape and strides are read, when "
    "the program runs, so the result has the loop's layout (order 'K', 'A', 'F').  "
    "``batched``: one such array for each index of the first ``batched`` axes (the batch "
    "axes vmap added), those outermost.",
)

# ----------------------------------------------------------------------------- set_part


def _set_part_impl(xp: Any, z: Any, v: Any, *, part: str) -> Any:
    out = xp.array(z, copy=True)
    setattr(out, part, v)  # exact: the other part keeps its bits (no complex arithmetic)
    return out


def _set_part_batch(axis_size: int, args: tuple, dims: tuple, *, part: str):
    z, v = (bdim_to_front(a, d, axis_size) for a, d in zip(args, dims))
    return set_part_p.bind(z, v, part=part), 0


set_part_p = declare(
    "set_part",
    impl=_set_part_impl,
    shape=lambda z, v, *, part: ShapedArray(z.shape, z.dtype),
    output=FRESH,
    batch=_set_part_batch,
    samples=[
        Sample((Arg((2, 3), "complex128"), Arg((2, 3))), {"part": "real"}),
        Sample((Arg((4,), "complex64"), Arg((4,), "float32")), {"part": "imag"}),
    ],
    doc=(
        "A copy of the complex ``z`` whose real or imaginary ``part`` is ``v`` (what writing "
        "through ``z.real`` or ``z.imag`` does to ``z``)."
    ),
)

# ------------------------------------------------------------------------ fits_integer


def _fits_integer_impl(xp: Any, v: Any, *, dtype: np.dtype) -> Any:
    a = np.asarray(v)
    info = np.iinfo(dtype)
    if a.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            whole = np.trunc(a)
            bad = ~np.isfinite(a) | (whole < info.min) | (whole > info.max)
    else:
        whole = a
        bad = (a < info.min) | (a > info.max)
    if bad.any():
        first = whole.reshape(-1)[np.argmax(bad.reshape(-1))]  # the loop's first failure
        if np.isnan(first):
            raise ValueError("cannot convert float NaN to integer")
        if np.isinf(first):
            raise OverflowError("cannot convert float infinity to integer")
        raise OverflowError(f"Python integer {int(first)} out of bounds for {dtype}")
    return v


def _fits_integer_batch(axis_size: int, args: tuple, dims: tuple, *, dtype: np.dtype):
    # The batch axis first, so that the first failure found is the first example's.
    return fits_integer_p.bind(moveaxis(args[0], dims[0], 0), dtype=dtype), 0


fits_integer_p = declare(
    "fits_integer",
    impl=_fits_integer_impl,
    shape=lambda v, *, dtype: ShapedArray(v.shape, v.dtype),
    output=VIEW,  # v itself (never dropped: the check is the point)
    batch=_fits_integer_batch,
    samples=[
        Sample((Arg((3,), "int64", -100, 100),), {"dtype": np.dtype("int8")}),
        Sample((Arg((), "float64", -100, 100),), {"dtype": np.dtype("int16")}),
    ],
    doc=(
        "``v`` itself, once each of its values is known to fit an element of the signed "
        "integer ``dtype`` the way NumPy checks a scalar written into one (truncating floats; "
        "NumPy's OverflowError or ValueError otherwise)."
    ),
)

# ------------------------------------------------------------------------------ guard

_ERRORS = {"ValueError": ValueError, "IndexError": IndexError, "OverflowError": OverflowError}


def _guard_impl(xp: Any, x: Any, failed: Any, *details: Any, error: str, message: str) -> Any:
    failed = np.asarray(failed)
    if failed.any():
        first = int(np.argmax(failed.reshape(-1)))  # in the loop's order: the first example's
        shown = [np.broadcast_to(np.asarray(d), failed.shape).reshape(-1)[first] for d in details]
        raise _ERRORS[error](message.format(*shown))
    return x


def _guard_batch(axis_size: int, args: tuple, dims: tuple, *, error: str, message: str):
    (x, *checked), (xd, *checked_dims) = args, dims
    front = [bdim_to_front(a, d, axis_size) for a, d in zip(checked, checked_dims)]
    rank = max(ndim_of(a) for a in front) - 1
    front = [expand_to_rank(a, rank) for a in front]
    return guard_p.bind(x, *front, error=error, message=message), xd


guard_p = declare(
    "guard",
    impl=_guard_impl,
    shape=lambda x, failed, *details, error, message: ShapedArray(x.shape, x.dtype, x.weak_type),
    output=VIEW,  # x itself (never dropped: the check is the point)
    batch=_guard_batch,
    samples=[
        Sample(
            (Arg((3,)), np.zeros(2, bool), Arg((2,), "int64", 0, 9)),
            {"error": "ValueError", "message": "bad {0}"},
        ),
    ],
    doc=(
        "``x`` itself, once no element of ``failed`` is true; otherwise the ``error`` named "
        "(ValueError, IndexError, OverflowError) with ``message`` formatted with the "
        "``details`` at the first failure: a check on values, kept in the program."
    ),
)
