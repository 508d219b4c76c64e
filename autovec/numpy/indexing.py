"""Indexing on traced values: ``x[index]`` and the in-place forms NumPy users write.

Reading: basic indexing becomes ``getitem`` (a view), integer-array indexing becomes
``index``.  A concrete boolean mask is its integer positions.  A traced (batched) mask selects a
count that differs per example, so ``x[mask]`` is a ``MaskedRead``: it can only be combined
elementwise and written back (``x[mask] += v``, ``x[mask] = np.sqrt(x[mask])``).

Writing: a traced value has no memory to write into, so ``x[index] = v``, ``x[index] += v``,
``x += v``, ``x.sort()`` and ``np.add.at(x, ...)`` compute the updated value and the tracer
*takes it* (``Tracer._become``): every later use of the name ``x`` (and of any other name
bound to the same object) sees the update, as in NumPy.  Under vmap, views share writes as
NumPy's do (a write through ``row = x[0]`` reaches ``x``, and a write into ``x`` reaches
``row``; see ``interpreters/batching.py``), and a write goes into the batch's own buffer when
nothing else refers to it.  Copies (``x.copy()``) never see it, as in NumPy.

``x[mask] = v`` with a batched boolean ``mask`` is ``where(mask, v, x)``: its shape does not
depend on the count, so it batches (``v`` must then broadcast against one selected row, or be
values read through a mask).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import Tracer, get_aval
from autovec.interpreters import batching
from autovec.numpy._convert import arr
from autovec.numpy._util import PY_SCALARS, holds_tracer, is_traced, ndim, shape
from autovec.numpy.ufuncs import UFUNCS
from autovec.prims.base import dummy_of
from autovec.prims.elementwise import where_p
from autovec.prims.scatter import copy_p, fits_integer_p, scatter_p
from autovec.prims.shape import ARRAY, convert_element_type_p, getitem_p, index_p, reshape_p

_FULL = (None, None, None)

# ``x[mask]`` with a traced mask: autovec/numpy/masked.py installs its ``MaskedRead`` here (it
# builds on ``getitem``, so it sits above this module and cannot be imported from it).
MASKED_READ: Any = None


def _slice_item(s: slice) -> tuple:
    return tuple(None if v is None else operator.index(v) for v in (s.start, s.stop, s.step))


def _check_bounds(items: list, arrays: list, x_shape: tuple) -> None:
    """NumPy's IndexError for a concrete integer (or integer array) out of range, naming the
    example's axis: left to the batched computation, the message would count the batch axis."""
    axis = 0
    it_arrays = iter(arrays)
    for it in items:
        if it is None:
            continue
        if it == ARRAY:
            a = next(it_arrays)
            if not isinstance(a, Tracer) and a.size:
                bad = a[(a >= x_shape[axis]) | (a < -x_shape[axis])]
                if bad.size:
                    raise IndexError(
                        f"index {bad.flat[0]} is out of bounds for axis {axis} with size "
                        f"{x_shape[axis]}"
                    )
        elif isinstance(it, int) and not -x_shape[axis] <= it < x_shape[axis]:
            raise IndexError(
                f"index {it} is out of bounds for axis {axis} with size {x_shape[axis]}"
            )
        axis += 1


def _is_bool_scalar(it: Any) -> bool:
    return isinstance(it, (bool, np.bool_)) or (
        isinstance(it, np.ndarray) and it.dtype == bool and it.ndim == 0
    )


def _getitem_bool_scalars(x: Any, index: tuple) -> Any:
    """``x[..., True, ...]``: a 0-d boolean is an advanced index of shape ``(1,)`` (``False``:
    ``(0,)``).  With integers (advanced too, alongside it) and no arrays, the result is the
    index without the booleans, plus one axis of length 1 (0 when any boolean is False), placed
    as NumPy places advanced dimensions: where the advanced entries sit when they are
    adjacent, else first."""
    if any(
        isinstance(it, (Tracer, list)) or (isinstance(it, np.ndarray) and not _is_bool_scalar(it))
        for it in index
    ):
        raise errors.UnsupportedOperationError(
            "a boolean scalar index beside array indices (x[True, i]) is not supported on a "
            "traced value. Leave the True out (x[i] gives the same values: it broadcasts "
            "against the arrays and adds no axis); with False the result is empty."
        )

    def advanced(it: Any) -> bool:
        return _is_bool_scalar(it) or isinstance(it, (int, np.integer))

    positions = [k for k, it in enumerate(index) if advanced(it)]
    adjacent = positions == list(range(positions[0], positions[-1] + 1))
    n_ellipsis_dims = ndim(x) - sum(
        1 for it in index if not (it is None or it is Ellipsis or _is_bool_scalar(it))
    )
    axis = 0
    if adjacent:
        for it in index[: positions[0]]:
            if it is Ellipsis:
                axis += n_ellipsis_dims
            elif it is None or isinstance(it, slice):
                axis += 1
    out = getitem(x, tuple(it for it in index if not _is_bool_scalar(it)))
    length = 1 if all(bool(it) for it in index if _is_bool_scalar(it)) else 0
    out = getitem(out, (slice(None),) * axis + (None,))
    if length == 0:
        out = getitem(out, (slice(None),) * axis + (slice(0, 0),))
    return out


