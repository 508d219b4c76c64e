"""jit: caching and retracing, static arguments, the printed program, the passes, the
generated source, composition with vmap in every order, and jit's errors."""

import dataclasses
import traceback
from typing import NamedTuple

import numpy as np
import pytest

import autovec
import autovec.numpy as anp
from autovec import errors, jit, make_ir, vmap
from autovec.interpreters.optimize import (
    eliminate_common_subexpressions,
    eliminate_dead_code,
    fold_constants,
    optimize,
    remove_noops,
)
from autovec.ir import check_program
from autovec.testing import check_vmap

rng = np.random.default_rng(0)


def counted(fun):
    """Wrap ``fun`` so that each trace (each run of the Python body) is counted."""
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(1)
        return fun(*args, **kwargs)

    wrapper.calls = calls
    return wrapper


# ------------------------------------------------------------------------------- caching


def test_cached_call_does_not_retrace():
    f = counted(lambda x: x * x + 1)
    g = jit(f)
    x = np.arange(8.0)
    for _ in range(5):
        np.testing.assert_array_equal(g(x), x * x + 1)
    assert len(f.calls) == 1
    assert g._cache_size() == 1


def test_new_shape_dtype_or_structure_retraces():
    f = counted(lambda x: x * 2)
    g = jit(f)
    g(np.ones(3))
    g(np.ones(3))
    g(np.ones(4))  # shape
    g(np.ones(4, np.float32))  # dtype
    assert g(np.ones(4, np.float32)).dtype == np.float32
    assert len(f.calls) == 3
    h = counted(lambda t: t[0] + t[1])
    gh = jit(h)
    gh((np.ones(2), np.ones(2)))
    gh([np.ones(2), np.ones(2)])  # a list is another structure
    assert len(h.calls) == 2


def test_python_scalars_are_weakly_typed_and_keyed_by_type():
    f = counted(lambda x, s: x * s)
    g = jit(f)
    x32 = np.ones(3, np.float32)
    assert g(x32, 2.0).dtype == np.float32  # NEP 50: the Python float is weak
    assert g(x32, 3.0).dtype == np.float32
    np.testing.assert_array_equal(g(x32, 3.0), x32 * 3.0)
    assert len(f.calls) == 1  # a new value of the same Python type reuses the trace
    assert g(x32, 2).dtype == np.float32
    assert len(f.calls) == 2  # int is another type


def test_results_equal_eager_exactly():
    def f(x, y):
        return np.tanh(x @ y).sum(axis=0) / (1 + np.abs(x).max())

    x, y = rng.normal(size=(5, 4)), rng.normal(size=(4, 3))
    got, want = jit(f)(x, y), f(x, y)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_pytree_inputs_and_outputs():
    @dataclasses.dataclass
    class Params:
        w: np.ndarray
        b: np.ndarray

    class Out(NamedTuple):
        y: np.ndarray
        norm: np.ndarray

    def f(p, x):
        y = x @ p.w + p.b
        return {"out": Out(y, np.sqrt((y * y).sum())), "none": None}

    p = Params(rng.normal(size=(3, 2)), rng.normal(size=2))
    x = rng.normal(size=3)
    got = jit(f)(p, x)
    want = f(p, x)
    assert isinstance(got["out"], Out) and got["none"] is None
    np.testing.assert_allclose(got["out"].y, want["out"].y)
    np.testing.assert_allclose(got["out"].norm, want["out"].norm)


def test_keyword_arguments():
    g = jit(lambda x, scale=1.0: x * scale)
    np.testing.assert_array_equal(g(np.ones(2), scale=3.0), [3.0, 3.0])
    np.testing.assert_array_equal(g(x=np.ones(2)), [1.0, 1.0])


# ------------------------------------------------------------------------ static arguments


def test_static_argnums_allow_python_control_flow_and_key_the_cache():
    def f(x, n, mode):
        for _ in range(n):
            x = x * 2 if mode == "double" else x + 1
        return x

    calls = []
    g = jit(lambda x, n, mode: (calls.append(1), f(x, n, mode))[1], static_argnums=(1, 2))
    x = np.ones(3)
    np.testing.assert_array_equal(g(x, 3, "double"), f(x, 3, "double"))
    np.testing.assert_array_equal(g(x, 3, "double"), f(x, 3, "double"))
    np.testing.assert_array_equal(g(x, 2, "add"), f(x, 2, "add"))
    assert len(calls) == 2


