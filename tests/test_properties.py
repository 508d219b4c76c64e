"""Property tests of the contract (hypothesis): for random example shapes and dtypes, random
compositions of elementwise operations, reductions and shape functions, random in_axes
(negative too), out_axes and batch sizes (0 too), ``vmap(f)`` equals the stacked loop: same
shape and dtype, the same values (exactly for integers and booleans).

The loop here is written out directly (not ``autovec.testing``), so the checker under test
is not its own judge.
"""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autovec.numpy as anp
from autovec import vmap

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "float32", "float64", "complex128"]


def _values(rng: np.random.Generator, shape: tuple, dtype: str) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return rng.random(shape) < 0.5
    if dt.kind == "u":
        return rng.integers(0, 10, shape).astype(dt)
    if dt.kind == "i":
        return rng.integers(-5, 6, shape).astype(dt)
    vals = rng.uniform(-3, 3, shape)
    if dt.kind == "c":
        vals = vals + 1j * rng.uniform(-3, 3, shape)
    return vals.astype(dt)


def _quiet(fun, *args):
    """Run ``fun`` with NumPy's floating-point complaints off: overflow to inf or an invalid
    value gives the same inf/nan in the loop and in the batch, which the comparison allows."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fun(*args)


# ------------------------------------------------------------------- random programs
# Each step is (name, params); ``_apply`` runs a program with namespace xp.  Steps are drawn
# one at a time, looking at the example's current shape and dtype so that each is valid.


def _unary_steps(kind: str) -> list[str]:
    steps = ["absolute", "sin", "logical_not", "astype_f64", "square_of_abs", "double", "flip_sign"]
    if kind != "b":
        steps += ["negative", "square", "maximum0"]
    if kind in "fiu":
        steps += ["where_pos", "clip", "sign", "floor_div2"]
    if kind == "f":
        steps += ["floor", "exp_small", "tanh"]
    if kind == "c":
        steps += ["real", "conj"]
    if kind in "iub":
        steps += ["astype_i16"]
    return steps


def _apply_step(xp, x, name: str, p: dict):
    if name == "absolute":
        return xp.absolute(x)
    if name == "sin":
        return xp.sin(x)
    if name == "logical_not":
        return xp.logical_not(x)
    if name == "astype_f64":
        return x.astype(np.float64) if np.dtype(x.dtype).kind != "c" else xp.real(x)
    if name == "square_of_abs":
        return xp.abs(x) ** 2
    if name == "double":
        return x * 2 if np.dtype(x.dtype).kind != "b" else x | x
    if name == "flip_sign":
        return x * -1.5 if np.dtype(x.dtype).kind != "b" else ~x
    if name == "negative":
        return -x
    if name == "square":
        return xp.square(x)
    if name == "maximum0":
        return xp.maximum(x, 0) if np.dtype(x.dtype).kind != "c" else x + 1
    if name == "where_pos":
        return xp.where(x > 1, x, 0)
    if name == "clip":
        return xp.clip(x, 0, 3)
    if name == "sign":
        return xp.sign(x)
    if name == "floor_div2":
        return x // 2
    if name == "floor":
        return xp.floor(x)
    if name == "exp_small":
        return xp.exp(xp.clip(x, -5, 5))
    if name == "tanh":
        return xp.tanh(x)
    if name == "real":
        return xp.real(x)
    if name == "conj":
        return xp.conj(x)
    if name == "astype_i16":
        return x.astype(np.int16)
    # Reductions.
    if name in ("sum", "max", "min", "mean", "prod", "any", "all"):
        return getattr(xp, name)(x, axis=p["axis"], keepdims=p["keepdims"])
    if name in ("argmax", "argmin"):
        return getattr(xp, name)(x, axis=p["axis"], keepdims=p["keepdims"])
    # Shape functions.
    if name == "transpose":
        return xp.transpose(x, p["perm"])
    if name == "T":
        return x.T
    if name == "reshape_flat":
        return xp.reshape(x, -1)
    if name == "reshape_rev":
        return x.reshape(tuple(reversed(x.shape)))
    if name == "expand_dims":
        return xp.expand_dims(x, p["axis"])
    if name == "squeeze":
        return xp.squeeze(x)
    if name == "flip":
        return xp.flip(x, p["axis"])
    if name == "moveaxis":
        return xp.moveaxis(x, p["src"], p["dst"])
    if name == "swapaxes":
        return xp.swapaxes(x, p["src"], p["dst"])
    if name == "broadcast":
        return xp.broadcast_to(x, (2, *x.shape))
    if name == "concat_self":
        return xp.concatenate([x, x[::-1]], axis=p["axis"])
    if name == "stack_self":
        return xp.stack([x, x * 0], axis=p["axis"])
    if name == "slice":
        return x[1:] if x.shape and x.shape[0] > 1 else x[..., None]
    if name == "index0":
        return x[p["i"]]
    if name == "newaxis":
        return x[None, ..., None]
    if name == "int_array_index":
        return x[np.array(p["idx"])]
    raise AssertionError(name)


def _apply(xp, program, x, y=None):
    if y is not None:
        x = _apply_binary(xp, program[0], x, y)
        program = program[1:]
    for name, p in program:
        x = _apply_step(xp, x, name, p)
    return x


def _apply_binary(xp, step, x, y):
    name, _ = step
    if name == "add":
        return x + y
    if name == "multiply":
        return xp.multiply(x, y)
    if name == "maximum":
        return xp.maximum(x, y)
    if name == "where":
        return xp.where(x > y, x, y)
    if name == "equal":
        return x == y
    if name == "subtract":
        return xp.subtract(x, y)
    raise AssertionError(name)


@st.composite
def programs(draw, x: np.ndarray, max_steps: int = 4):
    """A random program valid for an example like ``x``, as a list of steps."""
    program = []
    cur = x
    for _ in range(draw(st.integers(1, max_steps))):
        kind = np.dtype(cur.dtype).kind
        nd = cur.ndim
        families = ["unary"]
        if nd >= 1 and cur.size > 0:
            families += ["reduce", "shape"]
        else:
            families += ["shape0"]
        family = draw(st.sampled_from(families))
        if family == "unary":
            step = (draw(st.sampled_from(_unary_steps(kind))), {})
        elif family == "reduce":
            names = ["sum", "max", "min", "any", "all", "argmax", "argmin"]
            if kind != "b":
                names += ["mean", "prod"]
            name = draw(st.sampled_from(names))
            if name in ("argmax", "argmin"):
                axis = draw(st.one_of(st.none(), st.integers(-nd, nd - 1)))
            else:
                axis = draw(
                    st.one_of(
                        st.none(),
                        st.integers(-nd, nd - 1),
                        st.lists(st.integers(0, nd - 1), unique=True, max_size=nd).map(tuple),
                    )
                )
            step = (name, {"axis": axis, "keepdims": draw(st.booleans())})
        elif family == "shape0":
            step = (draw(st.sampled_from(["expand_dims", "newaxis", "broadcast"])), {"axis": 0})
        else:
            name = draw(
                st.sampled_from(
                    [
                        "transpose",
                        "T",
                        "reshape_flat",
                        "reshape_rev",
                        "expand_dims",
                        "squeeze",
                        "flip",
                        "moveaxis",
                        "swapaxes",
                        "broadcast",
                        "concat_self",
                        "stack_self",
                        "slice",
                        "index0",
                        "newaxis",
                        "int_array_index",
                    ]
                )
            )
            p: dict = {}
            if name == "transpose":
                p["perm"] = tuple(draw(st.permutations(range(nd))))
            elif name in ("expand_dims", "stack_self"):
                p["axis"] = draw(st.integers(-nd - 1, nd))
            elif name in ("flip", "concat_self"):
                p["axis"] = draw(st.integers(-nd, nd - 1))
            elif name in ("moveaxis", "swapaxes"):
                p["src"] = draw(st.integers(-nd, nd - 1))
                p["dst"] = draw(st.integers(-nd, nd - 1))
            elif name == "index0":
                p["i"] = draw(st.integers(-cur.shape[0], cur.shape[0] - 1))
            elif name == "int_array_index":
                p["idx"] = draw(
                    st.lists(st.integers(-cur.shape[0], cur.shape[0] - 1), min_size=1, max_size=4)
                )
            step = (name, p)
        program.append(step)
        cur = _quiet(_apply_step, np, cur, *step)
        cur = np.asarray(cur)
    return program


# ------------------------------------------------------------------------ the loop


def _batch(examples: list, axis: int, like: np.ndarray) -> np.ndarray:
    if examples:
        stacked = np.stack(examples)
    else:
        stacked = np.zeros((0, *like.shape), like.dtype)
    return np.moveaxis(stacked, 0, axis % stacked.ndim)


def _loop(fun, example_args: list[tuple], out_axis: int, like_out: np.ndarray) -> np.ndarray:
    outs = [np.asarray(_quiet(fun, *a)) for a in example_args]
    return _batch(outs, out_axis, like_out)


def assert_matches_loop(got, want) -> None:
    assert isinstance(got, np.ndarray), type(got)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if want.dtype.kind in "fc":
        tol = 1e-4 if want.dtype in (np.float32, np.complex64, np.float16) else 1e-10
        wide = np.complex128 if want.dtype.kind == "c" else np.float64
        with np.errstate(all="ignore"):  # a float16 tolerance product may underflow
            np.testing.assert_allclose(
                got.astype(wide), want.astype(wide), rtol=tol, atol=tol, equal_nan=True
            )
    else:
        np.testing.assert_array_equal(got, want)


shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    data=st.data(),
    shape=shapes,
    dtype=st.sampled_from(DTYPES),
    n=st.integers(0, 4),
    seed=st.integers(0, 2**16),
)
def test_random_programs_batch_like_the_loop(data, shape, dtype, n, seed):
    rng = np.random.default_rng(seed)
    example = _values(rng, shape, dtype)
    program = data.draw(programs(example))
    xp = data.draw(st.sampled_from([anp, np]), label="namespace")
    fun = lambda v: _apply(xp, program, v)  # noqa: E731
    like_out = np.asarray(_quiet(_apply, np, program, example))
    in_axis = data.draw(st.integers(-example.ndim - 1, example.ndim), label="in_axes")
    out_axis = data.draw(st.integers(-like_out.ndim - 1, like_out.ndim), label="out_axes")
    examples = [example] + [_values(rng, shape, dtype) for _ in range(n - 1)] if n else []
    xs = _batch(examples, in_axis, example)
    got = _quiet(vmap(fun, in_axes=in_axis, out_axes=out_axis), xs)
    want = _loop(fun, [(e,) for e in examples], out_axis, like_out)
    assert_matches_loop(got, want)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    data=st.data(),
    shape=shapes,
    dtypes=st.tuples(st.sampled_from(DTYPES), st.sampled_from(DTYPES)),
    n=st.integers(0, 3),
    seed=st.integers(0, 2**16),
)
def test_binary_operations_and_promotion_batch_like_the_loop(data, shape, dtypes, n, seed):
    """Two inputs of random dtypes (NumPy's promotion), the second broadcasting against the
    first from the right, each batched on its own axis or not at all."""
    rng = np.random.default_rng(seed)
    x = _values(rng, shape, dtypes[0])
    y_shape = shape[data.draw(st.integers(0, len(shape)), label="y drops leading axes") :]
    y = _values(rng, y_shape, dtypes[1])
    ok = ["add", "multiply", "equal"]
    if "complex128" not in dtypes:
        ok += ["maximum", "where"]
    if "bool" not in dtypes:
        ok += ["subtract"]
    first = (data.draw(st.sampled_from(ok)), {})
    rest = data.draw(programs(np.asarray(_quiet(_apply_binary, np, first, x, y)), max_steps=2))
    program = [first, *rest]
    fun = lambda a, b: _apply(anp, program, a, b)  # noqa: E731
    like_out = np.asarray(_quiet(_apply, np, program, x, y))
    ax = data.draw(st.one_of(st.none(), st.integers(-x.ndim - 1, x.ndim)), label="x axis")
    ay = data.draw(st.one_of(st.none(), st.integers(-y.ndim - 1, y.ndim)), label="y axis")
    if ax is None and ay is None:
        ax = 0
    out_axis = data.draw(st.integers(-like_out.ndim - 1, like_out.ndim), label="out_axes")
    xs_ex = [x] + [_values(rng, x.shape, dtypes[0]) for _ in range(n - 1)] if n else []
    ys_ex = [y] + [_values(rng, y.shape, dtypes[1]) for _ in range(n - 1)] if n else []
    xs = x if ax is None else _batch(xs_ex, ax, x)
    ys = y if ay is None else _batch(ys_ex, ay, y)
    got = _quiet(vmap(fun, in_axes=(ax, ay), out_axes=out_axis), xs, ys)
    pairs = [(x if ax is None else xs_ex[i], y if ay is None else ys_ex[i]) for i in range(n)]
    want = _loop(fun, pairs, out_axis, like_out)
    assert_matches_loop(got, want)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    data=st.data(),
    shape=st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple),
    dtype=st.sampled_from(["int16", "float64", "bool"]),
    sizes=st.tuples(st.integers(0, 3), st.integers(1, 3)),
    seed=st.integers(0, 2**16),
)
def test_nested_vmap_equals_the_double_loop(data, shape, dtype, sizes, seed):
    rng = np.random.default_rng(seed)
    example = _values(rng, shape, dtype)
    program = data.draw(programs(example, max_steps=3))
    fun = lambda v: _apply(anp, program, v)  # noqa: E731
    like_out = np.asarray(_quiet(_apply, np, program, example))
    outer_n, inner_n = sizes
    grid = [[_values(rng, shape, dtype) for _ in range(inner_n)] for _ in range(outer_n)]
    inner_axis = data.draw(st.integers(-example.ndim - 1, example.ndim), label="inner in_axes")
    inner_batches = [_batch(row, inner_axis, example) for row in grid]
    like_inner = _batch([example] * inner_n, inner_axis, example)
    outer_axis = data.draw(st.integers(-like_inner.ndim - 1, like_inner.ndim), label="outer")
    xs = _batch(inner_batches, outer_axis, like_inner)
    inner_out = data.draw(st.integers(-like_out.ndim - 1, like_out.ndim), label="inner out")
    got = _quiet(vmap(vmap(fun, in_axes=inner_axis, out_axes=inner_out), in_axes=outer_axis), xs)
    like_row = _batch([like_out] * inner_n, inner_out, like_out)
    want = _batch(
        [_loop(fun, [(e,) for e in row], inner_out, like_out) for row in grid], 0, like_row
    )
    assert_matches_loop(got, want)


@settings(deadline=None)
@given(shape=shapes, dtype=st.sampled_from(DTYPES), n=st.integers(0, 3), seed=st.integers(0, 99))
def test_identity_and_constant_functions(shape, dtype, n, seed):
    """The simplest functions: the input itself, and an output that ignores the input."""
    rng = np.random.default_rng(seed)
    xs = _values(rng, (n, *shape), dtype)
    np.testing.assert_array_equal(vmap(lambda v: v)(xs), xs)
    got = vmap(lambda v: np.int8(3))(xs)
    assert got.shape == (n,) and got.dtype == np.int8 and (got == 3).all()
