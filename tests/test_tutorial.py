"""The seed tutorial (JAX's vmap tutorial, on NumPy): each output of ``examples/tutorial.py``,
and the script itself run as a user runs it."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autovec
from autovec import errors, vmap

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "tutorial.py"


def _load():
    spec = importlib.util.spec_from_file_location("autovec_tutorial", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


T = _load()
EXPECTED = np.array([11.0, 20.0, 29.0])


def test_convolve_one_example():
    out = T.convolve(T.x, T.w)
    assert type(out) is np.ndarray and out.dtype == np.float64
    np.testing.assert_array_equal(out, EXPECTED)
    np.testing.assert_array_equal(out, np.convolve(T.x, T.w[::-1], mode="valid"))


def test_three_ways_to_batch_agree():
    assert T.xs.shape == (2, 5) and T.ws.shape == (2, 3)
    looped = T.manually_batched_convolve(T.xs, T.ws)
    by_hand = T.manually_vectorized_convolve(T.xs, T.ws)
    by_vmap = T.auto_batch_convolve(T.xs, T.ws)
    want = np.stack([EXPECTED, EXPECTED])
    for got in (looped, by_hand, by_vmap):
        assert type(got) is np.ndarray and got.shape == (2, 3) and got.dtype == np.float64
        np.testing.assert_array_equal(got, want)


def test_vmap_of_convolve_on_different_examples():
    # The tutorial's batch repeats one example; different examples must not be mixed up.
    rng = np.random.default_rng(0)
    xs, ws = rng.normal(size=(6, 9)), rng.normal(size=(6, 3))
    got = T.auto_batch_convolve(xs, ws)
    want = np.stack([T.convolve(a, b) for a, b in zip(xs, ws)])
    np.testing.assert_allclose(got, want, rtol=1e-13)
    np.testing.assert_allclose(T.manually_vectorized_convolve(xs, ws), want, rtol=1e-13)


def test_shared_kernel_with_in_axes_list():
    got = T.batch_convolve_shared_kernel(T.xs, T.w)
    np.testing.assert_array_equal(got, np.stack([EXPECTED, EXPECTED]))
    got = vmap(T.convolve, in_axes=[0, None])(np.stack([T.x, 2 * T.x]), T.w)
    np.testing.assert_array_equal(got, np.stack([EXPECTED, 2 * EXPECTED]))


def test_batch_along_axis_1_with_out_axes():
    got = T.auto_batch_convolve_v2(T.xs.T, T.ws.T)
    assert got.shape == (3, 2)
    np.testing.assert_array_equal(got, np.stack([EXPECTED, EXPECTED], axis=1))


def test_in_axes_tuple_of_one_on_x_times_x():
    got = vmap(T.square, in_axes=(0,))(np.array([1, 2, 3]))
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, [1, 4, 9])


def test_axis_1_of_a_1d_array_is_an_error_not_an_answer():
    with pytest.raises(errors.BatchAxisError) as info:
        vmap(T.conv, in_axes=(0, 1))(T.x, T.w)
    msg = str(info.value)
    assert "in_axes 1" in msg and "argument 1 (w)" in msg and "(3,)" in msg and "1-d" in msg


@pytest.mark.skipif(not hasattr(autovec, "jit"), reason="jit not available")
def test_the_tutorial_function_under_jit_compositions():
    want = np.stack([EXPECTED, EXPECTED])
    np.testing.assert_array_equal(autovec.jit(T.auto_batch_convolve)(T.xs, T.ws), want)
    np.testing.assert_array_equal(vmap(autovec.jit(T.convolve))(T.xs, T.ws), want)


def test_the_script_runs_and_prints_each_result():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, str(SCRIPT)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "convolve(x, w) = [11. 20. 29.]" in out
    assert out.count("[[11. 20. 29.]\n      [11. 20. 29.]]") == 4  # loop, by hand, vmap, shared
    assert "all three agree: True" in out
    assert "vmap returns a plain numpy.ndarray" in out
    assert "[[11. 11.]\n      [20. 20.]\n      [29. 29.]]" in out
    assert "= [1 4 9]" in out
    assert "BatchAxisError: vmap in_axes 1 is out of range for argument 1 (w)" in out
    assert proc.stderr == ""


def test_the_tutorial_ends_with_jit_of_vmap_rolled_up():
    xs, ws = np.stack([np.arange(5), np.arange(5)]), np.stack([[2.0, 3.0, 4.0]] * 2)
    fast = autovec.jit(autovec.vmap(T.convolve))
    np.testing.assert_allclose(fast(xs, ws), [[11.0, 20.0, 29.0]] * 2)
    text = fast.lower(xs, ws).as_text()
    assert "windows" in text and text.count("dot_general") == 1
