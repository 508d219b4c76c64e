"""Other array libraries' arrays in, their arrays out: PyTorch tensors (CPU in CI; CUDA and
CuPy where a GPU is present) through every primitive and a representative set of
``autovec.numpy`` functions, checked against the loop on the same library; the namespace
chosen from the inputs, mixed libraries refused, NumPy constants converted once."""

import importlib.util

import numpy as np
import pytest

import autovec
import autovec.numpy as anp
from autovec import errors
from autovec.core import PRIMITIVES
from autovec.testing import check_primitive, check_vmap, cupy_backend, torch_backend

torch = pytest.importorskip("torch")


def _cuda() -> bool:
    return torch.cuda.is_available()


def _cupy() -> bool:
    if importlib.util.find_spec("cupy") is None:
        return False
    import cupy

    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no driver: CuPy imports but has no device
        return False


_BACKENDS = {
    "torch-cpu": (lambda: torch_backend("cpu"), lambda: True),
    "torch-cuda": (lambda: torch_backend("cuda"), _cuda),
    "cupy": (cupy_backend, _cupy),
}


@pytest.fixture(params=list(_BACKENDS))
def backend(request):
    make, present = _BACKENDS[request.param]
    if not present():
        pytest.skip(f"{request.param}: library or device not present")
    return make()


# ------------------------------------------------------------------------ every primitive
# Samples a backend refuses on purpose (BackendUnsupportedError naming it); checked below.
_REFUSED = {("qr", 3), ("scatter", 5), ("foreign_ufunc", 0)}
# The first sample of every primitive (the NumPy suite runs them all): vmap and jit(vmap).
_FIRST = [
    name for name, prim in sorted(PRIMITIVES.items()) if prim.samples and (name, 0) not in _REFUSED
]


@pytest.mark.parametrize("name", _FIRST)
def test_primitive_batches_like_the_loop_on_backend(name, backend):
    prim = PRIMITIVES[name]
    transforms = ("vmap", "jit_vmap")
    assert check_primitive(
        prim, prim.samples[0], transforms=transforms, backend=backend, nested=False
    )


@pytest.mark.parametrize(("name", "i"), sorted(_REFUSED))
def test_refused_samples_name_the_backend(name, i):
    prim = PRIMITIVES[name]
    with pytest.raises(errors.BackendUnsupportedError, match="PyTorch|torch"):
        check_primitive(prim, prim.samples[i], backend=torch_backend(), nested=False)


# -------------------------------------------------------------- autovec.numpy on a backend
W = np.linspace(-1.0, 1.0, 12).reshape(4, 3)  # NumPy constants the functions close over
A = np.eye(3) * 2 + 0.1


def mlp(x, w1, w2):
    return anp.tanh(x @ w1) @ w2


def softmax(x):
    e = anp.exp(x - x.max())
    return e / e.sum()


_CASES = {
    "sin_sum": (lambda x: anp.sin(x) * 2 + x.sum(), (np.arange(4.0),)),
    "x*x+1": (lambda x: x * x + 1, (np.arange(3.0),)),
    "closure_matmul": (lambda x: x @ W, (np.arange(4.0),)),
    "mlp": (mlp, (np.ones(4), W, np.ones((3, 2)))),
    "softmax": (softmax, (np.linspace(0, 1, 5),)),
    "where": (lambda x: anp.where(x > 0, x, 0.5 * x), (np.linspace(-1, 1, 5),)),
    "index": (lambda x, i: x[i] + x[1:3].sum(), (np.arange(5.0), np.int64(3))),
    "gather": (lambda x, i: anp.take(x, i), (np.arange(5.0), np.array([4, 0, 2]))),
    "mean_std": (lambda x: (anp.mean(x, axis=0), anp.std(x)), (np.arange(6.0).reshape(2, 3),)),
    "cumsum_sort": (lambda x: anp.cumsum(anp.sort(x)), (np.array([3.0, 1.0, 2.0]),)),
    "int_promotion": (lambda x: x * 2.5 + anp.arange(3), (np.arange(3),)),
    "float32": (lambda x: anp.exp(x) + 1, (np.arange(3, dtype=np.float32),)),
    "einsum": (lambda a, b: anp.einsum("ij,j->i", a, b), (W, np.ones(3))),
    "solve": (lambda b: anp.linalg.solve(A, b), (np.arange(3.0),)),
    "convolve": (lambda x: anp.convolve(x, np.array([1.0, -2.0, 1.0])), (np.arange(6.0),)),
    "stack_reshape": (
        lambda x: anp.stack([x, -x]).reshape(-1).T,
        (np.arange(3.0),),
    ),
    # The tutorial's convolution: x[i:j] windows, np.dot with the taps, rows stacked by
    # np.array (eager vmap's shortcuts for these on tensors), then scaled.
    "seed_convolve": (
        lambda x, w: anp.array([anp.dot(x[i - 1 : i + 2], w) for i in range(1, 5)]) * 2,
        (np.linspace(-1.0, 2.0, 6), np.array([0.5, -1.0, 2.0])),
    ),
    "dot_matrix_int_float": (
        lambda x, w: (anp.dot(x, w), x @ W[:, :2], anp.array([x[0:2], x[2:4]])),
        (np.arange(4), np.arange(12.0).reshape(4, 3)),
    ),
    "argmax_clip": (lambda x: (anp.argmax(x), anp.clip(x, -0.5, 0.5)), (np.linspace(-1, 1, 5),)),
}


