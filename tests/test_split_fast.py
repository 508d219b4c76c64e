"""The operators' short ways into a split run (autovec/interpreters/split_fast.py): a group
replaying the record and a continuing run that computes must give the loop's result for every
kind of operand, and hand anything unusual to the trace's own rule."""

from __future__ import annotations

import numpy as np
import pytest

import autovec.numpy as anp
from autovec import vmap
from autovec.interpreters import split_fast, split_replay

RNG = np.random.default_rng(7)
# Enough examples per step count that groups are replayed (not run example by example).
A = RNG.uniform(1.0, 1e6, 1500)


def loop(f, *args):
    return np.stack([np.asarray(f(*row)) for row in zip(*args)])


def check(f, *args, in_axes=0):
    got = vmap(f, in_axes=in_axes, fallback="loop")(*args)
    rows = [a if ax is None else None for a, ax in zip(args, _axes(in_axes, len(args)))]
    n = next(len(a) for a, r in zip(args, rows) if r is None)
    want = np.stack(
        [
            np.asarray(f(*[a if r is not None else a[i] for a, r in zip(args, rows)]))
            for i in range(n)
        ]
    )
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    return got


def _axes(in_axes, n):
    return in_axes if isinstance(in_axes, tuple) else (in_axes,) * n


def newton(a):
    x = a
    while abs(x * x - a) > 1e-9 * a:
        x = 0.5 * (x + a / x)
    return x


def test_the_short_ways_are_taken_and_equal_the_loop(monkeypatch):
    calls = {"replay": 0, "compute": 0}
    for name in calls:
        real = getattr(split_fast, name)

        def spy(*args, real=real, name=name):
            calls[name] += 1
            return real(*args)

        monkeypatch.setattr(split_fast, name, spy)
    # (the operators hold their own references: patch where they look them up)
    import autovec.numpy._elision as elision
    import autovec.numpy.methods as methods

    monkeypatch.setattr(methods, "replay", split_fast.replay)
    monkeypatch.setattr(elision, "_replay", split_fast.replay)
    monkeypatch.setattr(elision, "_compute", split_fast.compute)
    check(newton, A)
    check(newton, A)  # (this call starts with the continuing run)
    assert calls["replay"] > 0 and calls["compute"] > 0


def test_scalars_on_either_side_unary_operators_and_comparisons():
    def f(a):
        x = a
        n = 0
        while (-x + 2.0 * a) / a < 1.5 and n < 40:
            x = abs(-(x * 1.25)) + 0.5
            n += 1
        return x * 3 - n

    check(f, RNG.uniform(1.0, 100.0, 1200))


def test_unbatched_and_closed_over_operands():
    table = RNG.uniform(0.5, 2.0, 1)
    w = np.float64(1e-9)

    def f(a, scale):
        x = a
        while abs(x * x - a) > w * a:
            x = 0.5 * (x + a / x) * scale + table * 0.0
        return x

    check(f, A[:800], np.ones(1), in_axes=(0, None))


def test_values_of_an_earlier_lane_set_and_values_the_record_lost(monkeypatch):
    def f(a):
        first = a * 2.0  # over every lane, used after the splits
        x = a
        while abs(x * x - a) > 1e-9 * a:
            x = 0.5 * (x + a / x)
        return x + first - first

    check(f, A[:900])
    monkeypatch.setattr(split_replay, "MEMO_LIMIT_OPS", 7)  # groups recompute the rest
    check(f, A[:900])


def test_an_operation_failing_for_some_lanes_inside_a_continuing_run():
    def f(a):
        x = a
        while abs(x * x - a) > 1e-9 * a:
            x = 0.5 * (x + a / x)
        with np.errstate(divide="raise"):
            try:
                return 1.0 / (x - np.floor(x))  # zero for the perfect squares only
            except FloatingPointError:
                return -1.0 + 0.0 * x

    a = A[:600].copy()
    a[::7] = np.arange(1, len(a[::7]) + 1, dtype=float) ** 2
    check(f, a)


def test_a_spy_on_a_primitive_still_sees_a_continuing_runs_operations(monkeypatch):
    prim = anp.UFUNCS["multiply"].prim
    seen = []
    real = prim.impl

    def impl(xp, *args, **params):
        seen.append(len(args))
        return real(xp, *args, **params)

    check(newton, A[:300])  # (the next call starts with the continuing run)
    monkeypatch.setattr(prim, "impl", impl)
    check(newton, A[:300])
    assert seen  # the continuing run's rule (which calls impl) ran, not NumPy's function


def test_a_nested_vmap_inside_a_replayed_group_uses_the_outer_values():
    def f(a):
        x = a
        while abs(x * x - a) > 1e-9 * a:
            x = 0.5 * (x + a / x)
        # an inner vmap closes over the outer (replayed) value x
        return vmap(lambda k: x * k + a)(np.arange(3.0)).sum()

    check(f, A[:500])


def test_an_impure_function_whose_operations_differ_between_runs():
    state = {"calls": 0}

    def f(a):
        state["calls"] += 1
        x = a
        while abs(x * x - a) > 1e-9 * a:
            x = 0.5 * (x + a / x)
        # each run of the function takes a different (but per-example equal) route
        return x * 2.0 if state["calls"] % 2 else x + x

    got = vmap(f, fallback="loop")(A[:400])
    np.testing.assert_array_equal(got, loop(f, A[:400]))


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_other_dtypes(dtype):
    def f(a):
        x = a
        n = 0
        while x > 1:
            x = x // 2 if x.dtype.kind == "i" else x / 2
            n += 1
        return x + n

    check(f, RNG.integers(1, 10**6, 1000).astype(dtype))
