"""Every error that suggests a fix is tested by following the fix (issue 8, items 8 and 9).

Each test triggers an error, checks that its message carries the suggestion, then does what
the message says and checks the result against the Python loop (or NumPy).  The end of the
file checks the error types JAX uses for the same mistakes.
"""

from __future__ import annotations

import functools
import pickle
import re
import warnings

import numpy as np
import pytest

import autovec.numpy as anp
from autovec import errors, jit, vmap

XS = np.array([[1.0, 2.0, 0.0], [4.0, 0.0, 6.0], [0.5, 3.0, 2.5]])  # three examples
IS = np.array([[2, 0, 1], [1, 1, 0], [0, 2, 2]])


def strict(f, **options):
    """vmap that raises where eager vmap would split the batch or fall back per lane: the
    errors below carry the advice.  Under jit(vmap) there is no value to split on, and
    fallback="error" makes jit raise there rather than run the vmap uncompiled."""
    return jit(vmap(f, fallback="error", **options), fallback="error")


def loop(f, *batches, in_axes=None):
    in_axes = in_axes or (0,) * len(batches)
    n = next(len(b) for b, ax in zip(batches, in_axes) if ax is not None)
    outs = [f(*(b if ax is None else b[i] for b, ax in zip(batches, in_axes))) for i in range(n)]
    if isinstance(outs[0], tuple):
        return tuple(np.stack([np.asarray(o[k]) for o in outs]) for k in range(len(outs[0])))
    return np.stack([np.asarray(o) for o in outs])


def same(got, want):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            same(g, w)
        return
    assert isinstance(got, np.ndarray)
    assert (got.shape, got.dtype) == (want.shape, want.dtype)
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)


def message(exc_type, call, *args, **kwargs):
    with pytest.raises(exc_type) as info:
        call(*args, **kwargs)
    return str(info.value)


def says(msg: str, *fragments: str) -> None:
    for fragment in fragments:
        assert fragment in msg, f"{fragment!r} not in: {msg}"


# --------------------------------------------------------------------- concrete values


def test_bool_of_a_batched_value_where_and_unbatched_advice():
    def f(x, t):
        return x * 2 if t > 0 else -x

    msg = message(errors.TracerBoolConversionError, strict(f), XS, np.array([1.0, -1.0, 2.0]))
    says(msg, "autovec.numpy.where(cond, x, y)", "in_axes=None for a positional argument")
    says(msg, "functools.partial(f, name=value)")
    # A choice per example: where.
    got = vmap(lambda x, t: anp.where(t > 0, x * 2, -x))(XS, np.array([1.0, -1.0, 2.0]))
    same(got, loop(f, XS, np.array([1.0, -1.0, 2.0])))
    # The same number for every example: in_axes=None, or a partial over a keyword.
    same(vmap(f, in_axes=(0, None))(XS, 1.0), loop(f, XS, 1.0, in_axes=(0, None)))
    g = lambda x, *, t: f(x, t)  # noqa: E731
    same(vmap(functools.partial(g, t=-1.0))(XS), loop(lambda x: f(x, -1.0), XS))


def test_int_of_a_batched_size_advice_for_vmap_and_jit():
    def f(x, k):
        return np.diag(x, k)

    ks = np.array([1, 1, 1])
    # Eager vmap splits the batch by k (tests/test_split_more.py); compiled, it cannot.
    msg = message(errors.ConcretizationTypeError, jit(vmap(f), fallback="error"), XS, ks)
    says(msg, "in_axes=None for it", "a closure", "static_argnums")
    same(vmap(f, in_axes=(0, None))(XS, 1), loop(f, XS, 1, in_axes=(0, None)))
    same(vmap(lambda x: f(x, 1))(XS), loop(f, XS, 1, in_axes=(0, None)))
    msg = message(errors.ConcretizationTypeError, jit(f, fallback="error"), XS[0], 1)
    says(msg, "static")
    same(jit(f, static_argnums=1)(XS[0], 1), f(XS[0], 1))


def test_shape_argument_advice():
    def f(x, reps):
        return np.tile(x, reps)

    msg = message(errors.ConcretizationTypeError, strict(f), XS, np.array([2, 2, 2]))
    says(msg, "unbatched NumPy array", "in_axes=None for it", "static_argnums")
    same(vmap(f, in_axes=(0, None))(XS, 2), loop(f, XS, 2, in_axes=(0, None)))
    same(vmap(f, in_axes=(0, None))(XS, np.array(2)), loop(f, XS, 2, in_axes=(0, None)))
    says(message(errors.ConcretizationTypeError, jit(f, fallback="error"), XS[0], 2), "static")
    same(jit(f, static_argnums=1)(XS[0], 2), f(XS[0], 2))


def test_matrix_power_exponent_advice():
    a = np.stack([np.eye(2) * k for k in (1.0, 2.0, 3.0)])
    msg = message(
        errors.ConcretizationTypeError, vmap(np.linalg.matrix_power), a, np.array([2, 2, 2])
    )
    says(msg, "in_axes=None for it", "static_argnums")
    same(
        vmap(np.linalg.matrix_power, in_axes=(0, None))(a, 3),
        loop(np.linalg.matrix_power, a, 3, in_axes=(0, None)),
    )
    same(jit(np.linalg.matrix_power, static_argnums=1)(a[1], 3), np.linalg.matrix_power(a[1], 3))


