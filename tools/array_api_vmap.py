"""``autovec.numpy`` under ``vmap``, as an array-API namespace for data-apis/array-api-tests.

Every array this namespace hands out (a ``LaneArray``) is a batch of ``LANES`` examples. Lane 0
is the array the test suite asked for and inspects; the other lanes hold a different example
(the same values in reversed flat order, so counts and value sets stay as they were). Every
function, operator, method and attribute runs ONCE, inside ``autovec.vmap``, on the batched
values, so in the function it is ``autovec.numpy`` on tracers. Then each lane is checked
against the Python loop: the same call, eagerly, on that lane's example alone (with
``autovec.numpy`` outside a transformation, i.e. NumPy). A lane that differs in shape, dtype or
value raises ``LaneMismatch`` (an AssertionError), so a test fails where vmap is not the loop
even when lane 0 happens to satisfy the standard.

When vmap raises, the loop decides: if the loop raises for lane 0 too, vmap's own exception
goes to the test (which may expect one); if it raises only for a perturbed lane, the call is
repeated with every lane a copy of lane 0; if the loop runs, vmap's exception goes to the test
as a failure. Python values (``float(x)``, ``bool(x)``) are lane 0's. Calls with no array
argument (``zeros``, ``asarray`` of a list) also run inside a vmap, over no batched argument,
and their lane 1 is then perturbed.

Use: ``PYTHONPATH=<repo> ARRAY_API_TESTS_MODULE=tools.array_api_vmap pytest array_api_tests``
(see ``tools/run_array_api_tests.py``).
"""

from __future__ import annotations

import builtins
import functools
import operator
import types
from collections.abc import Callable
from typing import Any

import numpy as np

import autovec
import autovec.numpy as anp
from autovec.core import Tracer
from autovec.numpy.masked import MaskedRead  # x[mask] under vmap: an array to the caller

LANES = 2


class LaneMismatch(AssertionError):
    """vmap's result for one lane is not the loop's."""


# ------------------------------------------------------------------------------ pytrees


def _map(obj: Any, fn: Callable[[Any], Any]) -> Any:
    """``fn`` on each leaf of nested lists, tuples (named ones too) and dicts."""
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_map(o, fn) for o in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_map(o, fn) for o in obj)
    if isinstance(obj, dict):
        return {k: _map(v, fn) for k, v in obj.items()}
    return fn(obj)


_ARRAY = object()  # marks where an array leaf sat in an output's skeleton


def _split(out: Any) -> tuple[Any, list]:
    """An output's array leaves, and its skeleton with the other leaves (Python values)."""
    leaves: list = []

    def take(o: Any) -> Any:
        if isinstance(o, (Tracer, np.ndarray, np.generic, MaskedRead)):
            leaves.append(o)
            return _ARRAY
        return o

    return _map(out, take), leaves


def _fill(skeleton: Any, arrays: list) -> Any:
    it = iter(arrays)
    return _map(skeleton, lambda o: next(it) if o is _ARRAY else o)


# ------------------------------------------------------------------------- the call


def _perturb(lane: np.ndarray) -> np.ndarray:
    """Another example: the same values in reversed flat order."""
    return lane.reshape(-1)[::-1].reshape(lane.shape).copy()


def _same(got: np.ndarray, want: Any) -> str | None:
    """Why ``got`` (one lane of vmap's output) is not ``want`` (the loop's), or None."""
    want = np.asarray(want)
    if got.shape != want.shape or got.dtype != want.dtype:
        return f"{got.dtype}{list(got.shape)} != loop's {want.dtype}{list(want.shape)}"
    if got.dtype.kind in "fc":
        equal = np.array_equal(got, want, equal_nan=True)
    else:
        equal = np.array_equal(got, want)
    return None if equal else f"values {got!r} != loop's {want!r}"


