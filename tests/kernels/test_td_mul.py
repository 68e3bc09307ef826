"""td_mul_s8 (C, under ASan/UBSan) vs the numpy golden, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from tests.golden.test_add import binary_graph
from tests.kernels.test_td_add import assert_c_matches, binary_cases

pytestmark = pytest.mark.cc


def test_td_mul_random_broadcast_layers_match_golden():
    assert_c_matches(binary_cases("mul", seed=21), seed=22)


def test_td_mul_left_shifting_multipliers_match_golden():
    """Tiny output scales: multipliers > 1 whose left shift wraps int32 like TFLite's."""
    rng = np.random.default_rng(23)
    graphs = [binary_graph("mul", rng, (4, 9), (9,), prefix=f"m{i}_", out_ratio=r)
              for i, r in enumerate((1e-5, 1e-3, 0.02))]
    assert_c_matches(graphs, seed=24)