def test_jit_names_the_argument_and_its_pytree_path():
    def f(x, method, opts):
        return x * 2 if opts["clip"] else -x

    opts = {"clip": np.float64(1.0), "scale": 2.0}
    strict_jit = jit(f, static_argnums=1, fallback="error")
    msg = message(errors.TracerBoolConversionError, strict_jit, XS[0], "m", opts)
    says(msg, "`opts['clip']`", "mark the argument 'opts' static")
    assert "method" not in msg
    # Following it: a dict must become hashable to be static (the next message says how).
    static = dict(static_argnums=1, static_argnames="opts")
    msg = message(errors.NonHashableStaticArgumentError, jit(f, **static), XS[0], "m", opts=opts)
    says(msg, "tuple(sorted(d.items()))", "dict(...)", "functools.partial(f, name=value)")

    def g(x, method, opts):
        return f(x, method, dict(opts))

    got = jit(g, **static)(XS[0], "m", opts=tuple(sorted(opts.items())))
    same(got, f(XS[0], "m", opts))
    same(jit(functools.partial(f, opts=opts), static_argnums=1)(XS[0], "m"), f(XS[0], "m", opts))


def test_unhashable_static_arguments_advice_by_type():
    f = jit(lambda x, shape: x.reshape(shape), static_argnums=1)
    msg = message(errors.NonHashableStaticArgumentError, f, XS, [9])
    says(msg, "Pass a tuple instead of a list")
    same(f(XS, (9,)), XS.reshape(9))
    g = jit(lambda x, keep: x[sorted(keep)], static_argnums=1)
    msg = message(errors.NonHashableStaticArgumentError, g, XS, {0, 2})
    says(msg, "frozenset(value)")
    same(g(XS, frozenset({0, 2})), XS[[0, 2]])
    # An array-valued "configuration" becomes a regular, traced argument.
    h = jit(lambda x, w: x @ w, static_argnums=1)
    msg = message(errors.NonHashableStaticArgumentError, h, XS, np.ones(3))
    says(msg, "regular (traced) argument")
    same(jit(lambda x, w: x @ w)(XS, np.ones(3)), XS @ np.ones(3))


def test_jit_argument_that_is_not_an_array_advice():
    def f(x, mode):
        return x * 2 if mode == "double" else x

    msg = message(errors.UnsupportedOperationError, jit(f), XS, "double")
    says(msg, "static_argnums")
    same(jit(f, static_argnums=1)(XS, "double"), XS * 2)
    same(jit(f, static_argnames="mode")(XS, mode="double"), XS * 2)


def test_jit_output_that_is_not_an_array_advice():
    def f(x):
        return x * 2, "label"

    msg = message(errors.UnsupportedOperationError, jit(f), XS)
    says(msg, "unjitted wrapper")
    core = jit(lambda x: x * 2)
    wrapper = lambda x: (core(x), "label")  # noqa: E731
    got = wrapper(XS)
    same(got[0], XS * 2)
    assert got[1] == "label"


def test_str_and_format_advice():
    # Eager vmap splits the batch by value there; fallback="error" keeps the advice.
    msg = message(errors.ConcretizationTypeError, vmap(lambda x: f"{x}", fallback="error"), XS)
    says(msg, "return them from the transformed function", "print(repr(x))")
    shown = []
    vmap(lambda x: (shown.append(repr(x)), x)[1])(XS)
    assert "f64[3]" in shown[0]
    assert str(vmap(lambda x: x * 2)(XS)) == str(XS * 2)


def test_escaped_tracer_advice():
    kept = []
    vmap(lambda x: kept.append(x) or x)(XS)
    msg = message(errors.UnexpectedTracerError, lambda: kept[0] + 1)
    says(msg, "Return the value from the transformed function")
    same(vmap(lambda x: x)(XS) + 1, XS + 1)


# ------------------------------------------------------------------------ vmap's spec


def test_scalar_keyword_argument_advice():
    def f(x, scale=1.0):
        return x * scale

    msg = message(errors.BatchAxisError, vmap(f), XS, scale=2.0)
    says(msg, "pass it positionally with in_axes=None", "functools.partial(f, scale=value)")
    want = XS * 2.0
    same(vmap(f, in_axes=(0, None))(XS, 2.0), want)
    same(vmap(functools.partial(f, scale=2.0))(XS), want)


def test_scalar_positional_argument_advice():
    f = lambda x, s: x * s  # noqa: E731
    msg = message(errors.BatchAxisError, vmap(f), XS, 2.0)
    says(msg, "in_axes=None for that argument", "close over it")
    same(vmap(f, in_axes=(0, None))(XS, 2.0), XS * 2)
    same(vmap(lambda x: f(x, 2.0))(XS), XS * 2)


