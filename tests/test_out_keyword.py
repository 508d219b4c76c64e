"""``out=`` on NumPy functions inside vmap/jit raises ``UnsupportedOperationError`` (use the
return value) instead of ignoring ``out`` and leaving the buffer unwritten; a ufunc given a
plain ndarray ``out`` under eager vmap continues as the loop would (per-example fallback)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_redteam import TRANSFORMS, Case, run_case

_rng = np.random.default_rng(3)
X = _rng.standard_normal((4, 3, 3))
Y = _rng.standard_normal((4, 3, 3))

# name -> (call writing into o, the buffer's shape, its dtype)
NON_UFUNC = {
    "sum": (lambda x, y, o: np.sum(x, axis=0, out=o), (3,), float),
    "prod": (lambda x, y, o: np.prod(x, axis=0, out=o), (3,), float),
    "mean": (lambda x, y, o: np.mean(x, axis=1, out=o), (3,), float),
    "var": (lambda x, y, o: np.var(x, axis=0, out=o), (3,), float),
    "std": (lambda x, y, o: np.std(x, axis=1, out=o), (3,), float),
    "max": (lambda x, y, o: np.max(x, axis=1, out=o), (3,), float),
    "amin": (lambda x, y, o: np.amin(x, axis=0, out=o), (3,), float),
    "any": (lambda x, y, o: np.any(x > 0, axis=0, out=o), (3,), bool),
    "all": (lambda x, y, o: np.all(x > 0, axis=0, out=o), (3,), bool),
    "argmax": (lambda x, y, o: np.argmax(x, axis=1, out=o), (3,), np.intp),
    "dot": (lambda x, y, o: np.dot(x, y, out=o), (3, 3), float),
    "matmul": (lambda x, y, o: np.matmul(x, y, out=o), (3, 3), float),
    "outer": (lambda x, y, o: np.outer(x[0], y[0], out=o), (3, 3), float),
    "einsum": (lambda x, y, o: np.einsum("ij,jk->ik", x, y, out=o), (3, 3), float),
    "cumsum": (lambda x, y, o: np.cumsum(x, axis=0, out=o), (3, 3), float),
    "cumprod": (lambda x, y, o: np.cumprod(x, axis=1, out=o), (3, 3), float),
    "clip": (lambda x, y, o: np.clip(x, -0.5, 0.5, out=o), (3, 3), float),
    "concatenate": (lambda x, y, o: np.concatenate([x, y], out=o), (6, 3), float),
    "take": (lambda x, y, o: np.take(x, [0, 2, 1], axis=0, out=o), (3, 3), float),
    "around": (lambda x, y, o: np.around(x, 1, out=o), (3, 3), float),
    "round": (lambda x, y, o: np.round(x, 1, out=o), (3, 3), float),
    "trace": (lambda x, y, o: np.trace(x, out=o), (), float),
    "nansum": (lambda x, y, o: np.nansum(x, axis=0, out=o), (3,), float),
    "nanmean": (lambda x, y, o: np.nanmean(x, axis=0, out=o), (3,), float),
    "ptp": (lambda x, y, o: np.ptp(x, axis=0, out=o), (3,), float),
    "median": (lambda x, y, o: np.median(x, axis=0, out=o), (3,), float),
    "percentile": (lambda x, y, o: np.percentile(x, 50, axis=0, out=o), (3,), float),
    "isposinf": (lambda x, y, o: np.isposinf(x, out=o), (3, 3), bool),
    "isneginf": (lambda x, y, o: np.isneginf(x, out=o), (3, 3), bool),
    "compress": (lambda x, y, o: np.compress([True, False, True], x, axis=0, out=o), (2, 3), float),
    "method_sum": (lambda x, y, o: x.sum(axis=0, out=o), (3,), float),
    "method_clip": (lambda x, y, o: x.clip(0, 1, out=o), (3, 3), float),
    "method_round": (lambda x, y, o: x.round(2, out=o), (3, 3), float),
    "method_cumsum": (lambda x, y, o: x.cumsum(out=o), (9,), float),
    "method_take": (lambda x, y, o: x.take([0, 1], axis=1, out=o), (3, 2), float),
    "method_mean": (lambda x, y, o: x.mean(0, out=o), (3,), float),
}
UFUNC = {
    "add": (lambda x, y, o: np.add(x, y, out=o), (3, 3), float),
    "sin": (lambda x, y, o: np.sin(x, out=o), (3, 3), float),
    "negative_tuple": (lambda x, y, o: np.negative(x, out=(o,)), (3, 3), float),
}


def _buffer_fun(call, shp, dt, traced: bool):
    """The function under test: a buffer made inside it (a plain ndarray, or a value computed
    from x, so traced), written by ``call``; returns the buffer and whether ``call`` gave it
    back."""

    def f(x, y):
        o = np.zeros(shp, dt)
        if traced:
            # zeros, but a traced value (an array, also when 0-d)
            o = (o.reshape(-1) + (x.sum() > 100).astype(dt)).reshape(shp)
        r = call(x, y, o)
        return o, r is o

    return f


@pytest.mark.parametrize("traced", [False, True], ids=["plain_out", "traced_out"])
@pytest.mark.parametrize("name", sorted(NON_UFUNC))
def test_out_of_non_ufunc_raises_specific_error(name, traced):
    call, shp, dt = NON_UFUNC[name]
    c = Case(name, _buffer_fun(call, shp, dt, traced), (X, Y))
    for t in TRANSFORMS:
        verdict, detail = run_case(c, t)
        assert verdict == "specific", f"{t}: {verdict}: {detail}"
        assert "out" in detail, detail


@pytest.mark.parametrize("name", sorted(UFUNC))
@pytest.mark.parametrize("traced", [False, True], ids=["plain_out", "traced_out"])
def test_out_of_ufunc_is_the_loops_or_a_specific_error(name, traced):
    call, shp, dt = UFUNC[name]
    c = Case(name, _buffer_fun(call, shp, dt, traced), (X, Y))
    for t in TRANSFORMS:
        verdict, detail = run_case(c, t)
        # A plain out: eager vmap continues per example; under jit the program's refusal
        # makes jit run the function itself again, which does the same.
        want = ("equal", "specific") if not traced else ("specific",)
        if not traced and t in ("vmap", "vmap(vmap)"):
            want = ("equal",)
        assert verdict in want, f"{t}: {verdict}: {detail}"


def test_matmul_dtype_keyword_and_refused_axes():
    import autovec
    from autovec.errors import UnsupportedOperationError

    got = autovec.vmap(lambda a, b: np.matmul(a, b, dtype=np.float32))(X, Y)
    want = np.stack([np.matmul(a, b, dtype=np.float32) for a, b in zip(X, Y)])
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-6)
    with pytest.raises(UnsupportedOperationError, match="axes"):
        autovec.vmap(lambda a, b: np.matmul(a, b, axes=[(0, 1), (0, 1), (0, 1)]))(X, Y)
    with pytest.raises(TypeError):
        autovec.vmap(lambda a, b: np.matmul(a, b, dtype=np.int32))(X, Y)
