"""mean golden vs TFLite Micro's MEAN (int8), incl. differing in/out quantization."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.golden._movement_cases import mean_case
from tests.graphs import act, one_op, random_input
from tests.tflite_writer import graph_to_tflite, run_tflm
from tinydeploy.quant.execute import prepare_all, run_graph


def assert_matches_tflm(g, inputs):
    want = run_tflm(graph_to_tflite(g), inputs)[0]
    got = run_graph(g, inputs)[g.outputs[0]]
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want.reshape(got.shape))


@settings(max_examples=50, deadline=None)
@given(mean_case())
def test_mean_matches_tflm_random_axes_keepdims_and_quant(case):
    assert_matches_tflm(*case)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 2), st.integers(1, 12), st.integers(1, 12), st.integers(1, 8),
       st.booleans(), st.floats(0.01, 0.2), st.floats(-3, 3), st.integers(-128, 127),
       st.integers(-128, 127), st.integers(0, 2**32 - 1))
def test_mean_over_hw_keepdims_matches_tflm(n, h, w, c, same_quant, s_in, log2_ratio,
                                            zp_in, zp_out, seed):
    """The global-average-pool form (axes 1,2, keepdims), same or different quantization."""
    s_in = float(np.float32(s_in))
    s_out = float(np.float32(s_in * 2.0 ** log2_ratio))
    s_out, zp_out = (s_in, zp_in) if same_quant else (s_out, zp_out)
    x = act("x", (n, h, w, c), s_in, zp_in)
    g = one_op("mean", [x], act("y", (n, 1, 1, c), s_out, zp_out), axes=(1, 2),
               keepdims=True)
    assert_matches_tflm(g, [random_input(np.random.default_rng(seed), x)])


@pytest.mark.parametrize("ratio", [2e-8, 1e-6, 1e-3, 0.9, 1.0, 3.0, 100.0])
def test_mean_large_count_clamps_multiplier_shift_like_tflm(ratio):
    # 6400 elements: floor(log2(count)) = 12 is clamped by 31 + shift for tiny ratios.
    x = act("x", (1, 80, 80, 1), 0.0625, -3)
    s_out = float(np.float32(0.0625 / ratio))
    g = one_op("mean", [x], act("y", (1, 1), s_out, 2), axes=(1, 2), keepdims=False)
    rng = np.random.default_rng(7)
    for lo, hi in ((-128, 127), (100, 127), (-128, -100)):
        inp = rng.integers(lo, hi, x.shape, endpoint=True).astype(np.int8)
        assert_matches_tflm(g, [inp])


def test_mean_same_quant_exact_average():
    x = act("x", (1, 2, 2, 1), 0.125, 0)
    g = one_op("mean", [x], act("y", (1, 1, 1, 1), 0.125, 0), axes=(1, 2), keepdims=True)
    inp = np.array([10, 20, 30, 40], dtype=np.int8).reshape(x.shape)
    assert_matches_tflm(g, [inp])
    assert run_graph(g, [inp])["y"].item() == 25


def test_mean_rounds_twice_like_tflm_not_to_nearest():
    # sum 101 over 4: the nearest integer is 25, but the high-mul rounds 50.5 -> 51 and
    # the power-of-two divide rounds 25.5 -> 26 (gemmlowp double rounding). TFLM decides.
    x = act("x", (1, 2, 2, 1), 0.125, 0)
    g = one_op("mean", [x], act("y", (1, 1, 1, 1), 0.125, 0), axes=(1, 2), keepdims=True)
    inp = np.array([10, 20, 30, 41], dtype=np.int8).reshape(x.shape)
    assert_matches_tflm(g, [inp])
    assert run_tflm(graph_to_tflite(g), [inp])[0].item() != 25


def test_mean_negative_axes_equal_positive_axes():
    x = act("x", (2, 3, 4), 0.125, 1)
    y = act("y", (2, 1, 1), 0.09375, -2)
    neg = one_op("mean", [x], y, axes=(-1, -2), keepdims=True)
    pos = one_op("mean", [x], y, axes=(1, 2), keepdims=True)
    inp = random_input(np.random.default_rng(3), x)
    assert_matches_tflm(neg, [inp])
    assert vars(prepare_all(neg)["op0"]).keys() == vars(prepare_all(pos)["op0"]).keys()
    np.testing.assert_array_equal(run_graph(neg, [inp])["y"], run_graph(pos, [inp])["y"])
