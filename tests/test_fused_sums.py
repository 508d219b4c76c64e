"""The numba backend's long float sums, sums over several trailing axes and fused scan bodies
(autovec/interpreters/fused*.py): NumPy's pairwise order, bit for bit, against jit's NumPy code
(which sums as the per-example loop does)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _fused_checks import same_bits as _same
from hypothesis import given, settings
from hypothesis import strategies as st

import autovec
from autovec.interpreters import fused, fused_groups, fused_sums
from autovec.interpreters.codegen import compile_program

needs_numba = pytest.mark.skipif(not fused.NUMBA_AVAILABLE, reason="numba is not installed")


@pytest.fixture(autouse=True)
def _numpy_default_errstate():
    with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
        yield


def _entry(jitted):
    (entry,) = jitted._cache.values()
    return entry.fn


def _values(rng, shape, dtype):
    """Numbers of many magnitudes and both signs: any other order of additions shows."""
    x = rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 7, shape)
    return x.astype(dtype)


def _check(fun, args, nred):
    """jit(fun) with the numba backend equals its NumPy code, and a fused kernel reducing
    ``nred`` trailing axes gave it (not a NumPy rerun)."""
    jitted = autovec.jit(fun, backend="numba")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = jitted(*args)
    _same(got, autovec.jit(fun, backend="numpy")(*args))
    entry = _entry(jitted)
    assert isinstance(entry, fused.FusedProgram) and entry.redos == 0 and entry.error is None
    assert [r.group.nred for r in entry.runners] == [nred]
    return entry.runners[0].source


def _trailing(nred, keepdims=False):
    axes = tuple(range(-nred, 0))
    return lambda x, y: np.sqrt(np.abs(np.sum(x * y - 0.5, axis=axes, keepdims=keepdims)))


def outer_sum(v):
    return np.outer(v, v).sum()


# Lengths around NumPy's blocks (8 running sums, blocks of 128, halves rounded to 8: 135 and
# 136 split into two blocks of unequal lengths) and the row form's parts (FILL numbers).
FILL = fused_sums.FILL
LENGTHS = [1, 7, 8, 9, 127, 128, 129, 135, 136, 240, 255, 256, 257, 1000]
LENGTHS += [FILL - 1, FILL, FILL + 1, 2 * FILL + 24, 8191, 8192, 8193, 65539]


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n", LENGTHS)
def test_long_sums_over_one_and_two_axes(n, dtype):
    rng = np.random.default_rng(n)
    x, y = _values(rng, (3, n), dtype), _values(rng, (1, n), dtype)
    _check(_trailing(1), (x, y), 1)
    for k in (1, 3, 8, 50):  # the same run as (n // k, k): the kernel carries across rows
        if n % k == 0:
            shape = (2, n // k, k)
            x, y = _values(rng, shape, dtype), _values(rng, (1, 1, k), dtype)
            _check(_trailing(2), (x, y), 2)


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n", [8, 9, 15, 16, 64, 127, 128])
def test_short_rows_sum_eight_numbers_at_once(n, dtype):
    """Rows of one block whose steps are + - * / and negation in the sum's dtype: _elem8
    computes 8 numbers at once, bit for bit as the scalar steps (inputs along the row,
    broadcast across rows, or one number a row)."""
    rng = np.random.default_rng(n + 7)
    x, y = _values(rng, (40, n), dtype), _values(rng, (1, n), dtype)
    c = _values(rng, (40, 1), dtype)
    for fun, args in (
        (lambda a, b: np.sum(a * b - 0.5, axis=-1), (x, y)),
        (lambda a, b: np.sqrt(np.sum((a - b) ** 2, axis=-1)), (x, x[::-1].copy())),
        (lambda a, b: np.sum(-a / b + a, axis=-1), (x, c)),
    ):
        assert "def _elem8" in _check(fun, args, 1)
    assert "def _elem8" not in _check(lambda a, b: np.sum(np.maximum(a, b), axis=-1), (x, y), 1)


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n", [5, 129, 1000, 8193])
def test_lane_form_long_sums(n, dtype):
    """Many lanes (rows of one operand against a broadcast other): the lanes' sums run
    side by side, each in NumPy's pairwise order, over one axis, and over two holding one
    block; over two axes holding more, the row form's vector sums, whatever the lanes."""
    rng = np.random.default_rng(n + 1)
    a, b = _values(rng, (16, 1, n), dtype), _values(rng, (1, 40, n), dtype)
    source = _check(lambda a, b: np.sum((a - b) * b, axis=-1), (a, b), 1)
    assert "for b0 in range" in source
    a, b = _values(rng, (16, 1, 4, 8), dtype), _values(rng, (1, 40, 4, 8), dtype)
    source = _check(lambda a, b: np.sum((a - b) * b, axis=(-2, -1)), (a, b), 2)
    assert "for b0 in range" in source
    d = max(min(n, 300), 16)  # 16 and more: moving the vectors costs 1/8 of the work or less
    for lanes in (20, 40):
        source = _check(autovec.vmap(outer_sum), (_values(rng, (lanes, d), dtype),), 2)
        assert "for b0 in range" not in source and "def _bleaf2" in source


