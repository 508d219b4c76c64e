"""jit's first call with the ``auto`` backend: before numba compiles the kernels, large groups
run their NumPy operations in blocks of rows (autovec/interpreters/fused.py).  The blocks
must give the bits of the unblocked NumPy program, its warnings, and the loop's results."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _fused_checks import draw_array as _draw
from _fused_checks import same_bits as _same
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autovec
from autovec.interpreters import fused
from autovec.testing import check_vmap

needs_numba = pytest.mark.skipif(not fused.NUMBA_AVAILABLE, reason="numba is not installed")


@pytest.fixture(autouse=True)
def _numpy_default_errstate():
    """NumPy's default error state (the suite raises on everything): the blocks run where
    underflow is ignored, as it is by default."""
    with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
        yield


@pytest.fixture
def tiny_blocks(monkeypatch):
    """Every group fused and run in blocks of a few rows, whatever its size (the last block
    shorter than the others where the rows do not divide evenly)."""
    monkeypatch.setattr(fused, "MIN_ELEMENTS", 1)
    monkeypatch.setattr(fused, "BLOCK_MIN_BYTES", 0)
    monkeypatch.setattr(fused, "BLOCK_BYTES", 1)  # one row per block; tests may set more
    blocks = []
    run_block = fused.GroupRunner._numpy_block

    def counted(self, xs, dest, start, stop):
        blocks.append((start, stop))
        return run_block(self, xs, dest, start, stop)

    monkeypatch.setattr(fused.GroupRunner, "_numpy_block", counted)
    return blocks


def _entry(jitted):
    (entry,) = jitted._cache.values()
    return entry.fn


def _call(jitted, args):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = jitted(*args)
    return out, [(w.category, str(w.message)) for w in seen]


def pairwise(a, b):
    return np.sqrt(np.sum((a - b) ** 2))


def dense(w, b, x):
    return np.maximum(x @ w + b, 0.0)


def chain(x, y):
    return np.where(x > 0, x, 0.5) * 2 - x / 3 + np.maximum(x, y) - np.minimum(y, -x)


def trailsum(x, y):
    return (x * y - 1).sum(axis=(-2, -1)) / 2


def intmix(x, y):
    return ((x * 3 - y) & 7) + np.max(x - y, axis=-1, keepdims=True)


def logic(x, y):
    return np.logical_and(x > 0, y < 1).any(-1) | np.all(x != y, -1)


def outer_sum(v, w):
    return np.outer(v, w).sum() + v[0]


CASES = [
    # (function, in_axes, the batch's shapes, nested)
    (pairwise, ((None, 0), (0, None)), [(9, 16), (7, 16)], True),
    (pairwise, (0, None), [(11, 13), (13,)], False),  # one operand broadcast along the rows
    (dense, (None, None, 0), [(6, 9), (9,), (11, 6)], False),  # epilogue of a product
    (chain, 0, [(9, 5), (9, 5)], False),
    (trailsum, 0, [(3, 4, 5), (3, 4, 5)], False),
    (intmix, 0, [(6, 13), (6, 13)], False),
    (logic, 0, [(5, 9), (5, 9)], False),
]
# One example's shapes, for check_vmap (which tries every in_axes).
EXAMPLES = [
    (pairwise, [(16,), (16,)]),
    (dense, [(6, 9), (9,), (6,)]),
    (chain, [(5,), (5,)]),
    (trailsum, [(4, 5), (4, 5)]),
    (intmix, [(13,), (13,)]),
    (logic, [(9,), (9,)]),
]
DTYPES = ["float64", "float32", "int32", "int8"]


def _batched(fun, in_axes, nested, **options):
    if nested:
        inner, outer = in_axes
        return autovec.vmap(autovec.vmap(fun, in_axes=inner), in_axes=outer, **options)
    return autovec.vmap(fun, in_axes=in_axes, **options)


@needs_numba
@pytest.mark.parametrize("case", CASES, ids=[c[0].__name__ for c in CASES])
@pytest.mark.parametrize("dtype", DTYPES)
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # the block counter is cleared for each example
@given(data=st.data())
def test_first_call_in_blocks_equals_numpy(tiny_blocks, monkeypatch, case, dtype, data):
    fun, in_axes, shapes, nested = case
    if fun is intmix and dtype.startswith("float"):
        dtype = "int16"
    block_bytes = data.draw(st.sampled_from([1, 30, 100]))  # rows per block: 1, a few
    monkeypatch.setattr(fused, "BLOCK_BYTES", block_bytes)
    threads = data.draw(st.sampled_from([1, 3]))  # runs of blocks shared among threads
    monkeypatch.setattr(fused, "PARALLEL_ELEMENTS", 1)
    monkeypatch.setenv("AUTOVEC_NUM_THREADS", str(threads))
    special = data.draw(st.booleans())
    args = [_draw(data, s, dtype, special) for s in shapes]
    batched = _batched(fun, in_axes, nested)
    want, want_warns = _call(autovec.jit(batched, backend="numpy"), args)
    before = [a.copy() for a in args]
    tiny_blocks.clear()
    jitted = autovec.jit(batched, backend="auto")
    got, got_warns = _call(jitted, args)
    _same(got, want)
    assert got_warns == want_warns
    for a, b in zip(args, before):
        _same(a, b)  # the blocks wrote into no argument
    entry = _entry(jitted)
    assert isinstance(entry, fused.FusedProgram) and not entry.ready
    assert entry.blocks or block_bytes > 1
    if not want_warns and entry.blocks:
        assert entry.redos == 0 and len(tiny_blocks) > 1  # blocks gave the result


@needs_numba
@pytest.mark.parametrize("case", CASES[:3], ids=[c[0].__name__ for c in CASES[:3]])
def test_first_call_equals_later_calls(tiny_blocks, case):
    fun, in_axes, shapes, nested = case
    rng = np.random.default_rng(3)
    args = [rng.standard_normal(s) for s in shapes]
    jitted = autovec.jit(_batched(fun, in_axes, nested), backend="auto")
    first = jitted(*args)
    assert tiny_blocks
    entry = _entry(jitted)
    assert not entry.ready
    _same(jitted(*args), first)  # compiles the kernels here and runs them
    assert entry.ready and entry.error is None
    _same(jitted(*args), first)


@needs_numba
@pytest.mark.parametrize("case", EXAMPLES, ids=[c[0].__name__ for c in EXAMPLES])
def test_first_calls_in_blocks_match_the_loop(tiny_blocks, case):
    """check_vmap builds jit(vmap(f)) per in_axes: each batch size's first call runs in
    blocks, and must give the loop's results."""
    fun, shapes = case
    dtype = np.int16 if fun in (intmix, logic) else np.float64
    args = [np.arange(np.prod(s), dtype=dtype).reshape(s) % 7 - 3 for s in shapes]
    assert check_vmap(fun, *args, batch_sizes=(3, 5), transforms=("jit_vmap",), nested=False)
    assert tiny_blocks


