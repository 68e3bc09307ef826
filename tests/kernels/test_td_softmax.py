"""td_softmax_s8 (C, under ASan/UBSan) vs the numpy golden, bit for bit.

Besides random rows, every row of the sweep record holds all 256 int8 values, so every
difference from the row maximum (0 .. -255) goes through the C fixed-point exp().
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.golden.test_softmax import softmax_graph
from tests.kernels.test_td_add import assert_c_matches

pytestmark = pytest.mark.cc


def test_td_softmax_random_rows_scales_and_beta_match_golden():
    rng = np.random.default_rng(31)
    graphs = []
    for i in range(12):
        depth = int(rng.choice([1, 2, 10, 12, 37, 256]))
        shape = (int(rng.integers(1, 4)), depth)
        graphs.append(softmax_graph(shape, 2.0 ** rng.uniform(-8, 1), int(rng.integers(-128, 128)),
                                    float(rng.uniform(0.05, 4.0)), prefix=f"s{i}_"))
    assert_c_matches(graphs, seed=32)


def test_td_softmax_edge_cases_match_golden():
    """Shift-31 multiplier, 1000 classes, and a long uniform row (exponent saturation)."""
    graphs = [softmax_graph((2, 9), 40.0, 0, prefix="big_"),
              softmax_graph((1, 1000), 0.1, -20, prefix="k_"),
              softmax_graph((1, 600), 0.01, 0, prefix="u_"),
              softmax_graph((3, 256), 2.0**-9, 0, beta=0.05, prefix="t_")]
    assert_c_matches(graphs, seed=33)
