"""Argument normalisation shared by the ``autovec.numpy`` functions (the lowest layer: it reads
arguments and builds no arrays), and ``implements``, the decorator that gives each function
NumPy's own eager path."""

from __future__ import annotations

import builtins
import functools
import inspect
import operator
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from autovec import errors
from autovec.backends import adopt, namespace_of
from autovec.core import Tracer

PY_SCALARS = (int, float, complex, bool)

# NumPy's "argument not given" marker (``keepdims=np._NoValue`` in its signatures).
NO_VALUE = np._NoValue

F = TypeVar("F", bound=Callable[..., Any])


def is_foreign(x: Any) -> bool:
    """Whether ``x`` is another library's array (a torch tensor): it computes through the
    primitives on its own namespace, never through NumPy's eager functions."""
    t = type(x)
    return t is not np.ndarray and t not in PY_SCALARS and namespace_of(x) is not np


def on_foreign(impl: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """``impl(*args, **kwargs)`` with another library's arrays among ``args``: run as a
    vmap of one example over values every example shares, so that the implementation sees
    tracers (NumPy dtypes, NumPy's methods) and computes through the primitives on the
    library's namespace.  The eager path of autovec.numpy on torch tensors (slow: one vmap)."""
    from autovec.interpreters.batching import vmap  # (above this layer: at call time only)
    from autovec.tree import tree_flatten, tree_unflatten

    leaves, treedef = tree_flatten(args)  # (tensors may sit in lists: array([t0, t1]))
    xp = namespace_of(*leaves)
    # NumPy arrays beside the tensors: constants, converted
    args = tree_unflatten(treedef, list(adopt(xp, tuple(leaves))))
    out = vmap(functools.partial(impl, **kwargs), in_axes=None, axis_size=1)(*args)
    leaves, treedef = tree_flatten(out)
    return tree_unflatten(treedef, [x[0].clone() if is_foreign(x) else x[0] for x in leaves])


def holds_foreign(obj: Any) -> bool:
    """Whether ``obj`` is another library's array or a (nested) list/tuple holding one."""
    if isinstance(obj, (list, tuple)):
        return builtins.any(holds_foreign(o) for o in obj)
    return is_foreign(obj)


def is_traced(*xs: Any) -> bool:
    """Whether one of ``xs`` itself is a tracer, or another library's array (see
    ``holds_tracer`` for containers)."""
    return builtins.any(isinstance(x, Tracer) or is_foreign(x) for x in xs)


def holds_tracer(obj: Any) -> bool:
    """Whether ``obj`` is a tracer or a (nested) list/tuple/dict holding one."""
    if isinstance(obj, Tracer):
        return True
    if isinstance(obj, (list, tuple)):
        return builtins.any(holds_tracer(o) for o in obj)
    if isinstance(obj, dict):
        return builtins.any(holds_tracer(o) for o in obj.values())
    return False


def ndim(x: Any) -> int:
    n = getattr(x, "ndim", None)  # (once: a tracer's ndim and shape are computed)
    return n if n is not None else np.ndim(x)


def shape(x: Any) -> tuple[int, ...]:
    s = getattr(x, "shape", None)
    return tuple(s) if s is not None else np.shape(x)


def given(v: Any) -> Any:
    """``None`` for NumPy's "not given" marker, the value otherwise."""
    return None if v is NO_VALUE else v


def flag(v: Any) -> bool:
    """A boolean argument such as ``keepdims`` whose default is NumPy's marker."""
    return False if v is NO_VALUE else bool(v)


# ------------------------------------------------------------------------------- axes


def normalize_axis(axis: Any, nd: int) -> int:
    """One axis in ``[0, nd)``; NumPy's ``AxisError`` when out of range."""
    axis = operator.index(axis)
    if not -nd <= axis < nd:
        raise np.exceptions.AxisError(axis, nd)
    return axis % nd if nd else 0


def normalize_axes(axis: Any, nd: int) -> tuple[int, ...]:
    """``None`` -> all axes; an int or a sequence -> sorted non-negative axes."""
    if axis is None:
        return tuple(range(nd))
    if isinstance(axis, (tuple, list)):
        axes = tuple(normalize_axis(a, nd) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError("duplicate value in 'axis'")
        return tuple(sorted(axes))
    return (normalize_axis(axis, nd),)


def normalize_axis_tuple(axis: Any, nd: int, argname: str | None = None) -> tuple[int, ...]:
    """NumPy's ``normalize_axis_tuple``: an int or a sequence of axes, in the order given,
    non-negative, a repeated axis refused."""
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = tuple(normalize_axis(a, nd) for a in axes)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in `{argname}` argument" if argname else "repeated axis")
    return out


# -------------------------------------------------------------------- concrete values


def split_value(x: Any) -> Any:
    """``x`` itself; under eager vmap, for a batched ``x``, the one value it has for the
    examples that continue here (the batch splits by its value, as the loop would)."""
    if isinstance(x, Tracer) and getattr(x, "bdim", 0) is None:
        # Unbatched in this vmap (an in_axes=None argument): every example has this value.
        return split_value(x.val)
    if isinstance(x, Tracer) and getattr(x._trace, "split", None) is not None:
        from autovec.interpreters.split import concretize  # numpy builds on interpreters

        return concretize(x, "value")
    return x


def concrete_int(x: Any, what: str) -> int:
    """``x`` as a Python int; under eager vmap a batched ``x`` splits the batch by its value;
    elsewhere a traced value (which may differ per example) is refused."""
    x = split_value(x)
    if isinstance(x, Tracer):
        raise errors.ConcretizationTypeError(
            f"{what} must be a concrete integer, but it is {x._trace.kind} "
            f"({x.aval.str_short()}). Sizes and shapes must be the same for every example: "
            f"pass it unbatched (vmap: in_axes=None for it, or a closure; jit: mark it static "
            f"with static_argnums/static_argnames)."
        )
    return operator.index(x)


def _unbatched(value: Any) -> Any:
    """``value`` with tracers that are unbatched in their vmap replaced by their values."""
    if isinstance(value, Tracer):
        return split_value(value) if getattr(value, "bdim", 0) is None else value
    if isinstance(value, (list, tuple)):
        return type(value)(_unbatched(v) for v in value)
    return value


def concrete_value(value: Any, what: str) -> Any:
    """``value`` (an int or a nested sequence of them) when it holds no tracer."""
    value = _unbatched(value)
    if holds_tracer(value):
        raise errors.ConcretizationTypeError(
            f"{what} must be concrete (the same for every example): it decides the result's "
            f"shape. Pass it as a Python int/sequence or an unbatched NumPy array (vmap: "
            f"in_axes=None for it, or a closure; jit: mark it static with static_argnums/"
            f"static_argnames)."
        )
    return value


# ----------------------------------------------------------------- refused arguments


def reject_out(fname: str, out: Any) -> None:
    """On the traced path: ``out=`` has no array to write into, so say so."""
    if out is not None:
        raise errors.UnsupportedOperationError(
            f"autovec.numpy.{fname}(out=...) is not supported inside vmap/jit (there is no "
            f"array to write into); use the return value."
        )


def reject_traced_kwargs(fname: str, args: tuple, **kwargs: Any) -> None:
    """Keyword arguments we pass to NumPy only eagerly; under a transformation say so."""
    used = [k for k, v in kwargs.items() if v is not None]
    if used and is_traced(*args):
        raise errors.UnsupportedOperationError(
            f"autovec.numpy.{fname}: the argument(s) {', '.join(used)} are not supported "
            f"inside vmap/jit (there is no array to write into). Use the return value instead."
        )


# ------------------------------------------------------------------- the eager path


def numpy_function(name: str) -> Callable[..., Any] | None:
    """NumPy's function ``name`` (``"sort"``, ``"linalg.solve"``), or None when this NumPy
    has none (it came in a later version, or went)."""
    obj: Any = np
    for part in name.split("."):
        obj = getattr(obj, part, None)
    return obj


def _numpy_signature(np_func: Any, impl: Callable[..., Any], extra: tuple[str, ...]) -> Any:
    """NumPy's signature, with the keyword-only ``extra`` parameters of ``impl`` added;
    ``impl``'s own where NumPy's cannot be read."""
    try:
        sig = inspect.signature(np_func)
    except (TypeError, ValueError):
        return inspect.signature(impl)
    if not extra:
        return sig
    own = inspect.signature(impl).parameters
    params = [p for p in sig.parameters.values() if p.kind != p.VAR_KEYWORD]
    params += [own[n].replace(kind=inspect.Parameter.KEYWORD_ONLY) for n in extra]
    params += [p for p in sig.parameters.values() if p.kind == p.VAR_KEYWORD]
    return sig.replace(parameters=params)


def implements(numpy_func: Callable[..., Any] | str, *, extra: tuple[str, ...] = ()):
    """Decorate the implementation of NumPy's ``numpy_func`` (a function, or its name in
    ``numpy`` for one that older or newer NumPy versions lack) for traced values.

    A call in which no argument is or holds a tracer (lists, tuples and dicts are looked
    into) is NumPy's own call with the same arguments, so eager results, dtypes, warnings and
    errors are NumPy's; any other call runs the implementation.  ``extra`` names keyword
    arguments NumPy does not have (JAX's ``size=``, ``inplace=``): given a value other than
    the implementation's default, they send the call to the implementation; otherwise they
    are left out of NumPy's call.  Where NumPy has no such function, every call runs the
    implementation.

    The result carries NumPy's name and signature (what a caller may pass), the
    implementation's docstring (what happens to traced values), ``__wrapped__`` (the
    implementation) and ``numpy_function``.
    """

    def decorate(impl: F) -> F:
        np_func = numpy_function(numpy_func) if isinstance(numpy_func, str) else numpy_func
        if np_func is None:
            impl.numpy_function = None  # type: ignore[attr-defined]
            return impl
        try:
            numpy_params = inspect.signature(np_func).parameters
        except (TypeError, ValueError):
            numpy_params = {}  # type: ignore[assignment]
        # A newer NumPy may take an extra itself (sort's descending: NumPy 2.5): then it is
        # NumPy's keyword like any other.
        own = tuple(n for n in extra if n not in numpy_params)
        defaults = {n: inspect.signature(impl).parameters[n].default for n in own}

        @functools.wraps(impl)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for a in args:
                if isinstance(a, Tracer) or (isinstance(a, _CONTAINERS) and holds_tracer(a)):
                    return impl(*args, **kwargs)
                if is_foreign(a) or (isinstance(a, _CONTAINERS) and holds_foreign(a)):
                    # a torch tensor (or a list of them): the primitives, on its namespace
                    return on_foreign(impl, args, kwargs)
            if kwargs:
                if holds_tracer(kwargs):
                    return impl(*args, **kwargs)
                if defaults:
                    for name, default in defaults.items():
                        if name in kwargs and kwargs[name] is not default:
                            return impl(*args, **kwargs)
                    kwargs = {k: v for k, v in kwargs.items() if k not in defaults}
            return np_func(*args, **kwargs)

        wrapper.__name__ = wrapper.__qualname__ = np_func.__name__
        wrapper.__signature__ = _numpy_signature(np_func, impl, own)  # type: ignore[attr-defined]
        wrapper.numpy_function = np_func  # type: ignore[attr-defined]
        if not wrapper.__doc__:
            wrapper.__doc__ = f"NumPy's ``{np_func.__name__}``."
        return wrapper  # type: ignore[return-value]

    return decorate


_CONTAINERS = (list, tuple, dict)
