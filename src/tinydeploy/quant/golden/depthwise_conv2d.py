"""depthwise_conv2d golden: TFLite reference_integer_ops::DepthwiseConvPerChannel.

Input NHWC ``[N, H, W, C_in]``, weights ``[KH, KW, C_out]`` with
``C_out = C_in * depth_multiplier``; output channel ``c * depth_multiplier + m`` reads
input channel ``c``. Pads are explicit (top, left, bottom, right), possibly asymmetric.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import array_field
from tinydeploy.quant.golden import _accumulate as _acc
from tinydeploy.quant.golden import _conv_common as cc
from tinydeploy.quant.golden import register


@dataclass(frozen=True, eq=False)
class DepthwiseConv2dArgs(cc.DepthwiseGeometry):
    C_FUNC: ClassVar[str] = "td_depthwise_conv2d_s8"
    input_offset: int    # -input zero point
    output_offset: int   # output zero point
    act_min: int
    act_max: int
    out_mult: np.ndarray = array_field()    # [out_c] Q31 multipliers
    out_shift: np.ndarray = array_field()   # [out_c] shifts, > 0 = left


def prepare(g: Graph, op: Op) -> DepthwiseConv2dArgs:
    if g.t(op.outputs[0]).dtype == "int32":   # raw accumulator (integer-deployable)
        return _acc.prepare_depthwise(g, op)
    x, w, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    cc.require_int8(op, x, w, y)
    cc.require_symmetric_weights(op, w)
    geo = cc.depthwise_geometry(op, x, w, y)
    kh, kw, c_out = w.shape
    bias = cc.bias_data(g, op, c_out)
    w_abs = (np.abs(w.data.astype(np.int64)).reshape(-1, c_out).sum(axis=0)
             if w.is_const else np.full(c_out, 128 * kh * kw))
    cc.check_accumulator(op, w_abs, -x.quant.zp, bias)
    mult, shift = cc.channel_multipliers(x.quant.s, cc.weight_scales(op, w, c_out, 2),
                                         y.quant.s)
    act_min, act_max = cc.act_bounds(g, op)
    return DepthwiseConv2dArgs(*geo, -x.quant.zp, y.quant.zp, act_min, act_max, mult, shift)


def run(a: DepthwiseConv2dArgs, x: np.ndarray, w: np.ndarray, b: np.ndarray | None
        ) -> np.ndarray:
    # the exact int32 sum from the raw-accumulator golden (prepare() bounds it), requantized
    acc = _acc.run_depthwise(a, x, w, b)
    if isinstance(a, _acc.DepthwiseConv2dS32Args):
        return acc
    return cc.requantize(acc.astype(np.int64), a.out_mult, a.out_shift, a.output_offset,
                         a.act_min, a.act_max)


register("depthwise_conv2d", prepare, run, DepthwiseConv2dArgs)
