"""logistic golden vs TFLite Micro: identical int8 outputs for every int8 input value.

TFLite fixes the output quantization (scale 1/256, zero point -128); the input scale and
zero point vary. Each case runs all 256 input values at once.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.golden.test_add import assert_matches_tflm, f32
from tests.graphs import act, one_op
from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph
from tinydeploy.quant.execute import prepare_all, run_graph

ALL_INT8 = np.arange(-128, 128, dtype=np.int8).reshape(16, 16)


def activation_graph(kind: str, scale: float, zp: int, prefix: str = "") -> Graph:
    """A [16, 16] logistic/tanh graph with TFLite's fixed output quantization."""
    out_scale, out_zp = (1.0 / 256, -128) if kind == "logistic" else (1.0 / 128, 0)
    x = act(prefix + "x", (16, 16), f32(scale), zp)
    return one_op(kind, [x], act(prefix + "y", (16, 16), out_scale, out_zp),
                  name=prefix + kind)


@settings(max_examples=40, deadline=None)
@given(log2_scale=st.floats(-12, 3), zp=st.integers(-128, 127))
def test_logistic_all_inputs_random_quantization_match_tflm(log2_scale, zp):
    assert_matches_tflm(activation_graph("logistic", 2.0**log2_scale, zp), [ALL_INT8])


@pytest.mark.parametrize("scale", [1.0 / 16, 0.1, 0.5, 2.0**-27, 15.99])
def test_logistic_boundary_scales_match_tflm(scale):
    """Power-of-two scales (exact multipliers), the smallest scale and one near the top."""
    assert_matches_tflm(activation_graph("logistic", scale, 0), [ALL_INT8])


def test_logistic_is_monotonic_and_centered():
    y = run_graph(activation_graph("logistic", 0.05, 0), [ALL_INT8])["y"].ravel()
    assert np.all(np.diff(y.astype(int)) >= 0)
    assert y[128] == 0            # x = 0 -> 0.5 -> 128 / 256 - 128
    assert y[0] < -100 and y[-1] > 100


def test_logistic_wrong_output_quantization_is_error():
    g = activation_graph("logistic", 0.1, 0, prefix="s_")
    g.tensors["s_y"] = act("s_y", (16, 16), 1.0 / 256, 0)
    with pytest.raises(UnsupportedError, match="node 's_logistic'.*zero point -128"):
        prepare_all(g)


def test_logistic_input_scale_out_of_range_is_error():
    with pytest.raises(UnsupportedError, match="input scale"):
        prepare_all(activation_graph("logistic", 2.0**-30, 0))
