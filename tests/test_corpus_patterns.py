"""Patterns found by running real library functions under vmap (tools/corpus.py), each
reproduced with NumPy alone: vmap and jit(vmap) give the loop's result."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autovec
from autovec import errors

RNG = np.random.default_rng(7)
XS = RNG.uniform(0.5, 2.0, (4, 3))

TRANSFORMS = {
    "vmap": autovec.vmap,
    "jit(vmap)": lambda f: autovec.jit(autovec.vmap(f)),
    "vmap(jit)": lambda f: autovec.vmap(autovec.jit(f)),
}


def loop(f, *batches):
    outs = [f(*xs) for xs in zip(*batches)]
    if isinstance(outs[0], tuple):
        return tuple(np.stack([o[i] for o in outs]) for i in range(len(outs[0])))
    return np.stack(outs)


def assert_loop(f, *batches, transforms=TRANSFORMS):
    want = loop(f, *batches)
    for name, transform in transforms.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", errors.FallbackWarning)
            got = transform(f)(*batches)
        for g, w in zip(got, want) if isinstance(want, tuple) else [(got, want)]:
            assert isinstance(g, np.ndarray), name
            assert (g.shape, g.dtype) == (w.shape, w.dtype), name
            np.testing.assert_allclose(g, w, rtol=1e-12, err_msg=name)


# ---------------------------------------------------------------- broadcast_arrays of constants


def test_broadcast_arrays_gives_arrays_for_untraced_arguments():
    # numpy_financial's _convert_when checks isinstance(when, np.ndarray) after
    # np.broadcast_arrays(rate, ..., when); pvlib indexes the broadcast Python floats.
    def f(rate, pv):
        r, n, when, rs = np.broadcast_arrays(rate, np.arange(1, 4), 0, 0.3)
        assert isinstance(when, np.ndarray) and isinstance(rs, np.ndarray)
        assert when.dtype == np.int64 and rs.dtype == np.float64
        big = r > 1.0
        return r * pv + n * rs[big].sum() + when

    assert_loop(f, XS[:, 0], XS[:, 1])


def test_broadcast_arrays_scalar_is_a_strong_0d_array_as_in_numpy():
    f = lambda x: np.broadcast_arrays(x, 2)[1] + x.astype(np.float32)  # noqa: E731
    assert_loop(f, XS[:, 0])


# ------------------------------------------------------------------------- foreign ufuncs


def test_foreign_ufunc_runs_on_the_whole_batch():
    times_plus = np.frompyfunc(lambda a, b: a * b + 1, 2, 1)
    assert_loop(lambda x, y: times_plus(x, y[0]).astype(float), XS, XS)
    assert_loop(lambda x: times_plus(x[:, None], x).astype(float), XS)


def test_foreign_ufunc_kwargs_and_several_outputs():
    # np.frexp / np.modf stand in for a foreign ufunc with two outputs.
    from autovec.prims.foreign import foreign_ufunc_p

    def f(x):
        m, e = foreign_ufunc_p.bind(x * 3, ufunc=np.frexp, kwargs=())
        (s,) = foreign_ufunc_p.bind(x, ufunc=np.sqrt, kwargs=(("dtype", "f4"),))
        return m, e, s

    want = loop(lambda x: (*np.frexp(x * 3), np.sqrt(x, dtype="f4")), XS)
    for name, transform in TRANSFORMS.items():
        got = transform(f)(XS)
        for g, w in zip(got, want):
            assert (g.shape, g.dtype) == (w.shape, w.dtype), name
            np.testing.assert_array_equal(g, w)


def test_foreign_gufunc_lines_up_loop_axes():
    # A generalised ufunc (core axes last), as erfa's: batch axes go in front of the loop axes.
    from autovec.prims.foreign import foreign_ufunc_p

    vecdot = lambda a, b: foreign_ufunc_p.bind(a, b, ufunc=np.vecdot, kwargs=())[0]  # noqa: E731
    mats = RNG.normal(size=(4, 2, 3))
    assert_loop(lambda m, v: vecdot(m, v), mats, XS)
    assert_loop(lambda v: vecdot(mats[0], v), XS)


def test_scipy_special_ufuncs():
    special = pytest.importorskip("scipy.special")
    assert_loop(lambda x: special.gamma(x) + special.erf(x[0]), XS)
    assert_loop(lambda x: special.betainc(2.0, x, 0.3), XS)


# -------------------------------------------------------------------- einsum, x.flat


def test_einsum_interleaved_operand_sublist_form():
    # skimage.measure.moments: np.einsum(a, [0, 1], b, [1, 2], [0, 2]).
    mats = RNG.normal(size=(4, 3, 2))
    assert_loop(lambda a, b: np.einsum(a, [0, 1], b, [1], [0]), mats, XS[:, :2])
    assert_loop(lambda a, b: np.einsum(a, [0, 1], b, [1]), mats, XS[:, :2])
    assert_loop(lambda a: np.einsum(a, [Ellipsis, 30], [30, Ellipsis]), mats)
    assert_loop(lambda a: np.einsum(a, [27, 1], a, [27, 2]), mats)  # 27 sorts after 1 as in NumPy


def test_flat_of_a_traced_value_converts_as_numpy_flatiter():
    # skimage.exposure.equalize_hist: np.interp(image.flat, centers, cdf).
    def f(img):
        centers = np.linspace(img.min(), img.max(), 4)
        assert not hasattr(img.flat, "__array_namespace__")
        return np.interp(img.flat, centers, np.cumsum(centers)).reshape(img.shape)

    assert_loop(f, RNG.uniform(size=(4, 2, 3)))
