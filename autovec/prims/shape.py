"""Shape primitives (views and copies that move data, never compute on it), and the
batch-axis helpers every batching rule uses.

Batching rules here put the batch axis in front: NumPy makes that a view (``moveaxis``),
and every later rule then finds it where it expects it.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from autovec.core import ShapedArray
from autovec.prims.base import FRESH, READ_ONLY_VIEW, VIEW, Arg, Sample, declare, ndim_of

# ------------------------------------------------------------------------------ helpers


def moveaxis(x: Any, src: int, dst: int) -> Any:
    """Move axis ``src`` of ``x`` to ``dst`` (both non-negative), binding ``transpose``."""
    if src == dst:
        return x
    perm = [i for i in range(ndim_of(x)) if i != src]
    perm.insert(dst, src)
    return transpose_p.bind(x, perm=tuple(perm))


def bdim_to_front(x: Any, bdim: int | None, axis_size: int) -> Any:
    """``x`` with its batch axis at 0; an unbatched ``x`` is broadcast (a view in NumPy)."""
    if bdim is None:
        return broadcast_batch(x, axis_size)
    return moveaxis(x, bdim, 0)


def broadcast_batch(x: Any, axis_size: int) -> Any:
    """An unbatched value given a leading batch axis of ``axis_size`` (a broadcast view)."""
    shape = tuple(getattr(x, "shape", ()))
    return broadcast_to_p.bind(x, shape=(axis_size, *shape))


def expand_to_rank(x: Any, rank: int) -> Any:
    """A front-batched ``x`` given size-1 axes after the batch axis until it has ``rank`` example
    axes, so that it broadcasts against unbatched operands of that rank."""
    missing = rank - (ndim_of(x) - 1)
    if missing <= 0:
        return x
    return expand_dims_p.bind(x, axes=tuple(range(1, 1 + missing)))


# ---------------------------------------------------------------------------- transpose


def _transpose_batch(axis_size, args, dims, *, perm):
    (x,), (d,) = args, dims
    return transpose_p.bind(x, perm=(d, *(p + (p >= d) for p in perm))), 0


transpose_p = declare(
    "transpose",
    impl=lambda xp, x, *, perm: xp.transpose(x, perm),
    shape=lambda x, *, perm: ShapedArray(tuple(x.shape[p] for p in perm), x.dtype),
    output=VIEW,
    noop=lambda x, *, perm: perm == tuple(range(len(perm))),
    batch=_transpose_batch,
    samples=[Sample((Arg((2, 3, 4)),), {"perm": (2, 0, 1)}), Sample((Arg((3,)),), {"perm": (0,)})],
    doc="Permute axes: output axis i is input axis perm[i].",
)

# ------------------------------------------------------------------------------ reshape


def _reshape_batch(axis_size, args, dims, *, new_sizes):
    (x,), (d,) = args, dims
    return reshape_p.bind(moveaxis(x, d, 0), new_sizes=(axis_size, *new_sizes)), 0


reshape_p = declare(
    "reshape",
    impl=lambda xp, x, *, new_sizes: xp.reshape(x, new_sizes),
    shape=lambda x, *, new_sizes: ShapedArray(new_sizes, x.dtype),
    output=VIEW,  # a copy where the input's strides cannot express the new shape
    noop=lambda x, *, new_sizes: tuple(new_sizes) == x.shape,
    batch=_reshape_batch,
    samples=[
        Sample((Arg((2, 6)),), {"new_sizes": (3, 4)}),
        Sample((Arg((4,)),), {"new_sizes": (2, 1, 2)}),
    ],
    doc="Row-major reshape to ``new_sizes`` (no -1: the numpy layer resolves it).",
)

# ----------------------------------------------------- reshape in the input's memory order


def _contiguous(shape: tuple, strides: tuple, itemsize: int, fortran: bool) -> bool:
    """NumPy's C (or Fortran) contiguity of an array of this shape and strides."""
    if 0 in shape:
        return True
    expected = itemsize
    axes = range(len(shape)) if fortran else reversed(range(len(shape)))
    for ax in axes:
        if shape[ax] != 1:
            if strides[ax] != expected:
                return False
            expected *= shape[ax]
    return True


