"""SciPy and scikit-learn dispatch on ``x.__array_namespace__()`` and run vectorised on
batched values (issue 10, deliverable 4).

SciPy reads ``SCIPY_ARRAY_API`` once, at import, so the cases run in a subprocess per library
(tests/_dispatch_cases.py) and this process's SciPy stays as it was.  Each case runs under
``autovec.explain(..., fallback="error")``: vectorised means no split and no per-example
fallback, and the result equals the loop (shape, dtype, values to 1e-12).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CASES = Path(__file__).with_name("_dispatch_cases.py")

SCIPY_VECTORISED = [
    "scipy.special.logsumexp",
    "scipy.special.softmax",
    "scipy.special.log_softmax",
    "scipy.special.xlogy",
    "scipy.stats.zscore",
    "scipy.stats.skew",
    "scipy.stats.kurtosis",
    "scipy.stats.moment",
    "scipy.stats.gmean",
    "scipy.stats.hmean",
    "scipy.stats.pmean",
    "scipy.stats.sem",
    "scipy.stats.describe",
    "scipy.stats.trim_mean",
    "scipy.stats.iqr",  # needs enable_array_api_compat (NumPy constants next to tracers)
    "scipy.stats.variation",  # indexes with x[True]
    "scipy.integrate.trapezoid",
    "scipy.integrate.cumulative_trapezoid",
]
SKLEARN_VECTORISED = [
    "sklearn.metrics.pairwise.euclidean_distances",
    "sklearn.metrics.pairwise.cosine_similarity",
    "sklearn.metrics.pairwise.rbf_kernel",
    "sklearn.metrics.pairwise.linear_kernel",
    "sklearn.metrics.pairwise.polynomial_kernel",
]


def _results(library: str) -> dict:
    out = subprocess.run(
        [sys.executable, str(CASES), library], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def scipy_results() -> dict:
    pytest.importorskip("scipy")
    return _results("scipy")


@pytest.fixture(scope="module")
def sklearn_results() -> dict:
    pytest.importorskip("scipy")
    pytest.importorskip("sklearn")
    return _results("sklearn")


_SPECIFIC = (
    "TracerArrayConversionError",
    "DataDependentShapeError",
    "UnsupportedOperationError",
    "ConcretizationTypeError",
)
_VECTORISED = {"vectorised": True, "equal": True, "error": ""}


@pytest.mark.parametrize("name", SCIPY_VECTORISED)
def test_scipy_vectorised_equals_loop(scipy_results: dict, name: str) -> None:
    import scipy

    entry = scipy_results[name]
    if entry != _VECTORISED and _older_scipy(scipy.__version__):
        # SciPy 1.15 (the newest Python 3.10 gets) converts some of these with np.asarray.
        assert entry["error"].startswith(_SPECIFIC), (name, entry)
        pytest.skip(f"SciPy {scipy.__version__} does not take {name} through the array API")
    assert entry == _VECTORISED


def _older_scipy(version: str) -> bool:
    major, minor = (int(p) for p in version.split(".")[:2])
    return (major, minor) < (1, 17)


@pytest.mark.parametrize("name", SKLEARN_VECTORISED)
def test_sklearn_vectorised_equals_loop(sklearn_results: dict, name: str) -> None:
    assert sklearn_results[name] == {"vectorised": True, "equal": True, "error": ""}


def test_not_vectorised_raise_specific_errors(scipy_results: dict) -> None:
    """The rest convert to NumPy (np.asarray), call compiled ufuncs or index by a batched
    mask: with fallback="error" they raise autovec's errors, never a wrong answer."""
    for name, entry in scipy_results.items():
        # A newer SciPy may take one through the array API (simpson in 1.18): the loop's result.
        if name not in SCIPY_VECTORISED and entry != _VECTORISED:
            assert entry["error"].startswith(_SPECIFIC), (name, entry)


def test_enable_array_api_compat_mixes_numpy_and_tracers() -> None:
    compat = pytest.importorskip("array_api_compat")
    import numpy as np

    import autovec
    import autovec.numpy as anp
    from autovec.numpy.array_api import enable_array_api_compat

    enable_array_api_compat()
    assert enable_array_api_compat() == []  # a second call changes nothing
    assert compat.array_namespace(np.ones(2)).__name__ != "autovec.numpy"  # NumPy's own

    def f(x: np.ndarray) -> np.ndarray:
        xp = compat.array_namespace(x, np.asarray(2.0), 3)
        assert xp is anp
        return xp.sum(x * np.asarray(2.0))

    xs = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(autovec.vmap(f, fallback="error")(xs), [6.0, 24.0])
