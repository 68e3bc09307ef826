"""Goldens of TFLite Micro's further builtins (SUB, DIV, SQUARED_DIFFERENCE, MAXIMUM,
MINIMUM, PRELU, LEAKY_RELU, HARD_SWISH, ABS, RSQRT), int8 and int16, vs TFLite Micro:
random broadcast shapes and quantizations, and large sweeps of every input value over
many quantizations (rounding differences of the multipliers show only there)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cases_tflite_ops import CASES, case_inputs
from tests.golden.test_add import assert_matches_tflm


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_random_layers_match_tflm(name, seed):
    rng = np.random.default_rng(seed)
    g = CASES[name](rng, "")
    assert_matches_tflm(g, case_inputs(g, rng))


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_value_over_many_quantizations_matches_tflm(name):
    rng = np.random.default_rng(sorted(CASES).index(name))
    for _ in range(12):
        g = CASES[name](rng, "", n=65536)
        assert_matches_tflm(g, case_inputs(g, rng, sweep=True))
