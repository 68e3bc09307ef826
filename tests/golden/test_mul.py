"""mul golden vs TFLite Micro: identical int8 outputs, with and without broadcasting."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.golden.test_add import (
    ACTS,
    assert_matches_tflm,
    binary_graph,
    broadcast_pair,
    graph_inputs,
)
from tests.graphs import act, one_op
from tinydeploy.errors import UnsupportedError
from tinydeploy.quant.execute import prepare_all


@settings(max_examples=40, deadline=None)
@given(shapes=broadcast_pair(), act_fn=st.sampled_from(ACTS[:3]), seed=st.integers(0, 2**31))
def test_mul_random_broadcast_shapes_match_tflm(shapes, act_fn, seed):
    rng = np.random.default_rng(seed)
    g = binary_graph("mul", rng, *shapes, act_fn=act_fn)
    assert_matches_tflm(g, graph_inputs(g, rng))


def test_mul_squeeze_excite_channel_scale_matches_tflm():
    """[1, H, W, C] * [1, 1, 1, C], the gating product of a squeeze-and-excite block."""
    rng = np.random.default_rng(1)
    g = binary_graph("mul", rng, (1, 6, 6, 12), (1, 1, 1, 12), act_fn="relu6")
    assert_matches_tflm(g, graph_inputs(g, rng))


@pytest.mark.parametrize("out_ratio", [1e-4, 0.01, 1.0, 300.0])
def test_mul_multiplier_above_and_below_one_matches_tflm(out_ratio):
    """Small output scales give a left-shifting multiplier (> 1), large ones a right shift."""
    rng = np.random.default_rng(2)
    g = binary_graph("mul", rng, (5, 17), (5, 17), out_ratio=out_ratio)
    assert_matches_tflm(g, graph_inputs(g, rng))


def test_mul_extreme_zero_points_match_tflm():
    """(x - zp) up to 255 on both sides: the largest int32 products."""
    rng = np.random.default_rng(3)
    g = binary_graph("mul", rng, (64,), (64,), out_ratio=200.0)
    g.tensors["a"] = act("a", (64,), g.t("a").quant.s, 127)
    g.tensors["b"] = act("b", (64,), g.t("b").quant.s, -128)
    x = [np.full(64, -128, np.int8), np.full(64, 127, np.int8)]
    x[0][::2], x[1][::3] = 127, -128
    assert_matches_tflm(g, x)


def test_mul_constant_scalar_operand_matches_tflm():
    rng = np.random.default_rng(4)
    g = binary_graph("mul", rng, (3, 10), (1,), b_const=True)
    assert_matches_tflm(g, graph_inputs(g, rng))


def test_mul_incompatible_shapes_is_error():
    rng = np.random.default_rng(5)
    g = binary_graph("mul", rng, (4, 3), (4, 3))
    g.tensors["b"] = act("b", (3, 4), 0.1, 0)
    with pytest.raises(UnsupportedError, match="node 'mul'.*do not broadcast"):
        prepare_all(g)


def test_mul_per_channel_input_is_error():
    from tinydeploy.ir.graph import QuantParams, Tensor

    a = Tensor("a", (2, 3), "int8", QuantParams.make([0.1, 0.2, 0.3], 0, axis=1))
    g = one_op("mul", [a, act("b", (2, 3))], act("y", (2, 3)))
    with pytest.raises(UnsupportedError, match="per-channel"):
        prepare_all(g)
