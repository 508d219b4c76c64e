"""``autovec.vectorize``: NumPy's ``np.vectorize`` interface, run by ``vmap``.

``np.vectorize`` is a Python loop over the broadcast loop dimensions of its arguments.
Here the loop dimensions are broadcast and flattened into ONE batch axis, the function runs
once under ``vmap`` over that axis (a Python ``if`` on an element splits the batch into the
lanes that take each branch, docs/semantics.md), and the results are reshaped back.  With a
gufunc ``signature`` the core dimensions stay with each example.

What NumPy's loop decides, this module decides the same way: the output dtypes come from
the function's result on the first element (NumPy calls the function on it to find them)
unless ``otypes`` is given; size-0 inputs need ``otypes``; the error types and messages for
signatures, core dimensions and output counts are NumPy's.  Inputs or outputs that are not
numbers (strings, objects, ``otypes`` with ``object``) run through ``np.vectorize`` itself.
Differences: docs/vectorize.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autovec import vectorize_numba
from autovec.interpreters.batching import vmap
from autovec.vectorize_checks import NotPythonScalars, cast_results, python_scalar_mode

_NUMERIC = "biufc"
_SMALL = 8  # fewer elements than this: NumPy's loop

_DIMENSION = r"\w+"
_CORE_DIMS = rf"(?:{_DIMENSION}(?:,{_DIMENSION})*)?"
_ARGUMENT = rf"\({_CORE_DIMS}\)"
_ARGUMENTS = rf"(?:{_ARGUMENT}(?:,{_ARGUMENT})*)?"
_SIGNATURE = re.compile(rf"^{_ARGUMENTS}->{_ARGUMENTS}$")


def parse_signature(signature: str) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """The core dimension names of each input and each output of a gufunc signature."""
    signature = re.sub(r"\s+", "", signature)
    if not _SIGNATURE.match(signature):
        raise ValueError(f"not a valid gufunc signature: {signature}")
    inputs, outputs = signature.split("->")
    return (
        [tuple(re.findall(_DIMENSION, arg)) for arg in re.findall(_ARGUMENT, inputs)],
        [tuple(re.findall(_DIMENSION, arg)) for arg in re.findall(_ARGUMENT, outputs)],
    )


def _update_dim_sizes(dim_sizes: dict, shape: tuple, core_dims: tuple) -> None:
    """Record the sizes of ``core_dims`` (the last axes of ``shape``); NumPy's errors."""
    if not core_dims:
        return
    if len(shape) < len(core_dims):
        raise ValueError(
            f"{len(shape)}-dimensional argument does not have enough dimensions for all core "
            f"dimensions {core_dims!r}"
        )
    for dim, size in zip(core_dims, shape[len(shape) - len(core_dims) :]):
        if dim in dim_sizes and dim_sizes[dim] != size:
            raise ValueError(
                f"inconsistent size for core dimension {dim!r}: {size!r} vs {dim_sizes[dim]!r}"
            )
        dim_sizes.setdefault(dim, size)


def _otype(spec: Any) -> Any:
    dtype = np.dtype(spec)
    return dtype if dtype.char in "SU" else dtype.char  # NumPy keeps sized strings whole


def _as_python_numbers(a: np.ndarray) -> Any:
    """What stands for np.vectorize's Python objects of ``a``'s elements: the Python number
    itself for a 0-d array (an unbatched argument), else an array of the dtype that computes
    as the Python numbers do (int64, float64, complex128); None where none does (bools, whose
    Python arithmetic is an int's; uint64 beyond int64; long double)."""
    kind, size = a.dtype.kind, a.dtype.itemsize
    if kind == "b" and a.ndim:
        return None
    if kind == "u" and size == 8 and a.size and a.max() >= 2**63:
        return None
    if kind in "iu":
        wide = a.astype(np.int64, copy=False)
    elif kind == "f" and size <= 8:
        wide = a.astype(np.float64, copy=False)
    elif kind == "c" and size <= 16:
        wide = a.astype(np.complex128, copy=False)
    elif kind == "b":
        wide = a
    else:
        return None
    return wide.item() if wide.ndim == 0 else wide


def _float_without_nan(x: Any) -> bool:
    """A float64 array or Python float holding no NaN (its sum is NaN if it holds one, or an
    inf and a -inf: then too the caller takes the other path)."""
    if type(x) is float:
        return x == x
    if x.dtype != np.float64:
        return False
    with np.errstate(all="ignore"):
        return not np.isnan(np.add.reduce(x, axis=None))


def _first_output(result: Any) -> tuple:
    return tuple(result) if isinstance(result, tuple) else (result,)