def _in_example_order(xp, x, new_sizes, order, batch_dims):
    """``x`` reshaped to its leading ``batch_dims`` axes + ``new_sizes``, each example (the
    other axes) read in NumPy's ``order`` ("C", "A" or "K") for its own strides, which are
    read now, at run time: those of each example's array in a batch of views."""
    lead = tuple(range(batch_dims))
    # Byte strides (torch counts elements: its namespace converts).
    strides = (x.strides if xp is np else xp.byte_strides(x))[batch_dims:]
    shape = x.shape[batch_dims:]
    out_shape = x.shape[:batch_dims] + tuple(new_sizes)
    c = _contiguous(shape, strides, x.itemsize, fortran=False)
    f = _contiguous(shape, strides, x.itemsize, fortran=True)
    nd = len(shape)
    if order == "C" or c or (order == "A" and not f):
        return xp.reshape(x, out_shape)
    if f:  # Fortran order: reverse the example's axes, reshape, reverse back
        rev = tuple(range(batch_dims + nd - 1, batch_dims - 1, -1))
        y = xp.reshape(xp.transpose(x, lead + rev), x.shape[:batch_dims] + tuple(new_sizes)[::-1])
        back = tuple(range(batch_dims + len(new_sizes) - 1, batch_dims - 1, -1))
        return xp.transpose(y, lead + back)
    # "K" of a strided example: its axes by decreasing stride length (NumPy keeps each
    # axis's direction; ties keep C order).
    perm = sorted(range(nd), key=lambda a: -abs(strides[a]))
    return xp.reshape(xp.transpose(x, lead + tuple(batch_dims + a for a in perm)), out_shape)


def _front_batch(prim):
    """The batching rule of a primitive whose impl takes ``batch_dims`` leading batch axes:
    the new batch axis joins them (a view: each example keeps its strides)."""

    def batch(axis_size, args, dims, *, batch_dims, **params):
        (x,), (d,) = args, dims
        return prim().bind(moveaxis(x, d, 0), batch_dims=batch_dims + 1, **params), 0

    return batch


def _reshape_by_layout_impl(xp, x, *, new_sizes, batch_dims):
    x = xp.asarray(x)
    if batch_dims == 0:
        return xp.reshape(x, new_sizes, order="A")
    return _in_example_order(xp, x, new_sizes, "A", batch_dims)


reshape_by_layout_p = declare(
    "reshape_by_layout",
    impl=_reshape_by_layout_impl,
    shape=lambda x, *, new_sizes, batch_dims: ShapedArray(
        tuple(x.shape[:batch_dims]) + tuple(new_sizes), x.dtype
    ),
    output=VIEW,
    noop=lambda x, *, new_sizes, batch_dims: tuple(new_sizes) == x.shape[batch_dims:],
    batch=_front_batch(lambda: reshape_by_layout_p),
    samples=[
        Sample((Arg((2, 6)),), {"new_sizes": (3, 4), "batch_dims": 0}),
        Sample((Arg((2, 6)),), {"new_sizes": (3, 2), "batch_dims": 1}),
    ],
    doc=(
        "NumPy's ``reshape(x, new_sizes, order='A')`` of each example (the axes after the "
        "first ``batch_dims``): Fortran order for a Fortran-contiguous example, C order "
        "otherwise, decided at run time from its strides, so jit and vmap follow the layout "
        "each array actually has."
    ),
)


def _ravel_impl(xp, x, *, order, batch_dims):
    x = xp.asarray(x)
    if batch_dims == 0:  # NumPy's own: a view only where x is contiguous in that order
        return xp.ravel(x, order=order)
    size = int(np.prod(x.shape[batch_dims:], dtype=np.int64))
    return _in_example_order(xp, x, (size,), order, batch_dims)


ravel_p = declare(
    "ravel",
    impl=_ravel_impl,
    shape=lambda x, *, order, batch_dims: ShapedArray(
        (*x.shape[:batch_dims], int(np.prod(x.shape[batch_dims:], dtype=np.int64))), x.dtype
    ),
    output=VIEW,  # a view where x is contiguous in that order, else a copy: never a no-op
    batch=_front_batch(lambda: ravel_p),
    samples=[
        Sample((Arg((3, 2, 2)),), {"order": "K", "batch_dims": 0}),
        Sample((Arg((2, 3)),), {"order": "A", "batch_dims": 0}),
        Sample((Arg((4,)),), {"order": "C", "batch_dims": 0}),
        Sample((Arg((2, 3, 2)),), {"order": "K", "batch_dims": 1}),
    ],
    doc=(
        "NumPy's ``ravel(x, order)`` of each example (the axes after the first "
        "``batch_dims``), ``order`` one of 'C', 'A', 'K': the last two read the example's "
        "layout at run time, so jit and vmap follow the layout each array actually has."
    ),
)