@needs_numba
def test_chunked_scan_body_runs_in_blocks(tiny_blocks):
    """Chunked vmap under jit: the scan body's group runs in blocks on the first call."""
    rng = np.random.default_rng(4)
    v, w = rng.standard_normal((23, 40)), rng.standard_normal((23, 40))
    batched = autovec.vmap(outer_sum, chunk_size=5)
    want = autovec.jit(batched, backend="numpy")(v, w)
    jitted = autovec.jit(batched, backend="auto")
    _same(jitted(v, w), want)
    assert len(tiny_blocks) > 5 and not _entry(jitted).ready
    _same(np.stack([outer_sum(a, b) for a, b in zip(v, w)]), want)
    _same(jitted(v, w), want)


@needs_numba
def test_other_layouts_and_small_groups_run_whole(monkeypatch):
    """A group smaller than BLOCK_MIN_BYTES is not blocked (the first call runs the NumPy
    program, as before).  A transposed input runs the group's NumPy code whole: NumPy sums
    each row of the transposed square one number after another, a C-contiguous block of one
    row pairwise (jit without vmap: no example_layout fixes the order)."""
    monkeypatch.setattr(fused, "MIN_ELEMENTS", 1)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((40, 30)) * 10.0 ** rng.integers(-8, 9, (40, 30))
    f = autovec.vmap(pairwise, in_axes=(0, 0))
    small = autovec.jit(f)
    _same(small(x, x[::-1]), autovec.vmap(pairwise)(x, x[::-1]))
    assert not _entry(small).blocks
    monkeypatch.setattr(fused, "BLOCK_MIN_BYTES", 0)
    monkeypatch.setattr(fused, "BLOCK_BYTES", 100)
    other = autovec.jit(f)
    _same(other(x.T, x.T[::-1]), autovec.vmap(pairwise)(x.T, x.T[::-1]))
    assert _entry(other).blocks
    squares = lambda x: np.sum((x * 3.0) ** 2, axis=-1)  # noqa: E731
    want = autovec.jit(squares, backend="numpy")(x.T)
    assert not np.array_equal(want, np.sum(np.ascontiguousarray((x.T * 3.0) ** 2), axis=-1))
    jitted = autovec.jit(squares)
    _same(jitted(x.T), want)
    assert _entry(jitted).blocks
    _same(jitted(x), autovec.jit(squares, backend="numpy")(x))  # C-contiguous: in blocks


