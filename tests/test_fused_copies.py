"""The numba backend's float means, variances, casts and shared values
(autovec/interpreters/fused_groups.py, fused_rewrites.py): a mean is summed in NumPy's
pairwise order and divided as NumPy's ``_mean`` divides; ``var``/``std`` are NumPy's own
steps; ``astype`` to a float joins groups; a value several groups read is recomputed in each
of them (and still computed once where something else reads it).  Bit for bit against the
per-example Python loop."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _fused_checks import same_bits as _same
from _fused_checks import warned

import autovec
from autovec.interpreters import fused
from autovec.interpreters.fused_groups import find_groups, kept_members

needs_numba = pytest.mark.skipif(not fused.NUMBA_AVAILABLE, reason="numba is not installed")


@pytest.fixture(autouse=True)
def _numpy_default_errstate():
    with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
        yield


def _values(rng, shape, dtype):
    """Numbers of many magnitudes and both signs: another order of additions shows."""
    x = rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 7, shape)
    return x.astype(dtype)


def _loop(fun, *xs):
    return np.stack([fun(*x) for x in zip(*xs)])


def _fused_entry(fun, args):
    """jit(fun) with numba, run twice (the second call runs the kernels), and its program."""
    jitted = autovec.jit(fun, backend="numba")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = jitted(*args)
        again = jitted(*args)
    for a, b in zip(*((v,) if isinstance(v, np.ndarray) else v for v in (again, got))):
        _same(a, b)
    (entry,) = jitted._cache.values()
    assert isinstance(entry.fn, fused.FusedProgram) and entry.fn.redos == 0
    return got, entry.fn


def layernorm(x, g):
    m = np.mean(x)
    d = x - m
    return d / np.sqrt(np.mean(d * d) + 1e-5) * g


def center(x, g):
    return np.mean(x * g) - np.mean(g)  # the second mean is of an unbatched value


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n", [1, 7, 8, 64, 127, 128, 129, 300, 1000])
def test_means_equal_the_loop(dtype, n):
    rng = np.random.default_rng(n)
    x, g = _values(rng, (6, n), dtype), _values(rng, (n,), dtype)
    for fun in (layernorm, center):
        got, entry = _fused_entry(autovec.vmap(fun, in_axes=(0, None)), (x, g))
        _same(got, _loop(fun, x, [g] * len(x)))
    assert any("mean" in r.name for r in entry.runners)


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_means_in_the_lane_form(dtype):
    """A mean over a broadcast operand per lane (the lane form), bit for bit."""
    rng = np.random.default_rng(3)
    a, b = _values(rng, (9, 67), dtype), _values(rng, (40, 67), dtype)

    def fun(u, v):
        return np.mean((u - v) * u)

    batched = autovec.vmap(autovec.vmap(fun, in_axes=(None, 0)), in_axes=(0, None))
    got, entry = _fused_entry(batched, (a, b))
    _same(got, np.array([[fun(u, v) for v in b] for u in a]))
    (runner,) = entry.runners
    assert "for b0 in range" in runner.source and "np.float64(nn)" in runner.source


@needs_numba
@pytest.mark.parametrize("n", [1, 7, 129, 1000, 5000])
def test_means_of_booleans(n):
    """A fraction (the mean of a mask) is a count, exact in any order of additions, then
    NumPy's float64 division: in kernels, in the row and the lane forms."""
    rng = np.random.default_rng(n)
    x, y = rng.normal(size=(5, n)), rng.normal(size=(5, n))
    x[x > 1.5] = np.nan

    def fraction(u, v):
        return np.mean(u > v) + np.mean(~np.isnan(u) & (v < 0.5))

    got, entry = _fused_entry(autovec.vmap(fraction), (x, y))
    _same(got, _loop(fraction, x, y))
    assert entry.runners and all("mean" in r.name for r in entry.runners)
    lanes = autovec.vmap(autovec.vmap(fraction, in_axes=(None, 0)), in_axes=(0, None))
    got, entry = _fused_entry(lanes, (x, y[::-1]))
    _same(got, np.array([[fraction(u, v) for v in y[::-1]] for u in x]))