def test_non_array_argument_advice():
    def f(x, mode):
        return x * 2 if mode == "double" else x

    msg = message(errors.BatchAxisError, vmap(f), XS, "double")
    says(msg, "in_axes=None for that argument")
    same(vmap(f, in_axes=(0, None))(XS, "double"), XS * 2)
    msg = message(errors.BatchAxisError, vmap(f), XS, mode="double")
    says(msg, "functools.partial(f, mode=value)")
    same(vmap(functools.partial(f, mode="double"))(XS), XS * 2)


def test_in_axes_length_and_top_level_dict_advice():
    f = lambda a, b: a + b  # noqa: E731
    msg = message(errors.InAxesStructureError, vmap(f, in_axes=(0,)), XS, XS)
    says(msg, "one entry per positional argument", "single int/None")
    same(vmap(f, in_axes=(0, 0))(XS, XS), XS * 2)
    same(vmap(f, in_axes=0)(XS, XS), XS * 2)
    g = lambda p: p["a"] * p["b"]  # noqa: E731
    msg = message(errors.InAxesStructureError, vmap(g, in_axes={"a": 0, "b": None}), {"a": XS})
    says(msg, "in_axes=({...},)")
    same(vmap(g, in_axes=({"a": 0, "b": None},))({"a": XS, "b": 2.0}), XS * 2)


def test_in_axes_structure_mismatch_advice():
    g = lambda p: p[0] * p[1]  # noqa: E731
    msg = message(errors.InAxesStructureError, vmap(g, in_axes=([0, None, 0],)), [XS, 2.0])
    says(msg, "one entry per element there", "a single int or None")
    same(vmap(g, in_axes=([0, None],))([XS, 2.0]), XS * 2)
    msg = message(errors.InAxesStructureError, vmap(g, in_axes=({"a": 0},)), [XS, XS])
    says(msg, "Give a single int or None there")
    same(vmap(g, in_axes=(0,))([XS, XS]), XS * XS)


def test_batch_size_mismatch_advice():
    f = lambda x, w: x @ w  # noqa: E731
    w = np.arange(3.0)
    msg = message(errors.BatchSizeMismatchError, vmap(f), XS, np.stack([w, w]))
    says(msg, "in_axes=None")
    same(vmap(f, in_axes=(0, None))(XS, w), XS @ w)


def test_nothing_to_map_advice():
    f = lambda w: w * 2  # noqa: E731
    msg = message(errors.AxisSizeError, vmap(f, in_axes=None), np.arange(3.0))
    says(msg, "axis_size=N")
    same(vmap(f, in_axes=None, axis_size=2)(np.arange(3.0)), np.stack([np.arange(3.0) * 2] * 2))


def test_out_axes_none_advice():
    msg = message(errors.OutAxesError, vmap(lambda x: x * 2, out_axes=None), XS)
    says(msg, "integer out_axes", "reduce over the examples")
    same(vmap(lambda x: x * 2, out_axes=1)(XS), (XS * 2).T)


def test_too_many_axes_advice():
    big = np.ones((2,) + (2,) + (1,) * 62)  # 63 axes per example
    msg = message(errors.TooManyDimensionsError, vmap(lambda x: x[..., None] * 2), big)
    says(msg, "merge axes with reshape", "without vmap")
    # Merging two axes first leaves room for the new one.
    f = lambda x: x.reshape(x.shape[:-2] + (-1,))[..., None] * 2  # noqa: E731
    same(vmap(f)(big), loop(f, big))


def test_inplace_update_of_an_outer_value_advice():
    def outer(x):
        def inner(v):
            x[0] = v.sum()
            return x

        return vmap(inner)(np.ones((2, 2)))

    # x is shared by the inner examples (the loop writes it once per inner example)
    msg = message(errors.SharedStateWriteError, vmap(outer), XS)
    says(msg, "autovec.numpy.set_at(x, i, v)")

    def outer_fixed(x):
        return vmap(lambda v: anp.set_at(x, 0, v.sum()))(np.ones((2, 2)))

    def reference(x):
        rows = []
        for v in np.ones((2, 2)):
            y = x.copy()
            y[0] = v.sum()
            rows.append(y)
        return np.stack(rows)

    same(vmap(outer_fixed)(XS), loop(reference, XS))


# -------------------------------------------------------------- plain NumPy buffers


def test_writing_a_batched_value_into_a_plain_buffer_advice():
    def f(x):
        out = np.zeros(3)
        for i in range(3):
            out[i] = x[i] * 2
        return out

    for transform in (strict, functools.partial(jit, fallback="error")):
        with pytest.raises(errors.TracerArrayConversionError) as info:
            transform(f)(XS if transform is strict else XS[0])
        assert info.value.__cause__ is None  # ours is the primary error, not NumPy's
        says(str(info.value), "out[i] = value", "autovec.numpy.stack(values)")

    def fixed(x):
        values = [x[i] * 2 for i in range(3)]
        return anp.stack(values)

    same(vmap(fixed)(XS), loop(f, XS))
    same(vmap(lambda x: anp.array([x[i] * 2 for i in range(3)]))(XS), loop(f, XS))
    same(jit(fixed)(XS[0]), f(XS[0]))


