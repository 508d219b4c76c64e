"""The array API standard's own names (``autovec/numpy/array_api.py``): ``CASES`` for each,
then facts: what traced values answer to the standard's protocols, and the standard's keywords
that NumPy's functions lack (``descending``, ``correction``, ``min``/``max``, ``dtype``),
against NumPy or the loop."""

from __future__ import annotations

import re

import numpy as np
import pytest
from _cases import Case, case_ids, example_maker, run_case

import autovec
import autovec.numpy as anp
from autovec import errors
from autovec.testing import check_vmap

_ex = example_maker(12)
_f = _ex((3, 4))
_f32 = _ex((5,), "float32")
_i = _ex((4,), "int16", -3, 3)

CASES = [
    Case("isdtype", lambda xp, x: x * xp.isdtype(x.dtype, "real floating"), (_f,)),
    Case("isdtype", lambda xp, x: x + xp.isdtype(x.dtype, ("bool", "signed integer")), (_i,)),
    Case("can_cast", lambda xp, x: x * xp.can_cast(x, xp.float32), (_i,), plain_numpy=False),
    Case("can_cast", lambda xp, x: x - xp.can_cast(x.dtype, xp.int8), (_f32,)),
    Case("from_dlpack", lambda xp, x: xp.from_dlpack(x) * 2, (_f,), plain_numpy=False),
    Case("from_dlpack", lambda xp, x: xp.from_dlpack(x, copy=True), (_i,), plain_numpy=False),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_case(case: Case) -> None:
    run_case(case)


# ------------------------------------------------------------------------ the namespace


def test_the_namespace_states_its_version_and_the_standards_dtype_names() -> None:
    assert anp.__array_api_version__ == "2024.12"
    assert anp.bool is np.bool and anp.bool(1) is np.True_


def test_inspection_eagerly_is_numpys() -> None:
    ours, theirs = anp.__array_namespace_info__(), np.__array_namespace_info__()
    assert ours.capabilities() == theirs.capabilities()
    assert ours.default_device() == theirs.default_device() == "cpu"
    assert ours.devices() == theirs.devices()
    assert ours.default_dtypes() == theirs.default_dtypes()
    for kind in (None, "integral", "numeric", ("bool", "complex floating")):
        assert ours.dtypes(kind=kind) == theirs.dtypes(kind=kind)


def test_capabilities_inside_a_transformation_say_what_works_there() -> None:
    """Data-dependent shapes raise inside vmap/jit (without size=), and each vmap level
    takes one of NumPy's dimensions."""
    seen = []

    def ask(x):
        seen.append(x.__array_namespace__().__array_namespace_info__().capabilities())
        return x

    autovec.vmap(ask)(_f)
    autovec.vmap(autovec.vmap(ask))(_f[None])
    autovec.jit(ask)(_f)
    assert [c["data-dependent shapes"] for c in seen] == [False, False, False]
    if "max dimensions" in np.__array_namespace_info__().capabilities():  # not in NumPy 2.2
        assert [c["max dimensions"] for c in seen] == [63, 62, 64]
    with pytest.raises(errors.DataDependentShapeError):
        autovec.vmap(anp.unique_values)(_f)


def test_traced_values_answer_the_array_protocols() -> None:
    def protocols(x):
        assert x.__array_namespace__() is anp
        assert x.__array_namespace__(api_version="2023.12") is anp
        with pytest.raises(ValueError, match="2030.12"):
            x.__array_namespace__(api_version="2030.12")
        assert x.device == "cpu" == np.ones(1).device
        assert x.__dlpack_device__() == np.ones(1).__dlpack_device__()
        with pytest.raises(errors.UnsupportedOperationError, match="from_dlpack"):
            x.__dlpack__()
        with pytest.raises(errors.UnsupportedOperationError):
            np.from_dlpack(x)  # NumPy asks for the memory: the same specific error
        assert anp.from_dlpack(x) is x
        return x.to_device("cpu")

    np.testing.assert_array_equal(autovec.vmap(protocols)(_f), _f)
    np.testing.assert_array_equal(autovec.jit(protocols)(_f), _f)


def test_from_dlpack_copy_true_is_a_copy_under_vmap() -> None:
    def f(x):
        y = anp.from_dlpack(x, copy=True)
        y[0] = 100.0
        return x, y

    x, y = autovec.vmap(f)(_f)
    np.testing.assert_array_equal(x, _f)
    assert (y[:, 0] == 100.0).all()


def test_asarray_copy_true_is_a_copy_and_copy_false_never_copies() -> None:
    """In the loop, asarray(x, copy=True) is untouched by a later x[0] = 0, and
    asarray(x, copy=False) is x itself; a conversion asked not to copy raises."""

    def f(x):
        shared, default, copied = (anp.asarray(x, copy=c) for c in (False, None, True))
        x[0] = 0.0
        return shared, default, copied

    assert check_vmap(f, _ex((3,))) > 0
    xs = _f.copy()  # f writes into its argument, and so into the caller's array
    got = autovec.vmap(f)(xs)
    np.testing.assert_array_equal(got[2], _f)
    assert (xs[:, 0] == 0).all()
    assert (got[0][:, 0] == 0).all() and (got[1][:, 0] == 0).all()
    with pytest.raises(ValueError, match="avoid copy"):
        autovec.vmap(lambda x: anp.asarray(x, dtype=np.float32, copy=False))(_f)


def test_dtype_functions_take_traced_values_as_numpy_takes_arrays() -> None:
    def f(x):
        assert anp.can_cast(x, np.int32) == np.can_cast(_i, np.int32)
        assert anp.can_cast(x, np.int8, casting="same_kind")
        assert not anp.can_cast(x, np.uint8)
        assert anp.isdtype(x.dtype, "integral") and not anp.isdtype(x.dtype, "real floating")
        assert anp.result_type(x, 1.0) == np.result_type(_i, 1.0)
        return x

    autovec.vmap(f)(_i[None])
    with pytest.raises(ValueError, match="kind"):
        anp.isdtype(np.float64, "no such kind")


# ----------------------------------------------------------- the standard's keywords


def test_std_var_correction_inside_vmap_is_the_loops() -> None:
    for f in (np.std, np.var, anp.std, anp.var):
        for kw in ({"correction": 1}, {"correction": 0.5, "axis": 0, "keepdims": True}):
            assert check_vmap(lambda x, f=f, kw=kw: f(x, **kw), _f) > 0
    with pytest.raises(ValueError, match="ddof and correction"):
        autovec.vmap(lambda x: anp.var(x, ddof=1, correction=1))(_f)


def test_reductions_take_numpys_positional_order() -> None:
    """var/std: (a, axis, dtype, out, ddof, keepdims); max/min/any/all have no dtype."""
    cases = [
        lambda x: np.var(x, 0, None, None, 1),
        lambda x: np.std(x, None, np.float32, None, 2, True),
        lambda x: np.max(x, 0, None, True),
        lambda x: np.any(x > 0, 0, None, True),
        lambda x: np.sum(x, 0, np.float32, None, True),
        lambda x: np.mean(x, 1, None, None, True),
    ]
    for f in cases:
        assert check_vmap(f, _f) > 0


def _sorted_reference(row: list, descending: bool) -> list[int]:
    """Python's sort is stable: equal elements keep their order, also when reversed."""
    return sorted(range(len(row)), key=lambda i: -row[i] if descending else row[i])


@pytest.mark.parametrize("axis", [-1, 0, None])
def test_stable_descending_argsort_keeps_ties_in_their_order(axis) -> None:
    x = _ex((3, 9), "int16", -2, 2)  # many ties
    got = anp.argsort(x, axis=axis, descending=True, stable=True)
    rows = x.reshape(1, -1) if axis is None else np.moveaxis(x, axis, -1)
    want = np.array([_sorted_reference(r.tolist(), True) for r in rows])
    np.testing.assert_array_equal(
        got, want.reshape(-1) if axis is None else np.moveaxis(want, -1, axis)
    )
    np.testing.assert_array_equal(
        anp.sort(x, axis=axis, descending=True),
        np.take_along_axis(x.reshape(-1), got, 0)
        if axis is None
        else np.take_along_axis(x, got, axis),
    )
    for f in (anp.argsort, anp.sort):
        kw = {"axis": axis, "descending": True, "stable": True}
        assert check_vmap(lambda a, f=f, kw=kw: f(a, **kw), x) > 0


def test_descending_without_stable_and_of_one_element() -> None:
    x = _ex((5,), "float64")
    x[2] = np.nan
    assert check_vmap(lambda a: anp.argsort(a, descending=True), x) > 0
    try:  # NumPy 2.5's own descending refuses a kind next to it; before, only autovec's took it
        np.sort(x, descending=True, kind="heapsort")
    except TypeError:
        assert check_vmap(lambda a: anp.sort(a, descending=True, kind="heapsort"), x) > 0
    except ValueError as refusal:
        with pytest.raises(ValueError, match=re.escape(str(refusal))):
            autovec.vmap(lambda a: anp.sort(a, descending=True, kind="heapsort"))(x[None])
    try:
        numpy_first = np.sort(x, descending=True)[0]  # NumPy 2.5's own keyword: NaN last
    except TypeError:  # before, autovec's keyword only, in the array API's order: NaN first
        assert np.isnan(anp.sort(x, descending=True)[0])
    else:
        assert not np.isnan(numpy_first) and anp.sort(x, descending=True)[0] == numpy_first
    np.testing.assert_array_equal(anp.argsort(np.array(4.0), descending=True), np.argsort(4.0))


def test_clip_takes_the_standards_min_max_and_numpys_a_min_a_max() -> None:
    x = _ex((6,))
    lo, hi = _ex((6,), low=-1, high=0), _ex((6,), low=0, high=1)
    calls = [
        lambda xp, a: xp.clip(a, -0.5, 0.5),
        lambda xp, a: xp.clip(a, a_min=-0.5, a_max=None),
        lambda xp, a: xp.clip(a, -0.5, a_max=0.5),
        lambda xp, a: xp.clip(a, max=0.5),
        lambda xp, a: xp.clip(a, lo, hi),
        lambda xp, a: xp.clip(a, min=lo, max=hi),
        lambda xp, a: xp.clip(a, None, hi),
    ]
    for call in calls:
        np.testing.assert_array_equal(call(anp, x), call(np, x))
        assert check_vmap(lambda a, call=call: call(anp, a), x) > 0
    assert check_vmap(lambda a, b, c: anp.clip(a, b, c), x, lo, hi) > 0
    with pytest.raises(TypeError, match="two values"):
        anp.clip(x, 0.1, a_min=0.2)


def test_fftfreq_takes_a_dtype() -> None:
    for f in (anp.fft.fftfreq, anp.fft.rfftfreq):
        got = f(6, 0.5, dtype=np.float32)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, getattr(np.fft, f.__name__)(6, 0.5).astype(np.float32))
        assert check_vmap(lambda d, f=f: f(5, d, dtype=np.float32), np.float64(0.25)) > 0