@needs_numba
def test_counts_of_booleans():
    """count_nonzero of a mask, and a sum of one with a dtype (int8 wraps, as NumPy's)."""
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(6, 400)), rng.normal(size=(6, 400))

    def counts(u, v):
        return np.count_nonzero(u > v) + np.sum((u < 0) & (v < 0), dtype=np.int8)

    got, entry = _fused_entry(autovec.vmap(counts), (x, y))
    _same(got, _loop(counts, x, y))
    assert len(entry.runners) == 2 and all("sum" in r.name for r in entry.runners)


@needs_numba
def test_a_narrow_count_wraps_before_later_steps():
    """A count summed in int8 or uint8 wraps past its range as NumPy's does, also where
    later steps of the kernel read it (the accumulator is wider)."""
    rng = np.random.default_rng(6)
    x, y = rng.random((6, 300)), rng.random((6, 300))

    def wrapped(u, v):
        return np.sum(u < v, dtype=np.int8) + np.sum(u > 0.1, dtype=np.uint8)  # int16

    want = _loop(wrapped, x, y)
    assert (np.stack([np.count_nonzero(u < v) for u, v in zip(x, y)]) > 127).any()
    got, entry = _fused_entry(autovec.vmap(wrapped), (x, y))
    _same(got, want)
    assert len(entry.runners) == 2


def shared(x, y):
    d = x * y - 1.0  # read by two groups and by exp, which no kernel computes
    return np.exp(d) + d * 2.0 + np.mean(d)


@needs_numba
def test_layernorm_reads_its_input_twice_and_writes_once():
    """x - mean(x) is read by the variance's group and the output's: both recompute it, so
    the program has two kernels and no other equation over the whole data."""
    rng = np.random.default_rng(0)
    x, g = _values(rng, (50, 40), "float64"), _values(rng, (40,), "float64")
    got, entry = _fused_entry(autovec.vmap(layernorm, in_axes=(0, None)), (x, g))
    _same(got, _loop(layernorm, x, [g] * len(x)))
    big = [e.prim.name for e in entry.program.eqns if e.outputs[0].aval.shape == (50, 40)]
    assert [n for n in big if n != "example_layout"] == [entry.runners[1].name]
    assert len(entry.runners) == 2


@needs_numba
def test_a_value_read_outside_is_written_once_and_read():
    """d is read by exp (no kernel computes it): its group writes it, and the groups reading
    it read it instead of recomputing it from two inputs."""
    rng = np.random.default_rng(1)
    x, y = _values(rng, (30, 20), "float64") * 1e-6, _values(rng, (30, 20), "float64") * 1e-6
    got, entry = _fused_entry(autovec.vmap(shared), (x, y))
    _same(got, _loop(shared, x, y))
    names = [r.name for r in entry.runners]
    assert names == ["fused_multiply_subtract", "fused_multiply_add"]
    assert [len(r.args) for r in entry.runners] == [2, 3]  # the second reads d, exp(d), mean
    program = autovec.jit(autovec.vmap(shared)).lower(x, y).program
    assert kept_members(program, find_groups(program, 1)) == set()


def diamond(x):
    a = x * 2.0 + 1.0  # read by b and c; b and c by the sum and the product
    b = a - 3.0
    c = a * a
    return np.sum(b * c) + np.sum(b - c), b / c


@needs_numba
def test_shared_values_of_several_outputs():
    rng = np.random.default_rng(2)
    x = _values(rng, (12, 33), "float32")
    got, _ = _fused_entry(autovec.vmap(diamond), (x,))
    want = [_loop(lambda v, k=k: diamond(v)[k], x) for k in (0, 1)]
    for g, w in zip(got, want):
        _same(g, w)


def moments(x):
    return np.std(x) + np.var(x, keepdims=True) * 0.5


