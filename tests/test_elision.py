"""Temporary elision in eager vmap: a dead intermediate's buffer may receive a ufunc's result
(as NumPy does for plain arrays), but nothing anyone can still see is ever overwritten.

Tests that record which binds were offered a buffer skip where the probe cannot tell a
temporary from a held value (elision is then off); the probe's failure path is tested on
every Python by making it fail."""

import weakref

import numpy as np
import pytest

import autovec
import autovec.interpreters.batching as batching
from autovec import vmap
from autovec.numpy import _elision

rng = np.random.default_rng(3)
BIG = (8, 64, 128)  # 65,536 elements: above the elision threshold


class _Calls(list):
    """(ufunc name, reused?) per offer; ``buffers()``: the buffers reused, oldest first."""

    def __init__(self) -> None:
        super().__init__()
        # Weak references: holding the buffers would raise their reference counts, and a
        # buffer something else holds is (rightly) never reused.
        self._buffers: list[weakref.ref] = []

    def buffers(self) -> list[np.ndarray | None]:
        return [r() for r in self._buffers]


@pytest.fixture
def elided():
    """Record, for each ufunc bind offered a temporary's buffer, whether it reused it
    (``elided``) and the buffer it wrote into (``elided.buffers()``, one per reuse)."""
    if not _elision.available():
        pytest.skip("this Python shows a temporary and a held value alike: elision is off")
    calls = _Calls()
    original = batching.BatchTrace._elide

    def spy(self, prim, target, args):
        out = original(self, prim, target, args)
        calls.append((prim.name, out is not None))
        if out is not None:
            calls._buffers.append(weakref.ref(out.val))
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
    assert elided == [("square", True), ("add", True), ("sqrt", True)]
    # One buffer (the temporary a - 1.0) receives the whole chain, and the result is it.
    first, *rest = elided.buffers()
    assert first is not None and all(b is first for b in rest)
    assert np.shares_memory(got, first) and got.shape == first.shape
    assert not np.shares_memory(got, x)


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
    # Each result has its own buffer: none was written into a held value's.
    outs = (x, d, e, k, f2)
    for i, o in enumerate(outs):
        assert not any(np.shares_memory(o, other) for other in outs[i + 1 :])
    # The same code on temporaries does reuse (so the check above is not vacuous).
    got = vmap(lambda a: ((a * 2.0) ** 2, (a + 1.0) * 3.0))(x)
    np.testing.assert_array_equal(got[0], e)
    np.testing.assert_array_equal(got[1], f2)
    assert ("square", True) in elided and ("multiply", True) in elided


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
    assert elided == [("divide", False)]  # offered the temporary, and refused it
    assert got.dtype == np.float64


def test_broadcasting_result_larger_than_temporary_is_not_elided(elided):
    # The temporary a * 2.0 is above the threshold; the sum broadcasts to twice its size.
    x, y = rng.normal(size=(4, 1, 1 << 14)), rng.normal(size=(4, 2, 1 << 14))
    got = vmap(lambda a, b: (a * 2.0) + b)(x, y)
    np.testing.assert_array_equal(got, x * 2.0 + y)
    assert elided == [("add", False)]


def test_nested_vmap_pairwise_reuses_and_matches(elided):
    xs, ys = rng.normal(size=(64, 32)), rng.normal(size=(64, 32))

    def distance(a, b):
        return np.sqrt(np.sum((a - b) ** 2))

    f = vmap(vmap(distance, in_axes=(None, 0)), in_axes=(0, None))
    want = np.sqrt(((xs[:, None] - ys[None]) ** 2).sum(-1))
    np.testing.assert_allclose(f(xs, ys), want, rtol=1e-12)
    # The (64, 64, 32) difference is a temporary of the outer vmap: its square reuses it.
    assert ("square", True) in elided
    assert elided.buffers()[0] is None or elided.buffers()[0].shape == (64, 64, 32)


def test_in_place_updates_after_elision(elided):
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
    # t started as a reused buffer; u + 1.0, with t still held, got a buffer of its own.
    assert elided == [("square", True)]
    assert not np.shares_memory(got, t)


def test_probe_measures_a_temporary_below_a_held_value():
    refs = _elision._measure()
    if refs == 0:
        pytest.skip("this Python cannot tell a temporary from a held value: elision is off")
    # Plain statements: pytest's rewritten asserts would hold extra references.
    held = _elision._Probe()
    held_refs = held * 1
    temporary_refs = _elision._Probe() * 1
    assert refs == temporary_refs < held_refs
    ufunc_refs = _elision._measure_ufunc_call()
    held_u = _elision._UfuncProbe()
    held_refs = np.exp(held_u)
    temporary_refs = np.exp(_elision._UfuncProbe())
    assert 0 < ufunc_refs == temporary_refs < held_refs


def test_jit_values_are_never_elided(elided):
    """Elision is eager-only: under jit, vmap's values are staged, not buffers."""
    x = rng.normal(size=BIG)

    def chain(a):
        return np.sqrt((a - 1.0) ** 2 + 1.0)

    want = np.sqrt((x - 1.0) ** 2 + 1.0)
    np.testing.assert_array_equal(autovec.jit(vmap(chain))(x), want)
    np.testing.assert_array_equal(vmap(autovec.jit(chain))(x), want)
    assert elided == []


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


def test_elision_turns_off_when_the_probe_cannot_tell_a_temporary(monkeypatch):
    """As on Python 3.14 for NumPy's own elision: every value shows the same count."""
    monkeypatch.setattr(_elision, "_count", lambda x: 2)
    monkeypatch.setattr(_elision, "_temporary_refs", None)
    monkeypatch.setattr(_elision, "_ufunc_temporary_refs", None)
    assert not _elision.available()
    offers = []
    original = batching.BatchTrace._elide

    def spy(self, prim, target, args):
        offers.append(prim.name)
        return original(self, prim, target, args)

    monkeypatch.setattr(batching.BatchTrace, "_elide", spy)
    x = rng.normal(size=BIG)

    def f(a):
        d = a * 2.0
        return np.sqrt((a - 1.0) ** 2 + 1.0), d, d**2, np.exp(a * 3.0)

    got = vmap(f)(x)
    want = (np.sqrt((x - 1.0) ** 2 + 1.0), x * 2.0, (x * 2.0) ** 2, np.exp(x * 3.0))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert offers == []  # no bind was even offered a buffer
    assert not any(np.shares_memory(g, x) for g in got)


def test_the_elision_target_is_cleared_after_each_bind():
    x = rng.normal(size=BIG)
    vmap(lambda a: np.exp((a - 1.0) ** 2))(x)
    assert batching.elide_into.get() is None