@pytest.mark.parametrize("case", list(_CASES))
def test_numpy_functions_batch_like_the_loop_on_backend(case, backend):
    fun, args = _CASES[case]
    assert check_vmap(
        fun,
        *args,
        backend=backend,
        batch_sizes=(0, 3),
        transforms=("vmap", "jit_vmap", "vmap_jit"),
        nested=("vmap_vmap",),
    )


# -------------------------------------------------------------------- namespace selection


def test_tensors_in_tensors_out_with_dtype_and_device():
    x = torch.arange(6, dtype=torch.float32).reshape(3, 2)
    w = W[0, :2].astype(np.float32)
    for f in (autovec.vmap(lambda r: anp.sin(r) + w), autovec.jit(lambda r: r * 2)):
        out = f(x)
        assert type(out) is torch.Tensor
        assert out.dtype == torch.float32 and out.device == x.device
    # Eager autovec.numpy on a tensor stays a tensor too (the primitives, not NumPy).
    assert type(anp.sum(x, axis=0)) is torch.Tensor


def test_negative_slice_steps_on_torch():
    # torch refuses x[::-1]; inside vmap it is NumPy's meaning, on the tensor.
    x = torch.arange(10.0).reshape(2, 5)
    out = autovec.vmap(lambda r: r[::-1] * r[3::-2].sum())(x)
    want = torch.stack([torch.flip(r, [0]) * (r[3] + r[1]) for r in x])
    assert type(out) is torch.Tensor and torch.equal(out, want)
    assert torch.equal(autovec.jit(autovec.vmap(lambda r: r[::-2]))(x), x[:, [4, 2, 0]])


@pytest.mark.parametrize("name", ["convolve", "correlate"])
def test_eager_convolve_on_torch_is_numpys_in_every_mode(name):
    # "same" keeps the centre of the full result (an even kernel: one more on the left), and
    # correlate with the longer second operand is NumPy's reversed one.
    rng = np.random.default_rng(0)
    for n in (1, 2, 4, 5):
        for m in (1, 2, 3, 4, 9):
            a, v = rng.standard_normal(n), rng.standard_normal(m)
            for mode in ("full", "same", "valid"):
                got = getattr(anp, name)(torch.from_numpy(a), torch.from_numpy(v), mode=mode)
                want = getattr(np, name)(a, v, mode=mode)
                assert got.shape == want.shape and np.allclose(got.numpy(), want), (n, m, mode)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_vmap_convolve_rows_with_shared_taps_on_torch(mode):
    x = np.random.default_rng(1).standard_normal((5, 9))
    for w in (np.array([1.0, -2.0, 0.5]), np.arange(1.0, 5.0), np.array([2.0])):
        want = np.stack([np.convolve(r, w, mode=mode) for r in x])
        closed = autovec.vmap(lambda r: anp.convolve(r, w, mode=mode))  # a NumPy constant
        shared = autovec.vmap(lambda r, t: anp.convolve(r, t, mode=mode), in_axes=(0, None))
        for got in (closed(torch.from_numpy(x)), shared(torch.from_numpy(x), torch.from_numpy(w))):
            assert type(got) is torch.Tensor and np.allclose(got.numpy(), want)
        got = autovec.vmap(lambda r: anp.correlate(r, w[::-1], mode=mode))(torch.from_numpy(x))
        assert np.allclose(got.numpy(), np.stack([np.correlate(r, w[::-1], mode) for r in x]))


