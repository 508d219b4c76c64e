"""Eager vmap's hot paths on PyTorch tensors give exactly what the general path gives: a dead
temporary's buffer receiving an elementwise result (``(a - b) ** 2``, ``x @ w + b``), only
where nothing else can see it, and the short-row products of ``np.dot`` of per-example
windows (the seed convolution)."""

import numpy as np
import pytest

import autovec
import autovec.numpy as anp
from autovec.interpreters.batch_foreign import ForeignBatchTrace
from autovec.numpy import _elision

torch = pytest.importorskip("torch")

from autovec.torch_namespace.elementwise import TORCH_UNARY  # noqa: E402
from autovec.torch_namespace.namespace import _FUNCTIONS  # noqa: E402

BIG = (8, 64, 128)  # 65,536 elements: above the elision threshold


def _tensor(shape, seed=0, dtype=torch.float64):
    return torch.from_numpy(np.random.default_rng(seed).standard_normal(shape)).to(dtype)


@pytest.fixture
def elided(monkeypatch):
    """(primitive name, reused?) for each bind on a torch batch offered a temporary."""
    if not _elision.available():
        pytest.skip("this Python shows a temporary and a held value alike: elision is off")
    calls = []
    original = ForeignBatchTrace._elide

    def spy(self, prim, target, args):
        out = original(self, prim, target, args)
        calls.append((prim.name, out is not None))
        return out

    monkeypatch.setattr(ForeignBatchTrace, "_elide", spy)
    return calls


def _without_elision(fun, *args, **kwargs):
    """``vmap(fun)(*args)`` with no buffer reused (the general path's result)."""
    original = ForeignBatchTrace._elide
    ForeignBatchTrace._elide = lambda self, prim, target, args: None
    try:
        return autovec.vmap(fun, **kwargs)(*args)
    finally:
        ForeignBatchTrace._elide = original


def _mlp_layer(w, b, x):
    return np.maximum(x @ w + b, 0.0)


_CHAINS = {
    "sqrt_square": (lambda a: np.sqrt((a - 1.0) ** 2 + 1.0), (_tensor(BIG),), {}),
    "pairwise_square": (
        lambda a, b: (a - b) ** 2,
        (_tensor((8, 64, 128)), _tensor((64, 128), 1)),
        {"in_axes": (0, None)},
    ),
    "exp_of_scaled": (lambda a: np.exp(a * 3.0) / np.float64(2.0), (_tensor(BIG),), {}),
    "float32": (lambda a: (a * 2.0) ** 2 - 1, (_tensor(BIG, dtype=torch.float32),), {}),
}


@pytest.mark.parametrize("case", list(_CHAINS))
def test_temporaries_on_torch_reuse_buffers_with_the_general_paths_result(case, elided):
    fun, args, kwargs = _CHAINS[case]
    want = _without_elision(fun, *args, **kwargs)
    got = autovec.vmap(fun, **kwargs)(*args)
    assert type(got) is torch.Tensor and got.dtype == want.dtype
    assert torch.equal(got, want)
    assert any(done for _, done in elided)
    # Loop-faithful: NumPy's loop on the same values agrees.
    axes = kwargs.get("in_axes", 0)
    axes = axes if isinstance(axes, tuple) else (axes,) * len(args)
    n = next(len(a) for a, ax in zip(args, axes) if ax == 0)
    loop = np.stack(
        [
            fun(*(a[i].numpy() if ax == 0 else a.numpy() for a, ax in zip(args, axes)))
            for i in range(n)
        ]
    )
    np.testing.assert_allclose(got.numpy(), loop, rtol=1e-12)


def test_nested_pairwise_on_torch_reuses_the_outer_temporary(elided):
    xs, ys = _tensor((64, 32)), _tensor((64, 32), 1)

    def distance(a, b):
        return np.sqrt(np.sum((a - b) ** 2))

    f = autovec.vmap(autovec.vmap(distance, in_axes=(None, 0)), in_axes=(0, None))
    got = f(xs, ys)
    want = torch.sqrt(((xs[:, None] - ys[None]) ** 2).sum(-1))
    assert type(got) is torch.Tensor
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    assert ("square", True) in elided


def test_bias_and_relu_on_torch_reuse_the_product(elided):
    w, b, x = _tensor((128, 512)), _tensor(512, 1), _tensor((256, 128), 2)
    got = autovec.vmap(_mlp_layer, in_axes=(None, None, 0))(w, b, x)
    want = _without_elision(_mlp_layer, w, b, x, in_axes=(None, None, 0))
    assert torch.equal(got, want)
    np.testing.assert_allclose(
        got.numpy(), np.maximum(x.numpy() @ w.numpy() + b.numpy(), 0.0), rtol=1e-12
    )
    assert ("maximum", True) in elided


