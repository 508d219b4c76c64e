"""Loop-faithful vmap: where examples diverge the batch splits, and the result is the loop's.

Every test compares ``vmap(f)`` with the Python loop over the examples (shape, dtype, values;
the exception the loop raises first), including functions whose other branch would raise.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autovec
from autovec import errors, vmap

RNG = np.random.default_rng(0)


def loop(f, *args, in_axes=0):
    in_axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    n = next(np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None)
    outs = [
        f(*(a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, in_axes)))
        for i in range(n)
    ]
    if isinstance(outs[0], tuple):
        return tuple(np.stack([np.asarray(o[k]) for o in outs]) for k in range(len(outs[0])))
    return np.stack([np.asarray(o) for o in outs])


def same(got, want):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            same(g, w)
        return
    assert isinstance(got, np.ndarray)
    assert got.shape == want.shape and got.dtype == want.dtype, (got, want)
    np.testing.assert_array_equal(got, want)


def check(f, *args, in_axes=0, **vmap_options):
    vmap_options.setdefault("fallback", "loop")
    got = vmap(f, in_axes=in_axes, **vmap_options)(*args)
    same(got, loop(f, *args, in_axes=in_axes))
    return got


# ------------------------------------------------------------------ divergence splits


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-9 * a:
        x = 0.5 * (x + a / x)
    return x


def test_newton_iterations_converge_per_lane():
    a = RNG.uniform(1, 1e6, 300)
    got = check(newton_sqrt, a)
    np.testing.assert_allclose(got, np.sqrt(a))


def piecewise(x):
    if x > 0:
        return np.log(x)  # the other lanes would warn (log of a negative)
    with np.errstate(divide="raise"):
        return 1.0 / (x - 1.0)


def test_piecewise_whose_other_branch_would_warn():
    x = np.array([2.0, -1.0, 0.5, -3.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no lane may compute the other branch
        check(piecewise, x)


def raising_branch(x):
    if x >= 0:
        return np.sqrt(x)
    raise ValueError("negative input")


def test_a_branch_that_raises_for_no_lane_is_never_taken():
    check(raising_branch, np.array([0.0, 4.0, 9.0]))


def test_the_exception_that_leaves_is_the_first_lanes():
    x = np.array([1.0, 4.0, -2.0, 9.0, -5.0])
    with pytest.raises(ValueError, match="negative input") as info:
        vmap(raising_branch)(x)
    assert "index 2" in "".join(getattr(info.value, "__notes__", [])) + str(info.value)


def early_returns(x):
    if x.sum() > 2:
        return x * 2
    if x[0] < 0.2:
        return -x
    return x + 100.0


def test_early_returns():
    check(early_returns, RNG.uniform(0, 1.5, (40, 3)))


def nested(x):
    s = x.sum()
    if s > 0:
        if x[0] > x[1]:
            y = x * 2
        else:
            y = x - 1
    else:
        y = np.abs(x)
    for i in range(3):
        if y[i] > 1:
            y = y - 1
    return y, s > 0


def test_nested_splits():
    check(nested, RNG.normal(size=(64, 3)))


def first_k(x, n):
    total = 0.0
    for i in range(n):
        total = total + x[i]
    return total


def test_range_with_a_batched_n():
    x = RNG.normal(size=(20, 6))
    n = RNG.integers(0, 7, 20)
    check(first_k, x, n)


def test_conversions_equal_the_loop():
    x = RNG.normal(size=(6, 3))
    for f in (
        lambda v: float(v[0]) * 2,
        lambda v: complex(v[1]),
        lambda v: int(v[0] * 10),
        lambda v: v[2].item(),
        lambda v: np.array(v.tolist()),
        lambda v: math.exp(v[0]),
        lambda v: bool(v[0] > 0) and bool(v[1] > 0),
        lambda v: not v[0] > 0,
        lambda v: max(v[0], v[1]),
        lambda v: [10.0, 20.0, 30.0][int(v[0] > 0) + int(v[1] > 0)],
        lambda v: v[: int(abs(v[0]) > 0.5) + 1].sum(),
    ):
        check(f, x)


def test_all_lanes_agree_no_split():
    # A decision the same for every lane returns its value and stays vectorised.
    calls = []

    def f(x):
        calls.append(1)
        return x * 2 if x.shape[0] > 0 and (x > -1e9).all() else x

    check(f, RNG.normal(size=(5, 3)))
    assert len(calls) == 1 + 5  # vmap ran f once; the loop 5 times


def test_outputs_of_different_shapes_across_groups_raise_naming_lanes():
    def f(x):
        return x[:2] if x[0] > 0 else x

    x = np.array([[1.0, 2, 3], [-1, 2, 3]] * 4)  # groups of 4: replayed, not run one by one
    with pytest.raises(errors.SplitOutputMismatchError, match=r"examples 0, 2, 4, 6: shape \(2,\)"):
        vmap(f)(x)
    with pytest.raises(errors.SplitOutputMismatchError, match=r"example 0: shape \(2,\)"):
        vmap(f)(x[:3])  # groups too small to replay run one by one, as the loop


def test_dtypes_promote_as_np_stack_does():
    def f(x):
        return np.int32(1) if x > 0 else np.float32(2.5)

    check(f, np.array([1.0, -1.0, 2.0]))


def test_out_axes_and_in_axes_with_splits():
    x = RNG.normal(size=(3, 7))

    def f(v, w):
        return (v * w if v.sum() > 0 else v - w), w

    got = vmap(f, in_axes=(1, None), out_axes=(1, None))(x, 2.0)
    want = loop(lambda v: f(v, 2.0)[0], x.T)
    same(got[0], want.T.copy())
    assert got[1] == 2.0


# ---------------------------------------------------------------- nested vmap


def test_split_under_nested_vmap_splits_only_the_inner_batch():
    x = RNG.normal(size=(4, 5, 3))

    def f(v):
        return v * 2 if v.sum() > 0 else -v

    got = vmap(vmap(f))(x)
    same(got, np.stack([loop(f, row) for row in x]))


def test_inner_split_on_a_value_batched_by_the_outer_vmap_only():
    x = RNG.normal(size=(6, 3))

    def inner(v, scale):
        return v * scale if scale > 0 else v

    def outer(row):
        return vmap(inner, in_axes=(0, None))(row, row.sum())

    got = vmap(outer)(x)
    same(got, np.stack([outer(row) for row in x]))


def test_newton_under_nested_vmap():
    a = RNG.uniform(1, 100, (3, 8))
    got = vmap(vmap(newton_sqrt))(a)
    same(got, np.stack([loop(newton_sqrt, row) for row in a]))


# -------------------------------------------------------------- per-lane fallback


def test_library_style_asarray_prologue_warns_once_and_equals_the_loop():
    def library(x, y):
        x = np.asarray(x, dtype=float)
        y = np.ascontiguousarray(y)
        return np.sqrt(x**2 + y**2).sum()

    x, y = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3))
    with pytest.warns(errors.FallbackWarning) as record:
        got = vmap(library)(x, y)
    same(got, loop(library, x, y))
    msgs = [str(w.message) for w in record if w.category is errors.FallbackWarning]
    # The first line splits the batch into single examples, which then run as the loop:
    # the second line never sees a batched value.
    assert len(msgs) == 1 and "autovec.numpy.asarray" in msgs[0]
    line = library.__code__.co_firstlineno + 1
    assert record[0].filename == __file__ and record[0].lineno == line
    assert f"test_split.py:{line}" in msgs[0]


def test_buffers_filled_in_python_loops():
    def fill(x):
        out = np.zeros(3)
        out[0] = x.sum()
        for i in range(1, 3):
            out[i] = x[i] * out[i - 1]
        return out

    check(fill, RNG.normal(size=(7, 3)))


def test_np_array_of_computed_values_and_table_lookup():
    table = np.arange(10.0) ** 2

    def f(v, i):
        return np.array([v.min(), v.max()]) + table[i]

    check(f, RNG.normal(size=(5, 4)), RNG.integers(0, 10, 5))


def test_fallback_modes():
    x = RNG.normal(size=(4, 3))

    def f(v):
        return np.asarray(v).sum()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same(vmap(f, fallback="loop")(x), loop(f, x))
    with pytest.raises(errors.TracerArrayConversionError):
        vmap(f, fallback="error")(x)
    with pytest.raises(errors.OptionError, match="fallback"):
        vmap(f, fallback="sometimes")


def test_control_flow_never_warns():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check(early_returns, RNG.uniform(0, 1.5, (10, 3)), fallback="warn")


def test_under_jit_control_flow_runs_uncompiled():
    with pytest.raises(errors.TracerBoolConversionError, match="autovec.numpy.where"):
        autovec.jit(vmap(early_returns), fallback="error")(np.ones((3, 3)))
    x = RNG.uniform(0, 1.5, (10, 3))
    with pytest.warns(errors.JitFallbackWarning, match="autovec.while_loop"):
        same(autovec.jit(vmap(early_returns))(x), loop(early_returns, x))


# ------------------------------------------------------------ exceptions per lane


def safe_inverse(m):
    try:
        return np.linalg.inv(m), True
    except np.linalg.LinAlgError:
        return np.zeros_like(m), False


def test_try_except_around_a_singular_solve():
    m = RNG.normal(size=(6, 3, 3))
    m[2] = 0.0
    m[4] = [[1, 2, 3], [2, 4, 6], [0, 0, 1.0]]
    got = check(safe_inverse, m)
    assert list(got[1]) == [True, True, False, True, False, True]


def test_floating_point_error_stays_with_its_lane():
    def f(x):
        try:
            with np.errstate(divide="raise"):
                return 1.0 / x
        except FloatingPointError:
            return -1.0

    check(f, np.array([1.0, 0.0, 2.0, 0.0]))


def test_index_out_of_range_for_one_example():
    def f(x, i):
        try:
            return x[i]
        except IndexError:
            return np.nan

    check(f, RNG.normal(size=(5, 4)), np.array([0, 3, 4, 1, -7]))


def test_an_uncaught_lane_error_is_the_loops_first():
    m = RNG.normal(size=(5, 2, 2))
    m[3] = 0.0
    m[1] = 0.0
    with pytest.raises(np.linalg.LinAlgError) as info:
        vmap(np.linalg.inv)(m)
    assert "index 1" in "".join(getattr(info.value, "__notes__", [])) + str(info.value)


# ----------------------------------------------------------------------- side effects

# docs/semantics.md: the first attempt stops at the first split; a continuing run then goes
# from the start with the group of the lowest example; groups left behind run later from the
# start (lowest example first); groups too small to replay run last, one example at a time.


def test_side_effects_happen_once_per_run_as_documented():
    log = []

    def f(x):
        log.append("prefix")
        if x.sum() > 0:
            log.append("positive")
            return x
        log.append("other")
        return -x

    x = np.array([[-1.0, 0.0], [1.0, 0.0]] * 4)  # two groups of 4 examples each
    vmap(f)(x)
    # the first attempt stops at the split; the continuing run goes on with example 0's
    # group; then the other group runs from the start
    assert log == ["prefix", "prefix", "other", "prefix", "positive"]
    log.clear()
    vmap(f)(x[::-1])
    # f split last time: no first attempt; example 0 is now in the positive group
    assert log == ["prefix", "positive", "prefix", "other"]
    log.clear()
    vmap(f)(x[:3])  # groups of 1 and 2 examples: run one by one, as the loop
    assert log[-6:] == ["prefix", "other", "prefix", "positive", "prefix", "other"]


def test_print_in_a_split_function(capsys):
    def f(x):
        print("calling f")
        return x if x > 0 else -x

    vmap(f)(np.array([1.0, -1.0, 2.0]))
    # the first attempt, then each example on its own (scalar examples in groups of fewer
    # than 32 run one by one: cheaper than replaying)
    assert capsys.readouterr().out == "calling f\n" * 4


def test_single_lane_groups_run_as_the_loop_would():
    seen = []

    def f(x):
        v = np.asarray(x)  # one group per distinct value
        seen.append(type(v))
        return v * 2

    check(f, RNG.normal(size=(3, 2)))
    assert np.ndarray in seen


def test_exceptions_stay_with_their_lanes_under_nested_vmap():
    m = RNG.normal(size=(3, 4, 2, 2))
    m[1, 2] = 0.0
    m[2, 0] = 0.0
    got = vmap(vmap(safe_inverse))(m)
    want = tuple(np.stack(k) for k in zip(*[loop(safe_inverse, row) for row in m]))
    same(got, want)
