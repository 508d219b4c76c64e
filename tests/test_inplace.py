"""In-place writes under vmap: they cost per-example work where vmap owns the buffer, and
they never reach an array that something else still reads."""

from __future__ import annotations

import numpy as np
import pytest

import autovec
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
