"""Assorted functions (``autovec/numpy/more.py``): eager equality with NumPy and vmap against
the loop (``tests/_cases.py``), plus the documented errors inside transformations."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _cases import Case, case_ids, example_maker, run_case

import autovec
import autovec.numpy as anp
from autovec import errors

ex = example_maker(41)

X1, X2, X3 = ex((5,)), ex((3, 4)), ex((2, 3, 4))
SQ, CUBE = ex((3, 3)), ex((2, 2, 2))
I1 = ex((6,), "int64", -5, 6)
POS = ex((4,), low=0.5, high=3.0)
C1 = ex((5,), "complex128")
SPECIAL = np.array([np.inf, -np.inf, 1.0, -0.0, np.nan, -2.5])
ALMOST_REAL = np.array([1.0 + 1e-20j, 2.0 - 0j])


def _resize_method(shp):
    def f(xp, x):
        y = x.copy()
        y.resize(shp, refcheck=False)
        return y

    return f


def _resize_method_ints(xp, x):
    y = x.copy()
    y.resize(2, 3, refcheck=False)
    return y


def _getitem(xp, x, index):
    """``x[index]``, also for a plain ndarray ``x`` and a traced ``index``."""
    return xp.getitem(x, index) if xp is anp else x[index]


def _copyto(xp, dst, src):
    dst = (
        src * 0 + dst
    )  # batched whenever either argument is (a plain dst cannot hold per-example values)
    xp.copyto(dst, src, where=src > 0)
    return dst


def _copyto_all(xp, dst, src):
    dst = xp.zeros_like(dst) + dst + 0 * src[..., :1].astype(dst.dtype)
    xp.copyto(dst, src)
    return dst


CASES = [
    Case("copyto", _copyto, (ex((3, 4)), ex((3, 4)))),
    Case("copyto", _copyto_all, (ex((2, 3), "float32"), ex((3,), "int32", -5, 5))),
    Case(
        "fromiter",
        lambda xp, x: xp.fromiter((v * 2 for v in x), dtype=np.float32),
        (ex((5,)),),
        plain_numpy=False,  # np.fromiter offers no dispatch hook
    ),
    Case(
        "fromiter",
        lambda xp, x: xp.fromiter(iter(x), dtype=np.int64, count=3),
        (ex((5,), "int64", -9, 9),),
        plain_numpy=False,
    ),
    Case("asfortranarray", lambda xp, x: xp.asfortranarray(x), (X2,), plain_numpy=False),
    Case(
        "asfortranarray",
        lambda xp, x: xp.asfortranarray(x, dtype=np.float32),
        (X1,),
        plain_numpy=False,
    ),
    Case(
        "asfortranarray", lambda xp, x: xp.asfortranarray(x), (np.float64(2.5),), plain_numpy=False
    ),
    Case("require", lambda xp, x: xp.require(x, np.float32, ["C", "W"]), (X2,), plain_numpy=False),
    Case("require", lambda xp, x: xp.require(x), (I1,), plain_numpy=False),
    Case(
        "broadcast_shapes",
        lambda xp, x: xp.broadcast_to(x, xp.broadcast_shapes(x.shape, (2, 1, 1))),
        (X2,),
    ),
    Case("concat", lambda xp, a, b: xp.concat([a, b]), (X1, I1)),
    Case("concat", lambda xp, a, b: xp.concat((a, b), axis=1), (X2, ex((3, 2)))),
    Case("fix", lambda xp, x: xp.fix(x), (X2 * 3,)),
    Case("fix", lambda xp, x: xp.fix(x), (I1,)),
    Case("fix", lambda xp, x: xp.fix(x), (SPECIAL,)),
    Case("iscomplex", lambda xp, x: xp.iscomplex(x), (C1,)),
    Case("iscomplex", lambda xp, x: xp.iscomplex(x), (ALMOST_REAL,)),
    Case("iscomplex", lambda xp, x: xp.iscomplex(x), (X2,)),
    Case("isreal", lambda xp, x: xp.isreal(x), (ALMOST_REAL,)),
    Case("isreal", lambda xp, x: xp.isreal(x), (I1,)),
    Case("isneginf", lambda xp, x: xp.isneginf(x), (SPECIAL,)),
    Case("isneginf", lambda xp, x: xp.isneginf(x), (I1,)),
    Case("isposinf", lambda xp, x: xp.isposinf(x), (SPECIAL,)),
    Case("isposinf", lambda xp, x: xp.isposinf(x), (X2,)),
    Case("logspace", lambda xp, a, b: xp.logspace(a, b, 7), (ex(()), ex(()))),
    Case("logspace", lambda xp, a, b: xp.logspace(a, b, 5, endpoint=False, base=2.0), (X1, 1.5)),
    Case("logspace", lambda xp, a, b: xp.logspace(a, b, 4, axis=-1), (ex((2, 3)), ex((3,)))),
    Case(
        "logspace",
        lambda xp, a, base: xp.logspace(a, 2.0, 4, base=base),
        (ex((3,)), ex((3,), low=1.5, high=3.0)),
    ),
    Case("logspace", lambda xp, a: xp.logspace(a, 1.0, 3, dtype=np.float32), (X1,)),
    Case("geomspace", lambda xp, a, b: xp.geomspace(a, b, 6), (POS, POS[::-1].copy())),
    Case("geomspace", lambda xp, a, b: xp.geomspace(a, b, 6), (-POS, -2.0)),
    Case("geomspace", lambda xp, a, b: xp.geomspace(a, b, 4, endpoint=False), (POS, 10.0)),
    Case("geomspace", lambda xp, a: xp.geomspace(a, 1000.0, 5, axis=-1), (POS,)),
    Case("geomspace", lambda xp, a: xp.geomspace(a, 3.0, 1), (ex((), low=0.5, high=2.0),)),
    Case("rollaxis", lambda xp, x: xp.rollaxis(x, 2), (X3,)),
    Case("rollaxis", lambda xp, x: xp.rollaxis(x, 0, 3), (X3,)),
    Case("rollaxis", lambda xp, x: xp.rollaxis(x, -1, 1), (X3,)),
    Case("rollaxis", lambda xp, x: xp.rollaxis(x, 1, 1), (X2,)),
    Case("unstack", lambda xp, x: xp.unstack(x), (X2,)),
    Case("unstack", lambda xp, x: xp.unstack(x, axis=-1), (X3,)),
    Case("tri", lambda xp, x: xp.tri(3, 4, k=1) * x, (ex((3, 4)),), plain_numpy=False),
    Case("tri", lambda xp, x: xp.tri(4, dtype=int) + x, (I1[:4],), plain_numpy=False),
    Case("tril_indices", lambda xp, x: x[xp.tril_indices(3)], (SQ,), plain_numpy=False),
    Case("tril_indices", lambda xp, x: x[xp.tril_indices(3, -1, 4)], (X2,), plain_numpy=False),
    Case("triu_indices", lambda xp, x: x[xp.triu_indices(3, 1)], (SQ,), plain_numpy=False),
    Case("triu_indices", lambda xp, x: x[xp.triu_indices(3, 0, 4)], (X2,), plain_numpy=False),
    Case("tril_indices_from", lambda xp, x: x[xp.tril_indices_from(x)], (X2,)),
    Case("tril_indices_from", lambda xp, x: x[xp.tril_indices_from(x, k=1)], (SQ,)),
    Case("triu_indices_from", lambda xp, x: x[xp.triu_indices_from(x, -1)], (X2,)),
    Case("diag_indices", lambda xp, x: x[xp.diag_indices(3)], (SQ,), plain_numpy=False),
    Case("diag_indices", lambda xp, x: x[xp.diag_indices(2, 3)], (CUBE,), plain_numpy=False),
    Case("diag_indices_from", lambda xp, x: x[xp.diag_indices_from(x)], (CUBE,)),
    Case("diag_indices_from", lambda xp, x: x[xp.diag_indices_from(x)], (SQ,)),
    Case("mask_indices", lambda xp, x: x[xp.mask_indices(3, xp.triu, 1)], (SQ,)),
    Case("ix_", lambda xp, x: x[xp.ix_([0, 2], [1, 3])], (X2,)),
    Case("ix_", lambda xp, x: x[xp.ix_(np.array([True, False, True]), [3])], (X2,)),
    Case(
        "ix_",
        lambda xp, x, i: _getitem(xp, x, xp.ix_(i, i)),
        (SQ, np.array([2, 0])),
        plain_numpy=False,
    ),
    Case(
        "fromfunction",
        lambda xp, x: xp.fromfunction(lambda i, j: i * x[0] + j, (3, 4)),
        (X1,),
    ),
    Case(
        "fromfunction",
        lambda xp, x: xp.fromfunction(lambda i: i + x, (5,), dtype=int),
        (I1[:5],),
    ),
    Case(
        "ravel_multi_index",
        lambda xp, i, j: xp.ravel_multi_index((i, j), (3, 4)),
        (np.array([0, 2, 1]), np.array([3, 0, 2])),
    ),
    Case(
        "ravel_multi_index",
        lambda xp, i, j: xp.ravel_multi_index([i, j], (3, 4), order="F"),
        (np.array([[0, 2], [1, 1]]), np.array(3)),
    ),
    Case(
        "ravel_multi_index",
        lambda xp, i, j: xp.ravel_multi_index((i, j), (3, 4), mode=("wrap", "clip")),
        (np.array([-4, 7, 1]), np.array([9, -2, 2])),
    ),
    Case(
        "unravel_index",
        lambda xp, i: xp.unravel_index(i, (3, 4)),
        (np.array([0, 5, 11, 7]),),
    ),
    Case("unravel_index", lambda xp, i: xp.unravel_index(i, (2, 3, 2), order="F"), (np.int64(9),)),
    Case("unravel_index", lambda xp, i: xp.unravel_index(i, 7), (np.array([[6, 0], [3, 1]]),)),
    Case("vander", lambda xp, x: xp.vander(x), (X1,)),
    Case("vander", lambda xp, x: xp.vander(x, 3, increasing=True), (I1,)),
    Case("vander", lambda xp, x: xp.vander(x, 1), (X1,)),
    Case("vander", lambda xp, x: xp.vander(x, 0), (X1,)),
    Case("vander", lambda xp, x: xp.vander(x, 4), (np.array([True, False, True]),)),
    Case("vecdot", lambda xp, a, b: xp.vecdot(a, b), (X2, ex((4,)))),
    Case("vecdot", lambda xp, a, b: xp.vecdot(a, b), (C1, ex((5,), "complex128"))),
    Case("vecdot", lambda xp, a, b: xp.vecdot(a, b, axis=0), (X2, ex((3, 1)))),
    Case("vecdot", lambda xp, a, b: xp.vecdot(a, b), (I1, I1[::-1].copy())),
    Case("matvec", lambda xp, a, b: xp.matvec(a, b), (X3, ex((4,)))),
    Case("matvec", lambda xp, a, b: xp.matvec(a, b), (SQ, ex((2, 3), "complex128"))),
    Case("vecmat", lambda xp, a, b: xp.vecmat(a, b), (ex((3,)), X2)),
    Case("vecmat", lambda xp, a, b: xp.vecmat(a, b), (ex((2, 3), "complex128"), X3[:, :3])),
    Case("asarray_chkfinite", lambda xp, x: xp.asarray_chkfinite(X1) + x, (ex((5,)),)),
    Case("real_if_close", lambda xp, x: xp.real_if_close(x), (X2,)),
    Case("real_if_close", lambda xp, x: xp.real_if_close(ALMOST_REAL) * x, (ex((2,)),)),
    Case("resize", _resize_method((4, 4)), (X2,)),
    Case("resize", _resize_method((2, 2)), (I1,)),
    Case("resize", _resize_method(7), (X2,)),
    Case("resize", _resize_method_ints, (X1,)),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_case(case):
    run_case(case)


def test_fix_warns_under_vmap_where_numpy_warns():
    """NumPy 2.5 deprecated fix (a DeprecationWarning); earlier NumPy is silent."""

    def deprecations(call):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        return [str(w.message) for w in caught if w.category is DeprecationWarning]

    theirs = deprecations(lambda: np.fix(SPECIAL))
    ours = deprecations(lambda: autovec.vmap(anp.fix)(np.stack([SPECIAL, SPECIAL])))
    assert ours == theirs


def test_vecdot_through_numpy_ufunc():
    w = ex((4,))
    got = autovec.vmap(lambda x: np.vecdot(x, w))(X2)
    assert np.allclose(got, X2 @ w)
    got = autovec.vmap(lambda x: np.matvec(x, w))(X3)
    assert np.allclose(got, X3 @ w)
    got = autovec.vmap(lambda v: np.vecmat(v, X2))(ex((2, 3)))
    assert got.shape == (2, 4)


def test_asarray_chkfinite_traced_raises():
    with pytest.raises(errors.UnsupportedOperationError, match="per example"):
        autovec.vmap(anp.asarray_chkfinite)(X2)
    with pytest.raises(ValueError):
        anp.asarray_chkfinite(SPECIAL)


def test_real_if_close_traced_complex_raises():
    with pytest.raises(errors.UnsupportedOperationError, match="dtype"):
        autovec.vmap(anp.real_if_close)(np.stack([ALMOST_REAL, ALMOST_REAL]))


def test_index_errors():
    with pytest.raises(ValueError, match="2-d"):
        autovec.vmap(anp.tril_indices_from)(ex((2, 3, 4, 5)))
    with pytest.raises(ValueError, match="equal length"):
        autovec.vmap(anp.diag_indices_from)(X3)
    with pytest.raises(TypeError):
        autovec.vmap(anp.isposinf)(np.stack([C1, C1]))
    with pytest.raises(np.exceptions.AxisError):
        autovec.vmap(lambda x: anp.rollaxis(x, 0, 5))(X3)


def test_out_of_range_coordinates_raise():
    # Eager vmap re-runs the failing examples as the loop would: NumPy's own ValueError.
    # Compiled, the gather raises IndexError, so the call runs again uncompiled: NumPy's
    # ValueError, as in the loop.
    cases = [
        (lambda i: anp.unravel_index(i, (2, 3)), np.array([1, 6])),
        (lambda i: anp.unravel_index(i, (2, 3)), np.array([1, -1])),
        (lambda i: anp.ravel_multi_index((i, 0), (2, 3)), np.array([0, 2])),
    ]
    for f, batch in cases:
        with pytest.raises(ValueError):
            [f(i) for i in batch]
        with pytest.raises(ValueError):
            autovec.vmap(f)(batch)
        with pytest.raises(ValueError):
            autovec.jit(autovec.vmap(f))(batch)


def test_resize_method_pads_with_zeros_in_place():
    def f(x):
        y = x.copy()
        y.resize((3, 3), refcheck=False)
        return y

    got = autovec.vmap(f)(X3[:, :2, :2])
    assert got.shape == (2, 3, 3)
    assert np.array_equal(got.reshape(2, -1)[:, 4:], np.zeros((2, 5)))


def test_copyto_into_a_plain_array_of_batched_values_is_a_clear_error():
    dst = np.zeros(3)
    with pytest.raises(errors.UnsupportedOperationError, match="where"):
        autovec.vmap(lambda s: np.copyto(dst, s))(np.ones((2, 3)))


def test_copyto_casting_rule_as_numpy():
    def f(s):
        d = anp.zeros_like(s, dtype=np.int64) + 0 * s.astype(np.int64)
        np.copyto(d, s)  # float into int under same_kind: NumPy's TypeError
        return d

    with pytest.raises(TypeError, match="same_kind"):
        autovec.vmap(f)(np.ones((2, 3)))


def test_to_device_cpu_only():
    out = autovec.vmap(lambda x: x.to_device("cpu") * 2)(np.ones((2, 3)))
    np.testing.assert_array_equal(out, np.full((2, 3), 2.0))
    with pytest.raises(ValueError, match="device"):
        autovec.vmap(lambda x: x.to_device("gpu"))(np.ones((2, 3)))