def test_array_of_a_list_of_batched_values_advice():
    def f(x):
        return np.array([x[0], x[2]])

    msg = message(errors.TracerArrayConversionError, strict(f), XS)
    says(msg, "autovec.numpy.array / autovec.numpy.stack", "autovec.numpy.getitem(table, i)")
    same(vmap(lambda x: anp.array([x[0], x[2]]))(XS), loop(f, XS))
    same(vmap(lambda x: anp.stack([x[0], x[2]]))(XS), loop(f, XS))
    table = np.arange(10.0) * 3
    idx = np.array([1, 4, 7])
    msg = message(errors.TracerArrayConversionError, strict(lambda i: table[i]), idx)
    same(vmap(lambda i: anp.getitem(table, i))(idx), table[idx])


def test_ufunc_at_on_a_plain_array_advice():
    def f(i):
        a = np.zeros(4)
        np.add.at(a, i, 1.0)
        return a

    msg = message(errors.UnsupportedOperationError, vmap(f), IS)
    says(msg, "autovec.numpy.ufunc_at(numpy.add, a, indices, b)")
    same(vmap(lambda i: anp.ufunc_at(np.add, np.zeros(4), i, 1.0))(IS), loop(f, IS))


@pytest.mark.parametrize("name", ["put_along_axis", "put", "putmask", "place"])
def test_inplace_function_on_a_plain_array_advice(name):
    calls = {
        "put_along_axis": lambda a, i, v, **kw: anp.put_along_axis(a, i[:1], v, 0, **kw),
        "put": lambda a, i, v, **kw: anp.put(a, i, v, **kw),
        "putmask": lambda a, i, v, **kw: anp.putmask(a, i > 0, v, **kw),
        "place": lambda a, i, v, **kw: anp.place(a, i > 0, v, **kw),
    }

    def plain(i, v):
        a = np.zeros(3)
        getattr(np, name)(
            a,
            *{
                "put_along_axis": (i[:1], v, 0),
                "put": (i, v),
                "putmask": (i > 0, v),
                "place": (i > 0, v),
            }[name],
        )
        return a

    vs = XS[:, 0] + 10
    msg = message(
        errors.UnsupportedOperationError, vmap(lambda i, v: calls[name](np.zeros(3), i, v)), IS, vs
    )
    says(msg, f"a = autovec.numpy.{name}(a, ..., inplace=False)")
    got = vmap(lambda i, v: calls[name](np.zeros(3), i, v, inplace=False))(IS, vs)
    same(got, loop(plain, IS, vs))


def test_copyto_a_plain_array_advice():
    def f(x):
        dst = np.zeros(3)
        np.copyto(dst, x, where=x > 1)
        return dst

    msg = message(errors.UnsupportedOperationError, vmap(f), XS)
    says(msg, "dst = autovec.numpy.where(where, src, dst).astype(dst.dtype)")

    def fixed(x):
        dst = np.zeros(3, np.float32)
        return anp.where(x > 1, x, dst).astype(dst.dtype)

    def reference(x):
        dst = np.zeros(3, np.float32)
        np.copyto(dst, x, casting="unsafe", where=x > 1)
        return dst

    same(vmap(fixed)(XS), loop(reference, XS))
    same(vmap(lambda x: anp.where(x > 1, x, np.zeros(3)))(XS), loop(f, XS))


# ------------------------------------------------------------- data-dependent shapes


NZ = np.array([[1.0, 2.0, 0.0], [4.0, 0.0, 6.0], [0.0, 3.0, 2.5]])  # two nonzeros each


@pytest.mark.parametrize(
    "name, call, fixed",
    [
        ("unique", lambda x: np.unique(x), lambda x: anp.unique(x, size=3)),
        ("nonzero", lambda x: np.nonzero(x)[0], lambda x: anp.nonzero(x, size=2)[0]),
        ("flatnonzero", lambda x: np.flatnonzero(x), lambda x: anp.flatnonzero(x, size=2)),
        ("argwhere", lambda x: np.argwhere(x), lambda x: anp.argwhere(x, size=2)),
        ("extract", lambda x: np.extract(x > 0, x), lambda x: anp.extract(x > 0, x, size=2)),
        (
            "intersect1d",
            lambda x: np.intersect1d(x, [0.0, 7.0]),
            lambda x: anp.intersect1d(x, [0.0, 7.0], size=1),
        ),
    ],
)
def test_size_advice_names_autovec_numpy(name, call, fixed):
    msg = message(errors.DataDependentShapeError, strict(call), NZ)
    says(msg, f"autovec.numpy.{name}(..., size=N)", f"numpy.{name} itself has no size")
    # Each example here has exactly as many results as the size given: the loop stacks.
    same(vmap(fixed)(NZ), loop(call, NZ))
    same(jit(vmap(fixed))(NZ), loop(call, NZ))


