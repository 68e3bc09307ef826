"""td_logistic_s8 (C, under ASan/UBSan) vs the numpy golden for all 256 input values."""

from __future__ import annotations

import numpy as np
import pytest

from tests.golden.test_logistic import activation_graph
from tests.kernels.test_td_add import assert_c_matches

pytestmark = pytest.mark.cc

# Power-of-two, smallest, largest and random-looking scales.
SCALES = (2.0**-27, 1e-4, 1.0 / 16, 0.0371, 0.1, 0.5, 1.7, 15.99)


def activation_cases(kind: str, seed: int):
    rng = np.random.default_rng(seed)
    return [activation_graph(kind, s, int(rng.integers(-128, 128)), prefix=f"a{i}_")
            for i, s in enumerate(SCALES)]


def test_td_logistic_all_inputs_many_scales_match_golden():
    assert_c_matches(activation_cases("logistic", 41), seed=42)
