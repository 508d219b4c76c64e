"""Red-team cases: small functions written the way users and libraries write NumPy code, each
run under vmap, jit(vmap), vmap(jit) and vmap(vmap) and compared with the Python loop.

A result that differs from the loop is the worst outcome; an exception that is not one of
``autovec.errors`` is a bug; a specific error is accepted only under jit compositions, where
the loop's Python semantics cannot be staged. ``python tests/test_redteam.py`` prints the
per-transform tally.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import autovec
from autovec import tree_flatten, tree_unflatten
from autovec.errors import AutovecError
from autovec.testing import _assert_same

B = 4
_rng = np.random.default_rng(1234)


def _r(*shape: int, dtype: Any = np.float64) -> np.ndarray:
    x = _rng.standard_normal((B, *shape))
    if np.dtype(dtype).kind in "iub":
        return (x * 4).astype(dtype)
    if np.dtype(dtype).kind == "c":
        return (x + 1j * _rng.standard_normal(x.shape)).astype(dtype)
    return x.astype(dtype)


def _spd(n: int) -> np.ndarray:
    a = _rng.standard_normal((B, n, n))
    return a @ a.transpose(0, 2, 1) + n * np.eye(n)


@dataclass
class Case:
    name: str
    fun: Callable
    args: tuple
    in_axes: Any = 0
    out_axes: Any = 0
    kwargs: dict = field(default_factory=dict)
    factory: bool = False  # fun() builds a fresh function (fresh closures, generators)
    jit_ok: bool = True  # False: a specific error under jit compositions is acceptable

    def make(self) -> Callable:
        return self.fun() if self.factory else self.fun


CASES: list[Case] = []


def case(*args: Any, **kw: Any) -> Callable:
    def deco(f: Callable) -> Callable:
        CASES.append(Case(f.__name__, f, args, **kw))
        return f

    return deco


# --- library-style prologues and dtype handling -------------------------------------------


@case(_r(3))
def asarray_prologue(x):
    x = np.asarray(x, dtype=float)
    return np.sqrt(np.sum(x**2))


@case(_r(3, dtype=np.int32))
def asarray_int_to_float(x):
    x = np.asarray(x, dtype=np.float64)
    return x / x.size


@case(_r(3, dtype=np.int8))
def nep50_int8_times_two(x):
    return x * 2


@case(_r(3, dtype=np.int8))
def nep50_int8_plus_float(x):
    return x + 1.5


@case(_r(3, dtype=np.float32))
def nep50_f32_scalar_ops(x):
    return x * 2 + 1.5 - np.float32(0.25)


@case(_r(3, dtype=np.float32))
def f32_times_np_float64(x):
    return x * np.float64(2.0)


@case(_r(3, dtype=np.float16))
def float16_mean(x):
    return x.mean(), x.sum(), x.var()


@case(_r(3, dtype=np.int16))
def int_true_divide_floor(x):
    return x / 3, x // 3, x % 3, -x // 2


@case(_r(4) > 0)
def bool_ops(m):
    return m.sum(), m.any(), m & ~m[::-1], np.count_nonzero(m), m.astype(np.int8) * 3


@case(_r(3, dtype=np.complex128))
def complex_parts(z):
    return z.real * 2, z.imag, np.abs(z), np.angle(z), z.conj().T


@case(_r(3, dtype=np.complex64))
def complex64_mul(z):
    return z * 2j, z * np.float64(2.0)


@case(_r(3, dtype=np.uint8))
def uint8_wraps(x):
    return x + 250, x - 1, np.uint8(3) * x


@case(_r(2, 3))
def astype_chain(x):
    return x.astype(np.float32).astype(np.int64), x.astype(bool)


@case(_r())
def zero_d_example(x):
    return x * 2 + 1, np.sin(x), float(x) + 1.0


@case(_r(3))
def python_scalar_result(x):
    return float(x.sum())


@case(_r(3))
def int_python_result(x):
    return int(np.argmax(x))


@case(_r(3))
def returns_none_and_dict(x):
    return {"a": x.sum(), "b": (x.max(), None), "c": [x * 2]}


@case(_r(3))
def constant_output(x):
    return 7, np.ones(2)


# --- in-place ops and views ---------------------------------------------------------------


@case(_r(4))
def iadd_inplace(x):
    x = x.copy()
    x += 1
    x *= 2
    return x


@case(_r(4, dtype=np.int32))
def int_iadd_float_fails_or_casts(x):
    y = x.copy()
    y += 1
    y[0] = 2.7  # truncated on write
    return y


@case(_r(4))
def setitem_scalar(x):
    y = np.zeros(4)
    y[1] = 3.0
    return x + y


@case(_r(4))
def setitem_batched_into_zeros_like(x):
    y = np.zeros_like(x)
    y[1:3] = x[:2]
    y[-1] = x.sum()
    return y


@case(_r(5))
def setitem_mask(x):
    y = x.copy()
    y[y < 0] = 0.0
    return y


@case(_r(5))
def setitem_mask_batched_values(x):
    y = x.copy()
    m = y < 0
    y[m] = -y[m]
    return y


@case(_r(5))
def out_arg(x):
    out = np.empty_like(x)
    np.multiply(x, 2, out=out)
    np.add(out, 1, out=out)
    return out


@case(_r(2, 3))
def write_through_transpose(x):
    x = x.copy()
    y = x.T
    y[0] = 7.0
    return x


@case(_r(5))
def write_through_slice(x):
    x = x.copy()
    v = x[1:]
    v += 1
    return x


@case(_r(3, dtype=np.complex128))
def write_imag_view(z):
    z = z.copy()
    z.imag[:] = 5
    return z


@case(_r(4))
def reshape_view_write(x):
    x = x.copy()
    x.reshape(2, 2)[0, 1] = -1.0
    return x


@case(_r(4))
def recurrence(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = 0.5 * y[i - 1] + x[i]
    return y


@case(_r(4))
def fill_plain_buffer(x):
    out = np.zeros(4)
    for i in range(4):
        out[i] = x[i] ** 2
    return out


@case(_r(3, dtype=np.int64))
def int_write_narrow(x):
    y = np.zeros(3, dtype=np.int16)
    y[:] = x
    return y


# --- reductions ---------------------------------------------------------------------------


@case(_r(3, 4))
def reductions_axis_keepdims(x):
    return x.sum(axis=0), x.mean(axis=1, keepdims=True), x.std(ddof=1), x.var(axis=-1, ddof=1)


@case(_r(3, 4))
def reductions_where(x):
    return np.sum(x, where=x > 0), np.max(x, axis=1, initial=-10.0, where=x > 0)


@case(_r(3, 4, dtype=np.int8))
def reductions_dtype(x):
    return x.sum(), x.sum(dtype=np.int8), np.mean(x, dtype=np.float32), x.prod(axis=0)


@case(_r(5))
def nan_reductions(x):
    x = x.copy()
    x[1] = np.nan
    return np.nansum(x), np.nanmean(x), np.nanmax(x), np.nanargmin(x), np.nanstd(x)


@case(_r(5))
def max_with_nan(x):
    x = np.where(x > 1.0, np.nan, x)
    return np.max(x), np.argmax(x), np.min(x), np.fmax(x, 0)


@case(_r(3, 4))
def reduce_in_axes_one(x):
    return x.sum(axis=0), np.median(x, axis=-1), np.percentile(x, 30)


CASES[-1].in_axes = 1
CASES[-1].args = (np.moveaxis(_r(3, 4), 0, 1),)


@case(np.moveaxis(_r(3, 4), 0, -1))
def reduce_in_axes_last(x):
    return x.mean(axis=1), x.min(), np.ptp(x, axis=0)


CASES[-1].in_axes = -1


@case(_r(4, 3))
def average_weights(x):
    return np.average(x, axis=0, weights=[1.0, 2.0, 3.0, 4.0]), np.average(x, returned=True)


# --- cumulative, sorting, search ----------------------------------------------------------


@case(np.array([[3, 1, 3, 2], [1, 1, 1, 1], [0, 5, 5, 0], [2, 2, 3, 3]]))
def sort_ties(x):
    return np.sort(x), np.argsort(x, kind="stable"), np.argmax(x), np.argmin(x), np.argsort(-x)


@case(_r(5))
def cumsum_diff(x):
    return np.cumsum(x), np.diff(x), np.diff(x, n=2), np.cumprod(x), np.ediff1d(x)


@case(_r(5))
def sort_with_nan(x):
    x = x.copy()
    x[2] = np.nan
    return np.sort(x), np.argsort(x), np.nanmedian(x)


@case(_r(6))
def searchsorted_shared(x):
    return np.searchsorted(np.array([-1.0, 0.0, 1.0]), x), np.digitize(x, [-1, 0, 1])


@case(_r(6))
def searchsorted_batched_sorted(x):
    s = np.sort(x)
    return np.searchsorted(s, 0.0), np.searchsorted(s, [0.0, 0.5], side="right")


@case(_r(6, dtype=np.int64) % 3)
def unique_counts_sized(x):
    return len(np.unique(x)), np.bincount(x % 3, minlength=3)


@case(_r(5))
def partition_topk(x):
    return np.partition(x, 2)[2], np.sort(x)[-2:][::-1]


# --- indexing -----------------------------------------------------------------------------


@case(_r(6))
def fancy_negative(x):
    return x[[-1, 0, -2]], x[np.array([-1, 2])], x[-1], x[::-2], x[..., None]


@case(_r(6), np.array([0, -1, 3, 5]))
def batched_index(x, i):
    return x[i], x[i - 1], np.take(x, i, mode="wrap")


@case(np.array([0, 2, -1, 1]))
def shared_table_batched_index(i):
    table = np.array([10.0, 20.0, 30.0])
    return table[i], np.take(table, i)


@case(_r(3, 4), np.array([0, 1, 2, 1]))
def take_along_axis_batched(x, i):
    j = np.argsort(x, axis=1)
    return np.take_along_axis(x, j, axis=1), x[i], x[:, i % 4]


@case(_r(4, 4))
def diag_triu(x):
    return np.diag(x), np.triu(x, 1), np.trace(x), np.diagonal(x, offset=-1)


@case(_r(2, 3))
def newaxis_ellipsis(x):
    return x[None, ..., 0], x[:, None, :].shape[1], x[np.newaxis].sum(axis=0)


# --- where / select / piecewise / clip ----------------------------------------------------


@case(_r(5))
def where_select(x):
    return (
        np.where(x > 0, x, 0.0),
        np.select([x < -1, x > 1], [x * 2, x * 3], default=-1.0),
        np.clip(x, -0.5, 0.5),
    )


@case(_r(5))
def piecewise(x):
    return np.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v**2])


@case(_r(5, dtype=np.int32))
def where_int_weak(x):
    return np.where(x > 0, x, 0), np.where(x > 0, 1.5, x)


@case(_r(5))
def clip_batched_bounds(x):
    return np.clip(x, x.min() / 2, None), x.clip(max=0.1)


# --- linalg, fft, polynomials -------------------------------------------------------------


@case(_spd(3), _r(3))
def linalg_solve_inv_det(a, b):
    return np.linalg.solve(a, b), np.linalg.inv(a), np.linalg.det(a), np.linalg.slogdet(a)


@case(_r(3, 3))
def linalg_norms(a):
    return (
        np.linalg.norm(a),
        np.linalg.norm(a, axis=0),
        np.linalg.norm(a, ord=1),
        np.linalg.norm(a, "fro"),
    )


@case(_spd(3))
def linalg_eigh_cholesky(a):
    w, v = np.linalg.eigh(a)
    return w, np.abs(v[:, -1]), np.linalg.cholesky(a)


@case(_r(4, 2), _r(4))
def linalg_lstsq(a, b):
    sol, res, rank, sv = np.linalg.lstsq(a, b, rcond=None)
    return sol, res, rank, sv


@case(_r(3, 2))
def linalg_svd_pinv(a):
    s = np.linalg.svd(a, compute_uv=False)
    return s, np.linalg.pinv(a), np.linalg.matrix_rank(a)


@case(_r(8))
def fft_roundtrip(x):
    f = np.fft.rfft(x)
    return np.abs(f), np.fft.irfft(f, n=8), np.fft.fftshift(np.fft.fft(x)).real


@case(_r(3))
def polynomials(c):
    return np.polyval(c, 2.0), np.polyder(c), np.polyint(c), np.polyval(c, np.array([0.0, 1.0]))


@case(_r(3), _r(3))
def poly_mul_convolve(a, b):
    return np.polymul(a, b), np.convolve(a, b, mode="same"), np.outer(a, b), np.cross(a, b)


@case(_r(3, 3), _r(3))
def matmul_family(a, v):
    return a @ v, v @ a, np.dot(v, v), np.einsum("ij,j->i", a, v), np.inner(v, v), np.vdot(v, v)


# --- Python control flow ------------------------------------------------------------------


@case(_r(3))
def if_branch(x):
    if x.sum() > 0:
        return x * 2
    return -x


@case(np.array([2.0, 9.0, 1e4, 0.25]))
def while_newton(a):
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x


@case(_r(4), np.array([0, 1, 3, 4]))
def for_range_batched_n(x, n):
    total = 0.0
    for i in range(n):
        total = total + x[i]
    return total


@case(_r(3))
def early_return_tuple(x):
    if x[0] > 0:
        return x[0], x
    return 0.0, x * 0


@case(np.stack([np.eye(2), np.zeros((2, 2)), 2 * np.eye(2), np.ones((2, 2))]))
def try_except_singular(m):
    try:
        return np.linalg.inv(m)
    except np.linalg.LinAlgError:
        return np.zeros_like(m)


@case(_r(3))
def and_or_not(x):
    if x[0] > 0 and not x[1] > 0 or x[2] > 1:
        return x.sum()
    return x.prod()


@case(_r(3))
def float_math_module(x):
    import math

    return math.sqrt(abs(float(x[0]))) + math.exp(x[1])


@case(_r(3))
def item_tolist(x):
    return x[0].item() * 2, sum(x.tolist())


@case(_r(3))
def format_str(x):
    return len(f"{x[0]:.3f}")


@case(np.array([1, 5, 10, 20]))
def loop_to_batched_count(n):
    acc = 0
    i = 0
    while i < n:
        acc += i * i
        i += 1
    return acc


@case(_r(4))
def assert_statement(x):
    assert x.shape == (4,)
    return x.cumsum()[-1]


@case(_r(4))
def errstate_divide(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(np.abs(x) * (x > 0)), 1.0 / (x * 0)


# --- axes: in_axes None/1/-1, out_axes, kwargs, closures -----------------------------------


@case(_r(3), np.array([1.0, 2.0, 3.0]), in_axes=(0, None))
def shared_weight(x, w):
    return x * w, (x @ w)


@case(np.moveaxis(_r(3, 2), 0, 1), in_axes=1, out_axes=1)
def in_out_axes_one(x):
    return x.T @ x[:, 0]


@case(_r(2, 3), out_axes=-1)
def out_axes_last(x):
    return x * 2, x.sum(axis=1)


@case(_r(3), kwargs={"scale": _r()})
def kwargs_batched(x, scale):
    return x * scale


def _closure_case() -> Callable:
    w = np.array([1.0, -2.0, 3.0])

    def f(x):
        return np.tanh(x @ w) * w

    return f


CASES.append(Case("closure_over_array", _closure_case, (_r(3),), factory=True))


def _closure_inplace() -> Callable:
    w = np.array([1.0, 2.0, 3.0])

    def f(x):
        w2 = w.copy()
        w2 += x
        return w2

    return f


CASES.append(Case("closure_copy_then_inplace", _closure_inplace, (_r(3),), factory=True))


@case(_r(3), np.array([0.5, 1.0, 2.0]), in_axes=(0, None))
def shared_inplace_copy(x, w):
    w = w.copy()
    w[0] = x[0]
    return w


# --- random draws -------------------------------------------------------------------------


def _rng_case() -> Callable:
    rng = np.random.default_rng(7)

    def f(x):
        return x + rng.standard_normal(3)

    return f


CASES.append(Case("rng_normal_closure", _rng_case, (_r(3),), factory=True, jit_ok=False))


def _rng_interleaved() -> Callable:
    rng = np.random.default_rng(8)

    def f(x):
        return x * rng.uniform() + rng.integers(0, 10), rng.exponential(size=2)

    return f


CASES.append(Case("rng_interleaved", _rng_interleaved, (_r(3),), factory=True, jit_ok=False))


# --- published-package style formulas -----------------------------------------------------


@case(np.array([0.05, 0.03, 0.0, 0.1]), np.array([10.0, 20.0, 5.0, 1.0]))
def npf_pmt(rate, nper):
    # numpy-financial style: a when=0 payment with a zero-rate branch.
    pv, fv = -1000.0, 0.0
    rate, nper = np.asarray(rate), np.asarray(nper)
    temp = (1 + rate) ** nper
    mask = rate == 0
    masked_rate = np.where(mask, 1.0, rate)
    fact = np.where(mask, nper, (1 + masked_rate) * (temp - 1) / masked_rate / (1 + masked_rate))
    return -(fv + pv * temp) / fact


@case(np.array([0.05, 0.1, 0.0, 0.2]), _r(5))
def npf_npv(rate, values):
    values = np.atleast_2d(values)
    timestep_array = np.arange(0, values.shape[1])
    npv = (values / (1 + rate) ** timestep_array).sum(axis=1)
    try:
        return npv.item()
    except ValueError:
        return npv


@case(_r(2), _spd(2), _r(1))
def kalman_step(x, P, z):
    F = np.array([[1.0, 1.0], [0.0, 1.0]])
    H = np.array([[1.0, 0.0]])
    Q, R = np.eye(2) * 0.01, np.array([[0.5]])
    x = np.dot(F, x)
    P = np.dot(np.dot(F, P), F.T) + Q
    y = z - np.dot(H, x)
    S = np.dot(np.dot(H, P), H.T) + R
    K = np.dot(np.dot(P, H.T), np.linalg.inv(S))
    x = x + np.dot(K, y)
    I_KH = np.eye(2) - np.dot(K, H)
    P = np.dot(np.dot(I_KH, P), I_KH.T) + np.dot(np.dot(K, R), K.T)
    return x, P


@case(np.array([10.0, -45.0, 80.0, 0.0]), np.array([20.0, 100.0, -170.0, 0.0]), _r() * 1000)
def geodetic2ecef(lat, lon, alt):
    a, f = 6378137.0, 1 / 298.257223563
    b = a * (1 - f)
    lat, lon = np.radians(np.asarray(lat)), np.radians(np.asarray(lon))
    n = a**2 / np.sqrt(a**2 * np.cos(lat) ** 2 + b**2 * np.sin(lat) ** 2)
    x = (n + alt) * np.cos(lat) * np.cos(lon)
    y = (n + alt) * np.cos(lat) * np.sin(lon)
    z = (n * (b / a) ** 2 + alt) * np.sin(lat)
    return x, y, z


@case(np.array([1e5, -2e6, 3e5, 6.4e6]), np.array([1e6, 3e6, -4e6, 1.0]), _r() * 1e6)
def ecef2aer_like(x, y, z):
    r = np.hypot(x, y)
    az = np.degrees(np.arctan2(y, x)) % 360
    el = np.degrees(np.arctan2(z, r))
    if np.any(r < 0):
        raise ValueError("negative")
    return az, el, np.sqrt(x * x + y * y + z * z)


@case(_r(10))
def zscore_skew(a):
    a = np.asarray(a)
    mean = a.mean(axis=0, keepdims=True)
    m2 = ((a - mean) ** 2).mean(axis=0)
    m3 = ((a - mean) ** 3).mean(axis=0)
    with np.errstate(all="ignore"):
        skew = np.where(m2 == 0, 0, m3 / m2**1.5)
    return (a - mean) / a.std(ddof=0), skew


@case(_r(10), _r(10))
def pearsonr_like(x, y):
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    xm, ym = x - x.mean(), y - y.mean()
    r = np.dot(xm, ym) / (np.linalg.norm(xm) * np.linalg.norm(ym))
    return max(min(r, 1.0), -1.0)


@case(_r(8) > 0, _r(8) > 0.3)
def sklearn_confusion(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true).astype(int), np.asarray(y_pred).astype(int)
    tp = np.sum((y_true == 1) & (y_pred == 1))
    fp = np.sum((y_true == 0) & (y_pred == 1))
    fn = np.sum((y_true == 1) & (y_pred == 0))
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    return precision, recall, np.bincount(y_true * 2 + y_pred, minlength=4)


@case(_r(6), _r(6))
def sklearn_r2(y_true, y_pred):
    y_true = np.asarray(y_true)
    numerator = ((y_true - y_pred) ** 2).sum(axis=0, dtype=np.float64)
    denominator = ((y_true - np.average(y_true, axis=0)) ** 2).sum(axis=0, dtype=np.float64)
    return 1 - numerator / denominator, np.mean(np.abs(y_true - y_pred))


@case(_r(5), np.array([0, 2, 1, 0]))
def cross_entropy_shared_logits(x, label):
    logits = np.array([0.1, 2.0, -1.0])
    logp = logits - np.log(np.exp(logits).sum())
    return -logp[label] + 0 * x.sum()


@case(_r(3, 2))
def softmax_logsumexp(x):
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=-1, keepdims=True), (m + np.log(e.sum(axis=-1, keepdims=True)))[..., 0]


@case(_r(6))
def histogram_fixed(x):
    h, edges = np.histogram(x, bins=3, range=(-2, 2))
    return h, edges


@case(_r(4, 2))
def stack_concat(x):
    return (
        np.concatenate([x, x[::-1]], axis=0),
        np.stack([x[:, 0], x[:, 1]], axis=1),
        np.hstack((x[:, 0], [1.0, 2.0])),
    )


@case(_r(4))
def array_of_computed(x):
    return np.array([x.sum(), x.max(), 1.0]), np.array([[x[0], 0.0], [0.0, x[1]]])


@case(_r(6))
def reshape_pad_roll(x):
    return (
        np.pad(x.reshape(2, 3), 1),
        np.roll(x, -2),
        np.flip(x),
        np.tile(x[:2], 2),
        np.repeat(x[:2], 2),
    )


@case(_r(4))
def meshgrid_interp(x):
    xp = np.array([-1.0, 0.0, 1.0])
    fp = np.array([0.0, 1.0, 4.0])
    return np.interp(x, xp, fp), np.interp(0.5, np.sort(x), np.arange(4.0))


@case(_r(3))
def isclose_allclose(x):
    return np.isclose(x, 0.0, atol=0.5), np.allclose(x, x + 1e-12), np.array_equal(x, x)


@case(_r(3, dtype=np.int32))
def bitwise_shift(x):
    return x << 2, x >> 1, x & 3, np.invert(x), np.left_shift(x, np.int32(1))


@case(_r(3))
def round_floor(x):
    return np.round(x, 2), np.floor(x), np.rint(x), np.trunc(x), np.fix(x), round(float(x[0]), 1)


@case(_r(3))
def empty_batch_0(x):
    return x.sum() + np.ones(2)


@case(_r(3))
def isnan_nan_to_num(x):
    y = np.where(x > 0, np.inf, x)
    return np.nan_to_num(y, posinf=9.0), np.isfinite(y), np.isinf(y).any()


@case(_r(4))
def trapezoid_gradient(x):
    return np.trapezoid(x), np.gradient(x), np.gradient(x, 0.5)


@case(_r(3))
def min_max_python_builtins(x):
    return max(x[0], x[1]), min(x), sum(x), abs(x[2])


@case(_r(3), _r(3))
def divmod_power(a, b):
    return np.divmod(a, 0.7), np.power(np.abs(a), b), np.float_power(np.abs(a), 2), a**2


@case(_r(4, dtype=np.int64))
def int_pow_negative_guard(x):
    return np.abs(x) ** 2, np.sign(x), np.maximum(x, 0), np.gcd(x, 6)


@case(_r(3))
def list_comprehension(x):
    return [v * i for i, v in enumerate(x)]


@case(_r(3))
def tuple_of_mixed(x):
    return x.shape[0], x.dtype.itemsize, x.sum() > 0


CASES.append(
    Case(
        "empty_batch",
        lambda x: (x.sum(), x * 2),
        (np.zeros((0, 3)),),
    )
)

# -----------------------------------------------------------------------------------------

TRANSFORMS = ["vmap", "jit(vmap)", "vmap(jit)", "vmap(vmap)"]


def _lane(a: Any, ax: Any, i: int) -> Any:
    if ax is None:
        return a
    idx = [slice(None)] * np.ndim(a)
    idx[ax] = i
    return a[tuple(idx)]


def _copy(tree: Any) -> Any:
    leaves, td = tree_flatten(tree)
    # np.copy keeps the layout (x.copy() is C-ordered): Fortran cases stay Fortran.
    copied = [np.copy(x, order="K") if isinstance(x, np.ndarray) else x for x in leaves]
    return tree_unflatten(td, copied)


def _axes(c: Case) -> tuple:
    return c.in_axes if isinstance(c.in_axes, tuple) else (c.in_axes,) * len(c.args)


def _batch_size(c: Case) -> int:
    for a, ax in zip(c.args, _axes(c)):
        if ax is not None:
            return np.shape(a)[ax]
    return next(iter(c.kwargs.values())).shape[0]


def _loop_ref(c: Case, fun: Callable, args: tuple, kwargs: dict) -> Any:
    axes = _axes(c)
    n = _batch_size(c)
    args = _copy(args)
    if n == 0:
        outs = [fun(*[_lane(np.zeros((1,) + a.shape[1:], a.dtype), 0, 0) for a in args])]
        leaves, td = tree_flatten(outs[0])
        return tree_unflatten(
            td, [np.zeros((0,) + np.shape(v), np.asarray(v).dtype) for v in leaves]
        )
    outs = [
        fun(
            *[_lane(a, ax, i) for a, ax in zip(args, axes)],
            **{k: v[i] for k, v in kwargs.items()},
        )
        for i in range(n)
    ]
    leaves = [tree_flatten(o)[0] for o in outs]
    td = tree_flatten(outs[0])[1]
    stacked = [np.stack([np.asarray(lv[k]) for lv in leaves]) for k in range(len(leaves[0]))]
    oa = c.out_axes
    stacked = [np.moveaxis(s, 0, oa) for s in stacked]
    return tree_unflatten(td, stacked)


def run_case(c: Case, transform: str) -> tuple[str, str]:
    """Return (verdict, detail): verdict is equal / silent_wrong / internal / specific."""
    ia = c.in_axes
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                if transform == "vmap(vmap)":
                    args2 = tuple(
                        a if ax is None else np.stack([a, np.flip(a, axis=ax)])
                        for a, ax in zip(c.args, _axes(c))
                    )
                    kw2 = {k: np.stack([v, v[::-1]]) for k, v in c.kwargs.items()}
                    outer_axes = tuple(None if ax is None else 0 for ax in _axes(c))
                    lanes = []
                    fun_ref = c.make()
                    for j in range(2):
                        sub = Case(
                            c.name,
                            fun_ref,
                            tuple(_lane(a, oa, j) for a, oa in zip(args2, outer_axes)),
                            ia,
                            c.out_axes,
                        )
                        lanes.append(
                            _loop_ref(sub, fun_ref, sub.args, {k: v[j] for k, v in kw2.items()})
                        )
                    leaves = [tree_flatten(o)[0] for o in lanes]
                    td = tree_flatten(lanes[0])[1]
                    want = tree_unflatten(
                        td, [np.stack([lv[k] for lv in leaves]) for k in range(len(leaves[0]))]
                    )
                    inner = autovec.vmap(c.make(), in_axes=ia, out_axes=c.out_axes)
                    got = autovec.vmap(inner, in_axes=outer_axes)(*_copy(args2), **_copy(kw2))
                    inputs = args2
                else:
                    want = _loop_ref(c, c.make(), c.args, c.kwargs)
                    f = c.make()
                    if transform == "vmap":
                        g = autovec.vmap(f, in_axes=ia, out_axes=c.out_axes)
                    elif transform == "jit(vmap)":
                        g = autovec.jit(autovec.vmap(f, in_axes=ia, out_axes=c.out_axes))
                    else:
                        g = autovec.vmap(autovec.jit(f), in_axes=ia, out_axes=c.out_axes)
                    got = g(*_copy(c.args), **_copy(c.kwargs))
                    inputs = c.args
    except AutovecError as e:
        return "specific", f"{type(e).__name__}: {str(e)[:160]}"
    except Exception as e:  # noqa: BLE001 - the tally's point
        return "internal", f"{type(e).__name__}: {str(e)[:160]}"
    leaves = tree_flatten(want)[0]
    kinds = {np.asarray(w).dtype for w in leaves}
    rtol = (
        1e-3
        if np.dtype(np.float16) in kinds
        else 1e-5
        if (np.dtype(np.float32) in kinds or np.dtype(np.complex64) in kinds)
        else 1e-10
    )
    try:
        _assert_same(got, want, rtol, rtol * 1e-2, f"{c.name} {transform}", inputs)
    except AssertionError as e:
        return "silent_wrong", str(e)[:300]
    return "equal", ""


# Known results that are not "equal" and are accepted; everything else must be equal.
ACCEPTED: dict[tuple[str, str], str] = {
    # A batched value written into a copy of an outer-vmap value inside an inner vmap.
    ("shared_inplace_copy", "vmap(vmap)"): "specific",
}


def _acceptable(c: Case, transform: str, verdict: str) -> bool:
    if verdict == "equal":
        return True
    return ACCEPTED.get((c.name, transform)) == verdict


# Every case gives the loop's result under every transformation, or the error ACCEPTED
# names (jit runs what it cannot stage uncompiled, so a specific error under jit is no
# longer a pass).
@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_redteam(c: Case) -> None:
    bad = []
    for t in TRANSFORMS:
        verdict, detail = run_case(c, t)
        if not _acceptable(c, t, verdict):
            bad.append(f"{t}: {verdict}: {detail}")
    assert not bad, "\n".join(bad)


if __name__ == "__main__":
    import collections
    import sys
    import time

    t0 = time.process_time()
    tally: dict[str, collections.Counter] = {t: collections.Counter() for t in TRANSFORMS}
    only = sys.argv[1:]
    for c in CASES:
        if only and c.name not in only:
            continue
        for t in TRANSFORMS:
            verdict, detail = run_case(c, t)
            tally[t][verdict] += 1
            if verdict != "equal":
                print(f"{verdict:13s} {t:11s} {c.name}: {detail}")
    for t in TRANSFORMS:
        print(t, dict(tally[t]))
    print(f"{len(CASES)} cases, {time.process_time() - t0:.1f}s CPU")
