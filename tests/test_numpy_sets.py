"""Set routines, functional helpers, bit packing and multi-dimensional histograms
(``autovec/numpy/sets.py``): eagerly NumPy's; under vmap/jit vectorised, the set
operations through JAX's static ``size=`` form."""

from __future__ import annotations

import numpy as np
import pytest
from _cases import Case, case_ids, example_maker, run_case

import autovec
import autovec.numpy as anp
from autovec import errors

ex = example_maker(41)
_RNG = np.random.default_rng(41)


def _ints(*shape: int, low: int = 0, high: int = 6) -> np.ndarray:
    return _RNG.integers(low, high, shape)


def _pad(v: np.ndarray, size: int, fill=None) -> np.ndarray:
    v = np.asarray(v)[:size]
    if fill is None:
        fill = v[0] if v.size else 0
    return np.concatenate([v, np.full(size - v.shape[0], fill, v.dtype)])


def _static(name, ours, ref, args, **kw):
    """autovec's size= form against NumPy's result truncated/padded (plain NumPy has no
    size= keyword, so only the autovec form runs under vmap)."""
    return Case(
        name, lambda xp, *a: ours(*a) if xp is anp else ref(*a), args, plain_numpy=False, **kw
    )


def _set(name, args, size, fill=None, **kw):
    ours_f, np_f = getattr(anp, name), getattr(np, name)
    return _static(
        name,
        lambda a, b: ours_f(a, b, size=size, fill_value=fill, **kw),
        lambda a, b: _pad(np_f(a, b, **kw), size, fill),
        args,
    )


A, B = _ints(7), _ints(2, 3)
FA = np.array([1.5, np.nan, 2.0, 1.5, -1.0, np.nan])
FB = np.array([2.0, np.nan, 3.0, 0.5])
UA, UB = _RNG.permutation(10)[:5], _RNG.permutation(10)[:6]