def test_unique_axis_with_size_advice():
    msg = message(
        errors.UnsupportedOperationError, vmap(lambda x: anp.unique(x, axis=0, size=3)), XS
    )
    says(msg, "use axis=None")
    same(vmap(lambda x: anp.unique(x, axis=None, size=3))(XS), loop(np.unique, XS))


def test_set_functions_return_indices_advice():
    f = lambda x: anp.intersect1d(x, [0.0, 7.0], return_indices=True, size=1)  # noqa: E731
    msg = message(errors.UnsupportedOperationError, vmap(f), NZ)
    says(msg, "without return_indices")
    got = vmap(lambda x: anp.intersect1d(x, [0.0, 7.0], size=1))(NZ)
    same(got, loop(lambda x: np.intersect1d(x, [0.0, 7.0]), NZ))


def test_boolean_mask_read_advice():
    f = lambda x: x[x > 1].sum()  # noqa: E731
    g = lambda x: x[x > 1]  # noqa: E731
    msg = message(errors.DataDependentShapeError, strict(lambda x: np.max(g(x))), XS)
    says(msg, "autovec.numpy.where(mask, x, fill)", "x[mask] += v")
    same(vmap(lambda x: (x * (x > 1)).sum())(XS), loop(f, XS))
    same(vmap(lambda x: anp.where(x > 1, x, 0).sum())(XS), loop(f, XS))

    def assign(x):
        y = x.copy()
        y[y > 1] = 0.0
        return y

    same(vmap(assign)(XS), loop(assign, XS))


def test_boolean_mask_write_with_a_row_advice():
    def f(x):
        y = x.copy()
        y[x > 1] = np.array([7.0, 8.0])
        return y

    msg = message(errors.DataDependentShapeError, vmap(f), XS)
    says(msg, "(a scalar, say)")

    def g(x):
        y = x.copy()
        y[x > 1] = 7.0
        return y

    same(vmap(g)(XS), loop(g, XS))


def test_index_through_a_mask_read_advice():
    def f(x):
        y = np.zeros(3) + x[0]
        y[:2] = x[x > 1]
        return y

    batch = np.array([[2.0, 0.0, 3.0], [0.5, 4.0, 5.0], [6.0, 7.0, 1.0]])  # two above 1 each
    msg = message(errors.DataDependentShapeError, vmap(f), batch)
    says(msg, "autovec.numpy.where(mask, new_values, x)")

    # Written as a where over a mask of y's shape: y's first two places take the selected
    # values, which a sized extract gives.
    def fixed(x):
        y = np.zeros(3) + x[0]
        new = anp.concatenate([anp.extract(x > 1, x, size=2), np.zeros(1)])
        return anp.where(np.arange(3) < 2, new, y)

    same(vmap(fixed)(batch), loop(f, batch))


def test_mask_with_other_index_entries_advice():
    def f(x):
        y = x.copy()
        y[x[:, 0] > 1, 0] = 0.0
        return y

    batch = np.stack([XS, XS[::-1], XS * 2])
    msg = message(errors.DataDependentShapeError, vmap(f), batch)
    says(msg, "autovec.numpy.where(mask, v, x) with a mask of x's shape")
    mask_like_x = lambda x: (x[:, 0] > 1)[:, None] & (np.arange(3) == 0)  # noqa: E731
    same(vmap(lambda x: anp.where(mask_like_x(x), 0.0, x))(batch), loop(f, batch))


def test_numpys_own_nonzero_advice_leads_to_ours():
    # NumPy's message for a 0-d nonzero says np.atleast_1d(x).nonzero(); inside vmap that
    # has a per-example size, and our error then names the sized form, which works.
    msg = message(ValueError, strict(lambda x: np.nonzero(x[0])), XS)
    says(msg, "np.atleast_1d(scalar).nonzero()")
    msg = message(
        errors.DataDependentShapeError, strict(lambda x: np.atleast_1d(x[1]).nonzero()), XS
    )
    says(msg, "autovec.numpy.nonzero(..., size=N)")
    got = vmap(lambda x: anp.nonzero(np.atleast_1d(x[1]), size=1)[0])(XS)
    same(got, np.zeros((3, 1), np.int64))  # index 0, or the fill 0 where x[1] == 0


@pytest.mark.parametrize(
    "bad, good",
    [
        (lambda x: np.round(x, out=np.empty(3)), lambda x: np.round(x)),
        (lambda x: np.fix(x, out=np.empty(3)), lambda x: np.fix(x)),
        (lambda x: np.cumsum(x, out=np.empty(3)), lambda x: np.cumsum(x)),
        (lambda x: np.add.accumulate(x, out=np.empty(3)), lambda x: np.add.accumulate(x)),
        (
            lambda x: np.linalg.multi_dot([x[None], np.eye(3), x[:, None]], out=np.empty((1, 1))),
            lambda x: np.linalg.multi_dot([x[None], np.eye(3), x[:, None]]),
        ),
        (lambda x: np.take(x, [0, 2], out=np.empty(2)), lambda x: np.take(x, [0, 2])),
        (lambda x: np.clip(x, 1, 2, out=np.empty(3)), lambda x: np.clip(x, 1, 2)),
        (lambda x: np.mean(x, out=np.empty(())), lambda x: np.mean(x)),
    ],
)
def test_out_arguments_advice(bad, good):
    msg = message(errors.UnsupportedOperationError, vmap(bad), XS)
    assert "return value" in msg, msg
    same(vmap(good)(XS), loop(bad, XS))


