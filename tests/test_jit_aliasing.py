"""jit keeps eager's values and aliasing (issue 8): literals by their bits, errstate blocks
replayed over the caller's state at call time, static arguments keyed by type, outputs that
share memory only where eager's do, intermediates freed after their last use, a bounded
cache that does not keep trace-time constants alive."""

import warnings

import numpy as np
import pytest

import autovec.numpy as anp
from autovec import jit, vmap
from autovec.ir import exact_key

# ------------------------------------------------------------- literals compared by bits


def test_cse_keeps_literals_of_different_bits_apart():
    def f(x):
        return x * 0.0 + x * -0.0  # 1 * 0.0 + 1 * -0.0 = 0.0; merged: 0.0 + 0.0 = 0.0 too,
        # but -1 * 0.0 + -1 * -0.0 = -0.0 + 0.0 = 0.0 and merged -0.0 + -0.0 = -0.0

    x = np.array([-1.0, 1.0])
    got, want = jit(f)(x), f(x)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    assert len(jit(f).lower(x).program.eqns) == 3


def test_exact_key_tells_apart_what_equality_does_not():
    # The key CSE uses for literals and params, and jit for static arguments.
    keys = [exact_key(v) for v in (1, 1.0, True, np.float32(1), np.float64(1), 1 + 0j)]
    assert len(set(keys)) == len(keys)
    assert exact_key((0.0, 1)) != exact_key((-0.0, 1))
    assert exact_key(np.float32(-0.0)) != exact_key(np.float32(0.0))
    assert exact_key(float("nan")) == exact_key(float("nan"))
    assert exact_key({"a": (0.0,)}) != exact_key({"a": (-0.0,)})


def test_roll_up_compares_literals_by_bits():
    def f(x):
        return anp.stack([x[i] + (-0.0 if i == 1 else 0.0) for i in range(4)])

    x = np.array([0.0, -0.0, 1.0, -0.0, 2.0])
    np.testing.assert_array_equal(np.signbit(jit(f)(x)), np.signbit(f(x)))


def test_nan_literals_of_equal_bits_merge():
    f = jit(lambda x: (x + np.nan) * (x + np.nan))
    assert [e.prim.name for e in f.lower(np.ones(2)).program.eqns] == ["add", "multiply"]


# ------------------------------------------------------------------------------ errstate


def _log_in_a_block(x):
    with np.errstate(divide="ignore"):
        a = np.log(x)  # log(0): silent in here ...
    return a + np.log(x)  # ... and not here


def test_equations_under_different_errstate_never_merge():
    x = np.array([0.0, 1.0])
    assert [e.prim.name for e in jit(_log_in_a_block).lower(x).program.eqns].count("log") == 2
    with pytest.raises(FloatingPointError, match="divide by zero"):
        jit(_log_in_a_block)(x)  # the tests run under np.errstate(all="raise")


def _ignore_divide(x):
    with np.errstate(divide="ignore"):
        return np.log(x)


@pytest.mark.parametrize("traced_under", ["ignore", "raise", "warn"])
def test_errstate_blocks_are_replayed_whatever_the_state_when_traced(traced_under):
    x = np.array([0.0, 1.0])
    g = jit(_ignore_divide)
    with np.errstate(all=traced_under), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g(x)
    # Called later under the tests' all='raise': the block still says ignore, as eagerly.
    np.testing.assert_array_equal(g(x), [-np.inf, 0.0])
    with np.errstate(all="warn"):
        np.testing.assert_array_equal(g(x), [-np.inf, 0.0])


@pytest.mark.parametrize("traced_under", ["ignore", "raise"])
def test_what_the_block_does_not_set_follows_the_caller_at_call_time(traced_under):
    def f(x):
        with np.errstate(divide="ignore"):
            return np.log(x)  # log(-1) is invalid, which the block leaves to the caller

    x = np.array([-1.0, 1.0])
    g = jit(f)
    with np.errstate(all=traced_under):
        try:
            g(x)
        except FloatingPointError:
            pass
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(np.isnan(g(x)), [True, False])
    with pytest.raises(FloatingPointError, match="invalid value"):
        g(x)  # the tests' all='raise'
    with np.errstate(invalid="warn"), pytest.warns(RuntimeWarning, match="invalid value"):
        g(x)


def test_unblocked_code_follows_the_callers_state_at_call_time():
    g = jit(lambda x: np.log(x))
    x = np.array([0.0])
    with np.errstate(divide="ignore"):
        g(x)
    with pytest.raises(FloatingPointError):
        g(x)


def test_concrete_numpy_code_at_trace_time_follows_the_callers_state():
    def f(x):
        return x + np.log(np.zeros(1))  # runs while tracing, on a concrete array

    with pytest.raises(FloatingPointError, match="divide by zero encountered in log"):
        jit(f)(np.ones(1))
    with np.errstate(divide="warn"), pytest.warns(RuntimeWarning, match="divide by zero"):
        jit(f)(np.ones(1))
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(jit(f)(np.ones(1)), [-np.inf])


def test_errstate_blocks_survive_vmap_of_jit_and_roll_up():
    def f(x):
        with np.errstate(divide="ignore"):
            return anp.stack([np.log(x[i]) for i in range(4)])

    x = np.array([0.0, 1.0, 2.0, 0.0])
    g = jit(f)
    with np.errstate(divide="ignore"):
        g(x)
    np.testing.assert_array_equal(g(x), f(x))
    np.testing.assert_array_equal(vmap(jit(f))(np.stack([x, x])), np.stack([f(x)] * 2))


def test_folding_never_hides_a_warning_or_error_of_a_later_call():
    def f(x):
        return x + anp.log(np.zeros(2))  # staged on a constant: a candidate for folding

    g = jit(f)
    x = np.ones(2)
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(g(x), [-np.inf, -np.inf])
    with pytest.raises(FloatingPointError, match="divide by zero"):
        g(x)  # eagerly, log(0) raises under the caller's all='raise' on every call
    assert [e.prim.name for e in g.lower(x).program.eqns] == ["log", "add"]
    # What folds cleanly is folded.
    assert [e.prim.name for e in jit(lambda x: x + anp.log(np.ones(2))).lower(x).program.eqns] == [
        "add"
    ]


# ------------------------------------------------------------------------ static arguments


@pytest.mark.parametrize("order", [0, 1])
def test_static_arguments_are_keyed_by_type_and_bits(order):
    g = jit(lambda x, s: x * s, static_argnums=1)
    x = np.ones(2, np.float32)
    values = [1, 1.0, True, np.float32(1), np.float64(1), -0.0, 0.0]
    for s in values if order == 0 else values[::-1]:
        got, want = g(x, s), x * s
        assert got.dtype == want.dtype, s
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
    assert g._cache_size() == len(values)
    h = jit(lambda x, s: x * s[0], static_argnames="s")
    assert h(x, s=(np.float64(2),)).dtype == np.float64
    assert h(x, s=(2.0,)).dtype == np.float32
