"""Data-dependent sizes (``autovec/numpy/datadependent.py``): eagerly NumPy's functions;
inside vmap a clear ``DataDependentShapeError`` without ``size=``, and with ``size=`` (JAX's
static form) a fixed-size result that equals NumPy's result truncated or padded."""

from __future__ import annotations

import numpy as np
import pytest
from _cases import Case, case_ids, run_case

import autovec
import autovec.numpy as anp
from autovec import errors

_RNG = np.random.default_rng(3)


def _sparse(*shape: int, dtype: str = "int64") -> np.ndarray:
    """Mostly zeros."""
    x = _RNG.integers(-3, 4, shape) * (_RNG.random(shape) < 0.4)
    return x.astype(dtype)


def _pad(v: np.ndarray, size: int, fill) -> np.ndarray:
    v = np.asarray(v)[:size]
    return np.concatenate([v, np.full(size - v.shape[0], fill, v.dtype)])


# NumPy's results, truncated or padded to ``size``: what the static forms must give.
def ref_nonzero(x, size, fill=0):
    fills = fill if isinstance(fill, tuple) else (fill,) * np.ndim(x)
    return tuple(_pad(i, size, f) for i, f in zip(np.nonzero(x), fills))


def ref_unique(x, size, fill=None, equal_nan=True):
    vals, idx, inv, cnt = np.unique(
        x, return_index=True, return_inverse=True, return_counts=True, equal_nan=equal_nan
    )
    fill = vals[0] if fill is None else fill
    return (
        _pad(vals, size, fill),
        _pad(idx, size, idx[0]),
        inv.reshape(np.shape(x)),
        _pad(cnt, size, 0),
    )


S1, S2, S3 = _sparse(8), _sparse(3, 4), _sparse(2, 3, 2)
B2 = _RNG.random((3, 4)) < 0.3
F1 = np.array([2.5, np.nan, 1.0, 2.5, np.nan, -1.0, 1.0])
R1 = _RNG.integers(0, 4, 9)


def _static(name, ours, ref, args, **kw):
    """A case whose autovec form (with size=) is checked against NumPy's truncated/padded
    result; plain NumPy has no size= keyword, so only the autovec form runs under vmap."""
    return Case(
        name, lambda xp, *a: ours(*a) if xp is anp else ref(*a), args, plain_numpy=False, **kw
    )


