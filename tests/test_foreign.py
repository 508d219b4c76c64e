"""Foreign objects and edge shapes inside vmap and jit follow NumPy (issue 8, items 5 and 6).

Every case compares the batched call with the Python loop: either the loop's result, or one
of autovec's specific errors, never a plain AttributeError/TypeError from inside a tracer and
never a different answer.
"""

from __future__ import annotations

import copy
import operator
import warnings
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import autovec
from autovec import errors
from autovec.core import Tracer
from autovec.testing import check_vmap
from autovec.tree import tree_flatten

# The errors that stand for "not vectorisable (yet)": a specific error instead of a result.
SPECIFIC = (
    errors.UnsupportedOperationError,
    errors.ConcretizationTypeError,
    errors.TracerArrayConversionError,
    errors.DataDependentShapeError,
    errors.SplitOutputMismatchError,  # lanes of different shapes: the loop's stack fails too
)

X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]])  # one example
XS = np.stack([X, 2 * X - 1.5, -X])  # a batch of three, distinct values in each row
XI = np.array([[1, 2, 3], [4, 5, 6]])
XIS = np.stack([XI, 2 * XI + 1, XI // 2])
XC = X + 1j * X[::-1]
XCS = XS + 1j * XS[:, ::-1]

TRANSFORMS: dict[str, Callable[[Callable], Callable]] = {
    "vmap": autovec.vmap,
    "jit(vmap)": lambda f: autovec.jit(autovec.vmap(f)),
    "vmap(jit)": lambda f: autovec.vmap(autovec.jit(f)),
}


def _outcome(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as err:  # noqa: BLE001  (the outcome is what we compare)
        return err


def _loop(f: Callable, batch: np.ndarray) -> Any:
    outs = [f(x) for x in batch]
    leaves = [tree_flatten(o)[0] for o in outs]
    return [np.stack([np.asarray(lv[k]) for lv in leaves]) for k in range(len(leaves[0]))]


def _assert_equal_leaves(got: Any, want: list, where: str) -> None:
    got_leaves = tree_flatten(got)[0]
    assert len(got_leaves) == len(want), where
    for g, w in zip(got_leaves, want):
        assert isinstance(g, np.ndarray), f"{where}: {type(g).__name__}"
        assert (g.shape, g.dtype) == (w.shape, w.dtype), f"{where}: {g.dtype}{g.shape}"
        np.testing.assert_array_equal(g, w, err_msg=where)


def assert_loop_or_specific(f: Callable, batch: np.ndarray, transforms=TRANSFORMS) -> int:
    """Under each transformation ``f`` gives the loop's result (or the loop's own error
    type), or raises one of the ``SPECIFIC`` errors.  Returns how many gave a result."""
    want = _outcome(lambda: _loop(f, batch))
    results = 0
    for name, transform in transforms.items():
        got = _outcome(lambda: transform(f)(batch))
        where = f"{name}: got {got!r}, loop {want!r}"
        if isinstance(got, Exception):
            if isinstance(got, SPECIFIC):
                continue
            assert isinstance(want, Exception) and type(got) is type(want), where
            continue
        assert not isinstance(want, Exception), where
        _assert_equal_leaves(got, want, where)
        results += 1
    return results


def assert_specific(f: Callable, batch: np.ndarray) -> None:
    for name, transform in TRANSFORMS.items():
        with pytest.raises(SPECIFIC):
            transform(f)(batch)


def _inplace(op: Callable[[Any, Any], Any], other: Any) -> Callable:
    def f(x):
        y = x.copy()
        return op(y, other)

    return f


def _method(name: str, *args: Any, **kwargs: Any) -> Callable:
    """Call an in-place ndarray method on a copy, return the copy."""

    def f(x):
        y = x.copy()
        assert getattr(y, name)(*args, **kwargs) is None
        return y

    return f


# ----------------------------------------------------------------- every ndarray attribute

# name -> (function of one example, batch).  "raise" entries must raise a specific error
# (they are about memory or bytes, which a traced value does not have, or have side effects).
LOOP = "loop"
RAISE = "raise"
# Members that need one concrete value: eager vmap splits the batch and gives the loop's
# result (issue 9); under jit there is no value to split on, so they raise a specific error.
SPLIT = "split"
SURFACE: dict[str, tuple[str, Callable, np.ndarray]] = {
    "T": (LOOP, lambda x: x.T, XS),
    "__abs__": (LOOP, lambda x: abs(x - 3), XS),
    "__add__": (LOOP, lambda x: x + 1.5, XS),
    "__and__": (LOOP, lambda x: x & 6, XIS),
    "__array__": (SPLIT, lambda x: x.__array__(), XS),
    "__array_finalize__": (RAISE, lambda x: x.__array_finalize__(None), XS),
    "__array_function__": (
        LOOP,
        lambda x: x.__array_function__(np.sum, (np.ndarray,), (x,), {"axis": 1}),
        XS,
    ),
    "__array_interface__": (RAISE, lambda x: x.__array_interface__["shape"], XS),
    "__array_namespace__": (LOOP, lambda x: x.__array_namespace__().sum(x, axis=0), XS),
    "__array_struct__": (RAISE, lambda x: x.__array_struct__, XS),
    "__array_ufunc__": (LOOP, lambda x: x.__array_ufunc__(np.add, "__call__", x, 1.0), XS),
    "__array_wrap__": (RAISE, lambda x: x.__array_wrap__(x), XS),
    "__bool__": (SPLIT, lambda x: bool(x[0, 0]), XS),
    "__class_getitem__": (LOOP, lambda x: x if x.__class_getitem__(int) else -x, XS),
    "__complex__": (SPLIT, lambda x: complex(x[0, 0]), XS),
    "__contains__": (SPLIT, lambda x: 2.0 in x, XS),
    "__copy__": (LOOP, lambda x: copy.copy(x), XS),
    "__deepcopy__": (LOOP, lambda x: copy.deepcopy(x), XS),
    "__delattr__": (LOOP, lambda x: delattr(x, "shape"), XS),  # AttributeError, as NumPy's
    "__delitem__": (LOOP, lambda x: operator.delitem(x, 0), XS),  # ValueError, as NumPy's
    "__divmod__": (LOOP, lambda x: divmod(x, 2.0), XS),
    "__dlpack__": (RAISE, lambda x: x.__dlpack__(), XS),
    "__dlpack_device__": (LOOP, lambda x: x + x.__dlpack_device__()[0], XS),
    "__eq__": (LOOP, lambda x: x == 2.0, XS),
    "__float__": (SPLIT, lambda x: float(x[0, 0]), XS),
    "__floordiv__": (LOOP, lambda x: x // 2.0, XS),
    "__format__": (SPLIT, lambda x: format(x[0, 0], ".2f"), XS),
    "__ge__": (LOOP, lambda x: x >= 2.0, XS),
    "__getattribute__": (LOOP, lambda x: x.__getattribute__("T"), XS),
    "__getitem__": (LOOP, lambda x: x[1, ::2], XS),
    "__getstate__": (RAISE, lambda x: x.__getstate__(), XS),
    "__gt__": (LOOP, lambda x: x > 2.0, XS),
    "__hash__": (LOOP, lambda x: hash(x), XS),  # TypeError (unhashable), as NumPy's
    "__iadd__": (LOOP, _inplace(operator.iadd, 1.5), XS),
    "__iand__": (LOOP, _inplace(operator.iand, 6), XIS),
    "__ifloordiv__": (LOOP, _inplace(operator.ifloordiv, 2.0), XS),
    "__ilshift__": (LOOP, _inplace(operator.ilshift, 2), XIS),
    "__imatmul__": (LOOP, _inplace(operator.imatmul, np.arange(9.0).reshape(3, 3)), XS),
    "__imod__": (LOOP, _inplace(operator.imod, 2.0), XS),
    "__imul__": (LOOP, _inplace(operator.imul, 1.5), XS),
    "__index__": (SPLIT, lambda x: operator.index(x[0, 0]), XIS),
    "__int__": (SPLIT, lambda x: int(x[0, 0]), XS),
    "__invert__": (LOOP, lambda x: ~x, XIS),
    "__ior__": (LOOP, _inplace(operator.ior, 6), XIS),
    "__ipow__": (LOOP, _inplace(operator.ipow, 3.0), XS),
    "__irshift__": (LOOP, _inplace(operator.irshift, 1), XIS),
    "__isub__": (LOOP, _inplace(operator.isub, 1.5), XS),
    "__iter__": (LOOP, lambda x: [row * 2 for row in x], XS),
    "__itruediv__": (LOOP, _inplace(operator.itruediv, 4.0), XS),
    "__ixor__": (LOOP, _inplace(operator.ixor, 6), XIS),
    "__le__": (LOOP, lambda x: x <= 2.0, XS),
    "__len__": (LOOP, lambda x: x * len(x), XS),
    "__lshift__": (LOOP, lambda x: x << 2, XIS),
    "__lt__": (LOOP, lambda x: x < 2.0, XS),
    "__matmul__": (LOOP, lambda x: x @ np.arange(3.0), XS),
    "__mod__": (LOOP, lambda x: x % 2.0, XS),
    "__mul__": (LOOP, lambda x: x * 1.5, XS),
    "__ne__": (LOOP, lambda x: x != 2.0, XS),
    "__neg__": (LOOP, lambda x: -x, XS),
    "__or__": (LOOP, lambda x: x | 6, XIS),
    "__pos__": (LOOP, lambda x: +x, XS),
    "__pow__": (LOOP, lambda x: x**3.0, XS),
    "__radd__": (LOOP, lambda x: 1.5 + x, XS),
    "__rand__": (LOOP, lambda x: 6 & x, XIS),
    "__rdivmod__": (LOOP, lambda x: divmod(7.0, x), XS),
    "__reduce__": (RAISE, lambda x: x.__reduce__(), XS),
    "__reduce_ex__": (RAISE, lambda x: x.__reduce_ex__(2), XS),
    "__rfloordiv__": (LOOP, lambda x: 7.0 // x, XS),
    "__rlshift__": (LOOP, lambda x: 1 << x, XIS),
    "__rmatmul__": (LOOP, lambda x: [1.0, -1.0] @ x, XS),
    "__rmod__": (LOOP, lambda x: 7.0 % x, XS),
    "__rmul__": (LOOP, lambda x: 1.5 * x, XS),
    "__ror__": (LOOP, lambda x: 6 | x, XIS),
    "__rpow__": (LOOP, lambda x: 2.0**x, XS),
    "__rrshift__": (LOOP, lambda x: 64 >> x, XIS),
    "__rshift__": (LOOP, lambda x: x >> 1, XIS),
    "__rsub__": (LOOP, lambda x: 1.5 - x, XS),
    "__rtruediv__": (LOOP, lambda x: 1.5 / x, XS),
    "__rxor__": (LOOP, lambda x: 6 ^ x, XIS),
    "__setattr__": (RAISE, lambda x: x.__setattr__("shape", (3, 2)), XS),
    "__setitem__": (LOOP, _inplace(lambda y, v: (operator.setitem(y, (0, 1), v), y)[1], 9.0), XS),
    "__setstate__": (RAISE, lambda x: x.__setstate__((1, (2, 3), np.dtype(float), False, b"")), XS),
    "__str__": (SPLIT, lambda x: str(x), XS),
    "__sub__": (LOOP, lambda x: x - 1.5, XS),
    "__truediv__": (LOOP, lambda x: x / 4.0, XS),
    "__xor__": (LOOP, lambda x: x ^ 6, XIS),
    "all": (LOOP, lambda x: (x > 1.5).all(axis=0), XS),
    "any": (LOOP, lambda x: (x > 4).any(axis=1), XS),
    "argmax": (LOOP, lambda x: x.argmax(axis=1), XS),
    "argmin": (LOOP, lambda x: x.argmin(), XS),
    "argpartition": (LOOP, lambda x: x.argpartition(1, axis=1), XS),
    "argsort": (LOOP, lambda x: x.argsort(axis=0), XS),
    "astype": (LOOP, lambda x: x.astype(np.int32), XS),
    "base": (RAISE, lambda x: x.base, XS),
    "byteswap": (RAISE, lambda x: x.byteswap(), XS),
    "choose": (LOOP, lambda x: (x % 3).choose([10, 20, 30]), XIS),
    "clip": (LOOP, lambda x: x.clip(2, 4), XS),
    "compress": (LOOP, lambda x: x.compress([True, False, True], axis=1), XS),
    "conj": (LOOP, lambda x: x.conj(), XCS),
    "conjugate": (LOOP, lambda x: x.conjugate(), XCS),
    "copy": (LOOP, lambda x: x.copy(), XS),
    "ctypes": (RAISE, lambda x: x.ctypes, XS),
    "cumprod": (LOOP, lambda x: x.cumprod(axis=1), XS),
    "cumsum": (LOOP, lambda x: x.cumsum(), XS),
    "data": (RAISE, lambda x: x.data, XS),
    "device": (LOOP, lambda x: x + (x.device == "cpu"), XS),
    "diagonal": (LOOP, lambda x: x.diagonal(1), XS),
    "dot": (LOOP, lambda x: x.dot(np.arange(3.0)), XS),
    "dtype": (LOOP, lambda x: np.zeros(2, x.dtype) + x.dtype.itemsize, XS),
    "dump": (RAISE, lambda x: x.dump("/dev/null"), XS),
    "dumps": (RAISE, lambda x: x.dumps(), XS),
    "fill": (LOOP, _method("fill", 2.5), XS),
    "flags": (RAISE, lambda x: x.flags.writeable, XS),
    "flat": (LOOP, lambda x: x.flat[[1, 4]], XS),
    "flatten": (LOOP, lambda x: x.flatten(), XS),
    "getfield": (RAISE, lambda x: x.getfield(np.float64), XS),
    "imag": (LOOP, lambda x: x.imag, XCS),
    "item": (SPLIT, lambda x: x.item(0), XS),
    "itemsize": (LOOP, lambda x: x * x.itemsize, XS),
    "mT": (LOOP, lambda x: x.mT, XS),
    "max": (LOOP, lambda x: x.max(axis=0), XS),
    "mean": (LOOP, lambda x: x.mean(axis=1), XS),
    "min": (LOOP, lambda x: x.min(), XS),
    "nbytes": (LOOP, lambda x: x * x.nbytes, XS),
    "ndim": (LOOP, lambda x: x * x.ndim, XS),
    "nonzero": (LOOP, lambda x: (x > 2).nonzero(), XS),
    "partition": (LOOP, _method("partition", 1, axis=1), XS),
    "prod": (LOOP, lambda x: x.prod(axis=1), XS),
    "put": (LOOP, _method("put", [0, 4], [9.0, 8.0]), XS),
    "ravel": (LOOP, lambda x: x.ravel(), XS),
    "real": (LOOP, lambda x: x.real, XCS),
    "repeat": (LOOP, lambda x: x.repeat(2, axis=0), XS),
    "reshape": (LOOP, lambda x: x.reshape(3, 2), XS),
    "resize": (LOOP, _method("resize", (3, 3), refcheck=False), XS),
    "round": (LOOP, lambda x: (x / 3).round(2), XS),
    "searchsorted": (LOOP, lambda x: np.sort(x, axis=1)[0].searchsorted(2.5), XS),
    "setfield": (RAISE, lambda x: x.setfield(1.0, np.float64), XS),
    "setflags": (RAISE, lambda x: x.setflags(write=False), XS),
    "shape": (LOOP, lambda x: x.reshape(x.shape[::-1]), XS),
    "size": (LOOP, lambda x: x * x.size, XS),
    "sort": (LOOP, _method("sort", axis=0), XS),
    "squeeze": (LOOP, lambda x: x[None].squeeze(0), XS),
    "std": (LOOP, lambda x: x.std(axis=0), XS),
    "strides": (RAISE, lambda x: x.strides, XS),
    "sum": (LOOP, lambda x: x.sum(axis=0), XS),
    "swapaxes": (LOOP, lambda x: x.swapaxes(0, 1), XS),
    "take": (LOOP, lambda x: x.take([0, 2], axis=1), XS),
    "to_device": (LOOP, lambda x: x.to_device("cpu") * 2, XS),
    "tobytes": (RAISE, lambda x: x.tobytes(), XS),
    "tofile": (RAISE, lambda x: x.tofile("/dev/null"), XS),
    "tolist": (SPLIT, lambda x: x.tolist(), XS),
    "trace": (LOOP, lambda x: x.trace(), XS),
    "transpose": (LOOP, lambda x: x.transpose(1, 0), XS),
    "var": (LOOP, lambda x: x.var(ddof=1), XS),
    "view": (LOOP, lambda x: x.view(), XS),
}

# Members that are about the Python object, not the array's values; why each is left out:
NOT_ARRAY_BEHAVIOUR = {
    "__class__": "the tracer's type",
    "__dir__": "introspection",
    "__doc__": "documentation",
    "__init__": "construction (tracers are made by the transformations)",
    "__init_subclass__": "class machinery",
    "__new__": "construction",
    "__subclasshook__": "class machinery",
    "__sizeof__": "the Python object's own memory (sys.getsizeof keeps working)",
    "__repr__": "shows the tracer (shape, dtype) for debugging; str() is the value's text",
    "__array_priority__": "a protocol constant; tracers define __array_ufunc__, which wins",
    # Members of some NumPy / Python versions only:
    "itemset": "removed in NumPy 2.0 (2.2 keeps a stub that raises; 2.4 has none)",
    "newbyteorder": "removed in NumPy 2.0 (2.2 keeps a stub that raises; 2.4 has none)",
    "ptp": "removed in NumPy 2.0 (2.2 keeps a stub that raises; 2.4 has none)",
    "tostring": "tobytes' deprecated alias (NumPy 2.2, gone in 2.4): raw bytes",
    "_set_shape": "NumPy 2.5's private helper for the deprecated shape setter",
    "_set_dtype": "NumPy 2.5's private helper for the deprecated dtype setter",
    "__buffer__": "Python 3.12's buffer protocol (memoryview): raw memory, which tracers lack",
}


def test_every_ndarray_member_is_covered():
    members = set(dir(np.ndarray))
    assert members - set(SURFACE) - set(NOT_ARRAY_BEHAVIOUR) == set()


@pytest.mark.parametrize("name", sorted(set(SURFACE) & set(dir(np.ndarray))))
def test_ndarray_member(name):
    if name == "__array_namespace__" and not hasattr(Tracer, name):
        pytest.skip("the array-API protocol comes with issue 8 item 7")
    kind, f, batch = SURFACE[name]
    if kind == RAISE:
        assert_specific(f, batch)
    elif kind == SPLIT:
        # The batch splits (or falls back per example); jit runs such a function uncompiled.
        faithful = {
            "vmap": lambda f: autovec.vmap(f, fallback="loop"),
            "jit(vmap)": lambda f: autovec.jit(autovec.vmap(f, fallback="loop"), fallback="eager"),
            "vmap(jit)": lambda f: autovec.vmap(autovec.jit(f, fallback="eager"), fallback="loop"),
        }
        assert assert_loop_or_specific(f, batch, faithful) == 3
        strict = {  # asked to compile or fail, jit says what it could not stage
            "jit(vmap)": lambda f: autovec.jit(autovec.vmap(f), fallback="error"),
            "vmap(jit)": lambda f: autovec.vmap(autovec.jit(f, fallback="error")),
        }
        for transform in strict.values():
            with pytest.raises(SPECIFIC):
                transform(f)(batch)
    else:
        assert_loop_or_specific(f, batch)


# Members that must give the loop's values (not merely a specific error).
MUST_WORK = {n for n, (kind, _, _) in SURFACE.items() if kind == LOOP} - {
    "__delattr__",
    "__delitem__",
    "__hash__",
    "nonzero",
    "view",
    "__array_namespace__",
}


@pytest.mark.parametrize("name", sorted(MUST_WORK))
def test_ndarray_member_gives_the_loop_result_under_vmap(name):
    _, f, batch = SURFACE[name]
    assert assert_loop_or_specific(f, batch, {"vmap": autovec.vmap}) == 1


def test_ndarray_members_that_raise_as_numpy_does():
    # The loop's own error types, from the same misuse.
    for f, exc in [
        (lambda x: operator.delitem(x, 0), ValueError),
        (lambda x: hash(x), TypeError),
        (lambda x: delattr(x, "shape"), AttributeError),
    ]:
        with pytest.raises(exc):
            _loop(f, XS)
        with pytest.raises(exc):
            autovec.vmap(f)(XS)


# ----------------------------------------------------------------------- attribute writes


def _assign(attr: str, value: Any) -> Callable:
    def f(x):
        y = x.copy()
        setattr(y, attr, value)
        return y

    return f


@pytest.mark.parametrize(
    "attr, value, batch",
    [
        ("real", 7.0, XS),  # a real array's .real is the array itself
        ("real", [1.0, 2.0, 3.0], XS),
        ("flat", [1.0, 2.0], XS),  # repeated to fill, as numpy.flatiter does
        ("flat", 5, XIS),
        ("real", 1.0, XCS),  # a complex array's parts, each set exactly
        ("imag", [1.0, -0.0, np.inf], XCS),
    ],
)
def test_attribute_assignment_gives_the_loop_result(attr, value, batch):
    assert assert_loop_or_specific(_assign(attr, value), batch) == 3


@pytest.mark.parametrize(
    "attr, value, batch",
    [
        ("shape", (3, 2), XS),
        ("dtype", np.int64, XS),
        ("strides", (8, 24), XS),
        ("data", b"", XS),
    ],
)
def test_attribute_assignment_raises_a_specific_error(attr, value, batch):
    assert_specific(_assign(attr, value), batch)


def test_imag_assignment_on_a_real_array_raises_numpys_error():
    with pytest.raises(TypeError, match="imaginary part"):
        _loop(_assign("imag", 1.0), XS)
    with pytest.raises(TypeError, match="imaginary part"):
        autovec.vmap(_assign("imag", 1.0))(XS)


def test_flat_assignment_through_an_index():
    def f(x):
        y = x.copy()
        y.flat[[0, 5]] = -1.0
        return y, [v for v in y.flat][:2], len(y.flat)

    assert assert_loop_or_specific(f, XS) == 3


def test_advice_of_the_shape_assignment_error_works():
    with pytest.raises(errors.UnsupportedOperationError, match=r"x = x.reshape\(new_shape\)"):
        autovec.vmap(_assign("shape", (3, 2)))(XS)
    assert assert_loop_or_specific(lambda x: x.reshape((3, 2)), XS) == 3


def test_memory_attributes_look_absent_to_protocol_probes():
    seen = {}

    def f(x):
        seen["probe"] = [hasattr(x, n) for n in ("__array_interface__", "__array_struct__")]
        seen["data"] = hasattr(x, "data")
        return x

    autovec.vmap(f)(XS)
    assert seen == {"probe": [False, False], "data": False}


# ---------------------------------------------------------------------- str, format, round


def test_str_and_format_are_specific_errors_repr_shows_the_tracer():
    shown = []

    def f(x):
        shown.append(repr(x))
        return x

    autovec.vmap(f)(XS)
    assert "f64[2,3]" in shown[0]
    for g in (str, lambda x: f"{x}", lambda x: format(x, ""), lambda x: f"{x[0, 0]:.3f}"):
        with pytest.raises(errors.ConcretizationTypeError, match="repr"):
            autovec.vmap(g, fallback="error")(XS)  # (by default the batch splits by value)
        with pytest.raises(errors.ConcretizationTypeError):
            autovec.jit(g, fallback="error")(X)
        assert autovec.jit(g, fallback="eager")(X) == g(X)  # uncompiled, as without jit


def test_round():
    # round(array) is a TypeError in NumPy; round of a 0-d value with ndigits is NumPy's.
    with pytest.raises(TypeError):
        _loop(round, XS)
    with pytest.raises(errors.UnsupportedOperationError, match="np.round"):
        autovec.vmap(round)(XS)
    assert assert_loop_or_specific(lambda x: round(x[0, 1] / 3, 2), XS) == 3
    with pytest.raises(errors.ConcretizationTypeError):
        autovec.vmap(lambda x: round(x[0, 1]))(XS)


# -------------------------------------------------------------- operands NumPy converts


OPERANDS = [
    None,
    "a",
    "abc",
    Fraction(1, 3),
    Decimal("1.5"),
    range(3),
    [1, 2, 3],
    [[1], [2]],
    (1.5, 2.5, 3.5),
    {1, 2},
    object(),
    np.float32(2.5),
    np.array(["x", "y", "z"]),
]
OPERATORS = [
    operator.eq,
    operator.ne,
    operator.lt,
    operator.ge,
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
    operator.pow,
    operator.mod,
]


@pytest.mark.parametrize("other", OPERANDS, ids=lambda o: type(o).__name__ + repr(o)[:8])
@pytest.mark.parametrize("op", OPERATORS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("reflected", [False, True], ids=["x op y", "y op x"])
def test_operators_with_any_operand_numpy_accepts(op, other, reflected):
    def f(x):
        return op(other, x) if reflected else op(x, other)

    with np.errstate(all="ignore"):
        assert_loop_or_specific(f, XS)


@pytest.mark.parametrize("other", [None, "a", Fraction(1, 3), range(3), [1, 2, 3]])
def test_equality_with_foreign_operands_is_elementwise(other):
    # Today's bug: ``x == None`` was one Python bool for the whole batch.
    for op in (operator.eq, operator.ne):
        assert assert_loop_or_specific(lambda x: op(x, other), XS) == 3


def test_equality_of_0d_examples_with_an_incomparable_operand():
    assert assert_loop_or_specific(lambda x: x[0, 0] == "a", XS) == 3
    assert assert_loop_or_specific(lambda x: x[0, 0] != None, XS) == 3  # noqa: E711


def test_fraction_arithmetic_gives_object_arrays_as_the_loop():
    assert assert_loop_or_specific(lambda x: x * Fraction(1, 3), XIS) == 3
    # 0-d object results: the loop stacks Python objects, whose dtype NumPy infers.
    assert autovec.vmap(lambda x: (x * Fraction(1, 2)).sum())(XS).dtype == np.float64
    got = autovec.vmap(lambda x: (x * Fraction(1, 2)).sum())(XIS)
    assert got.dtype == object and got[0] == Fraction(21, 2)
    nested = autovec.vmap(autovec.vmap(lambda x: (x * Fraction(1, 2)).sum()))(XS)
    assert nested.dtype == np.float64 and nested.shape == (3, 2)
    assert autovec.vmap(autovec.vmap(lambda x: x * Fraction(1, 2)))(XS).dtype == object


def test_object_scalar_results_under_jit_are_a_specific_error():
    f = autovec.jit(autovec.vmap(lambda x: (x * Fraction(1, 2)).sum()))
    with pytest.raises(errors.UnsupportedOperationError, match="astype"):
        f(XS)
    g = autovec.jit(autovec.vmap(lambda x: (x * Fraction(1, 2)).sum().astype(float)))
    np.testing.assert_array_equal(g(XS), _loop(lambda x: (x * Fraction(1, 2)).sum(), XS)[0])


def test_operand_that_opts_out_of_numpy_gets_its_own_operator():
    class OptOut:
        __array_ufunc__ = None

        def __radd__(self, other):
            return "radd"

        def __eq__(self, other):
            return "eq"

    seen = []

    def f(x):
        seen.append((x + OptOut(), x == OptOut()))
        return x

    autovec.vmap(f)(XS)
    assert seen == [("radd", "eq")]
    assert (X + OptOut(), X == OptOut()) == ("radd", "eq")  # NumPy does the same


def test_ufunc_call_with_foreign_operands():
    assert assert_loop_or_specific(lambda x: np.add(x, Fraction(1, 2)), XS) == 3
    assert assert_loop_or_specific(lambda x: np.equal(x, None), XS) == 3


# --------------------------------------------------------------------- ndarray subclasses


class Plain(np.ndarray):
    """A subclass that overrides nothing: computed as an ndarray."""


class OwnMul(np.ndarray):
    def __mul__(self, other):
        return np.add(self, other)


class OwnUfunc(np.ndarray):
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return NotImplemented


class OwnFunction(np.ndarray):
    def __array_function__(self, func, types, args, kwargs):
        return NotImplemented


SUBCLASSED = [
    np.asmatrix(XS[0]),
    np.ma.masked_array(XS, XS > 4),
    XS.view(OwnMul),
    XS.view(OwnUfunc),
    XS.view(OwnFunction),
    np.rec.fromarrays([XS[:, 0]], names="a"),
]


@pytest.mark.parametrize("value", SUBCLASSED, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("how", ["vmap", "vmap in_axes=None", "jit", "closed over"])
def test_subclasses_that_change_numpy_semantics_raise(value, how):
    if how == "vmap":
        call = lambda: autovec.vmap(lambda x: x * x)(value)  # noqa: E731
    elif how == "vmap in_axes=None":
        call = lambda: autovec.vmap(lambda x, v: x * v, in_axes=(0, None))(XS, value)  # noqa: E731
    elif how == "jit":
        call = lambda: autovec.jit(lambda x: x * x)(value)  # noqa: E731
    else:
        call = lambda: autovec.vmap(lambda x: x * value)(XS)  # noqa: E731
    with pytest.raises(errors.UnsupportedInputError):
        call()


def test_matrix_operator_that_gives_way_to_a_tracer_raises():
    # np.matrix's own * returns NotImplemented for a tracer; the loop would multiply
    # matrices, so the tracer's reflected operator must not multiply elementwise.
    m = np.asmatrix(np.eye(3))
    assert np.asarray(m * np.asmatrix(X.T)).shape == (3, 2)
    with pytest.raises(errors.UnsupportedInputError):
        autovec.vmap(lambda x: m * x)(XS)


def test_matrix_advice_works():
    m = np.asmatrix(XS[0])
    with pytest.raises(errors.UnsupportedInputError, match=r"np.asarray\(x\)"):
        autovec.vmap(lambda x: x * x)(m)
    np.testing.assert_array_equal(autovec.vmap(lambda x: x * x)(np.asarray(m)), XS[0] ** 2)


def test_masked_array_advice_works():
    ma = np.ma.masked_array(XS, XS > 4)
    with pytest.raises(errors.UnsupportedInputError, match="filled"):
        autovec.vmap(lambda x: x.sum())(ma)
    got = autovec.vmap(np.nansum)(ma.filled(np.nan))
    np.testing.assert_array_equal(got, [r.sum() for r in ma])
    data, mask = np.ma.getdata(ma), np.ma.getmaskarray(ma)
    got = autovec.vmap(lambda d, m: np.where(m, 0, d).sum())(data, mask)
    np.testing.assert_array_equal(got, [r.sum() for r in ma])


def test_plain_subclasses_and_memmaps_compute_as_ndarrays(tmp_path):
    check_vmap(lambda x: x * x + 1, XS[0].view(Plain), in_axes=[(0,)], nested=False)
    np.testing.assert_array_equal(autovec.vmap(lambda x: x * 2)(XS.view(Plain)), XS * 2)
    mm = np.memmap(tmp_path / "m.dat", dtype=float, mode="w+", shape=XS.shape)
    mm[:] = XS
    np.testing.assert_array_equal(autovec.vmap(lambda x: x.sum())(mm), XS.sum(axis=(1, 2)))
    np.testing.assert_array_equal(autovec.jit(lambda x: x * 2)(mm), XS * 2)


# --------------------------------------------------------------------------- foreign ufuncs


def test_ufuncs_are_known_by_identity_not_by_name():
    # A ufunc that is not NumPy's is called itself, on the whole batch (elementwise, so the
    # loop's values); its reductions are refused: a reduction is not elementwise.
    unary = np.frompyfunc(lambda a: a + 1, 1, 1)
    binary = np.frompyfunc(lambda a, b: a + b, 2, 1)
    for f in (lambda x: unary(x), lambda x: binary(x, 1), lambda x: binary(x, x[::-1])):
        assert assert_loop_or_specific(f, XS) == 3
    for transform in TRANSFORMS.values():
        with pytest.raises(errors.ForeignUfuncError):
            transform(lambda x: binary.reduce(x))(XS)


def test_scipy_ufunc_sharing_a_numpy_name_is_not_run_as_numpys():
    special = pytest.importorskip("scipy.special")
    assert special.log1p.__name__ == "log1p" and special.log1p is not np.log1p
    # scipy.special.log1p is run itself: complex input shows which one ran (NumPy's log1p
    # of a complex value differs from scipy's in the last bits at most; the dtype is the
    # point: both keep complex128).
    assert assert_loop_or_specific(lambda x: special.log1p(x * x), XS) == 3
    assert assert_loop_or_specific(lambda x: special.gammaln(x * x + 1), XS) == 3


def test_foreign_function_under_a_numpy_name_is_not_run_as_numpys():
    import numpy._core.overrides as overrides

    @overrides.array_function_dispatch(lambda a: (a,), module="numpy")
    def sum(a):  # noqa: A001  (the point: NumPy's name and module, another function)
        return "mine"

    with pytest.raises(errors.UnsupportedOperationError, match="no autovec implementation"):
        autovec.vmap(lambda x: sum(x))(XS)


# ------------------------------------------------------------------- byte order and dtypes


@pytest.mark.parametrize("f", [lambda x: x, lambda x: -x, lambda x: x[0], lambda x: (x, x.T)])
def test_outputs_have_native_byte_order_as_np_stack_gives(f):
    big = XS.astype(">f8")
    want = _loop(f, big)
    assert all(w.dtype.isnative for w in want)
    assert assert_loop_or_specific(f, big) == 3
    nested = tree_flatten(autovec.vmap(autovec.vmap(f))(big[None]))[0]
    assert [g.dtype for g in nested] == [w.dtype for w in want]


# ------------------------------------------------------------------------------ edge shapes


def test_argsort_of_0d_examples_sorts_one_element():
    for f in (np.argsort, lambda x: x.argsort(), lambda x: np.argsort(x, axis=0)):
        assert assert_loop_or_specific(f, XS[:, 0, 0]) == 3


def test_lexsort_keys_as_numpy_reads_them():
    keys = np.stack([XIS[:, 0], XIS[:, 1] % 2])  # (2 keys, batch, 3)
    # A 1-d array of keys: each element is a 0-d key, NumPy returns index 0.
    assert assert_loop_or_specific(np.lexsort, XIS[:, 0]) == 3
    assert assert_loop_or_specific(lambda k: np.lexsort((k[0], k[1])), XIS[:, 0]) == 3
    # 2-d keys, and a tuple of 1-d keys.
    assert assert_loop_or_specific(np.lexsort, XIS) == 3
    assert assert_loop_or_specific(lambda x: np.lexsort((x[0], x[1] % 2)), XIS) == 3
    assert keys.shape == (2, 3, 3)
    # 0-d and empty keys: NumPy's TypeError.
    for batch in (XIS[:, 0, 0], np.zeros((3, 0), int)):
        with pytest.raises(TypeError, match="len > 0"):
            _loop(np.lexsort, batch)
        with pytest.raises(TypeError, match="len > 0"):
            autovec.vmap(np.lexsort)(batch)


def test_polynomial_calculus_of_0d_examples_raises_numpys_error():
    for f in (np.polyder, np.polyint):
        with pytest.raises(TypeError, match="unsized"):
            _loop(f, XS[:, 0, 0])
        for transform in TRANSFORMS.values():
            with pytest.raises(TypeError, match="unsized"):
                transform(f)(XS[:, 0, 0])
    assert assert_loop_or_specific(lambda p: np.polyint(p, 0), XS[:, 0, 0]) == 3


@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0), (2, 0, 2)])
@pytest.mark.parametrize(
    "f",
    [
        np.nanmedian,
        lambda x: np.nanmedian(x, axis=0),
        lambda x: np.nanmedian(x, axis=-1, keepdims=True),
        lambda x: np.nanquantile(x, [0.25, 0.5], axis=-1),
        lambda x: np.nanpercentile(x, 30, axis=0, method="lower"),
        lambda x: np.median(x, axis=0),
    ],
)
def test_empty_examples_of_order_statistics(f, shape):
    # NumPy answers an empty nan-statistic with nanmean (whatever q is), an empty median with
    # NaN (and a warning, which is the loop's too).
    batch = np.zeros((3, *shape), np.float32)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(_outcome(lambda: _loop(f, batch)), Exception):
            pytest.skip("NumPy itself raises for this axis")
        assert assert_loop_or_specific(f, batch) == 3


def test_ix_of_float_and_empty_examples():
    assert assert_loop_or_specific(np.ix_, XS[:, 0]) == 3
    assert assert_loop_or_specific(np.ix_, np.zeros((3, 0))) == 3


def test_histogramdd_of_a_0d_example_is_one_sample():
    assert assert_loop_or_specific(lambda x: np.histogramdd(x)[0], XS[:, 0, 0]) == 3


STRUCTURED = np.zeros((3, 2), dtype=[("a", "f8"), ("b", "i4")])
STRUCTURED["a"] = XS[:, 0, :2]
STRUCTURED["b"] = [[1, 2], [3, 4], [5, 6]]


def test_structured_dtypes_field_access_is_a_specific_error_whose_advice_works():
    def f(x):
        return x["a"] * x["b"]

    for transform in TRANSFORMS.values():
        with pytest.raises(errors.UnsupportedOperationError, match="x.dtype.names"):
            transform(f)(STRUCTURED)
    fields = {name: STRUCTURED[name] for name in STRUCTURED.dtype.names}
    want = np.stack([f(x) for x in STRUCTURED])
    for transform in TRANSFORMS.values():
        np.testing.assert_array_equal(transform(f)(fields), want)

    def write(x):
        y = x.copy()
        y["a"] = 1.0
        return y

    with pytest.raises(errors.UnsupportedOperationError, match="structured"):
        autovec.vmap(write)(STRUCTURED)
    # What needs no field works: indexing, copies, identity.
    assert assert_loop_or_specific(lambda x: x[::-1].copy(), STRUCTURED) == 3


def test_more_axes_than_numpy_allows_is_a_specific_error():
    big = np.ones((3,) + (1,) * 63)  # 63 axes per example: the most a batch can hold
    assert autovec.vmap(lambda x: x + 1)(big).shape == big.shape
    assert autovec.jit(lambda x: x[..., None] + 1)(big[0]).ndim == 64  # no batch: fine
    for f in (lambda x: x[..., None], lambda x: np.expand_dims(x, 0), lambda x: np.stack([x])):
        for transform in (*TRANSFORMS.values(), lambda g: autovec.vmap(autovec.vmap(g))):
            with pytest.raises(errors.TooManyDimensionsError, match="at most 63"):
                transform(f)(big)
    two = np.ones((2, 3) + (1,) * 62)
    with pytest.raises(errors.TooManyDimensionsError):
        autovec.vmap(autovec.vmap(lambda x: x[..., None]))(two)


# A sweep: every NumPy function autovec.numpy exports, on 0-d, empty and one-element examples.
_EDGE_BATCHES = {
    "0-d": (3,),
    "empty": (3, 0),
    "empty 2-d": (3, 0, 2),
    "one element": (3, 1),
}
# NumPy reads a shape argument without any hook (no __array_function__ for np.zeros and
# friends), so a batched size gets NumPy's own TypeError there.
_SHAPE_ARGUMENT = {"zeros", "ones", "empty", "full", "broadcast_shapes"}


def _edge_names() -> list[str]:
    import autovec.numpy as anp

    return [n for n in anp.EXPORTED if callable(getattr(np, n, None)) and n not in ("empty",)]


@pytest.mark.parametrize("name", _edge_names())
def test_edge_shaped_examples_give_the_loop_result_or_a_specific_error(name):
    f = getattr(np, name)
    rng = np.random.default_rng(0)
    for kind, shape in _EDGE_BATCHES.items():
        for batch in (rng.uniform(0.1, 1, shape), rng.integers(0, 3, shape)):
            if batch.ndim == 1 and batch.dtype.kind == "i" and name in _SHAPE_ARGUMENT:
                continue
            if name == "empty_like":
                continue  # uninitialised values
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = _outcome(lambda: _loop(f, batch))
                got = _outcome(lambda: autovec.vmap(f)(batch))
            where = f"{name} {kind} {batch.dtype}: got {got!r:.200}, loop {want!r:.200}"
            if isinstance(got, Exception):
                assert isinstance(got, SPECIFIC) or (
                    isinstance(want, Exception) and isinstance(got, type(want))
                ), where
            else:
                assert not isinstance(want, Exception), where
                got_leaves = tree_flatten(got)[0]
                assert len(got_leaves) == len(want), where
                for g, w in zip(got_leaves, want):
                    assert (g.shape, g.dtype) == (w.shape, w.dtype), where
                    np.testing.assert_array_equal(g, w, err_msg=where)
