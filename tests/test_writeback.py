"""In-place updates of arguments reach the caller's arrays, as the loop's writes do.

``for x in xs: f(x)`` hands ``f`` views of the caller's rows: ``x[0] = 0`` or ``x /= s``
inside ``f`` changes ``xs``.  Every transformation leaves the caller's arrays in the loop's
final state and returns the loop's results (``np.stack``: fresh arrays).
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import autovec
from autovec import errors, jit, vmap


def _loop(f, *args, in_axes=0):
    """The loop's results (stacked; None for a function returning None) and final state,
    on copies of ``args``."""
    args = [np.copy(a, order="K") if isinstance(a, np.ndarray) else a for a in args]
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    n = next(np.shape(a)[ax] for a, ax in zip(args, axes) if ax is not None)
    rows = [None if ax is None else np.moveaxis(a, ax, 0) for a, ax in zip(args, axes)]
    outs = [f(*(a if r is None else r[i] for a, r in zip(args, rows))) for i in range(n)]
    if all(o is None for o in outs):
        return None, args
    if isinstance(outs[0], tuple):
        return tuple(np.stack(o) for o in zip(*outs)), args
    return np.stack(outs), args


def _check(transformed, f, *args, in_axes=0):
    """``transformed`` (called on copies of ``args``) gives the loop's results and leaves its
    arguments as the loop leaves them; results never share memory with the arguments."""
    want, want_state = _loop(f, *args, in_axes=in_axes)
    given = [np.copy(a, order="K") if isinstance(a, np.ndarray) else a for a in args]
    got = transformed(*given)
    if want is None:
        assert got is None
    else:
        for g, w in zip(
            got if isinstance(want, tuple) else (got,), want if isinstance(want, tuple) else (want,)
        ):
            np.testing.assert_array_equal(g, w)
            for a in given:
                assert not (isinstance(a, np.ndarray) and np.shares_memory(g, a))
    for g, w in zip(given, want_state):
        np.testing.assert_array_equal(g, w)
    return given


def _normalize(x):
    x /= x.sum()


def _zero_first(x):
    x[0] = 0
    return x.sum()


def _write_and_return(x):
    x[0] = -1.0
    return x


def _through_views(x):
    tail = x[1:]
    tail += 1.0  # a slice: reaches x
    x.T[-1] = 7.0  # a transpose
    return x * 2


def _rebind(x):
    x = x + 1  # a new value: the caller's array is untouched
    x[0] = 5
    return x


def _two_args(x, y):
    x += y  # x written, y read
    y2 = y.copy()
    y2[0] = 100.0  # a copy: y untouched
    return x.sum() + y2.sum()


XS = np.arange(1.0, 22.0).reshape(7, 3)  # 7 rows: chunks of 3 and a tail under jit
FUNCS = {
    "normalize": _normalize,
    "zero_first": _zero_first,
    "write_and_return": _write_and_return,
    "through_views": _through_views,
    "rebind": _rebind,
}
TRANSFORMS = {
    "vmap": lambda f, **kw: vmap(f, **kw),
    "jit_vmap": lambda f, **kw: jit(vmap(f, **kw)),
    "vmap_jit": lambda f, **kw: vmap(jit(f), **kw),
    "chunked": lambda f, **kw: vmap(f, chunk_size=3, **kw),
    "jit_chunked": lambda f, **kw: jit(vmap(f, chunk_size=3, **kw)),
}


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("name", sorted(FUNCS))
def test_writes_reach_the_callers_array_as_in_the_loop(transform, name):
    f = FUNCS[name]
    _check(TRANSFORMS[transform](f), f, XS)


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("in_axes", [1, -1])
def test_other_batch_axes(transform, in_axes):
    for f in (_zero_first, _write_and_return, _normalize):
        _check(TRANSFORMS[transform](f, in_axes=in_axes), f, XS.T.copy(), in_axes=in_axes)


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_one_argument_written_the_other_read(transform):
    ys = np.linspace(0.5, 2.0, 21).reshape(7, 3)
    given = _check(TRANSFORMS[transform](_two_args), _two_args, XS, ys)
    np.testing.assert_array_equal(given[1], ys)  # read only: untouched


def test_the_rebinding_function_leaves_the_callers_array_alone():
    xs = XS.copy()
    for g in (vmap(_rebind), jit(vmap(_rebind)), vmap(jit(_rebind)), jit(_rebind)):
        g(xs)
        np.testing.assert_array_equal(xs, XS)


def test_nested_vmaps():
    xs = np.arange(24.0).reshape(2, 4, 3)
    for f in (_zero_first, _write_and_return, _through_views):
        want_state = xs.copy()
        want = np.stack([np.stack([f(x) for x in row]) for row in want_state])
        for g in (vmap(vmap(f)), jit(vmap(vmap(f))), vmap(vmap(jit(f))), vmap(jit(vmap(f)))):
            given = xs.copy()
            np.testing.assert_array_equal(g(given), want)
            np.testing.assert_array_equal(given, want_state)


def test_a_split_batch_writes_each_group_and_each_lane_alone():
    # An `if` on a batched value splits the batch: groups of several lanes run on their own,
    # single lanes run as the loop does; each writes its own rows.
    xs = np.random.default_rng(0).integers(0, 10, (24, 2)).astype(float)
    xs[3] = [9, 9]  # alone in its group at the second split

    def f(x):
        if x[0] > 4:
            x[1] *= -1
            if x[1] < -8:  # one lane alone
                x[0] = 100
        else:
            x += 10
        return x.sum()

    for g in (vmap(f), vmap(f, chunk_size=3), vmap(jit(f))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", errors.FallbackWarning)
            _check(g, f, xs)
    _check(vmap(f), f, xs)  # again: the function split last time (the continuing run first)
    report = autovec.explain(f, xs.copy())
    assert len(report.sites) == 2 and not report.vectorised
    # Nested: the inner vmap's groups write into the outer vmap's value, which writes the rows.
    nested = xs.reshape(2, 12, 2)
    want_state = nested.copy()
    want = np.stack([np.stack([f(x) for x in row]) for row in want_state])
    given = nested.copy()
    np.testing.assert_array_equal(vmap(vmap(f))(given), want)
    np.testing.assert_array_equal(given, want_state)


def test_the_per_lane_fallback_writes_the_rows():
    def f(x):
        scale = float(np.asarray(x).max())  # every lane alone (np.asarray: per-lane fallback)
        x /= scale
        return scale

    _check(vmap(f, fallback="loop"), f, XS)


def test_pytrees_and_keyword_arguments():
    def f(d, w=None):
        d["a"][0] = d["b"].sum()
        w *= 2
        return d["a"] + w

    a, b, w = XS.copy(), XS * 10, XS + 0.5
    want = np.stack([f({"a": ai, "b": bi}, w=wi) for ai, bi, wi in zip(a, b, w)])
    for g in (vmap(f), jit(vmap(f)), vmap(jit(f))):
        ga, gb, gw = XS.copy(), XS * 10, XS + 0.5
        np.testing.assert_array_equal(g({"a": ga, "b": gb}, w=gw), want)
        np.testing.assert_array_equal(ga, a)
        np.testing.assert_array_equal(gb, b)
        np.testing.assert_array_equal(gw, w)


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_a_read_only_argument_raises_numpys_error(transform):
    xs = XS.copy()
    xs.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _zero_first(xs[0])  # the loop
    with pytest.raises(ValueError, match="read-only"):
        TRANSFORMS[transform](_zero_first)(xs)
    np.testing.assert_array_equal(xs, XS)
    # Reading it is fine, and so is writing into a copy.
    np.testing.assert_array_equal(TRANSFORMS[transform](lambda x: x.sum())(xs), XS.sum(1))
    np.testing.assert_array_equal(
        TRANSFORMS[transform](lambda x: _zero_first(x.copy()))(xs), XS[:, 1:].sum(1)
    )


def test_a_caught_read_only_error_is_caught_as_in_the_loop():
    def f(x):
        try:
            x[0] = 0
        except ValueError:
            return x.sum() * 0
        return x.sum()

    xs = XS.copy()
    xs.flags.writeable = False
    np.testing.assert_array_equal(vmap(f)(xs), np.zeros(7))


@pytest.mark.parametrize("transform", ["vmap", "jit_vmap", "vmap_jit", "jit"])
def test_the_same_array_twice_is_refused_when_written(transform):
    make = {
        "vmap": vmap,
        "jit_vmap": lambda f: jit(vmap(f)),
        "vmap_jit": lambda f: vmap(jit(f)),
        "jit": jit,
    }[transform]
    xs = XS.copy()
    with pytest.raises(errors.AliasedArgumentsError, match="xs.copy()"):
        make(_two_args)(xs, xs)
    np.testing.assert_array_equal(xs, XS)  # nothing written
    with pytest.raises(errors.AliasedArgumentsError):
        make(_two_args)(xs, xs[:, :])  # a view of it
    # Following the advice: a copy for one of them gives the loop's result.
    want, (state, _) = (
        _loop(_two_args, xs, xs.copy()) if transform != "jit" else (None, (None, None))
    )
    got = make(_two_args)(xs, xs.copy())
    if transform != "jit":
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(xs, state)
    # Read twice, written never: fine.
    ys = XS.copy()
    np.testing.assert_array_equal(make(lambda x, y: x * y)(ys, ys), XS * XS)


def test_an_argument_every_example_shares_is_still_never_written():
    w = np.ones(3)

    def bump(x, w):
        w += 1
        return x + w

    for g in (vmap(bump, in_axes=(0, None)), jit(vmap(bump, in_axes=(0, None)))):
        with pytest.raises(errors.SharedStateWriteError):
            g(XS.copy(), w)
        np.testing.assert_array_equal(w, np.ones(3))
        assert w.flags.writeable


def test_a_batched_argument_the_function_also_reads_as_shared_is_refused():
    xs = XS.copy()

    def f(x, everything):
        x[0] = everything.sum()  # in the loop, later rows would see earlier writes
        return x

    with pytest.raises(errors.SharedStateWriteError):
        vmap(f, in_axes=(0, None))(xs, xs)
    np.testing.assert_array_equal(xs, XS)
    assert xs.flags.writeable


# ------------------------------------------------------------------------------------- jit


def test_jit_writes_its_arguments_on_every_call_and_returns_them_as_eagerly():
    def f(x, n):
        x += n
        return x

    a = np.zeros(3)
    g = jit(f)
    for k in range(1, 4):
        out = g(a, 1.0)
        assert out is a  # eagerly the function returns its argument itself
        np.testing.assert_array_equal(a, np.full(3, float(k)))
    assert g.trace_count == 1


def test_jit_of_a_function_returning_none():
    a = np.array([1.0, 3.0])
    assert jit(_normalize)(a) is None
    np.testing.assert_array_equal(a, [0.25, 0.75])
    b = np.array([[1.0, 3.0]])
    jit(_normalize)(b)
    jit(_normalize)(b)  # the cached call writes too
    np.testing.assert_array_equal(b, [[0.25 / 1.0, 0.75 / 1.0]])


def test_jit_of_a_scalar_argument_rebinds_it():
    def f(x, s):
        s += 1  # a Python float: a new value, as eagerly
        x *= s
        return s

    a = np.ones(2)
    assert jit(f)(a, 2.0) == 3.0
    np.testing.assert_array_equal(a, [3.0, 3.0])


def test_jit_read_only_argument():
    a = np.arange(3.0)
    a.flags.writeable = False
    for _ in range(2):
        with pytest.raises(ValueError, match="read-only"):
            jit(_zero_first)(a)
    np.testing.assert_array_equal(a, np.arange(3.0))


def test_jit_of_a_zero_d_argument():
    def f(x):
        x[...] = x + 1  # (x += 1 on a 0-d value rebinds it, as on the NumPy scalar it
        return x * 2  # usually stands for: docs/semantics.md)

    a = np.array(1.5)
    np.testing.assert_array_equal(jit(f)(a), 5.0)
    assert a == 2.5


def test_jit_program_returns_written_arguments_only_when_written():
    x = np.ones(3)
    assert len(jit(lambda x: x * 2).lower(x).program.outputs) == 1
    assert len(jit(_zero_first).lower(x).program.outputs) == 2
    # The final value that is also returned is one output, not two.
    assert len(jit(_write_and_return).lower(x).program.outputs) == 1


def test_jit_inside_jit_writes_through():
    inner = jit(_zero_first)

    def outer(x):
        s = inner(x)
        return x * s

    a = np.arange(1.0, 4.0)
    want_state = a.copy()
    want = outer(want_state)
    got = jit(outer)(a)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(a, want_state)


def test_explain_and_partial_keep_working():
    f = functools.partial(_two_args, y=np.ones(3))
    xs = XS.copy()
    vmap(f)(xs)
    np.testing.assert_array_equal(xs, XS + 1)
    report = autovec.explain(_zero_first, XS.copy())
    assert report.vectorised
