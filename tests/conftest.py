"""Shared test settings: NumPy warnings are errors unless a test expects them."""

import warnings

import numpy as np
import pytest
from hypothesis import settings

from autovec.interpreters import staging

settings.register_profile("ci", max_examples=40, deadline=None)
settings.load_profile("ci")

# Type-check every program jit and make_ir build while the tests run.
staging.CHECK_PROGRAMS = True


@pytest.fixture(autouse=True)
def _numpy_errors_raise():
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield
