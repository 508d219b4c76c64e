"""Eager vmap's hot paths (autovec/interpreters/batch_trace.py: ``_call_ufunc``,
``_call_aligned``, the ``_FRONT`` view table; the dot_general fast paths in
autovec/prims/linalg.py) give the loop's results, for every batch axis, operand rank and
dtype they take, and hand everything else to the batching rules."""

import numpy as np
import pytest

import autovec
from autovec.testing import check_vmap

RNG = np.random.default_rng(0)


def _ex(*shape, dtype=np.float64):
    return (RNG.standard_normal(shape) * 3).astype(dtype)


@pytest.mark.parametrize(
    "fun, args",
    [
        (lambda x, w: x[:-2] * w[0] + x[1:-1] * w[1] + x[2:] * w[2], (_ex(7), _ex(3))),
        (lambda x, c: x * c + 1.0, (_ex(4), _ex(3, 4))),  # a higher-rank operand
        (lambda s, c: np.add(s, c), (_ex(), _ex(2, 3))),  # a 0-d example and a matrix
        (lambda x, c, y: np.maximum(x, c) - y, (_ex(3), _ex(3), _ex(2, 3))),
        (lambda x, y: 2 * x - y / 3, (_ex(2, 3), _ex(3))),
        (lambda x, y: x // y, (_ex(2, 3, dtype=np.int64), _ex(3, dtype=np.int64) + 7)),
        (lambda x: x[1:3].T.reshape(-1)[None].squeeze(0), (_ex(4, 3),)),
        (lambda x: x[2] + x[-1] + x[::2].sum(), (_ex(5),)),
        (lambda x, w: np.dot(x[1:4], w), (_ex(6), _ex(3))),
        (lambda x, w: np.dot(x, w), (_ex(2, 3, dtype=np.complex128), _ex(3))),
        (lambda x, w: np.dot(x, w), (_ex(4, dtype=np.float32), _ex(4, dtype=np.float32))),
        (lambda x, w: np.dot(x, w), (_ex(3, dtype=np.int64), _ex(3, dtype=np.int64))),
    ],
)
def test_fast_paths_equal_the_loop(fun, args):
    assert check_vmap(fun, *args, nested=("vmap_vmap",), rtol=1e-5) > 0  # (float32 sums)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128, np.int64, bool])
def test_a_large_stack_of_short_dot_products_equals_the_loop(k, dtype):
    xs = (RNG.standard_normal((3000, k + 2)) * 4).astype(dtype)
    ws = (RNG.standard_normal((3000, k)) * 4).astype(dtype)
    out = autovec.vmap(lambda x, w: np.dot(x[1 : k + 1], w))(xs, ws)
    ref = np.stack([np.dot(x[1 : k + 1], w) for x, w in zip(xs, ws)])
    assert out.dtype == ref.dtype and out.shape == ref.shape
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol * 10)


def test_a_ufunc_error_is_reported_as_the_loop_reports_it():
    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError):
            autovec.vmap(lambda x: 1.0 / x)(np.array([1.0, 0.0, 2.0]))
    with pytest.raises(ValueError, match="operands could not be broadcast"):
        autovec.vmap(lambda x, y: x * y)(np.ones((2, 3)), np.ones((2, 4)))


def test_a_view_made_by_a_fast_path_is_written_through():
    def f(x):
        v = x[1:3]
        v[0] = -1.0  # reaches x, as NumPy's view does
        t = x.reshape(2, 2)
        t[1, 1] = 9.0
        return x

    xs = np.arange(8.0).reshape(2, 4)
    ref = np.stack([f(x.copy()) for x in xs])
    np.testing.assert_array_equal(autovec.vmap(f)(xs), ref)
