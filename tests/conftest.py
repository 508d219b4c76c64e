"""Shared test settings: NumPy warnings are errors unless a test expects them; programs are
type-checked where programs are built and transformed."""

import warnings

import numpy as np
import pytest
from _cases import checking_programs
from hypothesis import settings

settings.register_profile("ci", max_examples=40, deadline=None)
settings.load_profile("ci")

# Type-check every program jit and make_ir build (staging.CHECK_PROGRAMS) in these modules;
# the per-function cases turn it on for their composition case (tests/_cases.py).
_CHECK_PROGRAMS_IN = {"test_jit", "test_prims"}


@pytest.fixture(autouse=True)
def _type_check_programs(request):
    with checking_programs(request.module.__name__ in _CHECK_PROGRAMS_IN):
        yield


@pytest.fixture(autouse=True)
def _numpy_errors_raise():
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield
