"""Every primitive: its shape rule agrees with its impl, and vmap of it equals the loop for
every sample, every in_axes combination and batch sizes 0, 1, 3 (and nested vmap)."""

import pytest

from autovec.core import PRIMITIVES
from autovec.testing import TRANSFORMS, check_primitive

CASES = [(name, i) for name, prim in sorted(PRIMITIVES.items()) for i in range(len(prim.samples))]


@pytest.mark.parametrize(("name", "i"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_primitive_batches_like_the_loop(name, i):
    prim = PRIMITIVES[name]
    assert check_primitive(prim, prim.samples[i], transforms=tuple(TRANSFORMS)) > 0