def test_static_argnames_by_name_or_position():
    def f(x, n):
        return x**n

    g = jit(f, static_argnames="n")
    np.testing.assert_array_equal(g(np.arange(3.0), n=3), np.arange(3.0) ** 3)
    np.testing.assert_array_equal(g(np.arange(3.0), 2), np.arange(3.0) ** 2)  # by position


def test_unhashable_static_argument_is_a_clear_error():
    g = jit(lambda x, shape: x.reshape(shape), static_argnums=1)
    with pytest.raises(errors.UnsupportedOperationError, match="hashable"):
        g(np.ones(4), [2, 2])
    np.testing.assert_array_equal(g(np.ones(4), (2, 2)), np.ones((2, 2)))


def test_non_array_argument_is_a_clear_error():
    with pytest.raises(errors.UnsupportedOperationError, match="static_argnums"):
        jit(lambda x, s: x)(np.ones(2), "hello")


# ----------------------------------------------------------------------- tracing errors


def test_python_if_on_traced_value_names_value_and_suggests_fixes():
    def f(x, threshold):
        if x.sum() > threshold:
            return x
        return -x

    with pytest.raises(errors.TracerBoolConversionError) as info:
        jit(f, fallback="error")(np.ones(3), 1.0)
    msg = str(info.value)
    assert "static_argnums" in msg and "where" in msg
    assert "jit" in msg
    # By default jit runs f uncompiled for that signature, and the warning carries the advice.
    jf = jit(f)
    with pytest.warns(errors.JitFallbackWarning, match="static_argnums") as caught:
        np.testing.assert_array_equal(jf(np.ones(3), 5.0), -np.ones(3))
    assert f"{__file__}:{f.__code__.co_firstlineno + 1}" in str(caught[0].message)
    np.testing.assert_array_equal(jf(np.ones(3), 1.0), np.ones(3))  # no trace: run as f
    assert jf.trace_count == 1


def test_error_names_the_argument():
    with pytest.raises(errors.ConcretizationTypeError, match="`n`"):
        jit(lambda x, n: x * float(n), fallback="error")(np.ones(2), np.float64(3.0))


def test_escaped_tracer_raises_when_used():
    leaked = []

    def f(x):
        leaked.append(x)
        return x + 1

    jit(f)(np.ones(2))
    with pytest.raises(errors.UnexpectedTracerError, match="escaped"):
        anp.sin(leaked[0])
    with pytest.raises(errors.UnexpectedTracerError):
        jit(lambda y: y + leaked[0])(np.ones(2))


# ---------------------------------------------------------------------- printed programs


def test_make_ir_prints_like_make_jaxpr():
    def f(a, b):
        return np.sin(a) @ b

    text = str(make_ir(f)(np.ones((4, 5)), np.ones(5)))
    assert text == (
        "{ lambda a:f64[4,5] b:f64[5] .\n"
        "    c:f64[4,5] = sin a\n"
        "    d:f64[4] = dot_general[dimension_numbers=(((1,), (0,)), ((), ()))] c b\n"
        "  in (d,) }"
    )


def test_printer_shows_constants_literals_and_several_outputs():
    w = np.arange(3.0)

    def f(x):
        return x * w + 2.5, (x > 0).astype(np.int32)

    text = str(make_ir(f)(np.ones(3, np.float32)))
    assert text == (
        "{ lambda a:f64[3]; b:f32[3] .\n"
        "    c:f64[3] = multiply b a\n"
        "    d:f64[3] = add c 2.5\n"
        "    e:bool[3] = greater b 0\n"
        "    f:i32[3] = convert_element_type[dtype=i32] e\n"
        "  in (d, f) }"
    )


def test_lower_shows_optimised_program_and_generated_source():
    def f(x):
        y = x + 1
        unused = np.exp(x)  # noqa: F841 - dead code the pass removes
        return (x + 1) * y  # x + 1 twice: CSE keeps one

    lowered = jit(f).lower(np.ones(3))
    assert lowered.as_text() == (
        "{ lambda a:f64[3] .\n    b:f64[3] = add a 1\n    c:f64[3] = multiply b b\n  in (c,) }"
    )
    src = lowered.as_python()
    assert src.startswith("def f(")
    assert "exp" not in src and src.count("add") == 1
    assert "return" in src


# ------------------------------------------------------------------------------- passes


def _program(f, *args):
    return make_ir(f)(*args)


def test_dead_code_elimination():
    p = _program(lambda x: (np.exp(x), x + 1)[1], np.ones(2))
    assert [e.prim.name for e in p.eqns] == ["exp", "add"]
    q = eliminate_dead_code(p)
    assert [e.prim.name for e in q.eqns] == ["add"]
    check_program(q)


def test_common_subexpression_elimination():
    p = _program(lambda x: np.sin(x) + np.sin(x), np.ones(2))
    assert [e.prim.name for e in p.eqns] == ["sin", "sin", "add"]
    q = eliminate_dead_code(eliminate_common_subexpressions(p))
    assert [e.prim.name for e in q.eqns] == ["sin", "add"]
    check_program(q)
    x = rng.normal(size=2)
    np.testing.assert_array_equal(jit(lambda x: np.sin(x) + np.sin(x))(x), 2 * np.sin(x))


def test_constant_folding():
    table = np.arange(4.0)

    def f(x):
        # autovec.numpy on constants is staged (plain np.cos(table) would run at trace time)
        return x * anp.cos(table) + anp.sum(table)

    p = _program(f, np.ones(4))
    assert "cos" in [e.prim.name for e in p.eqns]
    folded = fold_constants(p)
    assert [e.prim.name for e in folded.eqns] == ["multiply", "add"]
    assert len(folded.const_vars) > len(p.const_vars)
    q = optimize(p)
    assert [e.prim.name for e in q.eqns] == ["multiply", "add"]
    check_program(q)
    np.testing.assert_array_equal(jit(f)(np.ones(4)), f(np.ones(4)))


def test_noop_shape_operations_are_removed():
    def f(x):
        return x.reshape(2, 3).T.T.reshape(2, 3) + 0 * x.astype(np.float64)[...]

    p = _program(f, np.ones((2, 3)))
    q = remove_noops(p)
    names = [e.prim.name for e in q.eqns]
    assert "reshape" not in names and "convert_element_type" not in names
    assert names.count("transpose") == 2  # two real transposes (they cancel only in value)
    check_program(q)
    x = rng.normal(size=(2, 3))
    np.testing.assert_array_equal(jit(f)(x), f(x))


def test_folding_is_skipped_for_huge_constants():
    big = np.ones(1 << 18)
    p = optimize(_program(lambda x: x + anp.multiply(big, 2.0), np.ones(1 << 18)))
    assert [e.prim.name for e in p.eqns] == ["multiply", "add"]


# ----------------------------------------------------------------------------- composition


def _per_example(x, w):
    h = np.tanh(x @ w)
    return h / (1.0 + np.abs(h).sum()), h.max()


def test_generic_checker_runs_jit_compositions():
    x, w = rng.normal(size=3), rng.normal(size=(3, 2))
    n = check_vmap(_per_example, x, w, transforms=("vmap", "jit_vmap", "vmap_jit"))
    assert n > 50


@pytest.mark.parametrize(
    "make",
    [
        lambda f: jit(vmap(vmap(f, in_axes=(0, None)), in_axes=(None, 0))),
        lambda f: vmap(jit(vmap(f, in_axes=(0, None))), in_axes=(None, 0)),
        lambda f: vmap(vmap(jit(f), in_axes=(0, None)), in_axes=(None, 0)),
        lambda f: jit(vmap(jit(vmap(jit(f), in_axes=(0, None))), in_axes=(None, 0))),
    ],
    ids=["jit(vmap(vmap))", "vmap(jit(vmap))", "vmap(vmap(jit))", "jit(vmap(jit(vmap(jit))))"],
)
def test_pairwise_compositions_equal_the_double_loop(make):
    def dist(a, b):
        d = a - b
        return np.sqrt(np.dot(d, d))

    xs, ys = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
    want = np.array([[dist(x, y) for x in xs] for y in ys])
    got = make(dist)(xs, ys)
    assert isinstance(got, np.ndarray) and got.shape == (5, 4)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_jit_inside_jit_is_inlined():
    inner = jit(lambda x: np.sin(x) * 2)
    outer = jit(lambda x: inner(x) + inner(x + 1))
    x = rng.normal(size=3)
    np.testing.assert_allclose(outer(x), np.sin(x) * 2 + np.sin(x + 1) * 2)
    assert "jit" not in outer.lower(x).as_text()


