"""The points where code needs one concrete value of a batched value (``bool``, ``int``,
``float``, ``.item()``, ``np.asarray``, ...): the lanes are grouped by their value there,
and the batch splits when they disagree (autovec/interpreters/split.py).  Also the
conversion methods installed on BatchTracer and the fallback warning."""

from __future__ import annotations

import dis
import operator
import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from autovec import errors
from autovec.backends import numpy_dtype
from autovec.core import Tracer
from autovec.interpreters import split_state
from autovec.interpreters.batching import (
    BatchTracer,
    SharedTracer,
)
from autovec.interpreters.split_replay import _continue_with_one_group, _narrow
from autovec.interpreters.split_state import SplitState, _NotConcrete
from autovec.interpreters.staging import note_unstageable
from autovec.prims.elementwise import PYTHON_SCALAR_CHECK

# kind -> (convert one lane's value, governed by ``fallback``, what the user wrote)
_KINDS: dict[str, tuple[Callable[..., Any], bool, str]] = {
    "bool": (bool, False, "bool()"),
    "int": (int, False, "int()"),
    "index": (operator.index, False, "operator.index()"),
    "float": (float, True, "float() (also math.* functions, writing into a plain ndarray)"),
    "complex": (complex, True, "complex()"),
    "item": (lambda v, *a: np.asarray(v).item(*a), True, ".item()"),
    "tolist": (lambda v: np.asarray(v).tolist(), True, ".tolist()"),
    "array": (
        lambda v, *a: np.array(v),
        True,
        "np.asarray / np.array (or indexing a plain ndarray with it, or writing it into one)",
    ),
    "str": (str, True, "str() (print, f'{x}')"),
    "format": (format, True, "format() (f'{x:.3f}')"),
    "value": (lambda v: v, False, "a concrete value"),  # an inner vmap asks an outer one
    "shape": (
        lambda v: np.array(v),
        True,
        "A result whose size depends on the values (np.nonzero, np.unique, x[mask], ...)",
    ),
}

_ADVICE = {
    "array": (
        "np.asarray, np.array, np.asanyarray and np.ascontiguousarray have no NumPy hook: "
        "call autovec.numpy.asarray / autovec.numpy.array instead (they keep batched values "
        "batched), and build buffers with autovec.numpy.zeros or collect values in a list "
        "and autovec.numpy.stack them instead of writing into a plain ndarray; index a "
        "plain table through autovec.numpy.getitem(table, i) or pass it to vmap as an "
        "argument with in_axes=None"
    ),
    "float": (
        "keep the value an array: NumPy functions instead of math.* (np.sin(x) for "
        "math.sin(x)), no float(x), and buffers made with autovec.numpy.zeros (or values "
        "collected in a list and autovec.numpy.stack'ed) instead of plain ndarrays"
    ),
    "complex": "keep the value an array: no complex(x); NumPy functions instead of cmath.*",
    "item": "keep the value an array: drop .item() (NumPy operations accept 0-d arrays)",
    "tolist": "keep the value an array: drop .tolist() and use NumPy operations on it",
    "str": (
        "return the value from the function and print or format it outside vmap "
        "(print(repr(x)) inside shows the shape and dtype without splitting)"
    ),
}
_ADVICE["format"] = _ADVICE["str"]

_ADVICE["shape"] = (
    "give the size statically with autovec.numpy.nonzero / flatnonzero / argwhere / unique "
    "(..., size=N), or keep the shape: np.where(mask, x, fill) and reductions with the mask "
    "(x[mask].sum() and x[mask].mean() stay vectorised; (x * mask).sum(), ...)"
)
_ADVICE["subscript"] = (
    "pass the array to vmap as an argument with in_axes=None (table[i] is then one "
    "vectorised gather), or index it with autovec.numpy.take(table, i, axis=0) (or "
    "autovec.numpy.getitem(table, i))"
)
_SUBSCRIPT = "Indexing a plain array that the function closes over (table[i]) with one integer"
_SUBSCRIPT_OPS = frozenset(
    dis.opmap[name]
    for name in ("BINARY_SUBSCR", "STORE_SUBSCR", "DELETE_SUBSCR")
    if name in dis.opmap
)