# ------------------------------------------------------------------- expand_dims / squeeze


def _expand_dims_shape(x, *, axes):
    shape = list(x.shape)
    for a in axes:
        shape.insert(a, 1)
    return ShapedArray(tuple(shape), x.dtype)


expand_dims_p = declare(
    "expand_dims",
    impl=lambda xp, x, *, axes: xp.expand_dims(x, axes),
    shape=_expand_dims_shape,
    output=VIEW,
    noop=lambda x, *, axes: not axes,
    batch=lambda n, args, dims, *, axes: (
        expand_dims_p.bind(moveaxis(args[0], dims[0], 0), axes=tuple(a + 1 for a in axes)),
        0,
    ),
    samples=[Sample((Arg((2, 3)),), {"axes": (0, 2)}), Sample((Arg(()),), {"axes": (0,)})],
    doc="Insert size-1 axes; ``axes`` are sorted positions in the output.",
)

squeeze_p = declare(
    "squeeze",
    impl=lambda xp, x, *, axes: xp.squeeze(x, axis=axes),
    shape=lambda x, *, axes: ShapedArray(
        tuple(s for i, s in enumerate(x.shape) if i not in axes), x.dtype
    ),
    output=VIEW,
    noop=lambda x, *, axes: not axes,
    batch=lambda n, args, dims, *, axes: (
        squeeze_p.bind(moveaxis(args[0], dims[0], 0), axes=tuple(a + 1 for a in axes)),
        0,
    ),
    samples=[Sample((Arg((1, 3, 1)),), {"axes": (0, 2)})],
    doc="Remove size-1 axes ``axes``.",
)

# ---------------------------------------------------------------------------- broadcast


def _broadcast_to_batch(axis_size, args, dims, *, shape):
    (x,), (d,) = args, dims
    x = expand_to_rank(moveaxis(x, d, 0), len(shape))
    return broadcast_to_p.bind(x, shape=(axis_size, *shape)), 0


broadcast_to_p = declare(
    "broadcast_to",
    impl=lambda xp, x, *, shape: xp.broadcast_to(x, shape),
    shape=lambda x, *, shape: ShapedArray(shape, x.dtype, x.weak_type),
    output=READ_ONLY_VIEW,
    noop=lambda x, *, shape: tuple(shape) == x.shape,
    batch=_broadcast_to_batch,
    samples=[Sample((Arg((3,)),), {"shape": (2, 3)}), Sample((Arg((2, 1)),), {"shape": (4, 2, 5)})],
    doc="NumPy's broadcast_to (right-aligned); a read-only view in NumPy.",
)

# -------------------------------------------------------------------------- concatenate


def _concatenate_shape(*xs, axis):
    shape = list(xs[0].shape)
    shape[axis] = sum(x.shape[axis] for x in xs)
    dtype = np.result_type(*(x.dtype for x in xs))
    return ShapedArray(tuple(shape), dtype)


def _concatenate_batch(axis_size, args, dims, *, axis):
    moved = [bdim_to_front(x, d, axis_size) for x, d in zip(args, dims)]
    return concatenate_p.bind(*moved, axis=axis + 1), 0


concatenate_p = declare(
    "concatenate",
    impl=lambda xp, *xs, axis: xp.concatenate(xs, axis=axis),
    shape=_concatenate_shape,
    output=FRESH,
    batch=_concatenate_batch,
    samples=[
        Sample((Arg((2, 3)), Arg((1, 3))), {"axis": 0}),
        Sample((Arg((2,)), Arg((3,)), Arg((1,))), {"axis": 0}),
    ],
    doc="Join arrays along an existing axis.",
)

# --------------------------------------------------------------------------------- flip

flip_p = declare(
    "flip",
    impl=lambda xp, x, *, axes: xp.flip(x, axis=axes),
    shape=lambda x, *, axes: ShapedArray(x.shape, x.dtype),
    output=VIEW,
    noop=lambda x, *, axes: all(x.shape[a] <= 1 for a in axes),
    batch=lambda n, args, dims, *, axes: (
        flip_p.bind(args[0], axes=tuple(a + (a >= dims[0]) for a in axes)),
        dims[0],
    ),
    samples=[Sample((Arg((2, 3)),), {"axes": (1,)}), Sample((Arg((2, 3)),), {"axes": (0, 1)})],
    doc="Reverse the order of elements along ``axes`` (a view in NumPy).",
)

