"""16x8 goldens vs TFLite Micro: every op kind TFLite's int16 mode has, on random
shapes, scales and fused activations (:mod:`tests.cases_16x8`), identical outputs.

Per-kind edge cases and refusals live in the per-op files (``test_softmax_16x8.py``,
...); this file runs the same random cases for every kind.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cases_16x8 import CASES
from tests.golden.test_add import assert_matches_tflm


def case_inputs(g, rng: np.random.Generator) -> list[np.ndarray]:
    """Full-range integers; floats over +-40 (beyond the int16 range of most scales)."""
    out = []
    for n in g.inputs:
        t = g.t(n)
        if t.dtype == "float32":
            out.append(rng.uniform(-40, 40, t.shape).astype(np.float32))
        else:
            info = np.iinfo(t.dtype)
            out.append(rng.integers(info.min, info.max, t.shape, endpoint=True).astype(t.dtype))
    return out


@pytest.mark.parametrize("kind", sorted(CASES))
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_16x8_random_layers_match_tflm(kind, seed):
    rng = np.random.default_rng(seed)
    g = CASES[kind](rng, "")
    assert_matches_tflm(g, case_inputs(g, rng))
