"""Every mistake of issue 2 item 6, made as a new user would make it: the exception type (from
``autovec.errors``) and what its message says.  Then junk inputs: whatever the mistake,
autovec raises an error of the type NumPy raises for the same call (or a specific autovec
error), never an internal AttributeError/KeyError/AssertionError and never a wrong answer.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import autovec
import autovec.numpy as anp
from autovec import errors, vmap

X = np.arange(6.0).reshape(2, 3)


def raises(exc_type, fun, *args, **kwargs) -> str:
    """Call ``fun``; it must raise ``exc_type``; return the message."""
    with pytest.raises(exc_type) as info:
        fun(*args, **kwargs)
    return str(info.value)


def outcome(fun, *args):
    """What ``fun(*args)`` gives: its result (as lists), or the type of what it raised."""
    try:
        out = fun(*args)
    except Exception as e:  # noqa: BLE001 - compared with another call's
        return type(e)
    return np.asarray(out).tolist()


def strict_jit(fun):
    """jit that raises where it cannot compile, instead of running ``fun`` uncompiled."""
    return autovec.jit(fun, fallback="error")


def runs_uncompiled(fun, *args):
    """jit of ``fun`` gives what ``fun`` gives (it cannot compile it) and says why, once."""
    with pytest.warns(errors.JitFallbackWarning, match="autovec.cond"):
        got = outcome(autovec.jit(fun), *args)
    assert got == outcome(fun, *args)


# ----------------------------------------------------------------- mismatched batch sizes


def test_mismatched_batch_sizes_name_argument_shape_and_sizes():
    def loss(weights, inputs):
        return inputs * weights

    msg = raises(errors.BatchSizeMismatchError, vmap(loss), np.ones((2, 3)), np.ones((5, 3)))
    assert "argument 0 (weights)" in msg and "argument 1 (inputs)" in msg
    assert "(2, 3)" in msg and "(5, 3)" in msg
    assert "[2, 5]" in msg  # the sizes seen
    assert "in_axes=None" in msg  # what to do for shared arguments
    assert isinstance(errors.BatchSizeMismatchError("x"), ValueError)


def test_mismatched_batch_sizes_name_the_pytree_path():
    params = {"w": np.ones((4, 3)), "b": [np.ones(4), np.ones((3, 7))]}
    msg = raises(errors.BatchSizeMismatchError, vmap(lambda p: p["w"]), params)
    assert "['b'][1]" in msg and "(3, 7)" in msg and "size 3" in msg
    assert "['w']" in msg and "size 4" in msg


def test_mismatched_batch_sizes_with_in_axes_and_keywords():
    msg = raises(
        errors.BatchSizeMismatchError,
        vmap(lambda a, b, *, c: a + b + c, in_axes=(1, None)),
        np.ones((2, 3)),
        np.ones(3),
        c=np.ones((4, 3)),
    )
    assert "axis 1 has size 3" in msg and "keyword argument 'c'" in msg and "size 4" in msg
    assert "argument 1" not in msg  # unbatched arguments are not blamed


def test_axis_size_that_disagrees_with_the_arguments():
    msg = raises(errors.BatchSizeMismatchError, vmap(lambda a: a, axis_size=5), X)
    assert "axis_size=5" in msg and "size 2" in msg


# ---------------------------------------------------------------------- axes out of range


@pytest.mark.parametrize("axis", [2, -3, 7])
def test_in_axis_out_of_range_names_the_rank(axis):
    msg = raises(errors.BatchAxisError, vmap(lambda v: v, in_axes=axis), X)
    assert f"in_axes {axis}" in msg and "2-d" in msg and "(2, 3)" in msg and "-2..1" in msg
    assert isinstance(errors.BatchAxisError("x"), ValueError)


def test_mapping_a_scalar_says_to_use_none():
    msg = raises(errors.BatchAxisError, vmap(lambda a, s: a * s), X, 2.0)
    assert "argument 1 (s)" in msg and "in_axes=None" in msg


def test_tutorial_axis_error_one_d_arrays_have_no_axis_1():
    def conv(x, w):
        return np.convolve(x, w, mode="valid")

    x, w = np.arange(5.0), np.array([2.0, 3.0, 4.0])
    msg = raises(errors.BatchAxisError, vmap(conv, in_axes=(0, 1)), x, w)
    assert "argument 1 (w)" in msg and "in_axes 1" in msg and "1-d" in msg


def test_out_axis_out_of_range():
    msg = raises(errors.BatchAxisError, vmap(lambda v: {"s": v.sum()}, out_axes=2), X)
    assert "out_axes 2" in msg and "['s']" in msg and "-1..0" in msg


# ------------------------------------------------------------------- in_axes structure


def test_in_axes_tuple_of_the_wrong_length():
    msg = raises(errors.InAxesStructureError, vmap(lambda a, b: a, in_axes=(0,)), X, X)
    assert "length 1" in msg and "2 positional" in msg


def test_in_axes_tree_that_does_not_match_the_argument():
    f = vmap(lambda p: p["a"], in_axes=({"a": 0, "c": None},))
    msg = raises(errors.InAxesStructureError, f, {"a": X, "b": X})
    assert "['a', 'c']" in msg and "['a', 'b']" in msg and "[0]" in msg
    f = vmap(lambda p: p[0], in_axes=([0, 0, 0],))
    msg = raises(errors.InAxesStructureError, f, [X, X])
    assert "length 3" in msg and "length 2" in msg
    f = vmap(lambda p: p, in_axes=({"a": 0},))
    msg = raises(errors.InAxesStructureError, f, X)
    assert "dict" in msg and "ndarray" in msg


def test_in_axes_dict_at_top_level_says_to_wrap_it():
    msg = raises(errors.InAxesStructureError, vmap(lambda p: p, in_axes={"a": 0}), {"a": X})
    assert "in_axes=({...},)" in msg


@pytest.mark.parametrize("bad", ["0", 1.0, True, [0, "x"], {0}, (0, 0.5)])
def test_in_axes_entries_that_are_not_ints_fail_when_vmap_is_called(bad):
    msg = raises(errors.InAxesStructureError, vmap, lambda *a: a, in_axes=bad)
    assert "int or None" in msg


@pytest.mark.parametrize("bad", ["x", 1.5, (0, False)])
def test_out_axes_entries_that_are_not_ints(bad):
    msg = raises(errors.InAxesStructureError, vmap, lambda a: a, out_axes=bad)
    assert "out_axes" in msg and "int or None" in msg


def test_out_axes_tree_that_does_not_match_the_output():
    msg = raises(errors.InAxesStructureError, vmap(lambda v: (v, v), out_axes=(0, 0, 0)), X)
    assert "out_axes" in msg and "length 3" in msg and "length 2" in msg
    msg = raises(errors.InAxesStructureError, vmap(lambda v: {"a": v}, out_axes={"b": 0}), X)
    assert "['b']" in msg and "['a']" in msg


# ----------------------------------------------------------------------- axis_size


def test_every_axis_none_without_axis_size():
    msg = raises(errors.AxisSizeError, vmap(lambda a: a, in_axes=None), X)
    assert "axis_size" in msg
    msg = raises(errors.AxisSizeError, vmap(lambda: 1.0))
    assert "axis_size" in msg
    assert isinstance(errors.AxisSizeError("x"), ValueError)


@pytest.mark.parametrize("bad", ["3", -1, 2.0, True, None.__class__])
def test_axis_size_junk(bad):
    msg = raises(errors.AxisSizeError, vmap, lambda a: a, in_axes=None, axis_size=bad)
    assert "axis_size" in msg and "non-negative" in msg


# ------------------------------------------------------------------------ out_axes=None


def test_out_axes_none_for_a_batched_output():
    msg = raises(errors.OutAxesError, vmap(lambda v: (v.sum(), 1.0), out_axes=None), X)
    assert "out_axes=None" in msg and "[0]" in msg and "depends on the batch" in msg
    msg = raises(errors.OutAxesError, vmap(lambda v: v, out_axes=None), X)
    assert "the output" in msg


# ------------------------------------------------------ Python control flow on batched values

CONTROL_FLOW = {
    "if": (lambda v: v if v.sum() > 0 else -v, errors.TracerBoolConversionError),
    "bool": (lambda v: bool(v[0]), errors.TracerBoolConversionError),
    "while": (lambda v: _while(v), errors.TracerBoolConversionError),
    "and": (lambda v: v[0] > 0 and v[1] > 0, errors.TracerBoolConversionError),
    "not": (lambda v: not v[0], errors.TracerBoolConversionError),
    "in": (lambda v: 1.0 in v, errors.TracerBoolConversionError),
    "builtin_max": (lambda v: max(v[0], v[1]), errors.TracerBoolConversionError),
    "float": (lambda v: float(v[0]), errors.ConcretizationTypeError),
    "int": (lambda v: int(v[0]), errors.TracerIntegerConversionError),
    "complex": (lambda v: complex(v[0]), errors.ConcretizationTypeError),
    "item": (lambda v: v[0].item(), errors.ConcretizationTypeError),
    "tolist": (lambda v: v.tolist(), errors.ConcretizationTypeError),
    "math": (lambda v: __import__("math").exp(v[0]), errors.ConcretizationTypeError),
    "range": (lambda v: list(range(v[0].astype(int))), errors.TracerIntegerConversionError),
    "as_index": (lambda v: v[: v[0].astype(int)], errors.TracerIntegerConversionError),
    "format": (lambda v: f"{v.sum():.3f}", errors.ConcretizationTypeError),
}


def _while(v):
    while v.sum() < 100:
        v = v * 2
    return v


@pytest.mark.parametrize("name", sorted(CONTROL_FLOW))
def test_python_control_flow_on_a_batched_value_points_to_where(name):
    # Eager vmap splits the batch there (tests/test_split.py); jit cannot compile it, and runs
    # the vmap uncompiled; with fallback="error" jit raises the error tracing met.
    fun, exc = CONTROL_FLOW[name]
    runs_uncompiled(vmap(fun), X)
    msg = raises(exc, strict_jit(vmap(fun)), X)
    assert "autovec.numpy.where" in msg
    assert "batched by vmap" in msg
    assert issubclass(exc, errors.ConcretizationTypeError) and issubclass(exc, TypeError)
    if exc is not errors.ConcretizationTypeError:  # bool, int, index: the structured loop too
        assert "autovec.while_loop" in msg
    if exc is errors.TracerBoolConversionError:
        assert "autovec.cond" in msg


def test_bool_of_an_unbatched_value_inside_vmap_is_fine():
    # Only batched values lack a single value: a closed-over or in_axes=None one has it.
    def f(v, threshold):
        return v * 2 if threshold > 0 else v

    np.testing.assert_array_equal(vmap(f, in_axes=(0, None))(X, 1.0), X * 2)


# ------------------------------------------------------ building plain ndarrays from tracers


# Eager vmap continues per lane there (tests/test_split.py); fallback="error" raises instead.


def test_np_array_of_a_list_of_tracers_points_to_autovec_numpy():
    msg = raises(
        errors.TracerArrayConversionError,
        vmap(lambda v: np.array([v[0], v[1]]), fallback="error"),
        X,
    )
    assert "autovec.numpy.array" in msg and "autovec.numpy.stack" in msg
    # ... and the call it points to works.
    got = vmap(lambda v: anp.array([v[0], v[1]]))(X)
    np.testing.assert_array_equal(got, X[:, :2])


def test_np_asarray_of_a_tracer():
    msg = raises(
        errors.TracerArrayConversionError, vmap(lambda v: np.asarray(v) + 1, fallback="error"), X
    )
    assert "autovec.numpy" in msg
    assert isinstance(errors.TracerArrayConversionError("x"), TypeError)


def test_writing_a_tracer_row_into_a_plain_ndarray():
    def fill(v):
        out = np.zeros((2, 3))
        out[0] = v
        return out

    msg = raises(errors.TracerArrayConversionError, vmap(fill, fallback="error"), X)
    assert "out[i] = value" in msg and "autovec.numpy.stack" in msg


def test_writing_a_tracer_element_into_a_plain_ndarray():
    # NumPy converts with float()/int() here and replaces whatever error that raises with its
    # own ValueError, keeping ours as the cause: vmap makes ours the primary error again.
    def fill(v):
        out = np.zeros(3)
        out[0] = v[1]
        return out

    with pytest.raises(errors.TracerArrayConversionError) as info:
        vmap(fill, fallback="error")(X)
    assert "out[i] = value" in str(info.value) and "autovec.numpy.stack" in str(info.value)


def test_indexing_a_plain_table_with_a_batched_index_points_to_getitem():
    # Eager vmap splits by index value there; compiled (fallback="error"), an error.
    table = np.arange(10.0)
    runs_uncompiled(vmap(lambda i: table[i]), np.array([1, 2]))
    msg = raises(
        errors.TracerArrayConversionError,
        strict_jit(vmap(lambda i: table[i])),
        np.array([1, 2]),
    )
    assert "autovec.numpy.getitem(table, i)" in msg
    got = vmap(lambda t, i: anp.getitem(t, i), in_axes=(None, 0))(table, np.array([1, 2]))
    np.testing.assert_array_equal(got, [1.0, 2.0])


# --------------------------------------------------------------------- escaped tracers


def test_an_escaped_tracer_used_later():
    leaked = []

    def f(v):
        leaked.append(v)
        return v * 2

    vmap(f)(X)
    (t,) = leaked
    for use in (
        lambda: t + 1,
        lambda: np.sin(t),
        lambda: anp.sum(t),
        lambda: t.reshape(3, 1),
        lambda: vmap(lambda v: v + t)(X),
        lambda: vmap(lambda v: t)(X),
        lambda: vmap(vmap(lambda v: v * t))(X[None]),
    ):
        msg = raises(errors.UnexpectedTracerError, use)
        assert "escaped" in msg and "Return the value" in msg
    assert "f64[3]" in repr(t)  # looking at it is fine


def test_a_tracer_escaped_from_an_inner_vmap():
    leaked = []

    def inner(v):
        leaked.append(v)
        return v

    def outer(v):
        vmap(inner)(v[None])
        return v + leaked[-1]  # the inner vmap has returned: its tracer is dead

    raises(errors.UnexpectedTracerError, vmap(outer), X)


# ------------------------------------------------------------- unsupported NumPy functions


def _unsupported_numpy_function():
    """A NumPy function autovec does not implement (colleagues keep adding functions, so
    pick the first of several that is still missing)."""
    candidates = [
        (np.packbits, lambda v: np.packbits(v > 0)),
        (np.unpackbits, lambda v: np.unpackbits(v.astype(np.uint8))),
        (np.apply_along_axis, lambda v: np.apply_along_axis(np.sum, 0, v)),
        (np.piecewise, lambda v: np.piecewise(v, [v > 0], [1.0, 0.0])),
        (np.busday_count, lambda v: np.busday_count(v.astype("datetime64[D]"), v)),
        (np.polyfit, lambda v: np.polyfit(v, v, 1)),
        (np.histogram, lambda v: np.histogram(v)),
    ]
    for f, call in candidates:
        if anp.lookup_numpy_function(f.__module__, f.__name__) is None:
            return f, call
    pytest.skip("every candidate is implemented now")


def test_a_numpy_function_without_an_implementation_is_named():
    f, call = _unsupported_numpy_function()
    msg = raises(errors.UnsupportedOperationError, vmap(call), X)
    assert f.__name__ in msg and "batched by vmap" in msg
    assert isinstance(errors.UnsupportedOperationError("x"), TypeError)


def test_a_ufunc_without_an_implementation_is_named():
    msg = raises(errors.UnsupportedOperationError, vmap(lambda v: np.isnat(v)), X)
    assert "numpy.isnat" in msg
    msg = raises(errors.UnsupportedOperationError, vmap(lambda v: np.add.reduceat(v, [0, 1])), X)
    assert "numpy.add.reduceat" in msg


def test_ufunc_keywords_that_write_into_arrays():
    # A plain out= array needs the value now, as buf[i] = v does: eager vmap runs on as the
    # loop would; compiled, or with fallback="error", a specific error.
    f = lambda v: np.sin(v, out=np.zeros(3))  # noqa: E731
    np.testing.assert_array_equal(vmap(f, fallback="loop")(X), np.stack([f(x) for x in X]))
    raises(errors.TracerArrayConversionError, vmap(f, fallback="error"), X)
    raises(errors.TracerArrayConversionError, strict_jit(vmap(f)), X)
    runs_uncompiled(vmap(f, fallback="loop"), X)
    msg = raises(errors.UnsupportedOperationError, vmap(lambda v: anp.sum(v, out=np.zeros(()))), X)
    assert "out" in msg


def test_a_batched_boolean_mask_and_data_dependent_shapes():
    # Eager vmap splits the batch by the mask, as the loop would; examples whose results
    # differ in shape cannot be stacked, in the loop either.
    raises(errors.SplitOutputMismatchError, vmap(lambda v: v[v > 1]), X)
    # Compiled there is no value to split on: the error says what keeps the shape (jit's
    # default runs the vmap uncompiled instead).
    strict = lambda f: strict_jit(vmap(f))  # noqa: E731
    runs_uncompiled(vmap(lambda v: v[v > 1]), X)
    msg = raises(errors.DataDependentShapeError, strict(lambda v: v[v > 1]), X)
    assert "autovec.numpy.where" in msg
    msg = raises(errors.DataDependentShapeError, strict(lambda v: np.where(v > 1)), X)
    assert "three" in msg
    # (eager vmap splits the batch by the size; compiled, it stays an error)
    msg = raises(errors.ConcretizationTypeError, strict(lambda v: anp.arange(v[0])), X)
    assert "arange" in msg
    msg = raises(errors.ConcretizationTypeError, strict(lambda v: anp.zeros(v[0])), X)
    assert "shape" in msg


# --------------------------------------------------------------------- junk from users


@pytest.mark.parametrize(
    ("arg", "kind"),
    [("abc", "str"), (object(), "object"), ({"a": X, "b": "s"}, "str"), ([X, None, X], None)],
)
def test_junk_arguments_to_a_vmapped_function(arg, kind):
    f = vmap(lambda a: a)
    if kind is None:  # None is an empty pytree node, like JAX: nothing to complain about
        assert f(arg)[1] is None
        return
    msg = raises(errors.BatchAxisError, f, arg)
    assert f"is a {kind}" in msg and "not an array" in msg and "in_axes=None" in msg


def test_junk_instead_of_a_function():
    assert "callable" in raises(TypeError, vmap, 3)
    assert "callable" in raises(TypeError, vmap, "np.sin")


def test_calling_with_the_wrong_arguments_is_pythons_error():
    raises(TypeError, vmap(lambda a: a), X, X)
    raises(TypeError, vmap(lambda a: a), X, b=X)


JUNK = {
    "sum_axis_str": lambda xp, a: xp.sum(a, axis="x"),
    "sum_axis_float": lambda xp, a: xp.sum(a, axis=1.5),
    "sum_axis_oor": lambda xp, a: xp.sum(a, axis=1),
    "reshape_str": lambda xp, a: xp.reshape(a, "ab"),
    "reshape_bad_size": lambda xp, a: a.reshape(2, 2),
    "reshape_two_unknown": lambda xp, a: a.reshape(-1, -1),
    "transpose_str": lambda xp, a: xp.transpose(a, "x"),
    "transpose_dup": lambda xp, a: xp.transpose(a[None], (0, 0)),
    "concat_1d": lambda xp, a: xp.concatenate(a),
    "concat_str": lambda xp, a: xp.concatenate([a, "x"]),
    "concat_axis_oor": lambda xp, a: xp.concatenate([a, a], axis=1),
    "stack_ragged": lambda xp, a: xp.stack([a, a[:2]]),
    "stack_empty": lambda xp, a: xp.stack([]) + a,
    "dot_str": lambda xp, a: xp.dot(a, "x"),
    "dot_mismatch": lambda xp, a: xp.dot(a, a[:2]),
    "matmul_none": lambda xp, a: xp.matmul(a, None),
    "matmul_scalar": lambda xp, a: xp.matmul(a, 2.0),
    "matmul_mismatch": lambda xp, a: a @ a[:2],
    "vdot_mismatch": lambda xp, a: xp.vdot(a, a[:2]),
    "inner_mismatch": lambda xp, a: xp.inner(a, a[:2]),
    "outer_none": lambda xp, a: xp.outer(a, None),
    "tensordot_str": lambda xp, a: xp.tensordot(a, a, axes="x"),
    "einsum_int": lambda xp, a: xp.einsum(3, a),
    "einsum_rank": lambda xp, a: xp.einsum("ij", a),
    "einsum_bad_char": lambda xp, a: xp.einsum("i$", a),
    "clip_str": lambda xp, a: xp.clip(a, "x", 1),
    "expand_str": lambda xp, a: xp.expand_dims(a, "x"),
    "squeeze_not_one": lambda xp, a: xp.squeeze(a, 0),
    "moveaxis_oor": lambda xp, a: xp.moveaxis(a, 0, 5),
    "swapaxes_oor": lambda xp, a: xp.swapaxes(a, 0, 3),
    "flip_oor": lambda xp, a: xp.flip(a, 2),
    "broadcast_bad": lambda xp, a: xp.broadcast_to(a, (2,)),
    "astype_junk": lambda xp, a: a.astype("notadtype"),
    "linspace_num_str": lambda xp, a: xp.linspace(a[0], a[1], "x"),
    "zeros_str": lambda xp, a: xp.zeros("x") + a,
    "ones_like_junk_dtype": lambda xp, a: xp.ones_like(a, dtype="junk"),
    "eye_str": lambda xp, a: xp.eye("x") + a[0],
    "full_shape_str": lambda xp, a: xp.full("ab", a[0]),
    "convolve_empty": lambda xp, a: xp.convolve(a, np.zeros(0)),
    "convolve_mode": lambda xp, a: xp.convolve(a, a, mode="bogus"),
    "convolve_2d": lambda xp, a: xp.convolve(a[None], a),
    "argmax_oor": lambda xp, a: xp.argmax(a, axis=3),
    "mean_dup_axis": lambda xp, a: xp.mean(a, axis=(0, 0)),
    "sin_two_args": lambda xp, a: xp.sin(a, "x"),
    "add_one_arg": lambda xp, a: xp.add(a),
    "where_two_args": lambda xp, a: xp.where(a > 0, a),
    "neg_str": lambda xp, a: xp.negative("x") + a,
    "add_str": lambda xp, a: a + "x",
    "add_none": lambda xp, a: a + None,
    "mul_object": lambda xp, a: a * object(),
    "pow_str": lambda xp, a: a ** "x",
    "mod_str": lambda xp, a: a % "x",
    "divmod_str": lambda xp, a: divmod(a, "x"),
    "broadcast_mismatch": lambda xp, a: a + np.ones(4),
    "uint8_overflow": lambda xp, a: a.astype(np.uint8) + 300,
    "index_float": lambda xp, a: a[1.5],
    "index_str": lambda xp, a: a["x"],
    "index_too_many": lambda xp, a: a[0, 0],
    "index_oob": lambda xp, a: a[5],
    "index_oob_array": lambda xp, a: a[np.array([0, 7])],
    "index_two_ellipsis": lambda xp, a: a[..., ...],
    "index_float_array": lambda xp, a: a[np.array([0.5])],
    "index_mask_wrong_length": lambda xp, a: a[np.array([True, False])],
    "len_0d": lambda xp, a: len(a[0]),
    "iter_0d": lambda xp, a: list(a[0]),
    "hash": lambda xp, a: {a: 1},
}


def _builtin_base(exc: BaseException) -> type:
    for t in type(exc).__mro__:
        if t.__module__ == "builtins":
            return t
    raise AssertionError(exc)


@pytest.mark.parametrize("xp", [anp, np], ids=["autovec.numpy", "numpy"])
@pytest.mark.parametrize("name", sorted(JUNK))
def test_junk_calls_raise_what_numpy_raises(name, xp):
    fun = JUNK[name]
    example = np.arange(3.0)
    with pytest.raises(Exception) as np_info:
        fun(np, example)
    want = _builtin_base(np_info.value)
    with pytest.raises(Exception) as info:
        vmap(lambda a: fun(xp, a))(np.stack([example, example + 1]))
    got = info.value
    assert isinstance(got, (want, errors.AutovecError)), (type(got), want, got)
    assert not isinstance(got, (AttributeError, KeyError, AssertionError, UnboundLocalError))
    assert str(got), "an error must say something"
    if xp is anp:  # the same junk eagerly: NumPy's error type too
        with pytest.raises(Exception) as eager:
            fun(anp, example)
        assert isinstance(eager.value, want), (type(eager.value), want)


def test_out_of_range_index_names_the_example_axis():
    # The batched computation indexes axis 1 of the batch; the message counts as NumPy does
    # for one example.
    for f in (lambda a: a[5], lambda a: a[np.array([0, -4])], lambda a: a[None, ..., 3]):
        msg = raises(IndexError, vmap(f), X)
        assert re.search(r"index -?\d+ is out of bounds for axis 0 with size 3", msg), msg


def test_errors_module_exports_every_type():
    for name in errors.__all__:
        base = Warning if name.endswith("Warning") else errors.AutovecError
        assert issubclass(getattr(errors, name), base)
    assert autovec.errors is errors


def test_broadcast_errors_show_the_examples_shapes():
    for f, shapes in (
        (lambda a: a + np.ones(4), "(3,) (4,)"),
        (lambda a: np.where(a > 0, a, np.ones((2, 2))), "(3,) (3,) (2,2)"),
        (lambda a: vmap(lambda b: b * np.ones(5))(a[None]), "(3,) (5,)"),
    ):
        with pytest.raises(ValueError) as np_info:
            f(X[0])
        msg = raises(ValueError, vmap(f), X)
        assert msg == str(np_info.value) and shapes in msg


def test_shape_errors_inside_batching_rules_are_numpys_for_one_example():
    a3 = np.arange(24.0).reshape(2, 3, 4)
    for f in (
        lambda a: np.concatenate([a, np.ones((3, 5))], axis=0),
        lambda a: np.einsum("ij,jk->ik", a, np.ones((3, 2))),
        lambda a: vmap(lambda b: np.concatenate([b[None], np.ones((1, 5))]), in_axes=1)(a),
    ):
        with pytest.raises(ValueError) as np_info:
            f(a3[0])
        assert raises(ValueError, vmap(f), a3) == str(np_info.value)
