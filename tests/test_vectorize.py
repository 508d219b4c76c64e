"""autovec.vectorize against np.vectorize: the same calls give the same dtype, shape and values.

The first tests are the examples of NumPy's own ``np.vectorize`` docstring, each run through
both; then the options one by one; then hypothesis over shapes, broadcasting and signatures.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autovec


def same(got, want) -> None:
    """Equal results: the same tuple structure, types, dtypes, shapes and values (floats to
    the last bits, as the contract allows)."""
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            same(g, w)
        return
    assert type(got) is type(want), (type(got), type(want))
    if not isinstance(want, np.ndarray):
        assert got == want
        return
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    if want.dtype.kind in "fc":  # a batched dot may sum in another (valid) order
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    else:
        np.testing.assert_array_equal(got, want)


def both(make, *args, **kwargs):
    """Build with ``np.vectorize`` and with ``autovec.vectorize`` and compare one call."""
    want = make(np.vectorize)(*args, **kwargs)
    got = make(autovec.vectorize)(*args, **kwargs)
    same(got, want)
    return got


def myfunc(a, b):
    "Return a-b if a>b, otherwise return a+b"
    if a > b:
        return a - b
    else:
        return a + b


def mypolyval(p, x):
    _p = list(p)
    res = _p.pop(0)
    while _p:
        res = res * x + _p.pop(0)
    return res


# ------------------------------------------------------------- NumPy's docstring examples


def test_docstring_myfunc():
    out = both(lambda v: v(myfunc), [1, 2, 3, 4], 2)
    assert out.tolist() == [3, 4, 1, 2]
    assert type(out[0]) is np.int64


def test_docstring_doc_is_taken_from_the_function_unless_given():
    assert autovec.vectorize(myfunc).__doc__ == "Return a-b if a>b, otherwise return a+b"
    assert autovec.vectorize(myfunc, doc="Vectorized `myfunc`").__doc__ == "Vectorized `myfunc`"
    assert autovec.vectorize(myfunc).__name__ == "myfunc"


def test_docstring_otypes():
    out = both(lambda v: v(myfunc, otypes=[float]), [1, 2, 3, 4], 2)
    assert type(out[0]) is np.float64


def test_docstring_excluded_by_position_or_name():
    assert both(lambda v: v(mypolyval, excluded={0, "p"}), [1, 2, 3], x=[0, 1]).tolist() == [3, 6]
    assert both(lambda v: v(mypolyval, excluded={0, "p"}), p=[1, 2, 3], x=[0, 1]).tolist() == [3, 6]
    vpolyval = autovec.vectorize(mypolyval, excluded=["p"])
    vpolyval.excluded.add(0)  # NumPy's excluded is a set the user may change
    assert vpolyval([1, 2, 3], x=[0, 1]).tolist() == [3, 6]


def test_docstring_pearsonr_signature():
    stats = pytest.importorskip("scipy.stats")

    def make(v):
        return v(stats.pearsonr, signature="(n),(n)->(),()")

    r, p = both(make, [[0, 1, 2, 3]], [[1, 2, 3, 4], [4, 3, 2, 1]])
    np.testing.assert_allclose(r, [1.0, -1.0], rtol=1e-15)  # SciPy 1.15: 0.9999999999999999


def test_docstring_convolve_signature():
    out = both(lambda v: v(np.convolve, signature="(n),(m)->(k)"), np.eye(4), [1, 2, 1])
    assert out.shape == (4, 6)


def test_docstring_decorators():
    @autovec.vectorize
    def identity(x):
        return x

    same(identity([0, 1, 2]), np.array([0, 1, 2]))

    @autovec.vectorize(otypes=[float])
    def as_float(x):
        return x

    same(as_float([0, 1, 2]), np.array([0.0, 1.0, 2.0]))

    @autovec.vectorize(signature="(n)->()")
    def total(x):
        return x.sum()

    same(total(np.ones((2, 3))), np.array([3.0, 3.0]))


# -------------------------------------------------------------------------- elementwise


def test_python_scalars_give_a_0d_array():
    out = both(lambda v: v(myfunc), 1, 2)
    assert out.shape == () and isinstance(out, np.ndarray)


def test_broadcasting_of_loop_dimensions():
    both(lambda v: v(myfunc), np.arange(6).reshape(2, 3), [[1], [5]])
    both(lambda v: v(myfunc), np.arange(6.0).reshape(2, 1, 3), np.arange(4.0).reshape(4, 1))
    both(lambda v: v(myfunc), np.float32(2.5), np.arange(3, dtype=np.float32))


def test_the_first_elements_result_fixes_the_dtype():
    def half_or_zero(x):
        return x / 2 if x > 0 else 0

    both(lambda v: v(half_or_zero), [0, 3, 5])  # the first result is an int: truncated
    both(lambda v: v(half_or_zero), [3, 0, 5])  # the first result is a float


def test_python_if_on_a_large_batch():
    x = np.random.default_rng(0).standard_normal(10_000)
    both(lambda v: v(myfunc), x, 0.25)


def test_multiple_outputs():
    def divmod_(a, b):
        return a // b, a % b

    both(lambda v: v(divmod_), np.arange(10), 3)
    both(lambda v: v(divmod_, otypes="dl"), np.arange(10), 3)


def test_otypes_forms():
    both(lambda v: v(myfunc, otypes="f"), [1, 2, 3], 2)
    both(lambda v: v(myfunc, otypes=[np.int8]), [1, 2, 3], 2)
    with pytest.raises(ValueError, match="Invalid otype specified: #"):
        autovec.vectorize(myfunc, otypes="#")
    with pytest.raises(ValueError, match="Invalid otype specification"):
        autovec.vectorize(myfunc, otypes=3)


def test_otypes_int_from_float_refuses_nan_as_numpy_does():
    with np.errstate(invalid="ignore"):
        for v in (np.vectorize, autovec.vectorize):
            with pytest.raises(ValueError, match="NaN"):
                v(lambda x: x, otypes=[int])(np.array([1.5, np.nan]))


def test_size_zero_inputs():
    for v in (np.vectorize, autovec.vectorize):
        with pytest.raises(ValueError, match="size 0 inputs unless `otypes` is set"):
            v(myfunc)(np.zeros((0, 3)), 1)
    both(lambda v: v(myfunc, otypes=[float]), np.zeros((0, 3)), 1)
    both(lambda v: v(np.sum, otypes=[float], signature="(n)->()"), np.zeros((0, 3)))
    for v in (np.vectorize, autovec.vectorize):
        with pytest.raises(ValueError, match="new output dimensions"):
            v(lambda x: x, otypes=[float], signature="(n)->(m)")(np.zeros((0, 3)))


def test_no_vectorised_arguments_calls_the_function():
    both(lambda v: v(mypolyval, excluded={0, 1}), [1, 2, 3], 2)


def test_object_and_string_data_go_through_numpys_loop():
    both(lambda v: v(lambda s: s.upper()), np.array(["a", "bc"]))
    both(lambda v: v(lambda x: str(x)), [1, 22])
    out = both(lambda v: v(lambda x: x, otypes=[object]), [1, 2])
    assert out.dtype == object


def test_math_functions_run_as_the_loop():
    both(lambda v: v(lambda x: math.sqrt(x) if x > 1 else 0.0), [0.5, 4.0, 9.0])


def test_non_scalar_results_without_signature_fail_as_in_numpy():
    for v in (np.vectorize, autovec.vectorize):
        with pytest.raises(ValueError, match="sequence"):
            v(lambda x: np.array([x, x]))([1.0, 2.0])


def test_decorator_with_a_positional_non_callable_is_refused():
    for v in (np.vectorize, autovec.vectorize):
        with pytest.raises(TypeError, match="only accepts keyword arguments"):
            v(3)


def test_broadcast_mismatch_is_a_value_error():
    for v in (np.vectorize, autovec.vectorize):
        with pytest.raises(ValueError):
            v(myfunc)([1, 2], [1, 2, 3])


def test_exceptions_of_the_function_propagate():
    def checked(x):
        if x < 0:
            raise ArithmeticError("negative")
        return x

    for v in (np.vectorize, autovec.vectorize):
        with pytest.raises(ArithmeticError, match="negative"):
            v(checked)(np.array([1.0, -2.0, 3.0] * 20))


# ---------------------------------------------------------------------------- signature


def test_signatures():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 3, 5)), rng.standard_normal((3, 5))
    both(lambda v: v(np.dot, signature="(n),(n)->()"), a, b)
    both(lambda v: v(np.transpose, signature="(m,n)->(n,m)"), a)
    both(lambda v: v(lambda x: (x.min(), x.max()), signature="(n)->(),()"), a)
    both(lambda v: v(lambda x: x * 2 if x.sum() > 0 else -x, signature="(n)->(n)"), a)
    both(lambda v: v(np.dot, signature="(n),(n)->()"), b[0], b[1])  # no loop dimensions


def test_signature_errors_are_numpys():
    def check(v, sig, *args, error=ValueError):
        with pytest.raises(error) as np_err:
            np.vectorize(v, signature=sig)(*args)
        with pytest.raises(error) as our_err:
            autovec.vectorize(v, signature=sig)(*args)
        assert str(our_err.value) == str(np_err.value)

    check(np.dot, "(n),(n)->()", np.ones((2, 3)), np.ones((2, 4)))
    check(np.dot, "(n),(n)->()", np.ones(3), error=TypeError)
    check(np.sum, "(m,n)->()", np.ones(3))
    check(lambda x: x, "(n)->(),()", np.ones((2, 3)))
    check(lambda x: x[:2], "(n)->(n)", np.ones((2, 3)))
    with pytest.raises(ValueError, match="not a valid gufunc signature"):
        autovec.vectorize(np.sum, signature="(n->)")


def test_signature_output_dtype_follows_the_first_result():
    def f(x):
        return x.astype(np.int32) if x[0] > 0 else x

    both(lambda v: v(f, signature="(n)->(n)"), np.array([[1.5, 2.0], [-1.5, 2.5]]))


# --------------------------------------------------------------------------- hypothesis


shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)


@st.composite
def broadcastable(draw, n_args: int):
    shape = draw(shapes)
    out = []
    for _ in range(n_args):
        drop = draw(st.integers(0, len(shape)))
        sub = list(shape[drop:])
        for i in range(len(sub)):
            if draw(st.booleans()):
                sub[i] = 1
        out.append(tuple(sub))
    return out


@given(broadcastable(2), st.integers(0, 2**16))
def test_elementwise_matches_numpy(arg_shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.integers(-3, 4, s) for s in arg_shapes)
    both(lambda v: v(myfunc), a, b)
    both(lambda v: v(lambda x, y: (x * y, x > y), otypes="d?"), a, b)
    both(lambda v: v(myfunc, excluded={1}), a, 1)


@given(broadcastable(2), st.integers(1, 4), st.integers(0, 2**16))
def test_signature_matches_numpy(loop_shapes, n, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((*loop_shapes[0], n))
    b = rng.standard_normal((*loop_shapes[1], n))

    def f(x, y):
        d = np.dot(x, y)
        return (d, x - y) if d > 0 else (-d, x + y)

    both(lambda v: v(f, signature="(n),(n)->(),(n)"), a, b)
    both(lambda v: v(np.outer, signature="(n),(m)->(n,m)"), a, b[..., :2])


def test_float32_elements_are_computed_as_numpys_python_floats():
    a = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    both(lambda v: v(lambda x: x * x + 1 / 3 if x > 0 else x / 3), a)


def test_complex_results_for_a_float_first_result_fail_as_in_numpy():
    def f(x):
        return x if x > 0 else x * 1j

    for v in (np.vectorize, autovec.vectorize):
        with pytest.raises(TypeError):
            v(f)(np.array([1.0, -1.0] * 40))