# ------------------------------------------------------------------- convert_element_type


def _astype_shape(x, *, dtype):
    return ShapedArray(x.shape, dtype)


convert_element_type_p = declare(
    "convert_element_type",
    impl=lambda xp, x, *, dtype: xp.astype(xp.asarray(x), dtype),
    shape=_astype_shape,
    output=FRESH,  # NumPy's astype copies, even to the same dtype
    copies=True,
    noop=lambda x, *, dtype: x.dtype == dtype,
    batch=lambda n, args, dims, *, dtype: (
        convert_element_type_p.bind(args[0], dtype=dtype),
        dims[0],
    ),
    samples=[
        Sample((Arg((2, 3)),), {"dtype": np.dtype("int32")}),
        Sample((Arg((3,), "int64", -5, 5),), {"dtype": np.dtype("float32")}),
    ],
    doc="Cast to ``dtype`` with NumPy's unsafe casting (what ``ndarray.astype`` does).",
)

# -------------------------------------------------------------------- static (basic) index
# An index item is an int, None (new axis) or a (start, stop, step) tuple for a slice:
# Python < 3.12 slices are not hashable, and params must be.


@functools.lru_cache(maxsize=1024)
def to_slice_index(index: tuple) -> tuple:
    return tuple(slice(*i) if type(i) is tuple else i for i in index)


def _getitem_shape(x, *, index):
    dummy = np.broadcast_to(np.empty((), x.dtype), x.shape)  # free: zero strides
    return ShapedArray(dummy[to_slice_index(index)].shape, x.dtype)


_FULL = (None, None, None)


def _getitem_batch(axis_size, args, dims, *, index):
    (x,), (d,) = args, dims
    return getitem_p.bind(moveaxis(x, d, 0), index=(_FULL, *index)), 0


getitem_p = declare(
    "getitem",
    # Other namespaces index with ``xp.getitem`` (torch: no negative slice steps).
    impl=lambda xp, x, *, index: (
        x[to_slice_index(index)] if xp is np else xp.getitem(x, to_slice_index(index))
    ),
    shape=_getitem_shape,
    output=VIEW,  # or a NumPy scalar, when every axis is indexed by an int
    noop=lambda x, *, index: all(i == _FULL for i in index),
    batch=_getitem_batch,
    samples=[
        Sample((Arg((4, 5)),), {"index": ((1, 3, None), 2)}),
        Sample((Arg((4, 5)),), {"index": (None, (None, None, -1), (0, 5, 2))}),
        Sample((Arg((3,)),), {"index": (1,)}),
    ],
    doc="Basic indexing: ints, slices and new axes (Ellipsis expanded away). A view.",
)

# ----------------------------------------------------------------- advanced (array) index
# ``spec`` is the index with each integer-array entry replaced by the marker "A"; the arrays
# themselves are the operands after ``x``, in order.

ARRAY = "A"


def _rebuild(spec: tuple, arrays: tuple) -> tuple:
    it = iter(arrays)
    return tuple(next(it) if s == ARRAY else (slice(*s) if type(s) is tuple else s) for s in spec)


def _array_block(spec: tuple) -> tuple[bool, int]:
    """(are the array entries adjacent, index of the first one)."""
    pos = [i for i, s in enumerate(spec) if s == ARRAY]
    return pos == list(range(pos[0], pos[0] + len(pos))), pos[0]


def _index_shape(x, *idx, spec):
    bshape = np.broadcast_shapes(*(i.shape for i in idx))
    adjacent, first = _array_block(spec)
    dims: list[int] = []
    axis = 0
    for k, s in enumerate(spec):
        if s is None:
            dims.append(1)
        elif s == ARRAY:
            if adjacent and k == first:
                dims.extend(bshape)
            axis += 1
        else:
            dims.append(len(range(*slice(*s).indices(x.shape[axis]))))
            axis += 1
    dims.extend(x.shape[axis:])  # axes the index does not name
    if not adjacent:
        dims = [*bshape, *dims]
    return ShapedArray(tuple(dims), x.dtype)


