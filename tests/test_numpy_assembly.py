"""Shape assembly (``autovec/numpy/assembly.py``): pad in every mode, roll, rot90, tile,
repeat, splits, stacks, block, atleast_*d, meshgrid, indices, kron, cross, append, insert,
delete, resize -- eager equality with NumPy and vmap against the loop (``tests/_cases.py``)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from _cases import Case, case_ids, run_case

import autovec
import autovec.numpy as anp
from autovec import errors

_RNG = np.random.default_rng(7)


def _f(*shape: int) -> np.ndarray:
    return _RNG.normal(size=shape)


def _i(*shape: int, dtype: str = "int64") -> np.ndarray:
    return _RNG.integers(-9, 10, shape).astype(dtype)


def _quiet_row_stack(xp, arrays):
    """row_stack warns (deprecated alias) in NumPy and here alike; the warning is tested
    on its own below.  NumPy 2.5 removed it: there, NumPy's side is vstack, which it was."""
    stack = getattr(xp, "row_stack", None) or xp.vstack
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return stack(arrays)


def _b(*shape: int) -> np.ndarray:
    return _RNG.random(shape) < 0.5


X2, X1, I2, I1, B2 = _f(3, 4), _f(5), _i(3, 4), _i(6, dtype="int8"), _b(2, 3)
X3 = _f(2, 3, 2)

_PAD_MODES = [
    ("constant", {}),
    ("constant", {"constant_values": ((1, 2), (3, 4))}),
    ("constant", {"constant_values": 2.7}),
    ("edge", {}),
    ("wrap", {}),
    ("reflect", {}),
    ("symmetric", {}),
    ("reflect", {"reflect_type": "odd"}),
    ("symmetric", {"reflect_type": "odd"}),
    ("linear_ramp", {}),
    ("linear_ramp", {"end_values": (5, -2)}),
    ("maximum", {}),
    ("minimum", {"stat_length": 2}),
    ("mean", {"stat_length": ((1, 2), (3, 1))}),
    ("mean", {}),
    ("median", {}),
    ("median", {"stat_length": 2}),
]


def _numpy_pads_with_a_dict() -> bool:
    """``pad_width={axis: width}`` is NumPy 2.3's; NumPy 2.2 refuses it, and so do we."""
    try:
        np.pad(np.zeros(1), {0: 1})
    except TypeError:
        return False
    return True


