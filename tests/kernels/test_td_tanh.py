"""td_tanh_s8 (C, under ASan/UBSan) vs the numpy golden for all 256 input values."""

from __future__ import annotations

import pytest

from tests.kernels.test_td_add import assert_c_matches
from tests.kernels.test_td_logistic import activation_cases

pytestmark = pytest.mark.cc


def test_td_tanh_all_inputs_many_scales_match_golden():
    assert_c_matches(activation_cases("tanh", 51), seed=52)
