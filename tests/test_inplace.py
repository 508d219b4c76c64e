"""In-place writes under vmap: they cost per-example work where vmap owns the buffer, and
they never reach an array that something else still reads."""

from __future__ import annotations

import numpy as np
import pytest

import autovec
import autovec.numpy as anp
from autovec.testing import check_vmap


def _loop(f, *args):
    return np.stack([f(*a) for a in zip(*args)])


# ------------------------------------------------------------------- per-example writes


def recurrence(x):
    y = x.copy()
    for i in range(1, len(x)):
        y[i] = 0.5 * y[i - 1] + x[i]
    return y


def test_recurrence_equals_the_loop_and_leaves_the_input_alone():
    xs = np.random.default_rng(0).random((7, 40))
    before = xs.copy()
    got = autovec.vmap(recurrence)(xs)
    assert np.array_equal(xs, before)
    np.testing.assert_allclose(got, _loop(recurrence, xs.copy()), rtol=1e-14)
    np.testing.assert_allclose(
        autovec.jit(autovec.vmap(recurrence))(xs), _loop(recurrence, xs.copy()), rtol=1e-14
    )
    assert np.array_equal(xs, before)


def test_an_owned_buffer_is_written_in_place():
    """After the first write (which copies: the buffer is the caller's), every write goes
    into the same buffer."""
    buffers = []

    def f(x):
        y = x.copy()
        for i in range(4):
            y[i] = x[i] * 2.0
            buffers.append(id(y.val))  # not the array: a reference would make it shared
        return y

    xs = np.arange(12.0).reshape(3, 4)
    out = autovec.vmap(f)(xs)
    assert np.array_equal(out, xs * 2)
    assert buffers[0] != id(xs)
    assert buffers[1:] == buffers[:1] * 3
    assert np.array_equal(xs, np.arange(12.0).reshape(3, 4))


def test_an_integer_array_index_writes_in_place_too():
    buffers = []

    def f(x):
        y = x * 1.0
        for i in range(3):
            y[np.array([i, i + 1])] = x[i]
            if hasattr(y, "val"):
                buffers.append(id(y.val))
        y[np.array([3, 0, 3])] += 1.0  # repeated positions: the last write wins, as in NumPy
        return y

    xs = np.arange(12.0).reshape(3, 4)
    _writes(f, xs)
    assert len(buffers) == 3 and len(set(buffers)) == 1


def _writes(f, xs, **kw):
    want = _loop(f, xs.copy())
    got = autovec.vmap(f, **kw)(xs.copy())
    np.testing.assert_array_equal(got, want)


def test_a_buffer_another_value_reads_is_not_overwritten():
    def copy_then_write(x):
        y = x * 1.0
        z = y.copy()  # shares y's batch under vmap: must not see the write
        y[0] = -1.0
        return np.stack([y, z])

    def alias_then_write(x):
        y = x * 1.0
        w = y  # the same array: it does see the write, as in NumPy
        y[1] = -2.0
        return np.stack([y, w])

    xs = np.arange(12.0).reshape(3, 4)
    for f in (copy_then_write, alias_then_write):
        _writes(f, xs)


@pytest.mark.parametrize("in_axes", [0, 1, -1])
def test_writes_with_any_batch_axis(in_axes):
    def f(x):
        y = x + 0.0
        y[0] = 7.0
        y[1:3] = x[:2] * 2
        y[-1, 1:] += 1.0
        return y

    n = check_vmap(
        f, np.arange(12.0).reshape(3, 4), in_axes=[(in_axes,)], transforms=("vmap", "jit_vmap")
    )
    assert n > 0


def test_value_casting_and_shapes_as_numpy():
    def f(x):
        y = (x * 10).astype(np.int32)
        y[0] = x[1] * 2.5  # float into int: truncated, as NumPy's assignment casts
        y[1:3] = x[0]  # a scalar per example broadcast to a slice
        return y

    xs = np.linspace(0, 3, 12).reshape(3, 4)
    _writes(f, xs)
    with pytest.raises(ValueError):
        autovec.vmap(lambda x: x.__setitem__(slice(0, 2), x[:3]))(xs)


def test_write_into_2d_rows():
    def f(x):
        out = np.stack([x, x])
        for i in range(1, len(x)):
            out[0, i] = np.maximum(out[0, i - 1], x[i])
            out[1, i] += out[1, i - 1]
        return out

    xs = np.random.default_rng(1).uniform(-1, 1, (5, 9))
    got = autovec.vmap(f)(xs)
    np.testing.assert_allclose(got, _loop(f, xs), rtol=1e-14)