def getitem(x: Any, index: Any) -> Any:
    """NumPy's indexing ``x[index]`` on a traced value (or a plain array, eagerly)."""
    x = arr(x)
    refuse_fields(x, index)
    if not isinstance(index, tuple):
        index = (index,)
    mask = _traced_mask(index, reading=True)
    if mask is not None:
        return MASKED_READ.of(x, mask)
    if any(_is_bool_scalar(it) for it in index):
        return _getitem_bool_scalars(x, index)
    items: list[Any] = []
    arrays: list[Any] = []
    masks: list[tuple[int, tuple]] = []  # (position in items, shape) of each concrete mask
    for it in index:
        if isinstance(it, Tracer):
            if it.dtype == bool:
                raise errors.DataDependentShapeError(
                    f"Indexing with a boolean mask that is {it._trace.kind} "
                    f"({it.aval.str_short()}): the result's size depends on how many entries "
                    f"are true, which differs per example. Use autovec.numpy.where(mask, x, "
                    f"fill) to keep the shape, or reduce with the mask "
                    f"(e.g. (x * mask).sum()). Assigning through it (x[mask] = v) works."
                )
            if not np.issubdtype(it.dtype, np.integer):
                raise IndexError("arrays used as indices must be of integer (or boolean) type")
            items.append(ARRAY)
            arrays.append(it)
        elif it is None or it is Ellipsis:
            items.append(it)
        elif isinstance(it, slice):
            items.append(_slice_item(it))
        elif isinstance(it, (bool, np.bool_)) or (
            isinstance(it, np.ndarray) and it.dtype == bool and it.ndim == 0
        ):
            raise errors.UnsupportedOperationError(
                "a boolean scalar index (x[True]) on a traced value is not supported; use "
                "expand_dims (or x[None]) instead."
            )
        elif isinstance(it, (int, np.integer)):
            items.append(operator.index(it))
        else:
            a = np.asarray(it)
            if a.dtype == bool:
                # A concrete mask: its positions are known now, so it is an integer index.
                masks.append((len(items), a.shape))
                items.extend([ARRAY] * a.ndim)
                arrays.extend(np.nonzero(a))
                continue
            if a.dtype == object or not (np.issubdtype(a.dtype, np.integer) or a.size == 0):
                raise IndexError(
                    "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) "
                    "and integer or boolean arrays are valid indices"
                )
            items.append(ARRAY)
            arrays.append(a.astype(np.intp, copy=False))
    # Expand the Ellipsis (at most one) into full slices.
    consumed = sum(1 for it in items if it is not None and it is not Ellipsis)
    n_ell = items.count(Ellipsis)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if consumed > ndim(x):
        raise IndexError(
            f"too many indices for array: array is {ndim(x)}-dimensional, but "
            f"{consumed} were indexed"
        )
    if n_ell:
        k = items.index(Ellipsis)
        items[k : k + 1] = [_FULL] * (ndim(x) - consumed)
        masks = [(p + (ndim(x) - consumed - 1) * (p > k), s) for p, s in masks]
    _check_bounds(items, arrays, shape(x))
    for pos, mask_shape in masks:
        # A mask must match the axes it covers: np.nonzero would otherwise quietly pick
        # positions from a mask of the wrong size.
        axis = sum(1 for it in items[:pos] if it is not None)
        for d, m in enumerate(mask_shape):
            n = shape(x)[axis + d]
            if n != m:
                raise IndexError(
                    f"boolean index did not match indexed array along axis {axis + d}; size "
                    f"of axis is {n} but size of corresponding boolean axis is {m}"
                )
    if not arrays:
        out = getitem_p.bind(x, index=tuple(items))
        if n_ell and ndim(x) == consumed:  # a[0, ...]: a 0-d view, where a[0] is a scalar
            out = batching.zero_d_view(out, x, tuple(items))
        return out
    # NumPy counts integer scalars as array indices when arrays are present.
    spec = []
    all_arrays = []
    it_arrays = iter(arrays)
    for it in items:
        if it == ARRAY:
            spec.append(ARRAY)
            all_arrays.append(next(it_arrays))
        elif isinstance(it, int):
            spec.append(ARRAY)
            all_arrays.append(np.asarray(it, dtype=np.intp))
        else:
            spec.append(it)
    # Trailing axes not named by the index are full slices (the prim's spec is complete).
    spec.extend([_FULL] * (ndim(x) - sum(1 for s in spec if s is not None)))
    return index_p.bind(x, *all_arrays, spec=tuple(spec))


