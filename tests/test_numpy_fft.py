"""``autovec.numpy.fft``: every function as ``Case``s (see ``tests/_cases.py``), plus what
is specific to batching transforms (the batch axis is never copied or moved)."""

from __future__ import annotations

import numpy as np
import pytest
from _cases import Case, case_ids, run_case
from hypothesis import given
from hypothesis import strategies as st

import autovec
import autovec.numpy as anp
from autovec import errors

_RNG = np.random.default_rng(7)


def _ex(shape: tuple, dtype: str = "float64"):
    dt = np.dtype(dtype)
    if dt.kind in "iu":
        return _RNG.integers(-9, 9, shape).astype(dt)
    vals = _RNG.uniform(-2, 2, shape)
    if dt.kind == "c":
        vals = vals + 1j * _RNG.uniform(-2, 2, shape)
    return np.asarray(vals).astype(dt)


F, C, S, INT = "float64", "complex128", "float32", "int64"
_SMALL = {"rtol": 1e-4, "atol": 1e-4}  # float32/complex64 transforms


def _one_d(name: str) -> list[Case]:
    """Each 1-D transform: default n, padded and cropped n, another axis, every norm, and
    real/complex/float32/int input."""
    f = name
    c = F if f in ("rfft", "ihfft") else C  # NumPy's real transforms reject complex input
    return [
        Case(f"fft.{f}", lambda xp, x: getattr(xp.fft, f)(x), (_ex((8,), c),)),
        Case(f"fft.{f}", lambda xp, x: getattr(xp.fft, f)(x, n=11), (_ex((3, 6)),)),
        Case(
            f"fft.{f}",
            lambda xp, x: getattr(xp.fft, f)(x, n=4, axis=0, norm="ortho"),
            (_ex((7, 2), c),),
        ),
        Case(f"fft.{f}", lambda xp, x: getattr(xp.fft, f)(x, norm="forward"), (_ex((2, 5), INT),)),
        Case(
            f"fft.{f}",
            lambda xp, x: getattr(xp.fft, f)(x, axis=-2, norm="backward"),
            (_ex((5, 3), S),),
            **_SMALL,
        ),
    ]


def _n_d(name: str) -> list[Case]:
    f = name
    real_inverse = f.startswith("irfft")
    c = F if f.startswith("rfft") else C  # NumPy's real transforms reject complex input
    return [
        Case(f"fft.{f}", lambda xp, x: getattr(xp.fft, f)(x), (_ex((4, 6), c),)),
        Case(f"fft.{f}", lambda xp, x: getattr(xp.fft, f)(x), (_ex((2, 3, 4)),)),
        Case(
            f"fft.{f}",
            lambda xp, x: getattr(xp.fft, f)(x, s=(5, 4), axes=(0, 2), norm="ortho"),
            (_ex((3, 2, 6), c),),
        ),
        Case(
            f"fft.{f}",
            lambda xp, x: getattr(xp.fft, f)(x, axes=(1, 0), norm="forward"),
            (_ex((4, 5), S if not real_inverse else "complex64"),),
            **_SMALL,
        ),
    ]


