"""Whole int8 and 16x8 models chaining TFLite Micro's further builtins (SUB, DIV,
SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, PRELU, LEAKY_RELU, HARD_SWISH, ABS, RSQRT,
TRANSPOSE_CONV, TRANSPOSE) with the CNN core, written by the tests' TFLite writer,
compiled by ``tinydeploy.compile`` and validated bit for bit against TFLite Micro under
ASan/UBSan (tolerance 0)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.graphs import act
from tests.netbuild import Net, compile_and_validate, kernels
from tinydeploy.ir.graph import Tensor

pytestmark = pytest.mark.cc


def t(dtype: str, name: str, shape, scale: float, zp: int = 0):
    return act(name, shape, float(np.float32(scale)), zp if dtype == "int8" else 0, dtype)


def weights(net: Net, name: str, shape, axis: int, scale: float = 0.01) -> str:
    return net.const(name, net.rng.integers(-127, 128, shape).astype(np.int8),
                     scale=net.rng.uniform(0.5, 1.5, shape[axis]) * scale, zp=0, axis=axis)


def bias(net: Net, name: str, n: int, dtype: str) -> str:
    bt = np.int64 if dtype == "int16" else np.int32
    return net.const(name, net.rng.integers(-2000, 2000, n).astype(bt))


def math_net(dtype: str) -> Net:
    """conv -> leaky_relu -> prelu -> (sub, maximum, squared_difference of two branches)
    -> transpose_conv -> transpose -> abs; int8 adds hard_swish, div (by a constant that
    never hits its zero point: TFLite's division by zero is undefined), minimum, rsqrt."""
    i8 = dtype == "int8"
    s = 1.0 if i8 else 1 / 128           # int16 codes are 128 times finer
    net = Net(f"ops_{dtype}", seed=3)
    x = net.input("x", (1, 5, 5, 3), 0.05 * s, 2 if i8 else 0, dtype)
    c = net.op("conv2d", [x, weights(net, "w1", (4, 3, 3, 3), 0), bias(net, "b1", 4, dtype)],
               t(dtype, "c", (1, 5, 5, 4), 0.08 * s, -5), stride=(1, 1), dilation=(1, 1),
               pads=(1, 1, 1, 1), act="none")
    lr = net.op("leaky_relu", [c], t(dtype, "lr", (1, 5, 5, 4), 0.05 * s, -20), alpha=0.15)
    alpha = net.const("alpha", np.array([20, -40, 90, 127], np.int8), scale=0.004, zp=-3)
    pr = net.op("prelu", [c, alpha], t(dtype, "pr", (1, 5, 5, 4), 0.06 * s, 7))
    sb = net.op("sub", [lr, pr], t(dtype, "sb", (1, 5, 5, 4), 0.07 * s, 1), act="relu")
    mx = net.op("maximum", [lr, net.op("quantize", [pr], t(dtype, "prq", (1, 5, 5, 4),
                                                          0.05 * s, -20), act="none")],
                t(dtype, "mx", (1, 5, 5, 4), 0.05 * s, -20))
    sq = net.op("squared_difference", [sb, mx], t(dtype, "sq", (1, 5, 5, 4), 0.3 * s, -100))
    tc = net.op("transpose_conv", [sq, weights(net, "w2", (2, 3, 3, 4), 0, 0.02),
                                   bias(net, "b2", 2, dtype)],
                t(dtype, "tc", (1, 10, 10, 2), 0.2 * s, 3), stride=(2, 2), pads=(0, 0),
                act="none")
    tr = net.op("transpose", [tc], t(dtype, "tr", (1, 2, 10, 10), 0.2 * s, 3),
                perm=(0, 3, 1, 2))
    y = net.op("abs", [tr], t(dtype, "ab", (1, 2, 10, 10), 0.15 * s, -128 if i8 else 0))
    net.out = [y]
    if i8:
        hs = net.op("hard_swish", [lr], t(dtype, "hs", (1, 5, 5, 4), 0.05, -30))
        den = net.const("den", np.array([[[[40, -90, 7, 127]]]], np.int8), scale=0.02, zp=5)
        dv = net.op("div", [hs, den], t(dtype, "dv", (1, 5, 5, 4), 0.1, 0), act="none")
        mn = net.op("minimum", [dv, net.op("quantize", [mx], t(dtype, "mxq", (1, 5, 5, 4),
                                                              0.1, 0), act="none")],
                    t(dtype, "mn", (1, 5, 5, 4), 0.1, 0))
        rs = net.op("rsqrt", [y], t(dtype, "rs", (1, 2, 10, 10), 0.05, -100))
        net.out += [mn, rs]
    return net


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_tflite_ops_model_compiles_and_matches_tflm(tmp_path, dtype):
    net = math_net(dtype)
    proj, v = compile_and_validate(net.graph(net.out), tmp_path, n=8)
    assert v.ok and v.c_vs_reference_max_lsb == 0, v.messages
    sfx = "s8" if dtype == "int8" else "s16"
    assert {f"td_prelu_{sfx}", f"td_sub_{sfx}", f"td_transpose_conv_{sfx}",
            f"td_squared_difference_{sfx}"} <= kernels(proj)


def reductions_int8() -> Net:
    """resize_bilinear -> l2_normalization -> batch_matmul -> sum, reduce_max, arg_max and
    arg_min (int32 outputs); cast of the input to int32."""
    net = Net("reduce_int8", seed=5)
    x = net.input("x", (1, 3, 4, 6), 0.04, -7, "int8")
    up = net.op("resize_bilinear", [x], t("int8", "up", (1, 5, 7, 6), 0.04, -7),
                align_corners=False, half_pixel_centers=True)
    l2 = net.op("l2_normalization", [up], t("int8", "l2", (1, 5, 7, 6), 1 / 128, 0))
    rs = net.op("reshape", [l2], t("int8", "rs", (5, 7, 6), 1 / 128, 0))
    bm = net.op("batch_matmul", [rs, rs], t("int8", "bm", (5, 7, 7), 0.02, 4), adj_x=False,
                adj_y=True)
    sm = net.op("sum", [bm], t("int8", "sm", (5, 7), 0.1, -20), axes=(2,), keepdims=False)
    mx = net.op("reduce_max", [bm], t("int8", "mx", (5, 1, 7), 0.02, 4), axes=(1,),
                keepdims=True)
    am = net.op("arg_max", [sm], Tensor("am", (5,), "int32"), axis=1)
    an = net.op("arg_min", [bm], Tensor("an", (5, 7), "int32"), axis=2)
    ci = net.op("cast", [x], Tensor("ci", (1, 3, 4, 6), "int32"))
    net.out = [sm, mx, am, an, ci]
    return net


def test_int8_reductions_model_compiles_and_matches_tflm(tmp_path):
    net = reductions_int8()
    proj, v = compile_and_validate(net.graph(net.out), tmp_path, n=8)
    assert v.ok and v.c_vs_reference_max_lsb == 0, v.messages
    assert {"td_resize_bilinear_s8", "td_l2_normalization_s8", "td_batch_matmul_s8",
            "td_reduce_max_s8", "td_arg_max_s8", "td_cast_any"} <= kernels(proj)
