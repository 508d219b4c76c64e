"""Writes through views under jit: a staged view is linked to its base, as eager vmap's are.

Every view-making operation crossed with every kind of write, under ``jit(f)`` (against
NumPy itself), ``vmap(jit(f))`` and ``jit(vmap(f))`` (against the loop): a write through the
view reaches the base, and a write into the base reaches a view taken before it.  A write
that NumPy refuses (a read-only view) raises NumPy's error; none is silently lost.
"""

from __future__ import annotations

import numpy as np
import pytest

import autovec
from autovec.errors import AutovecError, UnsupportedOperationError
from autovec.testing import check_vmap

X = np.arange(12.0).reshape(3, 4)
Z = X + 1j * X[::-1]

VIEWS = {
    "slice": lambda x: x[1:],
    "strided slice": lambda x: x[:, ::2],
    "step": lambda x: x[::2],
    "row": lambda x: x[1],
    "column": lambda x: x[..., 1],
    "new axis": lambda x: x[None],
    "ellipsis": lambda x: x[...],
    "0-d": lambda x: x[1, 2, ...],
    ".T": lambda x: x.T,
    "transpose": lambda x: np.transpose(x),
    "swapaxes": lambda x: np.swapaxes(x, 0, 1),
    "moveaxis": lambda x: np.moveaxis(x, 0, -1),
    "reshape": lambda x: x.reshape(2, 6),
    "reshape -1": lambda x: np.reshape(x, -1),
    "ravel": lambda x: np.ravel(x),
    "ravel of .T (a copy)": lambda x: x.T.ravel(),
    "squeeze": lambda x: np.squeeze(x[None]),
    "expand_dims": lambda x: np.expand_dims(x, 1),
    "atleast_3d": lambda x: np.atleast_3d(x),
    "flip": lambda x: np.flip(x, 0),
    "rot90": lambda x: np.rot90(x),
    "split": lambda x: np.split(x, 2, axis=1)[1],
    "array_split": lambda x: np.array_split(x, 3)[1],
    "unstack": lambda x: np.unstack(x)[1],
    "mT": lambda x: x.mT,
    "real of real": lambda x: x.real,
    "view of a view": lambda x: x[1:].T[::-1],
    "reshape, slice, .T": lambda x: x.reshape(2, 6)[:, 1:].T,
    "einsum diagonal": lambda x: np.einsum("ii->i", x[:, 1:]),
    "reshape of a slice": lambda x: x[1:].reshape(-1),
    "diagonal (read-only)": lambda x: np.diagonal(x),
    "broadcast_to (read-only)": lambda x: np.broadcast_to(x, (2, 3, 4)),
    "imag of real (read-only)": lambda x: x.imag,
    "copy": lambda x: x.copy(),
    "flatten": lambda x: x.flatten(),
}
COMPLEX_VIEWS = {
    "real": lambda z: z.real,
    "imag": lambda z: z.imag,
    "imag slice": lambda z: z.imag[1:],
    ".T.imag": lambda z: z.T.imag,
}


def _setitem(v, index, value):
    v[index] = value


def _iadd(v):
    v += 1


def _imul(v):
    v *= v


WRITES = {
    "v[...] = ": lambda v: _setitem(v, ..., -v * 10),
    "v[0] = ": lambda v: _setitem(v, 0, 7.0),
    "v[mask] = ": lambda v: _setitem(v, v > 5, 0.0),
    "v[[0]] = ": lambda v: _setitem(v, [0], -3.0),
    "+=": _iadd,
    "*= itself": _imul,
    "copyto": lambda v: np.copyto(v, v * 3 + 1),
    "add.at": lambda v: np.add.at(v, 0, 1.0),
    "sort": lambda v: v.sort(),
    "fill": lambda v: v.fill(3.0),
    "put": lambda v: np.put(v, [0], 9.0),
    "putmask": lambda v: np.putmask(v, v > 5, 0.0),
}
# NumPy's ufunc.at writes into a read-only diagonal (it ignores the flag); autovec raises
# NumPy's read-only error there, as for every other write.
SKIP = {("diagonal (read-only)", "add.at")}


def _through(view, write):
    def f(x):
        x = x.copy()
        write(view(x))
        return x

    return f


