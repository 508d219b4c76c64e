"""Ragged results: examples whose outputs differ in shape or structure raise an error naming
the examples and their shapes, or, with ``vmap(..., ragged="list")``, come back as the list
of per-example results (what the Python loop gives)."""

from __future__ import annotations

import numpy as np
import pytest

import autovec
from autovec import errors

XS = np.array([[1.0, -2.0, 3.0], [-1.0, -2.0, 5.0], [4.0, 5.0, 6.0], [0.0, 7.0, -1.0]])


def positives(x):
    return x[x > 0]


def shape_by_branch(x):
    if x.sum() > 5:
        return x * 2
    return x[:2]


def structure_by_branch(x):
    if x.sum() > 5:
        return x, x.sum()
    return x[:2]


def loop(f, xs):
    return [f(x) for x in xs]


def same_list(got, want):
    assert isinstance(got, list) and len(got) == len(want)
    for g, w in zip(got, want):
        g_leaves, g_def = autovec.tree_flatten(g)
        w_leaves, w_def = autovec.tree_flatten(w)
        assert g_def == w_def
        for a, b in zip(g_leaves, w_leaves):
            assert type(a) is type(b) and np.shape(a) == np.shape(b) and a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("f", [positives, shape_by_branch, structure_by_branch])
def test_ragged_list_is_the_loop(f):
    xs = np.concatenate([XS] * 20)  # groups large enough to continue vectorised
    with pytest.warns() if f is positives else _nothing():
        got = autovec.vmap(f, ragged="list")(xs)
    same_list(got, loop(f, xs))
    same_list(autovec.vmap(f, ragged="list", fallback="loop")(XS), loop(f, XS))


def test_ragged_list_without_a_split_is_still_a_list():
    got = autovec.vmap(lambda x: (x * 2, x.sum()), ragged="list")(XS)
    same_list(got, loop(lambda x: (x * 2, x.sum()), XS))
    assert not np.shares_memory(got[0][0], got[1][0])
    assert autovec.vmap(lambda x: x, ragged="list")(np.zeros((0, 2))) == []


def test_shape_error_names_examples_and_shapes():
    with pytest.raises(errors.SplitOutputMismatchError) as err:
        autovec.vmap(shape_by_branch)(np.concatenate([XS] * 20))
    message = str(err.value)
    assert "shape (3,)" in message and "shape (2,)" in message
    assert "examples 0, 1, 4, 5" in message and "examples 2, 3, 6, 7" in message
    assert "ragged='list'" in message


def test_shape_error_of_examples_run_alone_names_them():
    with pytest.raises(errors.SplitOutputMismatchError) as err:
        autovec.vmap(shape_by_branch)(XS)
    message = str(err.value)
    assert "example 0: shape (2,)" in message and "example 2: shape (3,)" in message


def test_structure_error_names_examples():
    with pytest.raises(errors.SplitOutputMismatchError, match="example 2 returned"):
        autovec.vmap(structure_by_branch)(XS)


def test_ragged_option_is_checked():
    with pytest.raises(errors.OptionError, match="ragged"):
        autovec.vmap(positives, ragged="pad")
    with pytest.raises(errors.OptionError, match="out_axes"):
        autovec.vmap(positives, ragged="list", out_axes=1)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
