"""The walk over what a vmapped function reaches (autovec/interpreters/reach.py) is cached
per function; anything rebound after the first call is still seen: a generator put in a
global or a closure cell draws as the loop's, an array put there is never written."""

import functools
import gc
import weakref

import numpy as np
import pytest

import autovec
from autovec import errors
from autovec.interpreters import reach as reach_mod

XS = np.arange(6.0)

GEN = None  # rebound by the tests below
TABLE = np.zeros(3)


def _draws_from_global(x):
    return x + (GEN.normal() if isinstance(GEN, np.random.Generator) else GEN)


def _writes_global_table(x):
    TABLE[0] = 1.0
    return x


def _loop_and_state(f, reset):
    reset()
    out = autovec.vmap(f)(XS)
    state = repr(GEN.bit_generator.state)
    reset()
    ref = np.stack([f(x) for x in XS])
    return out, ref, state, repr(GEN.bit_generator.state)


def test_a_generator_bound_to_a_global_after_the_first_call_draws_as_the_loop():
    global GEN
    GEN = 2.0  # first call: a float, nothing to hook
    np.testing.assert_array_equal(autovec.vmap(_draws_from_global)(XS), XS + 2.0)
    for seed in (1, 2):  # then a generator, then another one
        GEN = np.random.default_rng(seed)
        start = GEN.bit_generator.state

        def reset(start=start):
            GEN.bit_generator.state = start

        out, ref, state, ref_state = _loop_and_state(_draws_from_global, reset)
        np.testing.assert_array_equal(out, ref)
        assert state == ref_state
        assert len(set((out - XS).tolist())) == len(XS)  # one draw per example


def test_a_generator_put_in_a_closure_cell_after_the_first_call_is_hooked():
    gen = None

    def f(x):
        return x + (gen.random() if gen is not None else 0.0)

    autovec.vmap(f)(XS)
    gen = np.random.default_rng(3)
    out = autovec.vmap(f)(XS)
    ref_gen = np.random.default_rng(3)
    np.testing.assert_array_equal(out, np.stack([x + ref_gen.random() for x in XS]))
    assert repr(gen.bit_generator.state) == repr(ref_gen.bit_generator.state)


def test_an_array_bound_to_a_global_after_the_first_call_is_never_written():
    global TABLE
    TABLE = np.zeros(3)
    vf = autovec.vmap(_writes_global_table)
    with pytest.raises(errors.SharedStateWriteError):
        vf(XS)
    TABLE = np.zeros(3)  # a new array in the same global
    with pytest.raises(errors.SharedStateWriteError):
        vf(XS)
    assert (TABLE == 0).all() and TABLE.flags.writeable


def test_a_helper_rebound_to_another_function_is_walked():
    holder = {}

    def quiet(x):
        return x

    def f(x):
        return helper(x)  # noqa: F821 -- a global of this test module, bound below

    globals()["helper"] = quiet
    try:
        autovec.vmap(f)(XS)
        holder["w"] = np.zeros(2)

        def writes(x, w=holder["w"]):
            w[0] = 1.0
            return x

        globals()["helper"] = writes
        with pytest.raises(errors.SharedStateWriteError):
            autovec.vmap(f)(XS)
        assert (holder["w"] == 0).all()
    finally:
        globals().pop("helper", None)


def test_a_list_item_replaced_after_the_first_call_is_protected():
    params = [np.zeros(2)]

    def f(x):
        params[0][0] = 1.0
        return x

    with pytest.raises(errors.SharedStateWriteError):
        autovec.vmap(f)(XS)
    params[0] = np.zeros(2)  # same list, new array
    with pytest.raises(errors.SharedStateWriteError):
        autovec.vmap(f)(XS)
    assert (params[0] == 0).all()


def test_the_cache_keeps_no_array_or_function_alive():
    def make():
        big = np.zeros(10)

        def f(x):
            return x + big[0] + f.__name__.count("g")  # f reaches itself through its cell

        return f, weakref.ref(big)

    f, ref = make()
    np.testing.assert_array_equal(autovec.vmap(f)(XS), XS)
    f_ref = weakref.ref(f)
    before = len(reach_mod._CACHE)
    del f
    gc.collect()
    assert ref() is None and f_ref() is None
    assert len(reach_mod._CACHE) < before


def test_partial_and_bound_method_state_is_seen():
    class Model:
        def __init__(self):
            self.rng = np.random.default_rng(4)

        def __call__(self, x):
            return x + self.rng.random()

        def step(self, x):
            return x * self.rng.random()

    m = Model()
    for f in (m, m.step, functools.partial(Model.step, m)):
        m.rng = np.random.default_rng(4)
        out = autovec.vmap(f)(XS)
        m.rng = np.random.default_rng(4)
        np.testing.assert_array_equal(out, np.stack([f(x) for x in XS]))
    m.rng = np.random.default_rng(9)  # rebound after the calls: still the loop's draws
    out = autovec.vmap(m.step)(XS)
    m.rng = np.random.default_rng(9)
    np.testing.assert_array_equal(out, np.stack([m.step(x) for x in XS]))
