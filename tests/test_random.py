"""Random draws under vmap equal the Python loop's, lane by lane, with the loop's final
generator state (autovec/interpreters/randomness.py)."""

import numpy as np
import pytest

import autovec
from autovec import errors

B = 1000
XS = np.arange(B, dtype=np.float64)


def _state(gen):
    return repr(gen.bit_generator.state if hasattr(gen, "bit_generator") else gen.get_state())


def _vs_loop(f, make, in_axes=(0, None), xs=XS):
    g_vmap, g_loop = make(), make()
    out = autovec.vmap(f, in_axes=in_axes)(xs, g_vmap)
    ref = np.stack([f(x, g_loop) for x in xs])
    assert out.dtype == ref.dtype and out.shape == ref.shape
    np.testing.assert_array_equal(out, ref)
    assert _state(g_vmap) == _state(g_loop)


DRAWS = {
    "random": lambda g: g.random(),
    "integers": lambda g: g.integers(0, 10),
    "integers_int8": lambda g: g.integers(0, 10, dtype=np.int8),
    "normal": lambda g: g.normal(1.0, 2.0, size=3),
    "standard_normal": lambda g: g.standard_normal(),
    "uniform": lambda g: g.uniform(0.0, 3.0),
    "exponential": lambda g: g.exponential(2.0, size=(2, 2)),
    "poisson": lambda g: g.poisson(4.0),
    "binomial": lambda g: g.binomial(10, 0.3),
    "choice": lambda g: g.choice(7, size=2),
    "choice_noreplace": lambda g: g.choice(7, size=3, replace=False),
    "permutation": lambda g: g.permutation(5),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_one_draw_per_example(name):
    draw = DRAWS[name]
    _vs_loop(lambda x, g: draw(g) + x, lambda: np.random.default_rng(11))


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_several_interleaved_draws(name):
    draw = DRAWS[name]
    _vs_loop(
        lambda x, g: draw(g) + g.normal() * x + g.integers(0, 3),
        lambda: np.random.default_rng(12),
    )


def test_shuffle_in_place():
    def f(x, g):
        a = np.arange(6.0)
        g.shuffle(a)
        return a + x

    _vs_loop(f, lambda: np.random.default_rng(13))


def test_batched_parameters():
    _vs_loop(lambda x, g: g.poisson(x % 7 + 1.0), lambda: np.random.default_rng(14))
    _vs_loop(lambda x, g: g.binomial(10, (x % 9 + 1) / 10), lambda: np.random.default_rng(15))
    _vs_loop(lambda x, g: g.normal(x, 1.0), lambda: np.random.default_rng(16))


def _vs_loop_closed(f, gen, reset, xs=XS):
    reset()
    out = autovec.vmap(f)(xs)
    state = _state(gen)
    reset()
    ref = np.stack([f(x) for x in xs])
    np.testing.assert_array_equal(out, ref)
    assert state == _state(gen)


RNG = np.random.default_rng(21)


def _reset_global():
    RNG.bit_generator.state = np.random.default_rng(21).bit_generator.state


def test_module_global_generator():
    _vs_loop_closed(lambda x: x + RNG.standard_normal(), RNG, _reset_global)
    _vs_loop_closed(lambda x: x + RNG.standard_normal() - RNG.random(), RNG, _reset_global)


def test_closure_generator():
    gen = np.random.default_rng(22)
    start = gen.bit_generator.state

    def reset():
        gen.bit_generator.state = start

    _vs_loop_closed(lambda x: x * gen.exponential(), gen, reset)
    _vs_loop_closed(lambda x: x * gen.exponential() + gen.poisson(2.0), gen, reset)


def test_generator_is_back_in_its_slot():
    gen = np.random.default_rng(0)

    def f(x):
        return x + gen.random()

    autovec.vmap(f)(XS[:3])
    assert type(gen) is np.random.Generator
    assert f.__closure__[0].cell_contents is gen
    assert type(RNG) is np.random.Generator
    assert getattr(np.random.normal, "__self__", None) is np.random.mtrand._rand


@pytest.mark.parametrize(
    "f",
    [
        lambda x: x + np.random.normal(),
        lambda x: x + np.random.randn(2).sum() + np.random.rand(),
        lambda x: np.random.choice(5, 3, replace=False) + x,
        lambda x: np.random.randint(0, 9, size=2) + x,
        lambda x: np.random.permutation(4) * x,
    ],
)
def test_legacy_functions(f):
    def reset():
        np.random.seed(5)

    _vs_loop_closed(f, np.random.mtrand._rand, reset)


def test_generator_created_inside_from_a_seed():
    def f(x, seed):
        return x + np.random.default_rng(seed).normal(size=2)

    seeds = np.arange(50) % 7
    out = autovec.vmap(f)(XS[:50], seeds)
    np.testing.assert_array_equal(out, np.stack([f(x, s) for x, s in zip(XS[:50], seeds)]))
    out = autovec.vmap(f, in_axes=(0, None))(XS[:50], 3)
    np.testing.assert_array_equal(out, np.stack([f(x, 3) for x in XS[:50]]))


def test_draws_and_splits():
    def draw_then_branch(x):
        z = RNG.normal()
        return z if x > 500 else -z

    def branch_then_draw(x):
        if x > 500:
            return RNG.normal()
        return -x

    _vs_loop_closed(draw_then_branch, RNG, _reset_global)
    _vs_loop_closed(branch_then_draw, RNG, _reset_global)


def test_nested_vmap():
    grid = XS.reshape(10, 100)
    for f in (lambda x: x + RNG.normal(), lambda x: x + RNG.normal() + RNG.random()):
        _reset_global()
        out = autovec.vmap(autovec.vmap(f))(grid)
        state = _state(RNG)
        _reset_global()
        ref = np.stack([np.stack([f(x) for x in row]) for row in grid])
        np.testing.assert_array_equal(out, ref)
        assert state == _state(RNG)


def test_same_and_error_modes():
    out = autovec.vmap(lambda x: x + RNG.normal(), randomness="same")(XS[:4])
    assert len(set((out - XS[:4]).tolist())) == 1
    with pytest.raises(errors.RandomnessError, match="randomness='error'"):
        autovec.vmap(lambda x: x + RNG.normal(), randomness="error")(XS[:4])
    with pytest.raises(errors.OptionError):
        autovec.vmap(lambda x: x, randomness="sometimes")


def test_jit_never_replays_draws():
    # fallback="error": a draw while tracing raises, and nothing was drawn.
    _reset_global()
    before = _state(RNG)
    strict = lambda f: autovec.jit(f, fallback="error")  # noqa: E731
    with pytest.raises(errors.RandomUnderJitError, match="jit"):
        strict(lambda x: x + RNG.normal())(1.0)
    with pytest.raises(errors.RandomUnderJitError):
        strict(autovec.vmap(lambda x: x + RNG.normal()))(XS[:4])
    with pytest.raises(errors.RandomUnderJitError):
        strict(lambda x: x + np.random.normal())(1.0)
    assert _state(RNG) == before
    # Otherwise jit runs such a function uncompiled: every call draws, as without jit.
    f = lambda x: x + RNG.normal() * RNG.integers(1, 5)  # noqa: E731
    cases = [
        (autovec.jit(f, fallback="eager"), f),
        (autovec.jit(autovec.vmap(f), fallback="eager"), lambda xs: np.stack([f(x) for x in xs])),
        (autovec.vmap(autovec.jit(f, fallback="eager")), lambda xs: np.stack([f(x) for x in xs])),
    ]
    for jitted, reference in cases:
        _reset_global()
        want = [reference(XS[:4]), reference(XS[:4])]
        end = _state(RNG)
        _reset_global()
        got = [jitted(XS[:4]), jitted(XS[:4])]
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        assert _state(RNG) == end


def test_legacy_function_imported_by_name():
    from numpy.random import standard_normal

    def f(x):
        return x + standard_normal()

    _vs_loop_closed(f, np.random.mtrand._rand, lambda: np.random.seed(6))
