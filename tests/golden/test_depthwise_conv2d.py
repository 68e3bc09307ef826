"""depthwise_conv2d golden vs TFLite Micro: identical int8 outputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.golden.test_conv2d import (ACTS, bias_tensor, assert_matches_tflm, golden_out,
                                      out_size, pad_choice, rand_quant, same_pads)
from tests.graphs import act, const, one_op
from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph
from tinydeploy.quant.execute import prepare_all


def dw_graph(rng: np.random.Generator, n=1, h=5, w=5, cin=3, dm=1, k=(3, 3), stride=(1, 1),
             dilation=(1, 1), pads=(0, 0, 0, 0), per_channel=True, bias=True,
             act_fn="none", prefix="") -> Graph:
    """A one-op depthwise graph, weights [KH, KW, cin * dm], random quantization."""
    cout = cin * dm
    oh = out_size(h, k[0], stride[0], dilation[0], pads[0] + pads[2])
    ow = out_size(w, k[1], stride[1], dilation[1], pads[1] + pads[3])
    q = rand_quant(rng, k[0] * k[1], cout, per_channel, bias)
    wd = rng.integers(-127, 128, size=(k[0], k[1], cout)).astype(np.int8)
    x = act(prefix + "x", (n, h, w, cin), q["in_s"], q["in_zp"])
    wt = const(prefix + "w", wd, scale=q["w_s"], zp=0, axis=2 if per_channel else None)
    y = act(prefix + "y", (n, oh, ow, cout), q["out_s"], q["out_zp"])
    return one_op("depthwise_conv2d", [x, wt, bias_tensor(prefix + "b", q)], y,
                  name=prefix + "dw", stride=tuple(stride), dilation=tuple(dilation),
                  pads=tuple(pads), act=act_fn, depth_multiplier=dm)


@st.composite
def dw_cases(draw):
    one_d = draw(st.booleans())
    kh = 1 if one_d else draw(st.integers(1, 5))
    kw = draw(st.integers(1, 5))
    sh = 1 if one_d else draw(st.integers(1, 3))
    sw = draw(st.integers(1, 3))
    dh = 1 if one_d else draw(st.integers(1, 2))
    dw = draw(st.integers(1, 3))
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    h = 1 if one_d else draw(st.integers(eh, eh + 6))
    w = draw(st.integers(ew, ew + 8))
    pads = draw(pad_choice((h, w), (kh, kw), (sh, sw), (dh, dw)))
    return dict(n=draw(st.integers(1, 2)), h=h, w=w, cin=draw(st.integers(1, 8)),
                dm=draw(st.sampled_from([1, 1, 2, 3])), k=(kh, kw), stride=(sh, sw),
                dilation=(dh, dw), pads=pads, per_channel=draw(st.booleans()),
                bias=draw(st.booleans()), act_fn=draw(st.sampled_from(ACTS)))


@settings(max_examples=40, deadline=None)
@given(case=dw_cases(), seed=st.integers(0, 2**31))
def test_depthwise_random_shapes_match_tflm(case, seed):
    assert_matches_tflm(dw_graph(np.random.default_rng(seed), **case), seed + 1)


@pytest.mark.parametrize("dm", [2, 4])
def test_depthwise_depth_multiplier_same_relu6_matches_tflm(dm):
    g = dw_graph(np.random.default_rng(dm), h=6, w=7, cin=3, dm=dm,
                 pads=same_pads((6, 7), (3, 3), (2, 2), (1, 1)), stride=(2, 2),
                 act_fn="relu6")
    assert_matches_tflm(g, 20 + dm)


def test_depthwise_1d_h1_dilated_per_tensor_matches_tflm():
    pads = same_pads((1, 25), (1, 3), (1, 1), (1, 4))
    g = dw_graph(np.random.default_rng(30), h=1, w=25, cin=4, k=(1, 3), dilation=(1, 4),
                 pads=pads, per_channel=False, act_fn="relu")
    assert_matches_tflm(g, 31)


def test_depthwise_batch2_valid_no_bias_matches_tflm():
    g = dw_graph(np.random.default_rng(40), n=2, h=5, w=6, cin=5, bias=False)
    assert_matches_tflm(g, 41)


def test_depthwise_output_channel_reads_input_channel_c_div_dm():
    """Only input channel 1 non-zero (real): only outputs 2 and 3 (dm=2) differ from bias."""
    g = dw_graph(np.random.default_rng(50), h=3, w=3, cin=3, dm=2, pads=(1, 1, 1, 1),
                 bias=False, per_channel=False)
    zp = g.t("x").quant.zp
    x0 = np.full((1, 3, 3, 3), zp, dtype=np.int8)
    x1 = x0.copy()
    x1[..., 1] = np.int8(max(-128, zp - 100) if zp > 0 else zp + 100)
    y0, y1 = golden_out(g, x0), golden_out(g, x1)
    changed = np.nonzero(np.any(y0 != y1, axis=(0, 1, 2)))[0].tolist()
    assert set(changed) <= {2, 3} and changed


def test_depthwise_bad_depth_multiplier_is_error():
    g = dw_graph(np.random.default_rng(60), cin=3, dm=2)
    op = g.ops[0]
    g.ops[0] = op.with_(attrs={**op.attrs, "depth_multiplier": 3})
    with pytest.raises(UnsupportedError, match="depth_multiplier"):
        prepare_all(g)
