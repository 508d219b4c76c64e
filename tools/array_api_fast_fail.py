"""A pytest plugin for ``tools/run_array_api_tests.py``: hypothesis stops at the first
failing example (no shrinking, no explanation), so a failing test costs seconds, not
minutes.  Load it with ``-p tools.array_api_fast_fail`` (after the suite's own profile)."""

from __future__ import annotations

import pytest
from hypothesis import Phase, settings


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    settings.register_profile(
        "array-api-tests-fast-fail",
        parent=settings.get_profile("array-api-tests"),
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    settings.load_profile("array-api-tests-fast-fail")
