"""td_avg_pool2d_s8 (C, under ASan/UBSan) vs the numpy golden, bit for bit.

Several random layers go into one C build. Explicit pads (asymmetric, any amount below
the kernel size) are covered too, beyond TFLite's SAME/VALID.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.golden._movement_cases import pool_case
from tests.kernels._movement_multi import C_SETTINGS, assert_c_matches_golden

pytestmark = pytest.mark.cc


@C_SETTINGS
@given(st.lists(pool_case("avg_pool2d", paddings=("same", "valid", "explicit")),
                min_size=10, max_size=10))
def test_td_avg_pool2d_s8_random_layers_match_golden(cases):
    assert_c_matches_golden(cases)