def test_ufunc_out_plain_array_runs_as_the_loop():
    # np.add(x, 1.0, out=buf) with a plain buf needs the value now, as buf[i] = x does: the
    # examples continue as the loop would, with the warning that says how to stay vectorised.
    bad = lambda x: np.add(x, 1.0, out=np.empty(3))  # noqa: E731
    with pytest.warns(errors.FallbackWarning, match="autovec.numpy"):
        same(vmap(bad)(XS), loop(bad, XS))
    message(errors.TracerArrayConversionError, vmap(bad, fallback="error"), XS)


def test_compress_advice():
    f = lambda x: np.compress(x > 1, x)  # noqa: E731
    msg = message(errors.DataDependentShapeError, vmap(f), XS)
    says(msg, "autovec.numpy.where(condition, a, fill)", "condition unbatched")
    same(vmap(lambda x: anp.where(x > 1, x, 0.0))(XS), loop(lambda x: np.where(x > 1, x, 0.0), XS))
    cond = np.array([True, False, True])
    same(vmap(lambda x: np.compress(cond, x))(XS), loop(lambda x: np.compress(cond, x), XS))


def test_ix_of_a_batched_mask_advice():
    msg = message(errors.DataDependentShapeError, vmap(lambda m: np.ix_(m)[0]), XS > 1)
    says(msg, "integer indices")
    same(vmap(lambda i: np.ix_(i)[0])(IS), loop(lambda i: np.ix_(i)[0], IS))


def test_trim_zeros_advice():
    msg = message(errors.DataDependentShapeError, vmap(np.trim_zeros), XS)
    says(msg, "autovec.numpy.where(x != 0, x, fill)", "outside vmap")
    same(
        vmap(lambda x: anp.where(x != 0, x, -1.0))(XS),
        loop(lambda x: np.where(x != 0, x, -1.0), XS),
    )
    assert [np.trim_zeros(r).tolist() for r in vmap(lambda x: x * 1)(XS)] == [
        np.trim_zeros(r).tolist() for r in XS
    ]


def test_where_with_one_argument_advice():
    msg = message(errors.DataDependentShapeError, vmap(lambda x: np.where(x > 1)[0]), XS)
    says(msg, "where(condition, x, y) with three arguments")
    same(vmap(lambda x: np.where(x > 1, x, 0.0))(XS), loop(lambda x: np.where(x > 1, x, 0.0), XS))


def test_repeat_with_batched_repeats_advice():
    # Eager vmap splits the batch by the result's length: examples of unequal lengths cannot
    # be stacked (nor can the loop's results), equal ones give the loop's result.
    message(errors.SplitOutputMismatchError, vmap(np.repeat), XS, IS)
    equal = np.array([[1, 1, 1], [3, 0, 0], [0, 2, 1]])
    same(vmap(np.repeat)(XS, equal), loop(np.repeat, XS, equal))
    message(errors.ConcretizationTypeError, jit(vmap(np.repeat), fallback="error"), XS, IS)
    same(vmap(np.repeat, in_axes=(0, None))(XS, 2), loop(np.repeat, XS, 2, in_axes=(0, None)))


def test_arange_with_a_batched_stop_advice():
    f = lambda n: anp.arange(n)  # noqa: E731
    # Eager vmap splits the batch by n (the examples' lengths then differ: the loop's
    # np.stack fails too); compiled, the advice stays.
    msg = message(
        errors.ConcretizationTypeError, jit(vmap(f), fallback="error"), np.array([2, 3, 1])
    )
    says(msg, "fixed-length arange and mask with autovec.numpy.where")
    ns = np.array([2, 3, 1])
    got = vmap(lambda n: anp.where(np.arange(3) < n, np.arange(3), -1))(ns)
    same(got, loop(lambda n: np.where(np.arange(3) < n, np.arange(3), -1), ns))


def test_histogram_bins_advice():
    msg = message(
        errors.DataDependentShapeError, vmap(lambda x: np.histogram(x, bins="auto")[0]), XS
    )
    says(msg, "bins as an int (with range=(lo, hi))", "array of edges")
    f = lambda x: np.histogram(x, bins=4, range=(0.0, 6.0))[0]  # noqa: E731
    same(vmap(f)(XS), loop(f, XS))
    edges = np.array([0.0, 1.0, 3.0, 7.0])
    same(
        vmap(lambda x: np.histogram(x, bins=edges)[0])(XS),
        loop(lambda x: np.histogram(x, bins=edges)[0], XS),
    )


def test_bincount_minlength_advice():
    msg = message(errors.DataDependentShapeError, vmap(np.bincount), IS)
    says(msg, "minlength")
    f = lambda i: np.bincount(i, minlength=3)  # noqa: E731
    same(vmap(f)(IS), loop(f, IS))
    msg = message(errors.DataDependentShapeError, vmap(lambda i: np.bincount(i, minlength=2)), IS)
    says(msg, "pass a larger minlength")


