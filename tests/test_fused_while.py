"""jit's numba backend runs a batched ``while`` of scalars as one kernel
(autovec/interpreters/fused_while.py): the loop's results bit for bit, NumPy's warnings, and
the NumPy path where the loop holds anything else."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autovec
from autovec.interpreters import control, fused
from autovec.interpreters.fused_while import libm_matches, while_kernel_ok

pytestmark = pytest.mark.skipif(not fused.NUMBA_AVAILABLE, reason="numba is not installed")


@pytest.fixture(autouse=True)
def _numpy_default_errstate():
    with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
        yield


def count_to(n):
    def body(c):
        i, acc = c
        return i + 1, acc + np.sin(i * 0.001) + np.cos(acc)

    return autovec.while_loop(lambda c: c[0] < n, body, (0, 0.0))[1]


def newton(a):
    def body(c):
        x, k = c
        return 0.5 * (x + a / x), k + 1

    x, k = autovec.while_loop(lambda c: abs(c[0] * c[0] - a) > 1e-9 * a, body, (a, 0))
    return x, k


SCALE = 3.0  # closed over: a constant of the programs


def clipped_walk(x, limit):
    def body(c):
        v, steps = c
        v = np.where(v > 0, v * SCALE - 1.0, -v + 0.25)
        return np.minimum(v, limit), steps + np.int32(1)

    return autovec.while_loop(lambda c: (c[0] < limit) & (c[1] < 50), body, (x, np.int32(0)))


def class_walk(x):
    """sign, reciprocal and the tests of a float's class in a kernel's loop, NaN and
    infinite lanes stopping at once (their quiet compare raises no flag)."""

    def body(v):
        return v * 1.5 + np.sign(v) * np.isfinite(v) + np.reciprocal(np.abs(v) + 1.0)

    return autovec.while_loop(lambda v: (np.abs(v) < 50.0) & ~np.isnan(v), body, x)


def loop_of(fun, *columns):
    outs = [fun(*row) for row in zip(*columns)]
    if isinstance(outs[0], tuple):
        return tuple(np.stack(o) for o in zip(*outs))
    return np.stack(outs)


def same_bits(got, want):
    for g, w in zip(
        got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)
    ):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape
        assert g.tobytes() == w.tobytes()


def lane_work():
    return control.LANE_COUNTS["while_body"]


CASES = [
    (count_to, (np.arange(300),), (0,)),
    (newton, (np.random.default_rng(0).uniform(1.0, 1e6, 700),), (0,)),
    (
        clipped_walk,
        (np.random.default_rng(1).uniform(-1, 1, 500), np.float64(7.5)),
        (0, None),
    ),
    (clipped_walk, (np.linspace(-1, 1, 40), np.linspace(2, 9, 40)), (0, 0)),
    (class_walk, (np.array([-1.5, 0.5, np.nan, -0.0, 0.0, np.inf, -np.inf, 3.0] * 5),), (0,)),
]


@pytest.mark.parametrize(
    "fun, args, in_axes", CASES, ids=["count", "newton", "walk", "walk2", "classes"]
)
def test_kernel_gives_the_loop_bits(fun, args, in_axes):
    columns = [a if ax == 0 else [a] * len(args[0]) for a, ax in zip(args, in_axes)]
    want = loop_of(fun, *columns)
    jitted = autovec.jit(autovec.vmap(fun, in_axes=in_axes), backend="numba")
    before = lane_work()
    got = jitted(*args)
    # The kernel ran the loop: no lane went through the NumPy path's iterations.
    assert lane_work() == before
    same_bits(got, want)
    same_bits(jitted(*args), want)  # and again, from the cache


def test_auto_backend_first_call_numpy_then_kernel():
    ns = np.arange(200)
    jitted = autovec.jit(autovec.vmap(count_to))
    want = loop_of(count_to, ns)
    same_bits(jitted(ns), want)  # NumPy program; the kernel compiles on the next call
    same_bits(jitted(ns), want)
    fused.wait_for_kernels()
    before = lane_work()
    same_bits(jitted(ns), want)
    assert lane_work() == before


def test_many_lanes_on_threads():
    # Enough lanes for several threads (where numba has them): each lane's loop is its own.
    ns = np.arange(3000) % 97
    jitted = autovec.jit(autovec.vmap(count_to), backend="numba")
    same_bits(jitted(ns), loop_of(count_to, ns))


def test_warning_of_one_lane_is_numpy_s():
    # One lane overflows in its body: the call runs again as NumPy code, which warns as the
    # NumPy backend does, and gives its values.
    def grow(x):
        return autovec.while_loop(lambda v: v < 1e300, lambda v: v * 1e200, x)

    xs = np.array([1.0, 2.0, 1e150, 3.0])
    results = {}
    for backend in ("numpy", "numba"):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            out = autovec.jit(autovec.vmap(grow), backend=backend)(xs)
        results[backend] = (out, sorted((w.category.__name__, str(w.message)) for w in seen))
    same_bits(results["numba"][0], results["numpy"][0])
    assert results["numba"][1] == results["numpy"][1]
    assert any("overflow" in m for _, m in results["numpy"][1])


def test_loops_the_kernel_does_not_take_still_run():
    # A vector carry, a remainder (not a kernel operation), a nested loop: the NumPy path.
    def vector(x):
        return autovec.while_loop(lambda v: v.sum() < 10.0, lambda v: v * 2.0 + 0.5, x)

    def collatz(n):
        def body(c):
            m, k = c
            return np.where(m % 2 == 0, m // 2, 3 * m + 1), k + 1

        return autovec.while_loop(lambda c: c[0] != 1, body, (n, 0))[1]

    xs = np.random.default_rng(3).uniform(0.1, 1.0, (30, 3))
    ns = np.arange(1, 60)
    for fun, arg in ((vector, xs), (collatz, ns)):
        jitted = autovec.jit(autovec.vmap(fun), backend="numba")
        program = autovec.make_ir(autovec.vmap(fun))(arg)
        assert not any(while_kernel_ok(e) for e in program.eqns)
        same_bits(jitted(arg), loop_of(fun, arg))


def test_one_loop_for_the_batch_is_not_a_kernel():
    # A predicate every lane shares runs one loop (lanes=None): nothing for the kernel.
    def shared(x, n):
        return autovec.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] * 1.5), (0, x))[1]

    xs = np.linspace(0, 1, 16)
    program = autovec.make_ir(autovec.vmap(shared, in_axes=(0, None)))(xs, 5)
    assert not any(while_kernel_ok(e) for e in program.eqns)
    got = autovec.jit(autovec.vmap(shared, in_axes=(0, None)), backend="numba")(xs, 5)
    same_bits(got, np.stack([shared(x, 5) for x in xs]))


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_libm_check_matches_math(name):
    # The check compares NumPy with the C library (math calls it); where it holds, the
    # kernel's calls give NumPy's bits on fresh values too.
    xs = np.random.default_rng(7).uniform(-1e4, 1e4, 2000)
    agree = all(getattr(np, name)(x) == getattr(math, name)(x) for x in xs)
    if libm_matches(name):
        assert agree
    fun = getattr(np, name)

    def step(x):
        return autovec.while_loop(lambda c: c[1] < 3, lambda c: (fun(c[0]) * 7.0, c[1] + 1), (x, 0))

    got = autovec.jit(autovec.vmap(step), backend="numba")(xs)
    same_bits(got, loop_of(step, xs))


def _bounded(body, steps=4):
    """A loop of ``steps`` iterations of ``body`` on a float carry (a counter beside it)."""
    return lambda x: autovec.while_loop(
        lambda c: c[1] < steps, lambda c: (body(c[0]), c[1] + 1), (x, 0)
    )[0]


EDGES = {
    "nan predicate": (
        lambda x: autovec.while_loop(lambda v: v < 10.0, lambda v: v + 1.0, x),
        np.array([1.0, np.nan, 3.0]),
    ),
    "float32": (
        lambda x: autovec.while_loop(
            lambda v: v < np.float32(10), lambda v: v * np.float32(1.1) + np.float32(0.1), x
        ),
        np.linspace(0, 5, 300, dtype=np.float32),
    ),
    "int8 wraps": (
        lambda x: autovec.while_loop(lambda v: v < 100, lambda v: v + np.int8(7), x),
        np.array([1, 2, 5], dtype=np.int8),
    ),
    "no lanes": (
        lambda x: autovec.while_loop(lambda v: v < 10.0, lambda v: v + 1.0, x),
        np.zeros(0),
    ),
    "divide by zero": (_bounded(lambda v: 1.0 / (v - 2.0) + v), np.array([0.5, 2.0, 3.0])),
    "sqrt of negative": (_bounded(lambda v: np.sqrt(v) - 1.0), np.array([4.0, 9.0, 0.5])),
    "signed zeros": (_bounded(lambda v: v * -1.0, 3), np.array([0.0, -0.0, 1.0])),
    "NaN in maximum": (
        _bounded(lambda v: np.maximum(v, 1.0) * np.minimum(v + 3.0, 2.5)),
        np.array([-1.0, 0.5, np.nan, 2.0]),
    ),
    "sign and a float's class": (
        _bounded(
            lambda v: (
                np.sign(v) * 0.5
                + np.where(np.isnan(v) | np.isinf(v), 0.0, v) * np.signbit(v)
                + np.reciprocal(np.abs(v) + 1.0) * np.isfinite(v)
            )
        ),
        np.array([-1.5, 0.5, np.nan, -0.0, 0.0, np.inf, -np.inf, 3.0]),
    ),
}


@pytest.mark.parametrize("case", list(EDGES))
def test_edges_as_numpy_code(case):
    # Values, dtypes and warnings of the kernel's call are the NumPy backend's.
    fun, xs = EDGES[case]
    seen = {}
    for backend in ("numpy", "numba"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = autovec.jit(autovec.vmap(fun), backend=backend)(xs)
        seen[backend] = (out, sorted(str(w.message) for w in caught))
    same_bits(seen["numba"][0], seen["numpy"][0])
    assert seen["numba"][1] == seen["numpy"][1]
    if len(xs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            same_bits(seen["numba"][0], loop_of(fun, xs))
