"""td_depthwise_conv2d_s8 (C, under ASan/UBSan) vs the numpy golden, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from tests.golden.test_conv2d import same_pads
from tests.golden.test_depthwise_conv2d import dw_graph
from tests.kernels.test_td_conv2d import assert_c_matches_golden
from tinydeploy.ir.graph import Graph

pytestmark = pytest.mark.cc


def random_dw_case(rng: np.random.Generator, i: int) -> Graph:
    """A random depthwise layer: 1-D or 2-D, any stride/dilation, asymmetric pads."""
    one_d = rng.random() < 0.3
    kh = 1 if one_d else int(rng.integers(1, 5))
    kw = int(rng.integers(1, 6))
    stride = (1 if one_d else int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dilation = (1 if one_d else int(rng.integers(1, 3)), int(rng.integers(1, 4)))
    eh, ew = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
    h = 1 if one_d else int(rng.integers(eh, eh + 6))
    w = int(rng.integers(ew, ew + 8))
    pads = (0 if one_d else int(rng.integers(0, kh)), int(rng.integers(0, kw)),
            0 if one_d else int(rng.integers(0, kh)), int(rng.integers(0, kw)))
    return dw_graph(rng, n=int(rng.integers(1, 3)), h=h, w=w, cin=int(rng.integers(1, 7)),
                    dm=int(rng.choice([1, 1, 2, 3])), k=(kh, kw), stride=stride,
                    dilation=dilation, pads=pads, per_channel=bool(rng.random() < 0.6),
                    bias=bool(rng.random() < 0.7),
                    act_fn=str(rng.choice(["none", "relu", "relu6"])), prefix=f"d{i}_")


def test_td_depthwise_random_layers_match_golden():
    rng = np.random.default_rng(99)
    assert_c_matches_golden([random_dw_case(rng, i) for i in range(24)], seed=2)


def test_td_depthwise_named_edge_cases_match_golden():
    rng = np.random.default_rng(8)
    cases = [
        # asymmetric pads TFLite's SAME/VALID cannot express
        dict(h=5, w=5, k=(3, 3), pads=(0, 2, 2, 0)),
        # depth multiplier 4, stride 2, SAME
        dict(h=6, w=6, cin=2, dm=4, stride=(2, 2),
             pads=same_pads((6, 6), (3, 3), (2, 2), (1, 1))),
        # 1-D (H = 1), dilated, per-tensor, relu
        dict(h=1, w=20, k=(1, 3), dilation=(1, 3), pads=(0, 3, 0, 3), per_channel=False,
             act_fn="relu"),
        # batch 3, no bias, relu6
        dict(n=3, h=4, w=3, cin=4, bias=False, act_fn="relu6", pads=(1, 1, 1, 1)),
    ]
    graphs = [dw_graph(rng, prefix=f"e{i}_", **c) for i, c in enumerate(cases)]
    assert_c_matches_golden(graphs, seed=4, records=3)