# ---------------------------------------------------------------------------- updates


@functools.lru_cache(maxsize=256)
def iota(shp: tuple[int, ...]) -> np.ndarray:
    """``arange(size).reshape(shp)``, read-only and cached: indexing it gives flat positions."""
    out = np.arange(int(np.prod(shp, dtype=np.int64)), dtype=np.intp).reshape(shp)
    out.flags.writeable = False
    return out


def positions(shp: tuple[int, ...], index: Any) -> Any:
    """The flat (C-order) positions in an array of shape ``shp`` that ``x[index]`` reads, in
    the shape of ``x[index]``: a NumPy array when the index is concrete, a tracer when not."""
    items = index if isinstance(index, tuple) else (index,)
    if not is_traced(*items):
        return np.asarray(iota(shp)[index])  # NumPy's own index rules and errors
    return getitem(iota(shp), index)


def _traced_mask(index: Any, reading: bool = False) -> Any:
    """The traced boolean mask of ``x[mask]`` / ``x[mask, ...]``, or None."""
    items = index if isinstance(index, tuple) else (index,)
    masks = [it for it in items if isinstance(it, Tracer) and it.dtype == bool]
    if not masks:
        return None
    if len(items) == 1 or (len(items) == 2 and items[0] is masks[0] and items[1] is Ellipsis):
        return masks[0]
    m = masks[0]
    raise errors.DataDependentShapeError(
        f"Indexing with a boolean mask that is {m._trace.kind} ({m.aval.str_short()}) "
        f"together with other index entries: the positions "
        f"{'read' if reading else 'written'} depend on how many entries are true, which "
        f"differs per example. Only the mask alone works (x[mask] = v, x[mask] += v); "
        f"otherwise use autovec.numpy.where(mask, v, x) with a mask of x's shape."
    )


def as_value(x: Any, value: Any) -> Any:
    """The value written into ``x``: Python scalars and lists convert to ``x``'s dtype as
    NumPy's assignment converts them (so 300 into int8 raises OverflowError, NaN into an
    integer array raises ValueError); arrays and tracers are cast by the update itself."""
    if isinstance(value, PY_SCALARS) or (
        isinstance(value, (list, tuple)) and not holds_tracer(value)
    ):
        return np.asarray(value, dtype=x.dtype)
    # A NumPy scalar (what a 0-d value is per example in the loop) written into a signed
    # integer array is range-checked, unlike an array: OverflowError, as NumPy raises.
    scalar = isinstance(value, np.generic) or (isinstance(value, Tracer) and value.ndim == 0)
    value = arr(value)
    kinds = x.dtype.kind + value.dtype.kind
    if scalar and kinds in ("ii", "iu", "if") and not np.can_cast(value.dtype, x.dtype):
        value = fits_integer_p.bind(value, dtype=x.dtype)
    return value


def fit_value(v: Any, target: tuple[int, ...]) -> Any:
    """``v`` shaped to broadcast to ``target``: leading size-1 axes beyond its rank dropped, as
    NumPy's assignment allows; NumPy's ValueError when it cannot broadcast."""
    vs = shape(v)
    while len(vs) > len(target) and vs[0] == 1:
        vs = vs[1:]
    if len(vs) > len(target) or np.broadcast_shapes(vs, target) != target:
        raise ValueError(
            f"shape mismatch: value array of shape {shape(v)} could not be broadcast to "
            f"indexing result of shape {target}"
        )
    if vs != shape(v):
        v = reshape_p.bind(v, new_sizes=vs) if isinstance(v, Tracer) else np.reshape(v, vs)
    return v


