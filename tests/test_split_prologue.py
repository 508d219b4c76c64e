"""Loop-faithful vmap of functions that fall back at their first line (``np.asarray(x)``,
``np.array(x, dtype=float)``, ``float(x[0])``): every example then runs alone, and vmap
calls the function on each example directly, as the loop does. Results, write-back into
the caller's arrays, random draws, exceptions and output layouts are the loop's."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autovec
from autovec import vmap
from autovec.errors import FallbackWarning
from autovec.interpreters.split_points import _groups

RNG = np.random.default_rng(7)


def asarray_prologue(x):
    x = np.asarray(x)
    return np.sqrt((x * x).sum()) / (1.0 + x.max())


def array_prologue(x):
    x = np.array(x, dtype=float)
    return np.sqrt((x * x).sum()) / (1.0 + x.max())


def float_prologue(x):
    first = float(x[0])
    return np.sqrt((x * x).sum()) / (1.0 + first)


PROLOGUES = [asarray_prologue, array_prologue, float_prologue]


@pytest.mark.parametrize("fun", PROLOGUES)
def test_prologues_give_the_loops_results_with_one_warning(fun):
    xs = RNG.normal(size=(300, 4))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = vmap(fun)(xs)
    want = np.stack([fun(x) for x in xs])
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert sum(issubclass(w.category, FallbackWarning) for w in caught) == 1


@pytest.mark.parametrize("fun", PROLOGUES)
def test_each_example_runs_once_after_the_first_attempt(fun):
    # No replay of a continuing run: the first attempt stops at the first line, then the
    # function runs once per example, as in the loop.
    calls = []

    def counted(x):
        calls.append(1)
        return fun(x)

    xs = RNG.normal(size=(50, 3))
    vmap(counted, fallback="loop")(xs)
    assert len(calls) == 1 + len(xs)


def test_writes_reach_the_callers_batch_as_in_the_loop():
    def f(x):
        x = np.asarray(x)
        x[0] = x.sum()
        x *= 2.0
        return x[1:].copy()

    for in_axes in (0, 1):
        base = RNG.normal(size=(20, 3))
        if in_axes == 1:
            base = np.ascontiguousarray(base.T)
        ours, theirs = base.copy(), base.copy()
        got = vmap(f, in_axes=in_axes, fallback="loop")(ours)
        rows = theirs if in_axes == 0 else theirs.T
        want = np.stack([f(row) for row in rows])
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(ours, theirs)


def test_a_read_only_batch_refuses_the_write_as_numpy_does():
    def f(x):
        x = np.asarray(x)
        x[0] = 1.0
        return x

    xs = RNG.normal(size=(4, 2))
    xs.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        vmap(f, fallback="loop")(xs)


@pytest.mark.parametrize("draw_first", [False, True])
def test_random_draws_and_final_state_are_the_loops(draw_first):
    def f(x, rng):
        if draw_first:
            noise = rng.normal(size=2)
            x = np.asarray(x)
        else:
            x = np.asarray(x)
            noise = rng.normal(size=2)
        return x.sum() + noise * rng.uniform()

    xs = RNG.normal(size=(40, 3))
    ours, theirs = np.random.default_rng(3), np.random.default_rng(3)
    got = vmap(f, in_axes=(0, None), fallback="loop")(xs, ours)
    want = np.stack([f(x, theirs) for x in xs])
    np.testing.assert_array_equal(got, want)
    assert ours.bit_generator.state == theirs.bit_generator.state


def test_closed_over_and_legacy_generators_draw_the_loops_numbers():
    gen = np.random.default_rng(11)

    def f(x):
        x = np.asarray(x)
        return x.sum() + gen.integers(0, 100) + np.random.uniform()

    xs = RNG.normal(size=(30, 2))
    np.random.seed(5)
    got = vmap(f, fallback="loop")(xs)
    after = (gen.bit_generator.state, np.random.get_state()[1].copy())
    gen = np.random.default_rng(11)
    np.random.seed(5)
    want = np.stack([f(x) for x in xs])
    np.testing.assert_array_equal(got, want)
    assert after[0] == gen.bit_generator.state
    np.testing.assert_array_equal(after[1], np.random.get_state()[1])


def test_an_exception_names_the_lowest_failing_example_and_stops_there():
    calls = []

    def f(x):
        x = np.asarray(x)
        calls.append(1)
        if x[0] > 0.5:
            raise ValueError(f"too big: {x[0]:.3f}")
        return x.sum()

    xs = RNG.uniform(size=(60, 2))
    first = int(np.flatnonzero(xs[:, 0] > 0.5)[0])
    with pytest.raises(ValueError, match="too big") as info:
        vmap(f, fallback="loop")(xs)
    assert f"vmap: raised for the example at index {first}" in info.value.__notes__
    assert len(calls) == first + 1  # the loop stops at the failing example too


def test_try_except_inside_the_function_sees_each_examples_failure():
    def f(x):
        x = np.asarray(x)
        try:
            return np.linalg.inv(x)[0, 0]
        except np.linalg.LinAlgError:
            return -1.0

    ms = RNG.normal(size=(10, 2, 2))
    ms[[2, 7]] = 0.0
    got = vmap(f, fallback="loop")(ms)
    np.testing.assert_array_equal(got, np.stack([f(m) for m in ms]))
    assert got[2] == got[7] == -1.0


def test_pytree_outputs_out_axes_and_several_arguments():
    def f(x, w, y):
        x = np.asarray(x)
        return {"a": x * w, "b": (y.sum(), 3)}

    xs, w, ys = RNG.normal(size=(12, 3)), RNG.normal(size=3), RNG.normal(size=(2, 12))
    got = vmap(f, in_axes=(0, None, 1), out_axes={"a": 1, "b": (0, None)}, fallback="loop")(
        xs, w, ys
    )
    per = [f(x, w, y) for x, y in zip(xs, ys.T)]
    np.testing.assert_array_equal(got["a"], np.stack([p["a"] for p in per], axis=1))
    np.testing.assert_array_equal(got["b"][0], np.stack([p["b"][0] for p in per]))
    assert got["b"][1] == 3


def test_keyword_arguments_and_ragged_list():
    def f(x, *, scale):
        x = np.asarray(x)
        return x[: int(x.size * scale) % 3 + 1] * scale

    xs, scales = RNG.normal(size=(9, 4)), RNG.uniform(size=9)
    got = vmap(f, fallback="loop", ragged="list")(xs, scale=scales)
    want = [f(x, scale=s) for x, s in zip(xs, scales)]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize(
    "out", [lambda x: 1 if x[0] > 0 else 2.5, lambda x: np.float32(x[0]), lambda x: x[0] > 0]
)
def test_scalar_outputs_are_stacked_as_np_stack_does(out):
    def f(x):
        x = np.asarray(x)
        return out(x)

    xs = RNG.normal(size=(25, 2))
    got = vmap(f, fallback="loop")(xs)
    want = np.stack([f(x) for x in xs])
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_nested_vmap_falling_back_at_the_first_line():
    xs = RNG.normal(size=(6, 9, 3))
    got = vmap(vmap(asarray_prologue, fallback="loop"), fallback="loop")(xs)
    want = np.stack([np.stack([asarray_prologue(x) for x in row]) for row in xs])
    np.testing.assert_array_equal(got, want)
    # the inner batch mapped along axis 1 of each outer example
    got = vmap(vmap(asarray_prologue, in_axes=1, fallback="loop"), in_axes=1, fallback="loop")(
        xs.transpose(2, 0, 1)
    )
    np.testing.assert_array_equal(got, want)


def test_grouping_tells_distinct_examples_apart_beyond_their_first_word():
    rows = np.zeros((6, 3))
    rows[:, 1] = [1.0, 2.0, 1.0, 3.0, 4.0, 2.0]  # the same first value, then differing
    keys = rows.view("V24").reshape(6)
    groups, singles = _groups(keys)
    assert sorted(g.tolist() for g in groups) == [[0, 2], [1, 5]]
    assert singles.tolist() == [3, 4]
    distinct = RNG.normal(size=(8, 3)).view("V24").reshape(8)
    groups, singles = _groups(distinct)
    assert groups == [] and singles.tolist() == list(range(8))


def test_duplicate_examples_still_share_a_group():
    xs = np.repeat(RNG.normal(size=(4, 3)), 50, axis=0)
    calls = []

    def f(x):
        calls.append(1)
        x = np.asarray(x)
        return x.sum() * 2

    np.testing.assert_array_equal(
        vmap(f, fallback="loop")(xs), np.stack([f(x) for x in xs[:0]] + [x.sum() * 2 for x in xs])
    )
    assert len(calls) < 50  # four groups, not 200 examples


def test_the_function_is_an_autovec_jit():
    # vmap(jit(f)): the per-example runs go through the jit'd function as the loop would.
    f = autovec.jit(asarray_prologue)
    xs = RNG.normal(size=(15, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = vmap(f, fallback="loop")(xs)
    np.testing.assert_allclose(got, np.stack([asarray_prologue(x) for x in xs]), rtol=1e-15)


@pytest.mark.parametrize("repeat_at", [3, 100])
def test_grouping_on_many_lanes_finds_a_repeat_early_or_late(repeat_at):
    keys = np.arange(200, dtype=np.uint64)
    keys[repeat_at] = keys[1]  # lanes 1 and repeat_at share a value, the rest are alone
    groups, singles = _groups(keys)
    assert [g.tolist() for g in groups] == [[1, repeat_at]]
    assert singles.tolist() == [i for i in range(200) if i not in (1, repeat_at)]


SCALAR_OUTPUTS = {
    "numpy float64, NaN and -0.0": lambda v: np.float64(np.nan) if v[0] > 1 else -0.0 * v[1],
    "Python float": lambda v: float(v[0]) * 2.0,
    "float32": lambda v: np.float32(v[0]),
    "float16": lambda v: np.float16(v[0]),
    "complex64": lambda v: np.complex64(v[0] + 1j),
    "uint64": lambda v: np.uint64(abs(int(v[0] * 1e6))),
    "bool": lambda v: bool(v[0] > 0),
    "mixed float32 and float64": lambda v: np.float32(v[0]) if v[0] > 0 else np.float64(v[0]),
    "mixed int and float": lambda v: int(v[0] > 0) if v[1] > 0 else float(v[0]),
    "0-d arrays": lambda v: np.asarray(v[0] * 3.0),
}


@pytest.mark.parametrize("case", list(SCALAR_OUTPUTS))
def test_scalars_of_examples_alone_stack_as_the_loop(case):
    # Every example alone (np.asarray first); the per-example scalars are gathered as the
    # loop's np.stack gathers them: dtype, bits (NaN, signed zeros) and promotion.
    body = SCALAR_OUTPUTS[case]

    def fun(x):
        return body(np.asarray(x))

    xs = RNG.normal(size=(50, 2))
    want = np.stack([fun(x) for x in xs])
    got = vmap(fun, fallback="loop")(xs)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.tobytes() == want.tobytes()
