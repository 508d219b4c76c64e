"""Nothing is left out: every primitive is declared with all of its rules and samples, and
every name ``autovec.numpy`` exports (and ``autovec.numpy.linalg`` / ``autovec.numpy.fft``
once they exist) has at least one ``Case`` in some ``tests/test_numpy_*.py`` module.

Linalg and fft cases are named ``"linalg.solve"``, ``"fft.rfft"``, ...
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import autovec.numpy as anp
from autovec.core import PRIMITIVES, Primitive, get_aval
from autovec.prims.base import FRESH, OUTPUT_KINDS, Facts, Sample
from autovec.testing import make_arg

TESTS = Path(__file__).resolve().parent


@functools.cache
def _case_modules() -> tuple:
    """The test_numpy_* modules, imported as pytest imports them (once, and outside the
    tests' errstate(all="raise"): module-level example data may overflow harmlessly)."""
    modules = []
    for path in sorted(TESTS.glob("test_numpy_*.py")):
        name = path.stem
        module = sys.modules.get(name)
        if module is None or Path(getattr(module, "__file__", "")).resolve() != path:
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]
                raise
        modules.append(module)
    return tuple(modules)


def _tested_names() -> set[str]:
    names = set()
    for module in _case_modules():
        cases = getattr(module, "CASES", None)
        assert cases, f"{module.__name__} defines no CASES"
        names |= {case.name for case in cases}
    return names


def _is_function_name(namespace, name: str) -> bool:
    """Exception classes (``linalg.LinAlgError``) are exported for ``except`` clauses, not
    called: they need no case."""
    obj = getattr(namespace, name)
    return not (isinstance(obj, type) and issubclass(obj, BaseException))


def _required_names() -> list[str]:
    required = list(anp.EXPORTED)
    for sub in ("linalg", "fft"):
        try:
            module = importlib.import_module(f"autovec.numpy.{sub}")
        except ImportError:
            continue  # not written yet
        required += [
            f"{sub}.{n}" for n in getattr(module, "__all__", ()) if _is_function_name(module, n)
        ]
    return required


def test_every_exported_name_has_a_case():
    tested = _tested_names()
    missing = sorted(n for n in _required_names() if n not in tested)
    assert not missing, (
        f"{len(missing)} exported name(s) have no Case in tests/test_numpy_*.py: {missing}"
    )


def test_every_exported_name_exists_and_is_callable():
    for name in anp.EXPORTED:
        assert callable(getattr(anp, name)), name


def test_case_names_are_real_names():
    """A case named after something that is not exported would hide a missing one."""
    exported = set(_required_names())
    stray = sorted(n for n in _tested_names() if n not in exported)
    assert not stray, f"Cases named after no exported function: {stray}"


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_every_primitive_has_every_rule_and_samples(name):
    prim = PRIMITIVES[name]
    assert isinstance(prim, Primitive) and prim.name == name
    for rule in ("impl", "shape", "batch"):
        assert callable(getattr(prim, rule, None)), f"{name} has no {rule} rule"
    assert prim.samples, f"{name} has no samples for the generic tests"
    for sample in prim.samples:
        assert isinstance(sample, Sample), f"{name}: sample {sample!r} is not a Sample"
        assert isinstance(sample.args, tuple) and sample.args, f"{name}: a sample has no args"


def test_the_primitive_set_is_not_empty_and_holds_the_families():
    for name in ("add", "sin", "sum", "argmax", "reshape", "transpose", "dot_general", "einsum"):
        assert name in PRIMITIVES, name
    assert {"convolve", "correlate", "getitem", "index", "concatenate", "where"} <= set(PRIMITIVES)


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_every_primitive_states_its_facts_and_they_hold_on_its_samples(name):
    """jit's passes trust these facts: a fresh output is overwritten in place once dead, a
    no-op is replaced by its input. So each one is checked against the impl."""
    prim = PRIMITIVES[name]
    facts = prim.facts
    assert isinstance(facts, Facts), f"{name} was declared without its facts"
    assert facts.output in OUTPUT_KINDS
    rng = np.random.default_rng(0)
    for sample in prim.samples:
        if facts.inline:
            assert "program" in sample.params, f"{name} inlines, but has no program param"
        args = tuple(make_arg(spec, rng) for spec in sample.args)
        params = dict(sample.params)
        out = prim.impl(np, *args, **params)
        outs = out if prim.multiple_results else (out,)
        if facts.output == FRESH:
            for k, o in enumerate(outs):
                if not isinstance(o, np.ndarray):
                    continue  # a NumPy scalar: nothing to share
                assert o.flags.writeable, f"{name}: fresh output {k} is read-only"
                for a in (*args, *outs[:k]):
                    assert not np.shares_memory(o, a), f"{name}: fresh output {k} is a view"
        in_avals = [get_aval(a) for a in args]
        out_avals = prim.shape(*in_avals, **params)
        out_avals = list(out_avals) if prim.multiple_results else [out_avals]
        if facts.is_noop(in_avals, out_avals, params):
            np.testing.assert_array_equal(outs[0], args[0], err_msg=f"{name} is no no-op")
