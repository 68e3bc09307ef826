"""Valid args and violations of the 16x8 kernels' precondition rules
(quant/preconditions/int16.py), for tests/codegen/test_preconditions.py."""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.golden.requantize_s32 import (RequantizeS8S32Args, RequantizeS16S32Args,
                                                    RequantizeS32S8Args, RequantizeS32S16Args)
from tinydeploy.quant.golden.int16.concat import ConcatAnyArgs
from tinydeploy.quant.golden.int16.conv2d import Conv2dS16Args
from tinydeploy.quant.golden.int16.depthwise_conv2d import DepthwiseConv2dS16Args
from tinydeploy.quant.golden.int16.dequantize import DequantizeS16Args
from tinydeploy.quant.golden.int16.fully_connected import FullyConnectedS16Args
from tinydeploy.quant.golden.int16.logistic import LogisticS16Args, TanhS16Args
from tinydeploy.quant.golden.int16.luts import SIGMOID_Q16, softmax_luts
from tinydeploy.quant.golden.int16.mean import MeanS16Args
from tinydeploy.quant.golden.int16.mul import MulS16Args
from tinydeploy.quant.golden.int16.add import AddS16Args
from tinydeploy.quant.golden.int16.pool import AvgPool2dS16Args, MaxPool2dS16Args
from tinydeploy.quant.golden.int16.quantize import (QuantizeF32S16Args, RequantizeS8S16Args,
                                                    RequantizeS16Args, RequantizeS16S8Args)
from tinydeploy.quant.golden.int16.softmax import SoftmaxS16Args
from tinydeploy.quant.golden.sub import SubArgs, SubS16Args

M = 1 << 30


def i32(*v) -> np.ndarray:
    return np.array(v, dtype=np.int32)


GEOM = dict(batches=1, in_h=4, in_w=4, in_c=2, out_h=2, out_w=2, out_c=4, k_h=3, k_w=3,
            stride_h=1, stride_w=1, dilation_h=1, dilation_w=1, pad_top=0, pad_left=0,
            act_min=-32768, act_max=32767, out_mult=i32(M, M, M, M),
            out_shift=i32(-1, -20, 0, 7))
CONV = Conv2dS16Args(**GEOM, groups=1)
DW = DepthwiseConv2dS16Args(**GEOM, depth_multiplier=2)
FC = FullyConnectedS16Args(2, 8, 3, -32768, 32767, i32(M, 0, M), i32(-5, 0, 7))
Q64_BAD = [({"out_shift": i32(-1, -1, -1, 8)}, "out_shift[3] = 8 outside the kernel's "
            "range [-31, 7]"),
           ({"out_mult": i32(M, M, M, 5)}, "out_mult[3] = 5 is not a Q31"),
           ({"act_max": 32768}, "act_max = 32768 outside [-32768, 32767]"),
           ({"act_min": 3, "act_max": 2}, "act_min = 3 > act_max = 2"),
           ({"k_w": 0}, "k_w = 0 must be > 0"),
           ({"in_h": 1 << 16, "in_w": 1 << 16}, "input elements = 8589934592 exceeds")]
BIN = dict(ndim=2, shape=i32(4, 3), a_strides=i32(3, 1), b_strides=i32(0, 1), a_offset=0,
           b_offset=0, left_shift=15, a_multiplier=M, a_shift=0, b_multiplier=M, b_shift=-1,
           out_multiplier=M, out_shift=-13, out_offset=0, act_min=-32768, act_max=32767)
BIN_BAD = [({"left_shift": 16}, "(a + a_offset) << left_shift can reach"),
           ({"a_shift": 1}, "a_shift = 1 outside the kernel's range [-31, 0]"),
           ({"ndim": 7}, "ndim = 7 outside [1, 6]"),
           ({"b_offset": 40000}, "b_offset = 40000 outside")]
SUB8 = SubArgs(**{**BIN, "left_shift": 20, "a_offset": 3, "b_offset": -2, "out_offset": 5,
                  "out_shift": -18, "act_min": -128, "act_max": 127})
MUL = MulS16Args(ndim=1, shape=i32(12), a_strides=i32(1), b_strides=i32(0), a_offset=0,
                 b_offset=0, out_multiplier=M, out_shift=-15, out_offset=0, act_min=-32768,
                 act_max=32767)
POOL = dict(batches=1, in_h=4, in_w=4, channels=3, out_h=2, out_w=2, kernel_h=2, kernel_w=2,
            stride_h=2, stride_w=2, pad_top=0, pad_left=0, act_min=-32768, act_max=32767)
POOL_BAD = [({"kernel_h": 0}, "kernel_h = 0 must be > 0"),
            ({"kernel_h": 300, "kernel_w": 300, "in_h": 300, "in_w": 300, "out_h": 1,
              "out_w": 1}, "kernel_h = 300 outside [1, 218]"),
            ({"act_min": -32769}, "act_min = -32769 outside")]
EXP, RECIP = softmax_luts()
SOFTMAX = SoftmaxS16Args(3, 10, M, 3, EXP, RECIP)
SIG = dict(size=10, input_multiplier=24576, input_shift=13, table=SIGMOID_Q16)
SIG_BAD = [({"input_multiplier": 32768}, "input_multiplier = 32768 outside [0, 32767]"),
           ({"input_shift": 32}, "input_shift = 32 outside [0, 31]"),
           ({"table": SIGMOID_Q16[:255]}, "table has 255 entries, the kernel reads 256"),
           ({"table": SIGMOID_Q16[::-1].copy()}, "table is not non-decreasing")]
