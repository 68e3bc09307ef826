"""tanh golden vs TFLite Micro: identical int8 outputs for every int8 input value.

TFLite fixes the output quantization (scale 1/128, zero point 0).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.golden.test_add import assert_matches_tflm
from tests.golden.test_logistic import ALL_INT8, activation_graph
from tests.graphs import act
from tinydeploy.errors import UnsupportedError
from tinydeploy.quant.execute import prepare_all, run_graph


@settings(max_examples=40, deadline=None)
@given(log2_scale=st.floats(-12, 3), zp=st.integers(-128, 127))
def test_tanh_all_inputs_random_quantization_match_tflm(log2_scale, zp):
    assert_matches_tflm(activation_graph("tanh", 2.0**log2_scale, zp), [ALL_INT8])


@pytest.mark.parametrize("scale", [1.0 / 32, 0.1, 0.75, 2.0**-27, 15.99])
def test_tanh_boundary_scales_match_tflm(scale):
    assert_matches_tflm(activation_graph("tanh", scale, 0), [ALL_INT8])


def test_tanh_is_odd_and_monotonic():
    y = run_graph(activation_graph("tanh", 0.04, 0), [ALL_INT8])["y"].ravel().astype(int)
    assert np.all(np.diff(y) >= 0)
    assert y[128] == 0
    # tanh(-x) = -tanh(x), except that -(-128) saturates to 127
    np.testing.assert_array_equal(y[129:], np.minimum(-y[1:128][::-1], 127))


def test_tanh_wrong_output_quantization_is_error():
    g = activation_graph("tanh", 0.1, 0)
    g.tensors["y"] = act("y", (16, 16), 1.0 / 256, -128)
    with pytest.raises(UnsupportedError, match="node 'tanh'.*scale 0.0078125"):
        prepare_all(g)