def _iota_index(axis_size: int, rank: int) -> np.ndarray:
    return np.arange(axis_size).reshape((axis_size,) + (1,) * rank)


def _index_batch(axis_size, args, dims, *, spec):
    x, idx = args[0], args[1:]
    xd, idx_dims = dims[0], dims[1:]
    idx_rank = max(ndim_of(i) - (d is not None) for i, d in zip(idx, idx_dims))
    adjacent, first = _array_block(spec)
    if all(d is None for d in idx_dims):
        # Only the array is batched: a full slice for the batch axis keeps it in place, unless
        # the array entries are split, in which case NumPy puts their block first.
        out = index_p.bind(moveaxis(x, xd, 0), *idx, spec=(_FULL, *spec))
        return out, 0 if adjacent else idx_rank
    # Batched indices: give each a leading batch axis at full index rank, so they broadcast.
    idx = tuple(
        i if d is None else expand_to_rank(moveaxis(i, d, 0), idx_rank)
        for i, d in zip(idx, idx_dims)
    )
    if xd is None:
        # The indices carry the batch axis into the broadcast index shape: no copy of x.
        out = index_p.bind(x, *idx, spec=spec)
        if not adjacent:
            return out, 0
        return out, first  # the axes of the entries before the block come first
    # Both batched: pick each example's own row with an arange index on the batch axis.
    iota = _iota_index(axis_size, idx_rank)
    out = index_p.bind(moveaxis(x, xd, 0), iota, *idx, spec=(ARRAY, *spec))
    if not adjacent or first == 0:
        return out, 0
    # NumPy put the (batch + index) block first, but each example wants it after the
    # `first` leading slices: move those axes back in front of the block.
    pre = first  # each entry before the block (a slice or a new axis) gives one axis
    block = 1 + idx_rank
    perm = (0, *range(block, block + pre), *range(1, block), *range(block + pre, ndim_of(out)))
    return transpose_p.bind(out, perm=perm), 0


def _index_impl(xp, x, *idx, spec):
    index = _rebuild(spec, idx)
    out = x[index] if xp is np else xp.getitem(x, index)
    # An index whose array entries are all scalars (a literal np.int64(2) in a program, where
    # optimisation folded a 0-d constant) is basic indexing to NumPy: a view, where this
    # primitive promises a fresh array (jit's buffer reuse writes into it in place).  Arrays,
    # 0-d ones too, index as advanced indexing, which copies.
    if getattr(out, "ndim", 0) and all(
        getattr(i, "ndim", 0) == 0 and not isinstance(i, np.ndarray) for i in idx
    ):
        out = out.copy() if xp is np else xp.asarray(out, copy=True)
    return out


index_p = declare(
    "index",
    impl=_index_impl,
    shape=_index_shape,
    output=FRESH,  # advanced indexing copies (and the impl copies a 0-d index's view)
    batch=_index_batch,
    samples=[
        Sample((Arg((5, 3)), Arg((4,), "int64", -5, 5)), {"spec": (ARRAY,)}),
        Sample((Arg((3, 5)), Arg((2, 2), "int64", 0, 5)), {"spec": ((None, None, None), ARRAY)}),
        Sample(
            (Arg((3, 4, 5)), Arg((2,), "int64", 0, 3), Arg((2,), "int64", 0, 5)),
            {"spec": (ARRAY, (None, None, None), ARRAY)},
        ),
        Sample(
            (Arg((3, 4, 5)), Arg((2,), "int64", 0, 4), Arg((1,), "int64", 0, 5)),
            {"spec": ((None, None, None), ARRAY, ARRAY)},
        ),
        # Scalar entries only (a constant index folded into a literal): NumPy indexes with
        # them as with ints, which gives a view of x.
        Sample((Arg((3, 5)), np.int64(2)), {"spec": ((None, None, None), ARRAY)}),
        Sample(
            (Arg((3, 4, 5)), np.int64(1), np.int64(-1)),
            {"spec": (ARRAY, (None, None, None), ARRAY)},
        ),
        Sample(
            (Arg((3, 4, 5)), Arg((), "int64", 0, 3), Arg((), "int64", 0, 5)),
            {"spec": (ARRAY, (None, None, None), ARRAY)},
        ),
    ],
    doc="Integer-array indexing (NumPy's advanced indexing, ints and slices mixed in).",
)
