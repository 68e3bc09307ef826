"""softmax golden vs TFLite Micro: identical int8 outputs (output scale 1/256, zp -128)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.golden.test_add import assert_matches_tflm, f32
from tests.graphs import act, one_op, random_input
from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph
from tinydeploy.quant.execute import prepare_all, run_graph


def softmax_graph(shape, scale: float, zp: int, beta: float = 1.0, prefix: str = "") -> Graph:
    x = act(prefix + "x", shape, f32(scale), zp)
    y = act(prefix + "y", shape, 1.0 / 256, -128)
    return one_op("softmax", [x], y, name=prefix + "softmax", beta=beta)


@settings(max_examples=40, deadline=None)
@given(outer=st.lists(st.integers(1, 3), min_size=0, max_size=2),
       depth=st.integers(1, 40), log2_scale=st.floats(-8, 1), zp=st.integers(-128, 127),
       beta=st.floats(0.05, 4.0), seed=st.integers(0, 2**31))
def test_softmax_random_shapes_scales_and_beta_match_tflm(outer, depth, log2_scale, zp, beta,
                                                          seed):
    g = softmax_graph((*outer, depth), 2.0**log2_scale, zp, f32(beta))
    assert_matches_tflm(g, [random_input(np.random.default_rng(seed), g.t("x"))])


def test_softmax_kws_head_12_classes_matches_tflm():
    """The MLPerf KWS classifier shape: [1, 12]."""
    rng = np.random.default_rng(1)
    for _ in range(5):
        g = softmax_graph((1, 12), rng.uniform(0.05, 0.3), int(rng.integers(-128, 128)))
        assert_matches_tflm(g, [random_input(rng, g.t("x"))])


def test_softmax_1000_classes_matches_tflm():
    rng = np.random.default_rng(2)
    g = softmax_graph((2, 1000), 0.1, -20)
    assert_matches_tflm(g, [random_input(rng, g.t("x"))])


@pytest.mark.parametrize("scale", [16.0, 40.0, 300.0])
def test_softmax_huge_beta_times_scale_keeps_shift_31_matches_tflm(scale):
    """beta * s * 2**26 >= 2**30: TFLite keeps left shift 31 (its multiplier is capped)."""
    g = softmax_graph((3, 9), scale, 0)
    assert prepare_all(g)["softmax"].input_left_shift == 31
    x = np.array([[0, 0, -1, 5, 5, 4, -128, 127, 127]] * 3, np.int8)
    x[1] = np.arange(9)
    assert_matches_tflm(g, [x])


def test_softmax_equal_and_extreme_rows_match_tflm():
    g = softmax_graph((4, 16), 0.2, 0)
    x = np.zeros((4, 16), np.int8)
    x[1, 3] = 127
    x[2] = -128
    x[3, ::2] = 127
    x[3, 1::2] = -128
    assert_matches_tflm(g, [x])


def test_softmax_all_256_inputs_against_the_maximum_match_tflm():
    """Every difference from the row maximum 0..-255 appears once."""
    g = softmax_graph((1, 256), 0.03, 10, beta=0.7)
    x = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    assert_matches_tflm(g, [x])


def test_softmax_large_uniform_row_saturates_exponent_instead_of_aborting():
    """A sum of exps >= 512 makes TFLite abort; we saturate the rounding exponent at 31."""
    g = softmax_graph((1, 600), 0.1, 0)
    y = run_graph(g, [np.zeros((1, 600), np.int8)])["y"]
    assert np.all(y == y[0, 0])
    assert -128 <= int(y[0, 0]) <= -127      # 1/600 of 256 rounds to 0 (+ zero point)


def test_softmax_wrong_output_quantization_is_error():
    g = softmax_graph((1, 10), 0.1, 0)
    g.tensors["y"] = act("y", (1, 10), 1.0 / 255, -128)
    with pytest.raises(UnsupportedError, match="node 'softmax'.*1/256"):
        prepare_all(g)


def test_softmax_tiny_beta_times_scale_is_error():
    g = softmax_graph((1, 10), 2.0**-20, 0, beta=2.0**-7)
    with pytest.raises(UnsupportedError, match="too small"):
        prepare_all(g)


def test_softmax_rows_longer_than_4095_are_error():
    g = softmax_graph((1, 4096), 0.1, 0)
    with pytest.raises(UnsupportedError, match="overflow"):
        prepare_all(g)