class vectorize:  # noqa: N801  (NumPy's name)
    """``np.vectorize`` run by ``vmap``: same arguments, same results, whole-batch speed.

    ``pyfunc`` is written for one element (or, with ``signature``, for one example with its
    core dimensions); the non-excluded arguments broadcast against each other over their
    loop dimensions.  ``otypes`` fixes the output dtypes (a string of type codes or a list of
    dtypes); without it they are those of the function's result on the first element.
    ``excluded`` holds positions and names of arguments passed through unvectorised.
    ``cache`` is accepted for compatibility (see docs/vectorize.md).  Used as a decorator
    with or without keyword arguments.

    >>> import autovec
    >>> @autovec.vectorize
    ... def clip_sub(a, b):
    ...     return a - b if a > b else 0
    >>> clip_sub([1, 5, 3], 2)
    array([0, 3, 1])
    """

    def __init__(
        self,
        pyfunc: Callable | None = None,
        otypes: str | Iterable | None = None,
        doc: str | None = None,
        excluded: Iterable[int | str] | None = None,
        cache: bool = False,
        signature: str | None = None,
    ) -> None:
        if pyfunc is np._NoValue:
            pyfunc = None
        if pyfunc is not None and not callable(pyfunc):
            raise TypeError("When used as a decorator, only accepts keyword arguments.")
        if isinstance(otypes, str):
            for char in otypes:
                if char not in np.typecodes["All"]:
                    raise ValueError(f"Invalid otype specified: {char}")
        elif np.iterable(otypes):
            otypes = [_otype(x) for x in otypes]
        elif otypes is not None:
            raise ValueError("Invalid otype specification")
        self.pyfunc = pyfunc
        self.otypes = otypes
        self.cache = cache
        self.signature = signature
        self.excluded = set() if excluded is None else set(excluded)
        self._doc = doc
        self._core_dims = None if signature is None else parse_signature(signature)
        if pyfunc is not None:
            self._adopt(pyfunc)
        else:
            self.__doc__ = doc

    def _adopt(self, pyfunc: Callable) -> None:
        self.pyfunc = pyfunc
        self._plain = _plain_tuples(pyfunc)
        if hasattr(pyfunc, "__name__"):
            self.__name__ = pyfunc.__name__
        self.__doc__ = self._doc if self._doc is not None else getattr(pyfunc, "__doc__", None)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.pyfunc is None:  # @vectorize(otypes=...): this call hands over the function
            self._adopt(*args, **kwargs)
            return self
        func, vargs = self._bind(args, kwargs)
        if not vargs and self._core_dims is None:
            return func()
        if self._needs_numpy(vargs):
            return self._numpy(args, kwargs)
        if self._core_dims is not None:
            return self._call_with_signature(func, vargs, args, kwargs)
        return self._call_elementwise(func, vargs, args, kwargs)

    # ------------------------------------------------------------------ arguments

    def _bind(self, args: tuple, kwargs: dict) -> tuple[Callable, list]:
        """The function of the vectorised arguments only (NumPy's order: the positional
        ones, then the keyword ones), with the excluded ones bound as they were given."""
        excluded = self.excluded
        pyfunc = self.pyfunc
        if not kwargs and not excluded:
            return self._plain, list(args)
        positions = [i for i in range(len(args)) if i not in excluded]
        names = [n for n in kwargs if n not in excluded]

        def func(*vargs: Any) -> Any:
            the_args = list(args)
            for i, value in zip(positions, vargs):
                the_args[i] = value
            the_kwargs = dict(kwargs)
            the_kwargs.update(zip(names, vargs[len(positions) :]))
            result = pyfunc(*the_args, **the_kwargs)
            return tuple(result) if isinstance(result, tuple) else result

        func.__wrapped__ = pyfunc  # where vmap looks for the random generators it reaches
        return func, [args[i] for i in positions] + [kwargs[n] for n in names]

    def _needs_numpy(self, vargs: list) -> bool:
        """Object or string data: NumPy's own loop (vmap computes on numbers)."""
        otypes = self.otypes or ""
        if any(np.dtype(t).kind not in _NUMERIC for t in otypes):
            return True
        return any(np.asarray(a).dtype.kind not in _NUMERIC for a in vargs)

    def _numpy(self, args: tuple, kwargs: dict, otypes: Any = None) -> Any:
        """NumPy's own loop; with the ``otypes`` found from the first element already (so
        that the function is not called on it once more)."""
        return np.vectorize(
            self.pyfunc,
            otypes=self.otypes if otypes is None else otypes,
            excluded=self.excluded,
            cache=self.cache,
            signature=self.signature,
        )(*args, **kwargs)

    # ---------------------------------------------------------------- elementwise

    def _call_elementwise(self, func: Callable, vargs: list, args: tuple, kwargs: dict) -> Any:
        arrays = [np.asarray(a) for a in vargs]
        otypes = self.otypes
        if otypes is None and any(a.size == 0 for a in arrays):
            raise ValueError("cannot call `vectorize` on size 0 inputs unless `otypes` is set")
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        size = int(np.prod(shape))
        if size == 0:
            outs = tuple(np.empty(shape, t) for t in otypes)
            return outs[0] if len(outs) == 1 else outs
        if size < _SMALL:  # NumPy's loop is as fast here, and exact by definition
            return self._numpy(args, kwargs)
        if otypes is None:
            # NumPy finds the output types (and count) from the first element's result,
            # computed on NumPy scalars; the loop then computes every element on Python
            # objects.
            first = _first_output(func(*(a.flat[0] for a in arrays)))
            otypes = "".join(np.asarray(o).dtype.char for o in first)
            if any(np.dtype(t).kind not in _NUMERIC for t in otypes):
                return self._numpy(args, kwargs, otypes)
        inputs = [_as_python_numbers(a) for a in arrays]
        if any(x is None for x in inputs):
            return self._numpy(args, kwargs, otypes)
        try:
            outs = self._run_as_python_numbers(func, inputs, shape, size, len(otypes))
        except (Exception, NotPythonScalars):
            # A result Python numbers may not share, or an exception: NumPy's loop decides
            # (it gives the Python numbers' results, or raises NumPy's exception).
            outs = None
        if outs is None:
            return self._numpy(args, kwargs, otypes)
        result = tuple(cast_results(o, t) for o, t in zip(outs, otypes))
        if any(r is None for r in result):  # a cast only the loop's objects can decide
            return self._numpy(args, kwargs, otypes)
        return result[0] if len(otypes) == 1 else result

    def _run_as_python_numbers(
        self, func: Callable, inputs: list, shape: tuple, size: int, nout: int
    ) -> list[np.ndarray] | None:
        """The outputs on arrays standing for the loop's Python numbers (numba's compiled
        function or vmap, under the checks of ``python_scalar_mode``); None where they may
        differ from the loop's."""
        if size >= vectorize_numba.MIN_SIZE and nout == 1 and func is self._plain:
            # (A NaN input is left to the vmap path: numba compares NaN quietly where
            # Python's comparison signals it.)
            if all(_float_without_nan(x) for x in inputs):
                ufunc = vectorize_numba.compiled(self.pyfunc, len(inputs))
                if ufunc is not None:
                    # numba's loop is fast on contiguous operands only (a broadcast one,
                    # stride 0, costs 5x more than filling an array with it)
                    full = [
                        x
                        if getattr(x, "shape", None) == shape and x.flags.c_contiguous
                        else np.ascontiguousarray(np.broadcast_to(x, shape))
                        for x in inputs
                    ]
                    with python_scalar_mode():
                        return [np.asarray(ufunc(*full)).reshape(shape)]
        in_axes, leaves = [], []
        for x in inputs:
            if isinstance(x, np.ndarray):
                in_axes.append(0)
                leaves.append(np.broadcast_to(x, shape).reshape(size))
            else:  # a Python number: the same for every element
                in_axes.append(None)
                leaves.append(x)
        with python_scalar_mode():
            out = vmap(func, in_axes=tuple(in_axes), axis_size=size, fallback="loop")(*leaves)
        outs = list(out) if isinstance(out, tuple) else [out]
        if len(outs) != nout or any(
            not isinstance(o, np.ndarray) or o.ndim != 1 or o.dtype.kind not in _NUMERIC
            for o in outs
        ):
            return None  # NumPy's loop raises its error
        return [o.reshape(shape) for o in outs]

    def _vmap(
        self, func: Callable, arrays: list, loop_shape: tuple, core_shapes: list, size: int
    ) -> list[np.ndarray]:
        """Run ``func`` over the loop dimensions flattened into one batch axis; each output
        with that axis in front."""
        in_axes, leaves = [], []
        for a, core in zip(arrays, core_shapes):
            if a.ndim == len(core):  # no loop dimensions: the same for every example
                in_axes.append(None)
                leaves.append(a)
            else:
                in_axes.append(0)
                leaves.append(np.broadcast_to(a, (*loop_shape, *core)).reshape(size, *core))
        out = vmap(func, in_axes=tuple(in_axes), axis_size=size, fallback="loop")(*leaves)
        # A tuple subclass (a named tuple, SciPy's result objects) counts as several
        # outputs, as NumPy counts them with isinstance(result, tuple).
        outs = list(out) if isinstance(out, tuple) else [out]
        for k, o in enumerate(outs):
            if not isinstance(o, np.ndarray):
                raise ValueError(
                    f"vectorize: output {k} of the function is a {type(o).__name__}, not a "
                    f"number or array (return a tuple for several outputs)"
                )
        return outs

    # ----------------------------------------------------------------- signature

    def _call_with_signature(self, func: Callable, vargs: list, args: tuple, kwargs: dict) -> Any:
        input_core_dims, output_core_dims = self._core_dims
        if len(vargs) != len(input_core_dims):
            raise TypeError(
                f"wrong number of positional arguments: expected {len(input_core_dims)!r}, "
                f"got {len(vargs)!r}"
            )
        arrays = [np.asarray(a) for a in vargs]
        dim_sizes: dict[str, int] = {}
        for a, core_dims in zip(arrays, input_core_dims):
            _update_dim_sizes(dim_sizes, a.shape, core_dims)
        loop_shape = np.broadcast_shapes(
            *(a.shape[: a.ndim - len(dims)] for a, dims in zip(arrays, input_core_dims))
        )
        size = int(np.prod(loop_shape))
        nout = len(output_core_dims)
        otypes = self.otypes
        if size == 0:
            if otypes is None:
                raise ValueError("cannot call `vectorize` on size 0 inputs unless `otypes` is set")
            if any(d not in dim_sizes for dims in output_core_dims for d in dims):
                raise ValueError(
                    "cannot call `vectorize` with a signature including new output dimensions "
                    "on size 0 inputs"
                )
            outs = tuple(
                np.empty((*loop_shape, *(dim_sizes[d] for d in dims)), t)
                for dims, t in zip(output_core_dims, otypes)
            )
            return outs[0] if nout == 1 else outs
        core_shapes = [a.shape[a.ndim - len(dims) :] for a, dims in zip(arrays, input_core_dims)]
        # The first example, as NumPy's loop calls it first: its result fixes the number of
        # outputs, new core dimensions and (without otypes) the output dtypes.
        first_args = [
            a[(0,) * (a.ndim - len(core))] if a.ndim > len(core) else a
            for a, core in zip(arrays, core_shapes)
        ]
        first = func(*first_args)
        n_results = len(first) if isinstance(first, tuple) else 1
        if nout != n_results:
            raise ValueError(
                f"wrong number of outputs from pyfunc: expected {nout!r}, got {n_results!r}"
            )
        first = _first_output(first)
        for result, core_dims in zip(first, output_core_dims):
            _update_dim_sizes(dim_sizes, np.shape(result), core_dims)
        if otypes is None:
            otypes = [np.asarray(r).dtype for r in first]
            if any(np.dtype(t).kind not in _NUMERIC for t in otypes):
                return self._numpy(args, kwargs)
        if size == 1:
            outs = [np.asarray(r)[None] for r in first]
        else:
            outs = self._vmap(func, arrays, loop_shape, core_shapes, size)
        if len(outs) != nout:
            raise ValueError(
                f"wrong number of outputs from pyfunc: expected {nout!r}, got {len(outs)!r}"
            )
        result = []
        for o, core_dims, t in zip(outs, output_core_dims, otypes):
            core = tuple(dim_sizes[d] for d in core_dims)
            lane_shape = o.shape[1:]
            if lane_shape != core:
                extra = lane_shape[: len(lane_shape) - len(core)]
                if lane_shape[len(extra) :] != core or any(n != 1 for n in extra):
                    raise ValueError(
                        f"could not broadcast input array from shape {lane_shape} into shape {core}"
                    )
            result.append(o.reshape((*loop_shape, *core)).astype(t, copy=False))
        return result[0] if nout == 1 else tuple(result)


def _plain_tuples(pyfunc: Callable) -> Callable:
    """``pyfunc`` with tuple results (named tuples, SciPy's result objects) as plain tuples:
    NumPy counts outputs with ``isinstance(result, tuple)``, and vmap then sees a tuple."""

    def func(*vargs: Any) -> Any:
        result = pyfunc(*vargs)
        return tuple(result) if isinstance(result, tuple) else result

    # Its own code object: vmap remembers per function code whether the last call split.
    func.__code__ = func.__code__.replace()
    func.__wrapped__ = pyfunc  # where vmap looks for the random generators it reaches
    return func
