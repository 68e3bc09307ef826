"""Depthwise convolutions between a graph's NCHW edges, in NCHW (passes/nchw_edges.py,
quant/golden/depthwise_nchw.py, the optimized kernel's ``planar`` layers).

- Kernel: NCHW layers (int8 and uint8 inputs, TFLite and integer-graph requantization,
  int8/int16 outputs; 3x3 stride 1 with the one-pointer pixel pairs, odd widths, rows
  that are no whole words, strides, dilations, a depth multiplier, other windows; 1-3
  cores) built with their own td_opt_config.h under ASan/UBSan equal the NHWC golden on
  transposed data, and the NHWC reference kernel runs the same layer in NHWC.
- Pass: the bridges go where they may (a transpose, a zero-point flip before or after
  it, the output transpose) and stay where they must (a bridge read twice, a quantize
  that changes the scale, a graph output in between, the reference kernels); the
  compiled graph (host, ASan/UBSan, optimized kernels) equals the original graph's
  golden, with no transpose left and an arena of the kernel's scratch only.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.graphs import act, const, random_input
from tests.harness import run_c_graph_many
from tests.kernels import opt_cases as oc
from tests.kernels import opt_program as op
from tinydeploy.compiler import lower
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.execute import run_graph
from tinydeploy.quant.golden import golden
from tinydeploy.quant.golden.depthwise_nchw import DepthwiseNchwArgs

TO_NHWC, TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)


def nchw(c: op.Case, flip: bool) -> op.Case:
    """The NHWC case ``c`` as an NCHW layer (uint8 input: x + 128, the flip's inverse);
    its reference kernel call stays the NHWC one."""
    acc = getattr(c.ref, "acc", c.ref)
    x, w, b = c.inputs
    xn = np.ascontiguousarray(np.asarray(x).transpose(TO_NCHW))
    if flip:
        xn = (xn.astype(np.int16) + 128).astype(np.uint8)
    out = np.asarray(c.expect).reshape(acc.batches, acc.out_h, acc.out_w, acc.out_c)
    expect = np.ascontiguousarray(out.transpose(TO_NCHW)).ravel()
    a = DepthwiseNchwArgs(c.ref, int(flip))
    got = golden("depthwise_conv2d").run(a, xn, w, b)
    assert np.array_equal(np.asarray(got).ravel(), expect)     # the NCHW golden itself
    return op.Case(a, [xn, w, b], expect, cores=c.cores, ref_call=(c.ref, c.inputs, c.expect))


RQ_SHAPES = [dict(h=16, w=16, cin=5), dict(h=7, w=9, cin=3), dict(h=6, w=6, cin=4),
             dict(h=5, w=7, cin=2, stride=(2, 2)), dict(h=6, w=8, cin=3, dilation=(2, 2),
                                                         pads=(2, 2, 2, 2)),
             dict(h=5, w=6, cin=3, dm=2), dict(h=1, w=12, cin=4, k=(1, 5), pads=(0, 2, 0, 2)),
             dict(h=9, w=4, cin=6, pads=(0, 0, 1, 1)), dict(h=3, w=3, cin=7),
             dict(h=12, w=40, cin=2), dict(h=8, w=6, cin=12, stride=(2, 1),
                                           pads=(1, 0, 1, 2))]


def _cases(rng) -> list[op.Case]:
    cases = []
    for i, shape in enumerate(RQ_SHAPES * 2):
        out = "int16" if i % 5 == 4 else "int8"
        c = oc.dw_rq_case(rng, out=out, cores=1 + i % 3, **shape)
        cases.append(nchw(c, flip=i % 2 == 0))
    for i in range(8):                       # TFLite requantization (modes 0 and 1)
        c = oc.as_case(oc.random_dw_case(rng, edge=i % 4 == 3), cores=1 + i % 2)
        cases.append(nchw(c, flip=i % 2 == 1))
    return cases


@pytest.mark.cc
def test_nchw_layers_equal_the_nhwc_golden_on_transposed_data(tmp_path):
    rng = np.random.default_rng(7)
    cases = _cases(rng)
    planes = 0
    for c in cases:
        a = c.opt_args()
        assert a.planar == 1 + c.ref.flip and a.inplace_margin() is None
        planes += bool(a.c_config().get("TD_DW_PLANE_ROWS"))
    assert planes >= 6, planes                 # the one-pointer pixel pairs are exercised
    op.assert_exact(cases, tmp_path)       # (the reference kernel: NHWC, transposed data)


# ---- the pass -------------------------------------------------------------------------

class Chain:
    """A graph under construction: tensors, ops, and the tensor the next op reads."""

    def __init__(self, x):
        self.t, self.ops, self.cur = {x.name: x}, [], x

    def add(self, kind, out, **attrs):
        self.t[out.name] = out
        self.ops.append(Op(kind, f"{kind}{len(self.ops)}", (self.cur.name,), (out.name,),
                           attrs))
        self.cur = out


def input_bridge(h: int, w: int, c: int, flip: str | None, scale2=None) -> Chain:
    """x NCHW (uint8 with a flip, else int8) -> transpose to NHWC, with the flip (uint8 ->
    int8, one scale unless ``scale2``) "before" or "after" the transpose, or none."""
    u8 = flip is not None
    ch = Chain(act("x", (1, c, h, w), 0.02, 128 if u8 else 3, "uint8" if u8 else "int8"))

    def flip_op():
        ch.add("quantize", act(f"f{len(ch.ops)}", ch.cur.shape, scale2 or 0.02, 0, "int8"))

    if flip == "before":
        flip_op()
    ch.add("transpose", act("xt", (1, h, w, c), 0.02, ch.cur.quant.zp, ch.cur.dtype),
           perm=TO_NHWC)
    if flip == "after":
        flip_op()
    return ch


def bridged(rng, h=7, w=6, c=3, flip="after", out_bridge=True, scale2=None,
            extra_reader=False) -> Graph:
    """x NCHW -> transpose -> (flip) -> depthwise + requant -> transpose -> y NCHW, the
    flip (uint8 -> int8, one scale) "before" or "after" the input transpose or absent."""
    chain = input_bridge(h, w, c, flip, scale2)
    t, ops, cur = chain.t, chain.ops, chain.cur
    wt = const("w", rng.integers(-128, 128, (3, 3, c)).astype(np.int8), 0.01)
    b = const("b", rng.integers(-3000, 3000, c).astype(np.int32), 0.0002)
    t.update(w=wt, b=b)
    acc = act("acc", (1, h, w, c), 0.0002, 0, "int32")
    t["acc"] = acc
    ops.append(Op("depthwise_conv2d", "dw", (cur.name, "w", "b"), ("acc",),
                  {"stride": (1, 1), "pads": (1, 1, 1, 1)}))
    y = act("y", (1, h, w, c), 0.05, -3)
    t["y"] = y
    mul = rng.integers(1, 200, c).astype(np.int64)
    ops.append(Op("requant", "rq", ("acc",), ("y",),
                  {"mul": mul, "add": rng.integers(-2**12, 2**12, c).astype(np.int64),
                   "mul2": 1, "div": np.array([1 << 14]), "fp32": 0, "rounding": "floor",
                   "clip": (-125, 130)}))
    outs = ["y"]
    chain.cur = y
    if out_bridge:
        chain.add("transpose", act("yo", (1, c, h, w), 0.05, -3), perm=TO_NCHW)
        outs = ["yo"]
    if extra_reader:
        outs.append("xt")
    return Graph("bridged", t, ops, ["x"], outs)


def _kinds(g: Graph) -> list[str]:
    return [o.kind for o in g.ops]


@pytest.mark.parametrize("flip", ["after", "before", None])
def test_the_bridges_go_and_the_graph_stays_exact(flip):
    rng = np.random.default_rng({"after": 1, "before": 2, None: 3}[flip])
    g = bridged(rng, flip=flip)
    low = lower(g, kernels="opt")
    assert _kinds(low.graph) == ["depthwise_conv2d"], _kinds(low.graph)
    a = low.kernel_args[low.graph.ops[0].name]
    assert a.planar == (2 if flip else 1)
    assert low.memory.arena_bytes == a.scratch_size()     # no activation in the arena
    records = [[random_input(rng, g.t("x"))] for _ in range(3)]
    want = [run_graph(g, r)["yo"] for r in records]
    got = run_c_graph_many(g, records, kernels="opt")
    for w_, o in zip(want, got):
        assert np.array_equal(o["yo"], w_)
    assert _kinds(lower(g, kernels="ref").graph).count("transpose") == 2


@pytest.mark.parametrize("case", ["read_twice", "rescaled", "no_output_bridge"])
def test_the_bridges_stay_where_they_must(case):
    rng = np.random.default_rng(4)
    g = bridged(rng, extra_reader=case == "read_twice", scale2=0.03 if case == "rescaled"
                else None, out_bridge=case != "no_output_bridge")
    kinds = _kinds(lower(g, kernels="opt").graph)
    assert "transpose" in kinds and "depthwise_conv2d" in kinds, kinds