def test_inside_vmap_dtype_is_numpys():
    seen = []

    def f(r):
        seen.append(r.dtype)
        return r

    autovec.vmap(f)(torch.zeros((2, 3), dtype=torch.int32))
    assert seen == [np.dtype(np.int32)]


def test_numpy_and_torch_arguments_raise_backend_mismatch():
    x, y = torch.ones((3, 2)), np.ones((3, 2))
    with pytest.raises(errors.BackendMismatchError, match="NumPy arrays and torch"):
        autovec.vmap(lambda a, b: a + b)(x, y)
    with pytest.raises(errors.BackendMismatchError, match="NumPy arrays and torch"):
        autovec.jit(lambda a, b: a + b)(x, y)
    with pytest.raises(errors.BackendMismatchError, match="NumPy arrays and torch"):
        autovec.vmap(lambda a, b: a + b, in_axes=(0, None))(x, y[0])


def test_closed_over_numpy_constant_is_converted_once_per_jit_program():
    const = np.arange(3.0)
    f = autovec.jit(autovec.vmap(lambda r: r * const))
    x = torch.ones((2, 3), dtype=torch.float64)
    out = f(x)
    assert type(out) is torch.Tensor and torch.equal(out, torch.tensor([[0.0, 1, 2]] * 2))
    (entry,) = f._cache.values()
    consts = [v for v in entry.fn.__globals__.values() if isinstance(v, torch.Tensor)]
    assert consts and all(c.device == x.device for c in consts)


def test_unsupported_torch_dtype_names_the_backend():
    with pytest.raises(errors.BackendUnsupportedError, match="PyTorch dtype"):
        autovec.vmap(lambda r: r * 2)(torch.ones((2, 2), dtype=torch.bfloat16))


# --------------------------------------------------------------- loop-faithful features


def test_batch_split_on_torch_names_the_backend():
    def f(r):
        return r * 2 if r.sum() > 0 else r - 1

    with pytest.raises(errors.BackendUnsupportedError, match="torch arrays"):
        autovec.vmap(f)(torch.arange(6.0).reshape(3, 2) - 2)
    # The vectorised spelling works, and agrees with the loop.
    g = lambda r: anp.where(r.sum() > 0, r * 2, r - 1)  # noqa: E731
    x = torch.arange(6.0, dtype=torch.float64).reshape(3, 2) - 2
    assert torch.equal(autovec.vmap(g)(x), torch.stack([g(r) for r in x]))


def test_per_lane_fallback_on_torch_names_the_backend():
    with pytest.raises(errors.BackendUnsupportedError, match="torch arrays"):
        autovec.vmap(lambda r: r * float(r[0]))(torch.arange(6.0).reshape(3, 2))


@pytest.mark.parametrize("chunk_size", [1, 3, 10])
def test_chunk_size_on_torch_is_the_unchunked_run(chunk_size):
    # Chunks of the batch written into one preallocated tensor (eager), or a scan over the
    # chunks (jit); out_axes and pytrees as without chunks.
    x = torch.arange(14.0, dtype=torch.float64).reshape(7, 2)

    def f(r):
        return {"a": anp.sin(r) * 2 + r.sum(), "b": r[0].astype(np.float32)}

    want = autovec.vmap(f, out_axes={"a": 1, "b": 0})(x)
    for g in (autovec.vmap, lambda f, **kw: autovec.jit(autovec.vmap(f, **kw))):
        got = g(f, chunk_size=chunk_size, out_axes={"a": 1, "b": 0})(x)
        for k in want:
            assert type(got[k]) is torch.Tensor and got[k].dtype == want[k].dtype
            assert torch.equal(got[k], want[k])


def test_max_memory_on_torch_names_the_backend():
    # It measures NumPy's allocations (tracemalloc), which torch's are not.
    with pytest.raises(errors.BackendUnsupportedError, match="chunk_size"):
        autovec.vmap(lambda r: r + 1, max_memory="1MB")(torch.ones((3, 2)))


def test_random_draws_on_torch_are_the_loops():
    def f(r):
        return r + np.random.normal(size=2)

    x = torch.arange(6.0, dtype=torch.float64).reshape(3, 2)
    np.random.seed(1)
    got = autovec.vmap(f)(x)
    after = np.random.normal()
    np.random.seed(1)
    want = torch.stack([anp.add(r, np.random.normal(size=2)) for r in x])
    assert type(got) is torch.Tensor and torch.equal(got, want)
    assert after == np.random.normal()  # the same final state as the loop
