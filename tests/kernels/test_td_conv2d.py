"""td_conv2d_s8 (C, under ASan/UBSan) vs the numpy golden, bit for bit.

Many random layers go into ONE graph (independent ops side by side) so a single C build
covers them all. Includes explicit asymmetric pads that TFLite cannot express.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.golden.test_conv2d import conv_graph, same_pads
from tests.graphs import random_input
from tests.harness import run_c_graph_many
from tinydeploy.ir.graph import Graph
from tinydeploy.quant.execute import run_graph

pytestmark = pytest.mark.cc


def merge_graphs(graphs: list[Graph], name: str = "merged") -> Graph:
    """Independent one-op graphs side by side (tensor/op names must already be unique)."""
    tensors, ops, ins, outs = {}, [], [], []
    for g in graphs:
        assert not set(tensors) & set(g.tensors), "tensor names clash"
        tensors.update(g.tensors)
        ops += g.ops
        ins += g.inputs
        outs += g.outputs
    return Graph(name, tensors, ops, ins, outs)


def assert_c_matches_golden(graphs: list[Graph], seed: int, records: int = 2) -> None:
    """Build all graphs as one C program; compare every output on random input records."""
    g = merge_graphs(graphs)
    rng = np.random.default_rng(seed)
    recs = [[random_input(rng, g.t(n)) for n in g.inputs] for _ in range(records)]
    got = run_c_graph_many(g, recs, sanitize=True)
    for rec, out in zip(recs, got):
        want = run_graph(g, rec)
        for name in g.outputs:
            assert out[name].dtype == np.int8
            np.testing.assert_array_equal(out[name].reshape(want[name].shape), want[name],
                                          err_msg=name)


def random_conv_case(rng: np.random.Generator, i: int) -> Graph:
    """A random conv: 1-D or 2-D, any stride/dilation, explicit (often asymmetric) pads."""
    one_d = rng.random() < 0.3
    kh = 1 if one_d else int(rng.integers(1, 5))
    kw = int(rng.integers(1, 6))
    stride = (1 if one_d else int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dilation = (1 if one_d else int(rng.integers(1, 3)), int(rng.integers(1, 4)))
    eh, ew = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
    h = 1 if one_d else int(rng.integers(eh, eh + 6))
    w = int(rng.integers(ew, ew + 8))
    pads = (0, int(rng.integers(0, kw)), 0, int(rng.integers(0, kw)))
    if not one_d:
        pads = (int(rng.integers(0, kh)), pads[1], int(rng.integers(0, kh)), pads[3])
    groups = int(rng.choice([1, 1, 2, 3]))
    return conv_graph(rng, n=int(rng.integers(1, 3)), h=h, w=w,
                      cin=groups * int(rng.integers(1, 5)), cout=groups * int(rng.integers(1, 4)),
                      k=(kh, kw), stride=stride, dilation=dilation, pads=pads,
                      per_channel=bool(rng.random() < 0.6), bias=bool(rng.random() < 0.7),
                      act_fn=str(rng.choice(["none", "relu", "relu6"])), groups=groups,
                      prefix=f"c{i}_")


def test_td_conv2d_random_layers_match_golden():
    rng = np.random.default_rng(2024)
    assert_c_matches_golden([random_conv_case(rng, i) for i in range(24)], seed=1)


def test_td_conv2d_named_edge_cases_match_golden():
    rng = np.random.default_rng(7)
    cases = [
        # asymmetric pads TFLite's SAME/VALID cannot express (more on top/left than needed)
        dict(h=5, w=6, k=(3, 3), pads=(2, 0, 1, 2)),
        # 1-D (H = 1) strided conv, pads only along W
        dict(h=1, w=16, k=(1, 4), stride=(1, 3), pads=(0, 2, 0, 1), cin=5, cout=7),
        # SAME with dilation, relu6, per-tensor weights
        dict(h=7, w=7, k=(3, 3), dilation=(2, 2), pads=same_pads((7, 7), (3, 3), (1, 1),
                                                                 (2, 2)),
             per_channel=False, act_fn="relu6"),
        # pointwise, batch 3, no bias
        dict(n=3, h=3, w=4, k=(1, 1), cin=8, cout=16, bias=False),
        # kernel as large as the padded input, single output pixel
        dict(h=2, w=3, k=(4, 5), pads=(1, 1, 1, 1)),
        # grouped conv
        dict(h=4, w=4, cin=8, cout=4, groups=4, pads=(1, 1, 1, 1)),
    ]
    graphs = [conv_graph(rng, prefix=f"e{i}_", **c) for i, c in enumerate(cases)]
    assert_c_matches_golden(graphs, seed=3, records=3)