def _call(
    f: Callable[..., Any], name: str, *args: Any, in_place: bool = False, **kwargs: Any
) -> Any:
    """``f(*args, **kwargs)`` inside vmap over the lanes of the LaneArrays in the arguments,
    each lane checked against the loop.  An output that is one of the inputs (the very
    tracer: ``asarray(x, copy=False)``) is that input's LaneArray, as NumPy returns the very
    array; ``in_place`` calls (which return their updated first argument) are excepted."""
    inputs: dict[int, LaneArray] = {}

    def collect(leaf: Any) -> Any:
        if isinstance(leaf, LaneArray):
            inputs.setdefault(id(leaf), leaf)
        return leaf

    _map((args, kwargs), collect)
    arrays = list(inputs.values())
    index = {key: i for i, key in enumerate(inputs)}

    def per_example(*vals: Any) -> Any:
        a, k = _map(
            (args, kwargs),
            lambda leaf: vals[index[id(leaf)]] if isinstance(leaf, LaneArray) else leaf,
        )
        return f(*a, **k)

    skeletons: list = []
    returned_input: list = []  # per output: which input the function returned as it is

    def batched(*vals: Any) -> tuple:
        skeleton, leaves = _split(per_example(*vals))
        skeletons.append(skeleton)
        returned_input[:] = [next((i for i, v in enumerate(vals) if o is v), None) for o in leaves]
        return tuple(leaves)

    def loop(batches: list[np.ndarray]) -> list:
        """The loop: each lane alone, eagerly, on copies (in-place calls write to them)."""
        results = []
        for k in range(LANES):
            try:
                results.append(("ok", per_example(*(np.array(b[k, ...]) for b in batches))))
            except Exception as exc:  # noqa: BLE001 (compared with what vmap did)
                results.append(("raised", exc))
        return results

    batches = [a._lanes for a in arrays]
    try:
        if arrays:
            outs = autovec.vmap(batched)(*batches)
        else:
            outs = autovec.vmap(batched, axis_size=LANES)()
    except Exception:
        looped = loop(batches)
        if looped[0][0] == "raised" or builtins.all(r[0] == "ok" for r in looped):
            raise  # vmap raises where the loop does (lane 0), or where the loop runs
        # Only a perturbed lane fails in the loop: redo the call with every lane lane 0's.
        batches = [np.stack([b[0]] * LANES) for b in batches]
        skeletons.clear()
        outs = autovec.vmap(batched)(*batches)
    looped = loop(batches)
    skeleton = skeletons[-1]
    for k, (status, want) in enumerate(looped):
        if status == "raised":
            raise LaneMismatch(
                f"{name}: vmap returned a result, but the loop raises for lane {k}: "
                f"{type(want).__name__}: {want}"
            ) from want
        want_skeleton, want_leaves = _split(want)
        if not _skeletons_equal(skeleton, want_skeleton) or len(want_leaves) != len(outs):
            raise LaneMismatch(f"{name}: lane {k} returned {skeleton!r}, the loop {want!r}")
        for j, (got, w) in enumerate(zip(outs, want_leaves)):
            why = _same(np.asarray(got)[k, ...], w)
            if why:
                raise LaneMismatch(f"{name}: output {j}, lane {k}: {why}")
    if not arrays:  # make lane 1 another example
        outs = tuple(np.stack([o[0, ...]] + [_perturb(o[0, ...])] * (LANES - 1)) for o in outs)
    results = [LaneArray(np.asarray(o)) for o in outs]
    if arrays and not in_place:
        results = [r if i is None else arrays[i] for r, i in zip(results, returned_input)]
    return _fill(skeleton, results)


def _skeletons_equal(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple, dict)):
        return _seq_equal(a, b)
    if type(a).__eq__ is object.__eq__:  # no value equality (iinfo): compare what they show
        return type(a) is type(b) and repr(a) == repr(b)
    try:
        return builtins.bool(a == b)
    except Exception:  # noqa: BLE001 (objects without a usable ==)
        return a is b


