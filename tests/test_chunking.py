"""vmap(chunk_size=, max_memory=) gives the unchunked result, bit for bit, with a bounded peak
(autovec/interpreters/chunking.py)."""

import sys
import tracemalloc
import warnings

import numpy as np
import pytest

import autovec
from autovec import errors
from autovec.interpreters import chunking

RNG = np.random.default_rng(0)
X = RNG.normal(size=(23, 40))


def outer_sum(x):
    return np.outer(x, x).sum()


def _same(a, b):
    la, ta = autovec.tree_flatten(a)
    lb, tb = autovec.tree_flatten(b)
    assert ta == tb
    for x, y in zip(la, lb):
        assert type(x) is type(y) and x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("chunk_size", [1, 4, 7, 22, 23, 100])
def test_chunk_sizes_give_the_unchunked_result(chunk_size):
    _same(autovec.vmap(outer_sum, chunk_size=chunk_size)(X), autovec.vmap(outer_sum)(X))


def test_in_axes_out_axes_and_pytrees():
    def f(d, w):
        y = d["a"] @ w
        return {"y": y, "n": (np.linalg.norm(d["b"]), w.sum())}

    d = {"a": RNG.normal(size=(5, 13, 3)), "b": RNG.normal(size=(13, 2))}
    w = RNG.normal(size=(3, 4))
    spec = dict(in_axes=({"a": 1, "b": 0}, None), out_axes={"y": -1, "n": (0, None)})
    ref = autovec.vmap(f, **spec)(d, w)
    assert ref["y"].shape == (5, 4, 13)
    _same(autovec.vmap(f, chunk_size=4, **spec)(d, w), ref)
    _same(autovec.vmap(f, max_memory="1KB", **spec)(d, w), ref)


def test_axis_size_with_nothing_mapped_and_keyword_arguments():
    f = lambda w, *, x: w * x
    ref = autovec.vmap(f, in_axes=None)(2.0, x=np.arange(10.0))
    _same(autovec.vmap(f, in_axes=None, chunk_size=3)(2.0, x=np.arange(10.0)), ref)
    g = autovec.vmap(lambda w: w + 1, in_axes=None, axis_size=7, out_axes=None, chunk_size=2)
    _same(g(np.ones(3)), np.ones(3) + 1)


def test_jit_of_chunked_and_chunked_of_jit():
    ref = autovec.vmap(outer_sum)(X)
    _same(autovec.jit(autovec.vmap(outer_sum, chunk_size=5))(X), ref)
    _same(autovec.jit(autovec.vmap(outer_sum, max_memory="50KB"))(X), ref)
    jf = autovec.jit(outer_sum)
    _same(autovec.vmap(jf, chunk_size=5)(X), ref)
    # vmap of a jitted function traces it once and batches its program once per chunk shape
    # (5 and the last 3).
    assert jf.trace_count == 1
    (entry,) = jf._cache.values()
    assert {k[2] for k in entry.program._cache if k[0] == "batched"} == {5, 3}


def test_under_jit_each_chunk_shape_is_traced_once():
    traces = []

    def f(x):
        traces.append(x.shape)
        return np.sin(x).sum()

    autovec.jit(autovec.vmap(f, chunk_size=5))(X)
    assert len(traces) == 2  # the chunks of 5, and the last 3


def test_nested_vmap_chunks_the_outer_axis():
    x = RNG.normal(size=(9, 6, 5))
    inner = autovec.vmap(lambda r: np.outer(r, r).trace())
    ref = autovec.vmap(inner)(x)
    _same(autovec.vmap(inner, chunk_size=2)(x), ref)
    _same(autovec.vmap(autovec.vmap(lambda r: np.outer(r, r).trace(), chunk_size=4))(x), ref)
    _same(autovec.vmap(inner, max_memory="2KB")(x), ref)


def test_splits_fallbacks_and_ragged_lists():
    def f(x):
        if x.sum() > 0:  # the batch splits
            return x * 2
        return -x

    ref = autovec.vmap(f)(X)
    _same(autovec.vmap(f, chunk_size=5)(X), ref)

    def g(x):
        return np.asarray(x).cumsum()  # a per-lane fallback

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", errors.FallbackWarning)
        _same(autovec.vmap(g, chunk_size=6)(X), autovec.vmap(g)(X))
    h = lambda x: x[: int(x[0] > 0) + 1]
    out = autovec.vmap(h, ragged="list", chunk_size=4)(X)
    assert len(out) == len(X)
    for a, b in zip(out, [h(x) for x in X]):
        _same(a, b)


def test_per_lane_exceptions_keep_their_index():
    def f(x):
        if x[0] > 100:
            raise KeyError("big")
        return x

    x = X.copy()
    x[9, 0] = 200.0
    with pytest.raises(KeyError) as info:
        autovec.vmap(f, chunk_size=4)(x)
    notes = " ".join(getattr(info.value, "__notes__", []))
    if sys.version_info >= (3, 11):
        assert "index 1" in notes and "examples 8..11" in notes and "from 8" in notes


def test_random_draws_are_the_loops():
    def f(x, g):
        return x[:3] + g.normal(size=3) + g.integers(0, 9)

    g_vmap, g_loop = np.random.default_rng(5), np.random.default_rng(5)
    out = autovec.vmap(f, in_axes=(0, None), chunk_size=4)(X, g_vmap)
    ref = np.stack([f(x, g_loop) for x in X])
    np.testing.assert_array_equal(out, ref)
    assert repr(g_vmap.bit_generator.state) == repr(g_loop.bit_generator.state)
    g_mem = np.random.default_rng(5)
    np.testing.assert_array_equal(
        autovec.vmap(f, in_axes=(0, None), max_memory="4KB")(X, g_mem), ref
    )


