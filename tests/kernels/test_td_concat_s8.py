"""td_concat_s8 (C, under ASan/UBSan, variadic inputs) vs the numpy golden."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.golden._movement_cases import concat_case
from tests.graphs import act, const, one_op
from tests.kernels._movement_multi import C_SETTINGS, assert_c_matches_golden

pytestmark = pytest.mark.cc


@C_SETTINGS
@given(st.lists(concat_case(), min_size=10, max_size=10))
def test_td_concat_s8_random_shapes_match_golden(cases):
    assert_c_matches_golden(cases)


def test_td_concat_s8_with_a_constant_input_matches_golden():
    rng = np.random.default_rng(5)
    c = const("c", rng.integers(-128, 128, (1, 3, 2)).astype(np.int8), 0.125, 3)
    x = act("x", (1, 3, 4), 0.125, 3)
    g = one_op("concat", [x, c], act("y", (1, 3, 6), 0.125, 3), axis=2)
    assert_c_matches_golden([(g, [rng.integers(-128, 128, x.shape).astype(np.int8)])])
