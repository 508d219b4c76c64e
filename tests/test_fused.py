"""jit's numba backend (autovec/interpreters/fused*.py): fused kernels give NumPy's results,
bit for bit, and NumPy's warnings; without numba the NumPy code runs unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest
from _fused_checks import draw_array as _draw
from _fused_checks import same_bits as _same
from hypothesis import given, settings
from hypothesis import strategies as st

import autovec
from autovec import errors
from autovec.interpreters import fused
from autovec.interpreters.fused_kernels import LANE_BLOCK

needs_numba = pytest.mark.skipif(not fused.NUMBA_AVAILABLE, reason="numba is not installed")


@pytest.fixture(autouse=True)
def _numpy_default_errstate():
    """NumPy's default error state (the suite raises on everything): the fused program runs
    where underflow is ignored, as it is by default."""
    with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
        yield


def _entry_fn(jitted):
    assert jitted._cache_size() == 1
    return next(iter(jitted._cache.values())).fn


def _run(fun, args, backend):
    """(result, warnings as (category, message)) of jit(fun) with ``backend``."""
    jitted = autovec.jit(fun, backend=backend)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = jitted(*args)
    return jitted, out, [(w.category, str(w.message)) for w in seen]


# ------------------------------------------------------------------------ without numba


def test_numpy_path_without_numba(monkeypatch):
    monkeypatch.setattr(fused, "NUMBA_AVAILABLE", False)
    f = autovec.jit(autovec.vmap(lambda x: np.sqrt(np.sum((x - 1.0) ** 2))))
    x = np.arange(12.0).reshape(3, 4)
    _same(f(x), np.sqrt(np.sum((x - 1.0) ** 2, axis=1)))
    assert not isinstance(_entry_fn(f), fused.FusedProgram)
    with pytest.raises(errors.MissingDependencyError, match="numba"):
        autovec.jit(np.sin, backend="numba")


def test_backend_names(monkeypatch):
    with pytest.raises(errors.OptionError, match="backend"):
        autovec.jit(np.sin, backend="cuda")
    monkeypatch.setenv("AUTOVEC_JIT_BACKEND", "numpy")
    f = autovec.jit(lambda x: x * x + 1)
    assert f.backend == "numpy"
    monkeypatch.setenv("AUTOVEC_JIT_BACKEND", "fast")
    with pytest.raises(errors.OptionError):
        autovec.jit(np.sin)


def test_tiny_work_stays_numpy():
    f = autovec.jit(autovec.vmap(lambda x: x * x + 1))
    f(np.ones(8))
    assert not isinstance(_entry_fn(f), fused.FusedProgram)


# ----------------------------------------------------------------------- fused == NumPy


def pairwise(a, b):
    return np.sqrt(np.sum((a - b) ** 2))


def dense(w, b, x):
    return np.maximum(x @ w + b, 0.0)


def chain(x, y):
    return np.where(x > 0, x, 0.5) * 2 - x / 3 + np.maximum(x, y) - np.minimum(y, -x)


def rowsum(x, y):
    return (x * y + 1).sum(-1)


def trailsum(x, y):
    return (x * y - 1).sum(axis=(-2, -1))  # two axes: one run, as NumPy coalesces them


def intmix(x, y):
    return ((x * 3 - y) & 7) + np.max(x - y, axis=-1, keepdims=True)


def logic(x, y):
    return np.logical_and(x > 0, y < 1).any(-1) | np.all(x != y, -1)


def lanemax(x, y):
    return np.max(x * 3 - y) + np.sum(x // 2 + y)


def lanelogic(x, y):
    return np.logical_and(x > 0, y < 1).any() | np.all(x != y)


def classes(x, y):
    """sign, reciprocal, abs and the tests of a float's class (isnan, isinf, isfinite,
    signbit): integers take abs only."""
    if x.dtype.kind != "f":
        return np.abs(x) - np.abs(y)
    keep = np.isnan(x) | np.isinf(y) | ~np.isfinite(x - y)
    return np.where(keep, np.sign(x), np.reciprocal(y)) + np.abs(x) * np.signbit(y)


LANES = ((None, 0), (0, None))  # a broadcast operand per lane: the lane form of a reduction
CASES = [
    # (function, in_axes, per-example shapes, nested)
    (pairwise, ((None, 0), (0, None)), [(5, 16), (7, 16)], True),
    (pairwise, LANES, [(9, 13), (20, 13)], True),
    (pairwise, LANES, [(9, 5), (20, 5)], True),
    (lanemax, LANES, [(9, 11), (20, 11)], True),
    (lanelogic, LANES, [(9, 7), (20, 7)], True),
    (dense, (None, None, 0), [(6, 9), (9,), (11, 6)], False),
    (chain, 0, [(9, 5), (9, 5)], False),
    (rowsum, 0, [(4, 3, 10), (4, 3, 10)], False),
    (rowsum, 0, [(1, 131), (1, 131)], False),  # longer than one pairwise block
    (trailsum, 0, [(3, 4, 5), (3, 4, 5)], False),
    (intmix, 0, [(6, 13), (6, 13)], False),
    (logic, 0, [(5, 9), (5, 9)], False),
    (classes, 0, [(6, 11), (6, 11)], False),
]
DTYPES = ["float64", "float32", "int32", "int64", "int8"]


def _batched(fun, in_axes, nested):
    if nested:
        inner, outer = in_axes
        return autovec.vmap(autovec.vmap(fun, in_axes=inner), in_axes=outer)
    return autovec.vmap(fun, in_axes=in_axes)


@needs_numba
@pytest.mark.parametrize("case", CASES, ids=[c[0].__name__ for c in CASES])
@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_fused_equals_numpy(case, dtype, data):
    fun, in_axes, shapes, nested = case
    if fun in (intmix, lanemax) and dtype.startswith("float"):
        dtype = "int16"
    special = data.draw(st.booleans())
    args = [_draw(data, s, dtype, special) for s in shapes]
    batched = _batched(fun, in_axes, nested)
    _, want, want_warns = _run(batched, args, "numpy")
    jitted, got, got_warns = _run(batched, args, "numba")
    _same(got, want)
    assert got_warns == want_warns
    entry = _entry_fn(jitted)
    assert isinstance(entry, fused.FusedProgram) and entry.error is None
    if not want_warns and not special:
        assert entry.redos == 0  # the fused program gave the result, not a NumPy rerun
    with np.errstate(all="raise"):
        try:
            want = autovec.jit(batched, backend="numpy")(*args)
        except FloatingPointError:
            with pytest.raises(FloatingPointError):
                jitted(*args)
        else:
            _same(jitted(*args), want)


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lane_form_blocks_and_rows(dtype):
    """Reductions read by lanes (a broadcast operand transposed): across lane blocks, with
    the lanes on the first axis too, bit for bit."""
    rng = np.random.default_rng(5)
    a, b = (rng.standard_normal((n, 67)).astype(dtype) * 10.0 ** rng.integers(-3, 4, n)[:, None]
            for n in (11, 2 * LANE_BLOCK + 3))  # fmt: skip
    for fun, args in [
        (_batched(pairwise, LANES, True), (a, b)),
        (autovec.vmap(lambda s, w: np.sum((s - w) * w), in_axes=(0, None)), (b[:, 0], a[0])),
    ]:
        jitted, got, _ = _run(fun, args, "numba")
        _same(got, autovec.jit(fun, backend="numpy")(*args))
        (runner,) = _entry_fn(jitted).runners
        assert "for b0 in range" in runner.source  # the lane form ran


@needs_numba
def test_python_scalars_stay_weak():
    x = np.linspace(-1, 1, 40, dtype=np.float32).reshape(4, 10)
    f = lambda x: (x * 1.1 + 2).sum()  # noqa: E731
    _same(autovec.jit(autovec.vmap(f), backend="numba")(x), autovec.vmap(f)(x))
    i = np.arange(40, dtype=np.int32).reshape(4, 10)
    g = lambda x, y: x * 0.5 + y  # int32 and float32: float64, as NumPy  # noqa: E731
    _same(autovec.jit(autovec.vmap(g), backend="numba")(i, x), autovec.vmap(g)(i, x))


@needs_numba
def test_epilogue_writes_into_the_product():
    w, b, x = np.ones((6, 9)), np.arange(9.0), np.ones((11, 6))
    f = autovec.jit(autovec.vmap(dense, in_axes=(None, None, 0)), backend="numba")
    _same(f(w, b, x), np.maximum(x @ w + b, 0.0))
    source = autovec.interpreters.codegen.compile_program(_entry_fn(f).program, np).source
    assert "v3 = f1_fused_add_maximum(v3, v1)" in source  # into the product: one name


@needs_numba
def test_other_layouts_run_numpy_code():
    x = np.random.default_rng(0).standard_normal((40, 30))
    f = autovec.jit(autovec.vmap(pairwise, in_axes=(0, 0)), backend="numba")
    _same(f(x.T, x.T[::-1]), autovec.vmap(pairwise)(x.T, x.T[::-1]))


@needs_numba
def test_division_by_zero_warns_once():
    x = np.zeros((3, 5))
    f = lambda x: (x / x + 1).sum()  # noqa: E731
    jitted, got, seen = _run(autovec.vmap(f), [x], "numba")
    assert [c for c, _ in seen] == [RuntimeWarning]
    assert np.isnan(got).all()


@needs_numba
def test_auto_runs_numpy_first_and_compiles_on_the_next_call():
    x = np.random.default_rng(1).standard_normal((64, 1024))
    f = autovec.jit(autovec.vmap(lambda x: np.sum((x - 0.25) * x)))
    want = np.sum((x - 0.25) * x, axis=1)
    first = f(x)
    entry = _entry_fn(f)
    assert isinstance(entry, fused.FusedProgram) and not entry.ready
    _same(first, want)
    _same(f(x), want)  # compiles here, in this thread, and runs fused
    assert entry.ready and entry.error is None
    assert not [t for t in threading.enumerate() if t.name.startswith("autovec-numba")]


@needs_numba
def test_kernels_are_cached_across_processes(tmp_path):
    script = textwrap.dedent(
        """
        import numpy as np, autovec
        f = autovec.jit(autovec.vmap(lambda x: np.sqrt(np.sum((x + 2.5) ** 2))),
                        backend="numba")
        x = np.ones((7, 19), np.float32)
        assert np.array_equal(f(x), np.sqrt(np.sum((x + 2.5) ** 2, axis=1)))
        kernel = next(iter(f._cache.values())).fn.runners[0].kernel
        print(sum(kernel._cache_hits.values()), sum(kernel._cache_misses.values()))
        """
    )
    env = dict(os.environ, AUTOVEC_CACHE_DIR=str(tmp_path))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], env=env, cwd=root, capture_output=True, text=True
        )
        for _ in range(2)
    ]
    for r in runs:
        assert r.returncode == 0, r.stderr
    assert runs[0].stdout.split() == ["0", "1"]  # compiled, and written to the cache
    assert runs[1].stdout.split() == ["1", "0"]  # loaded: no compilation
    assert list((tmp_path / "kernels").glob("k_*.py"))


@needs_numba
def test_each_kernel_function_compiles_once():
    """No function of a kernel is compiled for a literal integer argument besides int64:
    numba would compile it, and every function it calls, twice (a float sum's kernel took
    2.6 s to compile where 1.7 s do)."""
    import sys

    from numba.core.dispatcher import Dispatcher

    rng = np.random.default_rng(0)
    x, y, i = rng.normal(size=(16, 300)), rng.normal(size=(16, 300)), rng.integers(-9, 9, (16, 30))
    runs = [
        (autovec.vmap(lambda a, b: np.sum(a * b)), (x, y)),
        (autovec.vmap(lambda a, b: np.max(a * b)), (x, y)),
        (autovec.vmap(lambda a, b: np.max(a * b)), (i, i)),
        (autovec.vmap(lambda a: np.max(a.reshape(20, 15) * 2)), (x,)),
        (_batched(pairwise, LANES, True), (x[:, :40], y[:, :40])),
    ]
    for fn, args in runs:
        jitted = autovec.jit(fn, backend="numba")
        jitted(*args)
        for runner in _entry_fn(jitted).runners:
            module = sys.modules[runner.kernel.py_func.__module__]
            for name, obj in vars(module).items():
                if isinstance(obj, Dispatcher):
                    assert not any("Literal" in str(sig) for sig in obj.signatures), name


def test_simd_version_is_one_fact_in_two_places():
    """Kernels name fused_simd's version in their source (fused_sums.SIMD_VERSION, which must
    not import numba): numba's disk cache keys a kernel on its own file only, so a change to
    fused_simd compiles the kernels again only when both say the new version."""
    pytest.importorskip("numba")
    from autovec.interpreters import fused_simd, fused_sums

    assert fused_simd.VERSION == fused_sums.SIMD_VERSION
