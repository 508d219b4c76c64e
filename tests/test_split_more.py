"""Loop-faithful vmap on larger batches: the continuing run, replayed groups, lazy
narrowing, the operation record, and the split points added later (``str``/``format``,
sizes given to ``autovec.numpy``)."""

from __future__ import annotations

import numpy as np
import pytest

import autovec
from autovec import vmap
from autovec.interpreters import split

RNG = np.random.default_rng(1)


def loop(f, *args):
    return np.stack([np.asarray(f(*row)) for row in zip(*args)])


def check(f, *args, **vmap_options):
    vmap_options.setdefault("fallback", "loop")
    got = vmap(f, **vmap_options)(*args)
    want = loop(f, *args)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    return got


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-9 * a:
        x = 0.5 * (x + a / x)
    return x


def test_newton_on_many_lanes_replays_groups_and_equals_the_loop():
    a = RNG.uniform(1.0, 1e6, 3000)
    check(newton_sqrt, a)
    check(newton_sqrt, a)  # the second call starts with the continuing run


def test_groups_recompute_what_the_record_does_not_hold(monkeypatch):
    monkeypatch.setattr(split, "MEMO_LIMIT_OPS", 5)
    check(newton_sqrt, RNG.uniform(1.0, 1e4, 500))


def vector_newton(v):
    # examples are vectors: groups of 4 or more examples are replayed
    s = v.sum()
    x = s
    steps = 0
    while abs(x * x - s) > 1e-9 * s:
        x = 0.5 * (x + s / x)
        steps += 1
    return v * x + steps


def test_vector_examples_with_values_from_before_every_split():
    check(vector_newton, RNG.uniform(1.0, 1e4, (400, 3)))


def piecewise_chain(x):
    y = x * 2.0
    if x[0] > 0:
        y = y + 1.0
        if x[1] > 0:
            return y * x  # uses x and y, both computed before both splits
        z = np.sin(y)
    else:
        z = np.cos(y)
    return z - x


def test_nested_splits_on_many_lanes():
    check(piecewise_chain, RNG.normal(size=(1000, 2)))


def safe_inverse(m):
    try:
        return np.linalg.inv(m)
    except np.linalg.LinAlgError:
        return np.zeros_like(m)


def test_lanes_failing_inside_a_continuing_run():
    def f(m):
        m = m * 1.0
        if m[0, 0] > 0:  # a split first, then a failure for some lanes of one group
            return safe_inverse(m) + 1.0
        return safe_inverse(m) - 1.0

    m = RNG.normal(size=(60, 2, 2))
    m[::7] = 0.0
    check(f, m)


def test_split_inside_nested_vmap_on_many_lanes():
    a = RNG.uniform(1.0, 100.0, (5, 200))
    got = vmap(vmap(newton_sqrt), fallback="loop")(a)
    np.testing.assert_array_equal(got, np.stack([loop(newton_sqrt, row) for row in a]))


def test_a_value_from_before_a_split_is_narrowed_for_in_place_updates():
    def f(x):
        buf = x * 0.0
        if x[0] > 0.5:
            buf[0] = x[1]  # an in-place update of a value computed before the split
        buf += 1.0
        return buf

    check(f, RNG.uniform(size=(300, 3)))


@pytest.mark.parametrize("n", [10, 300])
def test_side_effects_follow_the_documented_order(n):
    seen = []

    def f(x):
        seen.append(1)
        return x if x.sum() > 0 else -x

    x = np.array([[-1.0, 0.5], [1.0, 1.0]] * (n // 2))
    autovec.vmap(f)(x)
    # (the first attempt, unless f split the last time), the continuing run, the other group
    assert len(seen) in (3, 2)
    seen.clear()
    autovec.vmap(f)(x)
    assert len(seen) == 2