CASES = [
    # isin: fully vectorised, shape of the element kept.
    Case("isin", lambda xp, x, t: xp.isin(x, t), (_ints(3, 4), _ints(5))),
    Case("isin", lambda xp, x, t: xp.isin(x, t, invert=True), (_ints(3, 4), _ints(2, 2))),
    Case("isin", lambda xp, x, t: xp.isin(x, t, kind="table"), (_ints(6), _ints(3))),
    Case("isin", lambda xp, x, t: xp.isin(x, t, assume_unique=True), (_ints(4), UA)),
    Case("isin", lambda xp, x, t: xp.isin(x, t), (FA, FB)),
    Case("isin", lambda xp, x, t: xp.isin(x, t), (ex((4,)), np.zeros(0))),
    # Set operations with size=.
    _set("intersect1d", (A, B), 4),
    _set("intersect1d", (A, B), 8, fill=-1),
    _set("intersect1d", (FA, FB), 3),
    _set("intersect1d", (UA, UB), 5, fill=99, assume_unique=True),
    _set("setdiff1d", (A, B), 5, fill=-3),
    _set("setdiff1d", (FA, FB), 4),
    _set("setdiff1d", (UA, UB), 4, assume_unique=True),
    _set("setxor1d", (A, B), 6),
    _set("setxor1d", (FA, FB), 6, fill=0.0),
    _set("setxor1d", (UA, UB), 7, fill=-1, assume_unique=True),
    _set("union1d", (A, B), 8, fill=-1),
    _set("union1d", (FA, FB), 4),
    _set("union1d", (A, FB), 9, fill=7.5),
    # Concrete arguments inside a vmapped function are NumPy's own calls.
    Case("union1d", lambda xp, x: xp.union1d(np.array([3, 1]), np.array([1, 2])) * x, (A[:3],)),
    # apply_along_axis: scalar, vector and matrix results, extra arguments.
    Case("apply_along_axis", lambda xp, x: xp.apply_along_axis(xp.sum, 0, x), (ex((3, 4)),)),
    Case(
        "apply_along_axis",
        lambda xp, x: xp.apply_along_axis(lambda v: v[::-1] * 2, 1, x),
        (ex((2, 3, 4)),),
    ),
    Case(
        "apply_along_axis",
        lambda xp, x: xp.apply_along_axis(lambda v: xp.outer(v, v), -2, x),
        (ex((2, 3, 4)),),
    ),
    Case(
        "apply_along_axis",
        lambda xp, x, w: xp.apply_along_axis(lambda v, s: xp.dot(v, s), 1, x, w),
        (ex((3, 4)), ex((4,))),
        plain_numpy=False,  # NumPy dispatches on arr only, not on the extra arguments
    ),
    # apply_over_axes.
    Case("apply_over_axes", lambda xp, x: xp.apply_over_axes(xp.sum, x, [0, 2]), (ex((2, 3, 4)),)),
    Case("apply_over_axes", lambda xp, x: xp.apply_over_axes(xp.mean, x, -1), (ex((3, 4)),)),
    # piecewise: functions, constants, the "otherwise" function, the dtype of x.
    Case(
        "piecewise",
        lambda xp, x: xp.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v**2]),
        (ex((5,)),),
    ),
    Case(
        "piecewise",
        lambda xp, x: xp.piecewise(x, [x < -1, x > 1], [-1.0, lambda v: v * 3, 0.5]),
        (ex((2, 3)),),
    ),
    Case("piecewise", lambda xp, x: xp.piecewise(x, x > 2, [lambda v: v + 10]), (_ints(6),)),
    Case(
        "piecewise",
        lambda xp, x, c: xp.piecewise(x, [c], [lambda v: v * 2.7, lambda v: v - 1]),
        (_ints(5), _RNG.random(5) < 0.5),
    ),
    # packbits / unpackbits.
    Case("packbits", lambda xp, x: xp.packbits(x), (_RNG.random((3, 5)) < 0.5,)),
    Case("packbits", lambda xp, x: xp.packbits(x, axis=1), (_ints(2, 11, 3, low=-1, high=2),)),
    Case(
        "packbits",
        lambda xp, x: xp.packbits(x, axis=0, bitorder="little"),
        (_RNG.random((9, 2)) < 0.5,),
    ),
    Case("unpackbits", lambda xp, x: xp.unpackbits(x), (_ints(2, 3, high=256).astype(np.uint8),)),
    Case(
        "unpackbits",
        lambda xp, x: xp.unpackbits(x, axis=1, count=-3, bitorder="little"),
        (_ints(2, 2, high=256).astype(np.uint8),),
    ),
    Case(
        "unpackbits",
        lambda xp, x: xp.unpackbits(x, axis=0, count=21),
        (_ints(2, 3, high=256).astype(np.uint8),),
    ),
    # histograms with static bins.
    Case(
        "histogramdd",
        lambda xp, s: xp.histogramdd(s, bins=(3, 4), range=[(-2, 2), (-1, 1)]),
        (ex((20, 2)),),
    ),
    Case("histogramdd", lambda xp, s: xp.histogramdd(s, bins=3), (ex((15, 3)),)),
    Case(
        "histogramdd",
        lambda xp, s, w: xp.histogramdd(
            s, bins=[np.array([-2.0, 0.0, 0.5, 2.0])], weights=w, density=True
        ),
        (ex((12,)), ex((12,), low=0.1, high=1.0)),
    ),
    Case(
        "histogram2d",
        lambda xp, x, y: xp.histogram2d(x, y, bins=4),
        (ex((16,)), ex((16,))),
    ),
    Case(
        "histogram2d",
        lambda xp, x, y, w: xp.histogram2d(
            x, y, bins=[3, np.array([-2.0, -1.0, 1.0, 2.0])], range=[(-1, 1), None], weights=w
        ),
        (ex((16,)), ex((16,)), ex((16,))),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_sets_case(case):
    run_case(case)


@pytest.mark.parametrize("name", ["intersect1d", "setdiff1d", "setxor1d", "union1d"])
def test_set_ops_without_size_raise_under_vmap(name):
    with pytest.raises(errors.DataDependentShapeError) as info:
        autovec.vmap(lambda a: getattr(np, name)(a, np.array([1, 2])))(_ints(3, 4))
    message = str(info.value)
    assert message.startswith(f"{name}:") and "size=" in message


def test_set_ops_eager_without_size_are_numpy():
    for name in ["intersect1d", "setdiff1d", "setxor1d", "union1d"]:
        got, want = getattr(anp, name)(FA, FB), getattr(np, name)(FA, FB)
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype


def test_piecewise_evaluates_everywhere_and_warns():
    x = np.array([-1.0, 4.0])
    f = autovec.vmap(lambda v: anp.piecewise(v, [v > 0], [np.sqrt]))
    with np.errstate(invalid="warn"), pytest.warns(RuntimeWarning):
        got = f(x[None])
    np.testing.assert_array_equal(got[0], np.piecewise(x, [x > 0], [np.sqrt]))


def test_errors():
    with pytest.raises(TypeError):
        autovec.vmap(anp.packbits)(ex((2, 3)))
    with pytest.raises(TypeError):
        autovec.vmap(anp.unpackbits)(_ints(2, 3))
    with pytest.raises(ValueError, match="kind"):
        autovec.vmap(lambda x: anp.isin(x, x, kind="bogus"))(_ints(2, 3))
    with pytest.raises(ValueError, match="iteration dimensions"):
        autovec.vmap(lambda x: anp.apply_along_axis(np.sum, 0, x))(np.zeros((2, 3, 0)))
    with pytest.raises(errors.UnsupportedOperationError, match="return_indices"):
        anp.intersect1d(A, B, return_indices=True, size=3)