def test_roots_advice():
    p = np.array([[1.0, -3.0, 2.0], [1.0, 0.0, -1.0], [2.0, -2.0, 0.0]])
    msg = message(errors.DataDependentShapeError, vmap(np.roots, fallback="error"), p)
    says(msg, "roots(p, strip_zeros=False)")
    got = vmap(lambda q: anp.roots(q, strip_zeros=False))(p)
    for g, q in zip(got, p):
        np.testing.assert_allclose(np.sort_complex(g), np.sort_complex(np.roots(q).astype(complex)))


# ------------------------------------------------------------- other unsupported forms


def test_out_argument_advice():
    # (a ufunc's out= a plain array runs as the loop: test_ufunc_out_plain_array_runs_as_the_loop)
    g = lambda x: np.round(x, out=np.empty(3))  # noqa: E731
    says(message(errors.UnsupportedOperationError, vmap(g), XS), "use the return value")
    same(vmap(np.round)(XS), np.round(XS))


def test_where_keyword_of_a_ufunc_advice():
    f = lambda x: np.sqrt(x, where=x > 1)  # noqa: E731
    msg = message(errors.UnsupportedOperationError, vmap(f), XS)
    says(msg, "autovec.numpy.where for masking")
    same(vmap(lambda x: anp.where(x > 1, np.sqrt(x), x))(XS), np.where(XS > 1, np.sqrt(XS), XS))


def test_pad_with_a_callable_mode_advice():
    def mode(vector, pad_width, iaxis, kwargs):
        vector[: pad_width[0]] = 0
        vector[len(vector) - pad_width[1] :] = 0

    msg = message(errors.UnsupportedOperationError, vmap(lambda x: np.pad(x, 1, mode)), XS)
    says(msg, "named modes")
    same(vmap(lambda x: np.pad(x, 1, "constant"))(XS), loop(lambda x: np.pad(x, 1, mode), XS))


def test_boolean_scalar_index_advice():
    # x[True] alone works; beside an integer array the placement rules are not supported.
    same(vmap(lambda x: x[True])(XS), loop(lambda x: x[True], XS))
    idx = np.array([0, 2])
    msg = message(errors.UnsupportedOperationError, vmap(lambda x: x[True, idx]), XS)
    says(msg, "x[i] gives the same values")
    same(vmap(lambda x: x[idx])(XS), loop(lambda x: x[True, idx], XS))


def test_asarray_chkfinite_advice():
    msg = message(errors.UnsupportedOperationError, vmap(anp.asarray_chkfinite), XS)
    says(msg, "autovec.numpy.asarray(a)", "numpy.isfinite(result).all()")
    result = vmap(anp.asarray)(XS)
    assert np.isfinite(result).all()
    same(result, XS)


def test_real_if_close_advice():
    z = XS + 0j
    msg = message(errors.UnsupportedOperationError, vmap(np.real_if_close), z)
    says(msg, "autovec.numpy.real(a)")
    same(vmap(anp.real)(z), loop(np.real_if_close, z))


def test_view_advice():
    msg = message(errors.UnsupportedOperationError, vmap(lambda x: x.view(np.int64)), XS)
    says(msg, ".astype(dtype)", "use x itself")
    same(vmap(lambda x: x.astype(np.int64))(XS), XS.astype(np.int64))
    same(vmap(lambda x: x)(XS), loop(lambda x: x.view(), XS))


def test_complex_real_and_imag_assignment_runs_as_the_loop():
    z = XS + 1j * XS[::-1]
    z[0, 0] = complex(np.inf, -0.0)

    def set_real(x):
        y = x.copy()
        y.real = 5.0
        return y

    def set_imag(x):
        y = x.copy()
        y.imag = -1.0
        return y

    def set_parts(x, v):
        y = x.copy()
        y.real = v  # per-example parts, infinite and -0.0 ones kept
        y.imag = -v
        return y

    for fun in (set_real, set_imag):
        same(vmap(fun)(z), loop(fun, z))
        same(jit(vmap(fun))(z), loop(fun, z))
    v = XS.copy()
    v[1, 1], v[2, 2] = -0.0, np.inf
    want = np.stack([set_parts(a, b) for a, b in zip(z, v)])
    got = vmap(set_parts)(z, v)
    same(got, want)
    np.testing.assert_array_equal(np.signbit(got.imag), np.signbit(want.imag))


def test_dtype_assignment_and_flat_attribute_advice():
    def set_dtype(x):
        y = x.copy()
        y.dtype = np.int64
        return y

    says(message(errors.UnsupportedOperationError, vmap(set_dtype), XS), "x = x.astype(new_dtype)")
    same(vmap(lambda x: x.astype(np.int64))(XS), XS.astype(np.int64))
    msg = message(errors.UnsupportedOperationError, vmap(lambda x: x.flat.coords), XS)
    says(msg, "x.ravel()")
    same(vmap(lambda x: x.ravel()[1:])(XS), loop(lambda x: x.flat[1:], XS))


