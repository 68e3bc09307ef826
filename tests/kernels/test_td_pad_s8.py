"""td_pad_s8 (C, under ASan/UBSan) vs the numpy golden, 1-D to 6-D, in one C build."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.golden._movement_cases import pad_case
from tests.kernels._movement_multi import C_SETTINGS, assert_c_matches_golden

pytestmark = pytest.mark.cc


@C_SETTINGS
@given(st.lists(pad_case(max_rank=6), min_size=10, max_size=10))
def test_td_pad_s8_random_shapes_match_golden(cases):
    assert_c_matches_golden(cases)
