"""Valid args and violations of the precondition rules of TFLite Micro's further
builtins' kernels (quant/preconditions/tflite_ops.py), for tests/codegen/
test_preconditions.py."""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.golden._lut8 import LutS8Args
from tinydeploy.quant.golden.abs import AbsS16Args
from tinydeploy.quant.golden.arg_max import ArgMaxArgs, ArgMinArgs
from tinydeploy.quant.golden.batch_matmul import BatchMatmulArgs, BatchMatmulS16Args
from tinydeploy.quant.golden.binary_s32 import BinaryS32Args
from tinydeploy.quant.golden.cast import CastArgs
from tinydeploy.quant.golden.l2_normalization import L2NormalizationArgs
from tinydeploy.quant.golden.div import DivArgs
from tinydeploy.quant.golden.leaky_relu import LeakyReluS16Args
from tinydeploy.quant.golden.maximum_minimum import (MaximumArgs, MaximumS16Args, MinimumArgs,
                                                     MinimumS16Args)
from tinydeploy.quant.golden.prelu import PreluArgs, PreluS16Args
from tinydeploy.quant.golden.reduce_max import ReduceMaxArgs
from tinydeploy.quant.golden.resize_bilinear import ResizeBilinearArgs
from tinydeploy.quant.golden.squared_difference import (SquaredDifferenceArgs,
                                                        SquaredDifferenceS16Args)
from tinydeploy.quant.golden.transpose_conv import TransposeConvArgs, TransposeConvS16Args

M = 1 << 30


def i32(*v) -> np.ndarray:
    return np.array(v, dtype=np.int32)


WALK = dict(ndim=2, shape=i32(4, 3), a_strides=i32(3, 1), b_strides=i32(0, 1))
WALK_BAD = [({"ndim": 7}, "ndim = 7 outside [1, 6]"),
            ({"shape": i32(4, 0)}, "has an empty dimension"),
            ({"b_strides": i32(1)}, "b_strides has 1 entries, the kernel reads 2")]
SQD8 = dict(WALK, a_offset=3, b_offset=-2, left_shift=7, a_multiplier=M, a_shift=0,
            b_multiplier=M, b_shift=-1, out_multiplier=M, out_shift=-10, out_offset=5,
            act_min=-128, act_max=127)
SQD16 = dict(SQD8, a_offset=0, b_offset=0, out_offset=0, left_shift=0, act_min=-32768,
             act_max=32767)
PRELU = dict(ndim=1, shape=i32(12), x_strides=i32(1), alpha_strides=i32(0), x_offset=4,
             alpha_offset=-3, out_offset=-7, mult_pos=M, shift_pos=-1, mult_neg=M,
             shift_neg=-8)
PRELU_BAD = [({"shift_neg": 32}, "shift_neg = 32 outside the kernel's range"),
             ({"mult_pos": 7}, "mult_pos = 7 is not a Q31"),
             ({"alpha_strides": i32(-1)}, "empty dimensions or negative strides"),
             ({"shift_neg": 20}, "requant(x * alpha) + the output offset can reach")]
TCONV = dict(batches=1, in_h=2, in_w=3, in_c=2, out_h=4, out_w=6, out_c=3, k_h=2, k_w=2,
             stride_h=2, stride_w=2, pad_top=0, pad_left=0, input_offset=5, output_offset=-3,
             act_min=-128, act_max=127, out_mult=i32(M, M, M), out_shift=i32(-3, -4, 2))
TCONV16 = dict(TCONV, input_offset=0, output_offset=0, act_min=-32768, act_max=32767)

RED = dict(keep_dims=i32(1, 1, 1, 1, 2, 3), keep_strides=i32(0, 0, 0, 0, 12, 1),
           red_dims=i32(1, 1, 1, 1, 1, 4), red_strides=i32(0, 0, 0, 0, 0, 3), count=4)
ARG_BAD = [({"axis_len": 0}, "axis_len = 0 must be > 0"),
           ({"outer": 1 << 16, "inner": 1 << 16}, "input elements = ")]

BMM = dict(m=2, n=3, k=4, a_row=4, a_col=1, b_row=3, b_col=1, a_offset=3, b_offset=0,
           out_offset=-5, out_multiplier=M, out_shift=-8, act_min=-128, act_max=127,
           batch=i32(1, 1, 2), a_batch=i32(0, 0, 8), b_batch=i32(0, 0, 0))
BMM16 = dict(BMM, a_offset=0, out_offset=0, act_min=-32768, act_max=32767)
RESIZE = ResizeBilinearArgs(1, 2, 3, 2, 3, 4, i32(0, 0, 1), i32(0, 1, 1), i32(0, 512, 0),
                            i32(0, 0, 1, 2), i32(0, 1, 2, 2), i32(0, 768, 512, 0))

