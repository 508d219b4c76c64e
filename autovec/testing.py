"""Public checkers: ``check_vmap`` compares ``vmap(f)`` with the stacked Python loop.

Used by autovec's own tests for every primitive and every ``autovec.numpy`` function, and by
users who write new primitives or want to check their own functions.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from autovec.core import Tracer
from autovec.interpreters.batching import vmap
from autovec.interpreters.jit import jit
from autovec.tree import tree_flatten, tree_unflatten

# name -> make the batched function from (fun, jitted, in_axes), where ``jitted`` is
# ``jit(fun)``, built once per ``check_vmap`` call so that its trace cache is shared by every
# in_axes combination and batch size.
TRANSFORMS: dict[str, Callable[[Callable, Callable, tuple], Callable]] = {
    "vmap": lambda f, jitted, in_axes: vmap(f, in_axes=in_axes),
    "jit_vmap": lambda f, jitted, in_axes: jit(vmap(f, in_axes=in_axes)),
    "vmap_jit": lambda f, jitted, in_axes: vmap(jitted, in_axes=in_axes),
}
# Transformations applied twice (an outer batch of examples, each itself a batch), made from
# (fun, jitted, inner in_axes, outer in_axes).
NESTED_TRANSFORMS: dict[str, Callable[[Callable, Callable, tuple, tuple], Callable]] = {
    "vmap_vmap": lambda f, jitted, inner, outer: vmap(vmap(f, in_axes=inner), in_axes=outer),
    "jit_vmap_vmap": lambda f, jitted, inner, outer: jit(
        vmap(vmap(f, in_axes=inner), in_axes=outer)
    ),
    "vmap_jit_vmap": lambda f, jitted, inner, outer: vmap(
        jit(vmap(f, in_axes=inner)), in_axes=outer
    ),
    "vmap_vmap_jit": lambda f, jitted, inner, outer: vmap(
        vmap(jitted, in_axes=inner), in_axes=outer
    ),
}


class Backend(NamedTuple):
    """An array library the checkers run on: examples are made with NumPy, moved to the
    library with ``to_backend``, the loop's results are stacked with ``stack`` (its own
    ``stack``), and results are compared on the host after ``to_numpy``."""

    name: str
    to_backend: Callable[[np.ndarray], Any]
    to_numpy: Callable[[Any], np.ndarray]
    stack: Callable[[list], Any]
    is_array: Callable[[Any], bool]
    device: Callable[[Any], Any]


NUMPY = Backend(
    "numpy",
    lambda a: a,
    np.asarray,
    np.stack,
    lambda x: isinstance(x, np.ndarray),
    lambda x: "cpu",
)


def torch_backend(device: str = "cpu") -> Backend:
    """The checkers on PyTorch tensors on ``device`` (``"cpu"``, ``"cuda"``)."""
    import torch

    return Backend(
        f"torch-{device}",
        lambda a: torch.as_tensor(np.array(a), device=device),
        lambda t: t.detach().cpu().numpy(),
        torch.stack,
        lambda x: isinstance(x, torch.Tensor),
        lambda x: x.device,
    )


def cupy_backend() -> Backend:
    """The checkers on CuPy arrays (current device)."""
    import cupy

    return Backend(
        "cupy",
        cupy.asarray,
        cupy.asnumpy,
        cupy.stack,
        lambda x: isinstance(x, cupy.ndarray),
        lambda x: x.device,
    )


def _to_backend(backend: Backend, x: Any) -> Any:
    """An example argument on ``backend``: arrays and NumPy scalars move; Python scalars and
    other values (static params) stay."""
    if backend is NUMPY or not isinstance(x, (np.ndarray, np.generic)):
        return x
    return backend.to_backend(x)


def axis_choices(example: Any) -> list[int | None]:
    """The batch-axis positions tried for one argument, each position once: None
    (unbatched), 0, and for an argument of one or more dimensions its last axis, spelled
    ``-1`` (for a 0-d argument axis 0 is already the last).  ``check_vmap`` also tries the
    other spelling of the last axis (``ndim``, or ``-1`` for a 0-d argument) once."""
    return [None, 0, -1] if np.ndim(example) > 0 else [None, 0]


def _other_spelling(example: Any) -> int:
    """The last batch-axis position spelled the way ``axis_choices`` does not spell it."""
    nd = np.ndim(example)
    return nd if nd > 0 else -1


def in_axes_combinations(
    args: Sequence[Any], batchable: Sequence[bool] | None = None
) -> list[tuple]:
    """Every combination of ``axis_choices`` over the arguments, except all-None."""
    per_arg = [
        axis_choices(a) if batchable is None or batchable[i] else [None] for i, a in enumerate(args)
    ]
    return [c for c in itertools.product(*per_arg) if any(x is not None for x in c)]


def perturb(example: Any, rng: np.random.Generator) -> Any:
    """Another valid example like ``example``: its elements shuffled (values stay in the
    function's domain: indices stay in range, logs stay positive); 0-d floats are scaled and
    0-d booleans drawn afresh.  A 0-d integer keeps its value (it may be an index whose range
    only the caller knows): give ``make_example`` to vary it."""
    a = np.asarray(example)
    if a.ndim == 0:
        if a.dtype.kind in "fc":
            return (a * rng.uniform(0.9, 1.0)).astype(a.dtype)
        if a.dtype.kind == "b":
            return np.asarray(rng.random() < 0.5)
        return a.copy()
    flat = a.reshape(-1).copy()
    rng.shuffle(flat)
    return flat.reshape(a.shape)


def _stack_lanes(lanes: list, axis: int | None, example: Any) -> Any:
    if axis is None:
        return example
    arr = np.stack([np.asarray(x) for x in lanes], axis=0)
    return np.moveaxis(arr, 0, axis if axis >= 0 else arr.ndim + axis)


def _assert_same(
    got: Any,
    want: Any,
    rtol: float,
    atol: float,
    context: str,
    inputs: Sequence[Any] = (),
    backend: Backend = NUMPY,
) -> None:
    """``got`` is what the loop's ``np.stack`` gives (``want``): the same structure, shapes,
    dtypes (byte order included) and values, in fresh writeable arrays that share memory
    with none of ``inputs`` (the batched arguments) and none of the other outputs."""
    got_leaves, got_def = tree_flatten(got)
    want_leaves, want_def = tree_flatten(want)
    if got_def != want_def:
        raise AssertionError(f"{context}: output structure {got_def} != loop's {want_def}")
    if backend is not NUMPY:
        _assert_on_backend(got_leaves, want_leaves, context, backend)
        got = tree_unflatten(got_def, [backend.to_numpy(g) for g in got_leaves])
        want = tree_unflatten(want_def, [backend.to_numpy(w) for w in want_leaves])
        _assert_same(got, want, rtol, atol, context)
        return
    for k, (g, w) in enumerate(zip(got_leaves, want_leaves)):
        where = f"{context}, output leaf {k}"
        if isinstance(g, Tracer):
            raise AssertionError(f"{where}: returned a tracer, not an array")
        if not isinstance(g, np.ndarray):
            raise AssertionError(f"{where}: returned {type(g).__name__}, not numpy.ndarray")
        w = np.asarray(w)
        if g.shape != w.shape:
            raise AssertionError(f"{where}: shape {g.shape} != loop's {w.shape}")
        if g.dtype.isnative != w.dtype.isnative:  # np.stack gives native byte order
            raise AssertionError(f"{where}: byte order {g.dtype.str} != loop's {w.dtype.str}")
        if g.dtype != w.dtype:
            raise AssertionError(f"{where}: dtype {g.dtype} != loop's {w.dtype}")
        if g.dtype.kind in "fc":
            # Exactly equal is the common case and cheap to see; otherwise compare in the
            # widest precision: a float16 tolerance product can underflow, and the caller's
            # np.errstate must not turn the comparison itself into an error.
            wide = np.complex128 if g.dtype.kind == "c" else np.float64
            with np.errstate(all="ignore"):
                ok = bool((g == w).all()) or np.allclose(
                    g.astype(wide), w.astype(wide), rtol=rtol, atol=atol, equal_nan=True
                )
        else:
            ok = np.array_equal(g, w)
        if not ok:
            raise AssertionError(
                f"{where}: values differ from the loop's\n got: {g!r}\nwant: {w!r}"
            )
        # np.stack gives a new, writeable array: so must every transformation.
        if not g.flags.writeable:
            raise AssertionError(f"{where}: read-only, the loop's result is writeable")
        for i, x in enumerate(inputs):
            if isinstance(x, np.ndarray) and np.may_share_memory(g, x) and np.shares_memory(g, x):
                raise AssertionError(f"{where}: shares memory with argument {i}")
        for j in range(k):
            other = got_leaves[j]
            if np.may_share_memory(g, other) and np.shares_memory(g, other):
                raise AssertionError(f"{where}: shares memory with output leaf {j}")


def _assert_on_backend(got: list, want: list, context: str, backend: Backend) -> None:
    """Every output is the backend's array, on the device the loop's result is on, with its
    dtype: nothing came back as NumPy, nothing moved."""
    for k, (g, w) in enumerate(zip(got, want)):
        where = f"{context} [{backend.name}], output leaf {k}"
        if not backend.is_array(g):
            raise AssertionError(
                f"{where}: returned {type(g).__name__}, not a {backend.name} array"
            )
        if backend.device(g) != backend.device(w):
            raise AssertionError(
                f"{where}: on {backend.device(g)}, the loop's on {backend.device(w)}"
            )
        if g.dtype != w.dtype:
            raise AssertionError(f"{where}: dtype {g.dtype} != loop's {w.dtype}")
        if tuple(g.shape) != tuple(w.shape):
            raise AssertionError(f"{where}: shape {tuple(g.shape)} != loop's {tuple(w.shape)}")


def _loop(fun: Callable, lane_args: list[tuple], backend: Backend = NUMPY) -> Any:
    outs = [fun(*a) for a in lane_args]
    leaves = [tree_flatten(o)[0] for o in outs]
    treedef = tree_flatten(outs[0])[1]
    if backend is not NUMPY:  # the library's own stack of the examples' results
        stack = lambda xs: backend.stack(
            [_to_backend(backend, np.asarray(x)) if not backend.is_array(x) else x for x in xs]
        )  # noqa: E501, E731
        return tree_unflatten(
            treedef, [stack([lv[k] for lv in leaves]) for k in range(len(leaves[0]))]
        )  # noqa: E501
    return tree_unflatten(
        treedef, [np.stack([np.asarray(lv[k]) for lv in leaves]) for k in range(len(leaves[0]))]
    )


def _empty_like_loop(
    fun: Callable, example_args: tuple, lead: tuple = (0,), backend: Backend = NUMPY
) -> Any:
    out = fun(*example_args)
    leaves, treedef = tree_flatten(out)
    if backend is not NUMPY:
        return tree_unflatten(
            treedef,
            [
                x[None][:0]
                if backend.is_array(x)
                else _to_backend(backend, np.zeros(lead + np.shape(x), np.asarray(x).dtype))
                for x in leaves
            ],
        )  # noqa: E501
    return tree_unflatten(
        treedef, [np.zeros(lead + np.shape(x), np.asarray(x).dtype) for x in leaves]
    )


def check_vmap(
    fun: Callable,
    *args: Any,
    in_axes: Iterable[tuple] | None = None,
    batch_sizes: Sequence[int] = (0, 1, 3),
    transforms: Sequence[str] = ("vmap",),
    nested: bool | Sequence[str] = True,
    batchable: Sequence[bool] | None = None,
    make_example: Callable[[np.random.Generator], tuple] | None = None,
    rtol: float = 1e-7,
    atol: float = 1e-9,
    seed: int = 0,
    backend: Backend = NUMPY,
) -> int:
    """Check ``vmap(fun, in_axes)`` against the stacked loop; return the number of cases.

    ``args`` is one example's arguments.  For every ``in_axes`` combination, every batch size
    in ``batch_sizes`` and every transformation named in ``transforms``, the batched call must
    give the loop's shapes, dtypes and values (integers and booleans exactly, floats to
    ``rtol``/``atol``), as NumPy arrays.

    - ``in_axes``: the combinations to try; by default every combination of ``axis_choices``
      (each argument unbatched, batched on axis 0 or on its last axis, each position once)
      except all-unbatched, plus the last axis in its other spelling (``ndim`` rather than
      ``-1``) once, at the largest batch size.
    - ``transforms``: names from ``TRANSFORMS``: ``"vmap"``, ``"jit_vmap"`` (``jit(vmap(f))``)
      and ``"vmap_jit"`` (``vmap(jit(f))``).
    - ``nested``: for every combination, a batch of 2 batches of 3 through the transformations
      of ``NESTED_TRANSFORMS`` (``vmap(vmap(f))`` and its three jit compositions); ``True``
      runs them all, ``False`` none, a sequence of names those.

    One ``jit(fun)`` serves every combination and batch size, so ``fun`` is traced once and
    the later calls check jit's cached program.  Other examples of the batch come from
    ``make_example(rng)`` (a tuple of arguments) or, by default, by shuffling the elements of
    ``args`` (``perturb``).  ``batchable[i]=False`` keeps argument ``i`` unbatched.
    ``backend`` (``torch_backend()``, ``cupy_backend()``) runs both sides on that library's
    arrays: the loop calls ``fun`` on each example's arrays and stacks the results with the
    library's ``stack``; the batched call must return the library's arrays on the same device.

    >>> import numpy as np
    >>> check_vmap(lambda x, y: np.sin(x) * y, np.ones(3), 2.0) > 0
    True
    """
    rng = np.random.default_rng(seed)
    combos = (
        [tuple(c) for c in in_axes]
        if in_axes is not None
        else in_axes_combinations(args, batchable)
    )
    nested_names = list(NESTED_TRANSFORMS) if nested is True else list(nested) if nested else []
    jitted = jit(fun)

    def new_example() -> tuple:
        if make_example is not None:
            return tuple(make_example(rng))
        return tuple(perturb(a, rng) for a in args)

    def check(axes: tuple, n: int, made: dict[str, Callable]) -> int:
        lanes = [tuple(args)] + [new_example() for _ in range(n - 1)] if n else []
        batched = [
            _stack_lanes([lane[i] for lane in lanes], ax, a) if n else _empty_batch(a, ax)
            for i, (a, ax) in enumerate(zip(args, axes))
        ]
        # The loop runs on copies of the examples: what it writes into them in place is the
        # final state every transformation must leave in the batched arguments.
        lane_args = [
            tuple(_copy(lane[i]) if ax is not None else args[i] for i, ax in enumerate(axes))
            for lane in lanes
        ]
        if backend is not NUMPY:
            batched = [_to_backend(backend, b) for b in batched]
            lane_args = [tuple(_to_backend(backend, a) for a in la) for la in lane_args]
        want = (
            _loop(fun, lane_args, backend)
            if n
            else _empty_like_loop(fun, tuple(_to_backend(backend, a) for a in args), (0,), backend)
        )
        final = [
            _stack_lanes([la[i] for la in lane_args], ax, a) if n and ax is not None else b
            for i, (a, ax, b) in enumerate(zip(args, axes, batched))
        ]
        for name, batched_fun in made.items():
            context = f"{_name(fun)} {name} in_axes={axes} batch={n}"
            given = [_copy(b) for b in batched]
            _assert_same(batched_fun(*given), want, rtol, atol, context, given, backend)
            if backend is NUMPY:  # (only NumPy arrays are written back)
                _assert_final_state(given, final, axes, rtol, atol, context)
        return len(made)

    count = 0
    for axes in combos:
        # Built once per combination and shared by the batch sizes.
        made = {name: TRANSFORMS[name](fun, jitted, axes) for name in transforms}
        for n in batch_sizes:
            count += check(axes, n, made)
        if nested_names:
            count += _check_nested(
                fun, jitted, args, axes, new_example, nested_names, rtol, atol, backend
            )
    if in_axes is None and combos and batch_sizes:
        # vmap normalises the axis: the other spelling of the last position, once.
        axes = tuple(
            _other_spelling(a) if batchable is None or batchable[i] else None
            for i, a in enumerate(args)
        )
        count += check(axes, max(batch_sizes), {"vmap": vmap(fun, in_axes=axes)})
    return count


def _copy(x: Any) -> Any:
    """A copy of an array argument with the same memory layout (others as they are)."""
    return np.copy(x, order="K") if isinstance(x, np.ndarray) else x


def _assert_final_state(
    given: list, want: list, axes: tuple, rtol: float, atol: float, context: str
) -> None:
    """The batched arguments after the call hold what the loop's writes left in its
    examples (in-place updates reach the caller's arrays in the loop)."""
    for i, (g, w, ax) in enumerate(zip(given, want, axes)):
        if ax is None or not isinstance(g, np.ndarray):
            continue
        try:
            _assert_same(g.copy(), w, rtol, atol, f"{context}, argument {i} after the call")
        except AssertionError as err:
            raise AssertionError(f"{err} (the loop wrote its examples in place)") from None


def _empty_batch(a: Any, ax: int | None) -> Any:
    if ax is None:
        return a
    arr = np.zeros((0, *np.shape(a)), np.asarray(a).dtype)
    return np.moveaxis(arr, 0, ax if ax >= 0 else arr.ndim + ax)


def _check_nested(
    fun: Callable,
    jitted: Callable,
    args: tuple,
    axes: tuple,
    new_example: Callable,
    names: Sequence[str],
    rtol: float,
    atol: float,
    backend: Backend = NUMPY,
) -> int:
    """A batch of 2 batches of 3; the outer batch axis is 0 for the arguments batched inside."""
    outer_n, inner_n = 2, 3
    groups = [
        [tuple(args) if (j, i) == (0, 0) else new_example() for i in range(inner_n)]
        for j in range(outer_n)
    ]
    batched = []
    for k, (a, ax) in enumerate(zip(args, axes)):
        if ax is None:
            batched.append(a)
        else:
            batched.append(
                np.stack([_stack_lanes([g[i][k] for i in range(inner_n)], ax, a) for g in groups])
            )
    outer_axes = tuple(None if ax is None else 0 for ax in axes)
    lane_args = [
        [
            tuple(_copy(lane[i]) if ax is not None else args[i] for i, ax in enumerate(axes))
            for lane in g
        ]
        for g in groups
    ]
    if backend is not NUMPY:
        batched = [_to_backend(backend, b) for b in batched]
        lane_args = [[tuple(_to_backend(backend, a) for a in la) for la in g] for g in lane_args]
    inner_wants = [_loop(fun, la, backend) for la in lane_args]
    final = [
        b
        if ax is None or backend is not NUMPY
        else np.stack([_stack_lanes([lane[k] for lane in la], ax, a) for la in lane_args])
        for k, (a, ax, b) in enumerate(zip(args, axes, batched))
    ]
    want_leaves = [tree_flatten(w)[0] for w in inner_wants]
    treedef = tree_flatten(inner_wants[0])[1]
    want = tree_unflatten(
        treedef, [backend.stack([w[k] for w in want_leaves]) for k in range(len(want_leaves[0]))]
    )
    count = 0
    for name in names:
        given = [_copy(b) for b in batched]
        got = NESTED_TRANSFORMS[name](fun, jitted, axes, outer_axes)(*given)
        context = f"{_name(fun)} {name} in_axes={axes}"
        _assert_same(got, want, rtol, atol, context, given, backend)
        if backend is NUMPY:
            _assert_final_state(given, final, outer_axes, rtol, atol, context)
        count += 1
    return count


def make_arg(spec: Any, rng: np.random.Generator) -> Any:
    """A random array for a primitive sample's ``Arg`` spec (other values pass through)."""
    from autovec.prims.base import Arg

    if not isinstance(spec, Arg):
        return spec
    dtype = np.dtype(spec.dtype)
    if dtype.kind == "b":
        return rng.random(spec.shape) < 0.5
    if dtype.kind in "iu":
        return rng.integers(int(spec.low), int(spec.high), spec.shape).astype(dtype)
    vals = rng.uniform(spec.low, spec.high, spec.shape)
    if dtype.kind == "c":
        vals = vals + 1j * rng.uniform(spec.low, spec.high, spec.shape)
    return np.asarray(vals).astype(dtype)


def check_primitive(
    prim: Any,
    sample: Any,
    *,
    transforms: Sequence[str] = ("vmap",),
    seed: int = 0,
    backend: Backend = NUMPY,
    nested: bool | Sequence[str] = True,
) -> int:
    """Run one of a primitive's samples through ``check_vmap`` and check its shape rule
    against its impl; return the number of cases."""
    from autovec.core import get_aval
    from autovec.prims.base import Arg

    rng = np.random.default_rng(seed)
    specs = sample.args
    args = tuple(make_arg(s, rng) for s in specs)
    params = dict(sample.params)
    out = prim.bind(*(_to_backend(backend, a) for a in args), **params)
    avals = prim.shape(*(get_aval(a) for a in args), **params)
    outs = out if prim.multiple_results else (out,)
    avals = avals if prim.multiple_results else (avals,)
    for o, av in zip(outs, avals):
        # The impl on the backend's arrays gives what the shape rule (NumPy's) says.
        o = np.asarray(o) if backend is NUMPY else backend.to_numpy(o)
        if o.shape != av.shape or o.dtype != av.dtype:
            raise AssertionError(
                f"{prim.name} shape rule says {av.str_short()}, impl gives "
                f"{o.dtype}{list(o.shape)} for params {params}"
            )

    def fun(*xs: Any) -> Any:
        return prim.bind(*xs, **params)

    fun.__name__ = prim.name
    batchable = [not isinstance(s, Arg) or s.batchable for s in specs]
    return check_vmap(
        fun,
        *args,
        transforms=transforms,
        batchable=batchable,
        make_example=lambda r: tuple(make_arg(s, r) for s in specs),
        backend=backend,
        nested=nested,
    )


def _name(fun: Callable) -> str:
    return getattr(fun, "__name__", repr(fun))


__all__ = [
    "check_vmap",
    "axis_choices",
    "check_primitive",
    "Backend",
    "NUMPY",
    "torch_backend",
    "cupy_backend",
    "make_arg",
    "in_axes_combinations",
    "perturb",
    "TRANSFORMS",
    "NESTED_TRANSFORMS",
]
