"""Indexing with batched indices, functional updates and in-place updates of traced values.

``CASES`` (see ``tests/_cases.py``) cover every name ``autovec/numpy/indexing_ops.py``
exports.  The tests after them check the NumPy spellings users write inside a vmapped
function: ``x[i] = v``, ``x[i] += v``, ``x += v``, ``np.add.at(x, i, v)``, ``x.sort()``, with
the array, the index and the value each batched or not, and repeated indices.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _cases import Case, case_ids, example_maker, run_case
from hypothesis import given, settings
from hypothesis import strategies as st

import autovec
import autovec.numpy as anp
from autovec import errors
from autovec.numpy import matrices, selection, updates
from autovec.testing import TRANSFORMS, axis_choices, check_vmap

_ex = example_maker(44)


def _idx(shape: tuple, n: int, negative: bool = True, rng=None):
    """Indices into an axis of length ``n`` (negative ones too, counting from the end)."""
    return _ex(shape, "int64", -n if negative else 0, n, rng)


def _functional(name: str, **kw):
    """A case function for NumPy's in-place ``name``: NumPy writes into a copy; autovec.numpy
    returns the update with ``inplace=False``."""

    def fun(xp, a, *args):
        if xp is np:
            a = a.copy()
            getattr(np, name)(a, *args, **kw)
            return a
        return getattr(xp, name)(a, *args, inplace=False, **kw)

    return fun


def _np_at(ufunc):
    def fun(xp, a, i, b):
        if xp is np:
            a = a.copy()
            ufunc.at(a, i, b)
            return a
        return getattr(xp, f"{ufunc.__name__}_at")(a, i, b)

    return fun


def _set_at(xp, a, i, v):
    if xp is np:
        a = a.copy()
        a[i] = v
        return a
    return xp.set_at(a, i, v)


def _ufunc_at(xp, a, i, b):
    if xp is np:
        a = a.copy()
        np.maximum.at(a, i, b)
        return a
    return xp.ufunc_at(np.maximum, a, i, b)


_x45 = _ex((4, 5))
_i45 = _ex((4, 5), "int16", -20, 20)
_sq = _ex((4, 4))

CASES = [
    # take: flattened, along each axis, every mode, several dtypes and index shapes.  NumPy's
    # np.take dispatches on the array only (not the indices), so plain-NumPy take with a
    # batched index and a plain array cannot reach autovec: see test_plain_numpy_take.
    Case("take", lambda xp, a, i: xp.take(a, i), (_x45, _idx((3,), 20)), plain_numpy=False),
    Case(
        "take", lambda xp, a, i: xp.take(a, i, axis=1), (_i45, _idx((2, 3), 5)), plain_numpy=False
    ),
    Case(
        "take",
        lambda xp, a, i: xp.take(a, i, axis=0),
        (_ex((4,), "bool"), _idx((), 4)),
        plain_numpy=False,
    ),
    Case(
        "take",
        lambda xp, a, i: xp.take(a, i, axis=-1, mode="wrap"),
        (_x45, _idx((3,), 9)),
        plain_numpy=False,
    ),
    Case(
        "take",
        lambda xp, a, i: xp.take(a, i, axis=0, mode="clip"),
        (_x45, _idx((2,), 9)),
        plain_numpy=False,
    ),
    Case(
        "take",
        lambda xp, a, i: xp.take(a, i, axis=0),
        (_ex((3, 2), "complex128"), _idx((4,), 3)),
        plain_numpy=False,
    ),
    Case(
        "take_along_axis",
        lambda xp, a, i: xp.take_along_axis(a, i, axis=1),
        (_x45, _idx((4, 3), 5)),
    ),
    Case(
        "take_along_axis",
        lambda xp, a, i: xp.take_along_axis(a, i, axis=0),
        (_i45, _idx((2, 1), 4)),
    ),
    Case(
        "take_along_axis", lambda xp, a, i: xp.take_along_axis(a, i, None), (_x45, _idx((6,), 20))
    ),
    Case(
        "take_along_axis",
        lambda xp, a: xp.take_along_axis(a, xp.argsort(a, axis=1), axis=1),
        (_ex((3, 4), "int8", -5, 5),),
    ),
    Case(
        "put_along_axis",
        _functional("put_along_axis", axis=1),
        (_x45, _idx((4, 2), 5, False), _ex((4, 2))),
        plain_numpy=False,
    ),
    Case(
        "put_along_axis",
        _functional("put_along_axis", axis=0),
        (_i45, _idx((3, 5), 4), _ex((1, 5), "int16", -9, 9)),
        plain_numpy=False,
    ),
    Case(
        "put_along_axis",
        _functional("put_along_axis", axis=None),
        (_x45, _idx((3,), 20), 7.5),
        plain_numpy=False,
    ),
    Case("put", _functional("put"), (_x45, _idx((4,), 20), _ex((2,))), plain_numpy=False),
    Case(
        "put",
        _functional("put", mode="wrap"),
        (_i45, _idx((2, 2), 40), _ex((3,), "int16", -5, 5)),
        plain_numpy=False,
    ),
    Case("put", _functional("put", mode="clip"), (_x45, _idx((3,), 40), 1.25), plain_numpy=False),
    Case(
        "putmask",
        _functional("putmask"),
        (_x45, _ex((4, 5), "bool"), _ex((3,))),
        plain_numpy=False,
    ),
    Case(
        "putmask",
        _functional("putmask"),
        (_i45, _ex((4, 5), "bool"), _ex((4, 5), "int16", -3, 3)),
        plain_numpy=False,
    ),
    Case(
        "place",
        _functional("place"),
        (_x45, _ex((4, 5), "bool"), _ex((3,))),
        plain_numpy=False,
    ),
    Case(
        "place",
        _functional("place"),
        (_ex((6,), "int32", -5, 5), _ex((6,), "bool"), _ex((6,), "int32", 10, 20)),
        plain_numpy=False,
    ),
    Case(
        "fill_diagonal",
        _functional("fill_diagonal"),
        (_ex((5, 3)), _ex((2,))),
        plain_numpy=False,
    ),
    Case(
        "fill_diagonal",
        _functional("fill_diagonal", wrap=True),
        (_ex((7, 3), "int64", -9, 9), 4),
        plain_numpy=False,
    ),
    Case(
        "fill_diagonal",
        _functional("fill_diagonal"),
        (_ex((3, 3, 3)), _ex(())),
        plain_numpy=False,
    ),
    Case(
        "choose",
        lambda xp, i, a, b, c: xp.choose(i, [a, b, c]),
        (_idx((4,), 3, False), _ex((4,)), _ex((2, 4)), _ex(())),
    ),
    Case(
        "choose",
        lambda xp, i, a, b: xp.choose(i, [a, b], mode="wrap"),
        (_idx((3,), 5), _ex((3,), "int8", -5, 5), _ex((3,), "int32", -5, 5)),
    ),
    Case("choose", lambda xp, i, c: xp.choose(i, c, mode="clip"), (_idx((3,), 5), _ex((2, 3)))),
    Case("choose", lambda xp, i, c: xp.choose(i, c), (_idx((3,), 2, False), _ex((2, 3), "bool"))),
    Case(
        "select",
        lambda xp, a, b: xp.select([a > 0.5, a < -0.5], [a, b], default=-1.0),
        (_ex((5,)), _ex((5,))),
    ),
    Case(
        "select",
        lambda xp, a, b: xp.select([a > 0, b > 0], [a, b]),
        (_ex((2, 3), "int8", -9, 9), _ex((3,), "int16", -9, 9)),
    ),
    Case(
        "select",
        lambda xp, c, b: xp.select([c], [b], 0.5),
        (_ex((4,), "bool"), _ex((4,), "float32")),
    ),
    Case("compress", lambda xp, a: xp.compress([True, False, True], a, axis=1), (_x45,)),
    Case("compress", lambda xp, a: xp.compress(np.array([0, 1, 1, 0, 1]), a), (_i45,)),
    Case("compress", lambda xp, a: a.compress([False, True], axis=0), (_ex((2, 3), "bool"),)),
    Case("diagonal", lambda xp, a: xp.diagonal(a), (_x45,)),
    Case("diagonal", lambda xp, a: xp.diagonal(a, 2), (_i45,)),
    Case("diagonal", lambda xp, a: xp.diagonal(a, -1, 2, 0), (_ex((3, 2, 4)),)),
    Case("diagonal", lambda xp, a: xp.diagonal(a, 0, 1, 2), (_ex((2, 3, 3), "complex128"),)),
    Case("diagonal", lambda xp, a: a.diagonal(9), (_x45,)),
    Case("diag", lambda xp, v: xp.diag(v), (_ex((3,)),)),
    Case("diag", lambda xp, v: xp.diag(v, -2), (_ex((2,), "int8", -9, 9),)),
    Case("diag", lambda xp, v: xp.diag(v, 1), (_x45,)),
    Case("diag", lambda xp, v: xp.diag(v), (_ex((3,), "bool"),)),
    Case("diagflat", lambda xp, v: xp.diagflat(v, 1), (_ex((2, 2)),)),
    Case("diagflat", lambda xp, v: xp.diagflat(v), (_ex((3,), "int32", -5, 5),)),
    Case("tril", lambda xp, a: xp.tril(a), (_x45,)),
    Case("tril", lambda xp, a: xp.tril(a, -1), (_ex((2, 3, 3), "int8", -9, 9),)),
    Case("tril", lambda xp, a: xp.tril(a, 1), (_ex((3, 3), "bool"),)),
    Case("triu", lambda xp, a: xp.triu(a, 1), (_x45,)),
    Case("triu", lambda xp, a: xp.triu(a, -2), (_ex((4,), "uint8", 0, 9),)),
    Case("trace", lambda xp, a: xp.trace(a), (_x45,)),
    Case("trace", lambda xp, a: xp.trace(a, 1, dtype=np.float32), (_i45,)),
    Case("trace", lambda xp, a: a.trace(0, 0, 2), (_ex((3, 2, 3), "int8", -5, 5),)),
    Case("trace", lambda xp, a: xp.trace(a, -1), (_ex((3, 3), "bool"),)),
    Case("set_at", _set_at, (_x45, _idx((3,), 4), _ex((3, 5))), plain_numpy=False),
    Case("set_at", _set_at, (_i45, _idx((6,), 4), 3), plain_numpy=False),
    Case("add_at", _np_at(np.add), (_ex((5,)), _idx((7,), 5), _ex((7,))), plain_numpy=False),
    Case(
        "add_at",
        _np_at(np.add),
        (_ex((4, 3), "int32", -9, 9), _idx((6,), 4), _ex((3,), "int32", -9, 9)),
        plain_numpy=False,
    ),
    Case(
        "subtract_at",
        _np_at(np.subtract),
        (_ex((5,)), _idx((7,), 5), _ex((7,))),
        plain_numpy=False,
    ),
    Case(
        "multiply_at",
        _np_at(np.multiply),
        (_ex((5,)), _idx((4,), 5), _ex((), "float64", 0.5, 1.5)),
        plain_numpy=False,
    ),
    Case(
        "divide_at",
        _np_at(np.divide),
        (_ex((5,)), _idx((3,), 5), _ex((3,), "float64", 1.0, 2.0)),
        plain_numpy=False,
    ),
    Case(
        "maximum_at",
        _np_at(np.maximum),
        (_ex((5,), "int8", -9, 9), _idx((6,), 5), _ex((6,), "int8", -9, 9)),
        plain_numpy=False,
    ),
    Case(
        "minimum_at", _np_at(np.minimum), (_ex((5,)), _idx((6,), 5), _ex((6,))), plain_numpy=False
    ),
    Case("ufunc_at", _ufunc_at, (_x45, _idx((3,), 4), _ex((5,))), plain_numpy=False),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_case(case: Case) -> None:
    run_case(case)


def test_plain_numpy_take() -> None:
    fun = lambda a, i: (np.take(a, i, axis=1), a.take(i, mode="wrap"))  # noqa: E731
    assert _check_batched_x(fun, _x45, _idx((2, 3), 5)) > 0


def test_every_exported_name_has_a_case() -> None:
    mine = set(selection.__all__) | set(updates.__all__) - {"copyto"}
    mine |= set(matrices.__all__) - {"tri", "vander"}
    assert mine <= {c.name for c in CASES}


# --------------------------------------------------------------- in-place NumPy spellings


def _check_batched_x(fun, *args) -> int:
    """``check_vmap`` with the first argument (the array written into) always batched: a
    plain NumPy array cannot take per-example values (``ndarray.__setitem__`` has no hook)."""
    combos = itertools.product([0, -1], *(axis_choices(a) for a in args[1:]))
    return check_vmap(fun, *args, in_axes=list(combos), transforms=tuple(TRANSFORMS))


_x = _ex((4, 5))
_xi = _ex((4, 5), "int32", -50, 50)
_rep = np.array([1, -3, 1, 0, 1, 3])  # repeated positions: row 1 three times


def _assign(index):
    def fun(x, v):
        x = x.copy()
        x[index] = v
        return x

    return fun


@pytest.mark.parametrize(
    ("index", "value"),
    [
        (0, _ex((5,))),
        ((1, 2), 7.5),
        ((slice(1, 3), slice(None, None, 2)), _ex((2, 3))),
        ((Ellipsis, 1), _ex((4,))),
        ((slice(None), [0, 4, 0]), _ex((4, 3))),  # repeated column 0: the last write stays
        (([0, 2], [[1], [3]]), _ex((2, 2))),
        ((np.array([True, False, True, False]),), _ex((5,))),
        ((None, 2), _ex((1, 5))),
        (_rep, _ex((6, 5))),
    ],
)
def test_setitem_with_concrete_index(index, value) -> None:
    assert _check_batched_x(_assign(index), _x, value) > 0


def test_setitem_with_batched_index_and_value() -> None:
    def fun(x, i, v):
        x = x.copy()
        x[i] = v
        return x

    assert _check_batched_x(fun, _x, _rep, _ex((6, 5))) > 0
    assert _check_batched_x(fun, _x, _ex((2, 3), "int64", -4, 4), _ex((3, 5))) > 0


def test_setitem_with_batched_index_among_slices() -> None:
    def fun(x, i, j, v):
        x = x.copy()
        x[i, 1:4, j] = v  # split array entries: NumPy puts their axes first
        return x

    x = _ex((3, 5, 4))
    assert _check_batched_x(fun, x, _idx((2,), 3), _idx((2,), 4), _ex((2, 3))) > 0


def test_repeated_indices_keep_the_last_write() -> None:
    def fun(x, i, v):
        x = x.copy()
        x[i] = v
        return x

    xs = np.zeros((2, 3))
    i = np.array([[0, 0, 2], [1, 1, 1]])
    v = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    got = autovec.vmap(fun)(xs, i, v)
    np.testing.assert_array_equal(got, [[2.0, 0.0, 3.0], [0.0, 6.0, 0.0]])


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/=", "//=", "%=", "**="])
def test_augmented_assignment_through_an_index(op) -> None:
    code = f"def fun(x, i, v):\n    x = x.copy()\n    x[i] {op} v\n    return x\n"
    scope: dict = {}
    exec(code, scope)  # one function per operator, written as a user writes it
    fun = scope["fun"]
    x = _ex((4, 5), "float64", 0.5, 2.0)
    assert _check_batched_x(fun, x, np.array([2, 0, 3]), _ex((3, 5), "float64", 0.5, 2.0)) > 0


def test_augmented_assignment_with_repeated_indices_is_buffered() -> None:
    # NumPy's x[i] += v reads once and writes once: a repeated index gets one increment.
    def fun(x, i, v):
        x = x.copy()
        x[i] += v
        return x

    assert _check_batched_x(fun, _xi, np.array([0, 0, 1, 0]), _ex((4, 5), "int32", -9, 9)) > 0


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "&=", "|=", "^=", "<<=", ">>="])
def test_inplace_operators_on_integers(op) -> None:
    code = f"def fun(x, v):\n    y = x\n    y {op} v\n    return x\n"
    scope: dict = {}
    exec(code, scope)
    # y is x: the in-place operator updates the value both names hold, as NumPy does.
    assert _check_batched_x(scope["fun"], _xi, _ex((5,), "int32", 0, 4)) > 0


def test_ufunc_at_accumulates_repeated_indices() -> None:
    def fun(x, i, v):
        x = x.copy()
        np.add.at(x, i, v)
        np.maximum.at(x, i[:2], 1.0)
        np.negative.at(x, i[-1:])
        return x

    assert _check_batched_x(fun, _ex((6,)), np.array([1, 1, 5, 1, 0]), _ex((5,))) > 0
    xs = np.zeros((2, 3))
    got = autovec.vmap(fun, in_axes=(0, None, None))(xs, np.array([0, 0, 2, 0, 1]), np.ones(5))
    np.testing.assert_array_equal(got, [[3.0, -1.0, 1.0]] * 2)


def test_masked_assignment_with_a_batched_mask() -> None:
    def clip_negative(x):
        x = x.copy()
        x[x < 0] = 0
        return x

    def rows(x, m, v):
        x = x.copy()
        x[m] = v  # a mask over the first axis: each selected row takes v
        return x

    assert _check_batched_x(clip_negative, _x) > 0
    assert _check_batched_x(rows, _x, _ex((4,), "bool"), _ex((5,))) > 0


def test_read_modify_write_through_a_batched_mask() -> None:
    def flip_negative(x):
        x = x.copy()
        x[x < 0] *= -1
        return x

    def roots(x):
        x = x.copy()
        x[x > 0] = np.sqrt(x[x > 0])  # two masks, equal per example; no NaN warning
        x[x < -1] = np.log(-x[x < -1]) + 2 * x[x < -1]
        return x

    def shifted(x, y):
        # different masks selecting equal counts: the k-th selected of x takes the k-th of y
        x = x.copy()
        x[x > 0] = y[x[::-1] > 0]
        return x

    assert _check_batched_x(flip_negative, _x) > 0
    assert _check_batched_x(roots, _x) > 0  # the conftest turns NumPy warnings into errors
    y_batched = [(0, 0), (0, -1), (-1, 0)]
    assert check_vmap(shifted, _x[0], _x[1], in_axes=y_batched, transforms=tuple(TRANSFORMS)) > 0


def test_values_read_through_a_batched_mask_refuse_other_uses() -> None:
    # (x[mask].sum() and .mean() are vectorised: tests/test_datadependent_split.py)
    for fun in (
        lambda x: x[x > 0].shape,
        lambda x: x[x > 0] + np.ones(3),
        lambda x: anp.set_at(x, 0, x[x > 0]),
    ):
        with pytest.raises(errors.DataDependentShapeError, match="per example"):
            autovec.vmap(fun, fallback="error")(_ex((2, 3)))

    def int_plus_float(x):
        x = x.copy()
        x[x > 0] += 1.5  # an integer array cannot take floats in place, as in NumPy
        return x

    with pytest.raises(TypeError, match="Cannot cast"):
        autovec.vmap(int_plus_float)(_ex((2, 3), "int64", -5, 5))


def test_inplace_methods_update_the_value_and_return_none() -> None:
    def fun(x):
        y = x.copy()
        results = (y.sort(), y.partition(2), y.put([0, 1], [9.0, 8.0]), y.fill(0.5))
        assert all(r is None for r in results)
        z = x.copy()
        z.sort()
        return x, y, z

    xs = _ex((3, 6))
    x_out, y_out, z_out = autovec.vmap(fun)(xs)
    np.testing.assert_array_equal(x_out, xs)  # the copies were updated, not x
    np.testing.assert_array_equal(y_out, np.full((3, 6), 0.5))
    np.testing.assert_array_equal(z_out, np.sort(xs, axis=1))
    assert _check_batched_x(lambda x: fun(x)[2], xs[0]) > 0


def test_names_bound_to_the_same_value_see_the_update() -> None:
    def fun(x, v):
        y = x  # the same object, as in NumPy
        y[0] = v
        return x

    got = autovec.vmap(fun)(np.zeros((2, 3)), np.array([1.0, 2.0]))
    np.testing.assert_array_equal(got, [[1.0, 0.0, 0.0], [2.0, 0.0, 0.0]])


def test_views_taken_before_an_update_see_it_as_in_numpy() -> None:
    # A view shares the write, as NumPy's shared memory does (tests/test_inplace.py has more).
    def fun(x):
        row = x[0]
        x[0, 0] = 5.0
        return row, x

    row, x = autovec.vmap(fun)(np.zeros((2, 2, 2)))
    np.testing.assert_array_equal(row, [[5.0, 0.0], [5.0, 0.0]])
    np.testing.assert_array_equal(x[:, 0, 0], [5.0, 5.0])


def test_np_functions_writing_into_a_traced_array() -> None:
    def fun(x, i, v):
        x = x.copy()
        np.put_along_axis(x, i, v, axis=1)
        np.put(x, [0], [-1.0])
        np.fill_diagonal(x, 3.0)
        np.putmask(x, x > 1.5, 0.0)
        np.place(x, x < -1.5, [7.0, 8.0])
        return x

    assert _check_batched_x(fun, _x, _idx((4, 2), 5, False), _ex((4, 2))) > 0


def test_ufunc_accumulate_on_traced_values() -> None:
    x = _ex((3, 4), "int8", -9, 9)
    for ufunc in (np.add, np.multiply, np.maximum, np.logical_xor):
        got = autovec.vmap(lambda r, u=ufunc: u.accumulate(r))(x)
        want = ufunc.accumulate(x, axis=1)
        assert got.dtype == want.dtype  # int64 for add/multiply, int8 for maximum
        np.testing.assert_array_equal(got, want)
    assert check_vmap(lambda r: np.maximum.accumulate(r, axis=0), _x) > 0
    assert check_vmap(lambda r: np.add.accumulate(r, dtype=np.float32), _xi) > 0


# ------------------------------------------------------------------------------- errors


def test_setitem_value_conversion_errors_are_numpys() -> None:
    def put(v):
        def fun(x):
            x = x.copy()
            x[0] = v
            return x

        return fun

    xi8 = np.zeros((2, 3), np.int8)
    with pytest.raises(OverflowError):
        autovec.vmap(put(300))(xi8)
    with pytest.raises(ValueError, match="NaN"):
        autovec.vmap(put(np.nan))(xi8)
    got = autovec.vmap(put(2.7))(xi8)  # floats truncate into integers, as in NumPy
    np.testing.assert_array_equal(got[:, 0], [2, 2])
    with pytest.raises(ValueError, match="could not be broadcast"):
        autovec.vmap(put(np.ones(4)))(xi8)


def test_inplace_operator_errors_are_numpys() -> None:
    def add_float(x):
        x += 1.5
        return x

    def widen(x):
        x += np.ones((2, 3))
        return x

    with pytest.raises(TypeError, match="Cannot cast"):
        autovec.vmap(add_float)(np.zeros((2, 3), np.int64))
    with pytest.raises(ValueError, match="non-broadcastable output"):
        autovec.vmap(widen)(np.zeros((2, 3)))


def test_inner_value_cannot_be_written_into_an_outer_value() -> None:
    def outer(x):
        def inner(v):
            x[0] = v
            return x

        return autovec.vmap(inner)(np.arange(3.0))

    # x is shared by the inner examples: the loop would write it once per inner example.
    with pytest.raises(errors.SharedStateWriteError, match="set_at"):
        autovec.vmap(outer)(np.zeros((2, 4)))

    def functional(x):
        return autovec.vmap(lambda v: anp.set_at(x, 0, v))(np.arange(3.0))

    got = autovec.vmap(functional)(np.zeros((2, 4)))
    np.testing.assert_array_equal(got[:, :, 0], [[0.0, 1.0, 2.0]] * 2)
    assert got.shape == (2, 3, 4)


def test_writing_traced_values_into_plain_arrays_is_refused() -> None:
    def along(i):
        x = np.zeros((2, 3))
        np.put_along_axis(x, i, 1.0, axis=1)
        return x

    def at(v):
        x = np.zeros(3)
        np.add.at(x, [0, 1], v)
        return x

    i = np.zeros((4, 2, 1), np.int64)
    with pytest.raises(errors.UnsupportedOperationError, match="inplace=False"):
        autovec.vmap(along)(i)
    with pytest.raises(errors.UnsupportedOperationError, match="ufunc_at"):
        autovec.vmap(at)(np.ones((4, 2)))
    got = autovec.vmap(lambda i: anp.put_along_axis(np.zeros((2, 3)), i, 1.0, 1, inplace=False))(i)
    np.testing.assert_array_equal(got[:, :, 0], np.ones((4, 2)))


def test_data_dependent_updates_are_refused() -> None:
    def masked_array_value(x, v):
        x = x.copy()
        x[x > 0] = v  # one value per true entry: a count that differs per example
        return x

    with pytest.raises(errors.DataDependentShapeError, match="per example"):
        autovec.vmap(masked_array_value)(_ex((2, 4)), _ex((2, 4)))
    with pytest.raises(errors.DataDependentShapeError, match="compress"):
        autovec.vmap(lambda x: anp.compress(x > 0, x))(_ex((2, 4)))


def test_bad_indices_raise_numpys_errors() -> None:
    with pytest.raises(IndexError):
        autovec.vmap(lambda a, i: anp.take(a, i))(_ex((2, 3)), np.array([[0, 5], [1, 1]]))
    with pytest.raises(TypeError, match="integers"):
        autovec.vmap(lambda a, i: anp.take(a, i))(_ex((2, 3)), _ex((2, 2)))
    with pytest.raises(ValueError, match="same number of dimensions"):
        autovec.vmap(lambda a, i: anp.take_along_axis(a, i, 0))(
            _ex((2, 3)), np.zeros((2, 3, 1), int)
        )
    with pytest.raises(ValueError, match="invalid entry in choice array"):
        autovec.vmap(lambda i: anp.choose(i, [np.ones(2), np.zeros(2)]))(np.array([[0, 2]]))
    with pytest.raises(TypeError, match="boolean"):
        autovec.vmap(lambda a: anp.select([a], [a]))(_ex((2, 3)))


# ------------------------------------------------------------------- drawn (hypothesis)

_DTYPES = ["float64", "float32", "int8", "int64", "uint8", "bool", "complex128"]


@settings(max_examples=25)
@given(data=st.data())
def test_drawn_updates_match_the_loop(data) -> None:
    dtype = data.draw(st.sampled_from(_DTYPES), label="dtype")
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3), label="shape"))
    axis = data.draw(st.integers(0, len(shape) - 1), label="axis")
    count = data.draw(st.integers(0, 6), label="count")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x = _ex(shape, dtype, -9, 9, rng)
    i = _idx((count,), shape[axis], rng=rng)  # repeated indices are likely
    v = _ex(shape[:axis] + (count,) + shape[axis + 1 :], dtype, -9, 9, rng)
    lead = (slice(None),) * axis

    def assign(x, i, v):
        x = x.copy()
        x[(*lead, i)] = v
        return x

    def accumulate(x, i, v):
        x = x.copy()
        np.add.at(x, (*lead, i), v)
        return x

    combos = list(itertools.product([0, -1], [None, 0], [None, 0, -1]))
    assert check_vmap(assign, x, i, v, in_axes=combos, batch_sizes=(0, 3)) > 0
    assert check_vmap(accumulate, x, i, v, in_axes=combos, batch_sizes=(3,)) > 0
