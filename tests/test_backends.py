"""Other array libraries' arrays in, their arrays out: PyTorch tensors (CPU in CI; CUDA and
CuPy where a GPU is present) through every primitive and a representative set of
``autovec.numpy`` functions, checked against the loop on the same library; the namespace
chosen from the inputs, mixed libraries refused, NumPy constants converted once."""

import importlib.util
import warnings

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


def _loop(f, *xs):
    """The Python loop over the tensors' rows (views, as ``x[i]`` gives), stacked by torch."""
    return torch.stack([f(*rows) for rows in zip(*xs)])


def _same(got, want):
    assert type(got) is torch.Tensor, type(got)
    assert got.dtype == want.dtype and got.device == want.device
    assert torch.equal(got, want), (got, want)


def _two_branch(r):
    return r * 2 if r.sum() > 0 else r - 1


def _newton(a):
    x = a
    tol = 1e-12 if a.dtype == torch.float64 or a.dtype == np.float64 else 1e-5
    while abs(x * x - a) > tol * a:  # a Python while on a per-example value
        x = 0.5 * (x + a / x)
    return x


def test_two_branch_if_on_torch_runs_as_the_loop():
    x = torch.arange(12.0, dtype=torch.float64).reshape(4, 3) - 5
    with pytest.warns(errors.FallbackWarning, match="one after the other") as seen:
        got = autovec.vmap(_two_branch)(x)
    _same(got, _loop(_two_branch, x))
    assert len(seen) == 1  # one warning per call site
    assert "host memory" not in str(seen[0].message)  # a CPU tensor copies nothing
    # When every example takes the same branch, nothing splits and nothing warns.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _same(autovec.vmap(_two_branch)(x + 100), _loop(_two_branch, x + 100))
    # The generic checker: every in_axes, batch sizes 0, 1, 3, under jit and nested vmap.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", errors.FallbackWarning)
        example = np.array([1.0, -2.0, 0.5])
        transforms = ("vmap", "jit_vmap", "vmap_jit")
        assert check_vmap(_two_branch, example, backend=torch_backend(), transforms=transforms)


def test_newton_while_on_torch_runs_as_the_loop():
    a = torch.tensor([1.0, 2.0, 9.0, 1e6, 0.25], dtype=torch.float64)
    with pytest.warns(errors.FallbackWarning, match="bool"):
        got = autovec.vmap(_newton)(a)
    _same(got, _loop(_newton, a))
    a32 = a.to(torch.float32)
    _same(autovec.vmap(_newton, fallback="loop")(a32), _loop(_newton, a32))


@pytest.mark.parametrize("convert", ["float", "item"])
def test_float_and_item_on_torch_run_as_the_loop(convert):
    def f(r):
        scale = float(r[0]) if convert == "float" else r[0].item()
        return r * scale + 1

    x = torch.arange(6.0, dtype=torch.float32).reshape(3, 2) - 2
    with pytest.warns(errors.FallbackWarning, match="one after the other"):
        got = autovec.vmap(f)(x)
    _same(got, _loop(f, x))


def test_asarray_prologue_on_torch_runs_as_the_loop():
    # Library code converting its argument: np.asarray of a torch row is a NumPy array (the
    # row's memory), so each example returns NumPy values, and the loop's np.stack of them
    # is NumPy's; vmap gives the same.
    def f(r):
        r = np.asarray(r, dtype=float)
        return np.sqrt((r**2).sum()), r[::-1] * 2

    x = torch.arange(8.0, dtype=torch.float64).reshape(4, 2)
    with pytest.warns(errors.FallbackWarning, match="np.asarray"):
        norm, rev = autovec.vmap(f)(x)
    outs = [f(r) for r in x]
    for got, want in (
        (norm, np.stack([o[0] for o in outs])),
        (rev, np.stack([o[1] for o in outs])),
    ):
        assert type(got) is np.ndarray and got.dtype == want.dtype
        assert np.array_equal(got, want)


