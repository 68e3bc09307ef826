"""Whole 16x8 models (int16 activations, int8 weights, int64 bias) written by the tests'
TFLite writer, compiled by ``tinydeploy.compile`` and validated bit for bit against
TFLite Micro under ASan/UBSan (tolerance 0)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.netbuild import Net, compile_and_validate, kernels
from tests.graphs import act
from tinydeploy.ir.graph import Tensor

pytestmark = pytest.mark.cc


def s16(name, shape, scale):
    return act(name, shape, float(np.float32(scale)), 0, "int16")


def weights(net: Net, name: str, shape, axis: int, scale: float = 0.01) -> str:
    c = shape[axis]
    return net.const(name, net.rng.integers(-127, 128, shape).astype(np.int8),
                     scale=net.rng.uniform(0.5, 1.5, c) * scale, zp=0, axis=axis)


def bias64(net: Net, name: str, n: int) -> str:
    return net.const(name, net.rng.integers(-200000, 200000, n).astype(np.int64))


def cnn_16x8(float_io: bool) -> Net:
    """float/int16 in -> conv -> depthwise -> residual add -> avg pool -> fc -> softmax."""
    net = Net("cnn16x8_f" if float_io else "cnn16x8_i", seed=1)
    if float_io:
        x = net.input("x", (1, 8, 8, 3), dtype="float32")
        x = net.op("quantize", [x], s16("xq", (1, 8, 8, 3), 1 / 4096), act="none")
    else:
        x = net.input("x", (1, 8, 8, 3), 1 / 4096, 0, "int16")
    c1 = net.op("conv2d", [x, weights(net, "w1", (8, 3, 3, 3), 0), bias64(net, "b1", 8)],
                s16("c1", (1, 8, 8, 8), 0.02), stride=(1, 1), dilation=(1, 1),
                pads=(1, 1, 1, 1), act="relu")
    d1 = net.op("depthwise_conv2d", [c1, weights(net, "w2", (3, 3, 8), 2),
                                     bias64(net, "b2", 8)],
                s16("d1", (1, 8, 8, 8), 0.03), stride=(1, 1), dilation=(1, 1),
                pads=(1, 1, 1, 1), act="relu6", depth_multiplier=1)
    r = net.op("add", [c1, d1], s16("r", (1, 8, 8, 8), 0.04), act="none")
    p = net.op("avg_pool2d", [r], s16("p", (1, 4, 4, 8), 0.04), kernel=(2, 2),
               stride=(2, 2), pads=(0, 0, 0, 0), act="none")
    f = net.op("reshape", [p], s16("f", (1, 128), 0.04))
    fc = net.op("fully_connected", [f, weights(net, "w3", (10, 128), 0, 0.003),
                                    bias64(net, "b3", 10)],
                s16("fc", (1, 10), 0.002), act="none")
    y = net.op("softmax", [fc], s16("sm", (1, 10), 1 / 32768), beta=1.0)
    if float_io:
        y = net.op("dequantize", [y], act("y", (1, 10), 0, 0, "float32"))
    net.out = y
    return net


@pytest.mark.parametrize("float_io", [False, True], ids=["int16_io", "float_io"])
def test_16x8_cnn_compiles_and_matches_tflm(tmp_path, float_io):
    net = cnn_16x8(float_io)
    proj, v = compile_and_validate(net.graph([net.out]), tmp_path)
    assert v.ok and v.c_vs_reference_max_lsb == 0, v.messages
    assert {"td_conv2d_s16", "td_depthwise_conv2d_s16", "td_add_s16",
            "td_fully_connected_s16", "td_softmax_s16"} <= kernels(proj)


def elementwise_16x8() -> Net:
    """int8 in -> int16 (QUANTIZE) -> mul, mean, logistic, tanh, three-way concat, pad,
    transpose, max pool, relu6, batch matmul -> int16 -> int8 (QUANTIZE narrowing); sum,
    minimum, cast to int32."""
    net = Net("elem16x8", seed=2)
    x = net.input("x", (1, 4, 6, 8), 0.05, 3, "int8")
    a = net.op("quantize", [x], s16("a", (1, 4, 6, 8), 0.002), act="none")
    m = net.op("mul", [a, a], s16("m", (1, 4, 6, 8), 0.004), act="none")
    mean = net.op("mean", [m], s16("mean", (1, 1, 1, 8), 0.003), axes=(1, 2), keepdims=True)
    sc = net.op("mul", [a, mean], s16("sc", (1, 4, 6, 8), 0.01), act="none")
    lg = net.op("logistic", [sc], s16("lg", (1, 4, 6, 8), 2.0**-15))
    th = net.op("tanh", [a], s16("th", (1, 4, 6, 8), 2.0**-15))
    r6 = net.op("quantize", [sc], s16("r6", (1, 4, 6, 8), 0.01), act="relu6")
    r6 = net.op("quantize", [r6], s16("r6q", (1, 4, 6, 8), 2.0**-15), act="none")
    cat = net.op("concat", [lg, th, r6], s16("cat", (1, 4, 6, 24), 2.0**-15), axis=3)
    pad = net.op("pad", [cat], s16("pad", (1, 6, 8, 24), 2.0**-15),
                 pads=((0, 0), (1, 1), (2, 0), (0, 0)))
    mp = net.op("max_pool2d", [pad], s16("mp", (1, 3, 4, 24), 2.0**-15), kernel=(2, 2),
                stride=(2, 2), pads=(0, 0, 0, 0), act="none")
    tr = net.op("transpose", [mp], s16("tr", (1, 24, 3, 4), 2.0**-15), perm=(0, 3, 1, 2))
    rs = net.op("reshape", [tr], s16("rs", (24, 12), 2.0**-15))
    w = net.op("quantize", [rs], s16("w", (24, 12), 2.0**-14), act="none")
    bm = net.op("batch_matmul", [rs, w], s16("bm", (24, 24), 2.0**-10), adj_x=False,
                adj_y=True)
    y = net.op("quantize", [bm], act("y", (24, 24), 0.03, -10, "int8"), act="none")
    sm = net.op("sum", [bm], s16("sm", (24,), 2.0**-6), axes=(1,), keepdims=False)
    mn = net.op("minimum", [th, lg], s16("mn", (1, 4, 6, 8), 2.0**-15))
    ct = net.op("cast", [mn], Tensor("ct", (1, 4, 6, 8), "int32"))
    net.out = [y, sm, ct]
    return net


def test_16x8_elementwise_model_compiles_and_matches_tflm(tmp_path):
    net = elementwise_16x8()
    proj, v = compile_and_validate(net.graph(net.out), tmp_path, n=8)
    assert v.ok and v.c_vs_reference_max_lsb == 0, v.messages
    assert {"td_minimum_s16", "td_mean_s16", "td_cast_any", "td_requantize_s8_s16",
            "td_requantize_s16_s8", "td_mul_s16", "td_logistic_s16", "td_tanh_s16",
            "td_concat_any", "td_batch_matmul_s16", "td_max_pool2d_s16"} <= kernels(proj)
