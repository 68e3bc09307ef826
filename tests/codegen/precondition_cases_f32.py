"""Valid args and violations of the float32 kernels' precondition rules
(quant/preconditions/float32.py), for tests/codegen/test_preconditions.py."""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.golden.float32.backward import ActGradF32Args, CeLossF32Args
from tinydeploy.quant.golden.float32.backward_conv import (ConvGradInputF32Args,
                                                           ConvGradWeightF32Args)
from tinydeploy.quant.golden.float32.backward_pool import (AvgPoolGradF32Args,
                                                           MaxPoolGradF32Args)
from tinydeploy.quant.golden.float32.binary import BinaryF32Args
from tinydeploy.quant.golden.float32.grad import GeluGradF32Args, NormGradF32Args
from tinydeploy.quant.golden.float32.loss import SoftmaxCeGradF32Args
from tinydeploy.quant.golden.float32.conv import ConvF32Args, PoolF32Args
from tinydeploy.quant.golden.float32.matmul import MatMulF32Args
from tinydeploy.quant.golden.float32.norm import NormF32Args
from tinydeploy.quant.golden.float32.reduce import ReduceF32Args
from tinydeploy.quant.golden.float32.softmax import (LogSoftmaxF32Args, SoftmaxF32Args,
                                                     SoftmaxGradF32Args)
from tinydeploy.quant.golden.float32.unary import UnaryF32Args


def i32(*v) -> np.ndarray:
    return np.array(v, dtype=np.int32)


BIN = BinaryF32Args(op=0, act=0, a_size=12, b_size=4, out_shape=i32(1, 1, 1, 1, 3, 4),
                    a_strides=i32(0, 0, 0, 0, 4, 1), b_strides=i32(0, 0, 0, 0, 0, 1))
MM = MatMulF32Args(batch=2, m=3, n=4, k=5, a_rs=5, a_cs=1, b_rs=4, b_cs=1, c_rs=0, c_cs=1,
                   a_size=30, b_size=20, c_size=4, act=0, alpha=1.0, beta=1.0,
                   a_off=i32(0, 15), b_off=i32(0, 0), c_off=i32(0, 0))
CONV = ConvF32Args(n=1, h=5, w=5, c_in=4, out_h=5, out_w=5, c_out=6, kh=3, kw=3, sh=1, sw=1,
                   dh=1, dw=1, pad_t=1, pad_l=1, groups=2, w_so=18, w_sky=6, w_skx=2, w_si=1,
                   w_size=108, act=1)
POOL = PoolF32Args(n=1, h=4, w=4, c=3, out_h=2, out_w=2, kh=2, kw=2, sh=2, sw=2, pad_t=0,
                   pad_l=0, mode=1, count_pad=0, act=0)
RED = ReduceF32Args(mode=1, in_size=24, count=6, out_shape=i32(1, 1, 1, 1, 1, 4),
                    out_strides=i32(0, 0, 0, 0, 0, 1), red_shape=i32(1, 1, 1, 1, 2, 3),
                    red_strides=i32(0, 0, 0, 0, 12, 4))
# the backward kernels (quant/preconditions/backward.py): a grouped conv's geometry
GEO = dict(n=2, h=5, w=5, c_in=4, out_h=3, out_w=3, c_out=6, kh=3, kw=3, sh=2, sw=2,
           dh=1, dw=1, pad_t=1, pad_l=1, groups=2, w_so=18, w_sky=6, w_skx=2, w_si=1,
           w_size=108)
POOL_GEO = dict(n=1, h=5, w=4, c=3, out_h=3, out_w=2, kh=3, kw=2, sh=2, sw=2, pad_t=1,
                pad_l=0)