def test_data_dependent_shape_on_torch_is_the_loops():
    x = torch.tensor([[-1.0, -2.0, -3.0], [1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # x[x > 0].sum() stays vectorised
        for f in (lambda r: r[r > 0].sum(), lambda r: r[r > 0].sum() * 2 + r[r < 0].sum()):
            _same(autovec.vmap(f)(x), _loop(f, x))
    # A result whose size differs per example: each example runs alone.
    with pytest.warns(errors.FallbackWarning, match="size depends on the values"):
        got = autovec.vmap(lambda r: r[r > 0] * 2, ragged="list")(x)
    want = [r[r > 0] * 2 for r in x]
    assert len(got) == len(want) and all(torch.equal(g, w) for g, w in zip(got, want))


def _inverse_or_zero(m):
    try:
        return anp.linalg.inv(m)
    except Exception:  # torch's LinAlgError for the singular example, as in the loop
        return m * 0


def test_exception_in_one_lane_on_torch_stays_with_it():
    eye = torch.eye(2, dtype=torch.float64)
    m = torch.stack([eye, torch.zeros((2, 2), dtype=torch.float64), 2 * eye, 4 * eye])
    with pytest.warns(errors.FallbackWarning, match="for some examples only"):
        got = autovec.vmap(_inverse_or_zero)(m)
    _same(got, _loop(_inverse_or_zero, m))
    # Leaving the function: the loop's exception, naming the first failing example.
    m[3] = 0
    with pytest.raises(Exception, match="singular") as info:
        autovec.vmap(anp.linalg.inv, fallback="loop")(m)
    assert "vmap: raised for the example at index 1" in getattr(info.value, "__notes__", [])


def test_writes_into_torch_rows_reach_the_caller():
    def f(r):
        if r.sum() > 0:  # splits: each example writes into its own row, a view
            r[0] = 5
        return r * 2

    def g(r):
        r[1] = -1  # vectorised: written back into the caller's tensor afterwards
        return r.sum()

    for fun in (f, g):
        for transform in (autovec.vmap, lambda h: autovec.jit(autovec.vmap(h))):
            x = torch.arange(6.0, dtype=torch.float64).reshape(3, 2) - 2
            x_loop = x.clone()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", errors.FallbackWarning)
                got = transform(fun)(x)
            _same(got, _loop(fun, x_loop))
            _same(x, x_loop)
    x = torch.arange(6.0, dtype=torch.float64).reshape(2, 3)  # in_axes=1: the columns
    x_loop = x.clone()
    autovec.vmap(g, in_axes=1)(x)
    for c in x_loop.T:
        g(c)
    _same(x, x_loop)


def test_jit_of_a_splitting_vmap_on_torch_runs_uncompiled():
    x = torch.arange(12.0, dtype=torch.float64).reshape(4, 3) - 5
    f = autovec.jit(autovec.vmap(_two_branch))
    with pytest.warns(errors.FallbackWarning) as seen:
        got = f(x)
    assert any(w.category is errors.JitFallbackWarning for w in seen)
    _same(got, _loop(_two_branch, x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", errors.FallbackWarning)
        _same(f(x * -1), _loop(_two_branch, x * -1))  # later calls too


def test_unbatched_output_of_a_split_on_torch():
    x = torch.arange(6.0, dtype=torch.float64).reshape(3, 2) - 2

    def f(r):
        return _two_branch(r), r[0] * 0 + 1  # the second the same for every example

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", errors.FallbackWarning)
        got, one = autovec.vmap(f, out_axes=(0, None))(x)
        _same(got, _loop(_two_branch, x))
        _same(one, torch.tensor(1.0, dtype=torch.float64))
        with pytest.raises(errors.OutAxesError):
            autovec.vmap(lambda r: (_two_branch(r), r[0]), out_axes=(0, None))(x)


def test_fallback_modes_on_torch():
    x = torch.arange(6.0).reshape(3, 2) - 2
    with pytest.raises(errors.BackendUnsupportedError, match=r"fallback='error'\) on torch arrays"):
        autovec.vmap(_two_branch, fallback="error")(x)
    with pytest.raises(errors.ConcretizationTypeError):  # as on NumPy arrays
        autovec.vmap(lambda r: r * float(r[0]), fallback="error")(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _same(autovec.vmap(_two_branch, fallback="loop")(x), _loop(_two_branch, x))
    # The vectorised spelling works, and agrees with the loop.
    g = lambda r: anp.where(r.sum() > 0, r * 2, r - 1)  # noqa: E731
    _same(autovec.vmap(g, fallback="error")(x), _loop(g, x))


def test_fallback_warning_says_a_device_copies_to_host():
    from autovec.interpreters.split_points import foreign_message

    class Namespace:  # what a CUDA tensor's namespace tells: its name and device
        __name__ = "torch[cuda:0]"
        device = torch.device("cuda:0")

    message = foreign_message(Namespace(), "item", ".item() of a batched value", "f.py", 3)
    assert "one after the other" in message and "from cuda:0 to host memory" in message
    Namespace.device = torch.device("cpu")
    assert "host memory" not in foreign_message(Namespace(), "bool", "bool()", "f.py", 3)


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


def test_random_draws_per_example_on_torch_are_the_loops():
    # Two draws per example from one generator: they run example by example, as the loop.
    def f(r, rng):
        return r * rng.normal() + rng.uniform()

    x = torch.arange(6.0, dtype=torch.float64).reshape(3, 2)
    rng = np.random.default_rng(7)
    got = autovec.vmap(f, in_axes=(0, None))(x, rng)
    after = rng.normal()
    rng = np.random.default_rng(7)
    want = torch.stack([f(r, rng) for r in x])
    _same(got, want)
    assert after == rng.normal()  # the same final state as the loop
