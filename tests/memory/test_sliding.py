"""Convolutions and pools writing over their dying input (sliding in-place) stay bit-exact."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.graphs import act, const
from tests.harness import run_c_graph_many
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.memory import plan_graph
from tinydeploy.memory.sliding import sliding_margin
from tinydeploy.quant.execute import run_graph


def _out_size(n, k, s, d, p0, p1):
    return (n + p0 + p1 - (k - 1) * d - 1) // s + 1


def _chain(kind: str, h: int, w: int, c: int, k: int, s: int, d: int, pad: int, oc: int,
           rng) -> Graph:
    """pad-free 1x1 conv (so the windowed op's input is an intermediate) -> windowed op."""
    x = act("x", (1, h, w, c), 0.05, 1)
    t = act("t", (1, h, w, c), 0.06, -3)
    w0 = const("w0", rng.integers(-127, 128, (c, 1, 1, c)).astype(np.int8), 0.02)
    ops = [Op("conv2d", "pw", ("x", "w0", ""), ("t",),
              {"stride": (1, 1), "dilation": (1, 1), "pads": (0, 0, 0, 0), "act": "none"})]
    oh, ow = _out_size(h, k, s, d, pad, pad), _out_size(w, k, s, d, pad, pad)
    attrs = {"stride": (s, s), "pads": (pad, pad, pad, pad), "act": "none"}
    tensors = {x.name: x, t.name: t, w0.name: w0}
    if kind == "conv2d":
        wk = const("wk", rng.integers(-127, 128, (oc, k, k, c)).astype(np.int8), 0.01)
        y = act("y", (1, oh, ow, oc), 0.2, 2)
        ops.append(Op(kind, "win", ("t", "wk", ""), ("y",), {**attrs, "dilation": (d, d)}))
        tensors[wk.name] = wk
    elif kind == "depthwise_conv2d":
        wk = const("wk", rng.integers(-127, 128, (k, k, c)).astype(np.int8), 0.03)
        y = act("y", (1, oh, ow, c), 0.2, 2)
        ops.append(Op(kind, "win", ("t", "wk", ""), ("y",),
                      {**attrs, "dilation": (d, d), "depth_multiplier": 1}))
        tensors[wk.name] = wk
    else:
        oh, ow = _out_size(h, k, s, 1, 0, 0), _out_size(w, k, s, 1, 0, 0)
        y = act("y", (1, oh, ow, c), 0.06, -3)
        ops.append(Op(kind, "win", ("t",), ("y",),
                      {"kernel": (k, k), "stride": (s, s), "pads": (0, 0, 0, 0), "act": "none"}))
    tensors[y.name] = y
    return Graph(f"{kind}_chain", tensors, ops, ["x"], ["y"])


case = st.tuples(st.sampled_from(["conv2d", "depthwise_conv2d", "avg_pool2d", "max_pool2d"]),
                 st.integers(3, 9), st.integers(3, 9), st.integers(1, 9), st.integers(1, 3),
                 st.integers(1, 2), st.integers(1, 2), st.integers(0, 1), st.integers(1, 9))


@pytest.mark.parametrize("kernels", ["ref", "opt"])
@settings(max_examples=2, deadline=None)
@given(cases=st.lists(case, min_size=4, max_size=4), seed=st.integers(0, 2**16))
def test_windowed_ops_overwriting_their_input_match_the_golden(kernels, cases, seed):
    rng = np.random.default_rng(seed)
    # keep windows that fit the input (k, dilation and pads as drawn)
    cases = [(kd, h, w, c, k, s, d if kd.endswith("conv2d") else 1, p, oc)
             for kd, h, w, c, k, s, d, p, oc in cases]
    cases = [cs for cs in cases if min(cs[1], cs[2]) + 2 * cs[7] > (cs[4] - 1) * cs[6]]
    graphs = [_chain(*cs, rng) for cs in cases]
    for g in graphs:
        plan = plan_graph(g, kernels=kernels)
        records = [[rng.integers(-128, 128, g.t("x").shape).astype(np.int8)] for _ in range(2)]
        outs = run_c_graph_many(g, records, sanitize=True, kernels=kernels)
        for rec, got in zip(records, outs):
            want = run_graph(g, rec)["y"]
            assert np.array_equal(got["y"], want), (g.name, plan.offsets)


def _with_tail(g: Graph) -> Graph:
    """``g`` followed by a 1x1 conv, so that ``y`` is an intermediate of the arena (a graph
    output lives in the caller's buffer: memory.edge_storages)."""
    y = g.t("y")
    c = y.shape[-1]
    w1 = const("w1", np.ones((c, 1, 1, c), np.int8), 0.02)
    z = act("z", y.shape, 0.1, 0)
    op = Op("conv2d", "tail", ("y", "w1", ""), ("z",),
            {"stride": (1, 1), "dilation": (1, 1), "pads": (0, 0, 0, 0), "act": "none"})
    return Graph(g.name, {**g.tensors, w1.name: w1, z.name: z}, [*g.ops, op], g.inputs, ["z"])


def test_optimized_convolutions_declare_their_write_order_and_slide():
    """The optimized conv and depthwise kernels stage their inputs before writing and give
    their exact margin: the compiler plans them in place, with a margin no larger than
    the reference kernels' (LOOKAHEAD pixels)."""
    from tinydeploy.compiler import lower

    for kind in ("conv2d", "depthwise_conv2d"):
        g = _with_tail(_chain(kind, 8, 8, 8, 3, 1, 1, 1, 8, np.random.default_rng(0)))
        low = lower(g, kernels="opt")
        a = low.c_args[g.ops[1].name]
        assert a.C_FUNC.endswith("_opt")
        opt_margin = a.inplace_margin()
        assert opt_margin is not None and opt_margin <= sliding_margin(g, g.ops[1], "ref")
        t, y = low.memory.offsets["t"], low.memory.offsets["y"]
        assert y < t + g.t("t").nbytes and t < y + g.t("y").nbytes, "no overlap planned"


def test_sliding_actually_overlaps_a_3x3_conv_with_its_input():
    g = _chain("conv2d", 16, 16, 8, 3, 1, 1, 1, 8, np.random.default_rng(0))
    plan = plan_graph(g)
    t, y = plan.offsets["t"], plan.offsets["y"]
    assert y < t + g.t("t").nbytes and t < y + g.t("y").nbytes, "no overlap planned"
    assert t - y >= sliding_margin(g, g.ops[1])
    assert plan.arena_bytes < plan_graph(g, sliding=False).arena_bytes
