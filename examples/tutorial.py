"""Automatic vectorisation with ``autovec.vmap``: the seed tutorial.

This is the walk-through of JAX's vmap tutorial, done with NumPy arrays.  Run it with

    python examples/tutorial.py

Each step prints what it computes.  The story: a function written for ONE example (a 1-D
convolution) is turned into a function over a batch of examples three ways -- a Python loop,
a hand-vectorised rewrite, and ``autovec.vmap`` -- and all three agree; then ``in_axes`` and
``out_axes`` say where the batch sits, and a bad axis gets a clear error.
"""

from __future__ import annotations

import numpy as np

import autovec
import autovec.numpy as anp
from autovec import vmap

# ---------------------------------------------------------------- 1. one example at a time
# A 1-D convolution written the plain way: slide a window of len(w) over x, and take the dot
# product of each window with w.  Everything here is ordinary NumPy except the last line:
# NumPy's np.array([...]) cannot stack values that vmap is batching (NumPy offers no hook
# for it), so the list is turned into an array with autovec.numpy.array, which can.  On
# plain arrays it returns exactly what np.array does.

x = np.arange(5)
w = np.array([2.0, 3.0, 4.0])


def convolve(x, w):
    """Valid-mode 1-D convolution of one signal ``x`` with one kernel ``w`` (len 3)."""
    output = []
    for i in range(1, len(x) - 1):
        output.append(np.dot(x[i - 1 : i + 2], w))
    return anp.array(output)


# ------------------------------------------------------------------ 2. a batch of examples
# Two signals and two kernels, stacked along a new leading axis.

xs = np.stack([x, x])
ws = np.stack([w, w])


def manually_batched_convolve(xs, ws):
    """The obvious way: loop over the examples and stack the results."""
    return np.stack([convolve(x, w) for x, w in zip(xs, ws)])


def manually_vectorized_convolve(xs, ws):
    """Rewrite the function so every operation works on the whole batch at once: index the
    batch axis explicitly (``[:, ...]``) and reduce over the right axis.  Fast, but it is a
    different function from ``convolve`` that has to be written and checked by hand."""
    output = []
    for i in range(1, xs.shape[-1] - 1):
        output.append(np.sum(xs[:, i - 1 : i + 2] * ws, axis=1))
    return np.stack(output, axis=1)


# vmap does that rewrite for us: the batched function runs every operation of ``convolve``
# once on the whole batch (no Python loop over the examples).
auto_batch_convolve = vmap(convolve)

# ------------------------------------------------------------- 3. where the batch axis is
# in_axes says, per argument, which axis holds the examples; None: the argument is shared by
# every example.  out_axes says where the batch axis goes in the result.

batch_convolve_shared_kernel = vmap(convolve, in_axes=[0, None])
auto_batch_convolve_v2 = vmap(convolve, in_axes=1, out_axes=1)


def square(x):
    return x * x


def conv(x, w):
    """The same convolution with NumPy's own routine."""
    return np.convolve(x, w, mode="valid")


def main() -> None:
    np.set_printoptions(precision=4, suppress=True)

    print("1. One example")
    print(f"   x = {x}, w = {w}")
    print(f"   convolve(x, w) = {convolve(x, w)}")

    print("\n2. A batch of two examples: xs, ws = np.stack([x, x]), np.stack([w, w])")
    looped = manually_batched_convolve(xs, ws)
    by_hand = manually_vectorized_convolve(xs, ws)
    by_vmap = auto_batch_convolve(xs, ws)
    print(f"   Python loop over the examples:\n{_indent(looped)}")
    print(f"   vectorised by hand:\n{_indent(by_hand)}")
    print(f"   vmap(convolve)(xs, ws):\n{_indent(by_vmap)}")
    print(f"   all three agree: {np.allclose(looped, by_hand) and np.allclose(looped, by_vmap)}")
    print(f"   vmap returns a plain {type(by_vmap).__module__}.{type(by_vmap).__name__}")

    print("\n3. in_axes and out_axes")
    shared = batch_convolve_shared_kernel(xs, w)
    print("   one kernel for every signal, vmap(convolve, in_axes=[0, None])(xs, w):")
    print(_indent(shared))
    transposed = auto_batch_convolve_v2(xs.T, ws.T)
    print("   examples along axis 1, vmap(convolve, in_axes=1, out_axes=1)(xs.T, ws.T):")
    print(_indent(transposed))
    print(f"   same values, transposed: {np.allclose(transposed, by_vmap.T)}")
    squares = vmap(square, in_axes=(0,))(np.array([1, 2, 3]))
    print(f"   vmap(square, in_axes=(0,))(np.array([1, 2, 3])) = {squares}")

    print("\n4. A bad axis is an error, not a wrong answer")
    print("   vmap(conv, in_axes=(0, 1))(x, w) with x and w both 1-D:")
    try:
        vmap(conv, in_axes=(0, 1))(x, w)
    except autovec.errors.BatchAxisError as err:
        print(f"   BatchAxisError: {err}")
    else:  # pragma: no cover - the tests check this never happens
        raise SystemExit("expected a BatchAxisError")

    print("\n5. jit(vmap(convolve)): traced once, replayed fast")
    fast = autovec.jit(vmap(convolve))
    print(f"   jit(vmap(convolve))(xs, ws) agrees with vmap: {np.allclose(fast(xs, ws), by_vmap)}")
    print("   the optimised program (the loop of slices became one windowed product):")
    for line in fast.lower(xs, ws).as_text().splitlines():
        print(f"     {line}")


def _indent(a: np.ndarray) -> str:
    return "\n".join("     " + line for line in str(a).splitlines())


if __name__ == "__main__":
    main()
