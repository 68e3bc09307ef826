"""A small mixed-precision network (2/4/8-bit weights and activations, PULP-NN style):
C vs golden, and packed bytes in the memory plan, the report and the generated C."""

from __future__ import annotations

import numpy as np
import pytest

from tests.harness import run_c_graph_many
from tests.subbyte import _cases as cs
from tinydeploy.codegen.project import write_project
from tinydeploy.compiler import lower
from tinydeploy.ir.graph import Graph, Op, QuantParams, Tensor
from tinydeploy.quant.execute import run_graph
from tinydeploy.report.layers import report_dict

pytestmark = pytest.mark.cc


def _act(name, shape, dtype, scale, zp=0) -> Tensor:
    return Tensor(name, shape, dtype, QuantParams.make(scale, zp))


def _w(rng, name, shape, dtype, axis) -> Tensor:
    return cs._weights(rng, name, shape, dtype, shape[axis], axis)


def mixed_network(seed: int = 5) -> Graph:
    """int8 in -> conv w4 -> uint4 -> dw w2 -> int4 -> 1x1 conv w8 -> int4 -> add (in
    place) -> int4 -> max pool -> avg pool -> int2 -> reshape -> fc w4 -> int8 out."""
    rng = np.random.default_rng(seed)
    t = [_act("x", (1, 8, 8, 3), "int8", 0.02, 5),
         _w(rng, "w1", (6, 3, 3, 3), "int4", 0), _act("a1", (1, 8, 8, 6), "uint4", 0.05),
         _w(rng, "w2", (3, 3, 6), "int2", 2), _act("a2", (1, 4, 4, 6), "int4", 0.1, 1),
         _w(rng, "w3", (5, 1, 1, 6), "int8", 0), _act("a3", (1, 4, 4, 5), "int4", 0.4),
         _w(rng, "w4", (5, 1, 1, 6), "int4", 0), _act("a4", (1, 4, 4, 5), "int4", 0.3, -1),
         _act("a5", (1, 4, 4, 5), "int4", 0.5), _act("a6", (1, 2, 2, 5), "int4", 0.5),
         _act("a7", (1, 2, 2, 5), "int2", 0.5), _act("a8", (1, 20), "int2", 0.5),
         _w(rng, "w5", (7, 20), "int4", 0), _act("y", (1, 7), "int8", 0.05, -3)]
    ops = [Op("conv2d", "conv1", ("x", "w1", ""), ("a1",),
              {"pads": (1, 1, 1, 1), "act": "relu"}),
           Op("depthwise_conv2d", "dw2", ("a1", "w2", ""), ("a2",),
              {"stride": (2, 2), "pads": (1, 1, 0, 0), "depth_multiplier": 1}),
           Op("conv2d", "pw3", ("a2", "w3", ""), ("a3",), {}),
           Op("conv2d", "pw4", ("a2", "w4", ""), ("a4",), {}),
           Op("add", "add5", ("a3", "a4"), ("a5",), {"act": "none"}),
           Op("max_pool2d", "mp6", ("a5",), ("a6",), {"kernel": (2, 2), "stride": (2, 2)}),
           Op("avg_pool2d", "ap7", ("a6",), ("a7",), {"kernel": (1, 1)}),
           Op("reshape", "rs8", ("a7",), ("a8",), {}),
           Op("fully_connected", "fc9", ("a8", "w5", ""), ("y",), {})]
    return Graph("mixed", {x.name: x for x in t}, ops, ["x"], ["y"])


def test_mixed_network_c_matches_golden():
    g = mixed_network()
    rng = np.random.default_rng(0)
    recs = [[cs.random_values(rng, g.t("x"))] for _ in range(3)]
    outs = run_c_graph_many(g, recs)
    values = set()
    for rec, out in zip(recs, outs):
        want = run_graph(g, rec)
        np.testing.assert_array_equal(out["y"], want["y"])
        values |= set(np.unique(want["a5"]).tolist())
    assert len(values) > 4, "int4 activations collapsed to a few values: weak test"


def test_memory_plan_and_report_count_packed_bytes(tmp_path):
    low = lower(mixed_network())
    g = low.graph
    for b in low.memory.buffers:
        assert b.size == g.t(b.name).nbytes
    assert g.t("a1").nbytes == 8 * 8 * 6 // 2 and g.t("a7").nbytes == 20 * 2 // 8
    weights = {n: t for n, t in g.tensors.items() if t.is_const}
    packed = sum(-(-t.size * t.bits // 8) for t in weights.values())
    # w1 162 x int4, w2 54 x int2, w3 30 x int8, w4 30 x int4, w5 140 x int4
    assert packed == 81 + 14 + 30 + 15 + 70
    assert report_dict(low)["totals"]["weight_bytes"] == packed
    proj = write_project(low, tmp_path / "p", prefix="net")
    src = (proj / "net.c").read_text()
    assert "#define NET_WEIGHT_BYTES %d" % packed in (proj / "net.h").read_text()
    assert "static const uint8_t net_l0_weights[81]" in src     # w1: 162 int4 values
    assert "static const uint8_t net_l1_weights[14]" in src     # w2: 54 int2 values


def test_packed_add_runs_in_place():
    low = lower(mixed_network())
    off = low.memory.offsets
    assert off["a5"] in (off["a3"], off["a4"]), "expected the planner to add in place"