CASES = [
    _static("nonzero", lambda x: anp.nonzero(x, size=3), lambda x: ref_nonzero(x, 3), (S1,)),
    _static(
        "nonzero",
        lambda x: anp.nonzero(x, size=6, fill_value=-1),
        lambda x: ref_nonzero(x, 6, -1),
        (S2,),
    ),
    _static(
        "nonzero",
        lambda x: anp.nonzero(x, size=4, fill_value=(7, 8, 9)),
        lambda x: ref_nonzero(x, 4, (7, 8, 9)),
        (S3,),
    ),
    _static("nonzero", lambda x: anp.nonzero(x, size=13), lambda x: ref_nonzero(x, 13), (B2,)),
    _static(
        "flatnonzero",
        lambda x: anp.flatnonzero(x, size=5, fill_value=-1),
        lambda x: _pad(np.flatnonzero(x), 5, -1),
        (S2,),
    ),
    _static(
        "argwhere",
        lambda x: anp.argwhere(x, size=4),
        lambda x: np.stack(ref_nonzero(x, 4), axis=1),
        (S2,),
    ),
    _static(
        "argwhere",
        lambda x: anp.argwhere(x, size=2),
        lambda x: np.zeros((2, 0), np.intp),
        (np.float64(3.0),),
    ),
    _static(
        "unique",
        lambda x: anp.unique(x, size=3),
        lambda x: ref_unique(x, 3)[0],
        (R1,),
    ),
    _static(
        "unique",
        lambda x: anp.unique(
            x, return_index=True, return_inverse=True, return_counts=True, size=5, fill_value=-7
        ),
        lambda x: ref_unique(x, 5, -7),
        (S2,),
    ),
    _static(
        "unique",
        lambda x: anp.unique(x, return_counts=True, size=4),
        lambda x: ref_unique(x, 4)[::3],
        (F1,),
    ),
    _static(
        "unique",
        lambda x: anp.unique(x, return_counts=True, equal_nan=False, size=6),
        lambda x: ref_unique(x, 6, equal_nan=False)[::3],
        (F1,),
    ),
    _static(
        "unique",
        lambda x: anp.unique(x, return_inverse=True, size=2),
        lambda x: ref_unique(x, 2)[::2],
        (B2,),
    ),
    _static(
        "unique_values",
        lambda x: anp.unique_values(x, size=4),
        lambda x: ref_unique(x, 4, equal_nan=False)[0],
        (S2,),
    ),
    _static(
        "unique_counts",
        lambda x: anp.unique_counts(x, size=4),
        lambda x: type(np.unique_counts(x))(*ref_unique(x, 4, equal_nan=False)[::3]),
        (R1,),
    ),
    _static(
        "unique_inverse",
        lambda x: anp.unique_inverse(x, size=3),
        lambda x: type(np.unique_inverse(x))(*ref_unique(x, 3, equal_nan=False)[::2]),
        (S2,),
    ),
    _static(
        "unique_all",
        lambda x: anp.unique_all(x, size=6),
        lambda x: type(np.unique_all(x))(*ref_unique(x, 6, equal_nan=False)),
        (S1,),
    ),
    _static(
        "extract",
        lambda c, x: anp.extract(c, x, size=3),
        lambda c, x: _pad(np.extract(c, x), 3, 0),
        (B2, _RNG.normal(size=(3, 4))),
    ),
    # A concrete condition picks the same positions in every example: no size needed.
    Case(
        "extract",
        lambda xp, x: xp.extract(np.array([True, False, True]), x),
        (_RNG.normal(size=3),),
    ),
    # Concrete inputs inside a vmapped function are NumPy's own calls.
    Case("trim_zeros", lambda xp, x: xp.trim_zeros(np.array([0, 0, 2, 3, 0])) * x, (S1[:2],)),
    Case("nonzero", lambda xp, x: x[xp.nonzero(np.array([1, 0, 1]))], (S1[:3],)),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_datadependent_case(case):
    run_case(case)


@pytest.mark.parametrize(
    ("name", "fun"),
    [
        ("nonzero", lambda x: anp.nonzero(x)),
        ("nonzero", lambda x: x.nonzero()),
        ("nonzero", lambda x: np.nonzero(x)),
        ("flatnonzero", lambda x: anp.flatnonzero(x)),
        ("argwhere", lambda x: np.argwhere(x)),
        ("unique", lambda x: anp.unique(x)),
        ("unique", lambda x: np.unique(x, return_counts=True)),
        ("unique_values", lambda x: anp.unique_values(x)),
        ("unique_counts", lambda x: anp.unique_counts(x)),
        ("unique_inverse", lambda x: anp.unique_inverse(x)),
        ("unique_all", lambda x: np.unique_all(x)),
        ("extract", lambda x: anp.extract(x > 0, x)),
    ],
)
def test_without_size_vmap_raises_naming_function_and_size(name, fun):
    # Eager vmap continues such examples per group (tests/test_datadependent_split.py);
    # with fallback="error" (and under jit) the static form is the advice.
    with pytest.raises(errors.DataDependentShapeError) as info:
        autovec.vmap(fun, fallback="error")(S2)
    message = str(info.value)
    assert message.startswith(f"{name}:") and "size=" in message


def test_trim_zeros_under_vmap_raises():
    with pytest.raises(errors.DataDependentShapeError, match="trim_zeros"):
        autovec.vmap(np.trim_zeros)(S2)


def test_batched_boolean_mask_raises():
    with pytest.raises(errors.DataDependentShapeError, match="mask"):
        autovec.vmap(lambda x: x[x > 0], fallback="error")(S2)


def test_eager_without_size_is_numpy():
    assert anp.nonzero(S2)[1].tolist() == np.nonzero(S2)[1].tolist()
    got = anp.unique(F1, return_counts=True)
    want = np.unique(F1, return_counts=True)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_size_argument_errors():
    with pytest.raises(ValueError, match="0d"):
        anp.nonzero(np.float64(1.0), size=2)
    with pytest.raises(ValueError, match="fill_value"):
        anp.nonzero(S2, size=2, fill_value=(1, 2, 3))
    with pytest.raises(errors.UnsupportedOperationError, match="axis"):
        anp.unique(S2, axis=0, size=2)
    # A batched size: eager vmap splits by it, and the loop's results cannot be stacked
    # either; compiled there is no value to split on.
    with pytest.raises(errors.SplitOutputMismatchError):
        autovec.vmap(lambda x, n: anp.nonzero(x, size=n))(S2, np.array([1, 2, 3]))
    with pytest.raises(errors.ConcretizationTypeError, match="size"):
        autovec.jit(autovec.vmap(lambda x, n: anp.nonzero(x, size=n)), fallback="error")(
            S2, np.array([1, 2, 3])
        )