def _ufunc_name(ufunc: Any) -> str:
    name = ufunc if isinstance(ufunc, str) else getattr(ufunc, "__name__", None)
    known = getattr(np, name or "", None)
    if not isinstance(known, np.ufunc) or not (ufunc is known or isinstance(ufunc, str)):
        raise TypeError(f"{ufunc!r} is not a NumPy ufunc")
    return name


def _masked_update(x: Any, mask: Any, value: Any, ufunc: str | None, whole: bool = False) -> Any:
    """``where(mask, new, x)``: ``value`` is one row (broadcast to every selected one), or
    with ``whole`` an array of ``x``'s shape read through the same mask."""
    xs = shape(x)
    ms = shape(mask)
    if ms != xs[: len(ms)]:
        raise IndexError(
            f"boolean index did not match indexed array: array shape {xs}, mask shape {ms}"
        )
    rows = xs[len(ms) :]  # each selected element of the mask selects one such block
    if value is not None and not whole:
        vs = shape(value)
        while len(vs) > len(rows) and vs[0] == 1:
            vs = vs[1:]
        if len(vs) > len(rows):
            raise errors.DataDependentShapeError(
                f"x[mask] = v with a traced mask and a value of shape {shape(value)}: the "
                f"value would need one entry per true element, a count that differs per "
                f"example. Give a value that broadcasts to one row {rows} (a scalar, say), or "
                f"use autovec.numpy.where(mask, values, x) with values of x's shape."
            )
        np.broadcast_shapes(vs, rows)
        value = fit_value(value, rows) if vs != shape(value) else value
    new = value
    if ufunc is not None:
        args = (x,) if value is None else (x, value)
        new = UFUNCS[ufunc](*args)
    if not isinstance(new, Tracer):
        new = np.asarray(new)
    if new.dtype != x.dtype:
        new = convert_element_type_p.bind(new, dtype=x.dtype)
    m = mask
    if len(rows):
        m = reshape_p.bind(mask, new_sizes=ms + (1,) * len(rows))
    return where_p.bind(m, new, x)


def update(x: Any, index: Any, value: Any = None, ufunc: Any = None) -> Any:
    """The value ``x`` has after ``x[index] = value`` (``ufunc=None``) or after
    ``ufunc.at(x, index, value)``; ``x`` itself is not modified (functional)."""
    x = arr(x)
    if not isinstance(x, Tracer):
        x = np.asarray(x)
    name = None if ufunc is None else _ufunc_name(ufunc)
    unary = name is not None and getattr(np, name).nin == 1
    if unary and value is not None:
        raise ValueError("second operand provided when ufunc is unary")
    if not unary and value is None:
        raise ValueError("second operand needed for ufunc")
    mask = _traced_mask(index)
    if MASKED_READ is not None and isinstance(value, MASKED_READ):
        if mask is None:
            raise errors.DataDependentShapeError(
                "x[index] = y[mask] with a traced mask and an index that is not a mask: the "
                "values read through the mask are as many as its true entries, a count that "
                "differs per example. Use autovec.numpy.where(mask, new_values, x)."
            )
        return _masked_update(x, mask, value.aligned_to(mask, shape(x)), name, whole=True)
    if name is None:
        value = as_value(x, value)
    elif value is not None:
        value = arr(value)
    if mask is not None:
        return _masked_update(x, mask, value, name)
    pos = positions(shape(x), index)
    if unary:
        return scatter_p.bind(x, pos, ufunc=name)
    return scatter_p.bind(x, pos, fit_value(value, shape(pos)), ufunc=name)


def setitem(self: Tracer, index: Any, value: Any) -> None:
    """``x[index] = value`` on a tracer (``Tracer.__setitem__``): ``x`` takes the updated
    value (computed in ``x``'s own buffer where eager vmap owns it)."""
    refuse_fields(self, index)
    batching.write_into(self, index, value, update)