def test_values_held_on_torch_are_never_overwritten(elided):
    x = _tensor(BIG)
    x0 = x.clone()

    def f(a):
        d = a * 2.0
        e = d**2  # d is held: must not be reused
        kept = [a + 1.0]
        f2 = kept[0] * 3.0  # held by a list
        t = a - 1.0
        view = t[:, 0]  # a view of t's buffer
        return d, e, kept[0], f2, np.exp(a - 1.0) + 0 * view.sum(), view

    d, e, k, f2, g, view = autovec.vmap(f)(x)
    assert torch.equal(x, x0)  # the argument
    assert torch.equal(d, x * 2.0) and torch.equal(e, (x * 2.0) ** 2)
    assert torch.equal(k, x + 1.0) and torch.equal(f2, (x + 1.0) * 3.0)
    assert torch.equal(view, (x - 1.0)[:, :, 0])
    np.testing.assert_allclose(g.numpy(), np.exp(x.numpy() - 1.0), rtol=1e-12)
    assert not any(done for name, done in elided if name == "square")
    outs = (x, d, e, k, f2, g)
    ptrs = [o.untyped_storage().data_ptr() for o in outs]
    assert len(set(ptrs)) == len(ptrs)  # each result has its own buffer


def test_arguments_and_their_aliases_on_torch_are_never_overwritten(elided):
    base = np.random.default_rng(0).standard_normal(BIG)
    x = torch.from_numpy(base)  # NumPy's memory: never a buffer to reuse
    before = base.copy()
    autovec.vmap(lambda a: (a + 0) ** 2)(x)
    autovec.vmap(lambda a: np.sqrt(a * a))(x.detach())  # an alias of x, held by the call
    np.testing.assert_array_equal(base, before)


def test_dtype_change_on_torch_is_not_elided(elided):
    x = torch.from_numpy(np.random.default_rng(0).integers(0, 100, BIG).astype(np.int32))
    got = autovec.vmap(lambda a: (a * 2) / 3)(x)
    assert got.dtype == torch.float64
    np.testing.assert_array_equal(got.numpy(), (x.numpy() * 2) / 3)
    assert elided == [("divide", False)]


def test_broadcast_larger_than_the_temporary_on_torch_is_not_elided(elided):
    x, y = _tensor((4, 1, 1 << 14)), _tensor((4, 2, 1 << 14), 1)
    got = autovec.vmap(lambda a, b: (a * 2.0) + b)(x, y)
    assert torch.equal(got, x * 2.0 + y)
    assert elided == [("add", False)]


def test_tensors_needing_gradients_are_never_overwritten(elided):
    x = _tensor(BIG).requires_grad_(True)
    got = autovec.vmap(lambda a: (a * 2.0) ** 2)(x)
    got.sum().backward()  # the graph still holds what it saved
    np.testing.assert_allclose(x.grad.numpy(), 8.0 * x.detach().numpy(), rtol=1e-12)
    assert not any(done for _, done in elided)


# ------------------------------------------------ every `into`: the function's own result


def _functions():
    return sorted((n, f) for n, f in _FUNCTIONS.items() if hasattr(f, "into"))


def _operands(name, dtype):
    rng = np.random.default_rng(1)
    if dtype is torch.bool:
        return torch.from_numpy(rng.integers(0, 2, 64).astype(bool))
    if dtype.is_floating_point:
        lo, hi = (1.0, 3.0) if name in ("arccosh",) else (-0.9, 0.9)
        return torch.from_numpy(rng.uniform(lo, hi, 64)).to(dtype)
    return torch.from_numpy(rng.integers(1, 6, 64)).to(dtype)


@pytest.mark.parametrize(
    ("name", "fn"), _functions(), ids=lambda v: v if isinstance(v, str) else ""
)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.int64, torch.bool])
def test_into_writes_exactly_the_functions_result(name, fn, dtype):
    x = _operands(name, dtype)
    calls = (
        [(x,)] if name in TORCH_UNARY else [(x, _operands(name, dtype).flip(0)), (x, 2), (x, 1.5)]
    )
    for args in calls:
        try:
            want = fn(*args)
        except Exception:  # noqa: BLE001  (the function refuses these dtypes: nothing to match)
            continue
        buf = args[0].clone()
        try:
            out = fn.into(buf, buf, *args[1:])
        except Exception:  # noqa: BLE001  (the trace then takes the normal path)
            out = None
        if out is None:  # refused, or torch refused before writing anything
            assert torch.equal(buf, args[0])
            continue
        assert out is buf
        torch.testing.assert_close(out, want, rtol=0, atol=0, equal_nan=True)


# ---------------------------------------------------------- np.dot of per-example windows