def moments_2d(x):
    return np.var(x) - np.std(x, axis=-1)


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("n", [1, 9, 128, 129, 700])
def test_var_and_std_equal_the_loop(dtype, n):
    """np.var and np.std (ddof=0) as NumPy's own steps: mean, subtract, square, mean."""
    rng = np.random.default_rng(n)
    x = _values(rng, (5, n), dtype) + 10.0 ** rng.integers(-3, 4, (5, 1))
    got, entry = _fused_entry(autovec.vmap(moments), (x,))
    _same(got, _loop(moments, x))
    assert any(r.name == "fused_subtract_multiply_mean_sqrt" for r in entry.runners)
    x2 = x.reshape(5, 1, n)
    got, _ = _fused_entry(autovec.vmap(moments_2d), (x2,))
    _same(got, _loop(moments_2d, x2))


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("ddof", [1, 2.5, 3])
def test_var_and_std_with_ddof(dtype, ddof):
    """ddof as NumPy divides by it: float64's division of the sum, rounded to the dtype; a
    count less ddof of 0 or less (rows of 3, ddof 3) is NumPy's, warnings included."""
    rng = np.random.default_rng(4)
    for n in (3, 40, 300):
        x = _values(rng, (4, n), dtype)

        def fun(v):
            return np.var(v, ddof=ddof) + np.std(v, ddof=ddof)

        got, said = warned(autovec.jit(autovec.vmap(fun), backend="numba"), x, calls=2)
        want, loop_said = warned(_loop, fun, x)
        _same(got, want)
        assert said == loop_said


@needs_numba
def test_std_of_special_values():
    """inf and NaN give NumPy's values and warnings."""
    rng = np.random.default_rng(4)
    x = _values(rng, (4, 30), "float64")
    x[1, 3], x[2, 5] = np.inf, np.nan
    jitted = autovec.jit(autovec.vmap(np.std), backend="numba")
    for _ in range(2):
        got, said = warned(jitted, x)
        want, loop_said = warned(_loop, np.std, x)
        _same(got, want)
        assert said == loop_said


@needs_numba
@pytest.mark.parametrize("src", ["float64", "float32", "int64", "int32", "uint8", "int16"])
@pytest.mark.parametrize("dst", ["float32", "float64"])
def test_casts_to_floats_fuse(src, dst):
    """astype to a float: IEEE rounding, and NumPy's overflow warning (1e300 to float32)."""
    rng = np.random.default_rng(6)
    if np.dtype(src).kind == "f":
        x = _values(rng, (9, 70), src)
        x[1, 3], x[2, 5], x[3, 1] = np.finfo(src).max, np.nan, -0.0
    else:
        info = np.iinfo(src)
        x = rng.integers(info.min, info.max, (9, 70), dtype=src, endpoint=True)

    def fun(v):
        return np.sum((v * 3).astype(dst) * 0.5) + (v - 1).astype(dst)

    jitted = autovec.jit(autovec.vmap(fun), backend="numba")
    got, said = warned(jitted, x, calls=2)
    want, loop_said = warned(_loop, fun, x)
    _same(got, want)
    assert said == loop_said
    (entry,) = jitted._cache.values()
    if src != dst:  # (astype to the same dtype is a copy the optimiser drops)
        assert any("cast" in r.name for r in entry.fn.runners)


def _softmax_rows(s):
    e = np.exp(s - np.max(s))
    return e / np.sum(e)


@needs_numba
def test_auto_keeps_blocks_where_fusion_writes_almost_as_much():
    """A softmax over large rows: fusing max and subtract leaves exp and the division to
    write nearly every byte NumPy writes, so auto runs the NumPy program in cache-sized
    blocks of rows; a layernorm writes a fifth and fuses.  Both give the loop's bits."""
    rng = np.random.default_rng(9)
    x, g = _values(rng, (4096, 512), "float64") * 1e-6, _values(rng, (512,), "float64")
    for fun, args, kind in [
        (autovec.vmap(_softmax_rows), (x,), "BlockedProgram"),
        (autovec.vmap(layernorm, in_axes=(0, None)), (x, g), "FusedProgram"),
    ]:
        jitted = autovec.jit(fun)
        jitted(*args)
        got = jitted(*args)
        (entry,) = jitted._cache.values()
        assert type(entry.fn).__name__ == kind
        want = (
            _loop(_softmax_rows, x) if kind == "BlockedProgram" else _loop(layernorm, x, [g] * 4096)
        )
        _same(got, want)