CASES_F32 = {
    "td_unary_f32": (UnaryF32Args(size=10, fn=3, alpha=0.0, beta=0.0), [
        ({"size": 0}, "size = 0 must be > 0"),
        ({"fn": 20}, "fn = 20 outside [0, 19]")]),
    "td_binary_f32": (BIN, [
        ({"op": 7}, "op = 7 outside"),
        ({"act": 4}, "act = 4 outside"),
        ({"b_size": 3}, "b_strides reach 4 elements, the input holds 3"),
        ({"a_strides": i32(0, 0, 0, 0, 4, -1)}, "entries must be >= 0")]),
    "td_matmul_f32": (MM, [
        ({"k": 0}, "k = 0 must be > 0"),
        ({"a_off": i32(0, 16)}, "a_off: the product reads 31 elements, the operand holds 30"),
        ({"c_off": i32(0, 1)}, "c_off: the product reads 5 elements"),
        ({"b_off": i32(0)}, "b_off has 1 entries, the kernel reads 2"),
        ({"a_rs": -1}, "a_rs = -1 must be >= 0")]),
    "td_conv2d_f32": (CONV, [
        ({"groups": 3}, "groups = 3 does not divide"),
        ({"w_size": 107}, "the weight strides reach 108 elements"),
        ({"sh": 0}, "sh = 0 must be > 0"),
        ({"pad_t": -1}, "pad_t = -1 must be >= 0")]),
    "td_pool2d_f32": (POOL, [
        ({"mode": 2}, "mode = 2 outside"),
        ({"pad_t": 2}, "wholly in the padding"),
        ({"kh": 0}, "kh = 0 must be > 0")]),
    "td_reduce_f32": (RED, [
        ({"count": 5}, "count = 5 is not the product"),
        ({"in_size": 23}, "the walk reads 24 elements, the input holds 23"),
        ({"mode": 3}, "mode = 3 outside")]),
    "td_softmax_f32": (SoftmaxF32Args(rows=3, n=7), [
        ({"n": 0}, "n = 0 must be > 0")]),
    "td_log_softmax_f32": (LogSoftmaxF32Args(rows=2, n=5), [
        ({"rows": 0}, "rows = 0 must be > 0")]),
    "td_softmax_grad_f32": (SoftmaxGradF32Args(rows=2, n=5), [
        ({"n": -1}, "n = -1 must be > 0")]),
    "td_norm_f32": (NormF32Args(mode=0, rows=2, inner=12, scale_stride=4, scale_len=6,
                                epsilon=1e-5), [
        ({"mode": 2}, "mode = 2 outside"),
        ({"scale_stride": 0}, "scale_stride = 0 must be > 0")]),
    "td_softmax_ce_grad_f32": (SoftmaxCeGradF32Args(rows=4, n=10, batch=4), [
        ({"batch": 0}, "batch = 0 must be > 0"),
        ({"n": 0}, "n = 0 must be > 0")]),
    "td_gelu_grad_f32": (GeluGradF32Args(size=7), [
        ({"size": 0}, "size = 0 must be > 0")]),
    "td_norm_grad_f32": (NormGradF32Args(rows=2, inner=8, epsilon=1e-5), [
        ({"inner": 0}, "inner = 0 must be > 0"),
        ({"epsilon": float("inf")}, "epsilon = inf is not a finite float32")]),
    "td_act_grad_f32": (ActGradF32Args(size=9, fn=1), [
        ({"size": 0}, "size = 0 must be > 0"),
        ({"fn": 3}, "fn = 3 outside [0, 2]")]),
    "td_ce_loss_f32": (CeLossF32Args(rows=4, n=10, batch=6), [
        ({"batch": 0}, "batch = 0 must be > 0"),
        ({"rows": 50000, "n": 50000}, "elements = 2500000000 exceeds INT32_MAX")]),
    "td_conv2d_grad_input_f32": (ConvGradInputF32Args(**GEO), [
        ({"groups": 4}, "groups = 4 does not divide"),
        ({"w_size": 107}, "the weight strides reach 108 elements"),
        ({"dh": 0}, "dh = 0 must be > 0"),
        ({"pad_l": -1}, "pad_l = -1 must be >= 0"),
        ({"dw": 2**30}, "window reach = 2147483653 exceeds INT32_MAX")]),
    "td_conv2d_grad_weight_f32": (ConvGradWeightF32Args(**GEO), [
        ({"w_skx": 1}, "do not lay the weights densely"),
        ({"w_size": 109}, "cover 108 elements, w_size = 109"),
        ({"sw": -1}, "sw = -1 must be > 0"),
        ({"out_h": 2**16, "sh": 2**15 + 1}, "window reach")]),
    "td_avg_pool2d_grad_f32": (AvgPoolGradF32Args(**POOL_GEO, count_pad=1), [
        ({"count_pad": 2}, "count_pad = 2 outside"),
        ({"pad_t": 3}, "wholly in the padding"),
        ({"kw": 0}, "kw = 0 must be > 0")]),
    "td_max_pool2d_grad_f32": (MaxPoolGradF32Args(**POOL_GEO), [
        ({"out_h": 4}, "wholly in the padding"),
        ({"c": 0}, "c = 0 must be > 0")]),
}
