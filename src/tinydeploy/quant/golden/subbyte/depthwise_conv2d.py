"""depthwise_conv2d with packed sub-byte / mixed-precision tensors (``td_depthwise_conv2d_sb``).

The int8 depthwise golden's arithmetic (weights ``[KH, KW, C_out]``, output channel
``c * depth_multiplier + m`` reads input channel ``c``) with x, w and y each 2, 4 or 8
bits and the output clamped to its dtype's range.
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
class DepthwiseConv2dSbArgs(cc.DepthwiseGeometry):
    C_FUNC: ClassVar[str] = "td_depthwise_conv2d_sb"
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


def prepare(g: Graph, op: Op) -> DepthwiseConv2dSbArgs:
    x, w, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    in_bits, in_signed = sb.act_storage(op, x)
    out_bits, out_signed = sb.act_storage(op, y)
    wd = sb.weight_values(op, w)
    geo = cc.depthwise_geometry(op, x, w, y)
    c_out = w.shape[2]
    _acc.check_bound(op, np.abs(wd).reshape(-1, c_out).sum(axis=0),
                     sb.x_max(x, -x.quant.zp), cc.bias_data(g, op, c_out))
    mult, shift = cc.channel_multipliers(x.quant.s, cc.weight_scales(op, w, c_out, 2),
                                         y.quant.s)
    lo, hi = sb.out_bounds(g, op)
    return DepthwiseConv2dSbArgs(*geo, -x.quant.zp, y.quant.zp, lo, hi, in_bits, in_signed,
                                 w.bits, out_bits, out_signed, mult, shift)


def run(a: DepthwiseConv2dSbArgs, x: np.ndarray, w: np.ndarray, b: np.ndarray | None
        ) -> np.ndarray:
    acc = _acc.run_depthwise(a, x, w, b)   # the raw int32 sum (same geometry fields)
    return sb.requantize(acc, a.out_mult, a.out_shift, a.output_offset, a.act_min,
                         a.act_max, a.out_signed)


register_variant("depthwise_conv2d", sb.touches_packed, prepare, run, DepthwiseConv2dSbArgs)