CASES = [
    *(c for f in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft") for c in _one_d(f)),
    *(c for f in ("fftn", "ifftn", "rfftn", "irfftn") for c in _n_d(f)),
    *(c for f in ("fft2", "ifft2", "rfft2", "irfft2") for c in _n_d(f)),
    Case("fft.fftn", lambda xp, x: xp.fft.fftn(x, axes=(1,)), (_ex((3, 4), INT),)),
    Case("fft.irfftn", lambda xp, x: xp.fft.irfftn(x, s=(4, 9), axes=(0, 1)), (_ex((4, 5), C),)),
    Case("fft.fftshift", lambda xp, x: xp.fft.fftshift(x), (_ex((5,)),)),
    Case("fft.fftshift", lambda xp, x: xp.fft.fftshift(x), (_ex((4, 5), C),)),
    Case("fft.fftshift", lambda xp, x: xp.fft.fftshift(x, axes=-1), (_ex((2, 3, 6), INT),)),
    Case("fft.fftshift", lambda xp, x: xp.fft.fftshift(x, axes=(0, 2, 0)), (_ex((3, 2, 5)),)),
    Case("fft.ifftshift", lambda xp, x: xp.fft.ifftshift(x), (_ex((7,)),)),
    Case("fft.ifftshift", lambda xp, x: xp.fft.ifftshift(x, axes=(1,)), (_ex((3, 4), S),)),
    Case("fft.ifftshift", lambda xp, x: xp.fft.ifftshift(xp.fft.fftshift(x)), (_ex((5, 4)),)),
    # fftfreq/rfftfreq: the spacing d may be batched; n is a size, so it is concrete.
    Case("fft.fftfreq", lambda xp, d: xp.fft.fftfreq(8, d), (np.float64(0.1),)),
    Case("fft.fftfreq", lambda xp, d: xp.fft.fftfreq(7, d), (np.float32(2.0),)),
    Case("fft.fftfreq", lambda xp, x: xp.fft.fftfreq(x.shape[-1]), (_ex((5,)),)),
    Case("fft.rfftfreq", lambda xp, d: xp.fft.rfftfreq(9, d=d), (np.float64(0.25),)),
    Case("fft.rfftfreq", lambda xp, d: xp.fft.rfftfreq(10, d), (np.float64(3.0),)),
    # A real workflow: low-pass filter a signal in the frequency domain.
    Case(
        "fft.rfft",
        lambda xp, x: xp.fft.irfft(
            xp.fft.rfft(x) * (xp.abs(xp.fft.rfftfreq(x.shape[-1])) < 0.2), n=x.shape[-1]
        ),
        (_ex((16,)),),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_case(case: Case) -> None:
    run_case(case)


def test_every_public_fft_function_has_a_case() -> None:
    tested = {c.name.split(".", 1)[1] for c in CASES}
    assert set(np.fft.__all__) <= set(anp.fft.__all__)
    assert set(np.fft.__all__) <= tested, sorted(set(np.fft.__all__) - tested)


def test_batch_axis_stays_in_place(monkeypatch) -> None:
    """The batch axis is not moved: pocketfft runs on the batched array as given, along the
    example's axis shifted past the batch axis."""
    calls = []
    real_fft = np.fft.fft

    def recording_fft(a, n=None, axis=-1, norm=None, out=None):
        calls.append((np.shape(a), axis, a.flags.c_contiguous))
        return real_fft(a, n, axis, norm, out)

    xs = _ex((4, 6, 5), C)  # examples (4, 5), batched along axis 1
    want = np.stack([np.fft.fft(xs[:, i], axis=0) for i in range(6)], axis=1)
    monkeypatch.setattr(np.fft, "fft", recording_fft)
    got = autovec.vmap(lambda x: anp.fft.fft(x, axis=0), in_axes=1, out_axes=1)(xs)
    assert calls == [((4, 6, 5), 0, True)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_errors_are_numpys() -> None:
    with pytest.raises(ValueError, match="Invalid number of FFT data points"):
        autovec.vmap(lambda x: np.fft.fft(x, n=0))(_ex((2, 4)))
    with pytest.raises(ValueError, match="Invalid norm value"):
        autovec.vmap(lambda x: np.fft.fft(x, norm="bad"))(_ex((2, 4)))
    with pytest.raises(ValueError, match="different lengths"):
        autovec.vmap(lambda x: np.fft.fftn(x, s=(2, 2), axes=(0,)))(_ex((2, 4, 4)))
    with pytest.raises(np.exceptions.AxisError):
        autovec.vmap(lambda x: np.fft.fft(x, axis=2))(_ex((2, 4, 4)))
    with pytest.raises(errors.UnsupportedOperationError, match="out="):
        autovec.vmap(lambda x: anp.fft.fft(x, out=np.empty(4, complex)))(_ex((2, 4)))
    with pytest.raises(errors.SplitOutputMismatchError):  # the loop cannot stack them either
        autovec.vmap(lambda x, n: anp.fft.fft(x, n=n))(_ex((2, 4)), np.array([3, 4]))
    with pytest.raises(errors.ConcretizationTypeError, match="n"):
        autovec.jit(autovec.vmap(lambda x, n: anp.fft.fft(x, n=n)), fallback="error")(
            _ex((2, 4)), np.array([3, 4])
        )


@given(
    kind=st.sampled_from(["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "rfftn"]),
    dtype=st.sampled_from(["float32", "float64", "complex64", "complex128", "int16"]),
    shape=st.lists(st.integers(1, 5), min_size=2, max_size=3).map(tuple),
    n=st.one_of(st.none(), st.integers(1, 7)),
    norm=st.sampled_from([None, "backward", "ortho", "forward"]),
    batch=st.integers(1, 3),
    in_axis=st.integers(0, 2),
    seed=st.integers(0, 2**16),
)
def test_vmap_equals_loop_for_drawn_transforms(kind, dtype, shape, n, norm, batch, in_axis, seed):
    """Transforms, dtypes, shapes, lengths and batch-axis positions drawn at random: vmap
    equals the loop (dtype exactly)."""
    rng = np.random.default_rng(seed)
    if kind in ("rfft", "ihfft", "rfftn") and dtype.startswith("complex"):
        dtype = "float64"  # NumPy's real transforms reject complex input
    x = rng.uniform(-2, 2, (batch, *shape))
    if dtype.startswith("complex"):
        x = x + 1j * rng.uniform(-2, 2, x.shape)
    x = np.moveaxis(x.astype(dtype), 0, min(in_axis, len(shape)))
    in_axis = min(in_axis, len(shape))
    if kind in ("fft2", "rfftn"):
        fun = lambda v: getattr(np.fft, kind)(v, norm=norm)  # noqa: E731
    else:
        fun = lambda v: getattr(np.fft, kind)(v, n=n, axis=0, norm=norm)  # noqa: E731
    if kind in ("irfft", "hfft") and n is None and shape[0] == 1:
        return  # NumPy's default n = 2 * (1 - 1) = 0 is an error
    got = autovec.vmap(fun, in_axes=in_axis)(x)
    want = np.stack([fun(np.take(x, i, axis=in_axis)) for i in range(batch)])
    assert got.shape == want.shape and got.dtype == want.dtype
    single = want.dtype in (np.float32, np.complex64)
    np.testing.assert_allclose(
        got, want, rtol=1e-4 if single else 1e-10, atol=1e-4 if single else 1e-10
    )