@needs_numba
def test_large_group_sizes_its_blocks():
    """At the default sizes a 1024 x 1024 x 64 float64 difference is cut into blocks of
    about BLOCK_BYTES per value; a 16 x 64 one is not cut."""
    a = np.random.default_rng(6).standard_normal((1024, 64))
    f = autovec.jit(_batched(pairwise, ((None, 0), (0, None)), True))
    got = f(a, a)
    (runner,) = _entry(f).runners
    assert runner.block_rows == fused.BLOCK_BYTES // (1024 * 64 * 8)
    _same(got, autovec.jit(_batched(pairwise, ((None, 0), (0, None)), True), backend="numpy")(a, a))
    g = autovec.jit(_batched(pairwise, ((None, 0), (0, None)), True))
    g(a[:16], a[:16])
    assert not isinstance(_entry(g), fused.FusedProgram) or not _entry(g).blocks


def newton_then_rows(a, x):
    """A batched while of scalars (its own kernel, fused_while) beside a group in blocks."""

    def body(c):
        r, k = c
        return 0.5 * (r + a / r), k + 1

    r, _ = autovec.while_loop(lambda c: abs(c[0] * c[0] - a) > 1e-9 * a, body, (a, 0))
    return np.sum((x - r) ** 2)


@needs_numba
def test_batched_while_beside_blocks(tiny_blocks):
    """Before its kernel is compiled, a batched while runs its NumPy code; the groups beside
    it run in blocks; the second call compiles both kernels."""
    rng = np.random.default_rng(7)
    a, x = rng.uniform(1.0, 100.0, 9), rng.standard_normal((9, 20))
    batched = autovec.vmap(newton_then_rows)
    want = autovec.jit(batched, backend="numpy")(a, x)
    _same(want, np.stack([newton_then_rows(*ex) for ex in zip(a, x)]))
    jitted = autovec.jit(batched, backend="auto")
    _same(jitted(a, x), want)
    entry = _entry(jitted)
    assert tiny_blocks and entry.blocks and not entry.ready
    assert any(isinstance(r, fused.WhileRunner) for r in entry.runners)
    _same(jitted(a, x), want)
    assert entry.ready and entry.error is None
