"""jit of code that needs concrete values (Python control flow on traced values, float(x),
np.asarray(x), random draws) runs uncompiled and equals the Python loop, under jit(vmap),
vmap(jit) and jit(vmap(vmap)) (autovec/interpreters/jit.py, _Unstaged)."""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import pytest

import autovec
from autovec import errors, jit, vmap

RNG = np.random.default_rng(5)


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-9 * a:  # lanes converge after different numbers of steps
        x = 0.5 * (x + a / x)
    return x


def if_elif(x):
    s = x.sum()
    if s > 1.0:
        return x * 2
    elif s > -1.0:
        return x - 1
    return -x


def nested(x):
    y = x
    while y.max() < 4.0:
        if y.sum() > 0:
            y = y * 2 + 0.5
        else:
            y = y + 1.0
    return y


def early_return(x):
    for i in range(x.shape[0]):
        if x[i] < 0:
            return x * i
    return x + 100.0


def range_of_int(x):
    total = 0.0
    for i in range(int(abs(x[0]) * 3) % 4):
        total = total + x[i % x.shape[0]]
    return total


TABLE = [1.5, -2.0, 3.25, 4.0]


def list_index(x):
    return x * TABLE[int(abs(x[1]) * 2) % len(TABLE)]


def math_float(x):
    return math.exp(float(x[0])) + math.atan2(float(x[1]), 2.0)


def asarray_prologue(x):
    x = np.asarray(x, dtype=float)  # what library code does first
    return (x - x.mean()) / (x.std() + 1.0)


def swallowed(x):
    try:
        v = float(x[0])  # jit's tracer raises here; eager vmap gives each example its value
    except TypeError:
        v = 100.0
    return x + v


def per_lane_exception(x):
    m = np.outer(x, x) if x[0] > 0 else np.eye(x.shape[0])
    try:
        return np.linalg.inv(m)[0]  # singular for the examples with x[0] > 0
    except np.linalg.LinAlgError:
        return np.full(x.shape[0], -1.0)


CASES = {
    "newton_sqrt": (newton_sqrt, RNG.uniform(0.5, 1e4, 12)),
    "if_elif": (if_elif, RNG.standard_normal((12, 3))),
    "nested": (nested, RNG.standard_normal((12, 3))),
    "early_return": (early_return, RNG.standard_normal((12, 3))),
    "range_of_int": (range_of_int, RNG.standard_normal((12, 3))),
    "list_index": (list_index, RNG.standard_normal((12, 3))),
    "math_float": (math_float, RNG.standard_normal((12, 3))),
    "asarray_prologue": (asarray_prologue, RNG.standard_normal((12, 3))),
    "swallowed": (swallowed, RNG.standard_normal((12, 3))),
    "per_lane_exception": (per_lane_exception, RNG.standard_normal((12, 3))),
}


def loop(f, xs):
    return np.stack([np.asarray(f(x)) for x in xs])


