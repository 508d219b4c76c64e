"""Run in a subprocess by tests/test_array_api_dispatch.py (SciPy reads SCIPY_ARRAY_API once,
at import, so the variable must be set before any SciPy import in that process).

Each case is a SciPy or scikit-learn function of one example; it runs under
``autovec.explain(..., fallback="error")`` on a batch and is compared with the loop.  Prints
one JSON object: case name -> {"vectorised", "equal", "error"}.
"""

from __future__ import annotations

import json
import os
import sys
import warnings

os.environ["SCIPY_ARRAY_API"] = "1"
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import autovec  # noqa: E402
from autovec.numpy.array_api import enable_array_api_compat  # noqa: E402

B = 5  # examples in the batch
rng = np.random.default_rng(0)
X = rng.uniform(0.1, 2.0, (B, 8))
Y = rng.uniform(0.1, 2.0, (B, 8))


def scipy_cases() -> dict:
    import scipy.integrate as integrate
    import scipy.spatial.distance as distance
    import scipy.special as special
    import scipy.stats as stats

    return {
        "scipy.special.logsumexp": (special.logsumexp, X),
        "scipy.special.softmax": (special.softmax, X),
        "scipy.special.log_softmax": (special.log_softmax, X),
        "scipy.special.xlogy": (special.xlogy, X, Y),
        "scipy.special.erf": (special.erf, X),
        "scipy.special.gammaln": (special.gammaln, X),
        "scipy.special.expit": (special.expit, X),
        "scipy.special.entr": (special.entr, X),
        "scipy.special.rel_entr": (special.rel_entr, X, Y),
        "scipy.stats.zscore": (stats.zscore, X),
        "scipy.stats.skew": (stats.skew, X),
        "scipy.stats.kurtosis": (stats.kurtosis, X),
        "scipy.stats.moment": (lambda x: stats.moment(x, 3), X),
        "scipy.stats.gmean": (stats.gmean, X),
        "scipy.stats.hmean": (stats.hmean, X),
        "scipy.stats.pmean": (lambda x: stats.pmean(x, 2.5), X),
        "scipy.stats.sem": (stats.sem, X),
        "scipy.stats.describe": (lambda x: stats.describe(x).variance, X),
        "scipy.stats.trim_mean": (lambda x: stats.trim_mean(x, 0.1), X),
        "scipy.stats.iqr": (stats.iqr, X),
        "scipy.stats.variation": (stats.variation, X),
        "scipy.stats.entropy": (stats.entropy, X),
        "scipy.stats.ttest_1samp": (lambda x: stats.ttest_1samp(x, 1.0).pvalue, X),
        "scipy.stats.pearsonr": (lambda x, y: stats.pearsonr(x, y).statistic, X, Y),
        "scipy.stats.rankdata": (stats.rankdata, X),
        "scipy.spatial.distance.euclidean": (distance.euclidean, X, Y),
        "scipy.spatial.distance.cosine": (distance.cosine, X, Y),
        "scipy.integrate.trapezoid": (integrate.trapezoid, X),
        "scipy.integrate.cumulative_trapezoid": (integrate.cumulative_trapezoid, X),
        "scipy.integrate.simpson": (integrate.simpson, X),
    }


def sklearn_cases() -> dict:
    import sklearn
    import sklearn.metrics as metrics

    sklearn.set_config(array_api_dispatch=True)
    pair = lambda f: lambda a, b: f(a.reshape(2, 4), b.reshape(2, 4))  # noqa: E731
    return {
        "sklearn.metrics.pairwise.euclidean_distances": (
            pair(metrics.pairwise.euclidean_distances),
            X,
            Y,
        ),
        "sklearn.metrics.pairwise.cosine_similarity": (
            pair(metrics.pairwise.cosine_similarity),
            X,
            Y,
        ),
        "sklearn.metrics.pairwise.rbf_kernel": (pair(metrics.pairwise.rbf_kernel), X, Y),
        "sklearn.metrics.pairwise.linear_kernel": (pair(metrics.pairwise.linear_kernel), X, Y),
        "sklearn.metrics.pairwise.polynomial_kernel": (
            pair(metrics.pairwise.polynomial_kernel),
            X,
            Y,
        ),
        "sklearn.metrics.mean_squared_error": (metrics.mean_squared_error, X, Y),
        "sklearn.metrics.r2_score": (metrics.r2_score, X, Y),
    }


def run(cases: dict) -> dict:
    results = {}
    for name, (f, *args) in cases.items():
        entry = {"vectorised": False, "equal": False, "error": ""}
        try:
            explanation = autovec.explain(f, *args, fallback="error")
            loop = np.stack([np.asarray(f(*(a[i] for a in args))) for i in range(B)])
            got = np.asarray(explanation.output)
            entry["vectorised"] = explanation.vectorised
            entry["equal"] = bool(
                got.shape == loop.shape
                and got.dtype == loop.dtype
                and np.allclose(got, loop, rtol=1e-12, atol=0, equal_nan=True)
            )
        except Exception as exc:  # reported, not raised: the test decides what is expected
            entry["error"] = f"{type(exc).__name__}: {str(exc)[:160]}"
        results[name] = entry
    return results


if __name__ == "__main__":
    which = sys.argv[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = scipy_cases() if which == "scipy" else sklearn_cases()
        enable_array_api_compat()
        print(json.dumps(run(cases)))
