"""autovec.vectorize gives np.vectorize's results and errors exactly, where Python numbers and
NumPy arrays part ways: integer overflow, small ints, bools, float32, division by zero, ``**``,
complex formulas, ints beyond 2**53, NumPy scalars meeting Python numbers.

Each case runs both on the same inputs and compares the values (bit for bit, NaN included),
dtype and shape, or the exception's type and message.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autovec
from autovec import vectorize_numba


def outcome(v, f, args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return v(f, **kw)(*args)
        except Exception as e:  # noqa: BLE001
            return e


def same_outcome(f, *args, **kw) -> None:
    want = outcome(np.vectorize, f, args, **kw)
    got = outcome(autovec.vectorize, f, args, **kw)
    if isinstance(want, Exception):
        assert type(got) is type(want), (got, want)
        assert str(got) == str(want)
        return
    assert not isinstance(got, Exception), got
    wants = want if isinstance(want, tuple) else (want,)
    gots = got if isinstance(got, tuple) else (got,)
    assert len(gots) == len(wants)
    for g, w in zip(gots, wants):
        assert g.dtype == w.dtype and g.shape == w.shape, (g.dtype, w.dtype, g.shape, w.shape)
        assert g.tobytes() == w.tobytes(), (g, w)


N = 64  # above the size where autovec.vectorize hands tiny inputs to NumPy's loop

# ------------------------------------------------------------------ the named differences


def test_int64_overflow_raises_at_the_cast_as_numpy_does():
    same_outcome(lambda a, b: a * b, np.full(N, 2**62), np.full(N, 4))
    same_outcome(lambda a: a + 1, np.full(N, 2**63 - 1))
    same_outcome(lambda a: -a, np.full(N, -(2**63)))
    same_outcome(lambda a: a**3, np.arange(N) * 2**21)
    same_outcome(lambda a: a << 62, np.arange(N))


def test_overflow_that_comes_back_in_range_is_pythons():
    # Python's ints never wrap: (2**62 * 4) // 8 is 2**61, int64 arithmetic would give 0.
    same_outcome(lambda a: a * 4 // 8, np.full(N, 2**62))


def test_small_ints_compute_as_python_ints():
    same_outcome(lambda a, b: a + b, np.full(N, 100, np.int8), np.full(N, 100, np.int8))
    same_outcome(lambda a, b: a + b, np.full(N, 200, np.uint8), np.full(N, 100, np.uint8))
    same_outcome(lambda a, b: a - b, np.arange(N, dtype=np.uint8), np.full(N, 3, np.uint8))
    same_outcome(lambda a: a * 1000, np.arange(N, dtype=np.int16), otypes=[np.int16])


def test_bools_compute_as_python_bools():
    x = np.arange(N) % 3 == 0
    same_outcome(lambda a, b: a + b, x, ~x)
    same_outcome(lambda a, b: a + b + 0.5, x, x)
    same_outcome(lambda a: -a, x)
    same_outcome(lambda a: ~a, x)
    same_outcome(lambda a: (a > 0) + (a > 1) + 0.5, np.linspace(-2, 2, N))


def test_float32_computes_in_double_then_rounds():
    x = np.linspace(-3, 3, N, dtype=np.float32)
    same_outcome(lambda a: a / 3 + a * a, x)
    same_outcome(lambda a, b: a * b, x, np.float32(1 / 3))


def test_division_by_zero_raises_zero_division_error():
    x = np.linspace(-1, 1, N)
    x[5] = 0.0
    same_outcome(lambda a: 1 / a, x)
    same_outcome(lambda a: a // 0.0, x)
    same_outcome(lambda a: a % 0, np.arange(N))
    same_outcome(lambda a: 0 // a, np.arange(N))
    nan_first = np.full(N, np.nan)
    same_outcome(lambda a, b: a / b, nan_first, np.zeros(N))  # NumPy: nan, no flag


def test_zero_division_caught_by_the_function_is_pythons():
    def safe_inverse(a):
        try:
            return 1 / a
        except ZeroDivisionError:
            return -1.0

    x = np.linspace(-1, 1, N)
    x[3] = 0.0
    same_outcome(safe_inverse, x)


def test_overflow_to_inf_is_pythons():
    same_outcome(lambda a: a * 1e300, np.full(N, 1e10))  # Python: inf, no error
    same_outcome(lambda a: a**2.0, np.full(N, 1e200))  # Python: OverflowError


def test_powers_are_pythons():
    x = np.linspace(-2, 2, N)
    same_outcome(lambda a: a**0.5, x)  # negative ** 0.5 is complex in Python
    same_outcome(lambda a: a**-1, np.arange(1, N + 1))  # a float in Python
    same_outcome(lambda a: a**-1, np.arange(N))  # 0 ** -1: ZeroDivisionError
    same_outcome(lambda a: a**2, np.random.default_rng(0).standard_normal(4096))
    same_outcome(lambda a, b: a**b, np.abs(x), x)


def test_complex_formulas_are_pythons():
    rng = np.random.default_rng(1)
    z = rng.standard_normal(N) + 1j * rng.standard_normal(N)
    w = rng.standard_normal(N) + 1j * rng.standard_normal(N)
    for f in (
        lambda a, b: a * b,
        lambda a, b: a / b,
        lambda a, b: abs(a) + b,
        lambda a, b: a + b * 2.5,
    ):
        same_outcome(f, z, w)
    same_outcome(lambda a, b: a * b, z.astype(np.complex64), w.astype(np.complex64))


def test_ints_beyond_2_53_compare_and_divide_exactly():
    big = np.full(N, 2**53 + 1)
    same_outcome(lambda a: a > 9007199254740992.0, big)
    same_outcome(lambda a, b: a / b, big, np.full(N, 3))
    same_outcome(lambda a: 0.5 if a < 0 else a, big, otypes=[np.int64])


def test_numpy_scalars_meeting_python_numbers_follow_nep_50():
    x = np.linspace(0, 1, N)
    same_outcome(lambda a: a * np.float32(3.3), x)
    same_outcome(lambda a: a + np.int8(100), np.arange(N))


def test_casts_to_the_output_types():
    x = np.linspace(-300, 300, N)
    same_outcome(lambda a: a, x, otypes=[np.int8])  # out of range: OverflowError
    same_outcome(lambda a: a, x, otypes=[np.uint16])
    same_outcome(lambda a: a, x, otypes=[np.int32])
    same_outcome(lambda a: a * 1e300, x, otypes=[np.float32])  # inf, as NumPy
    same_outcome(lambda a: a * 1j, x, otypes=[float])  # TypeError
    same_outcome(lambda a: a / 7, np.arange(N), otypes="l")
    big = np.full(N, 2**62 + 12345)
    same_outcome(lambda a: a, big, otypes=[np.float32])
    same_outcome(lambda a: a, np.full(N, 2.0**63), otypes=[np.int64])
    same_outcome(lambda a: a, np.full(N, np.inf), otypes=[np.int64])


def test_first_element_decides_the_type_the_loop_computes_the_values():
    same_outcome(lambda a: a / 2 if a > 0 else 0, np.arange(-N // 2, N // 2))
    same_outcome(lambda a: a + 1, np.full(N, 127, np.int8))  # int8 otype, 128: OverflowError


def test_exceptions_are_numpys_own():
    def f(a):
        if a > 10:
            raise KeyError(f"too big: {a}")
        return a

    same_outcome(f, np.arange(N))
    same_outcome(lambda a: math.sqrt(a), np.linspace(-1, 1, N))  # ValueError: math domain error


def test_float_remainder_and_floor_division_special_values():
    vals = [0.0, -0.0, 1.5, -1.5, np.inf, -np.inf, np.nan, 3.0, -3.0, 1e308, 5e-324]
    a, b = (x.ravel() for x in np.meshgrid(vals, vals))
    for f in (
        lambda x, y: x // y,
        lambda x, y: x % y,
        lambda x, y: x / y,
        lambda x, y: x * y,
        lambda x, y: x - y,
        lambda x, y: max(x, y),
        lambda x, y: min(x, y),
    ):
        same_outcome(f, a, b)
        nonzero = b != 0
        same_outcome(f, a[nonzero], b[nonzero])


def test_complex_times_real_with_inf_or_nan_is_pythons():
    # The formula is the same; the sign bits of the NaNs it makes depend on the order of
    # operations (found by the hypothesis test below: inf+0j times nan).
    z = np.linspace(-3, 3, N) + 0j
    z[5] = np.inf
    z[7] = complex(np.nan, 1.0)
    for b in (np.array(np.nan), np.array(np.inf), np.full(N, np.nan), np.float16(np.nan)):
        same_outcome(lambda a, b: a * b - 3, z, b)
        same_outcome(lambda a, b: a * b - 3, z.astype(np.complex64), b)
        same_outcome(lambda a, b: b * a, z.real.astype(np.float32), np.asarray(b) + 0j)


def test_floating_point_flags_of_python_arithmetic_are_reported():
    # Python numbers (an unbatched argument, float() of an element, a constant chosen by an
    # if) compute in plain Python: np.vectorize reports their overflow / invalid afterwards.
    x = np.arange(-4, N - 4, dtype=np.int16)
    same_outcome(lambda a, b: -a if a < 0 else b * 0.5, x, np.array(np.inf + 0j, np.complex64))
    same_outcome(lambda a: float(a) * 1e308, np.full(N, 2.0))
    same_outcome(lambda a: a + (1e308 if a > 2 else 1.0) * 10, np.linspace(0, 4, N))
    same_outcome(lambda a, b: a + b * 1e300 * 1e300, np.arange(N), np.array(1.0))
    same_outcome(lambda a: float(a) * 1e-300 * 1e-300 + a, np.full(N, 2.0))  # underflow
    with np.errstate(all="warn"):  # values and dtype when the flags only warn
        same_outcome(lambda a: float(a) * 1e308 if a > 1 else a, np.linspace(0, 4, N))


def test_casts_of_lanes_with_results_of_different_types():
    # int16 otype from the first element; -(-32768) overflows int16 before a later lane's
    # complex fails int(): NumPy's conversion reports the first offending element.
    x = np.array([-2, -32768, 0, 3, 1] * 13, dtype=np.int16)
    f = lambda a, b: -a if a < 0 else b * 0.5  # noqa: E731
    same_outcome(f, x, np.array(1 + 0j))
    same_outcome(f, x, np.full(len(x), 1 + 0j))
    same_outcome(lambda a: a / 2 if a > 0 else 40000, np.arange(-N, N, dtype=np.int16))


def test_methods_python_numbers_lack_raise_as_numpy_does():
    # The first element is a NumPy scalar (it has .item()); the loop's Python floats do not.
    same_outcome(lambda a: a.item() + 1, np.linspace(0, 1, N))
    same_outcome(lambda a: a.tolist(), np.arange(N))


# -------------------------------------------------------------------------- hypothesis

FUNCTIONS = [
    lambda a, b: a + b,
    lambda a, b: a - b if a > b else a + b,
    lambda a, b: a * b - 3,
    lambda a, b: a / b,
    lambda a, b: a // b,
    lambda a, b: a % b,
    lambda a, b: (a > b) + (b > 0),
    lambda a, b: abs(a) * 2 + b,
    lambda a, b: a**2 + b,
    lambda a, b: -a if a < 0 else b * 0.5,
    lambda a, b: max(a, b) - min(a, b),
    lambda a, b: (a, b * 2),
]
DTYPES = ["bool", "int8", "uint8", "int16", "int32", "int64", "uint64", "float16", "float32"]
DTYPES += ["float64", "complex64", "complex128"]


@st.composite
def arrays(draw, dtype):
    n = draw(st.integers(N, N + 40))
    dt = np.dtype(dtype)
    if dt.kind == "b":
        elems = st.booleans()
    elif dt.kind in "iu":
        info = np.iinfo(dt)
        edge = st.sampled_from([info.min, info.max, 0, 1, -1 if dt.kind == "i" else 2])
        elems = st.one_of(st.integers(-4 if dt.kind == "i" else 0, 4), edge)
    else:
        elems = st.one_of(
            st.floats(-1e6, 1e6, width=32 if dt.itemsize <= 8 and dt.kind == "f" else 64),
            st.sampled_from([0.0, -0.0, np.inf, np.nan, 1e300, -1e-300]),
        )
    values = draw(st.lists(elems, min_size=n, max_size=n))
    with np.errstate(all="ignore"):
        return np.array(values).astype(dt)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(range(len(FUNCTIONS))),
    st.sampled_from(DTYPES),
    st.sampled_from(DTYPES),
    st.data(),
)
def test_matches_np_vectorize(fi, dtype_a, dtype_b, data):
    a = data.draw(arrays(dtype_a))
    b = data.draw(arrays(dtype_b))
    n = min(len(a), len(b))
    same_outcome(FUNCTIONS[fi], a[:n], b[:n])
    same_outcome(FUNCTIONS[fi], a[:n], b[:1].reshape(()))  # an unbatched argument


# ------------------------------------------------------------------------- numba's path


numba = pytest.importorskip("numba")


def _huber(r, delta):
    if abs(r) <= delta:
        return 0.5 * r * r
    return delta * (abs(r) - 0.5 * delta)


def _uses_math(x):
    return math.exp(-x) * math.sin(x) + math.sqrt(abs(x)) if x > 0 else math.tanh(x)


def _pow(a, b):
    return abs(a) ** b


def _with_numpy(x):
    return np.exp(x)


def _int_var(x):
    return int(x) * 3


def _int_power(x):
    return x**2


@pytest.mark.parametrize(
    "f, compiles",
    [
        (_huber, True),
        (_uses_math, True),
        (_pow, True),
        (_with_numpy, False),
        (_int_var, False),
        (_int_power, False),
    ],
)
def test_numba_path_is_used_only_where_verified_and_is_exact(f, compiles):
    nargs = f.__code__.co_argcount
    assert (vectorize_numba.compiled(f, nargs) is not None) == compiles
    rng = np.random.default_rng(3)
    args = [rng.standard_normal(vectorize_numba.MIN_SIZE) * 4 for _ in range(nargs)]
    same_outcome(f, *args)
    args[0][17] = np.nan
    args[0][18] = 800.0  # math.exp(-800) underflows quietly; exp(800) would raise
    same_outcome(f, *args)


def test_numba_path_zero_division_and_overflow_are_pythons():
    x = np.random.default_rng(4).standard_normal(vectorize_numba.MIN_SIZE)
    x[123] = 0.0

    def inverse(a):
        return 1.0 / a

    def exp_of(a):
        return math.exp(a * 1000)

    same_outcome(inverse, x)
    same_outcome(exp_of, x)


def test_numba_path_sees_changed_globals_and_closures():
    x = np.random.default_rng(5).standard_normal(vectorize_numba.MIN_SIZE)
    scale = 2.0

    def scaled(a):
        return a * scale

    first = autovec.vectorize(scaled)(x)
    scale = 3.0
    second = autovec.vectorize(scaled)(x)
    np.testing.assert_array_equal(first * 1.5, second)
    same_outcome(scaled, x)
