"""conv2d golden vs TFLite Micro: identical int8 outputs on random shapes and quant params.

The graph builders here (:func:`rand_quant`, :func:`conv_graph`, :func:`same_pads`) are
reused by the depthwise/fully-connected tests and the C kernel tests.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.graphs import act, const, one_op, random_input
from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph
from tinydeploy.quant.execute import run_graph

ACTS = ("none", "relu", "relu6")


def same_pads(in_hw, k_hw, stride, dilation) -> tuple[int, int, int, int]:
    """TFLite SAME padding as explicit (top, left, bottom, right): extra pixel at the end."""
    pads = []
    for i, k, s, d in zip(in_hw, k_hw, stride, dilation):
        out = -(-i // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - i, 0)
        pads.append((total // 2, total - total // 2))
    return pads[0][0], pads[1][0], pads[0][1], pads[1][1]


def out_size(i: int, k: int, s: int, d: int, p: int) -> int:
    return (i + p - d * (k - 1) - 1) // s + 1


def rand_quant(rng: np.random.Generator, taps: int, c_out: int, per_channel: bool,
               bias: bool) -> dict:
    """Input/weight/output scales, zero points and an int32 bias that keep outputs spread.

    The output scale is about the accumulator's spread, so results neither all clamp nor
    all round to the zero point.
    """
    in_s = float(np.float32(rng.uniform(0.005, 0.1)))
    w_s = rng.uniform(0.002, 0.05, size=c_out if per_channel else 1).astype(np.float32)
    spread = in_s * float(np.mean(w_s)) * 60.0 * 60.0 * math.sqrt(taps)
    out_s = float(np.float32(spread / 60.0 * rng.uniform(0.4, 2.5)))
    b = None
    if bias:
        lim = int(3000 * math.sqrt(taps))
        b = rng.integers(-lim, lim, size=c_out, endpoint=True).astype(np.int32)
    return dict(in_s=in_s, in_zp=int(rng.integers(-128, 128)), w_s=w_s.astype(np.float64),
                out_s=out_s, out_zp=int(rng.integers(-128, 128)), bias=b)


def bias_tensor(name: str, q: dict) -> object:
    if q["bias"] is None:
        return None
    return const(name, q["bias"], scale=q["in_s"] * q["w_s"], zp=0,
                 axis=0 if q["w_s"].size > 1 else None)


def conv_graph(rng: np.random.Generator, n=1, h=5, w=5, cin=3, cout=4, k=(3, 3),
               stride=(1, 1), dilation=(1, 1), pads=(0, 0, 0, 0), per_channel=True,
               bias=True, act_fn="none", groups=1, prefix="", q=None) -> Graph:
    """A one-op conv2d graph with random int8 weights and quantization."""
    oh = out_size(h, k[0], stride[0], dilation[0], pads[0] + pads[2])
    ow = out_size(w, k[1], stride[1], dilation[1], pads[1] + pads[3])
    q = q or rand_quant(rng, k[0] * k[1] * cin // groups, cout, per_channel, bias)
    wd = rng.integers(-127, 128, size=(cout, k[0], k[1], cin // groups)).astype(np.int8)
    x = act(prefix + "x", (n, h, w, cin), q["in_s"], q["in_zp"])
    wt = const(prefix + "w", wd, scale=q["w_s"], zp=0, axis=0 if per_channel else None)
    y = act(prefix + "y", (n, oh, ow, cout), q["out_s"], q["out_zp"])
    return one_op("conv2d", [x, wt, bias_tensor(prefix + "b", q)], y, name=prefix + "conv",
                  stride=tuple(stride), dilation=tuple(dilation), pads=tuple(pads),
                  act=act_fn)


def golden_out(g: Graph, x: np.ndarray) -> np.ndarray:
    return run_graph(g, [x])[g.outputs[0]]


def assert_matches_tflm(g: Graph, seed: int, x: np.ndarray | None = None) -> None:
    """Golden and TFLite Micro give the same bytes on ``x`` (default: a random input)."""
    from tests.tflite_writer import graph_to_tflite, run_tflm

    if x is None:
        x = random_input(np.random.default_rng(seed), g.t(g.inputs[0]))
    want = run_tflm(graph_to_tflite(g), [x])[0]
    got = golden_out(g, x)
    assert got.dtype == np.int8 and got.shape == want.shape
    np.testing.assert_array_equal(got, want.reshape(got.shape))


@st.composite
def pad_choice(draw, in_hw, k_hw, stride, dilation):
    """VALID, SAME, or explicit pads up to k-1 per side (written as PADV2 + VALID for TFLM;
    H = 1 inputs get no vertical padding)."""
    mode = draw(st.sampled_from(["valid", "same", "explicit"]))
    if mode == "valid":
        return (0, 0, 0, 0)
    if mode == "same":
        return same_pads(in_hw, k_hw, stride, dilation)
    kh, kw = k_hw
    vert = st.integers(0, kh - 1) if in_hw[0] > 1 else st.just(0)
    horiz = st.integers(0, kw - 1)
    return (draw(vert), draw(horiz), draw(vert), draw(horiz))


@st.composite
def conv_cases(draw):
    one_d = draw(st.booleans())
    kh = 1 if one_d else draw(st.integers(1, 4))
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
                cout=draw(st.integers(1, 8)), k=(kh, kw), stride=(sh, sw),
                dilation=(dh, dw), pads=pads, per_channel=draw(st.booleans()),
                bias=draw(st.booleans()), act_fn=draw(st.sampled_from(ACTS)))


@settings(max_examples=40, deadline=None)
@given(case=conv_cases(), seed=st.integers(0, 2**31))
def test_conv2d_random_shapes_match_tflm(case, seed):
    g = conv_graph(np.random.default_rng(seed), **case)
    assert_matches_tflm(g, seed + 1)


@pytest.mark.parametrize("per_channel", [True, False])
def test_conv2d_1d_h1_kernel_1x5_same_matches_tflm(per_channel):
    pads = same_pads((1, 20), (1, 5), (1, 2), (1, 1))
    g = conv_graph(np.random.default_rng(3), h=1, w=20, cin=6, cout=5, k=(1, 5),
                   stride=(1, 2), pads=pads, per_channel=per_channel, act_fn="relu")
    assert_matches_tflm(g, 4)


def test_conv2d_dilated_3x3_same_relu6_matches_tflm():
    pads = same_pads((9, 9), (3, 3), (1, 1), (2, 2))
    g = conv_graph(np.random.default_rng(5), h=9, w=9, cin=4, cout=6, dilation=(2, 2),
                   pads=pads, act_fn="relu6")
    assert_matches_tflm(g, 6)


def test_conv2d_grouped_matches_tflm():
    g = conv_graph(np.random.default_rng(7), h=6, w=6, cin=6, cout=4, groups=2,
                   pads=same_pads((6, 6), (3, 3), (1, 1), (1, 1)))
    assert_matches_tflm(g, 8)


def test_conv2d_batch3_stride2_valid_no_bias_matches_tflm():
    g = conv_graph(np.random.default_rng(9), n=3, h=8, w=7, cin=5, cout=3, stride=(2, 2),
                   bias=False)
    assert_matches_tflm(g, 10)


def test_conv2d_pad_positions_read_as_zero_point():
    """A padded tap contributes nothing: x == zero point everywhere gives bias only."""
    rng = np.random.default_rng(11)
    g = conv_graph(rng, h=4, w=4, cin=2, cout=3, pads=(1, 1, 1, 1), per_channel=False)
    x = np.full((1, 4, 4, 2), g.t("x").quant.zp, dtype=np.int8)
    y = golden_out(g, x)
    assert np.all(y == y[0, 0, 0])          # every pixel, interior or border, is equal


def test_conv2d_accumulator_overflow_is_rejected():
    rng = np.random.default_rng(12)
    g = conv_graph(rng, h=1, w=1, cin=140000, cout=1, k=(1, 1), bias=False)
    w = g.t("w")
    big = np.full(w.shape, 127, dtype=np.int8)
    g.tensors["w"] = const("w", big, scale=w.quant.scale, zp=0)
    with pytest.raises(UnsupportedError, match="overflow"):
        run_graph(g, [np.zeros((1, 1, 1, 140000), dtype=np.int8)])


def test_conv2d_output_size_not_matching_pads_is_error():
    g = conv_graph(np.random.default_rng(13), h=5, w=5, pads=(1, 1, 1, 1))
    y = g.t("y")
    g.tensors["y"] = act("y", (1, 4, 4, y.shape[3]), y.quant.s, y.quant.zp)
    with pytest.raises(UnsupportedError, match="output height"):
        run_graph(g, [np.zeros((1, 5, 5, 3), dtype=np.int8)])
