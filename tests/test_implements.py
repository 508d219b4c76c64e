"""``implements``: one decorator gives each ``autovec.numpy`` function NumPy's own eager path.

A call in which no argument holds a tracer is NumPy's call (same result, same errors); any
other call runs autovec's implementation; the function shows NumPy's name and signature; and
the implementation's positional parameters are NumPy's, so a positional call means the same
thing on both paths.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import autovec
import autovec.numpy as anp
from autovec.numpy._util import implements


def _decorated() -> list[tuple[str, object]]:
    """Every function of ``autovec.numpy`` (and its ``linalg``/``fft``) made by
    ``implements`` with a NumPy function behind it."""
    out = []
    for prefix, space in (("", anp), ("linalg.", anp.linalg), ("fft.", anp.fft)):
        for name in space.__all__:
            f = getattr(space, name)
            if callable(f) and getattr(f, "numpy_function", None) is not None:
                out.append((prefix + name, f))
    return out


DECORATED = _decorated()


def test_most_functions_take_numpy_s_eager_path():
    assert len(DECORATED) > 150


@pytest.mark.parametrize("name,f", DECORATED, ids=[n for n, _ in DECORATED])
def test_name_signature_and_positional_parameters_are_numpy_s(name, f):
    np_func = f.numpy_function
    assert f.__name__ == np_func.__name__
    assert f.__doc__
    try:
        np_sig = inspect.signature(np_func)
    except (TypeError, ValueError):
        return  # NumPy's signature cannot be read (a C function): nothing to compare
    sig = inspect.signature(f)
    assert [p for p in sig.parameters if p in np_sig.parameters] == list(np_sig.parameters)
    # The implementation reads positional arguments as NumPy does: the same parameters in
    # the same order (names too, unless NumPy's are positional-only), at least as many.
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    np_pos = [p for p in np_sig.parameters.values() if p.kind in positional]
    own = list(inspect.signature(f.__wrapped__).parameters.values())
    own_pos = [p for p in own if p.kind in positional]
    varargs = any(p.kind == p.VAR_POSITIONAL for p in own)
    shown = f"{name}: positional parameters {[p.name for p in own_pos]}, NumPy's {np_pos}"
    assert varargs or len(own_pos) >= len(np_pos), shown
    for mine, theirs in zip(own_pos, np_pos):
        assert theirs.kind == theirs.POSITIONAL_ONLY or mine.name == theirs.name, shown


def test_an_eager_call_is_numpy_s_own_call():
    x = np.array([3.0, 1.0, 2.0])
    assert anp.sort(x).tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(IndexError) as ours:
        anp.take(x, 5)
    with pytest.raises(IndexError) as theirs:
        np.take(x, 5)
    assert str(ours.value) == str(theirs.value)
    calls = []

    @implements(np.median)
    def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
        calls.append("traced")
        return a

    assert median(x) == 2.0 and median([[1.0, 2.0]], axis=1).tolist() == [1.5]
    assert calls == []
    assert autovec.vmap(median)(np.ones((2, 3))).shape == (2, 3)
    assert calls == ["traced"]


def test_a_list_holding_a_tracer_runs_the_implementation():
    f = lambda v: anp.hstack([v, 2 * v])
    out = autovec.vmap(f)(np.arange(6.0).reshape(2, 3))
    assert out.tolist() == [[0, 1, 2, 0, 2, 4], [3, 4, 5, 6, 8, 10]]


def test_extra_keywords_decide_and_never_reach_numpy():
    x = np.array([0, 3, 0, 5])
    assert [a.tolist() for a in anp.nonzero(x)] == [[1, 3]]
    assert [a.tolist() for a in anp.nonzero(x, size=3)] == [[1, 3, 0]]
    a = np.zeros(3)
    b = anp.put(a, [0], [7.0], inplace=False)
    assert a.tolist() == [0, 0, 0] and b.tolist() == [7, 0, 0]
    assert anp.put(a, [1], [5.0]) is None and a.tolist() == [0, 5, 0]
    assert "size" in inspect.signature(anp.nonzero).parameters


def test_a_function_numpy_lacks_is_the_implementation_itself():
    def twice(a):
        return 2 * a

    assert implements("no_such_function")(twice) is twice
    assert implements("no_such_module.f")(twice) is twice


def test_functions_missing_from_older_numpy_still_work_eagerly():
    for name in ("unstack", "cumulative_sum", "matvec", "vecmat"):
        f = getattr(anp, name)
        if getattr(np, name, None) is None:  # older NumPy: the implementation runs
            assert f.numpy_function is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert anp.vstack([np.ones(2), np.zeros(2)]).shape == (2, 2)