# ------------------------------------------------------------------- writes through views
# Each view-making operation, under vmap and jit(vmap) against the loop: a write through the
# view reaches the base (the function returns the base), and a write into the base reaches
# a view taken before it (the function returns the view).

X = np.arange(12.0).reshape(3, 4)
Z = X + 1j * X[::-1]

VIEWS = {
    "slice": lambda x: x[1:],
    "strided slice": lambda x: x[:, ::2],
    "row": lambda x: x[1],
    "column": lambda x: x[..., 1],
    "new axis": lambda x: x[None],
    "ellipsis": lambda x: x[...],
    ".T": lambda x: x.T,
    "transpose": lambda x: np.transpose(x),
    "swapaxes": lambda x: np.swapaxes(x, 0, 1),
    "moveaxis": lambda x: np.moveaxis(x, 0, -1),
    "reshape": lambda x: x.reshape(2, 6),
    "reshape flat": lambda x: np.reshape(x, -1),
    "ravel": lambda x: np.ravel(x),
    "ravel method": lambda x: x.ravel(),
    "squeeze": lambda x: np.squeeze(x[None]),
    "expand_dims": lambda x: np.expand_dims(x, 1),
    "atleast_3d": lambda x: np.atleast_3d(x),
    "flip": lambda x: np.flip(x, 0),
    "fliplr": lambda x: np.fliplr(x),
    "rot90": lambda x: np.rot90(x),
    "split": lambda x: np.split(x, 2, axis=1)[1],
    "unstack": lambda x: np.unstack(x)[1],
    "mT": lambda x: x.mT,
    "flipud": lambda x: np.flipud(x),
    "rot90 twice": lambda x: np.rot90(x, 2),
    "atleast_2d": lambda x: np.atleast_2d(x),
    "squeeze method": lambda x: x[None].squeeze(),
    "swapaxes method": lambda x: x.swapaxes(0, 1),
    "real of real": lambda x: x.real,
    "np.real": lambda x: np.real(x),
    "view of a view": lambda x: x[1:].T[::-1],
    "einsum diagonal": lambda x: np.einsum("ii->i", x[:, 1:]),
    "einsum transpose": lambda x: np.einsum("ij->ji", x),
    "reshape of a slice": lambda x: x[1:].reshape(-1),
}
COMPLEX_VIEWS = {
    "real": lambda z: z.real,
    "imag": lambda z: z.imag,
    "imag slice": lambda z: z.imag[1:],
}


def _write_through(view):
    def f(x):
        v = view(x)
        v[...] = -v * 10  # every element of the view, values per example
        return x

    return f


def _write_base(view):
    def f(x):
        v = view(x)
        x[...] = x * 2 + 1
        return v

    return f


def _check(f, example):
    assert check_vmap(f, example, transforms=("vmap", "jit_vmap"), nested=False) > 0


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_a_write_through_a_view_reaches_the_base(name):
    _check(_write_through(VIEWS[name]), X.copy())


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_a_write_into_the_base_reaches_its_views(name):
    _check(_write_base(VIEWS[name]), X.copy())


@pytest.mark.parametrize("name", sorted(COMPLEX_VIEWS))
def test_parts_of_complex_arrays(name):
    _check(_write_through(COMPLEX_VIEWS[name]), Z.copy())
    _check(_write_base(COMPLEX_VIEWS[name]), Z.copy())


def test_views_by_other_writes():
    def f(x):
        v = x[1:]
        v += 1  # in-place operator
        w = x.T
        w[0, 1:] = 5.0  # part of a view
        x.imag  # noqa: B018 -- a read-only zero array, not a view: no effect
        r = x[0]
        r.sort()  # in-place method through a view
        np.add.at(x[2], [0, 0], 1.0)  # ufunc.at through a view
        return x

    _check(f, np.random.default_rng(3).random((3, 4)))


def test_views_of_views_see_writes_through_siblings():
    def f(x):
        a = x[:, 1:]
        b = x[1:, :]
        c = b.T
        a[0] = 7.0  # reaches x, then b and c
        c[2] += 100.0
        return a, b, c, x

    _check(f, X.copy())


COPIES = {
    "flatten": lambda x: x.flatten(),
    "copy": lambda x: x.copy(),
    "np.copy": lambda x: np.copy(x),
    "autovec.numpy.array": lambda x: anp.array(x),
    "reshape of a transpose": lambda x: x.T.reshape(-1),
    "integer array index": lambda x: x[[0, 2]],
    "roll": lambda x: np.roll(x, 1),
    "concatenate": lambda x: np.concatenate([x, x]),
    "arithmetic": lambda x: x + 0,
    "einsum sum": lambda x: np.einsum("ij->i", x),
}


