"""Sorting and searching: ``CASES`` (see ``tests/_cases.py``) for every name of
``autovec/numpy/sorting.py``, then the facts the cases cannot state (exact per-example order of
ties and of partitions, errors)."""

from __future__ import annotations

import numpy as np
import pytest
from _cases import Case, case_ids, example_maker, run_case
from hypothesis import given, settings
from hypothesis import strategies as st

import autovec
import autovec.numpy as anp
from autovec import errors
from autovec.numpy import sorting
from autovec.testing import check_vmap

_RNG = np.random.default_rng(7)


_ex = example_maker(7)


def _with_nans(shape: tuple, count: int, dtype: str = "float64"):
    """Floats with ``count`` NaNs (fewer than a row holds, so no row is ever all NaN, however
    the checker shuffles the elements into other examples)."""
    a = _ex(shape, dtype)
    a.reshape(-1)[:count] = np.nan
    return a


_f = _ex((4, 6))
_ties = _ex((3, 7), "int16", -3, 3)  # many equal elements: the order of ties is checked
_nan = _with_nans((3, 5), 4)
_c = _ex((6,), "complex128", -1, 1)
_c.real[:3] = 0.5  # equal real parts: order by the imaginary part

CASES = [
    Case("sort", lambda xp, a: xp.sort(a), (_f,)),
    Case("sort", lambda xp, a: xp.sort(a, axis=0), (_ties,)),
    Case("sort", lambda xp, a: xp.sort(a, axis=None), (_nan,)),
    Case("sort", lambda xp, a: xp.sort(a, kind="heapsort"), (_ex((5,), "uint8", 0, 9),)),
    Case("sort", lambda xp, a: xp.sort(a, kind="stable"), (_ex((2, 5), "bool"),)),
    Case("sort", lambda xp, a: xp.sort(a), (_c,)),
    Case("sort", lambda xp, a: xp.sort(a, axis=1, stable=True), (_ex((2, 3, 4), "float32"),)),
    Case("argsort", lambda xp, a: xp.argsort(a), (_ties,)),
    Case("argsort", lambda xp, a: xp.argsort(a, axis=0), (_ties,)),
    Case("argsort", lambda xp, a: xp.argsort(a, kind="stable"), (_nan,)),
    Case("argsort", lambda xp, a: xp.argsort(a, axis=None, kind="mergesort"), (_ties,)),
    Case("argsort", lambda xp, a: xp.argsort(a, kind="heapsort"), (_ex((9,), "int8", -2, 2),)),
    Case("argsort", lambda xp, a: a.argsort(), (_c,)),
    Case("sort_complex", lambda xp, a: xp.sort_complex(a), (_ex((5,), "int8", -5, 5),)),
    Case("sort_complex", lambda xp, a: xp.sort_complex(a), (_ex((2, 4), "float32"),)),
    Case("sort_complex", lambda xp, a: xp.sort_complex(a), (_c,)),
    Case("partition", lambda xp, a: xp.partition(a, 2), (_f,)),
    Case("partition", lambda xp, a: xp.partition(a, (0, 3, -1), axis=1), (_ties,)),
    Case("partition", lambda xp, a: xp.partition(a, 1, axis=0), (_nan,)),
    Case("partition", lambda xp, a: xp.partition(a, 4, axis=None), (_ex((3, 3), "uint8", 0, 5),)),
    Case("argpartition", lambda xp, a: xp.argpartition(a, 3), (_ties,)),
    Case("argpartition", lambda xp, a: xp.argpartition(a, [1, 2], axis=0), (_f,)),
    Case("argpartition", lambda xp, a: a.argpartition(-2), (_ex((7,), "float32"),)),
    # np.lexsort dispatches on a tuple of keys, not on a list: plain NumPy with a list of
    # keys cannot reach autovec when the first key is a plain array.
    Case("lexsort", lambda xp, a, b: xp.lexsort([a, b]), (_ties[0], _ties[1]), plain_numpy=False),
    Case("lexsort", lambda xp, a, b: xp.lexsort((a, b)), (_ties[0], _ties[1])),
    Case(
        "lexsort",
        lambda xp, a, b, c: xp.lexsort((a, b, c)),
        (_ex((8,), "int8", 0, 2), _ex((8,)), _ex((8,), "bool")),
    ),
    Case("lexsort", lambda xp, k: xp.lexsort(k), (_ex((3, 6), "int64", 0, 3),)),
    Case("lexsort", lambda xp, k: xp.lexsort(k, axis=0), (_ex((2, 4, 3), "int64", 0, 2),)),
    Case("searchsorted", lambda xp, a, v: xp.searchsorted(xp.sort(a), v), (_f[0], _f[1:])),
    Case(
        "searchsorted",
        lambda xp, a, v: xp.searchsorted(xp.sort(a), v, side="right"),
        (_ex((8,), "int32", 0, 4), _ex((2, 3), "int32", -1, 5)),
    ),
    Case(
        "searchsorted",
        lambda xp, a, v: xp.searchsorted(xp.sort(a), v, side="left"),
        (_with_nans((6,), 2), _with_nans((5,), 1)),
    ),
    Case(
        "searchsorted",
        lambda xp, a, v: xp.searchsorted(a, v, sorter=xp.argsort(a)),
        (_ex((7,), "int8", 0, 5), _ex((), "int8", 0, 5)),
    ),
    Case(
        "searchsorted",
        lambda xp, a: xp.sort(a).searchsorted(a[:2], "right"),
        (_ex((5,), "float32"),),
    ),
    Case("searchsorted", lambda xp, a, v: xp.searchsorted(xp.sort(a), v), (_c, _c[::-1])),
    Case("digitize", lambda xp, x, b: xp.digitize(x, xp.sort(b)), (_ex((7,)), _ex((4,)))),
    Case(
        "digitize",
        lambda xp, x, b: xp.digitize(x, xp.sort(b)[::-1], right=True),
        (_ex((2, 3), "int16", -3, 3), _ex((5,), "int16", -3, 3)),
    ),
    Case(
        "digitize",
        lambda xp, x, b: xp.digitize(x, xp.sort(b), True),
        (_ex((6,), "float32"), _ex((3,))),
    ),
    Case("digitize", lambda xp, x: xp.digitize(x, [-1.0, 0.0, 0.5]), (_ex((5,)),)),
    Case("digitize", lambda xp, x: xp.digitize(x, [3, 1, 0]), (_ex((5,), "int8", -2, 5),)),
    Case("nanargmax", lambda xp, a: xp.nanargmax(a), (_nan,)),
    Case("nanargmax", lambda xp, a: xp.nanargmax(a, axis=1), (_nan,)),
    Case("nanargmax", lambda xp, a: xp.nanargmax(a, axis=0, keepdims=True), (_ties,)),
    Case("nanargmin", lambda xp, a: xp.nanargmin(a, axis=-1), (_nan,)),
    Case("nanargmin", lambda xp, a: xp.nanargmin(a, keepdims=True), (_with_nans((2, 4), 3),)),
    Case("nanargmin", lambda xp, a: xp.nanargmin(a), (_ex((5,), "float32"),)),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_case(case: Case) -> None:
    run_case(case)


def test_every_exported_name_has_a_case() -> None:
    assert set(sorting.__all__) <= {c.name for c in CASES}


def test_unstable_kinds_give_numpys_order_of_ties_per_example() -> None:
    # Many ties and long rows, where an unstable sort's order of equal keys is arbitrary:
    # each example still gets exactly NumPy's own answer for it (checked bit for bit).
    a = _RNG.integers(0, 4, (6, 300))
    for kind in (None, "quicksort", "heapsort"):
        got = autovec.vmap(lambda r, k=kind: anp.argsort(r, kind=k))(a)
        want = np.stack([np.argsort(r, kind=kind) for r in a])
        np.testing.assert_array_equal(got, want)
        got = autovec.vmap(lambda r: anp.argpartition(r, 150), in_axes=1)(a.T)
        want = np.stack([np.argpartition(r, 150) for r in a])
        np.testing.assert_array_equal(got, want)


def test_sort_method_works_in_place() -> None:
    def fun(x):
        y = x
        assert y.sort(axis=0) is None
        return x

    assert check_vmap(fun, _ex((3, 4))) > 0


def test_batched_sorted_array_search_matches_numpy_per_example() -> None:
    a = np.sort(_RNG.integers(0, 6, (5, 40)), axis=1)
    v = _RNG.integers(-1, 7, (5, 30))
    for side in ("left", "right"):
        got = autovec.vmap(lambda x, y, s=side: anp.searchsorted(x, y, side=s))(a, v)
        want = np.stack([np.searchsorted(x, y, side=side) for x, y in zip(a, v)])
        np.testing.assert_array_equal(got, want)


def test_errors() -> None:
    vm = autovec.vmap
    with pytest.raises(ValueError, match="out of bounds"):
        vm(lambda a: anp.partition(a, 5))(_ex((2, 4)))
    with pytest.raises(errors.ConcretizationTypeError, match="kth"):
        autovec.jit(vm(lambda a, k: anp.partition(a, k)), fallback="error")(
            _ex((2, 4)), np.array([1, 2])
        )
    # Eagerly a batched kth splits the batch, as the loop would.
    a, k = _ex((2, 4)), np.array([1, 2])
    got = vm(lambda a, k: anp.partition(a, k))(a, k)
    np.testing.assert_array_equal(got, np.stack([np.partition(a[i], k[i]) for i in range(2)]))
    with pytest.raises(ValueError, match="sort kind"):
        vm(lambda a: anp.sort(a, kind="fastest"))(_ex((2, 4)))
    with pytest.raises(ValueError, match="All-NaN"):
        vm(lambda a: anp.nanargmax(a))(np.array([[1.0, np.nan], [np.nan, np.nan]]))
    with pytest.raises(ValueError, match="monotonically"):
        vm(lambda x: anp.digitize(x, [0.0, 2.0, 1.0]))(_ex((2, 3)))
    with pytest.raises(ValueError, match="same shape"):
        vm(lambda a, b: anp.lexsort([a, b]))(_ex((2, 3)), _ex((2, 4)))
    with pytest.raises(ValueError, match="left' or 'right"):
        vm(lambda a: anp.searchsorted(a, 0.0, side="middle"))(_ex((2, 3)))
    with pytest.raises(errors.UnsupportedOperationError, match="structured"):
        vm(lambda a: anp.sort(a, order="f0"))(_ex((2, 3)))


@settings(max_examples=25)
@given(data=st.data())
def test_drawn_sorts_and_searches_match_the_loop(data) -> None:
    dtype = data.draw(st.sampled_from(["float64", "float32", "int8", "uint16", "bool"]))
    shape = tuple(data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    kth = data.draw(st.integers(0, shape[axis] - 1))
    kind = data.draw(st.sampled_from([None, "stable", "heapsort"]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = (rng.integers(-3, 4, shape) if dtype != "bool" else rng.random(shape) < 0.5).astype(dtype)
    if dtype.startswith("float") and x.size > shape[axis]:
        x.reshape(-1)[0] = np.nan  # at most one NaN: partition and sort place it last

    def fun(a):
        return (
            np.sort(a, axis=axis, kind=kind),
            np.argsort(a, axis=axis, kind=kind),
            np.partition(a, kth, axis=axis),
            np.argpartition(a, kth, axis=axis),
            np.searchsorted(np.sort(a, axis=None), a.ravel()[::-1], side="right"),
        )

    assert check_vmap(fun, x, batch_sizes=(0, 3)) > 0