# ------------------------------------------- tools/array_api_vmap.py (the suite's adapter)


def _adapter():
    import importlib.util
    import os
    import sys

    name = "tools.array_api_vmap"
    if name not in sys.modules:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        spec = importlib.util.spec_from_file_location(
            name, os.path.join(root, "tools", "array_api_vmap.py")
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_adapter_runs_each_call_in_vmap_and_checks_every_lane_against_the_loop() -> None:
    xp = _adapter()
    x = xp.asarray([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(x._lanes[1], [[6.0, 5.0, 4.0], [3.0, 2.0, 1.0]])
    y = xp.sum(x, axis=1)
    np.testing.assert_array_equal(y._lanes, [[6.0, 15.0], [15.0, 6.0]])
    x[0, 1] += 10.0
    np.testing.assert_array_equal(x._lanes[:, 0, 1], [12.0, 15.0])
    assert float(y[1]) == 15.0 and y.shape == (2,)
    # A function whose batched result is not the loop's is caught, on any lane.
    from autovec.core import Tracer

    def wrong_when_batched(a):
        return a[::-1] if isinstance(a, Tracer) else a

    with pytest.raises(xp.LaneMismatch, match="lane 0"):
        xp._call(wrong_when_batched, "wrong", x)
    # The very input returned is the very array, as NumPy's asarray(x, copy=False) is x.
    assert xp.asarray(x, copy=False) is x and xp.asarray(x, copy=True) is not x


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_with_sorter_and_side_is_the_loops(side) -> None:
    """The standard's form: x1 unsorted with the sorter that sorts it, x2 of any shape."""
    x1 = _ex((7,), "int16", -3, 3)  # ties: left and right differ
    x2 = _ex((2, 3), "int16", -4, 4)

    def f(a, v):
        return anp.searchsorted(a, v, side=side, sorter=anp.argsort(a, stable=True))

    want = np.searchsorted(x1, x2, side=side, sorter=np.argsort(x1, stable=True))
    np.testing.assert_array_equal(f(x1, x2), want)
    assert check_vmap(f, x1, x2) > 0
    # A shared sorter (a closed-over constant): x1 sorted per example inside the function,
    # since the checker's other examples shuffle x1.
    identity = np.arange(7)

    def g(a, v):
        return anp.searchsorted(anp.sort(a), v, side=side, sorter=identity)

    assert check_vmap(g, x1, x2) > 0