MEAN = MeanS16Args(keep_dims=i32(1, 1, 1, 1, 2, 3), keep_strides=i32(0, 0, 0, 0, 12, 1),
                   red_dims=i32(1, 1, 1, 1, 1, 4), red_strides=i32(0, 0, 0, 0, 0, 3), count=4,
                   input_zp=0, output_zp=0, multiplier=M, shift=-2)
REQ = dict(size=10, input_offset=0, multiplier=M, shift=1, output_offset=0, act_min=-32768,
           act_max=32767)
REQ_BAD = [({"shift": 32}, "shift = 32 outside the kernel's range [-31, 31]"),
           ({"size": 0}, "size = 0 must be > 0"),
           ({"multiplier": 3}, "multiplier = 3 is not a Q31")]

CASES_16X8 = {
    "td_conv2d_s16": (CONV, Q64_BAD + [({"groups": 3}, "groups = 3 does not divide")]),
    "td_depthwise_conv2d_s16": (DW, Q64_BAD + [
        ({"depth_multiplier": 1}, "out_c = 4 != in_c * depth_multiplier = 2")]),
    "td_fully_connected_s16": (FC, [
        ({"out_shift": i32(-5, 0, 8)}, "out_shift[2] = 8 outside"),
        ({"in_features": 0}, "in_features = 0 must be > 0"),
        ({"out_features": 4}, "out_mult has 3 entries, the kernel reads 4")]),
    "td_add_s16": (AddS16Args(**BIN), BIN_BAD),
    "td_sub_s16": (SubS16Args(**BIN), BIN_BAD),
    "td_sub_s8": (SUB8, [({"left_shift": 24}, "(a + a_offset) << left_shift can reach"),
                         ({"out_offset": 200}, "out_offset = 200 outside [-128, 127]")]),
    "td_mul_s16": (MUL, [({"a_offset": 1}, "a_offset = 1 outside [0, 0]"),
                         ({"out_shift": 2}, "the requantized product can reach"),
                         ({"shape": i32(0)}, "has an empty dimension")]),
    "td_avg_pool2d_s16": (AvgPool2dS16Args(**POOL), POOL_BAD),
    "td_max_pool2d_s16": (MaxPool2dS16Args(**POOL), POOL_BAD),
    "td_softmax_s16": (SOFTMAX, [({"depth": 65536}, "depth = 65536 outside [1, 65535]"),
                                 ({"exp_lut": EXP[:512]}, "exp_lut has 512 entries"),
                                 ({"input_shift": 40}, "input_shift = 40 outside")]),
    "td_logistic_s16": (LogisticS16Args(**SIG), SIG_BAD),
    "td_tanh_s16": (TanhS16Args(**SIG), SIG_BAD),
    "td_mean_s16": (MEAN, [({"count": 5}, "count = 5 != product of red_dims = 4"),
                           ({"input_zp": 1}, "input_zp = 1 outside [0, 0]"),
                           ({"red_dims": i32(1, 1, 1, 1, 1 << 10, 1 << 6), "count": 1 << 16},
                            "the int32 sum can reach")]),
    "td_requantize_s16_s8": (RequantizeS16S8Args(**{**REQ, "act_min": -128, "act_max": 127,
                                                    "output_offset": 3}),
                             REQ_BAD + [({"output_offset": 128}, "output_offset = 128")]),
    "td_requantize_s8_s16": (RequantizeS8S16Args(**{**REQ, "input_offset": 5}), REQ_BAD),
    "td_requantize_s16": (RequantizeS16Args(**REQ), REQ_BAD),
    # QUANTIZE between int8/int16 and int32 (quant/golden/requantize_s32.py)
    "td_requantize_s16_s32": (RequantizeS16S32Args(**{**REQ, "act_min": -2**31,
                                                      "act_max": 2**31 - 1}), REQ_BAD),
    "td_requantize_s8_s32": (RequantizeS8S32Args(**{**REQ, "input_offset": 3,
                                                    "act_min": -2**31, "act_max": 2**31 - 1}),
                             REQ_BAD + [({"input_offset": 300}, "input_offset = 300")]),
    "td_requantize_s32_s16": (RequantizeS32S16Args(**{**REQ, "shift": -3}),
                              REQ_BAD + [({"input_offset": 5},
                                          "the input plus its offset can reach")]),
    "td_requantize_s32_s8": (RequantizeS32S8Args(**{**REQ, "shift": -9, "output_offset": 4,
                                                    "act_min": -128, "act_max": 127}),
                             REQ_BAD + [({"shift": 2}, "the requantized value plus the "
                                                       "output offset can reach")]),
    "td_quantize_f32_s16": (QuantizeF32S16Args(size=4, scale=0.01, zero_point=0), [
        ({"scale": 0.0}, "scale = 0.0 is not a finite, non-zero float32"),
        ({"zero_point": 40000}, "zero_point = 40000 outside")]),
    "td_dequantize_s16_f32": (DequantizeS16Args(size=4, scale=0.01, zero_point=0), [
        ({"size": 0}, "size = 0 must be > 0"),
        ({"scale": float("inf")}, "scale = inf is not a finite float32")]),
    "td_concat_any": (ConcatAnyArgs(2, 3, 2, i32(1, 4, 2)), [
        ({"elem_bytes": 3}, "elem_bytes = 3: elements are 1, 2 or 4 bytes"),
        ({"copy_sizes": i32(1, -4, 2)}, "copy_sizes [1, -4, 2] must be >= 0"),
        ({"num_inputs": 4}, "copy_sizes has 3 entries, the kernel reads 4")]),
}