@needs_numba
@settings(max_examples=40, deadline=None)
@given(
    outer=st.lists(st.integers(1, 3), min_size=1, max_size=2),
    reduced=st.lists(
        st.one_of(st.integers(1, 12), st.sampled_from([31, 129, 300])), min_size=1, max_size=3
    ),  # fmt: skip
    broadcast=st.lists(st.booleans(), min_size=5, max_size=5),
    dtype=st.sampled_from(["float64", "float32"]),
    keepdims=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_trailing_sums_equal_numpy(outer, reduced, broadcast, dtype, keepdims, seed):
    shape = (*outer, *reduced)
    if np.prod(shape) > 300_000:
        reduced = reduced[:1]
        shape = (*outer, *reduced)
    rng = np.random.default_rng(seed)
    y_shape = tuple(1 if b else s for s, b in zip(shape, broadcast))
    x, y = _values(rng, shape, dtype), _values(rng, y_shape, dtype)
    _check(_trailing(len(reduced), keepdims), (x, y), len(reduced))


@needs_numba
def test_integer_and_boolean_reductions_over_trailing_axes():
    rng = np.random.default_rng(3)
    x = rng.integers(-50, 50, (4, 7, 9, 5), dtype=np.int32)
    y = rng.integers(-50, 50, (1, 7, 1, 5), dtype=np.int32)
    _check(lambda x, y: np.sum(x * y + 3, axis=(2, 3)), (x, y), 2)
    _check(lambda x, y: np.max(x - y, axis=(1, 2, 3), keepdims=True), (x, y), 3)
    _check(lambda x, y: np.min(x * 2 - y, axis=(2, 3)), (x, y), 2)
    _check(lambda x, y: np.any(x > y + 45, axis=(2, 3)), (x, y), 2)
    _check(lambda x, y: np.all(x != y, axis=(1, 2, 3)), (x, y), 3)


@needs_numba
def test_non_trailing_axes_and_full_sums_stay_numpy():
    x = np.random.default_rng(4).standard_normal((6, 7, 8))
    for axes in [(0, 2), (1,), None]:
        f = autovec.jit(lambda x: np.sum(x * x, axis=axes), backend="numba")
        _same(f(x), np.sum(x * x, axis=axes))
        assert not isinstance(_entry(f), fused.FusedProgram)


@needs_numba
def test_special_values_warn_as_numpy():
    x = np.ones((3, 4, 300))
    x[1, 2, 100] = np.inf
    x[2, 0, 0] = np.nan
    y = np.zeros((1, 1, 300))
    y[0, 0, 5] = -0.0
    f = lambda x, y: np.sum(x * y, axis=(1, 2))  # noqa: E731  inf * 0: invalid
    with warnings.catch_warnings(record=True) as got_warns:
        warnings.simplefilter("always")
        got = autovec.jit(f, backend="numba")(x, y)
    with warnings.catch_warnings(record=True) as want_warns:
        warnings.simplefilter("always")
        want = autovec.jit(f, backend="numpy")(x, y)
    _same(got, want)
    assert [w.category for w in got_warns] == [w.category for w in want_warns] != []


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_chunked_outer_sum_fuses_the_scan_body(dtype):
    """Chunked vmap under jit runs its full chunks as a scan: its body is fused, and the
    result is the loop's (each example's 40 x 40 products summed pairwise)."""
    xs = _values(np.random.default_rng(6), (23, 40), dtype)
    f = autovec.jit(autovec.vmap(outer_sum, chunk_size=5), backend="numba")
    got = f(xs)
    _same(got, np.stack([outer_sum(x) for x in xs]))
    entry = _entry(f)
    assert isinstance(entry, fused.FusedProgram) and entry.redos == 0
    (scan,) = [e for e in entry.program.eqns if e.prim.facts.runs_program]
    body = compile_program(scan.params["program"], np).source
    assert "fused_multiply_sum" in body  # the body's product and sum are one kernel
    assert len(entry.runners) == 2  # the scan body's group and the last, partial chunk's


@needs_numba
def test_scan_body_redo_warns_once():
    xs = np.ones((10, 6))
    xs[7, 2] = np.inf
    f = lambda v: np.outer(v, v * 0.0).sum()  # noqa: E731  inf * 0 in one example
    jitted = autovec.jit(autovec.vmap(f, chunk_size=4), backend="numba")
    reference = autovec.jit(autovec.vmap(f, chunk_size=4), backend="numpy")
    seen = []
    for fun in (jitted, reference):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            seen.append((fun(xs), [(w.category, str(w.message)) for w in caught]))
    (got, got_warns), (want, want_warns) = seen
    _same(got, want)
    assert got_warns == want_warns and len(want_warns) == 2  # v * 0.0, inf * 0 in outer
    assert _entry(jitted).redos == 1  # the fused scan body flagged it: NumPy ran again


@needs_numba
def test_runs_follow_numpy_buffer_size():
    """NumPy 2.2 sums a long run pairwise one buffer (np.getbufsize()) at a time, NumPy 2.3+
    in one go; the kernels ask which at import and read the buffer size at each call."""
    rng = np.random.default_rng(8)
    x, y = _values(rng, (3, 5000), "float64"), _values(rng, (1, 5000), "float64")
    old = np.setbufsize(1024)
    try:
        _check(_trailing(1), (x, y), 1)
    finally:
        np.setbufsize(old)


@needs_numba
def test_unknown_numpy_order_keeps_long_sums_numpy(monkeypatch):
    monkeypatch.setattr(fused_groups, "_SUM_RUNS", [None])
    x = np.ones((4, 200))
    f = autovec.jit(lambda x: np.sum(x * x, axis=-1), backend="numba")
    _same(f(x), np.full(4, 200.0))
    assert not isinstance(_entry(f), fused.FusedProgram)
    g = autovec.jit(lambda x: np.sum(x * x, axis=-1), backend="numba")
    _same(g(x[:, :100]), np.full(4, 100.0))  # one block: NumPy's order whatever the version
    assert isinstance(_entry(g), fused.FusedProgram)