CASES = [
    *[
        Case("pad", lambda xp, x, m=m, kw=kw, w=w: xp.pad(x, w, m, **kw), (x,))
        for m, kw in _PAD_MODES
        for x in (X2, I2)
        for w in ((2, 3), ((1, 0), (0, 2)))
    ],
    # Wider than the array: NumPy reflects the reflection (odd: of the reflected values).
    *[
        Case("pad", lambda xp, x, m=m, kw=kw: xp.pad(x, (7, 9), m, **kw), (X1,))
        for m, kw in _PAD_MODES
        if "constant_values" not in kw and "end_values" not in kw and "stat_length" not in kw
    ],
    Case("pad", lambda xp, x: xp.pad(x, 2, "reflect"), (_f(1, 3),)),
    Case("pad", lambda xp, x: xp.pad(x, 1, "edge"), (B2,)),
    *(
        [Case("pad", lambda xp, x: xp.pad(x, {1: (1, 2)}), (I2,))]
        if _numpy_pads_with_a_dict()
        else []
    ),
    Case("pad", lambda xp, x: xp.pad(x, 2, "linear_ramp", end_values=4), (I1,)),
    Case("pad", lambda xp, x: xp.pad(x, 2, "mean"), (I1,)),
    # 'empty' leaves the pad area unspecified: compare the copied interior only.
    Case("pad", lambda xp, x: xp.pad(x, 2, "empty")[2:-2, 2:-2], (X2,)),
    # Batched fill values.
    # Batched fill values (NumPy dispatches pad on its first argument only, so a plain
    # np.pad with a batched fill and an unbatched array cannot reach autovec).
    Case("pad", lambda xp, x, c: xp.pad(x, 1, constant_values=c), (X2, 3.5), plain_numpy=False),
    Case("pad", lambda xp, x, c: xp.pad(x, 2, constant_values=c), (I1, _f(2)), plain_numpy=False),
    Case(
        "pad",
        lambda xp, x, c: xp.pad(x, 2, "linear_ramp", end_values=c),
        (X1, _f(1, 2)),
        plain_numpy=False,
    ),
    Case("roll", lambda xp, x: xp.roll(x, 2), (X2,)),
    Case("roll", lambda xp, x: xp.roll(x, -1, axis=1), (I2,)),
    Case("roll", lambda xp, x: xp.roll(x, (1, 5), axis=(0, 1)), (X2,)),
    Case("roll", lambda xp, x: xp.roll(x, (1, 2), axis=(1, 1)), (B2,)),
    Case("roll", lambda xp, x, s: xp.roll(x, s), (X1, np.int64(3)), plain_numpy=False),
    Case("roll", lambda xp, x, s: xp.roll(x, s, axis=1), (I2, np.int64(-5)), plain_numpy=False),
    Case(
        "roll",
        lambda xp, x, s: xp.roll(x, s, axis=(0, 1)),
        (X2, np.array([1, -2])),
        plain_numpy=False,
    ),
    Case("rot90", lambda xp, x: xp.rot90(x), (X2,)),
    Case("rot90", lambda xp, x: xp.rot90(x, 2), (I2,)),
    Case("rot90", lambda xp, x: xp.rot90(x, -1, axes=(2, 0)), (X3,)),
    Case("rot90", lambda xp, x: xp.rot90(x, 4), (B2,)),
    Case("tile", lambda xp, x: xp.tile(x, 2), (X1,)),
    Case("tile", lambda xp, x: xp.tile(x, (2, 1, 3)), (I2,)),
    Case("tile", lambda xp, x: xp.tile(x, (3,)), (B2,)),
    Case("tile", lambda xp, x: xp.tile(x, (2, 2)), (np.float32(1.5),)),
    Case("repeat", lambda xp, x: xp.repeat(x, 2), (X2,)),
    Case("repeat", lambda xp, x: xp.repeat(x, [1, 0, 3], axis=0), (I2,)),
    Case("repeat", lambda xp, x: xp.repeat(x, np.array([2, 1, 0]), axis=-1), (B2,)),
    Case("split", lambda xp, x: xp.split(x, 2, axis=1), (X2,)),
    Case("split", lambda xp, x: xp.split(x, [1, 4]), (I1,)),
    Case("array_split", lambda xp, x: xp.array_split(x, 3), (X1,)),
    Case("array_split", lambda xp, x: xp.array_split(x, [1, -1, 9], axis=1), (I2,)),
    Case("hsplit", lambda xp, x: xp.hsplit(x, 2), (X2,)),
    Case("hsplit", lambda xp, x: xp.hsplit(x, [2]), (I1,)),
    Case("vsplit", lambda xp, x: xp.vsplit(x, 3), (I2,)),
    Case("dsplit", lambda xp, x: xp.dsplit(x, 2), (X3,)),
    Case("hstack", lambda xp, x, y: xp.hstack([x, y]), (X2, I2)),
    Case("hstack", lambda xp, x, y: xp.hstack((x, y, x)), (X1, 2.0)),
    Case("hstack", lambda xp, x, y: xp.hstack([x, y], dtype=np.float32), (X1, I1)),
    Case("vstack", lambda xp, x, y: xp.vstack([x, y]), (X2, I2)),
    Case("vstack", lambda xp, x, y: xp.vstack([x, y]), (X1, X1)),
    Case("row_stack", lambda xp, x, y: _quiet_row_stack(xp, [x, y]), (X2, I2)),
    Case("dstack", lambda xp, x, y: xp.dstack([x, y]), (X2, _b(3, 4))),
    Case("dstack", lambda xp, x, y: xp.dstack([x, y]), (X1, I1[:5])),
    Case("column_stack", lambda xp, x, y: xp.column_stack([x, y]), (X1, I1[:5])),
    Case("column_stack", lambda xp, x, y: xp.column_stack((x, y)), (X2, X2[:, 0])),
    Case("block", lambda xp, a, b: xp.block([[a, b], [b, a]]), (X2, I2)),
    Case("block", lambda xp, a, b: xp.block([a, b, 1.0]), (X1, I1)),
    Case("block", lambda xp, a, b: xp.block([[[a]], [[b]]]), (X2, I2)),
    Case("block", lambda xp, a, b: xp.block([[a], [b]]), (X2[:1], X2)),
    Case("atleast_1d", lambda xp, x: xp.atleast_1d(x), (np.float64(2.0),)),
    Case("atleast_1d", lambda xp, x, y: xp.atleast_1d(x, y), (X2, 3.0)),
    Case("atleast_2d", lambda xp, x: xp.atleast_2d(x), (X1,)),
    Case("atleast_2d", lambda xp, x, y: xp.atleast_2d(x, y), (I2, np.int8(3))),
    Case("atleast_3d", lambda xp, x: xp.atleast_3d(x), (X1,)),
    Case("atleast_3d", lambda xp, x, y, z: xp.atleast_3d(x, y, z), (X2, 1.0, X3)),
    Case("meshgrid", lambda xp, x, y: xp.meshgrid(x, y), (X1, I1)),
    Case("meshgrid", lambda xp, x, y: xp.meshgrid(x, y, indexing="ij", sparse=True), (X1, I1)),
    Case(
        "meshgrid",
        lambda xp, x, y, z: xp.meshgrid(x, y, z, copy=False, sparse=True),
        (X1, I1, X1[:2]),
    ),
    Case("meshgrid", lambda xp, x: xp.meshgrid(x), (X2,)),
    Case("indices", lambda xp, x: xp.indices((2, 3)) + x, (1,), plain_numpy=False),
    Case(
        "indices",
        lambda xp, x: xp.indices((2, 3), sparse=True)[1] * x,
        (X1[:1],),
        plain_numpy=False,
    ),
    Case("kron", lambda xp, a, b: xp.kron(a, b), (X2, I2)),
    Case("kron", lambda xp, a, b: xp.kron(a, b), (X1, I2)),
    Case("kron", lambda xp, a, b: xp.kron(a, b), (X2[0], 2.0)),
    Case("kron", lambda xp, a, b: xp.kron(a, b), (B2, B2)),
    Case("cross", lambda xp, a, b: xp.cross(a, b), (_f(3), _f(3))),
    Case("cross", lambda xp, a, b: xp.cross(a, b), (_i(4, 3), _i(3))),
    Case("cross", lambda xp, a, b: xp.cross(a, b, axisa=0, axisc=0), (_f(3, 2), _f(2, 3))),
    Case("cross", lambda xp, a, b: xp.cross(a, b, axis=1), (_f(2, 3, 2), _f(2, 3, 2))),
    Case("append", lambda xp, a, b: xp.append(a, b), (X2, I1)),
    Case("append", lambda xp, a, b: xp.append(a, b, axis=0), (X2, I2)),
    Case("append", lambda xp, a, b: xp.append(a, b), (I1, 7)),
    Case("insert", lambda xp, a, v: xp.insert(a, 2, v), (X1, 9.5)),
    Case("insert", lambda xp, a, v: xp.insert(a, [1, 1, -1], v), (I1, _f(3))),
    Case("insert", lambda xp, a, v: xp.insert(a, 1, v, axis=1), (X2, _f(3))),
    Case("insert", lambda xp, a, v: xp.insert(a, [1], v, axis=1), (X2, _f(3, 1))),
    Case("insert", lambda xp, a, v: xp.insert(a, slice(0, 3), v, axis=0), (I2, _i(4))),
    Case("insert", lambda xp, a, v: xp.insert(a, 0, v), (B2, True)),
    Case("delete", lambda xp, a: xp.delete(a, 1), (X1,)),
    Case("delete", lambda xp, a: xp.delete(a, [0, 2], axis=1), (I2,)),
    Case("delete", lambda xp, a: xp.delete(a, slice(None, None, 2), axis=0), (X2,)),
    Case("delete", lambda xp, a: xp.delete(a, np.array([True, False, True]), 0), (_b(3, 2),)),
    Case("delete", lambda xp, a: xp.delete(a, [1, 5]), (X2,)),
    Case("resize", lambda xp, a: xp.resize(a, (4, 5)), (X2,)),
    Case("resize", lambda xp, a: xp.resize(a, 3), (I2,)),
    Case("resize", lambda xp, a: xp.resize(a, (2, 0)), (X1,)),
    Case("resize", lambda xp, a: xp.resize(a, (3, 3)), (B2,)),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_assembly_case(case):
    run_case(case)


@pytest.mark.skipif(not hasattr(np, "row_stack"), reason="NumPy 2.5 removed row_stack")
def test_row_stack_warns_like_numpy():
    x, y = X1, I1[:5]
    with pytest.warns(DeprecationWarning):
        want = np.row_stack([x, y])
    with pytest.warns(DeprecationWarning):
        got = autovec.vmap(lambda a: anp.row_stack([a, y]))(np.stack([x, x]))
    np.testing.assert_array_equal(got, np.stack([want, want]))


def test_cross_of_2_vectors_warns_or_refuses_like_numpy():
    """NumPy 2.0 to 2.4 compute 2-vector cross products and warn; NumPy 2.5 refuses them."""
    a, b = _f(2), _f(2)
    batched = autovec.vmap(lambda u: anp.cross(u, b))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            np.cross(a, b)
    except ValueError as refusal:
        with pytest.raises(ValueError, match=re.escape(str(refusal))):
            batched(np.stack([a, a]))
        return
    with pytest.warns(DeprecationWarning):
        want = np.cross(a, b)
    with pytest.warns(DeprecationWarning):
        got = batched(np.stack([a, a]))
    np.testing.assert_array_equal(got, [want, want])


def test_batched_repeat_counts_split_the_batch_by_length():
    x, r = np.arange(6.0).reshape(2, 3), np.array([[1, 2, 0], [0, 0, 3]])
    got = autovec.vmap(lambda x, r: anp.repeat(x, r))(x, r)
    np.testing.assert_array_equal(got, np.stack([np.repeat(a, b) for a, b in zip(x, r)]))


@pytest.mark.parametrize(
    "fun",
    [
        lambda x, n: anp.tile(x, n),
        lambda x, n: anp.pad(x, n),
        lambda x, n: anp.delete(x, n),
        lambda x, n: anp.insert(x, n, 0.0),
        lambda x, n: anp.array_split(x, n),
        lambda x, n: anp.resize(x, n),
    ],
)
def test_batched_sizes_are_refused(fun):
    with pytest.raises(errors.ConcretizationTypeError, match="concrete"):
        autovec.vmap(fun)(np.ones((2, 3)), np.array([1, 2]))


def test_pad_errors_match_numpy():
    x = np.ones((2, 0))
    f = lambda a: anp.pad(a, 1, "reflect")
    with pytest.raises(ValueError, match="can't extend empty axis"):
        np.pad(x, 1, "reflect")
    with pytest.raises(ValueError, match="can't extend empty axis"):
        autovec.vmap(f)(np.ones((3, 2, 0)))
    with pytest.raises(ValueError, match="stat_length of 0"):
        autovec.vmap(lambda a: anp.pad(a, 1, "maximum", stat_length=0))(np.ones((3, 2)))
    with pytest.raises(errors.UnsupportedOperationError, match="callable"):
        autovec.vmap(lambda a: anp.pad(a, 1, lambda *args: None))(np.ones((3, 2)))


@pytest.mark.skipif(_numpy_pads_with_a_dict(), reason="this NumPy pads with a dict (a Case)")
def test_pad_with_a_dict_is_refused_where_numpy_refuses_it():
    with pytest.raises(TypeError, match="must be of integral type"):
        np.pad(I2, {1: (1, 2)})
    with pytest.raises(TypeError, match="must be of integral type"):
        autovec.vmap(lambda a: anp.pad(a, {1: (1, 2)}))(np.stack([I2, I2]))


def test_block_nesting_errors():
    with pytest.raises(ValueError, match="depths are mismatched"):
        autovec.vmap(lambda a: anp.block([[a], a]))(np.ones((2, 3)))
    with pytest.raises(TypeError, match="tuple"):
        autovec.vmap(lambda a: anp.block((a, a)))(np.ones((2, 3)))


def test_plain_numpy_routes_here():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = autovec.vmap(lambda a: np.pad(np.roll(a, 1), 1, "wrap"))(np.arange(6.0).reshape(2, 3))
    want = np.stack([np.pad(np.roll(r, 1), 1, "wrap") for r in np.arange(6.0).reshape(2, 3)])
    np.testing.assert_array_equal(got, want)
