"""td_mean_s8 (C, under ASan/UBSan) vs the numpy golden: random axes, keepdims, quant."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.golden._movement_cases import mean_case
from tests.graphs import act, one_op, random_input
from tests.kernels._movement_multi import C_SETTINGS, assert_c_matches_golden

pytestmark = pytest.mark.cc


@C_SETTINGS
@given(st.lists(mean_case(max_rank=6, max_dim=4), min_size=10, max_size=10))
def test_td_mean_s8_random_axes_match_golden(cases):
    assert_c_matches_golden(cases)


def test_td_mean_s8_extreme_multipliers_match_golden():
    """Tiny and large in/out scale ratios: right shifts up to 31, left shifts, clamping."""
    rng = np.random.default_rng(11)
    cases = []
    for i, ratio in enumerate([2e-8, 1e-6, 0.5, 1.0, 7.0, 300.0]):
        x = act(f"x{i}", (1, 40, 40, 2), 0.0625, int(rng.integers(-128, 128)))
        s_out = float(np.float32(0.0625 / ratio))
        y = act(f"y{i}", (1, 1, 1, 2), s_out, int(rng.integers(-128, 128)))
        g = one_op("mean", [x], y, name=f"m{i}", axes=(1, 2), keepdims=True)
        cases.append((g, [random_input(rng, x)]))
    assert_c_matches_golden(cases)