def _into_base(view, write):
    def f(x):
        x = x.copy()
        v = view(x)
        write(x)
        return v * 1  # what the view shows now (a copy: views are not returned)

    return f


def _eager(f, x):
    try:
        return f(x.copy()), None
    except Exception as e:  # noqa: BLE001 -- the error the transformations must give too
        return None, e


def _check_all(f, example):
    """``jit(f)`` against NumPy, ``vmap(jit(f))`` and ``jit(vmap(f))`` against the loop; where
    NumPy raises, each raises the same type of error (or a specific autovec error)."""
    want, err = _eager(f, example)
    batch = np.stack([example, example[::-1] * 2, example + 1])
    if err is not None:
        for g, arg in (
            (autovec.jit(f), example),
            (autovec.vmap(autovec.jit(f)), batch),
            (autovec.jit(autovec.vmap(f)), batch),
        ):
            with pytest.raises((type(err), AutovecError)):
                g(arg.copy())
        return
    got = autovec.jit(f)(example.copy())
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert check_vmap(
        f, example, in_axes=[(0,)], batch_sizes=(3,), transforms=("vmap_jit", "jit_vmap")
    ), "no case ran"


CASES = [
    (view, write, example)
    for views, example in ((VIEWS, X), (COMPLEX_VIEWS, Z))
    for view in views
    for write in WRITES
    if (view, write) not in SKIP
]


@pytest.mark.parametrize("view,write,example", CASES, ids=[f"{v}|{w}" for v, w, _ in CASES])
def test_a_write_through_a_view_reaches_the_base(view, write, example):
    views = COMPLEX_VIEWS if example is Z else VIEWS
    _check_all(_through(views[view], WRITES[write]), example)


BASE_WRITES = ("v[...] = ", "v[0] = ", "+=")


@pytest.mark.parametrize("view", sorted(VIEWS))
@pytest.mark.parametrize("write", BASE_WRITES)
def test_a_write_into_the_base_reaches_its_views(view, write):
    _check_all(_into_base(VIEWS[view], WRITES[write]), X)


# ----------------------------------------------------------------- the red-team's examples


def test_the_examples_of_the_issue_under_plain_jit():
    def transpose(x):
        y = x.T
        y[0] = 7.0
        return x

    def slice_add(x):
        v = x[1:]
        v += 1
        return x

    def imag(z):
        z.imag[:] = 5
        return z

    def reshape(x):
        x.reshape(2, 6)[0, 1] = -1.0
        return x

    for f, example in ((transpose, X), (slice_add, X), (imag, Z), (reshape, X)):
        np.testing.assert_array_equal(autovec.jit(f)(example.copy()), f(example.copy()))


def test_views_of_views_see_writes_through_siblings():
    def f(x):
        x = x.copy()
        a = x[:, 1:]
        b = x[1:, :]
        c = b.T
        a[0] = 7.0  # reaches x, then b and c
        c[2] += 100.0  # reaches b, x, then a
        return a * 1, b * 1, c * 1, x

    for got, want in zip(autovec.jit(f)(X.copy()), f(X.copy())):
        np.testing.assert_array_equal(got, want)
    check_vmap(f, X, in_axes=[(0,)], batch_sizes=(3,), transforms=("vmap_jit", "jit_vmap"))


def test_a_view_kept_across_a_loop_sees_every_write():
    def f(x):
        y = x * 1.0
        row = y[0:1]  # a view of y, read at the end
        first = y[0]  # a NumPy scalar: a copy
        for i in range(1, len(x)):
            y[i] = y[i - 1] + x[i]
            y[0] += 1
        return row * 1, first * 1

    x = np.arange(6.0)
    for got, want in zip(autovec.jit(f)(x), f(x.copy())):
        np.testing.assert_array_equal(got, want)
    check_vmap(f, x, in_axes=[(0,)], batch_sizes=(3,), transforms=("vmap_jit", "jit_vmap"))


def test_a_zero_d_view_is_written_in_place_by_an_operator():
    def f(x):
        x = x.copy()
        v = x[1, ...]  # a 0-d view (x[1] would be a NumPy scalar)
        v += 10
        v *= 2
        return x

    x = np.arange(4.0)
    np.testing.assert_array_equal(autovec.jit(f)(x), f(x.copy()))
    check_vmap(f, x, in_axes=[(0,)], batch_sizes=(3,), transforms=("vmap", "vmap_jit", "jit_vmap"))