@pytest.mark.parametrize("rows", [3, 100, 4096])
@pytest.mark.parametrize("taps", [2, 3, 4, 5])
def test_dot_of_windows_on_torch_is_the_loops(rows, taps):
    rng = np.random.default_rng(taps)
    x, w = rng.standard_normal((rows, 16)), rng.standard_normal((rows, taps))

    def conv(x, w):
        return anp.array([np.dot(x[i : i + taps], w) for i in range(len(x) - taps + 1)])

    got = autovec.vmap(conv)(torch.from_numpy(x), torch.from_numpy(w))
    want = np.stack([conv(a, b) for a, b in zip(x, w)])
    assert type(got) is torch.Tensor
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-13, atol=1e-15)
    if rows * taps > 256 and taps <= 4:
        # The columns of products are added in order: each row's sum as the loop adds it.
        prods = x[:, :taps] * w
        first = prods[:, 0] + prods[:, 1]
        for j in range(2, taps):
            first = first + prods[:, j]
        np.testing.assert_array_equal(got.numpy()[:, 0], first)


# ------------------------------------------------ np.array of per-example values, stacked


_STACKS = {
    "scalars": lambda x: anp.array([x[0] * 2, x[1], x.sum()]),
    "rows": lambda x: anp.array([x, 2 * x, x[::-1]]) * 1.5,
    "one": lambda x: anp.array([x.sum()]),
    "nested_lists": lambda x: anp.array([[x[0], x[1]], [x[2], x.max()]]),
    "mixed_dtypes": lambda x: anp.array([x.astype(np.int32), x.astype(np.float32)]),
    "with_a_number": lambda x: anp.array([x[0], 2.0]),
    "written_after": lambda x: _written(anp.array([x[0], x[1]])),
}


def _written(y):
    y[0] = -1.0
    return y


@pytest.mark.parametrize("case", list(_STACKS))
def test_array_of_per_example_values_on_torch_is_the_loops(case):
    fun = _STACKS[case]
    x = np.random.default_rng(0).standard_normal((5, 4))
    want = np.stack([fun(r) for r in x])
    for f in (autovec.vmap(fun), autovec.jit(autovec.vmap(fun))):
        got = f(torch.from_numpy(x))
        assert type(got) is torch.Tensor and got.dtype == torch.from_numpy(want).dtype
        np.testing.assert_array_equal(got.numpy(), want)
    nested = autovec.vmap(autovec.vmap(fun))(torch.from_numpy(np.stack([x, -x])))
    np.testing.assert_array_equal(nested.numpy()[0], want)


def test_array_of_values_is_a_copy_on_torch():
    def f(x):
        y = anp.array([x, x])
        y[0, 0] = 7.0  # a write into the new array reaches neither x nor the other row
        return y, x

    y, x = autovec.vmap(f)(torch.ones((3, 2), dtype=torch.float64))
    assert torch.equal(x, torch.ones((3, 2), dtype=torch.float64))
    assert y[:, 0, 0].eq(7.0).all() and y[:, 1].eq(1.0).all()


# ------------------------------------------------------------ np.convolve of rows on torch


@pytest.mark.parametrize("taps", [1, 2, 9, 16, 32, 33])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_convolve_rows_on_torch_are_each_rows_own(taps, mode):
    rng = np.random.default_rng(taps)
    x, w = rng.standard_normal((40, 300)), rng.standard_normal(taps)
    tx, tw = torch.from_numpy(x), torch.from_numpy(w)
    for name in ("convolve", "correlate"):
        f = getattr(anp, name)
        got = autovec.vmap(lambda r, k: f(r, k, mode=mode), in_axes=(0, None))(tx, tw)
        # The batch and the loop of single rows on torch compute alike, to the bit.
        assert torch.equal(got, torch.stack([f(r, tw, mode=mode) for r in tx]))
        want = np.stack([getattr(np, name)(r, w, mode=mode) for r in x])
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


def test_convolve_rows_on_torch_keep_numpys_dtypes():
    x = np.arange(60).reshape(3, 20) % 7 - 3
    w = np.array([1, -2, 3])
    got = autovec.vmap(lambda r: anp.convolve(r, w))(torch.from_numpy(x))
    assert got.dtype == torch.int64
    np.testing.assert_array_equal(got.numpy(), np.stack([np.convolve(r, w) for r in x]))
    x32 = torch.from_numpy(np.linspace(-1, 1, 80, dtype=np.float32).reshape(4, 20))
    got = autovec.vmap(lambda r: anp.convolve(r, np.float32([0.5, 0.25])))(x32)
    assert got.dtype == torch.float32


def test_convolve_of_a_long_row_on_torch_is_numpys():
    # Longer than one tile of the shifted products (65,536 elements): computed in stretches.
    rng = np.random.default_rng(5)
    a, v = rng.standard_normal(70_000), rng.standard_normal(7)
    for mode in ("full", "same", "valid"):
        got = anp.convolve(torch.from_numpy(a), torch.from_numpy(v), mode=mode)
        np.testing.assert_allclose(
            got.numpy(), np.convolve(a, v, mode=mode), rtol=1e-12, atol=1e-12
        )
    rows = rng.standard_normal((3, 400))
    f = autovec.jit(autovec.vmap(lambda r: anp.convolve(r, v)))  # jit joins the rows into one
    np.testing.assert_allclose(
        f(torch.from_numpy(rows)).numpy(), np.stack([np.convolve(r, v) for r in rows]), rtol=1e-12
    )
