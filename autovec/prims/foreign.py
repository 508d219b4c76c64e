"""Ufuncs that are not NumPy's own (``scipy.special``, ``erfa``, ``np.frompyfunc``, numba's
``@vectorize``): one primitive, ``foreign_ufunc``, that calls the ufunc itself.

A ufunc computes each element (or, for a generalised ufunc, each core block) on its own and
broadcasts the rest, so calling it ONCE on the whole batch gives, element for element, what
the loop's calls give: the batching rule only moves each batch axis in front of the loop axes
(size-1 axes line the examples up, as for NumPy's stacked linear algebra). The ufunc is a
param (compared by identity), its keyword arguments another (a sorted tuple of pairs).
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np

from autovec import errors
from autovec.core import ShapedArray
from autovec.prims.base import FRESH, Arg, Sample, broadcast_shapes, declare
from autovec.prims.decompositions import batch_in_front


def core_ranks(ufunc: np.ufunc) -> tuple[int, ...]:
    """How many trailing axes of each input are core axes (0 each for a plain ufunc)."""
    return _ranks(ufunc.signature.split("->")[0]) if ufunc.signature else (0,) * ufunc.nin


def _impl(xp: Any, *args: Any, ufunc: np.ufunc, kwargs: tuple) -> tuple:
    if xp is not np:
        backend = getattr(xp, "backend_name", getattr(xp, "__name__", xp))
        raise errors.BackendUnsupportedError(
            f"{ufunc!r} is not one of NumPy's ufuncs: it computes NumPy arrays only, not "
            f"arrays of the {backend} backend (nothing is copied to NumPy behind your back)."
        )
    out = ufunc(*args, **dict(kwargs))
    return out if isinstance(out, tuple) else (out,)


@functools.lru_cache(maxsize=512)
def _out_avals(ufunc: np.ufunc, kwargs: tuple, key: tuple) -> tuple:
    """Dtypes and core shapes of the outputs, found by calling the ufunc on ones whose loop
    axes have size 1 (exact: a ufunc's dtypes and core shapes do not depend on the values or
    on the loop axes)."""
    stand_ins = []
    for dtype, weak, core in key:
        if weak:
            stand_ins.append(np.ones((), dtype).item())
        else:
            stand_ins.append(np.ones((1, *core), dtype))  # an array out, even of objects
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outs = _impl(np, *stand_ins, ufunc=ufunc, kwargs=kwargs)
    out_ranks = _ranks(ufunc.signature.split("->")[1]) if ufunc.signature else (0,) * len(outs)
    return tuple(
        (np.asarray(o).dtype, np.shape(o)[np.ndim(o) - k :]) for o, k in zip(outs, out_ranks)
    )


def _ranks(groups: str) -> tuple[int, ...]:
    """The number of core axes in each group of a signature's side: "(m,n),(n)" -> (2, 1)."""
    parts = groups.replace(" ", "")[1:-1].split("),(")
    return tuple(len([d for d in g.split(",") if d]) for g in parts)


def _shape(*avals: ShapedArray, ufunc: np.ufunc, kwargs: tuple) -> list:
    ranks = core_ranks(ufunc)
    key = tuple((a.dtype, a.weak_type, a.shape[a.ndim - c :]) for a, c in zip(avals, ranks))
    loop = broadcast_shapes(*(a.shape[: a.ndim - c] for a, c in zip(avals, ranks)))
    return [ShapedArray(loop + core, dtype) for dtype, core in _out_avals(ufunc, kwargs, key)]


def _batch(axis_size: int, args: tuple, dims: tuple, *, ufunc: np.ufunc, kwargs: tuple) -> Any:
    outs = foreign_ufunc_p.bind(
        *batch_in_front(args, dims, core_ranks(ufunc)), ufunc=ufunc, kwargs=kwargs
    )
    return outs, [0] * len(outs)


foreign_ufunc_p = declare(
    "foreign_ufunc",
    impl=_impl,
    shape=_shape,
    output=FRESH,
    batch=_batch,
    multiple_results=True,
    samples=[
        Sample((Arg((3, 2)), Arg((2,))), {"ufunc": np.hypot, "kwargs": ()}),
        Sample((Arg((4,)),), {"ufunc": np.frexp, "kwargs": ()}),
        Sample((Arg((2, 3)), Arg((3,))), {"ufunc": np.vecdot, "kwargs": ()}),
        Sample((Arg((2, 3), "int64", 0, 9),), {"ufunc": np.sqrt, "kwargs": (("dtype", "f4"),)}),
    ],
    doc="A ufunc that is not NumPy's own (``ufunc`` param), called on its operands; each "
    "output broadcasts the loop axes and appends the ufunc's core axes.",
)