@pytest.mark.parametrize("name", sorted(COPIES))
def test_a_write_into_a_copy_does_not_reach_the_original(name):
    _check(_write_through(COPIES[name]), X.copy())
    _check(_write_base(COPIES[name]), X.copy())


READ_ONLY = {
    "diagonal": lambda x: np.diagonal(x),
    "diagonal method": lambda x: x.diagonal(),
    "diag": lambda x: np.diag(x),
    "linalg.diagonal": lambda x: np.linalg.diagonal(x),
    "broadcast_to": lambda x: np.broadcast_to(x, (2, 3, 4)),
    "imag of real": lambda x: x.imag,
    "slice of broadcast_to": lambda x: np.broadcast_to(x, (2, 3, 4))[0],
}


@pytest.mark.parametrize("name", sorted(READ_ONLY))
def test_a_write_into_a_read_only_view_raises_as_numpy(name):
    f = _write_through(READ_ONLY[name])
    with pytest.raises(ValueError, match="read-only"):
        f(X.copy())  # NumPy itself
    for transform in (autovec.vmap, lambda g: autovec.jit(autovec.vmap(g))):
        with pytest.raises(ValueError, match="read-only"):
            transform(f)(np.stack([X, X]))
    _check(_write_base(READ_ONLY[name]), X.copy())  # reading them still sees base writes


def test_a_view_kept_in_a_loop_sees_every_write():
    def f(x):
        y = x * 1.0
        first = y[0]  # a 0-d view in the loop? no: a NumPy scalar (a copy) ...
        row = y[0:1]  # ... but a 1-element slice is a view
        for i in range(1, len(x)):
            y[i] = y[i - 1] + x[i]
            y[0] += 1
        return row, first

    _check(f, np.arange(6.0))


def test_a_zero_d_view_written_with_an_ellipsis():
    def f(x):
        v = x[1, ...]  # a 0-d view (x[1] would be a scalar)
        v[...] = x[0] * 3
        return x

    _check(f, np.arange(4.0))


# ------------------------------------------------------------------ shared inputs
# The loop writes an array every example shares once per example (each example sees the
# writes of those before it); vmap runs the function once.  It raises instead, and the
# caller's array is left as it was.

SharedStateWriteError = autovec.errors.SharedStateWriteError
G = np.zeros(4)


def _add_one(w):
    w += 1


SHARED_WRITES = {
    "w += 1": lambda x, w: (_add_one(w), x + w)[1],
    "w[0] = x[0]": lambda x, w: (w.__setitem__(0, x[0]), x + w)[1],
    "w[1] = 5": lambda x, w: (w.__setitem__(1, 5.0), x + w)[1],
    "np.add(w, 1, out=w)": lambda x, w: (np.add(w, 1, out=w), x + w)[1],
    "view of w": lambda x, w: (_add_one(w[1:]), x + w)[1],
    "w.sort()": lambda x, w: (w.sort(), x + w)[1],
}


@pytest.mark.parametrize("name", sorted(SHARED_WRITES))
def test_writing_an_unbatched_argument_raises(name):
    f = SHARED_WRITES[name]
    w = np.array([4.0, 3.0, 2.0, 1.0])
    for transform in (autovec.vmap, lambda g, **kw: autovec.jit(autovec.vmap(g, **kw))):
        # (out= on a traced value may be refused before anything is written)
        expected = SharedStateWriteError
        if "out=" in name:
            expected = (SharedStateWriteError, autovec.errors.UnsupportedOperationError)
        with pytest.raises(expected):
            transform(f, in_axes=(0, None))(X.copy(), w)
        assert np.array_equal(w, [4.0, 3.0, 2.0, 1.0]) and w.flags.writeable


def test_writing_a_closed_over_or_global_array_raises():
    local = np.ones(4)

    def closure(x):
        local[0] = 2.0
        return x + local

    def global_write(x):
        G[1] += x[0]
        return x

    def helper_write(x):
        _add_one(G)
        return x

    params = {"w": np.ones(4)}

    def dict_write(x):
        params["w"] *= 2
        return x * params["w"]

    for f in (closure, global_write, dict_write, helper_write):
        with pytest.raises(SharedStateWriteError):
            autovec.vmap(f)(X.copy())
    assert np.array_equal(local, np.ones(4)) and local.flags.writeable
    assert np.array_equal(G, np.zeros(4)) and G.flags.writeable
    assert np.array_equal(params["w"], np.ones(4))


def test_reading_shared_arrays_and_writing_copies_works():
    w = np.array([4.0, 3.0, 2.0, 1.0])

    def f(x, w):
        u = w.copy()
        u += 1.0  # a plain array made inside: the loop makes one per example as well
        v = x * 0 + w  # a new (batched) array
        v[0] = x[0]
        return u + v + G

    got = autovec.vmap(f, in_axes=(0, None))(X.copy(), w)
    assert np.array_equal(got, _loop(lambda x: f(x, w), X.copy()))


