"""depthwise_conv2d (16x8): TFLite ``reference_integer_ops::DepthwiseConvPerChannel``
for int16 data, int8 filters and an int64 bias (kernel ``td_depthwise_conv2d_s16``).

Output channel ``c * depth_multiplier + m`` sums ``w[ky, kx, oc] * x[.., c]`` over the
window in int64 (no offsets), adds the bias and requantizes with
:func:`._common.requant64`. TFLite reads a 16x8 depthwise bias as int64 only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import array_field
from tinydeploy.quant.golden import _conv_common as cc
from tinydeploy.quant.golden import register_variant
from tinydeploy.quant.golden.int16 import _common as c16


@dataclass(frozen=True, eq=False)
class DepthwiseConv2dS16Args(cc.DepthwiseGeometry):
    C_FUNC: ClassVar[str] = "td_depthwise_conv2d_s16"
    act_min: int
    act_max: int
    out_mult: np.ndarray = array_field()    # [out_c] Q31 multipliers
    out_shift: np.ndarray = array_field()   # [out_c] shifts in [-31, 7], > 0 = left


def prepare(g: Graph, op: Op) -> DepthwiseConv2dS16Args:
    x, w, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    c16.require_int16(op, x, y)
    wd = c16.require_int8_weights(op, w)
    geo = cc.depthwise_geometry(op, x, w, y)
    c_out = w.shape[2]
    bias = c16.bias64(g, op, c_out)
    c16.check_acc64(op, np.abs(wd).reshape(-1, c_out).sum(axis=0), bias)
    mult, shift = cc.channel_multipliers(x.quant.s, cc.weight_scales(op, w, c_out, 2),
                                         y.quant.s)
    c16.check_shifts64(op, shift)
    act_min, act_max = cc.act_bounds(g, op)
    return DepthwiseConv2dS16Args(*geo, act_min, act_max, mult, shift)


def run(a: DepthwiseConv2dS16Args, x: np.ndarray, w: np.ndarray, b: np.ndarray | None
        ) -> np.ndarray:
    acc = cc.depthwise_sum(a, x, w, b, 0)
    return c16.clamp16(c16.requant64(acc, a.out_mult, a.out_shift), a.act_min, a.act_max)


register_variant("depthwise_conv2d", c16.int16_io, prepare, run, DepthwiseConv2dS16Args)
