"""Temporary elision in eager vmap: a dead intermediate's buffer may receive a ufunc's result
(as NumPy does for plain arrays), but nothing anyone can still see is ever overwritten."""

import numpy as np
import pytest

import autovec
import autovec.interpreters.batching as batching
from autovec import vmap

rng = np.random.default_rng(3)
BIG = (8, 64, 128)  # 65,536 elements: above the elision threshold


@pytest.fixture
def elided():
    """Record which ufunc binds reused a buffer."""
    calls = []
    original = batching.BatchTrace._elide

    def spy(self, prim, args):
        out = original(self, prim, args)
        calls.append((prim.name, out is not None))
        return out

    batching.BatchTrace._elide = spy
    try:
        yield calls
    finally:
        batching.BatchTrace._elide = original


def test_temporary_chain_reuses_buffers(elided):
    x = rng.normal(size=BIG)
    got = vmap(lambda a: np.sqrt((a - 1.0) ** 2 + 1.0))(x)
    np.testing.assert_array_equal(got, np.sqrt((x - 1.0) ** 2 + 1.0))
    assert ("square", True) in elided and ("add", True) in elided


def test_values_held_in_variables_are_never_overwritten(elided):
    x = rng.normal(size=BIG)

    def f(a):
        d = a * 2.0
        e = d**2  # d is held: must not be reused
        kept = [a + 1.0]
        f2 = kept[0] * 3.0  # held by a list
        return d, e, kept[0], f2

    d, e, k, f2 = vmap(f)(x)
    np.testing.assert_array_equal(d, x * 2.0)
    np.testing.assert_array_equal(e, (x * 2.0) ** 2)
    np.testing.assert_array_equal(k, x + 1.0)
    np.testing.assert_array_equal(f2, (x + 1.0) * 3.0)
    assert not any(done for name, done in elided if name in ("square", "multiply"))


def test_buffers_seen_through_views_are_never_overwritten():
    x = rng.normal(size=BIG)

    def f(a):
        t = a * 2.0
        view = t.T  # a view of t's buffer
        return (a * 2.0) ** 2 + 0 * view.sum(), view

    got, view = vmap(f)(x)
    np.testing.assert_array_equal(view, (x * 2.0).transpose(0, 2, 1))
    np.testing.assert_allclose(got, (x * 2.0) ** 2)


def test_arguments_are_never_overwritten():
    x = rng.normal(size=BIG)
    x0 = x.copy()
    out = vmap(lambda a: a * 2.0 + 1.0)(x)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(out, x0 * 2.0 + 1.0)
    out = vmap(lambda a: (a + 0) ** 2)(x)  # a + 0 is a fresh temporary; a itself is not
    np.testing.assert_array_equal(x, x0)


def test_dtype_change_is_not_elided_and_results_are_exact(elided):
    x = rng.integers(0, 100, size=BIG).astype(np.int32)
    got = vmap(lambda a: (a * 2) / 3)(x)  # int32 temporary, float64 result
    np.testing.assert_array_equal(got, (x * 2) / 3)
    assert ("divide", True) not in elided


def test_broadcasting_result_larger_than_temporary_is_not_elided():
    x, y = rng.normal(size=(4, 1, 256)), rng.normal(size=(4, 128, 256))
    got = vmap(lambda a, b: (a * 2.0) + b)(x, y)
    np.testing.assert_array_equal(got, x * 2.0 + y)


def test_nested_vmap_pairwise_reuses_and_matches():
    xs, ys = rng.normal(size=(64, 32)), rng.normal(size=(64, 32))

    def distance(a, b):
        return np.sqrt(np.sum((a - b) ** 2))

    f = vmap(vmap(distance, in_axes=(None, 0)), in_axes=(0, None))
    want = np.sqrt(((xs[:, None] - ys[None]) ** 2).sum(-1))
    np.testing.assert_allclose(f(xs, ys), want, rtol=1e-12)


def test_in_place_updates_after_elision():
    x = rng.normal(size=BIG)

    def f(a):
        t = (a * 2.0) ** 2
        t[0] = -1.0
        u = t
        return u + 1.0, t

    got, t = vmap(f)(x)
    want_t = (x * 2.0) ** 2
    want_t[:, 0] = -1.0
    np.testing.assert_array_equal(t, want_t)
    np.testing.assert_array_equal(got, want_t + 1.0)


def test_probe_measures_a_temporary_below_a_held_value():
    from autovec.numpy import _elision

    refs = _elision._measure()
    held = _elision._Probe()
    assert refs == 0 or refs < held * 1
    assert autovec.jit(lambda a: a) is not None  # elision is eager-only: jit has its own


def test_numpy_function_calls_on_temporaries_reuse_and_held_values_survive(elided):
    x = rng.normal(size=BIG)

    def f(a):
        held = a * 2.0
        e = np.exp(held)  # held: not reused
        return held, e, np.exp(a * 3.0)  # a * 3.0 is a temporary: reused

    held, e, e3 = vmap(f)(x)
    np.testing.assert_array_equal(held, x * 2.0)
    np.testing.assert_array_equal(e, np.exp(x * 2.0))
    np.testing.assert_array_equal(e3, np.exp(x * 3.0))
    assert elided.count(("exp", True)) == 1