def test_a_genuine_read_only_error_is_not_blamed_on_sharing():
    def f(x, w):
        b = np.broadcast_to(x[0], (3,))  # read-only in NumPy too
        b[0] = 1.0
        return x + w

    with pytest.raises(ValueError, match="read-only") as info:
        autovec.vmap(f, in_axes=(0, None))(X.copy(), np.ones(4))
    assert not isinstance(info.value, SharedStateWriteError)


def test_nested_vmap_and_jit_values_shared_by_the_inner_examples():
    """An inner vmap's unbatched or closed-over values are traced by the outer
    transformation: writing them inside is the same mistake."""

    def inner_write_arg(xs, w):
        return autovec.vmap(lambda x, w: (_add_one(w), x + w)[1], in_axes=(0, None))(xs, w)

    def inner_write_closure(xs, w):
        def g(x):
            w[0] = 0.0
            return x + w

        return autovec.vmap(g)(xs)

    batch = np.stack([X, X + 1])
    ws = np.ones((2, 4))
    for f in (inner_write_arg, inner_write_closure):
        with pytest.raises(SharedStateWriteError):
            autovec.vmap(f)(batch, ws)
        with pytest.raises(SharedStateWriteError):
            autovec.jit(f)(X, np.ones(4))

    def inner_fresh(xs, w):  # values made inside the inner function are its own
        def g(x):
            u = w * 1.0
            u[0] = 5.0
            return u + x

        return autovec.vmap(g)(xs)

    got = autovec.vmap(inner_fresh)(batch, ws)
    assert np.array_equal(got, np.stack([inner_fresh(b, w) for b, w in zip(batch, ws)]))


# --------------------------------------------------- values NumPy checks when writing


def test_a_batched_integer_written_into_a_narrower_array_is_range_checked():
    def f(x):
        y = (x * 0).astype(np.int8)
        y[0] = x[1] * 100  # a NumPy int64 scalar in the loop: range-checked
        y[1:3] = x[0]
        return y

    ok = np.array([[1, 1, 0], [0, 1, 0]])
    bad = np.array([[1, 1, 0], [0, 2, 0]])
    for transform in (autovec.vmap, lambda g: autovec.jit(autovec.vmap(g))):
        assert np.array_equal(transform(f)(ok), _loop(f, ok))
        with pytest.raises(OverflowError, match="200 out of bounds for int8"):
            transform(f)(bad)
    with pytest.raises(OverflowError, match="200 out of bounds for int8"):
        _loop(f, bad)

    def from_float(x):
        y = np.zeros(2, np.int16) + (x[:2] > 1e300)  # int16 per example
        y[0] = x[0]  # truncated, range-checked; NaN raises ValueError
        return y

    assert np.array_equal(
        autovec.vmap(from_float)(np.array([[3.7, 0], [-2.5, 0]])), [[3, 0], [-2, 0]]
    )
    with pytest.raises(OverflowError):
        autovec.vmap(from_float)(np.array([[3.7, 0], [1e6, 0]]))
    with pytest.raises(ValueError, match="NaN"):
        autovec.vmap(from_float)(np.array([[np.nan, 0], [1, 0]]))


def test_an_array_value_wraps_as_in_numpy():
    def f(x):
        y = (x * 0).astype(np.uint8)
        y[0] = x[1] * 100  # unsigned: NumPy wraps scalars too
        z = (x * 0).astype(np.int8)
        z[:2] = x[:2] * 100  # an array: cast, not checked
        return y, z

    xs = np.array([[1, 3, 0], [0, 2, 0]])
    got = autovec.vmap(f)(xs)
    want = f(xs[0]), f(xs[1])
    assert all(np.array_equal(g, np.stack(w)) for g, w in zip(got, zip(*want)))


def test_masked_assignment_needs_matching_counts():
    def f(x):
        x = x.copy()
        x[x > 2] = x[x > 5]
        return x

    fine = np.array([[0.0, 6, 1, 1], [0, 3, 1, 9]])  # counts 1 -> 1, and 2 <- 1 (broadcast)
    assert np.array_equal(autovec.vmap(f)(fine), _loop(f, fine))
    bad = np.array([[0.0, 3, 6, 7], [9, 9, 9, 9]])  # 3 places, 2 values
    msg = "cannot assign 2 input values to the 3 output values"
    with pytest.raises(ValueError, match=msg):
        _loop(f, bad)
    for transform in (autovec.vmap, lambda g: autovec.jit(autovec.vmap(g))):
        with pytest.raises(ValueError, match=msg):
            transform(f)(bad)
