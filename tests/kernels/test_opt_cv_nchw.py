"""Pointwise convolutions reading a graph's NCHW input (passes/nchw_edges.py,
quant/golden/conv_nchw.py, td_conv2d_rq_nchw_s8_opt / _u8_opt).

- Kernel: 1x1 layers of 1-32 output channels on NCHW int8 and uint8 inputs (the uint8
  one's zero-point flip folded into the start values), int8 / int16 / raw int32 outputs,
  planes whose pixel count leaves a last group of 1-3 pixels (staged), 1-3 cores, built
  with their own td_opt_config.h and all with the library's, under ASan/UBSan, against
  the NHWC golden on transposed data (the NHWC reference kernel runs the same layer).
- Pass: the input bridge goes (a transpose, a zero-point flip before or after it, or
  none); the compiled graph (host, ASan/UBSan) equals the original graph's golden, with no
  transpose left and no activation in the arena. It stays where the layer is no such
  pointwise layer (more than 32 channels, a 3x3 window, stride 2), where the
  bridge is read twice, where the quantize rescales, and with the reference kernels.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.graphs import act, const, random_input
from tests.harness import run_c_graph_many
from tests.kernels import opt_cases as oc
from tests.kernels import opt_program as op
from tests.kernels.test_opt_dw_nchw import _kinds, input_bridge
from tinydeploy.compiler import lower
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.execute import run_graph
from tinydeploy.quant.golden import golden
from tinydeploy.quant.golden.conv_nchw import ConvNchwArgs
from tinydeploy.quant.opt.conv2d_rq_direct import Conv2dRqNchwOptArgs, Conv2dRqNchwU8OptArgs

TO_NHWC, TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)


def nchw_in(c: op.Case, flip: bool) -> op.Case:
    """The NHWC case ``c`` reading an NCHW input (uint8: x + 128, the flip's inverse);
    the output and the reference kernel call stay NHWC."""
    x, w, b = c.inputs
    xn = np.ascontiguousarray(np.asarray(x).transpose(TO_NCHW))
    if flip:
        xn = (xn.astype(np.int16) + 128).astype(np.uint8)
    a = ConvNchwArgs(c.ref, int(flip))
    got = golden("conv2d").run(a, xn, w, b)
    assert np.array_equal(np.asarray(got).ravel(), np.asarray(c.expect).ravel())
    return op.Case(a, [xn, w, b], c.expect, cores=c.cores, ref_call=(c.ref, c.inputs, c.expect))


# (h, w, in_c, out_c): pixel counts 64, 15 (tail 3), 9 (tail 1), 6 (tail 2), 512; 1 to
# 32 channels (blocks of 4, the last one 1-4 wide)
SHAPES = [(8, 8, 16, 4), (3, 5, 3, 2), (3, 3, 100, 4), (1, 6, 1, 1), (1, 512, 7, 3),
          (5, 3, 33, 4), (2, 7, 5, 1), (4, 4, 2, 3), (3, 5, 9, 17), (2, 3, 40, 32),
          (5, 5, 6, 8), (1, 7, 12, 13)]


def _cases(rng) -> list[op.Case]:
    cases = []
    for i, (h, w, cin, cout) in enumerate(SHAPES * 2):
        out = ["int8", "int16", "int8", "raw"][i % 4]
        c = oc.conv_rq_case(rng, h=h, w=w, cin=cin, cout=cout, k=(1, 1), pads=(0, 0, 0, 0),
                            out="int8" if out == "raw" else out, raw=out == "raw",
                            cores=1 + i % 3)
        cases.append(nchw_in(c, flip=i % 2 == 0))
    return cases


@pytest.mark.cc
def test_nchw_pointwise_layers_equal_the_nhwc_golden_on_transposed_data(tmp_path):
    rng = np.random.default_rng(11)
    cases = _cases(rng)
    for c in cases:
        a = c.opt_args()
        assert type(a) is (Conv2dRqNchwU8OptArgs if c.ref.flip else Conv2dRqNchwOptArgs)
        assert a.inplace_margin() is None and 1 not in a.c_config()["TD_CVD_PATHS"]
    op.assert_exact(cases, tmp_path)       # (the reference kernel: NHWC, transposed data)


def test_the_uint8_start_values_carry_the_flip():
    """Word 0 of a uint8 layer's channels = the int8 layer's - 128 * sum(w) (the stored
    values are x + 128); every other word is the int8 layer's."""
    rng = np.random.default_rng(5)
    c = oc.conv_rq_case(rng, h=2, w=4, cin=9, cout=3, k=(1, 1), pads=(0, 0, 0, 0))
    s8, u8 = nchw_in(c, False).opt_args(), nchw_in(c, True).opt_args()
    a, b = np.asarray(s8.chan).reshape(4, -1), np.asarray(u8.chan).reshape(4, -1)
    sums = np.asarray(c.inputs[1], np.int64).reshape(3, -1).sum(axis=1)[[0, 1, 2, 2]]
    assert np.array_equal((a[:, 0] - b[:, 0]) % 2**32, (128 * sums) % 2**32)
    assert np.array_equal(a[:, 1:], b[:, 1:])


# ---- the pass -------------------------------------------------------------------------

def bridged(rng, h=5, w=6, c=7, cout=4, k=1, stride=1, flip="after", scale2=None,
            extra_reader=False) -> Graph:
    """x NCHW -> transpose -> (flip) -> conv k x k + requant -> y NHWC (a graph output),
    the flip (uint8 -> int8, one scale) "before" or "after" the transpose or absent."""
    chain = input_bridge(h, w, c, flip, scale2)
    t, ops, cur = chain.t, chain.ops, chain.cur
    wt = const("w", rng.integers(-128, 128, (cout, k, k, c)).astype(np.int8), 0.01)
    b = const("b", rng.integers(-3000, 3000, cout).astype(np.int32), 0.0002)
    t.update(w=wt, b=b)
    oh, ow = -(-h // stride), -(-w // stride)
    t["acc"] = act("acc", (1, oh, ow, cout), 0.0002, 0, "int32")
    ops.append(Op("conv2d", "pw", (cur.name, "w", "b"), ("acc",),
                  {"stride": (stride, stride), "pads": (k // 2,) * 4}))
    t["y"] = act("y", (1, oh, ow, cout), 0.05, -3)
    ops.append(Op("requant", "rq", ("acc",), ("y",),
                  {"mul": rng.integers(1, 200, cout).astype(np.int64),
                   "add": rng.integers(-2**12, 2**12, cout).astype(np.int64),
                   "mul2": 1, "div": np.array([1 << 14]), "fp32": 0, "rounding": "floor",
                   "clip": (-125, 130)}))
    return Graph("bridged", t, ops, ["x"], ["y", "xt"] if extra_reader else ["y"])


@pytest.mark.parametrize("flip", ["after", "before", None])
def test_the_input_bridge_goes_and_the_graph_stays_exact(flip):
    rng = np.random.default_rng({"after": 1, "before": 2, None: 3}[flip])
    g = bridged(rng, flip=flip, cout={"after": 4, "before": 11, None: 32}[flip])
    low = lower(g, kernels="opt")
    assert _kinds(low.graph) == ["conv2d"], _kinds(low.graph)
    a = low.kernel_args[low.graph.ops[0].name]
    assert type(a) is (Conv2dRqNchwU8OptArgs if flip else Conv2dRqNchwOptArgs)
    assert low.memory.arena_bytes == a.scratch_size()     # input and output: the caller's
    records = [[random_input(rng, g.t("x"))] for _ in range(3)]
    want = [run_graph(g, r)["y"] for r in records]
    got = run_c_graph_many(g, records, kernels="opt")
    for w_, o in zip(want, got):
        assert np.array_equal(o["y"].reshape(-1), w_.reshape(-1))
    assert _kinds(lower(g, kernels="ref").graph).count("transpose") == 1


@pytest.mark.parametrize("case", ["33_channels", "3x3", "stride2", "read_twice", "rescaled"])
def test_the_bridge_stays_where_it_must(case):
    rng = np.random.default_rng(4)
    g = bridged(rng, cout=33 if case == "33_channels" else 4, k=3 if case == "3x3" else 1,
                stride=2 if case == "stride2" else 1, extra_reader=case == "read_twice",
                scale2=0.03 if case == "rescaled" else None)
    low = lower(g, kernels="opt")
    assert "transpose" in _kinds(low.graph), _kinds(low.graph)
    assert not any(o.attrs.get("nchw") for o in low.graph.ops)
