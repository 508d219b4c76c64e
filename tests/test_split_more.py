"""Loop-faithful vmap on larger batches: the continuing run, replayed groups, lazy
narrowing, the operation record, and the split points added later (``str``/``format``,
sizes given to ``autovec.numpy``)."""

from __future__ import annotations

import numpy as np
import pytest

import autovec
import autovec.numpy as anp
from autovec import vmap
from autovec.interpreters import split_replay

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
    monkeypatch.setattr(split_replay, "MEMO_LIMIT_OPS", 5)
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


def test_an_update_of_a_value_from_before_a_split_when_only_a_few_examples_leave():
    # The two examples leaving run alone: nothing else holds the buffer from before the
    # split, which must still not be written in place over every example.
    def f(x):
        buf = x * 0.0
        if x[0] > 0.5:
            buf[0] = x[1]
        buf += 1.0
        return buf

    x = RNG.uniform(0.6, 1.0, size=(300, 3))
    x[[5, 9], 0] = 0.1
    check(f, x)


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


# ------------------------------------------------- str()/format() and autovec.numpy sizes


def test_str_and_format_split_by_value_as_the_loop():
    x = np.array([1.5, 2.25, 1.5, 0.1, 7.0, 2.25])
    check(lambda v: len(str(v)) + float(f"{v:.1f}"), x)
    check(lambda v: str(v), x)  # one string per example, stacked as the loop's np.stack
    check(lambda v: f"{v[0]:.2f}|{v[1]}", RNG.integers(0, 3, (12, 2)))


def test_str_under_jit_or_fallback_error_keeps_its_error():
    x = np.array([1.5, 2.25])
    with pytest.raises(autovec.errors.ConcretizationTypeError, match="repr"):
        vmap(lambda v: str(v), fallback="error")(x)
    with pytest.raises(autovec.errors.ConcretizationTypeError):
        autovec.jit(vmap(lambda v: f"{v:.1f}"), fallback="error")(x)
    # jit's default runs the vmap uncompiled there: eager vmap's strings.
    with pytest.warns(autovec.errors.JitFallbackWarning):
        assert autovec.jit(vmap(lambda v: f"{v:.1f}"))(x).tolist() == ["1.5", "2.2"]


@pytest.mark.parametrize(
    "make",
    [
        lambda n: anp.zeros(n).sum() + n,
        lambda n: anp.ones((n, 2)).sum(),
        lambda n: anp.arange(n).sum(),
        lambda n: anp.arange(1, n + 1, 2).sum(),
        lambda n: anp.linspace(0.0, 1.0, n).sum(),
        lambda n: anp.eye(n).sum(),
        lambda n: np.zeros(n).sum() + np.arange(n).sum(),
    ],
)
def test_sizes_given_to_autovec_numpy_split_by_value(make):
    check(make, np.array([2, 3, 2, 5, 3, 2, 4, 4]))


# ------------------------------------------------------------------------ autovec.explain


def test_explain_reports_splits_fallbacks_and_exceptions():
    a = RNG.uniform(1.0, 1e6, 2000)
    report = autovec.explain(newton_sqrt, a)
    np.testing.assert_array_equal(report.output, loop(newton_sqrt, a))
    (site,) = report.sites
    assert site.category == "split" and site.lineno == newton_sqrt.__code__.co_firstlineno + 2
    assert site.filename == __file__ and site.splits >= 3 and site.groups == 2
    assert 0 < site.share <= 1 and "np.where" in site.advice
    assert f"test_split_more.py:{site.lineno}" in str(report)
    assert "% of the time" in str(report) and "% of the time" not in report.format(times=False)

    def library(x):
        x = np.asarray(x)
        return x.sum()

    report = autovec.explain(library, RNG.normal(size=(20, 3)))
    (site,) = report.sites
    assert site.category == "fallback" and site.examples_alone == 20
    assert "autovec.numpy.asarray" in site.advice

    m = RNG.normal(size=(30, 2, 2))
    m[::4] = 0.0
    report = autovec.explain(safe_inverse, m)
    (site,) = report.sites
    assert site.category == "exception" and "LinAlgError" in site.what
    np.testing.assert_array_equal(report.output, loop(safe_inverse, m))


def test_explain_of_vectorised_code():
    report = autovec.explain(lambda x: x * 2, np.ones((4, 3)))
    assert report.vectorised and report.sites == [] and report.batch_size == 4
    assert str(report) == "vmap ran all 4 examples vectorised: nothing split."


def test_examples_run_alone_write_the_callers_batch_as_the_loop():
    # After a split, examples alone in their group run as in the loop, on the caller's rows:
    # what they write in place reaches the caller's batch (tests/test_writeback.py).
    xs = np.array([[0.0, 1, 2], [2, 3, 4], [3, 4, 5]])
    loop_xs = xs.copy()

    def f(x):
        if x[0] > 1:
            x[1] = -5
        return x * 1

    got = autovec.vmap(f, fallback="loop")(xs)
    np.testing.assert_array_equal(got, np.stack([f(x) for x in loop_xs]))
    np.testing.assert_array_equal(xs, loop_xs)
    assert loop_xs[1, 1] == -5


def test_empty_batch_needing_one_examples_value_raises_a_clear_error():
    # No example has a value to give float(), np.asarray or int(); the Python loop over no
    # examples has nothing to stack either (np.stack raises ValueError).
    from autovec import errors

    empty = np.zeros((0, 3))
    for fun in (
        lambda r: r * float(r[0]),
        lambda r: np.asarray(r).sum(),
        lambda r: r[: int(r[0])].sum(),
    ):
        with pytest.raises(errors.EmptyBatchError, match="0 examples"):
            autovec.vmap(fun)(empty)
    # An if/while on a comparison has no lane to disagree: it runs on, as before.
    got = autovec.vmap(lambda r: r.sum() if r[0] > 0 else -r.sum())(empty)
    assert got.shape == (0,)