def _subscript_site() -> bool:
    """Whether the user's line asking for an index is a subscript (``table[i]``): the
    instruction its frame is executing."""
    skip = (os.path.dirname(os.path.dirname(__file__)), os.path.dirname(np.__file__))
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(skip):
        frame = frame.f_back
    if frame is None:
        return False
    code = frame.f_code.co_code
    return 0 <= frame.f_lasti < len(code) and code[frame.f_lasti] in _SUBSCRIPT_OPS


_BASE_METHOD = {
    "bool": Tracer.__bool__,
    "int": Tracer.__int__,
    "index": Tracer.__index__,
    "float": Tracer.__float__,
    "complex": Tracer.__complex__,
    "item": Tracer.item,
    "tolist": Tracer.tolist,
    "array": Tracer.__array__,
    "str": Tracer.__str__,
    "format": Tracer.__format__,
    "shape": Tracer.__array__,
}


def _base(t: BatchTracer, kind: str, *args: Any) -> Any:
    """The conversion without a split (under jit, or ``fallback="error"``): it raises; an
    enclosing jit notes that its function needs this value (staging.note_unstageable)."""
    try:
        return _BASE_METHOD[kind](t, *args)
    except errors.AutovecError as err:
        note_unstageable(t._trace, err)
        raise


def lane_values(t: BatchTracer) -> np.ndarray:
    """Every lane's concrete value of ``t``, stacked along axis 0."""
    val = t.val
    if isinstance(val, Tracer):
        # Inner vmap: the whole inner batch is ONE value of the enclosing vmap, which
        # splits ITS batch by that value (or raises _NotConcrete under jit).
        if type(val) is not BatchTracer or val._trace.split is None:
            raise _NotConcrete
        val = concretize(val, "value")
    val = val if type(val) is np.ndarray else to_host(val)
    return val if t.bdim == 0 else np.moveaxis(val, t.bdim, 0)


def _bool_row(val: Any) -> bool:
    """Whether ``val`` is a 1-d array of booleans of another library (a torch tensor)."""
    try:
        return getattr(val, "ndim", None) == 1 and numpy_dtype(val.dtype) == np.bool_
    except Exception:  # noqa: BLE001  (a dtype NumPy lacks)
        return False


def to_host(val: Any) -> np.ndarray:
    """A NumPy array of ``val``'s values: a NumPy value as is, a CPU tensor shared (no
    copy), a tensor on another device (or a CuPy array) copied to host memory."""
    detach = getattr(val, "detach", None)  # a torch tensor, on any device
    if detach is not None and not isinstance(val, np.ndarray):
        return np.asarray(detach().cpu())
    get = getattr(val, "get", None)  # a CuPy array: its copy in host memory
    if get is not None and not isinstance(val, (np.ndarray, np.generic)):
        return np.asarray(get())
    return np.asarray(val)


def _group_keys(lanes: np.ndarray, kind: str) -> np.ndarray:
    """One key per lane; equal keys mean the conversion gives the same result."""
    n = lanes.shape[0]
    rows = lanes.reshape(n, -1)
    if kind == "bool" and rows.shape[1] == 1 and lanes.dtype.kind in "biufc":
        return rows[:, 0] != 0  # bool(x) is x != 0 (NaN is True, -0.0 is False)
    if lanes.dtype.kind not in "biufcmMUSV":
        raise _NotConcrete  # object arrays: no byte identity to group by
    rows = np.ascontiguousarray(rows)
    width = rows.shape[1] * rows.dtype.itemsize
    if width == 0:
        return np.zeros(n, np.uint8)
    if width in (1, 2, 4, 8):  # compare the bits: -0.0 and 0.0 (or two NaNs) may differ
        return rows.view(f"u{width}").reshape(n)
    return rows.view(f"V{width}").reshape(n)