CASES_TFLITE_OPS = {
    "td_l2_normalization_s8": (L2NormalizationArgs(3, 16, -5), [
        ({"depth": 40000}, "depth = 40000 outside [1, 33025]"),
        ({"input_zero_point": 128}, "input_zero_point = 128 outside")]),
    "td_resize_bilinear_s8": (RESIZE, [
        ({"y1": i32(0, 1, 2)}, "y1 has a source index outside [0, 2)"),
        ({"wx": i32(0, 768, 5000, 0)}, "wx has a weight outside"),
        ({"x0": i32(0, 0, 1)}, "x0 has 3 entries, the kernel reads 4")]),
    "td_batch_matmul_s8": (BatchMatmulArgs(**BMM), [
        ({"k": 0}, "k = 0 must be > 0"),
        ({"batch": i32(1, 1, 0)}, "dims > 0"),
        ({"k": 200000, "a_row": 200000, "b_row": 3}, "the accumulator can reach")]),
    "td_batch_matmul_s16": (BatchMatmulS16Args(**BMM16), [
        ({"out_shift": 8}, "out_shift = 8 outside the kernel's range [-31, 7]"),
        ({"a_offset": 2}, "a_offset = 2")]),
    "td_reduce_max_s8": (ReduceMaxArgs(**RED), [
        ({"count": 3}, "count = 3 != product of red_dims = 4"),
        ({"red_strides": i32(0, 0, 0, 0, 0, -3)}, "red_strides = [0, 0, 0, 0, 0, -3]")]),
    "td_arg_max_s8": (ArgMaxArgs(3, 5, 2), ARG_BAD),
    "td_arg_min_s8": (ArgMinArgs(3, 5, 2), ARG_BAD),
    "td_cast_any": (CastArgs(6, 0, 4), [({"in_type": 5}, "in_type = 5 outside [0, 4]"),
                                        ({"size": 0}, "size = 0 must be > 0")]),
    "td_lut_s8": (LutS8Args(size=10, table=np.zeros(256, np.int8)), [
        ({"size": 0}, "size = 0 must be > 0"),
        ({"table": np.zeros(255, np.int8)}, "table has 255 entries, the kernel reads 256")]),
    "td_leaky_relu_s16": (LeakyReluS16Args(10, M, 1, M, -3, 1), [
        ({"alpha_negative": 2}, "alpha_negative = 2 outside [0, 1]"),
        ({"shift_identity": 17}, "requant by mult_identity can reach"),
        ({"mult_alpha": 3}, "mult_alpha = 3 is not a Q31")]),
    "td_abs_s16": (AbsS16Args(10, 1, M, 0), [
        ({"rescale": 3}, "rescale = 3 outside [0, 1]"),
        ({"shift": 16}, "the rescaled |x| can reach")]),
    "td_prelu_s8": (PreluArgs(**PRELU), PRELU_BAD),
    "td_prelu_s16": (PreluS16Args(**{**PRELU, "x_offset": 0, "out_offset": 0}),
                     PRELU_BAD[:3] + [({"out_offset": 40000}, "out_offset = 40000 outside")]),
    "td_squared_difference_s8": (SquaredDifferenceArgs(**SQD8), WALK_BAD + [
        ({"left_shift": 31}, "left_shift = 31 outside [0, 30]"),
        ({"a_shift": 1}, "a_shift = 1 outside the kernel's range [-31, 0]"),
        ({"out_shift": 5}, "the requantized square plus the output offset can reach")]),
    "td_squared_difference_s16": (SquaredDifferenceS16Args(**SQD16), [
        ({"left_shift": 2}, "the squared difference can reach"),
        ({"act_max": 40000}, "act_max = 40000 outside")]),
    "td_div_s8": (DivArgs(**SQD8), WALK_BAD + [
        ({"out_shift": 24}, "out_shift = 24 outside the kernel's range [-24, 23]"),
        ({"out_multiplier": 5}, "out_multiplier = 5 is not a Q31")]),
    "td_maximum_s8": (MaximumArgs(**WALK), WALK_BAD),
    "td_maximum_s16": (MaximumS16Args(**WALK), WALK_BAD),
    "td_minimum_s8": (MinimumArgs(**WALK), WALK_BAD),
    "td_minimum_s16": (MinimumS16Args(**WALK), WALK_BAD),
    "td_binary_s32": (BinaryS32Args(op=0, act_min=-5, act_max=9, **WALK), [
        *WALK_BAD, ({"op": 3}, "op = 3 outside [0, 2]"),
        ({"act_min": 10}, "act_min 10 > act_max 9")]),
    "td_transpose_conv_s8": (TransposeConvArgs(**TCONV), [
        ({"stride_w": 0}, "stride_w = 0 must be > 0"),
        ({"out_shift": i32(-3, -4, 40)}, "out_shift[2] = 40 outside"),
        ({"input_offset": 200}, "input_offset = 200 outside")]),
    "td_transpose_conv_s16": (TransposeConvS16Args(**TCONV16), [
        ({"out_shift": i32(-3, -4, 8)}, "out_shift[2] = 8 outside the kernel's range [-31, 7]"),
        ({"input_offset": 1}, "input_offset = 1 outside [0, 0]"),
        ({"pad_top": -1}, "pad_top = -1 must be >= 0")]),
}