def test_a_view_returned_by_a_jitted_function_is_linked_to_its_argument():
    first_rows = autovec.jit(lambda a: a[1:])

    def f(x):
        x = x.copy()
        v = first_rows(x)
        v += 1  # reaches x, as it does eagerly (jit returns a view of x there)
        return x

    np.testing.assert_array_equal(f(X.copy()), X + (np.arange(3) > 0)[:, None])
    check_vmap(f, X, in_axes=[(0,)], batch_sizes=(3,), transforms=("vmap", "jit_vmap", "vmap_jit"))


def test_a_write_into_a_read_only_view_raises_under_jit():
    def f(x):
        np.diagonal(x)[0] = 1.0
        return x

    for g in (autovec.jit(f), autovec.vmap(autovec.jit(f))):
        with pytest.raises(ValueError, match="read-only"):
            g(np.stack([X[:, :3], X[:, 1:]]))


def test_a_write_into_a_view_of_an_enclosing_value_raises():
    def f(x):
        @autovec.jit
        def bump():
            v = x[1:]  # a view of a value batched by the vmap outside this jit
            v += 1
            return v

        bump()
        return x

    with pytest.raises(UnsupportedOperationError, match="view"):
        autovec.vmap(f)(np.stack([X, X]))


# ------------------------------------------------- errors a compiled program raises at run time
# A compiled program cannot run the function's ``except`` branch: a call whose program raises
# runs again as the function itself, where the error is raised inside it, as without jit.

SINGULAR = np.stack([np.eye(2), np.zeros((2, 2)), 2 * np.eye(2), np.ones((2, 2))])


def _inverse_or_zeros(m):
    try:
        return np.linalg.inv(m)
    except np.linalg.LinAlgError:
        return np.zeros_like(m)


def _log_or_minus_one(x):
    try:
        with np.errstate(divide="raise"):
            return np.log(x)
    except FloatingPointError:
        return x * 0 - 1


def _item_or_zero(x, i):
    try:
        return x[i] * 2
    except IndexError:
        return x[0] * 0


@pytest.mark.parametrize(
    "fun,example",
    [
        (_inverse_or_zeros, SINGULAR),
        (_log_or_minus_one, np.array([[1.0, 2.0], [0.0, 3.0], [4.0, 5.0]])),
    ],
)
def test_an_except_branch_runs_per_example_as_in_the_loop(fun, example):
    want = np.stack([fun(e) for e in example])
    jitted = autovec.jit(fun)
    for _ in range(2):  # traced, then cached
        np.testing.assert_array_equal(np.stack([jitted(e) for e in example]), want)
        for g in (
            autovec.vmap(jitted),
            autovec.jit(autovec.vmap(fun)),
            autovec.jit(autovec.vmap(jitted)),
        ):
            np.testing.assert_array_equal(g(example), want)


def test_an_index_error_at_run_time_is_caught_by_the_function():
    x = np.arange(3.0)
    jitted = autovec.jit(_item_or_zero)
    assert jitted(x, np.int64(1)) == 2.0
    assert jitted(x, np.int64(5)) == 0.0  # the cached program raises; the function catches


def test_only_a_call_whose_program_raises_runs_again():
    runs = []

    def f(m):
        runs.append(1)
        return _inverse_or_zeros(m)

    jitted = autovec.jit(f)
    jitted(SINGULAR[0])
    assert len(runs) == 1  # traced once
    jitted(SINGULAR[2])
    assert len(runs) == 1  # the cached program
    np.testing.assert_array_equal(jitted(SINGULAR[1]), np.zeros((2, 2)))
    assert len(runs) == 2  # the program raised: f ran once more, on that call


def test_an_error_the_function_does_not_catch_still_names_the_equation():
    with pytest.raises(np.linalg.LinAlgError) as info:
        autovec.jit(np.linalg.inv)(np.zeros((2, 2)))
    assert any("while executing" in note for note in getattr(info.value, "__notes__", ()))