def test_round_of_an_array_advice():
    says(message(errors.UnsupportedOperationError, vmap(round), XS), "np.round(x)")
    same(vmap(np.round)(XS / 3), np.round(XS / 3))
    same(vmap(lambda x: x.round(1))(XS / 3), np.round(XS / 3, 1))


def test_pickling_a_traced_value_advice():
    msg = message(errors.UnsupportedOperationError, vmap(lambda x: pickle.dumps(x)), XS)
    says(msg, "pickle the result")
    assert np.array_equal(pickle.loads(pickle.dumps(vmap(lambda x: x * 2)(XS))), XS * 2)


def test_foreign_ufunc_advice():
    twice = np.frompyfunc(lambda a: a * 2, 1, 1)
    plus = np.frompyfunc(lambda a, b: a + b, 2, 1)
    # Called on the whole batch (a ufunc is elementwise): the loop's result.
    got = vmap(lambda x: twice(x))(XS)
    assert got.dtype == object
    same(got.astype(float), XS * 2)
    # Its reductions are not elementwise: refused with advice.
    msg = message(errors.ForeignUfuncError, vmap(lambda x: plus.reduce(x)), XS)
    says(msg, "call it outside the transformed function", "autovec.numpy")


def test_function_without_an_implementation_advice():
    f = lambda x: np.lib.stride_tricks.sliding_window_view(x, 2)  # noqa: E731
    msg = message(errors.UnsupportedOperationError, vmap(f), XS)
    says(msg, "the autovec.numpy functions can be combined")
    composed = lambda x: anp.stack([x[:-1], x[1:]], axis=-1)  # noqa: E731
    same(vmap(composed)(XS), loop(f, XS))


def test_subclass_input_advice():
    m = np.asmatrix(XS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        msg = message(errors.UnsupportedInputError, vmap(lambda x: x * 2), m)
    says(msg, "np.asarray(x)")
    same(vmap(lambda x: x * 2)(np.asarray(m)), XS * 2)


def test_structured_field_advice():
    st = np.zeros(3, dtype=[("a", "f8"), ("b", "f8")])
    st["a"], st["b"] = XS[:, 0], XS[:, 1]
    f = lambda x: x["a"] * x["b"]  # noqa: E731
    msg = message(errors.UnsupportedOperationError, vmap(f), st)
    says(msg, "{name: x[name] for name in x.dtype.names}")
    same(vmap(f)({name: st[name] for name in st.dtype.names}), XS[:, 0] * XS[:, 1])


def test_object_scalar_output_under_jit_advice():
    from fractions import Fraction

    f = lambda x: (x * Fraction(1, 2)).sum()  # noqa: E731
    msg = message(errors.UnsupportedOperationError, jit(vmap(f)), XS)
    says(msg, ".astype(float)", "without jit")
    same(jit(vmap(lambda x: f(x).astype(float)))(XS), loop(f, XS))
    same(vmap(f)(XS), loop(f, XS))


def test_pytree_dict_keys_advice():
    msg = message(TypeError, vmap(lambda d: d[1] + d["a"]), {1: XS, "a": XS})
    says(msg, "keys of one type")
    same(vmap(lambda d: d["1"] + d["a"])({"1": XS, "a": XS}), XS * 2)


# ------------------------------------------------------------------------- error types


@pytest.mark.parametrize(
    "in_axes",
    [True, np.array(0), {"a": 0}, (True,), (np.int64(0), np.array([0])), 0.5, "0"],
    ids=repr,
)
def test_bad_in_axes_leaves_are_type_errors_as_in_jax(in_axes):
    with pytest.raises(TypeError) as info:
        vmap(lambda a: a, in_axes=in_axes)({"a": XS} if isinstance(in_axes, dict) else XS)
    assert isinstance(info.value, errors.InAxesStructureError)


@pytest.mark.parametrize("out_axes", [True, np.array(0), 0.5], ids=repr)
def test_bad_out_axes_leaves_are_type_errors_as_in_jax(out_axes):
    with pytest.raises(TypeError):
        vmap(lambda a: a, out_axes=out_axes)(XS)


def test_structure_mismatches_stay_value_errors():
    with pytest.raises(ValueError):
        vmap(lambda a, b: a, in_axes=(0,))(XS, XS)


@pytest.mark.parametrize(
    "static", [[1, 2], {"a": 1}, {1}, np.ones(2)], ids=lambda v: type(v).__name__
)
def test_unhashable_static_argument_is_a_value_error_as_in_jax(static):
    f = jit(lambda x, s: x, static_argnums=1)
    with pytest.raises(ValueError) as info:
        f(XS, static)
    assert isinstance(info.value, errors.NonHashableStaticArgumentError)
    assert isinstance(info.value, errors.UnsupportedOperationError)  # as before
    g = jit(lambda x, *, s: x, static_argnames="s")
    with pytest.raises(ValueError, match=re.escape(type(static).__name__)):
        g(XS, s=static)
