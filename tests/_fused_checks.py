"""Checks shared by the numba backend's tests (test_fused*.py): bit-for-bit equality and
hypothesis draws of arrays holding NumPy's special values."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 1e300, -1e300, np.inf, -np.inf, np.nan]


def same_bits(got, want):
    """Equal values, dtypes and shapes; NaN where NaN; the sign of every zero (of both parts
    of a complex number)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got, want, equal_nan=want.dtype.kind in "fc")
    if want.dtype.kind in "fc":
        assert np.array_equal(np.signbit(got.real), np.signbit(want.real))
    if want.dtype.kind == "c":
        assert np.array_equal(np.signbit(got.imag), np.signbit(want.imag))


def draw_array(data, shape, dtype, special):
    """An array of ``shape`` and ``dtype`` drawn by hypothesis; floats from SPECIAL too when
    ``special``, integers over the dtype's whole range."""
    dt = np.dtype(dtype)
    if dt.kind == "f":
        pool = st.floats(-100, 100, width=dt.itemsize * 8)
        if special:
            pool = st.one_of(pool, st.sampled_from(SPECIAL))
    else:
        info = np.iinfo(dt)
        pool = st.integers(int(info.min), int(info.max))
    n = int(np.prod(shape))
    values = data.draw(st.lists(pool, min_size=n, max_size=n))
    with np.errstate(over="ignore"):
        wide = np.array(values, dtype=np.float64 if dt.kind == "f" else dt)
        return wide.astype(dt).reshape(shape)


def warned(fn, *args, calls=1):
    """``fn(*args)`` called ``calls`` times (the last call's result) and the messages of the
    warnings the calls gave ("scalar divide" read as "divide": the loop divides NumPy
    scalars, a batch divides arrays)."""
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for _ in range(calls):
            out = fn(*args)
    return out, {str(w.message).replace("scalar ", "") for w in seen}