def test_vmap_of_jit_with_closure_over_batched_value():
    def f(x, ys):
        g = jit(lambda y: y * x)  # closes over a batched tracer
        return g(ys)

    xs, ys = rng.normal(size=4), rng.normal(size=3)
    got = vmap(f, in_axes=(0, None))(xs, ys)
    np.testing.assert_allclose(got, xs[:, None] * ys[None, :])


def test_vmap_of_jit_reuses_its_programs():
    body = counted(lambda x: (x * x).sum())
    f = vmap(jit(body))
    for _ in range(3):
        np.testing.assert_allclose(f(np.arange(6.0).reshape(2, 3)), [5.0, 50.0])
    assert len(body.calls) == 1


def test_jit_of_vmap_seed_convolution():
    def convolve(x, w):
        return anp.array([np.dot(x[i - 1 : i + 2], w) for i in range(1, len(x) - 1)])

    x = np.arange(5.0)
    w = np.array([2.0, 3.0, 4.0])
    np.testing.assert_array_equal(jit(convolve)(x, w), [11.0, 20.0, 29.0])
    xs, ws = np.stack([x, x]), np.stack([w, w])
    np.testing.assert_allclose(jit(vmap(convolve))(xs, ws), [[11.0, 20.0, 29.0]] * 2)
    np.testing.assert_allclose(vmap(jit(convolve))(xs, ws), [[11.0, 20.0, 29.0]] * 2)


def test_plain_numpy_calls_inside_jit_route_to_primitives():
    def f(x):
        return np.mean(np.exp(x), axis=0) + np.dot(x.T, x).sum()

    text = str(make_ir(f)(np.ones((3, 2))))
    for name in ("exp", "mean", "dot_general"):
        assert name in text
    x = rng.normal(size=(3, 2))
    np.testing.assert_allclose(jit(f)(x), f(x))


def test_output_of_plain_constant_is_an_array():
    out = jit(lambda x: (x, 3.0))(np.ones(2))
    assert isinstance(out[1], (np.ndarray, float))
    assert np.asarray(out[1]) == 3.0


def test_jit_is_exported_and_wraps_metadata():
    def documented(x):
        """Docs."""
        return x

    g = autovec.jit(documented)
    assert g.__name__ == "documented" and g.__doc__ == "Docs."
    assert autovec.make_ir is make_ir


# ---------------------------------------------------------------------------- loop roll-up


def _eqn_names(jitted, *args):
    return [
        line.split("=")[1].split()[0].split("[")[0]
        for line in jitted.lower(*args).as_text().splitlines()[1:-1]
    ]


def _seed_convolve(x, w):
    return anp.array([np.dot(x[i - 1 : i + 2], w) for i in range(1, len(x) - 1)])


@pytest.mark.parametrize("in_axes", [(0, 0), (0, None), (None, 0), (1, 0)])
def test_rolled_up_seed_convolution_equals_the_unrolled_loop(in_axes):
    xs, ws = rng.normal(size=(5, 12)), rng.normal(size=(5, 3))
    x_arg = xs.T if in_axes[0] == 1 else (xs[0] if in_axes[0] is None else xs)
    w_arg = ws[0] if in_axes[1] is None else ws
    f = jit(vmap(_seed_convolve, in_axes=in_axes))
    names = _eqn_names(f, x_arg, w_arg)
    assert "windows" in names and names.count("dot_general") == 1, names
    want = vmap(_seed_convolve, in_axes=in_axes)(x_arg, w_arg)
    np.testing.assert_allclose(f(x_arg, w_arg), want, rtol=1e-12, atol=1e-12)


