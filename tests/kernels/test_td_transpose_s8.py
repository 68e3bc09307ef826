"""td_transpose_s8 / td_transpose_u8 (C, under ASan/UBSan) vs the numpy golden, up to 6-D."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.golden._movement_cases import transpose_case
from tests.kernels._movement_multi import C_SETTINGS, assert_c_matches_golden

pytestmark = pytest.mark.cc


@C_SETTINGS
@given(st.lists(transpose_case(max_rank=6), min_size=8, max_size=8),
       st.lists(transpose_case(max_rank=6, dtype="uint8"), min_size=4, max_size=4))
def test_td_transpose_int8_and_uint8_random_perms_match_golden(s8_cases, u8_cases):
    assert_c_matches_golden(s8_cases + u8_cases)
