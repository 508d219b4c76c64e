"""docs/coverage.md is what tools/api_coverage.py generates today: a function added to
autovec.numpy (or a NumPy upgrade) without regenerating the table fails here."""

import importlib.util
import os
import re

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        "autovec_coverage_tool", os.path.join(ROOT, "tools", "api_coverage.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


coverage = _load_tool()


def _doc() -> str:
    with open(coverage.DOC, encoding="utf-8") as f:
        return f.read()


def test_coverage_doc_is_up_to_date():
    doc = _doc()
    recorded = re.search(r"against NumPy (\S+);", doc)
    assert recorded, (
        "docs/coverage.md lacks its NumPy version line: run python tools/api_coverage.py"
    )
    if recorded.group(1) != np.__version__:
        pytest.skip(
            f"docs/coverage.md was generated with NumPy {recorded.group(1)}, this is "
            f"{np.__version__}: NumPy's own list of names differs between versions"
        )
    fresh = coverage.render(coverage.classify())
    assert doc == fresh, (
        "docs/coverage.md is stale (autovec.numpy or the not-applicable list changed since "
        "it was written). Regenerate it: python tools/api_coverage.py"
    )


def test_every_name_has_one_status_and_reasons_are_given():
    rows = coverage.classify()
    keys = [(r.module, r.name) for r in rows]
    assert len(keys) == len(set(keys))
    for r in rows:
        assert r.status in ("supported", "not applicable", "not yet")
        assert bool(r.reason) == (r.status == "not applicable"), r


def test_not_applicable_names_exist_in_numpy():
    # A name listed as not applicable that NumPy no longer has is a stale entry.
    objects = {
        "numpy": np,
        "numpy.linalg": np.linalg,
        "numpy.fft": np.fft,
        "numpy.ndarray": np.ndarray,
    }
    for module, names in coverage.NOT_APPLICABLE.items():
        missing = sorted(n for n in names if not hasattr(objects[module], n))
        assert not missing, f"{module}: not-applicable entries NumPy does not have: {missing}"


def test_supported_ndarray_method_works_on_a_tracer():
    # "supported" for a method means the traced value has it: spot-check one end to end.
    import autovec

    rows = {(r.module, r.name): r.status for r in coverage.classify()}
    assert rows[("numpy.ndarray", "sum")] == "supported"
    assert rows[("numpy.ndarray", "item")] == "not applicable"
    out = autovec.vmap(lambda x: x.sum())(np.arange(6.0).reshape(2, 3))
    assert out.tolist() == [3.0, 12.0]
