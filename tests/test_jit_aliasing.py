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


# ---------------------------------------------------------------------------------- aliasing

_TRANSFORMS = {
    "vmap": lambda f, **kw: vmap(f, **kw),
    "jit_vmap": lambda f, **kw: jit(vmap(f, **kw)),
    "vmap_jit": lambda f, **kw: vmap(jit(f), **kw),
    "jit_vmap_vmap": lambda f, **kw: jit(vmap(vmap(f), **kw)),
}

_FRESH_CASES = {
    "identity": lambda x: x,
    "copy": lambda x: x.copy(),
    "np.copy": lambda x: np.copy(x),
    "astype to the same dtype": lambda x: x.astype(x.dtype),
    "flatten": lambda x: x.flatten(),
    "a view": lambda x: x[::-1],
    "an input twice": lambda x: (x, x),
    "an input and its copy": lambda x: (x, x.copy()),
    "a temporary twice": lambda x: (lambda y: (y, y, y.T))(x * 2.0),
    "a temporary and its copy": lambda x: (lambda y: (y, y.copy()))(x * 2.0),
}


@pytest.mark.parametrize("transform", sorted(_TRANSFORMS))
@pytest.mark.parametrize("name", sorted(_FRESH_CASES))
@pytest.mark.parametrize("in_axes", [0, 1])
def test_vmap_outputs_are_fresh_under_every_composition(transform, name, in_axes):
    # The loop's np.stack gives fresh, writeable arrays: no output shares memory with the
    # input or with another output, whether vmap runs eagerly or staged inside jit.
    f = _FRESH_CASES[name]
    xs = np.arange(24.0).reshape(2, 3, 4) if transform == "jit_vmap_vmap" else np.ones((3, 4))
    g = _TRANSFORMS[transform](f, in_axes=in_axes)
    outs = g(xs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    for k, o in enumerate(outs):
        assert not np.shares_memory(o, xs), f"output {k} shares memory with the input"
        assert o.flags.writeable
        for j in range(k):
            assert not np.shares_memory(o, outs[j]), f"outputs {j} and {k} share memory"


def test_vmap_of_copy_is_a_copy_that_jit_drops_only_where_nobody_can_tell():
    x = np.ones((2, 3))
    assert "copy" in _eqn_names(jit(vmap(lambda x: x.copy())), x)
    # Under vmap a copy lays each example out as the loop's copy of it (Fortran-like examples
    # of a Fortran batch become Fortran arrays), which ravel(order='A') can tell: it stays.
    assert "copy" in _eqn_names(jit(vmap(lambda x: np.copy(x) + 1.0)), x)
    assert "copy" not in _eqn_names(jit(lambda x: np.copy(x) + 1.0), x)
    assert "copy" not in _eqn_names(jit(vmap(lambda x: x * 2.0)), x)
    assert "copy" not in _eqn_names(jit(vmap(lambda x: x * 2.0, out_axes=1)), x)
    # (y, y): one of the two outputs may be y itself, the other is a copy.
    assert _eqn_names(jit(vmap(lambda x: (lambda y: (y, y))(x * 2.0))), x) == [
        "multiply",
        "copy",
    ]


def _eqn_names(g, *args):
    return [e.prim.name for e in g.lower(*args).program.eqns]


_G = np.arange(3.0)


def test_closed_over_arrays_are_captured_at_trace_time_whatever_the_expression():
    g = _G.copy()
    direct = jit(lambda x: x + g)
    folded = jit(lambda x: x + g * 2)
    x = np.zeros(3)
    np.testing.assert_array_equal(direct(x), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(folded(x), [0.0, 2.0, 4.0])
    g[:] = 100.0  # later in-place changes are seen by neither (as in JAX)
    np.testing.assert_array_equal(direct(x), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(folded(x), [0.0, 2.0, 4.0])


def test_the_cache_does_not_keep_arrays_read_at_trace_time_alive():
    import gc
    import weakref

    holder = {"table": np.arange(1000.0)}
    f = jit(lambda x: x + holder["table"])
    f(np.ones(1000))
    f(np.ones(1000, np.float32))
    ref = weakref.ref(holder["table"])
    holder["table"] = None  # the function no longer reaches it: only the cache could
    gc.collect()
    assert ref() is None
    np.testing.assert_array_equal(f(np.zeros(1000)), np.arange(1000.0))


def test_constants_come_back_fresh_and_writeable_on_each_call():
    f = jit(lambda x: (x, np.array(2.0), np.ones(3), anp.asarray(_G)))
    x = np.ones(1)
    first = f(x)
    for k, o in enumerate(first[1:], 1):
        assert type(o) is np.ndarray and o.flags.writeable, k
        o[...] = -1.0
    second = f(x)
    assert second[1].shape == () and second[1] == 2.0
    np.testing.assert_array_equal(second[2], np.ones(3))
    np.testing.assert_array_equal(second[3], _G)
    np.testing.assert_array_equal(_G, np.arange(3.0))


# ---------------------------------------------------------------------------------- memory


def _peak_bytes(fn, x):
    import tracemalloc

    from autovec.interpreters.fused import wait_for_kernels

    fn(x)  # traced and compiled outside the measurement
    # tracemalloc counts every thread: let kernels an earlier test started compiling in the
    # background (the numba backend) finish first.
    wait_for_kernels()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn(x)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def _where_chain(x):
    for _ in range(20):
        x = np.where(x > 0.5, x * 0.9, x + 0.1)
    return x


def test_intermediates_are_freed_after_their_last_use():
    x = np.linspace(0.0, 1.0, 100_000)
    eager, staged = _peak_bytes(_where_chain, x), _peak_bytes(jit(_where_chain), x)
    assert staged <= 1.1 * eager, (staged, eager)
    source = jit(_where_chain).lower(x).as_python()
    assert source.count("del ") >= 19


def test_jit_of_vmap_of_a_recurrence_holds_memory_linear_in_its_length():
    def one(x):
        y = x.copy()
        for i in range(1, x.shape[0]):
            y[i] = 0.5 * y[i - 1] + x[i]
        return y

    xs = np.linspace(0.0, 1.0, 40 * 200).reshape(40, 200)
    peak = _peak_bytes(jit(vmap(one)), xs)
    assert peak < 6 * xs.nbytes, peak / xs.nbytes  # one step's array, not all 200 of them
    np.testing.assert_allclose(jit(vmap(one))(xs), np.stack([one(x) for x in xs]))


def test_a_buffer_written_by_out_keeps_its_name():
    src = jit(lambda x: np.tanh(np.sin(x) + 1.0)).lower(np.ones(3)).as_python()
    assert "v1 = f1_add(v1, 1.0, out=v1)" in src and "v1 = f2_tanh(v1, out=v1)" in src


# ----------------------------------------------------------------------------------- cache


def test_the_cache_keeps_the_most_recently_used_signatures():
    f = jit(lambda x: x + 1, cache_size=2)
    a, b, c = np.ones(1), np.ones(2), np.ones(3)
    f(a), f(b), f(a), f(c)  # b is the least recently used when c arrives
    assert f._cache_size() == 2 and f.trace_count == 3
    f(a)
    assert f.trace_count == 3
    f(b)
    assert f.trace_count == 4 and f._cache_size() == 2


def test_cache_size_is_checked_and_clear_caches_empties_every_cache():
    import autovec
    from autovec.interpreters import jit as jit_module

    with pytest.raises(ValueError, match="cache_size"):
        jit(lambda x: x, cache_size=0)
    f = jit(lambda x: x * 2)
    assert f.cache_size == jit_module.DEFAULT_CACHE_SIZE
    for n in range(1, 200):
        f(np.ones(n))
    assert f._cache_size() == jit_module.DEFAULT_CACHE_SIZE
    g = jit(static_argnums=1, cache_size=3)(lambda x, n: x * n)
    g(np.ones(2), 1), g(np.ones(2), 2)
    autovec.clear_caches()
    assert f._cache_size() == g._cache_size() == 0


def test_vmap_of_jit_keeps_a_bounded_number_of_batched_programs():
    from autovec.interpreters import jit as jit_module

    f = jit(lambda x: x * 2.0)
    for n in range(1, jit_module.BATCHED_CACHE_SIZE + 10):
        vmap(f)(np.ones((n, 2)))
    (entry,) = f._cache.values()
    batched = [k for k in entry.program._cache if k[0] == "batched"]
    assert len(batched) == jit_module.BATCHED_CACHE_SIZE


# ---------------------------------------------------------------------------------- layout

_LAYOUT_CASES = {
    "ravel A": lambda x: x.ravel(order="A"),
    "ravel K": lambda x: np.ravel(x, order="K"),
    "reshape A": lambda x: x.reshape((x.shape[1], x.shape[0]), order="A"),
    "flatten A": lambda x: x.flatten(order="A"),
    "flatten K": lambda x: x.flatten(order="K"),
    "transpose, ravel K": lambda x: x.T.ravel(order="K"),
    "reversed, ravel K": lambda x: x[::-1].ravel(order="K"),
    "temporary, ravel A": lambda x: (x * 2.0).ravel(order="A"),
    "C copy, ravel K": lambda x: x.copy().ravel(order="K"),
    "F copy, ravel K": lambda x: np.copy(x, order="F").ravel(order="K"),
    "K copy, ravel A": lambda x: np.copy(x).ravel(order="A"),
}


def _layouts(shape=(3, 4)):
    c = np.arange(float(np.prod(shape))).reshape(shape)
    return {"C": c, "F": np.asfortranarray(c), "strided": np.arange(24.0).reshape(3, 8)[:, ::2]}


@pytest.mark.parametrize("name", sorted(_LAYOUT_CASES))
def test_layout_dependent_operations_follow_each_inputs_layout_under_jit(name):
    f = _LAYOUT_CASES[name]
    g = jit(f)
    for layout, x in _layouts().items():  # one trace serves every layout
        want, got = f(x), g(x)
        np.testing.assert_array_equal(got, want, err_msg=f"{layout} input")
        assert got.flags.c_contiguous == want.flags.c_contiguous, layout
        assert got.flags.f_contiguous == want.flags.f_contiguous, layout
    assert g._cache_size() == 1


@pytest.mark.parametrize("name", sorted(_LAYOUT_CASES))
def test_layout_dependent_operations_under_vmap_equal_the_loop(name):
    f = _LAYOUT_CASES[name]
    base = np.arange(2 * 3 * 4.0).reshape(2, 3, 4)
    batches = {  # each example is a C array, then a Fortran one
        "C, in_axes=0": (base, 0),
        "F, in_axes=-1": (np.asfortranarray(np.moveaxis(base, 0, -1)), -1),
    }
    for label, (xs, ax) in batches.items():
        want = np.stack([f(x) for x in np.moveaxis(xs, ax, 0)])
        for transform in (vmap, lambda h, **kw: jit(vmap(h, **kw))):
            got = transform(f, in_axes=ax)(xs)
            np.testing.assert_array_equal(got, want, err_msg=label)


def test_copy_orders_are_numpys():
    x = np.asfortranarray(np.ones((3, 4)))
    for g in (jit(lambda x: x.copy()), jit(lambda x: x.copy(order="C"))):
        assert g(x).flags.c_contiguous
    for g in (jit(lambda x: np.copy(x)), jit(lambda x: x.copy(order="F"))):
        assert g(x).flags.f_contiguous and not g(x).flags.c_contiguous


def test_ravel_shares_memory_exactly_where_numpys_does():
    base = np.arange(24.0)
    for x in (
        base,
        base[::2],
        base.reshape(4, 6),
        base.reshape(4, 6)[:, ::2],
        base.reshape(4, 6).T,
    ):
        for order in "CAK":
            g = jit(lambda x, order=order: x.ravel(order=order))
            assert np.shares_memory(g(x), x) == np.shares_memory(np.ravel(x, order), x)
            np.testing.assert_array_equal(g(x), np.ravel(x, order))


# -------------------------------------------------------------------- writing in place


def _scatter_lines(g, *args):
    import re

    lines = [ln.strip() for ln in g.lower(*args).as_python().splitlines() if "_scatter(" in ln]
    return [re.match(r"(\w+) = \w+\((\w+)", ln).groups() for ln in lines]


def test_an_update_of_a_dead_temporary_is_written_in_place():
    def one(x):
        y = x.copy()
        for i in range(1, x.shape[0]):
            y[i] = 0.5 * y[i - 1] + x[i]  # y[i - 1] is a view of y, dead before the write
        return y

    xs = np.linspace(0.0, 1.0, 4 * 6).reshape(4, 6)
    g = jit(vmap(one))
    pairs = _scatter_lines(g, xs)
    assert len(pairs) == 5 and all(out == operand for out, operand in pairs)
    np.testing.assert_array_equal(g(xs), np.stack([one(x) for x in xs]))
    np.testing.assert_array_equal(xs, np.linspace(0.0, 1.0, 4 * 6).reshape(4, 6))


def test_no_update_in_place_of_a_value_still_read_or_returned():
    def later_read(x):
        y = x * 2.0
        t = y[1]  # a NumPy scalar (a copy), read after the write below
        u = y[::-1]  # a view of y (it sees the write): recomputed after it
        y[1] = 5.0
        return y, t * 3.0, u * 1.0

    def an_input(x):
        x[0] = 9.0
        return x

    x = np.arange(4.0)
    for f in (later_read, an_input):
        assert all(out != operand for out, operand in _scatter_lines(jit(f), x)), f.__name__
    y, t3, u = jit(later_read)(x)
    np.testing.assert_array_equal(y, [0.0, 5.0, 4.0, 6.0])
    assert t3 == 6.0
    np.testing.assert_array_equal(u, [6.0, 4.0, 5.0, 0.0])
    # The program never updates its input's buffer; the call copies the final value into
    # the caller's array afterwards and returns that array, as the function does eagerly.
    assert jit(an_input)(x) is x
    np.testing.assert_array_equal(x, [9.0, 1.0, 2.0, 3.0])


def test_a_temporary_whose_views_are_dead_is_reused():
    def f(x):
        a = np.exp(x)
        s = a[::-1].sum()  # a view of a, dead after the sum
        return np.sin(a) + s

    x = np.linspace(0.0, 1.0, 5)
    assert "v1 = f3_sin(v1, out=v1)" in jit(f).lower(x).as_python()
    np.testing.assert_array_equal(jit(f)(x), f(x))


# ------------------------------------------------------------- the checker checks aliasing


def test_check_vmap_compares_writeability_byte_order_and_aliasing():
    from autovec.testing import _assert_same

    x = np.arange(6.0).reshape(2, 3)
    want = x.copy()
    _assert_same(x.copy(), want, 0, 0, "fresh", (x,))
    read_only = x.copy()
    read_only.flags.writeable = False
    cases = {
        "shares memory with argument 0": ((x[:, :],), (want,), (x,)),
        "shares memory with output leaf 0": ((want.copy(),) * 2, (want, want), ()),
        "read-only": ((read_only,), (want,), ()),
        "byte order": ((x.astype(">f8"),), (want,), ()),
    }
    for message, (got, expected, inputs) in cases.items():
        with pytest.raises(AssertionError, match=message):
            _assert_same(got, expected, 0, 0, "case", inputs)
