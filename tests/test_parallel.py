"""Large calls split across threads (autovec/parallel.py) give the whole call's bits.

Every test forces the split on small arrays (thresholds lowered, three threads) and compares
with the same call made whole (``AUTOVEC_NUM_THREADS=1``) by ``np.array_equal``: the split
computes each element with the same loop from the same operands, so nothing may differ.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import autovec
from autovec import parallel


@pytest.fixture
def split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_ELEMENTS", 8)
    monkeypatch.setattr(parallel, "MIN_MATMUL_WORK", 8)
    monkeypatch.setenv("AUTOVEC_NUM_THREADS", "3")


def _whole(fn, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as m:
        m.setenv("AUTOVEC_NUM_THREADS", "1")
        return fn()


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a, b, equal_nan=True)


def test_run_parts_covers_every_index_once(split: None) -> None:
    seen: list[tuple[int, int]] = []
    threads: set[str] = set()

    def body(i: int, j: int) -> None:
        seen.append((i, j))
        threads.add(threading.current_thread().name)

    parallel.run_parts(37, body, 3)
    assert sorted(k for i, j in seen for k in range(i, j)) == list(range(37))
    assert len(seen) == 3 * parallel.PARTS_PER_THREAD


def test_run_parts_nested_and_one_thread_run_whole(split: None) -> None:
    inner: list[tuple[int, int]] = []
    parallel.run_parts(
        10, lambda i, j: parallel.run_parts(5, lambda a, b: inner.append((a, b)), 3), 3
    )
    assert inner and all(part == (0, 5) for part in inner)
    whole: list[tuple[int, int]] = []
    parallel.run_parts(10, lambda i, j: whole.append((i, j)), 1)
    assert whole == [(0, 10)]


def test_run_parts_raises_a_parts_error(split: None) -> None:
    def body(i: int, j: int) -> None:
        if i <= 5 < j:
            raise ZeroDivisionError("part")

    with pytest.raises(ZeroDivisionError, match="part"):
        parallel.run_parts(12, body, 3)


@pytest.mark.parametrize(
    ("ufunc", "shapes"),
    [
        (np.add, [(7, 5, 4), (7, 5, 4)]),
        (np.subtract, [(7, 5, 4), (7, 5, 1)]),  # a reduced operand, broadcast
        (np.multiply, [(7, 5, 4), (4,)]),  # lower rank: passed whole
        (np.divide, [(1, 5, 4), (7, 5, 4)]),  # first axis of one
        (np.exp, [(9, 3)]),
        (np.maximum, [(9, 3), None]),  # a scalar
    ],
)
def test_split_ufunc_gives_the_whole_calls_bits(
    split: None, monkeypatch: pytest.MonkeyPatch, ufunc: np.ufunc, shapes: list
) -> None:
    rng = np.random.default_rng(0)
    args = tuple(0.5 if s is None else rng.standard_normal(s) for s in shapes)
    out_shape = np.broadcast_shapes(*(np.shape(a) for a in args))
    sliced = parallel.ufunc_plan(ufunc, tuple(None if s is None else s for s in shapes), out_shape)
    assert sliced is not None
    got = parallel.split_ufunc(ufunc, args, sliced, None)
    _same(got, ufunc(*args))
    into = np.empty(out_shape)
    assert parallel.split_ufunc(ufunc, args, sliced, into) is into
    _same(into, ufunc(*args))


def test_split_ufunc_leaves_other_layouts_to_numpy(split: None) -> None:
    a = np.ones((8, 6)).T  # Fortran order: NumPy's own output would be too
    sliced = parallel.ufunc_plan(np.negative, (a.shape,), a.shape)
    assert parallel.split_ufunc(np.negative, (a,), sliced, None) is None


@pytest.mark.parametrize("name", ["sum", "max", "mean", "var", "prod"])
@pytest.mark.parametrize(
    ("shape", "axes"),
    [((6, 50, 40), (2,)), ((6, 50, 40), (1, 2)), ((6, 50, 40), (1,)), ((5, 300), (1,))],
)
def test_split_reduction_gives_the_whole_reductions_bits(
    split: None, name: str, shape: tuple, axes: tuple
) -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0.5, 1.5, shape) if name == "prod" else rng.standard_normal(shape)
    for keepdims in (False, True):
        fn = lambda v: getattr(v, name)(axis=axes, keepdims=keepdims)  # noqa: E731
        want = fn(x)
        got = parallel.split_reduction(fn, x, want.shape, want.dtype)
        assert got is not None
        _same(got, want)


@pytest.mark.parametrize("dtype", ["float64", "float32", "complex128"])
def test_split_matmul_gives_numpys_bits_and_restores_blas(split: None, dtype: str) -> None:
    if not parallel.blas_controlled():
        pytest.skip("NumPy's BLAS is not OpenBLAS here")
    rng = np.random.default_rng(2)
    a = rng.standard_normal((9, 33, 40)).astype(dtype)
    b = rng.standard_normal((9, 40, 17)).astype(dtype)
    before = parallel._the_blas().get()
    for bb in (b, np.ascontiguousarray(b.transpose(0, 2, 1)).transpose(0, 2, 1)):
        got = parallel.split_matmul(a, bb)
        assert got is not None
        _same(got, np.matmul(a, bb))
    assert parallel._the_blas().get() == before


def test_split_matmul_declines_small_mixed_and_one_thread(
    split: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = np.ones((4, 3, 3))
    assert parallel.split_matmul(a, a.astype(np.float32)) is None  # mixed dtypes
    assert parallel.split_matmul(a[:1], a[:1]) is None  # one matrix
    monkeypatch.setenv("AUTOVEC_NUM_THREADS", "1")
    assert parallel.split_matmul(a, a) is None


def _attention(q, k, v):
    s = q @ k.T / np.sqrt(q.shape[-1])
    s = s - s.max(axis=-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True) @ v


def _mlp(w, b, x):
    h = np.maximum(x @ w + b, 0.0)
    return h - np.log(np.sum(np.exp(h)))


@pytest.mark.parametrize("backend", ["numpy", "auto"])
def test_jit_and_eager_vmap_split_give_the_unsplit_bits(
    split: None, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal((6, 20, 16)) for _ in range(3))
    w, b, x = rng.standard_normal((16, 24)), rng.standard_normal(24), rng.standard_normal((30, 16))
    cases = [(_attention, (q, k, v), 0), (_mlp, (w, b, x), (None, None, 0))]
    for fun, args, in_axes in cases:
        eager = autovec.vmap(fun, in_axes=in_axes)
        jitted = autovec.jit(eager, backend=backend)
        want = _whole(lambda: eager(*args), monkeypatch)  # noqa: B023
        loop = np.stack(
            [
                fun(*(a if ax is None else a[i] for a, ax in zip(args, _axes(in_axes, len(args)))))
                for i in range(len(want))
            ]
        )
        np.testing.assert_allclose(want, loop, rtol=1e-12, atol=1e-12)
        for _ in range(3):  # auto: the NumPy program first, then the fused one
            _same(jitted(*args), want)
            _same(eager(*args), want)


def _axes(in_axes, n):
    return in_axes if isinstance(in_axes, tuple) else (in_axes,) * n


def test_check_vmap_with_splitting(split: None) -> None:
    q = np.random.default_rng(4).standard_normal((12, 8))
    assert (
        autovec.testing.check_vmap(
            _attention, q, q, q, transforms=("vmap", "jit_vmap"), nested=False
        )
        > 0
    )


def test_floating_point_errors_warn_once_or_raise_as_numpy(split: None) -> None:
    a = np.ones((12, 4))
    a[[1, 7, 10]] = 0.0
    a[4, 1] = np.inf  # 0 * inf: invalid; x / 0: divide by zero, one warning each
    b = np.where(np.isinf(a), 0.0, 1.0)
    sliced = parallel.ufunc_plan(np.divide, (a.shape, a.shape), a.shape)
    with np.errstate(all="warn"), pytest.warns(RuntimeWarning) as record:
        parallel.split_ufunc(np.multiply, (a, b), sliced, None)
        parallel.split_ufunc(np.divide, (b, a), sliced, None)
    with np.errstate(all="warn"), pytest.warns(RuntimeWarning) as numpys:
        np.multiply(a, b)
        np.divide(b, a)
    assert [str(w.message) for w in record] == [str(w.message) for w in numpys]
    assert len(record) == 2 and {w.filename for w in record} == {__file__}
    with np.errstate(all="raise"), pytest.raises(FloatingPointError) as err:
        parallel.split_ufunc(np.divide, (b, a), sliced, None)
    with np.errstate(all="raise"), pytest.raises(FloatingPointError) as want:
        np.divide(b, a)
    assert str(err.value) == str(want.value)
    with np.errstate(all="ignore"):
        _same(parallel.split_ufunc(np.divide, (a, a), sliced, None), np.divide(a, a))
    with np.errstate(all="call", call=lambda *args: None):
        assert parallel.split_ufunc(np.divide, (a, a), sliced, None) is None  # kept whole
    # A reduction whose parts raised a flag the caller does not ignore is left to the
    # caller, who runs it whole; ignored flags change nothing.
    tiny = np.full((12, 4), 1e-100)
    prod = lambda v: v.prod(axis=1)  # noqa: E731
    with np.errstate(all="ignore", under="warn"):
        assert parallel.split_reduction(prod, tiny, (12,), tiny.dtype) is None
    with np.errstate(all="ignore"):
        _same(parallel.split_reduction(prod, tiny, (12,), tiny.dtype), prod(tiny))


def test_jit_warns_as_unsplit_numpy_code(split: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def f(x):
        return np.log(x) / x

    x = np.abs(np.random.default_rng(5).standard_normal((16, 8)))
    x[3, 2] = 0.0
    jitted = autovec.jit(autovec.vmap(f), backend="numpy")
    messages = []
    for threads in ("3", "1"):
        monkeypatch.setenv("AUTOVEC_NUM_THREADS", threads)
        with np.errstate(all="warn"), pytest.warns(RuntimeWarning) as record:
            out = jitted(x)
        messages.append(sorted(str(w.message) for w in record))
    assert messages[0] == messages[1]
    assert messages[0] == ["divide by zero encountered in log"]
    assert np.isneginf(out[3, 2])


# ------------------------------------------------------------ jit programs run in blocks


@pytest.fixture
def blocks(split: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from autovec.interpreters import blocked

    monkeypatch.setattr(blocked, "MIN_BYTES", 64)
    monkeypatch.setattr(blocked, "BLOCK_BYTES", 256)


def _program_runner(jitted, args):
    jitted(*args)
    (entry,) = jitted._cache.values()
    return entry.fn


def _softmax_sums(x, y):
    s = np.transpose(x, (1, 0)) @ y / 3.0  # (d, k) of each example
    s = s - s.max(axis=-1, keepdims=True)
    t = np.exp(s).astype(np.float32).astype(np.float64)
    return (t / t.sum(axis=0, keepdims=True))[None, :, :].sum(axis=(1,)) + s.mean()


@pytest.mark.parametrize("threads", ["1", "3"])
def test_blocked_programs_give_the_whole_programs_bits(
    blocks: None, monkeypatch: pytest.MonkeyPatch, threads: str
) -> None:
    from autovec.interpreters.blocked import BlockedProgram

    monkeypatch.setenv("AUTOVEC_NUM_THREADS", threads)
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((13, 7, 5)), rng.standard_normal((13, 7, 4))
    cases = [
        (_attention, (x, x, x)),
        (_softmax_sums, (x, y)),
        (_softmax_sums, (np.asfortranarray(x), y[:, ::-1])),  # other layouts
    ]
    for fun, args in cases:
        jitted = autovec.jit(autovec.vmap(fun), backend="numpy")
        assert isinstance(_program_runner(jitted, args), BlockedProgram)
        want = autovec.jit(autovec.vmap(fun), backend="numpy")
        with monkeypatch.context() as m:
            from autovec.interpreters import blocked

            m.setattr(blocked, "MIN_BYTES", 1 << 60)
            m.setenv("AUTOVEC_NUM_THREADS", "1")
            whole = want(*args)
            assert not isinstance(_program_runner(want, args), BlockedProgram)
        _same(jitted(*args), whole)
        loop = np.stack([fun(*(a[i] for a in args)) for i in range(len(x))])
        np.testing.assert_allclose(whole, loop, rtol=1e-12, atol=1e-12)


def test_programs_mixing_rows_run_whole(blocks: None) -> None:
    from autovec.interpreters.blocked import BlockedProgram

    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((12, 6)), rng.standard_normal((6, 12))
    mixing = [
        (lambda x: x - x.mean(axis=0), (x,)),  # a reduction over the rows
        (lambda x, w: x @ w, (x, w)),  # one product over all rows (a GEMM)
        (autovec.vmap(np.cumsum), (x,)),  # a step without a row rule
        (lambda x: x.T * 2.0, (x,)),  # the rows leave the first axis
        (lambda x: x[::-1] + 1.0, (x,)),  # the rows change places
    ]
    for fun, args in mixing:
        jitted = autovec.jit(fun)
        assert not isinstance(_program_runner(jitted, args), BlockedProgram)


def test_blocked_program_warns_as_the_whole_run(blocks: None) -> None:
    def f(x):
        return np.exp(x * 1000.0) / x.sum()

    x = np.random.default_rng(8).standard_normal((16, 8))
    jitted = autovec.jit(autovec.vmap(f), backend="numpy")
    with np.errstate(all="warn", under="ignore"), pytest.warns(RuntimeWarning) as record:
        out = jitted(x)
    assert [str(w.message) for w in record] == ["overflow encountered in exp"]
    from autovec.interpreters.blocked import BlockedProgram

    (entry,) = jitted._cache.values()
    assert isinstance(entry.fn, BlockedProgram)
    with np.errstate(all="ignore"):
        _same(out, np.exp(x * 1000.0) / x.sum(axis=1, keepdims=True))
    with np.errstate(over="raise"), pytest.raises(FloatingPointError, match="overflow"):
        jitted(x)


@pytest.mark.parametrize("threads", ["1", "3"])
def test_blocked_reshapes_keep_each_blocks_rows(
    blocks: None, monkeypatch: pytest.MonkeyPatch, threads: str
) -> None:
    # A reshape's traced sizes name all the rows; on a block it must keep the block's (it
    # raised, and every call ran again eagerly).
    from autovec.interpreters.blocked import BlockedProgram

    monkeypatch.setenv("AUTOVEC_NUM_THREADS", threads)
    traced = []

    def f(x):
        traced.append(1)
        return np.exp(x.reshape(4, 3)).sum(axis=1).reshape(2, 2) / 3.0

    x = np.random.default_rng(8).standard_normal((40, 12))
    jitted = autovec.jit(autovec.vmap(f), backend="numpy")
    runner = _program_runner(jitted, (x,))
    assert isinstance(runner, BlockedProgram)
    whole_runs = []
    whole = runner.fn
    monkeypatch.setattr(runner, "fn", lambda *a: whole_runs.append(1) or whole(*a))
    count = len(traced)
    got = jitted(x)
    assert len(traced) == count and not whole_runs  # neither eager nor whole
    _same(got, np.stack([f(row) for row in x]))


def test_programs_with_few_intermediates_run_whole(blocks: None) -> None:
    # Blocks save the intermediates' trips to memory and cost a copy of the outputs: a
    # program of one step (or whose steps write little besides its outputs) runs whole.
    from autovec.interpreters.blocked import BlockedProgram

    x = np.random.default_rng(9).standard_normal((12, 8))
    whole = [lambda x: x[::2] + x[1::2], lambda x: np.kron(x[:2], x[:2]), lambda x: x * 2.0 + 1.0]
    for fun in whole:
        assert not isinstance(_program_runner(autovec.jit(autovec.vmap(fun)), (x,)), BlockedProgram)
    chain = autovec.jit(autovec.vmap(lambda x: np.exp(x - x.max()) / np.exp(x - x.max()).sum()))
    assert isinstance(_program_runner(chain, (x,)), BlockedProgram)
