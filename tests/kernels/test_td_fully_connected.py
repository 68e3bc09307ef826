"""td_fully_connected_s8 (C, under ASan/UBSan) vs the numpy golden, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from tests.golden.test_fully_connected import fc_graph
from tests.graphs import act, const, one_op
from tests.harness import run_c_graph
from tests.kernels.test_td_conv2d import assert_c_matches_golden
from tinydeploy.ir.graph import Graph
from tinydeploy.quant.execute import run_graph

pytestmark = pytest.mark.cc


def test_td_fully_connected_random_layers_match_golden():
    rng = np.random.default_rng(5)
    graphs = [fc_graph(rng, n=int(rng.integers(1, 4)), cin=int(rng.integers(1, 80)),
                       cout=int(rng.integers(1, 20)), per_channel=bool(rng.random() < 0.5),
                       bias=bool(rng.random() < 0.7),
                       act_fn=str(rng.choice(["none", "relu", "relu6"])), prefix=f"f{i}_")
              for i in range(20)]
    assert_c_matches_golden(graphs, seed=6, records=3)


def test_td_fully_connected_per_tensor_weight_zero_point_matches_golden():
    rng = np.random.default_rng(6)
    graphs = [fc_graph(rng, n=2, cin=33, cout=7, w_zp=zp, prefix=f"z{i}_")
              for i, zp in enumerate((-5, 9, 127))]
    assert_c_matches_golden(graphs, seed=7)


def _extreme_fc(cin: int) -> Graph:
    """Accumulator close to INT32_MAX: w = -128, x = -128 with input zero point 127, so
    every product is 32640; output scale makes the result land in range."""
    x = act("x", (1, cin), 0.5, 127)
    w = const("w", np.full((2, cin), -128, dtype=np.int8), scale=0.5, zp=0)
    y = act("y", (1, 2), 0.25 * 32640.0 * cin / 100.0, -20)
    return one_op("fully_connected", [x, w, None], y)


def test_td_fully_connected_accumulator_near_int32_max_is_exact():
    cin = 65_000                      # 65000 * 32640 = 2.12e9 < 2**31 - 1
    g = _extreme_fc(cin)
    x = np.full((1, cin), -128, dtype=np.int8)
    want = np.array([[80, 80]], dtype=np.int8)     # 2.12e9 * 0.25 / out_scale = 100, - 20
    np.testing.assert_array_equal(run_graph(g, [x])["y"], want)
    np.testing.assert_array_equal(run_c_graph(g, [x], sanitize=True)["y"].reshape(1, 2), want)
