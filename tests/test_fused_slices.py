"""Slices in the numba backend's groups (autovec/interpreters/fused_groups.py): ``x[:, 1:]``
and ``x[:, :-1]`` are read at offsets of ``x`` itself, so stencils, differences and the
trapezoid rule fuse instead of running as NumPy code over non-contiguous views.  Bit for
bit against the per-example Python loop."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _fused_checks import same_bits as _same

import autovec
from autovec.interpreters import fused

needs_numba = pytest.mark.skipif(not fused.NUMBA_AVAILABLE, reason="numba is not installed")


@pytest.fixture(autouse=True)
def _numpy_default_errstate():
    with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
        yield


def stencil(x):
    return x[2:] - 2.0 * x[1:-1] + x[:-2]


def smoothness(x):
    return np.sum((x[1:] - x[:-1]) ** 2)


def trapezoid(x):
    return np.sum((x[1:] + x[:-1]) * 0.5)


def corners(x):
    return x[1:, :-1] * x[:-1, 1:] - x[1:, 1:]


def pinned(x):
    return x[3:4] * x + x[:1]  # one-number slices broadcast along the axis


def grid_sum(x):
    return np.sum(x[1:, 2:] * x[:-1, :-2], axis=-1)


CASES = [
    (stencil, (9,)),
    (stencil, (300,)),
    (smoothness, (9,)),
    (smoothness, (65,)),  # 64 differences: the short rows' vector leaf
    (smoothness, (500,)),  # longer than one pairwise block
    (trapezoid, (130,)),
    (corners, (6, 7)),
    (pinned, (11,)),
    (grid_sum, (5, 40)),
]


def _values(rng, shape, dtype):
    x = rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4, shape)
    return x.astype(dtype)


@needs_numba
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0].__name__}-{c[1]}" for c in CASES])
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
def test_slices_fuse_and_equal_the_loop(case, dtype, monkeypatch):
    fun, shape = case
    rng = np.random.default_rng(len(shape) * 100 + shape[-1])
    x = _values(rng, (7, *shape), dtype)
    want = np.stack([fun(e) for e in x])
    jitted = autovec.jit(autovec.vmap(fun), backend="numba")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _same(jitted(x), want)
        (entry,) = jitted._cache.values()
        assert any(any(r.group.starts) for r in entry.fn.runners)  # a slice joined a group
        # and the kernels ran on the whole input (not the group's NumPy code)
        monkeypatch.setattr(fused.GroupRunner, "numpy", lambda *a: pytest.fail("NumPy code"))
        _same(jitted(x), want)
        assert entry.fn.redos == 0


@needs_numba
@pytest.mark.parametrize("backend", ["auto", "numba"])
def test_slices_along_the_rows_and_in_blocks(backend):
    """Without vmap, a slice of the first axis offsets the kernel's rows; large enough, the
    auto backend's first call runs the group's NumPy code in blocks of rows."""
    rng = np.random.default_rng(0)
    x = _values(rng, (3000, 400), "float64")
    fun = autovec.jit(lambda v: (v[1:] - v[:-1]) * v[1:] + v[:-1, 0:1], backend=backend)
    want = (x[1:] - x[:-1]) * x[1:] + x[:-1, 0:1]
    for _ in range(3):
        _same(fun(x), want)


@needs_numba
def test_slices_of_computed_values_stay_numpy_views():
    """A slice of a value a group computes is not a block of the group's loop: it is left to
    NumPy, and the results are the loop's."""
    rng = np.random.default_rng(1)
    x = _values(rng, (6, 50), "float64")

    def fun(v):
        w = v * 2.0 + 1.0
        return np.sum(w[1:] * w[:-1]) + np.sum(np.expand_dims(v[1:], 0) - 1.0)

    got = autovec.jit(autovec.vmap(fun), backend="numba")(x)
    _same(got, np.stack([fun(e) for e in x]))


@needs_numba
def test_slices_warn_as_numpy_does():
    x = np.array([[1.0, 0.0, 2.0, 0.0], [1.0, 2.0, 3.0, 4.0]])
    fun = autovec.jit(autovec.vmap(lambda v: v[1:] / v[:-1] - v[1:]), backend="numba")
    for _ in range(2):
        with pytest.warns(RuntimeWarning, match="divide by zero"):
            got = fun(x)
        with np.errstate(divide="ignore"):
            _same(got, np.stack([e[1:] / e[:-1] - e[1:] for e in x]))
