"""Structured control flow (cond, switch, while_loop, fori_loop, scan, map) against the
Python loop: eager, under jit, under vmap (batched forms do only the loop's work), nested."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autovec
import autovec.numpy as anp
from autovec import cond, errors, fori_loop, jit, make_ir, scan, switch, vmap, while_loop
from autovec.interpreters.control import LANE_COUNTS, reset_lane_counts
from autovec.testing import TRANSFORMS, check_vmap

ALL = tuple(TRANSFORMS)


def safe_log(x):
    return cond(x > 0, np.log, lambda x: np.full_like(x, -np.inf), x)


def collatz_steps(n):
    def body(state):
        k, steps = state
        k = np.where(k % 2 == 0, k // 2, 3 * k + 1)
        return k, steps + 1

    return while_loop(lambda s: s[0] > 1, body, (n, 0))[1]


def python_collatz(n):
    steps = 0
    while n > 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


# --------------------------------------------------------------------------------- cond


def test_cond_eager_runs_only_the_taken_branch():
    def boom(x):
        raise AssertionError("untaken branch ran")

    assert cond(True, lambda x: x + 1, boom, 1.0) == 2.0
    assert cond(0, boom, lambda x: x * 3, 2.0) == 6.0


def test_cond_matches_loop_under_every_transform():
    assert check_vmap(safe_log, np.array(2.0), transforms=ALL) > 0
    assert check_vmap(lambda x, y: cond(x.sum() > y, np.sin, np.cos, x), np.ones(3), 1.0)


def test_batched_cond_untaken_branch_never_runs():
    # log of a negative number would warn; inv of a singular matrix would raise.
    xs = np.array([-1.0, 2.0, -3.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f in (vmap(safe_log), jit(vmap(safe_log)), vmap(jit(safe_log))):
            np.testing.assert_array_equal(f(xs), [-np.inf, np.log(2), -np.inf, np.log(4)])

    def inv_or_zero(a):
        return cond(np.linalg.det(a) != 0, np.linalg.inv, np.zeros_like, a)

    mats = np.stack([np.eye(2) * 2, np.zeros((2, 2)), np.ones((2, 2)), np.eye(2)])
    want = np.stack([inv_or_zero(m) for m in mats])
    for f in (vmap(inv_or_zero), jit(vmap(inv_or_zero))):
        np.testing.assert_array_equal(f(mats), want)


def test_batched_cond_runs_each_branch_on_its_lanes_only():
    xs = np.arange(10.0) - 0.5  # one negative lane, nine positive
    reset_lane_counts()
    vmap(safe_log)(xs)
    assert LANE_COUNTS["cond_branch"] == 10  # each lane ran one branch, not two
    reset_lane_counts()
    vmap(safe_log)(np.arange(1.0, 5.0))  # all lanes agree: one branch, 4 lanes
    assert LANE_COUNTS["cond_branch"] == 4


def test_cond_unbatched_pred_batched_operand_keeps_one_branch():
    f = vmap(lambda x, flag: cond(flag, np.exp, np.negative, x), in_axes=(0, None))
    np.testing.assert_allclose(f(np.arange(3.0), True), np.exp(np.arange(3.0)))
    np.testing.assert_allclose(f(np.arange(3.0), False), -np.arange(3.0))


def test_cond_closes_over_batched_and_traced_values():
    def f(x, y):
        return cond(x > 0, lambda: x * y, lambda: y - 1.0)

    assert check_vmap(f, np.array(1.0), np.array(3.0), transforms=ALL) > 0


def test_cond_with_pytree_operands_and_outputs():
    def f(p):
        return cond(p["a"] > 0, lambda p: (p["a"], p["b"] * 2), lambda p: (-p["a"], p["b"]), p)

    ps = {"a": np.array([1.0, -2.0, 3.0]), "b": np.arange(6.0).reshape(3, 2)}
    got = vmap(f)(ps)
    want = [f({"a": a, "b": b}) for a, b in zip(ps["a"], ps["b"])]
    np.testing.assert_array_equal(got[0], [w[0] for w in want])
    np.testing.assert_array_equal(got[1], np.stack([w[1] for w in want]))


# ------------------------------------------------------------------------------- switch


@pytest.mark.parametrize("index", [-3, 0, 1, 2, 7])
def test_switch_clamps_index_as_jax(index):
    branches = [lambda x: x + 10, lambda x: x * 10, lambda x: x - 10]
    want = branches[min(max(index, 0), 2)](1.0)
    assert switch(index, branches, 1.0) == want
    assert jit(lambda i: switch(i, branches, 1.0))(index) == want


def test_batched_switch_matches_loop():
    branches = [np.sin, np.cos, lambda x: x * x]
    idx = np.array([-1, 0, 1, 2, 5, 1])
    xs = np.linspace(0, 1, 6)
    want = np.array([switch(i, branches, x) for i, x in zip(idx, xs)])
    for f in (
        vmap(lambda i, x: switch(i, branches, x)),
        jit(vmap(lambda i, x: switch(i, branches, x))),
    ):
        np.testing.assert_allclose(f(idx, xs), want)


# ------------------------------------------------------------------------------- while


def test_while_eager_is_the_python_loop():
    assert collatz_steps(27) == python_collatz(27) == 111


def test_batched_while_lane_i_needs_i_iterations():
    def count_up(n):
        return while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] + c[0]), (0, 0))

    ns = np.arange(50)
    want = [count_up(int(n)) for n in ns]
    for f in (vmap(count_up), jit(vmap(count_up)), vmap(jit(count_up))):
        reset_lane_counts()
        i, total = f(ns)
        np.testing.assert_array_equal(i, [w[0] for w in want])
        np.testing.assert_array_equal(total, [w[1] for w in want])
        assert LANE_COUNTS["while_body"] == ns.sum()  # the sum of the lanes' iterations


def test_batched_while_collatz_matches_loop():
    ns = np.arange(1, 40)
    np.testing.assert_array_equal(vmap(collatz_steps)(ns), [python_collatz(int(n)) for n in ns])
    assert check_vmap(collatz_steps, np.array(27), make_example=lambda r: (r.integers(1, 60),))


def test_batched_while_frozen_lanes_do_not_show():
    """Finished lanes the batched loop carries along (frozen) may overflow or index out of
    range: the loop never runs them, so neither a warning nor an error may appear."""

    def grow(x):  # a finished lane times 1e15 overflows; a live one never does
        return while_loop(lambda x: x < 1e290, lambda x: x * 1e15, x)

    table = np.arange(6.0)

    def walk(n):  # a finished lane (i = n) would read table[6], past the end
        body = lambda c: (c[0] + 1, c[1] + anp.getitem(table, 6 - n + c[0]))  # noqa: E731
        return while_loop(lambda c: c[0] < n, body, (0, 0.0))[1]

    xs = 10.0 ** np.arange(0, 290, 3)
    ns = np.arange(40) % 6
    for f, args, loop in [(grow, xs, [grow(x) for x in xs]), (walk, ns, [walk(n) for n in ns])]:
        for g in (vmap(f), jit(vmap(f))):
            with warnings.catch_warnings(), np.errstate(all="warn"):
                warnings.simplefilter("error")
                reset_lane_counts()
                np.testing.assert_array_equal(g(args), loop)
    assert LANE_COUNTS["while_body"] == ns.sum()  # the loop's work, idle lanes apart


def test_batched_while_live_lanes_still_warn():
    def f(x):
        return while_loop(lambda x: x < 1e300, lambda x: x * 1e200, x)

    xs = np.array([1.0, 1e50, 1e120, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
    for g in (vmap(f), jit(vmap(f))):
        with np.errstate(over="warn"), pytest.warns(RuntimeWarning, match="overflow"):
            got = g(xs)
        with np.errstate(over="ignore"):
            np.testing.assert_array_equal(got, [f(x) for x in xs])


def test_while_with_unbatched_predicate_is_one_loop():
    def f(x, n):
        return while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] * 2.0), (0, x))[1]

    reset_lane_counts()
    got = vmap(f, in_axes=(0, None))(np.arange(4.0), 3)
    np.testing.assert_array_equal(got, np.arange(4.0) * 8)
    assert LANE_COUNTS["while_body"] == 0  # no lane mode: a plain loop over the batch


def test_fori_loop_batched_bounds():
    def f(n, x):
        return fori_loop(0, n, lambda i, v: v * x + i, 1.0)

    ns, xs = np.array([0, 3, 1, 5]), np.array([2.0, 0.5, 3.0, 1.5])
    want = [f(int(n), x) for n, x in zip(ns, xs)]
    reset_lane_counts()
    np.testing.assert_allclose(vmap(f)(ns, xs), want)
    assert LANE_COUNTS["while_body"] == ns.sum()
    np.testing.assert_allclose(jit(vmap(f))(ns, xs), want)
    assert check_vmap(
        f, np.array(3), np.array(0.5), make_example=lambda r: (r.integers(0, 6), r.random())
    )


def test_fori_loop_index_dtype_follows_bounds():
    seen = []
    fori_loop(np.int32(0), np.int32(2), lambda i, v: seen.append(i.dtype) or v, 0)
    assert seen == [np.dtype(np.int32)] * 2
    assert jit(lambda n: fori_loop(0, n, lambda i, v: v + i, 0))(5) == 10


# --------------------------------------------------------------------------------- scan


def test_scan_cumulative_sum_and_reverse():
    xs = np.arange(1.0, 7.0)

    def step(c, x):
        return c + x, c + x

    for run in (scan, jit(scan, static_argnums=(0, 4))):
        total, ys = run(step, 0.0, xs, None, False)
        np.testing.assert_array_equal(ys, np.cumsum(xs))
        assert total == xs.sum()
        total, ys = run(step, 0.0, xs, None, True)
        np.testing.assert_array_equal(ys, np.cumsum(xs[::-1])[::-1])


def test_scan_matches_loop_under_vmap():
    def f(c0, xs):
        return scan(lambda c, x: (c * 0.5 + x, np.sin(c) * x), c0, xs)

    assert check_vmap(f, np.array(1.0), np.arange(4.0), transforms=ALL) > 0
    assert check_vmap(lambda xs: scan(lambda c, x: (c, x * 2), 0.0, xs, reverse=True), np.ones(3))


def test_scan_length_zero_and_pytrees():
    carry, ys = scan(lambda c, x: (c + x["a"], {"b": x["a"] * 2}), 0.0, {"a": np.zeros(0)})
    assert carry == 0.0 and ys["b"].shape == (0,)
    carry, ys = scan(lambda c, _: (c + 1, c), 0, None, length=3)
    assert carry == 3
    np.testing.assert_array_equal(ys, [0, 1, 2])


def test_map_with_and_without_batch_size():
    xs = np.arange(10.0).reshape(5, 2)
    want = np.stack([np.sin(x).sum() for x in xs])
    for bs in (None, 1, 2, 5, 7):
        np.testing.assert_allclose(autovec.map(lambda x: np.sin(x).sum(), xs, batch_size=bs), want)
        np.testing.assert_allclose(
            jit(lambda v: autovec.map(lambda x: np.sin(x).sum(), v, batch_size=bs))(xs), want
        )


# ------------------------------------------------------------------------------- nested


def test_nested_compositions():
    def inner(x):
        # cond inside while: halve large values, step the others down, until small
        def body(v):
            return cond(v > 10.0, lambda v: v * 0.5, lambda v: v - 3.0, v)

        return while_loop(lambda v: v > 4.0, body, x)

    xs = np.array([1.0, 5.0, 17.0, 100.0, 9.0, 33.0])
    want = np.array([inner(x) for x in xs])
    for f in (vmap(inner), jit(vmap(inner)), vmap(jit(inner))):
        np.testing.assert_allclose(f(xs), want)
    np.testing.assert_allclose(vmap(vmap(inner))(xs.reshape(2, 3)), want.reshape(2, 3))
    grid = xs.reshape(3, 2) - 9.0
    want_log = np.array([[safe_log(v) for v in row] for row in grid])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(vmap(vmap(safe_log))(grid), want_log)
    assert check_vmap(
        inner, np.array(17.0), make_example=lambda r: (r.uniform(0, 80),), transforms=ALL
    )


def test_vmap_of_vmap_while_with_inner_and_outer_bounds():
    def f(n, m):
        return fori_loop(0, n + m, lambda i, v: v + i, 0)

    ns, ms = np.arange(3), np.arange(4)
    got = vmap(vmap(f, in_axes=(None, 0)), in_axes=(0, None))(ns, ms)
    np.testing.assert_array_equal(got, [[f(int(n), int(m)) for m in ms] for n in ns])


def test_while_inside_scan_inside_cond():
    def f(x):
        def body(c, k):
            steps = while_loop(lambda s: s[0] * 2 < k, lambda s: (s[0] * 2, s[1] + 1), (1.0, 0))[1]
            return c + steps, steps

        return cond(
            x > 0, lambda: scan(body, 0, np.arange(1.0, 6.0) * x), lambda: (0, np.zeros(5, int))
        )

    xs = np.array([1.0, -1.0, 3.0])
    got = vmap(f)(xs)
    want = [f(x) for x in xs]
    np.testing.assert_array_equal(got[0], [w[0] for w in want])
    np.testing.assert_array_equal(got[1], np.stack([w[1] for w in want]))


def test_make_ir_prints_sub_programs():
    text = str(make_ir(safe_log)(1.0))
    assert "cond[" in text and "branches[0]={ lambda" in text and "log" in text
    text = str(make_ir(collatz_steps)(5))
    assert "while[" in text and "body_program={ lambda" in text


# ------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "f",
    [
        lambda x: cond(x > 0, lambda x: x, lambda x: x.astype(np.float32), x),  # dtype
        lambda x: cond(x > 0, lambda x: x, lambda x: np.stack([x, x]), x),  # shape
        lambda x: cond(x > 0, lambda x: x, lambda x: (x, x), x),  # structure
        lambda x: switch(1, [lambda x: x, lambda x: x[None]], x),
    ],
)
def test_branches_that_disagree_raise(f):
    for run, arg in ((jit(f), np.array(1.0)), (vmap(f), np.ones(3))):
        with pytest.raises(errors.BranchOutputMismatchError) as info:
            run(arg)
        assert isinstance(info.value, TypeError)


def test_while_body_changing_carry_raises_eagerly_and_traced():
    f = lambda x: while_loop(lambda v: v < 10, lambda v: v + 0.5, x)  # noqa: E731
    for run, arg in ((f, np.array(1)), (jit(f), np.array(1)), (vmap(f), np.arange(2))):
        with pytest.raises(errors.CarryTypeError, match="i64"):
            run(arg)
    with pytest.raises(errors.CarryTypeError):
        scan(lambda c, x: (c.astype(np.float32), x), np.float64(0), np.ones(2))
    with pytest.raises(errors.CarryTypeError):
        jit(lambda xs: scan(lambda c, x: ((c, c), x), 0.0, xs))(np.ones(2))


def test_non_scalar_predicates_and_bad_arguments_raise():
    with pytest.raises(errors.ControlFlowError, match="scalar"):
        cond(np.array([True, False]), lambda: 1, lambda: 2)
    with pytest.raises(errors.ControlFlowError, match="scalar"):
        jit(lambda x: cond(x > 0, lambda: x, lambda: -x))(np.ones(2))
    with pytest.raises(errors.ControlFlowError, match="integer"):
        switch(1.5, [lambda: 1, lambda: 2])
    with pytest.raises(errors.ControlFlowError, match="boolean scalar"):
        jit(lambda x: while_loop(lambda v: v, lambda v: v - 1, x))(3)
    with pytest.raises(errors.ControlFlowError, match="boolean scalar"):
        while_loop(lambda v: v, lambda v: v - 1, 3)
    with pytest.raises(errors.ControlFlowError, match="callable"):
        cond(True, 1, lambda: 2)
    with pytest.raises(TypeError):
        fori_loop(0.0, 3, lambda i, v: v, 0)
    with pytest.raises(ValueError, match="leading axis"):
        scan(lambda c, x: (c, x), 0.0, (np.ones(2), np.ones(3)))