def _seq_equal(a: Any, b: Any) -> bool:
    if type(a) is not type(b) or len(a) != len(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and builtins.all(_skeletons_equal(a[k], b[k]) for k in a)
    return builtins.all(_skeletons_equal(x, y) for x, y in zip(a, b))


def _vmapped(f: Callable[..., Any], name: str) -> Callable[..., Any]:
    @functools.wraps(f)
    def call(*args: Any, **kwargs: Any) -> Any:
        return _call(f, name, *args, **kwargs)

    return call


# ------------------------------------------------------------------------- the array


def _setitem(x: Any, key: Any, value: Any) -> Any:
    x[key] = value
    return x


def _inplace(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(x: Any, other: Any) -> Any:
        return op(x, other)  # operator.iadd & co. return the updated x

    return apply


class LaneArray:
    """A batch of examples standing for one array (lane 0); see the module docstring."""

    __slots__ = ("_lanes",)

    def __init__(self, lanes: np.ndarray) -> None:
        assert lanes.ndim >= 1 and lanes.shape[0] == LANES
        self._lanes = lanes

    # What every lane shares.
    @property
    def dtype(self) -> np.dtype:
        return self._lanes.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        return self._lanes.shape[1:]

    @property
    def ndim(self) -> int:
        return self._lanes.ndim - 1

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def device(self) -> Any:
        return _call(lambda x: x.device, "device", self)

    @property
    def T(self) -> LaneArray:  # noqa: N802
        return _call(lambda x: x.T, "T", self)

    @property
    def mT(self) -> LaneArray:  # noqa: N802
        return _call(lambda x: x.mT, "mT", self)

    def __repr__(self) -> str:
        return f"LaneArray({self._lanes[0, ...]!r})"

    # Python values: lane 0's (vmap gives one Python value for no batch).
    def __bool__(self) -> bool:
        return builtins.bool(self._lanes[0, ...])

    def __int__(self) -> int:
        return int(self._lanes[0, ...])

    def __float__(self) -> float:
        return float(self._lanes[0, ...])

    def __complex__(self) -> complex:
        return complex(self._lanes[0, ...])

    def __index__(self) -> int:
        return operator.index(self._lanes[0, ...])

    def __getitem__(self, key: Any, /) -> LaneArray:
        return _call(operator.getitem, "__getitem__", self, key)

    def __setitem__(self, key: Any, value: Any, /) -> None:
        self._write(_call(_setitem, "__setitem__", self, key, value, in_place=True))

    def _write(self, new: LaneArray) -> None:
        """In place, as NumPy writes: arrays sharing this one's memory see the change."""
        self._lanes[...] = new._lanes

    def to_device(self, device: Any, /, *, stream: Any = None) -> LaneArray:
        return _call(lambda x: x.to_device(device, stream=stream), "to_device", self)

    def __array_namespace__(self, /, *, api_version: str | None = None) -> Any:
        namespace = _call(
            lambda x: x.__array_namespace__(api_version=api_version),
            "__array_namespace__",
            self,
        )
        if namespace is not anp:
            raise LaneMismatch(f"a traced value's __array_namespace__() is {namespace!r}")
        return _this_module()

    def __dlpack__(
        self,
        /,
        *,
        stream: Any = None,
        max_version: Any = None,
        dl_device: Any = None,
        copy: Any = None,
    ) -> Any:
        kw = {"stream": stream, "max_version": max_version, "dl_device": dl_device, "copy": copy}
        return _call(lambda x: x.__dlpack__(**kw), "__dlpack__", self)

    def __dlpack_device__(self, /) -> tuple[Any, int]:
        return _call(lambda x: x.__dlpack_device__(), "__dlpack_device__", self)


def _install_operators() -> None:
    unary = {"abs": operator.abs, "neg": operator.neg, "pos": operator.pos}
    unary["invert"] = operator.invert
    for name, op in unary.items():
        dunder = f"__{name}__"
        setattr(LaneArray, dunder, _unary_method(op, dunder))
    binary = {
        "add": operator.add,
        "sub": operator.sub,
        "mul": operator.mul,
        "truediv": operator.truediv,
        "floordiv": operator.floordiv,
        "mod": operator.mod,
        "pow": operator.pow,
        "matmul": operator.matmul,
        "and": operator.and_,
        "or": operator.or_,
        "xor": operator.xor,
        "lshift": operator.lshift,
        "rshift": operator.rshift,
    }
    for name, op in binary.items():
        setattr(LaneArray, f"__{name}__", _binary_method(op, f"__{name}__"))
        setattr(
            LaneArray,
            f"__r{name}__",
            _binary_method(lambda x, other, op=op: op(other, x), f"__r{name}__"),
        )
        iop = getattr(operator, f"i{name}")
        setattr(LaneArray, f"__i{name}__", _inplace_method(iop, f"__i{name}__"))
    for name in ("lt", "le", "gt", "ge", "eq", "ne"):
        setattr(LaneArray, f"__{name}__", _binary_method(getattr(operator, name), f"__{name}__"))


def _unary_method(op: Callable[[Any], Any], name: str) -> Callable[..., Any]:
    def method(self: LaneArray, /) -> LaneArray:
        return _call(op, name, self)

    method.__name__ = name
    return method


def _binary_method(op: Callable[[Any, Any], Any], name: str) -> Callable[..., Any]:
    def method(self: LaneArray, other: Any, /) -> Any:
        if not isinstance(other, (LaneArray, int, float, complex, bool)):
            return NotImplemented
        return _call(op, name, self, other)

    method.__name__ = name
    return method


def _inplace_method(op: Callable[[Any, Any], Any], name: str) -> Callable[..., Any]:
    def method(self: LaneArray, other: Any, /) -> LaneArray:
        if not isinstance(other, (LaneArray, int, float, complex, bool)):
            return NotImplemented
        self._write(_call(op, name, self, other, in_place=True))
        return self

    method.__name__ = name
    return method


_install_operators()


# --------------------------------------------------------------------- the namespace


class _Info:
    """``__array_namespace_info__()``, each answer asked inside vmap."""

    def __init__(self) -> None:
        self._info = anp.__array_namespace_info__()

    def capabilities(self) -> dict[str, Any]:
        """What the namespace can do inside vmap (not checked against the loop: it is what
        a transformation changes)."""
        seen = []

        def ask(lane: Any) -> Any:
            seen.append(anp.__array_namespace_info__().capabilities())
            return lane

        autovec.vmap(ask)(np.zeros(LANES))
        return seen[0]

    def default_device(self) -> Any:
        return self._info.default_device()

    def devices(self) -> list[Any]:
        return self._info.devices()

    def default_dtypes(self, *, device: Any = None) -> dict[str, Any]:
        return self._info.default_dtypes(device=device)

    def dtypes(self, *, device: Any = None, kind: Any = None) -> dict[str, Any]:
        return self._info.dtypes(device=device, kind=kind)


def __array_namespace_info__() -> _Info:  # noqa: N807 (the standard's name)
    return _Info()


def _this_module() -> types.ModuleType:
    import sys

    return sys.modules[__name__]


def _namespace(module: Any, names: list[str]) -> dict[str, Any]:
    out = {}
    for name in names:
        obj = getattr(module, name)
        if callable(obj) and not isinstance(obj, type):
            out[name] = _vmapped(obj, name)
    return out


__array_api_version__ = anp.__array_api_version__
for _name in (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "e",
    "inf",
    "nan",
    "pi",
    "newaxis",
):
    globals()[_name] = getattr(anp, _name)
# (This shadows builtins such as ``all``, ``sum``, ``bool`` here: the code above spells them
# ``builtins.all`` and so on.)
globals().update(_namespace(anp, [n for n in anp.EXPORTED if n != "__array_namespace_info__"]))
finfo = _vmapped(anp.finfo, "finfo")
iinfo = _vmapped(anp.iinfo, "iinfo")
linalg = types.SimpleNamespace(**_namespace(anp.linalg, list(anp.linalg.__all__)))
fft = types.SimpleNamespace(**_namespace(anp.fft, list(anp.fft.__all__)))
