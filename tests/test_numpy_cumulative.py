"""Cumulative functions and differences: ``CASES`` (see ``tests/_cases.py``) for every name
of ``autovec/numpy/cumulative.py``, then what the cases cannot state."""

from __future__ import annotations

import numpy as np
import pytest
from _cases import Case, case_ids, example_maker, run_case
from hypothesis import given, settings
from hypothesis import strategies as st

import autovec
import autovec.numpy as anp
from autovec.numpy import cumulative
from autovec.testing import check_vmap

_RNG = np.random.default_rng(11)


_ex = example_maker(11)


def _coords(n: int):
    """Distinct increasing sample points (shuffled into other examples they stay distinct, so
    no spacing is ever zero)."""
    return np.cumsum(_RNG.uniform(0.2, 1.0, n))


_f = _ex((3, 5))
_nan = _ex((3, 5))
_nan.reshape(-1)[[1, 7, 8]] = np.nan
_i8 = _ex((2, 6), "int8", -9, 9)
_f32 = {"rtol": 1e-5, "atol": 1e-6}

CASES = [
    Case("cumsum", lambda xp, a: xp.cumsum(a), (_f,)),
    Case("cumsum", lambda xp, a: xp.cumsum(a, axis=1), (_i8,)),
    Case("cumsum", lambda xp, a: xp.cumsum(a, axis=0), (_ex((4, 2), "bool"),)),
    Case("cumsum", lambda xp, a: xp.cumsum(a, 0, dtype=np.float32), (_ex((5,), "uint8", 0, 9),)),
    Case("cumsum", lambda xp, a: a.cumsum(axis=-1), (_ex((2, 3), "complex128"),)),
    Case("cumsum", lambda xp, a: xp.cumsum(a), (_ex((), "int16", -9, 9),)),
    Case("cumprod", lambda xp, a: xp.cumprod(a, axis=1), (_ex((3, 4), "float64", 0.5, 1.5),)),
    Case("cumprod", lambda xp, a: xp.cumprod(a), (_ex((2, 3), "int32", -3, 3),)),
    Case("cumprod", lambda xp, a: a.cumprod(0), (_ex((4,), "float32", 0.5, 1.5),), **_f32),
    Case("nancumsum", lambda xp, a: xp.nancumsum(a, axis=1), (_nan,)),
    Case("nancumsum", lambda xp, a: xp.nancumsum(a), (_nan,)),
    Case("nancumsum", lambda xp, a: xp.nancumsum(a, axis=0), (_i8,)),
    Case("nancumprod", lambda xp, a: xp.nancumprod(a, axis=0), (_nan,)),
    Case("nancumprod", lambda xp, a: xp.nancumprod(a), (_ex((4,), "int64", -3, 3),)),
    Case("cumulative_sum", lambda xp, a: xp.cumulative_sum(a), (_f[0],)),
    Case(
        "cumulative_sum",
        lambda xp, a: xp.cumulative_sum(a, axis=1, include_initial=True),
        (_i8,),
    ),
    Case(
        "cumulative_sum",
        lambda xp, a: xp.cumulative_sum(a, axis=0, dtype=np.int16, include_initial=True),
        (_ex((3, 2), "bool"),),
    ),
    Case("cumulative_prod", lambda xp, a: xp.cumulative_prod(a, axis=0), (_f,)),
    Case(
        "cumulative_prod",
        lambda xp, a: xp.cumulative_prod(a, include_initial=True),
        (_ex((5,), "int8", -2, 3),),
    ),
    Case("diff", lambda xp, a: xp.diff(a), (_f,)),
    Case("diff", lambda xp, a: xp.diff(a, n=2, axis=0), (_ex((4, 3), "int16", -9, 9),)),
    Case("diff", lambda xp, a: xp.diff(a, n=3), (_ex((4,), "uint8", 0, 200),)),
    Case("diff", lambda xp, a: xp.diff(a, 0), (_f,)),
    Case("diff", lambda xp, a: xp.diff(a, n=5), (_ex((3,)),)),
    Case("diff", lambda xp, a: xp.diff(a, axis=0), (_ex((3, 2), "bool"),)),
    Case("diff", lambda xp, a: xp.diff(a, prepend=0, append=[[1.5], [2.5], [0.0]]), (_f,)),
    Case(
        "diff", lambda xp, a, p: xp.diff(a, axis=0, prepend=p), (_i8, _ex((1, 6), "int64", -9, 9))
    ),
    Case("diff", lambda xp, a, e: xp.diff(a, append=e), (_ex((4,), "float32"), _ex((), "float64"))),
    Case("ediff1d", lambda xp, a: xp.ediff1d(a), (_f,)),
    Case(
        "ediff1d",
        lambda xp, a: xp.ediff1d(a, to_begin=[-1, -2], to_end=300),
        (_ex((2, 3), "int8", -9, 9),),
    ),
    Case("ediff1d", lambda xp, a, b: xp.ediff1d(a, to_end=b), (_ex((4,)), _ex((2,)))),
    Case("ediff1d", lambda xp, a, b: xp.ediff1d(a, b), (_ex((1,)), _ex((2,), "float32"))),
    Case("gradient", lambda xp, f: xp.gradient(f), (_ex((6,)),)),
    Case("gradient", lambda xp, f: xp.gradient(f), (_f,)),
    Case("gradient", lambda xp, f: xp.gradient(f, 0.5, edge_order=2), (_ex((5,), "int32", -9, 9),)),
    Case("gradient", lambda xp, f: xp.gradient(f, 2.0, 0.5, axis=(1, 0)), (_f,)),
    Case(
        "gradient",
        lambda xp, f, d: xp.gradient(f, d, axis=-1, edge_order=2),
        (_f, _ex((), "float64", 0.5, 1.5)),
    ),
    Case("gradient", lambda xp, f, x: xp.gradient(f, x), (_ex((6,)), _coords(6))),
    Case(
        "gradient",
        lambda xp, f, x: xp.gradient(f, x, axis=1, edge_order=2),
        (_f, _coords(5)),
    ),
    Case(
        "gradient",
        lambda xp, f: xp.gradient(f, np.arange(3.0), np.arange(5) * 2),  # uniform coordinates
        (_f,),
    ),
    Case("gradient", lambda xp, f: xp.gradient(f, axis=0), (_ex((4, 3), "float32"),), **_f32),
    Case("trapezoid", lambda xp, y: xp.trapezoid(y), (_f,)),
    Case("trapezoid", lambda xp, y: xp.trapezoid(y, dx=0.5, axis=0), (_i8,)),
    Case("trapezoid", lambda xp, y, x: xp.trapezoid(y, x), (_ex((6,)), _coords(6))),
    Case("trapezoid", lambda xp, y, x: xp.trapezoid(y, x, axis=0), (_f, _ex((3, 5)))),
    Case("trapezoid", lambda xp, y: xp.trapezoid(y), (_ex((4,), "bool"),)),
    Case("trapezoid", lambda xp, y: xp.trapezoid(y), (_ex((2, 4), "float32"),), **_f32),
    Case(
        "interp",
        lambda xp, x, a, f: xp.interp(x, xp.sort(a), f),
        (_ex((7,), "float64", -3, 3), _ex((5,)), _ex((5,))),
    ),
    Case(
        "interp",
        lambda xp, x, a, f: xp.interp(x, xp.sort(a), f, left=-9.0, right=9.0),
        (_ex((2, 3), "float64", -3, 3), _ex((4,)), _ex((4,), "float32")),
    ),
    Case(
        "interp",
        lambda xp, x, f: xp.interp(x, [0, 1, 2, 3], f),  # x hits the sample points exactly
        (_ex((6,), "int64", -1, 5), _ex((4,))),
    ),
    Case(
        "interp",
        lambda xp, x, a, f: xp.interp(x, xp.sort(a), f, period=2.0),
        (_ex((5,), "float64", -5, 5), _ex((4,)), _ex((4,))),
    ),
    Case(
        "interp",
        lambda xp, x, a, f: xp.interp(x, xp.sort(a), f),
        (_ex((4,)), _ex((3,)), _ex((3,), "complex128")),
    ),
    Case("interp", lambda xp, x, a, f: xp.interp(x, a, f), (_ex(()), _ex((1,)), _ex((1,)))),
    Case(
        "interp",
        lambda xp, x, lo, hi: xp.interp(x, [0.0, 1.0], [5.0, 6.0], left=lo, right=hi),
        (_ex((4,)), _ex(()), _ex(())),
        plain_numpy=False,  # np.interp dispatches on x, xp and fp only, not left and right
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_case(case: Case) -> None:
    run_case(case)


def test_every_exported_name_has_a_case() -> None:
    assert set(cumulative.__all__) <= {c.name for c in CASES}


def test_interp_at_nan_and_at_sample_points_is_numpys() -> None:
    xp = np.array([0.0, 1.0, 2.0, 2.0, 3.0])
    fp = np.array([1.0, np.inf, 2.0, 5.0, 4.0])
    x = np.array([[np.nan, 0.0, 1.0, 2.0, 3.0, 0.5], [2.5, 3.0, -1.0, 4.0, 1.5, 2.0]])
    with np.errstate(all="ignore"):
        got = autovec.vmap(lambda v: anp.interp(v, xp, fp))(x)
        want = np.stack([np.interp(v, xp, fp) for v in x])
    np.testing.assert_array_equal(got, want)


def test_cumulative_functions_under_nested_vmap() -> None:
    def fun(a):
        return anp.cumsum(a, axis=0), anp.diff(a, axis=-1), anp.gradient(a, axis=0)

    assert check_vmap(fun, _ex((4, 3))) > 0


def test_errors() -> None:
    vm = autovec.vmap
    with pytest.raises(ValueError, match="order must be non-negative"):
        vm(lambda a: anp.diff(a, n=-1))(_f)
    with pytest.raises(ValueError, match="at least one dimensional"):
        vm(lambda a: anp.diff(a))(_f[0])
    with pytest.raises(TypeError, match="same_kind"):
        vm(lambda a: anp.ediff1d(a, to_begin=0.5))(_i8)
    with pytest.raises(ValueError, match="too small"):
        vm(lambda a: anp.gradient(a, edge_order=2))(_ex((3, 2)))
    with pytest.raises(TypeError, match="invalid number of arguments"):
        vm(lambda a: anp.gradient(a, 1.0, 2.0))(_f)
    with pytest.raises(ValueError, match="same length"):
        vm(lambda x: anp.interp(x, [1.0, 2.0], [1.0]))(_f)
    with pytest.raises(ValueError, match="axis"):
        vm(lambda a: anp.cumulative_sum(a))(_ex((2, 3, 4)))


@settings(max_examples=25)
@given(data=st.data())
def test_drawn_cumulative_functions_match_the_loop(data) -> None:
    dtype = data.draw(st.sampled_from(["float64", "float32", "int8", "int64", "uint8", "bool"]))
    shape = tuple(data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = data.draw(st.integers(0, 3))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = (rng.integers(-3, 4, shape) if dtype != "bool" else rng.random(shape) < 0.5).astype(dtype)

    def fun(a):
        return np.cumsum(a, axis=axis), np.cumprod(a, axis=axis), np.diff(a, n=n, axis=axis)

    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == "float32" else {}
    assert check_vmap(fun, x, batch_sizes=(0, 3), **tol) > 0