def _groups(keys: np.ndarray) -> tuple[list[np.ndarray], np.ndarray] | None:
    """Lane indices of each distinct key shared by several lanes, and the lanes whose key is
    theirs alone; None when every lane has the same key."""
    if keys.dtype == bool:  # an if/while: two groups, no sort needed
        # (keys are one per lane: nonzero() of them is np.flatnonzero, without its wrapper)
        true = keys.nonzero()[0]
        if len(true) == 0 or len(true) == len(keys):
            return None
        false = (~keys).nonzero()[0]
        both = (false, true) if false[0] < true[0] else (true, false)
        groups = [g for g in both if len(g) > 1]
        singles = [g for g in both if len(g) == 1]
        return groups, np.sort(np.concatenate(singles)) if singles else np.zeros(0, np.intp)
    if len(keys) > 1 and _all_distinct(keys):
        return [], np.arange(len(keys))  # np.asarray of real data: a sort of one word
    if keys.size == 0 or bool((keys == keys[0]).all()):
        return None
    _, first, inverse, counts = np.unique(
        keys, return_index=True, return_inverse=True, return_counts=True
    )
    inverse = inverse.reshape(-1)
    singles = np.sort(first[counts == 1])
    shared = np.flatnonzero(counts > 1)
    groups = []
    if len(shared):
        in_shared = np.isin(inverse, shared)
        lanes = np.flatnonzero(in_shared)
        order = np.argsort(inverse[lanes], kind="stable")
        bounds = np.cumsum(counts[shared])[:-1]
        groups = np.split(lanes[order], bounds)
    return groups, singles