def test_max_memory_keeps_the_peak_under_the_budget():
    x = RNG.normal(size=(200, 300))  # 720 KB per example unchunked: 144 MB in all
    budget = 8 * 2**20
    tracemalloc.start()
    try:
        out = autovec.vmap(outer_sum, max_memory=budget)(x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < budget, peak
    np.testing.assert_array_equal(out, autovec.vmap(outer_sum, chunk_size=50)(x))


def _scan_eqns(program):
    return [e for e in program.eqns if e.prim.name == "scan"]


def test_under_jit_one_program_for_one_chunk_runs_in_a_loop():
    # The staged program holds ONE chunk's program, looped over by a scan, whatever the
    # batch size: its size does not grow with the number of chunks.
    make = autovec.make_ir(autovec.vmap(outer_sum, chunk_size=5))
    small, big = make(RNG.normal(size=(23, 40))), make(RNG.normal(size=(233, 40)))
    assert len(small.eqns) == len(big.eqns)
    (scan,) = _scan_eqns(big)
    assert scan.params["length"] == 46  # 233 examples: 46 chunks of 5, then the last 3
    assert [v.aval.shape for v in scan.params["program"].in_vars] == [(5, 40)]
    multiplies = [e for e in big.eqns if e.prim.name == "multiply"]
    assert [e.outputs[0].aval.shape for e in multiplies] == [(3, 40, 40)]  # the last 3 only
    assert big.out_avals[0].shape == (233,)


def test_under_jit_chunks_with_axes_pytrees_and_nesting_equal_unchunked():
    def f(d, w):
        return {"y": d["a"] @ w, "n": (np.linalg.norm(d["b"]), w.sum())}

    d = {"a": RNG.normal(size=(5, 13, 3)), "b": RNG.normal(size=(13, 2))}
    w = RNG.normal(size=(3, 4))
    spec = dict(in_axes=({"a": 1, "b": 0}, None), out_axes={"y": -1, "n": (0, None)})
    ref = autovec.vmap(f, **spec)(d, w)
    _same(autovec.jit(autovec.vmap(f, chunk_size=4, **spec))(d, w), ref)
    _same(autovec.jit(autovec.vmap(f, chunk_size=13, **spec))(d, w), ref)
    x = RNG.normal(size=(9, 6, 5))
    inner = autovec.vmap(lambda r: np.outer(r, r).trace())
    ref = autovec.vmap(inner)(x)
    _same(autovec.jit(autovec.vmap(inner, chunk_size=2))(x), ref)
    _same(autovec.vmap(autovec.jit(autovec.vmap(inner, chunk_size=2)))(x[None])[0], ref)
    _same(autovec.jit(autovec.vmap(inner, max_memory="2KB"))(x), ref)


def test_under_jit_max_memory_keeps_the_peak_under_the_budget():
    x = RNG.normal(size=(200, 300))  # 720 KB per example unchunked: 144 MB in all
    budget = 8 * 2**20
    f = autovec.jit(autovec.vmap(outer_sum, max_memory=budget))
    f(x)  # traced and compiled
    # (with numba, the fused kernels compile on the next call: compile them first, so the
    # measured call runs them and tracemalloc does not count numba's compiler)
    from autovec.interpreters.fused import wait_for_kernels

    wait_for_kernels()
    tracemalloc.start()
    try:
        out = f(x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < budget, peak
    np.testing.assert_array_equal(out, autovec.vmap(outer_sum, chunk_size=50)(x))


def test_program_peak_frees_values_after_their_last_use():
    program = autovec.jit(outer_sum).lower(np.ones(100)).program
    assert chunking.program_peak(program) == 100 * 100 * 8 + 8  # the outer product, the sum


@pytest.mark.parametrize(
    "spec, n",
    [(1000, 1000), ("256MB", 256 * 10**6), ("1.5GiB", int(1.5 * 2**30)), ("2 kb", 2000)],
)
def test_memory_strings(spec, n):
    assert chunking.parse_memory(spec) == n


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(chunk_size=0),
        dict(chunk_size=2.5),
        dict(chunk_size=True),
        dict(max_memory="lots"),
        dict(max_memory=-1),
        dict(chunk_size=2, max_memory="1GB"),
        dict(progress="yes"),
        dict(chunk_size=2, randomness="same"),
    ],
)
def test_bad_options_raise_option_error(kwargs):
    with pytest.raises(errors.OptionError):
        autovec.vmap(outer_sum, **kwargs)


def test_memory_error_suggests_max_memory():
    def f(x):
        raise MemoryError("Unable to allocate 6.4 GiB")

    with pytest.raises(errors.VmapMemoryError, match="max_memory=") as info:
        autovec.vmap(f)(X)
    assert isinstance(info.value, MemoryError)


def test_progress_true_without_tqdm_says_how_to_install(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    with pytest.raises(errors.MissingDependencyError, match=r"pip install autovec\[progress\]"):
        autovec.vmap(outer_sum, chunk_size=2, progress=True)


def test_progress_bar_is_drawn(capsys):
    pytest.importorskip("tqdm")
    autovec.vmap(outer_sum, chunk_size=5, progress=True)(X)
    err = capsys.readouterr().err
    assert "vmap" in err and "23/23" in err.replace("\r", "\n")
