"""conv2d with packed sub-byte / mixed-precision tensors (kernel ``td_conv2d_sb``).

Same arithmetic as the int8 conv2d golden (grouped NHWC conv, OHWI weights, padding taps
skipped, per-channel multiplier + shift): ``acc = sum w * (x + input_offset) + bias``,
``y = clamp(requant(acc) + output_offset, act_min, act_max)``, with x, w and y each 2, 4
or 8 bits. Pointwise (1x1) convolutions are this op too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import array_field
from tinydeploy.quant.golden import _accumulate as _acc
from tinydeploy.quant.golden import _conv_common as cc
from tinydeploy.quant.golden import register_variant
from tinydeploy.quant.golden.subbyte import _common as sb


@dataclass(frozen=True, eq=False)
class Conv2dSbArgs(cc.Conv2dGeometry):
    C_FUNC: ClassVar[str] = "td_conv2d_sb"
    input_offset: int    # -input zero point
    output_offset: int   # output zero point
    act_min: int         # clamp bounds, inside the output dtype's range
    act_max: int
    in_bits: int         # 2, 4 or 8
    in_signed: int       # 1: two's complement, 0: unsigned
    w_bits: int          # weights are signed
    out_bits: int
    out_signed: int      # the output's dtype (the kernel stores the low out_bits bits)
    out_mult: np.ndarray = array_field()    # [out_c] Q31 multipliers
    out_shift: np.ndarray = array_field()   # [out_c] shifts, > 0 = left


def prepare(g: Graph, op: Op) -> Conv2dSbArgs:
    x, w, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    in_bits, in_signed = sb.act_storage(op, x)
    out_bits, out_signed = sb.act_storage(op, y)
    wd = sb.weight_values(op, w)
    geo = cc.conv2d_geometry(op, x, w, y)
    c_out = w.shape[0]
    _acc.check_bound(op, np.abs(wd).reshape(c_out, -1).sum(axis=1),
                     sb.x_max(x, -x.quant.zp), cc.bias_data(g, op, c_out))
    mult, shift = cc.channel_multipliers(x.quant.s, cc.weight_scales(op, w, c_out, 0),
                                         y.quant.s)
    lo, hi = sb.out_bounds(g, op)
    return Conv2dSbArgs(*geo, -x.quant.zp, y.quant.zp, lo, hi, in_bits, in_signed,
                        w.bits, out_bits, out_signed, mult, shift)


def run(a: Conv2dSbArgs, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    acc = _acc.run_conv2d(a, x, w, b)    # the raw int32 sum (same geometry fields)
    return sb.requantize(acc, a.out_mult, a.out_shift, a.output_offset, a.act_min,
                         a.act_max, a.out_signed)


register_variant("conv2d", sb.touches_packed, prepare, run, Conv2dSbArgs)