def _all_distinct(keys: np.ndarray) -> bool:
    """True when the keys' leading word (8 bytes, or the widest that divides a key) already
    differs between every two lanes, so every lane is alone: no byte-wise sort of whole keys
    as np.unique does (milliseconds on 10,000 examples of 4 floats).  False says nothing."""
    if keys.dtype.kind == "V":
        width = keys.dtype.itemsize
        word = next(w for w in (8, 4, 2, 1) if width % w == 0)
        keys = np.ascontiguousarray(keys).view(f"u{word}")[:: width // word]  # no copy
    # Few distinct values (an int() of a small count, say) show in the first lanes already:
    # no sort of the whole batch then, only np.unique's own.
    ordered = np.sort(keys[:64])
    if len(keys) > 64 and bool((ordered[1:] == ordered[:-1]).any()):
        return False
    ordered = np.sort(keys) if len(keys) > 64 else ordered
    return not bool((ordered[1:] == ordered[:-1]).any())


def _convert(kind: str, lane: Any, args: tuple) -> tuple[bool, Any]:
    convert = _KINDS[kind][0]
    try:
        return True, convert(lane, *args)
    except Exception as exc:  # noqa: BLE001  (the lane's own error, raised on its path)
        return False, exc


def _deliver(entry: tuple[bool, Any], kind: str) -> Any:
    ok, value = entry
    if not ok:
        raise value
    if kind == "array" or kind == "shape":
        return np.array(value)  # a fresh copy: the caller may write into it
    return value


def concretize(t: BatchTracer, kind: str, *args: Any) -> Any:
    """The one concrete value ``t`` has here (``kind`` says which conversion), splitting the
    batch when the lanes disagree."""
    check = PYTHON_SCALAR_CHECK.get()
    if check is not None:  # autovec.vectorize: what Python numbers do here (before any ufunc)
        check("concretize", (kind,), None)
    state = t._trace.split
    if state is None:
        return _base(t, kind, *args)
    if state.request is not None:  # this run is abandoned already: stop it again
        raise state.request
    if state.pos < len(state.log):  # replaying a decision of an earlier run
        entry = state.log[state.pos]
        state.pos += 1
        return _deliver(entry, kind)
    _, data_kind, what = _KINDS[kind]
    if kind == "index" and t.ndim:  # operator.index of an array fails in every example
        raise TypeError("only integer scalar arrays can be converted to a scalar index")
    advice = kind
    if kind == "index" and state.fallback != "loop" and _subscript_site():
        # table[i] on a plain (closed-over) array: NumPy asks the index for one integer.
        data_kind, what, advice = True, _SUBSCRIPT, "subscript"
    if data_kind and state.fallback == "error":
        return _base(t, kind, *args)
    if state.continuing:
        t = _narrow(t._trace, state, t)
    val = t.val
    if kind == "bool" and type(val) is np.ndarray and val.dtype == bool and val.ndim == 1:
        # An if/while on a comparison (the common case): count instead of grouping.
        n_true = int(np.count_nonzero(val))
        if n_true == 0 or n_true == len(val):
            entry = (True, n_true > 0)
            state.log.append(entry)
            state.pos += 1
            return entry[1]
        lanes, split = val, _groups(val)
    elif kind == "bool" and state.call.foreign is not None and _bool_row(val):
        # The same on another library's arrays: one count read back (bool() on one example
        # reads one value too); they run one by one where they differ.
        n_true = int(val.sum())
        if n_true == 0 or n_true == len(val):
            entry = (True, n_true > 0)
            state.log.append(entry)
            state.pos += 1
            return entry[1]
        if split_state.EXPLAIN is not None:
            split_state.EXPLAIN.split_at(advice, what, True, len(val), False)
        raise foreign_split(state, advice, f"{what} of a batched value", len(val))
    else:
        if not t._trace.axis_size:  # (an if/while on a comparison takes its False branch)
            raise errors.EmptyBatchError(
                f"vmap over 0 examples: {what} needs one example's value here, and there is "
                f"none (the Python loop over no examples has no result to stack either). "
                f"Handle the empty batch before calling the vmapped function."
            )
        try:
            lanes = lane_values(t)
            split = _groups(_group_keys(lanes, kind))
        except _NotConcrete:
            return _base(t, kind, *args)
    if split is None:
        entry = _convert(kind, lanes[0], args)
        state.log.append(entry)
        state.pos += 1
        return _deliver(entry, kind)
    groups, singles = split
    if state.call.foreign is not None:
        # Another library's arrays: no groups (the continuing runs narrow NumPy batches);
        # every example runs alone, as in the loop (split.py runs them).
        if split_state.EXPLAIN is not None:
            split_state.EXPLAIN.split_at(advice, what, True, len(lanes), False)
        raise foreign_split(state, advice, f"{what} of a batched value", len(lanes))
    if data_kind and state.fallback == "warn":
        _warn_fallback(state, advice, what, len(groups) + len(singles))
    if split_state.EXPLAIN is not None:
        split_state.EXPLAIN.split_at(
            advice, what, data_kind, len(groups) + len(singles), state.continuing
        )
    entries = [(g, _convert(kind, lanes[g[0]], args)) for g in groups]
    if state.continuing:
        bools = lanes if lanes.dtype == bool and lanes.ndim == 1 else None
        entry = _continue_with_one_group(t._trace, state, entries, singles, bools)
        if entry is not None:
            state.log.append(entry)
            state.pos += 1
            return _deliver(entry, kind)
    raise state.split(entries, singles)


def per_example(*values: Any) -> list | None:
    """The concrete values of ``values`` for the examples of this run, for an operation whose
    result size depends on them: the batch splits by value (lanes with equal values stay
    together), as the loop continues example by example.  None where that is not possible
    (under jit, or with ``fallback="error"``): the caller raises its own error."""
    out = []
    for v in values:
        if isinstance(v, Tracer):
            if type(v) is SharedTracer:
                v = v.val
            elif type(v) is not BatchTracer or v._trace.split is None:
                # Under jit: the caller raises; the enclosing jit runs the function instead.
                note_unstageable(v._trace, errors.DataDependentShapeError("per-example size"))
                return None
            elif v._trace.split.fallback == "error" and v._trace.split.pos >= len(
                v._trace.split.log
            ):
                return None
            else:
                v = concretize(v, "shape")
                if isinstance(v, Tracer):
                    note_unstageable(v._trace, errors.DataDependentShapeError("per-example size"))
                    return None
        out.append(v)
    return out


def _call_site() -> tuple[str, int, dict]:
    """The innermost frame outside autovec and NumPy: the user's (or a library's) line."""
    skip = (os.path.dirname(os.path.dirname(__file__)), os.path.dirname(np.__file__))
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(skip):
        frame = frame.f_back
    if frame is None:
        return "<unknown>", 0, {}
    return frame.f_code.co_filename, frame.f_lineno, frame.f_globals


def _warn_fallback(state: SplitState, kind: str, what: str, n_groups: int) -> None:
    filename, lineno, module_globals = _call_site()
    if (filename, lineno) in state.warned:
        return
    state.warned.add((filename, lineno))
    advice = _ADVICE.get(kind, _ADVICE["array"])
    message = (
        f"{what} of a batched value at {filename}:{lineno}: NumPy offers no hook here, so "
        f"vmap continues as the Python loop would, one group per distinct example value "
        f"({n_groups} groups here), which is slower than vectorised code. To stay "
        f"vectorised: {advice}. vmap(..., fallback='loop') silences this warning; "
        f"fallback='error' raises instead."
    )
    _warn_at(message, filename, lineno, module_globals)


# What keeps a choice vectorised, for the kinds that are not data conversions (_ADVICE).
_CONTROL_ADVICE = (
    "choose per example with autovec.numpy.where(cond, x, y) (np.where routes to it) or "
    "autovec.cond, and loop with autovec.while_loop / autovec.fori_loop"
)


def foreign_split(state: SplitState, kind: str, subject: str, n_lanes: int) -> BaseException:
    """The split of a vmap over another library's arrays (``state.call.foreign``), where the
    lanes of one run disagree (``subject``: what they disagree on): every example will run
    alone, one after the other (split.py); the warning, once per call site, says so, and for
    arrays outside host memory that each example's value is copied to the host.  Returns the
    request to raise."""
    if state.fallback == "warn":
        filename, lineno, module_globals = _call_site()
        if (filename, lineno) not in state.warned:
            state.warned.add((filename, lineno))
            message = foreign_message(state.call.foreign, kind, subject, filename, lineno)
            _warn_at(message, filename, lineno, module_globals)
    return state.split([], np.arange(n_lanes))


def foreign_message(xp: Any, kind: str, subject: str, filename: str, lineno: int) -> str:
    name = getattr(xp, "__name__", "this library's")
    device = getattr(xp, "device", None)
    on_host = device is not None and getattr(device, "type", str(device)) == "cpu"
    copies = (
        ""
        if on_host
        else f" Reading a value of one example (bool(), .item(), float(), np.asarray) copies "
        f"it from {device or 'the device'} to host memory and waits for the device: one "
        f"copy per example."
    )
    if kind == "exception":
        advice = _EXCEPTION_ADVICE
    elif kind in _CONTROL_KINDS:
        advice = _CONTROL_ADVICE
    else:
        advice = _ADVICE.get(kind, _ADVICE["array"])
    return (
        f"{subject} at {filename}:{lineno}: the examples differ here, and vmap on {name} "
        f"arrays cannot split the batch into groups of equal values as it does on NumPy "
        f"arrays, so every example runs on its own, one after the other, as the Python loop "
        f"would (much slower than vectorised code).{copies} To stay vectorised: {advice}. "
        f"vmap(..., fallback='loop') silences this warning; fallback='error' raises "
        f"BackendUnsupportedError instead."
    )


_CONTROL_KINDS = frozenset(("bool", "int", "index", "value"))
_EXCEPTION_ADVICE = (
    "keep every example valid for the operation (guard its inputs with "
    "autovec.numpy.where), or run on NumPy arrays, where the failing examples split off "
    "as a group of their own"
)


def _warn_at(message: str, filename: str, lineno: int, module_globals: dict) -> None:
    registry = module_globals.setdefault("__warningregistry__", {}) if module_globals else None
    warnings.warn_explicit(
        message,
        errors.FallbackWarning,
        filename,
        lineno,
        module=module_globals.get("__name__") if module_globals else None,
        registry=registry,
    )


def _install_conversions() -> None:
    def conversion(kind: str) -> Callable[..., Any]:
        def method(self: BatchTracer, *args: Any) -> Any:
            return concretize(self, kind, *args)

        method.__name__ = kind
        return method

    def __bool__(self: BatchTracer) -> bool:
        state = self._trace.split
        if (
            state is not None
            and state.request is None
            and state.pos < len(state.log)
            and PYTHON_SCALAR_CHECK.get() is None
        ):
            # A decision of an earlier run, replayed (the `while` of a group replaying the
            # record): concretize's first steps, without its calls.
            ok, value = state.log[state.pos]
            state.pos += 1
            if not ok:
                raise value
            return value
        return concretize(self, "bool")

    BatchTracer.__bool__ = __bool__
    BatchTracer.__int__ = conversion("int")
    BatchTracer.__index__ = conversion("index")
    BatchTracer.__float__ = conversion("float")
    BatchTracer.__complex__ = conversion("complex")
    BatchTracer.item = conversion("item")
    BatchTracer.tolist = conversion("tolist")
    BatchTracer.__str__ = conversion("str")
    BatchTracer.__format__ = conversion("format")

    def __array__(self: BatchTracer, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = concretize(self, "array")
        return out if dtype is None else out.astype(dtype, copy=False)

    BatchTracer.__array__ = __array__