def refuse_fields(x: Any, index: Any) -> None:
    """``x['a']`` (a field of a structured dtype) on a traced value: a specific error."""
    if (
        isinstance(x, Tracer)
        and x.dtype.names
        and (
            isinstance(index, str)
            or (isinstance(index, list) and index and all(isinstance(i, str) for i in index))
        )
    ):
        raise errors.UnsupportedOperationError(
            f"x[{index!r}] reads a field of a structured dtype, which vmap/jit do not support. "
            f"Pass the fields as separate arrays instead, e.g. a dict "
            f"{{name: x[name] for name in x.dtype.names}}: the function's x[{index!r}] then "
            f"reads the dict."
        )


# ------------------------------------------------------------- reading through a mask


_COUNTS = (
    "NumPy boolean array indexing assignment cannot assign {0} input values to the {1} output "
    "values where the mask is true"
)


# ------------------------------------------------------------------- in-place operators


def inplace_operator(op: Callable[[Any, Any], Any], np_ufunc: Any) -> Callable[[Any, Any], Any]:
    """``x += y`` (etc.) for a tracer: computes ``op(x, y)`` and makes ``x`` take it, with
    NumPy's in-place rules: the result keeps ``x``'s shape and dtype (cast with
    ``same_kind``; otherwise NumPy's own casting error).  A 0-d value behaves like the NumPy
    scalar it usually stands for (``x[0] += 1.5``): the name is simply rebound, unless it
    is a 0-d view (``x[0, ...]``)."""

    def method(self: Any, other: Any) -> Any:
        result = op(self, other)
        if result is NotImplemented or self.ndim == 0 and not batching.is_view(self):
            return result  # (a 0-d view, x[0, ...], is an array: written in place)
        if tuple(result.shape) != tuple(self.shape):
            raise ValueError(
                f"non-broadcastable output operand with shape {tuple(self.shape)} doesn't "
                f"match the broadcast shape {tuple(result.shape)}"
            )
        if result.dtype != self.dtype:
            if not np.can_cast(result.dtype, self.dtype, "same_kind"):
                _raise_casting_error(np_ufunc, self, other)
            result = convert_element_type_p.bind(result, dtype=self.dtype)
        self._become(result)
        return self

    return method


def _raise_casting_error(np_ufunc: Any, x: Any, other: Any) -> None:
    # Let NumPy raise its own error (type and message) on stand-ins of the same dtypes.
    mine = np.ones((1,) * x.ndim, x.dtype)
    theirs = dummy_of(get_aval(arr(other)))
    if isinstance(np_ufunc, np.ufunc):
        np_ufunc(mine, theirs, out=mine)
    raise TypeError(
        f"Cannot cast the result of an in-place operation on {x.dtype} to {x.dtype} "
        f"with casting rule 'same_kind'"
    )


def inplace_method(f: Callable[..., Any], name: str) -> Callable[..., None]:
    """An ndarray method that works in place: the tracer takes ``f(self, ...)``; returns
    None, as NumPy's method does."""

    def method(self: Any, *args: Any, **kwargs: Any) -> None:
        self._become(f(self, *args, **kwargs))

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (
        f"In place, as ``ndarray.{name}``: the value takes the updated value and None is returned."
    )
    return method


def ndarray_inplace_methods(anp: Any) -> dict[str, Callable[..., None]]:
    """The in-place ndarray methods for tracers, built on the ``autovec.numpy`` functions."""

    def put(self: Any, indices: Any, values: Any, mode: str = "raise") -> Any:
        return anp.put(self, indices, values, mode, inplace=False)

    def fill(self: Any, value: Any) -> Any:
        if ndim(value) != 0:  # NumPy fills with one scalar only
            raise ValueError("setting an array element with a sequence.")
        return update(self, Ellipsis, value)

    methods = {"put": put, "fill": fill}
    methods.update({n: getattr(anp, n) for n in ("sort", "partition") if hasattr(anp, n)})
    return {
        name: inplace_method(f, name)
        for name, f in methods.items()
        if name != "put" or hasattr(anp, "put")
    }


def copy_value(self: Any, order: str = "C") -> Any:
    """``x.copy()``: a new value, so that later in-place updates of one leave the other;
    C-ordered unless ``order`` says otherwise, as NumPy's."""
    return copy_p.bind(self) if order == "K" else copy_p.bind(self, order=order)


__all__ = [
    "getitem",
    "setitem",
    "update",
    "positions",
    "iota",
    "as_value",
    "fit_value",
    "inplace_operator",
    "inplace_method",
    "ndarray_inplace_methods",
    "copy_value",
]