def test_roll_up_of_element_loops_and_strided_slices():
    def f(x):
        pairs = [x[i] * 2.0 + x[i + 1] for i in range(0, 8, 2)]
        sums = [x[i : i + 4 : 2].sum() for i in range(1, 6)]
        return anp.stack(pairs), anp.array(sums)

    x = rng.normal(size=10)
    g = jit(f)
    names = _eqn_names(g, x)
    assert "concatenate" not in names, names
    for got, want in zip(g(x), f(x)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_roll_up_leaves_irregular_loops_alone():
    def f(x):
        # offsets 0, 1, 3, 6: not a progression; must still be computed, unrolled
        return anp.array([x[i : i + 2].sum() for i in (0, 1, 3, 6)])

    x = rng.normal(size=9)
    g = jit(f)
    assert "windows" not in _eqn_names(g, x)
    np.testing.assert_allclose(g(x), f(x))


def test_roll_up_with_shared_and_per_copy_work():
    w = rng.normal(size=3)

    def f(x, scale):
        s = np.tanh(scale)  # shared by every copy
        return anp.array([np.exp(x[i : i + 3] * s) @ w + s for i in range(6)])

    x, scale = rng.normal(size=8), 0.7
    g = jit(f)
    assert "windows" in _eqn_names(g, x, scale)
    np.testing.assert_allclose(g(x, scale), f(x, scale), rtol=1e-12)
    xs = rng.normal(size=(4, 8))
    np.testing.assert_allclose(
        jit(vmap(f, in_axes=(0, None)))(xs, scale), np.stack([f(x, scale) for x in xs]), rtol=1e-12
    )


def test_errstate_inside_the_function_is_replayed():
    def f(x):
        with np.errstate(divide="ignore"):
            y = anp.log(x)  # log(0) = -inf, silently, as eagerly
        return y + 1

    x = np.array([0.0, 1.0])
    g = jit(f)
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(g(x), [-np.inf, 1.0])
        np.testing.assert_array_equal(g(x), f(x))
        np.testing.assert_array_equal(vmap(jit(f))(np.stack([x, x])), [[-np.inf, 1.0]] * 2)
    assert "with _errstate(" in g.lower(x).as_python()


def test_operations_on_python_scalars_are_strongly_typed_as_in_numpy():
    def f(x):
        return x * anp.divide(1, 4)  # NumPy: a float64 scalar, not a weak Python float

    x = np.ones(2, np.float32)
    assert jit(f)(x).dtype == f(x).dtype == np.float64


def test_copies_are_not_aliases_under_in_place_updates():
    def f(x):
        y = np.copy(x)
        y[0] = 9.0
        z = anp.array(x)
        z[1] = 7.0
        return x, y, z

    xs = np.zeros((2, 3))
    for g in (vmap(f), jit(vmap(f)), vmap(jit(f))):
        x, y, z = g(xs)
        np.testing.assert_array_equal(x, xs)
        np.testing.assert_array_equal(y[:, 0], [9.0, 9.0])
        np.testing.assert_array_equal(z[:, 1], [7.0, 7.0])
        assert not z[:, 0].any() and not y[:, 1:].any()


def test_dead_temporaries_are_reused_but_inputs_and_outputs_never_overwritten():
    def f(a, b):
        d = a - b
        s = np.sqrt(np.sum(d**2, axis=-1))
        return s * 2.0, np.exp(a), d

    a, b = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    a0, b0 = a.copy(), b.copy()
    g = jit(f)
    src = g.lower(a, b).as_python()
    assert "out=" in src
    for got, want in zip(g(a, b), f(a0, b0)):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(a, a0)  # inputs untouched
    np.testing.assert_array_equal(b, b0)
    d = g(a, b)[2]
    np.testing.assert_array_equal(d, a0 - b0)  # a returned temporary is not overwritten


def test_temporaries_seen_through_views_are_not_overwritten():
    def f(a):
        e = a * 2.0  # a fresh temporary ...
        t = e.T  # ... seen through a view ...
        g = np.exp(e)  # ... whose last direct use could write into it
        return g + t.T, t

    a = rng.normal(size=(3, 4))
    for got, want in zip(jit(f)(a), f(a)):
        np.testing.assert_array_equal(got, want)
    assert "out=" not in jit(f).lower(a).as_python().split("exp")[1].split("\n")[0]


# ------------------------------------------- aliasing: what the primitives' facts guarantee


def _outs(x):
    return x if isinstance(x, tuple) else (x,)


def _assert_aliasing_like_eager(f, *args):
    """jit(f) returns eager's values, and shares memory or is read-only only where eager's
    results are: never with an input, another output or a kept constant unless eager's."""
    want = _outs(f(*args))
    g = jit(f)
    got = _outs(g(*args))
    for k, (w, o) in enumerate(zip(want, got)):
        np.testing.assert_array_equal(o, w, err_msg=f"output {k}")
        for i, a in enumerate(args):
            if np.shares_memory(o, a):
                assert np.shares_memory(w, a), f"output {k} shares memory with argument {i}"
        if isinstance(w, np.ndarray) and w.flags.writeable:
            assert o.flags.writeable, f"output {k} is read-only; eager's is writeable"
        for j in range(k):
            if np.shares_memory(o, got[j]):
                assert np.shares_memory(w, want[j]), f"outputs {j} and {k} share memory"
    # Writing into the results does not change what the next call returns.
    for o in got:
        if isinstance(o, np.ndarray) and o.flags.writeable and o.size:
            o[...] = 7
    for k, (w, o) in enumerate(zip(want, _outs(g(*args)))):
        np.testing.assert_array_equal(o, w, err_msg=f"output {k}, second call")


def _diagonal_of_a_temporary(x):
    a = x * 2.0
    d = np.einsum("ii->i", a)  # a view of the temporary a ...
    b = a + 1.0  # ... so a must not become b's buffer here
    return d, b


def _transposed_temporary_by_einsum(x):
    a = np.exp(x)
    t = np.einsum("ij->ji", a)
    return np.sqrt(a) + 0.0 * t.sum(), t


_TABLE = np.arange(3.0)

ALIASING_CASES = {
    "astype to the same dtype copies": lambda x: x.astype(x.dtype),
    "np.astype to the same dtype copies": lambda x: anp.astype(x, x.dtype),
    "flatten copies": lambda x: x.flatten(),
    "flatten of a transpose copies": lambda x: x.T.flatten(),
    "copy copies": lambda x: (np.copy(x), x.copy()),
    "a copy and its source are two arrays": lambda x: (x * 2.0, (x * 2.0).astype(np.float64)),
    "einsum may return a view of a temporary": _diagonal_of_a_temporary,
    "einsum transposes as a view": _transposed_temporary_by_einsum,
    "real of a real array is that array": lambda x: (np.real(x * 1.0), x * 3.0),
    "imag of a real array is read-only": lambda x: np.imag(x).T,
    "a view of a broadcast": lambda x: np.broadcast_to(x[0], (4, 3)).T,
    # Loop roll-up turns these into (read-only) windows of x, then a view of those.
    "stacked sliding windows, stacked on axis 1": lambda x: anp.stack(
        [x.ravel()[i : i + 3] for i in range(5)], axis=1
    ),
    "stacked strided windows": lambda x: anp.array([x.ravel()[i : i + 5 : 2] for i in range(4)]),
    "a folded constant": lambda x: (x + anp.cos(_TABLE), anp.cos(_TABLE)),
    "a closed-over constant, through a view": lambda x: (x, anp.asarray(_TABLE)[::-1]),
}


@pytest.mark.parametrize("name", sorted(ALIASING_CASES))
def test_outputs_alias_and_are_writeable_as_eager(name):
    x = np.arange(9.0).reshape(3, 3) / 7
    _assert_aliasing_like_eager(ALIASING_CASES[name], x)


def test_buffer_reuse_never_writes_into_a_value_a_view_shows():
    x = rng.normal(size=(4, 4))
    d, b = jit(_diagonal_of_a_temporary)(x)
    np.testing.assert_array_equal(d, np.diag(x * 2.0))
    np.testing.assert_array_equal(b, x * 2.0 + 1.0)


def test_copies_are_dropped_only_where_nobody_can_tell():
    # A copy of an input that is returned stays; a copy of a temporary read by nothing else,
    # or one whose result only feeds arithmetic, goes.
    x = np.ones((2, 3))
    assert _eqn_names(jit(lambda x: x.astype(x.dtype)), x) == ["copy"]
    assert "copy" not in _eqn_names(jit(lambda x: (x * 2.0).flatten()), x)
    assert "copy" not in _eqn_names(jit(lambda x: np.copy(x) + 1.0), x)
    # ndarray.copy() is C-ordered: its layout can tell (a Fortran x stays Fortran in x + 1.0)
    assert "copy" in _eqn_names(jit(lambda x: x.copy() + 1.0), x)
    # Two equal fresh results that are both returned stay two arrays (no copy needed).
    assert _eqn_names(jit(lambda x: (x * 2.0, np.copy(x * 2.0))), x) == ["multiply"] * 2


# ----------------------------------------------------- errors raised by a compiled program


def _singular_inverse(a):
    b = a * 2.0
    return np.linalg.inv(b)  # line +2


def _index_past_the_end(x, i):
    y = np.sin(x)
    return y[i]  # line +2


def _log_raising(x):
    with np.errstate(divide="raise"):
        return anp.log(x)  # line +2


@pytest.mark.parametrize(
    ("fun", "args", "error", "generated"),
    [
        (_singular_inverse, (np.zeros((2, 2)),), np.linalg.LinAlgError, "= f1_inv("),
        (_index_past_the_end, (np.arange(3.0), np.int64(5)), IndexError, "= f1_index("),
        (_log_raising, (np.zeros(2),), FloatingPointError, "= f0_log("),
    ],
)
def test_runtime_errors_name_the_users_line_and_show_the_generated_source(
    fun, args, error, generated
):
    where = f"{__file__}:{fun.__code__.co_firstlineno + 2}"
    batched = vmap(jit(fun), in_axes=(0,) + (None,) * (len(args) - 1))
    for g, g_args in ((jit(fun), args), (batched, (args[0][None], *args[1:]))):
        for _ in range(2):  # traced, then cached: the same explanation
            with pytest.raises(error) as info:
                g(*g_args)
            message = "\n".join((str(info.value), *getattr(info.value, "__notes__", ())))
            assert "while executing " in message and f"(traced at {where})" in message, message
            assert message.count("while executing") == 1
            tb = "".join(traceback.format_tb(info.value.__traceback__))
            assert "<autovec.jit " in tb and generated in tb, tb  # linecache shows the line


def test_generated_identifiers_are_valid_whatever_things_are_called():
    from autovec.core import Primitive, ShapedArray
    from autovec.prims.base import FRESH, Facts

    odd = Primitive(
        "my op/v2.0 ²",
        impl=lambda xp, x: x + 1.0,
        shape=lambda x: ShapedArray(x.shape, x.dtype),
        batch=None,
        facts=Facts(FRESH),
    )
    table = np.arange(3.0)

    def v0(x):  # the name of the first variable, and the function closes over a constant
        return odd.bind(x) * table

    for name in ("v0", "class", "f0_my_op_v2_0__", "__autovec_source_map__", "2x", "é"):
        v0.__name__ = name
        np.testing.assert_array_equal(jit(v0)(np.ones(3)), 2.0 * table)


def test_roll_up_of_a_body_that_reuses_its_values_is_one_pass(monkeypatch):
    # z = z + z, `levels` times: as a tree the body has 2**levels leaves; as the graph it is,
    # levels + 1 nodes. The matcher compares each node once per copy, and the rolled-up
    # program computes each once.
    from autovec.interpreters import fusion

    visits = []
    visit = fusion._Matcher.visit

    def counting_visit(self, *args):
        visits.append(1)
        return visit(self, *args)

    monkeypatch.setattr(fusion._Matcher, "visit", counting_visit)
    levels, copies = 10, 6

    def f(x):
        out = []
        for i in range(copies):
            z = x[i : i + 3]
            for _ in range(levels):
                z = z + z
            out.append(z)
        return anp.stack(out)

    x = rng.normal(size=copies + 2)
    g = jit(f)
    assert _eqn_names(g, x) == ["windows"] + ["add"] * levels
    assert len(visits) <= (copies - 1) * (2 * levels + 2), len(visits)
    np.testing.assert_allclose(g(x), f(x), rtol=1e-12)


def test_roll_up_of_a_long_body_does_not_recurse():
    def f(x):
        out = []
        for i in range(3):
            z = x[i : i + 2]
            for _ in range(1500):  # deeper than Python's recursion limit
                z = z * 0.999
            out.append(z)
        return anp.stack(out)

    x = rng.normal(size=4)
    g = jit(f)
    assert _eqn_names(g, x).count("multiply") == 1500
    np.testing.assert_allclose(g(x), f(x), rtol=1e-12)


def _double_plus_one(x):
    return 2 * x + 1


def test_a_jitted_function_pickles_as_its_function_and_options():
    import pickle

    f = jit(_double_plus_one, static_argnums=(), fallback="eager")
    f(np.ones(3))
    g = pickle.loads(pickle.dumps(f))
    assert (g.fun, g.fallback, g.trace_count) == (_double_plus_one, "eager", 0)
    np.testing.assert_array_equal(g(np.arange(3.0)), 2 * np.arange(3.0) + 1)
