"""autovec.numpy on lists of another library's arrays, outside any transformation: their
arrays in, their arrays out (``np.array([t0, t1])`` of torch tensors is a tensor, as
``torch.stack`` gives), with NumPy's values and promotion."""

from __future__ import annotations

import numpy as np
import pytest

import autovec.numpy as anp

torch = pytest.importorskip("torch")


def _numpy(x):
    return x.numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


CASES = {
    "array of 0-d": lambda t: anp.array([t[0], t[1], t[2]]),
    "nested lists": lambda t: anp.array([[t[0], 2.0], [t[1], t[2]]]),
    "with a NumPy scalar": lambda t: anp.array([t[0], np.float64(3.0)]),
    "asarray of rows": lambda t: anp.asarray([t, t * 2]),
    "array with dtype": lambda t: anp.array([t[0], t[1]], dtype=np.float32),
    "stack": lambda t: anp.stack([t, t]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_lists_of_tensors_give_tensors(case):
    fun = CASES[case]
    t = torch.tensor([1.5, -2.0, 0.25], dtype=torch.float64)
    got = fun(t)
    want = fun(t.numpy())  # the same code on NumPy arrays: NumPy's own answer
    assert isinstance(got, torch.Tensor)
    assert _numpy(got).dtype == want.dtype and _numpy(got).shape == want.shape
    np.testing.assert_array_equal(_numpy(got), want)


def test_plain_lists_stay_numpy():
    assert type(anp.array([1.0, 2.0])) is np.ndarray
    assert type(anp.array([np.float64(1.0), 2.0])) is np.ndarray