def quiet(call, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", errors.FallbackWarning)
        return call(*args)


@pytest.mark.parametrize("name", sorted(CASES))
def test_equals_the_loop_under_every_jit_composition(name):
    f, xs = CASES[name]
    want = loop(f, xs)
    for transform in (lambda g: jit(vmap(g)), lambda g: vmap(jit(g))):
        batched = transform(f)
        for _ in range(2):  # the first call decides and caches; the second reuses
            np.testing.assert_array_equal(quiet(batched, xs), want)
    # jit(vmap(vmap)): an outer batch of two, the second reversed
    xss = np.stack([xs, xs[::-1]])
    got = quiet(jit(vmap(vmap(f))), xss)
    np.testing.assert_array_equal(got, np.stack([loop(f, xs), loop(f, xs[::-1])]))


def test_the_decision_is_cached_and_warned_once():
    jitted = jit(vmap(if_elif))
    xs = CASES["if_elif"][1]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # once per line, as a user sees it
        for _ in range(3):
            out = jitted(xs)
    ours = [w for w in caught if w.category is errors.JitFallbackWarning]
    assert len(ours) == 1 and jitted.trace_count == 1
    message = str(ours[0].message)
    assert f"{__file__}:{if_elif.__code__.co_firstlineno + 2}" in message
    assert "autovec.cond" in message and "fallback='eager'" in message
    np.testing.assert_array_equal(out, loop(if_elif, xs))
    # A new shape traces again (and decides again).
    quiet(jitted, xs[:5])
    assert jitted.trace_count == 2


def test_fallback_modes():
    xs = CASES["if_elif"][1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(jit(vmap(if_elif), fallback="eager")(xs), loop(if_elif, xs))
    with pytest.raises(errors.TracerBoolConversionError):
        jit(vmap(if_elif), fallback="error")(xs)
    # A conversion the function catches still stops compilation: no wrong program.
    with pytest.raises(errors.ConcretizationTypeError):
        jit(vmap(swallowed), fallback="error")(xs)
    with pytest.raises(errors.ConcretizationTypeError):
        jit(vmap(swallowed)).lower(xs)
    with pytest.raises(errors.ConcretizationTypeError):
        autovec.make_ir(vmap(swallowed))(xs)
    with pytest.raises(errors.OptionError, match="fallback"):
        jit(if_elif, fallback="sometimes")


def test_plain_jit_runs_uncompiled_as_f():
    x = np.array([0.5, -2.0, 1.0])
    for name in ("if_elif", "early_return", "math_float", "swallowed"):
        f = CASES[name][0]
        np.testing.assert_array_equal(quiet(jit(f), x), f(x))


def test_code_that_compiles_does_not_fall_back():
    def f(x, w):
        y = np.where(x > 0, x, -x) @ w
        return autovec.cond(y.sum() > 0, lambda v: v * 2, lambda v: v - 1, y)

    xs, w = RNG.standard_normal((6, 3)), RNG.standard_normal((3, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", errors.JitFallbackWarning)
        got = jit(vmap(f, in_axes=(0, None)))(xs, w)
        again = vmap(jit(f), in_axes=(0, None))(xs, w)
    want = np.stack([f(x, w) for x in xs])
    np.testing.assert_allclose(got, want, rtol=1e-14)
    np.testing.assert_allclose(again, want, rtol=1e-14)


# ------------------------------------------------------------------------ random numbers


def _draws(rng):
    def f(x):
        return x * rng.uniform() + rng.integers(0, 10) + rng.normal(size=x.shape)

    return f


@pytest.mark.parametrize("transform", ["jit", "jit(vmap)", "vmap(jit)"])
def test_draws_happen_at_run_time_as_in_the_loop(transform):
    xs = RNG.standard_normal((20, 3))
    rng, ref = np.random.default_rng(3), np.random.default_rng(3)
    f, g = _draws(rng), _draws(ref)
    if transform == "jit":
        jitted = jit(f, fallback="eager")
        got = [jitted(xs), jitted(xs)]
        want = [g(xs), g(xs)]
    else:
        jitted = jit(vmap(f)) if transform == "jit(vmap)" else vmap(jit(f))
        got = [quiet(jitted, xs), quiet(jitted, xs)]
        want = [loop(g, xs), loop(g, xs)]
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])  # new numbers: nothing was baked in
    assert rng.bit_generator.state == ref.bit_generator.state


def test_a_generator_argument_runs_uncompiled():
    xs = RNG.standard_normal((8, 2))

    def f(x, g):
        return x + g.standard_normal(2)

    got = quiet(jit(vmap(f, in_axes=(0, None))), xs, np.random.default_rng(9))
    ref = np.random.default_rng(9)
    np.testing.assert_array_equal(got, np.stack([f(x, ref) for x in xs]))
    with pytest.raises(errors.RandomUnderJitError):
        jit(f, fallback="error")(xs[0], np.random.default_rng(9))


# ------------------------------------------- generators reached other than by their name


class _Holder:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)


def _reached_otherwise():
    """name -> make() returning (f, the generator f draws from)."""
    holder, cfg = _Holder(1), type("Cfg", (), {})()
    cfg.inner = _Holder(2)
    gens = [np.random.default_rng(3)]
    table = {"g": np.random.default_rng(4)}
    pair = (np.random.default_rng(5), 1)
    g6, g7, g8 = (np.random.default_rng(s) for s in (6, 7, 8))

    def takes(g, x):
        return x + g.normal()

    class Model:
        def __init__(self):
            self.rng = np.random.default_rng(9)

        def __call__(self, x):
            return x + self.rng.normal()

    model = Model()
    return {
        "attribute_of_closed_object": (lambda x: x + holder.rng.normal(), holder.rng),
        "nested_attribute": (lambda x: x + cfg.inner.rng.normal(), cfg.inner.rng),
        "list_element": (lambda x: x + gens[0].normal(), gens[0]),
        "dict_value": (lambda x: x + table["g"].normal(), table["g"]),
        "tuple_element": (lambda x: x + pair[0].normal(), pair[0]),
        "default_argument": (lambda x, g=g6: x + g.normal(), g6),
        "partial_argument": (functools.partial(takes, g7), g7),
        "partial_keyword": (functools.partial(lambda x, g: x + g.normal(), g=g8), g8),
        "callable_object": (model, model.rng),
    }


@pytest.mark.parametrize("name", sorted(_reached_otherwise()))
@pytest.mark.parametrize("transform", ["vmap", "jit(vmap)", "vmap(jit)", "jit"])
def test_generators_reached_otherwise_draw_as_in_the_loop(name, transform):
    f, gen = _reached_otherwise()[name]
    xs = np.arange(6.0)
    start = gen.bit_generator.state
    if transform == "jit":
        want = [f(x) for x in xs[:3]]
    else:
        want = [np.stack([f(x) for x in xs]), np.stack([f(x) for x in xs])]
    end = gen.bit_generator.state
    gen.bit_generator.state = start
    if transform == "jit":
        jitted = jit(f, fallback="eager")
        got = [jitted(x) for x in xs[:3]]  # later calls draw anew: nothing baked in
    else:
        batched = {"vmap": vmap, "jit(vmap)": lambda g: jit(vmap(g))}.get(
            transform, lambda g: vmap(jit(g))
        )(f)
        got = [quiet(batched, xs), quiet(batched, xs)]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert gen.bit_generator.state == end


def test_generators_reached_otherwise_and_other_randomness_modes():
    gens = [np.random.default_rng(3)]
    f = lambda x: x + gens[0].normal()  # noqa: E731
    start = gens[0].bit_generator.state
    same = vmap(f, randomness="same")(np.arange(4.0))
    assert len(set((same - np.arange(4.0)).tolist())) == 1
    gens[0].bit_generator.state = start
    with pytest.raises(errors.RandomnessError, match="container"):
        vmap(f, randomness="error")(np.arange(4.0))
    assert gens[0].bit_generator.state == start


# ------------------------------------------------ writes into closed-over and global arrays

_COUNTS = np.zeros(3)


def _counting(x):
    _COUNTS[:] += 1  # a write into a global: without jit it happens on every call
    return x + _COUNTS


def test_a_write_into_a_global_array_happens_on_every_call_as_without_jit():
    _COUNTS[:] = 0
    f = autovec.jit(_counting, fallback="eager")
    outs = [f(np.ones(3)) for _ in range(3)]
    np.testing.assert_array_equal(_COUNTS, [3, 3, 3])
    np.testing.assert_array_equal(outs[-1], np.full(3, 4.0))
    assert _COUNTS.flags.writeable


def test_a_write_into_a_closed_over_array_happens_on_every_call_as_without_jit():
    table = np.zeros(2)

    def record(x):
        table[0] = x.sum()
        return 2 * x

    f = autovec.jit(record, fallback="eager")
    f(np.ones(3))
    f(np.full(3, 2.0))
    np.testing.assert_array_equal(table, [6.0, 0.0])
    with pytest.raises(errors.SharedStateWriteError, match="argument"):
        autovec.jit(record, fallback="error")(np.ones(3))
    assert table.flags.writeable
