"""vmap of dask arrays: lazy, one task per block, the loop's result (autovec/dask.py)."""

import numpy as np
import pytest

import autovec

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 6))
W1, W2 = RNG.normal(size=(6, 16)), RNG.normal(size=(16, 3))


def mlp(x, w1, w2):
    return np.tanh(x @ w1) @ w2


def _loop(x, w1, w2):
    return np.stack([mlp(xi, w1, w2) for xi in x])


def test_blocks_run_lazily_and_give_the_loop():
    calls = []

    def f(x, w1, w2):
        calls.append(1)
        return mlp(x, w1, w2)

    out = autovec.vmap(f, in_axes=(0, None, None))(da.from_array(X, chunks=10), W1, W2)
    assert isinstance(out, da.Array) and out.chunks == ((10, 10, 10, 10), (3,))
    traced = len(calls)  # the output layout: one abstract trace
    np.testing.assert_allclose(out.compute(), _loop(X, W1, W2), rtol=1e-12)
    assert len(calls) == traced + 4  # one vectorised run per block


def test_pytrees_out_axes_and_unbatched_arguments_are_one_key():
    def f(d, w):
        return {"y": np.tanh(d["x"] @ w), "s": (d["x"].sum(), w.sum())}

    dx = da.from_array(X.T, chunks=(6, 8))  # the batch on axis 1, five blocks
    spec = dict(in_axes=({"x": 1}, None), out_axes={"y": -1, "s": (0, None)})
    out = autovec.vmap(f, **spec)({"x": dx}, W1)
    ref = autovec.vmap(f, **spec)({"x": X.T}, W1)
    got = dask.compute(out)[0]
    np.testing.assert_allclose(got["y"], ref["y"], rtol=1e-12)
    np.testing.assert_allclose(got["s"][0], ref["s"][0], rtol=1e-12)
    assert got["s"][1] == ref["s"][1]
    graph = dict(out["y"].__dask_graph__())
    holding_w = [k for k, v in graph.items() if v is W1 or getattr(v, "value", None) is W1]
    assert len(holding_w) == 1  # W1 is in the graph once, not once per block
    assert sum(1 for k in graph if "_apply" in str(k)) == 5  # one task per block


def test_on_a_local_cluster_with_two_worker_processes():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        f = autovec.jit(mlp)
        out = autovec.vmap(f, in_axes=(0, None, None))(da.from_array(X, chunks=5), W1, W2)
        got = client.compute(out).result()
    np.testing.assert_allclose(got, _loop(X, W1, W2), rtol=1e-12)


def test_random_draws_in_blocks_raise_instead_of_repeating():
    # Every block would start from the same generator state: not the loop's numbers.
    rng = np.random.default_rng(0)
    x = da.from_array(np.arange(8.0), chunks=4)
    with pytest.raises(autovec.errors.RandomnessError, match="dask array"):
        autovec.vmap(lambda v: v + rng.standard_normal())(x).compute()
    # Drawn before vmap and passed in, the numbers are the loop's.
    noise = np.random.default_rng(0).standard_normal(8)
    got = autovec.vmap(lambda v, e: v + e)(x, da.from_array(noise, chunks=4)).compute()
    np.testing.assert_array_equal(got, np.arange(8.0) + noise)
