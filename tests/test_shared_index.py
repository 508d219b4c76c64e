"""Shared values index like batched ones (issue 9.5): an ``in_axes=None`` array indexed,
taken from or gathered with a batched index equals the loop and stays vectorised (the
function runs once); closed-over arrays equal the loop, with advice that works."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autovec
import autovec.numpy as anp
from autovec import errors

RNG = np.random.default_rng(0)
TABLE = RNG.normal(size=(12, 4))
IDX = RNG.integers(0, 12, size=9)
LOGITS = RNG.normal(size=10)
LABELS = RNG.integers(0, 10, size=9)
EMB = RNG.normal(size=(20, 3))
TOKENS = RNG.integers(0, 20, size=(9, 5))


def _loop(f, args, in_axes):
    n = next(a.shape[0] for a, ax in zip(args, in_axes) if ax is not None)
    outs = [f(*[a if ax is None else a[k] for a, ax in zip(args, in_axes)]) for k in range(n)]
    return np.stack(outs)


def _xent(logits, label):
    logp = logits - np.log(np.exp(logits - logits.max()).sum()) - logits.max()
    return -logp[label]


CASES = {
    "getitem": (lambda t, i: t[i], (TABLE, IDX)),
    "take": (lambda t, i: np.take(t, i, axis=0), (TABLE, IDX)),
    "take_flat": (lambda t, i: np.take(t, i), (TABLE, IDX)),
    "two_indices": (lambda t, i: t[i, i % 4], (TABLE, IDX)),
    "column": (lambda t, i: t[:, i % 4], (TABLE, IDX)),
    "cross_entropy": (_xent, (LOGITS, LABELS)),
    "embedding": (lambda e, ids: e[ids].sum(axis=0), (EMB, TOKENS)),
    "take_along_axis": (
        lambda t, i: np.take_along_axis(t, np.zeros((1, 4), int) + i % 12, axis=0),
        (TABLE, IDX),
    ),
    "choose": (lambda t, i: np.choose(i % 4, t.T), (TABLE, IDX)),
    "computed_table": (lambda t, i: (t * 2 - 1)[i], (TABLE, IDX)),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("transform", ["vmap", "jit_vmap", "vmap_jit"])
def test_shared_argument_indexed_by_batched_value(name, transform):
    f, (table, idx) = CASES[name]
    in_axes = (None, 0)
    calls = []

    def counted(t, i):
        calls.append(1)
        return f(t, i)

    if transform == "vmap":
        g = autovec.vmap(counted, in_axes=in_axes, fallback="error")
    elif transform == "jit_vmap":
        g = autovec.jit(autovec.vmap(counted, in_axes=in_axes, fallback="error"))
    else:
        g = autovec.vmap(autovec.jit(counted), in_axes=in_axes, fallback="error")
    with warnings.catch_warnings():
        warnings.simplefilter("error", errors.FallbackWarning)
        got = g(table, idx)
    want = _loop(f, (table, idx), in_axes)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert len(calls) == 1  # vectorised: the function ran once, no split, no fallback


def test_shared_argument_returned_unchanged_is_the_loops_stack():
    out = autovec.vmap(lambda t, i: t, in_axes=(None, 0))(TABLE, IDX)
    np.testing.assert_array_equal(out, np.stack([TABLE] * len(IDX)))
    assert not np.shares_memory(out, TABLE) and out.flags.writeable
    same = autovec.vmap(lambda t, i: t, in_axes=(None, 0), out_axes=None)(TABLE, IDX)
    np.testing.assert_array_equal(same, TABLE)


def test_shared_only_code_runs_as_numpy_once():
    """Code that never mixes the shared value with batched ones gets NumPy's own results
    (also for functions whose result size depends on the values), with no split."""
    table = np.array([3.0, -1.0, 3.0, 2.0, -5.0])

    def f(t, x):
        assert isinstance(np.asarray(t), np.ndarray)
        u = np.unique(t)  # data-dependent size: fine, the same for every example
        pos = t[t > 0]
        if t.sum() > 0:  # a concrete decision, the same for every example
            return x * len(u) + pos.mean() + float(t.max())
        return x

    xs = np.arange(4.0)
    got = autovec.vmap(f, in_axes=(None, 0), fallback="error")(table, xs)
    np.testing.assert_allclose(got, _loop(f, (table, xs), (None, 0)))


def test_write_into_shared_argument_raises_and_leaves_it_alone():
    table = TABLE.copy()
    for write in (
        lambda t, i: t.__setitem__(i, 0.0),
        lambda t, i: t.__iadd__(1.0),
        lambda t, i: t[0].__imul__(i),  # through a view
        lambda t, i: t.sort(),
    ):
        with pytest.raises(errors.AutovecError, match="every example shares"):
            autovec.vmap(write, in_axes=(None, 0))(table, IDX)
        np.testing.assert_array_equal(table, TABLE)


def test_write_into_a_copy_of_shared_argument_equals_the_loop():
    def f(t, i):
        t = t.copy()
        t[i] += 10.0
        t *= 2
        return t.sum(axis=1)

    got = autovec.vmap(f, in_axes=(None, 0))(TABLE, IDX)
    np.testing.assert_allclose(got, _loop(f, (TABLE, IDX), (None, 0)))

    def g(t, i):
        u = t + 0.0  # computed inside: the function's own array
        u[i % 12] = -1.0
        return u[:3]

    np.testing.assert_allclose(
        autovec.vmap(g, in_axes=(None, 0))(TABLE, IDX), _loop(g, (TABLE, IDX), (None, 0))
    )


def test_nested_vmap_shared_at_the_outer_level():
    ids = RNG.integers(0, 12, size=(3, 4))
    f = autovec.vmap(autovec.vmap(lambda t, i: t[i], in_axes=(None, 0)), in_axes=(None, 0))
    np.testing.assert_array_equal(f(TABLE, ids), TABLE[ids])


def test_closure_equals_loop_and_warns_with_advice_that_works():
    table = TABLE

    def f(i):
        return table[i]

    with pytest.warns(errors.FallbackWarning, match=r"autovec\.numpy\.take\(table, i"):
        got = autovec.vmap(f)(IDX)
    np.testing.assert_array_equal(got, TABLE[IDX])

    calls = []

    def advised(i):
        calls.append(1)
        return anp.take(table, i, axis=0)

    with warnings.catch_warnings():
        warnings.simplefilter("error", errors.FallbackWarning)
        got = autovec.vmap(advised, fallback="error")(IDX)
        by_argument = autovec.vmap(lambda t, i: t[i], in_axes=(None, 0), fallback="error")
        np.testing.assert_array_equal(by_argument(table, IDX), TABLE[IDX])
    np.testing.assert_array_equal(got, TABLE[IDX])
    assert len(calls) == 1


def test_closure_embedding_lookup_equals_loop():
    def f(ids):
        return EMB[ids].sum(axis=0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", errors.FallbackWarning)
        got = autovec.vmap(f)(TOKENS)
    np.testing.assert_allclose(got, _loop(f, (TOKENS,), (0,)))


def test_range_of_batched_int_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", errors.FallbackWarning)
        out = autovec.vmap(lambda n: len(range(n)))(np.array([1, 3, 1]))
    np.testing.assert_array_equal(out, [1, 3, 1])
