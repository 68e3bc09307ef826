"""conv2d golden: TFLite reference_integer_ops::ConvPerChannel (int8 in/out, int32 bias).

Input NHWC, weights OHWI ``[C_out, KH, KW, C_in / groups]``; grouped convolution (as in
TFLite: groups = input channels / filter depth) is supported. Explicit pads may be
asymmetric; only top/left reach the kernel, bottom/right are implied by the output size.
Per-tensor weights use the same per-channel path with the scale repeated (TFLite does too).
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
class Conv2dArgs(cc.Conv2dGeometry):
    C_FUNC: ClassVar[str] = "td_conv2d_s8"
    input_offset: int    # -input zero point
    output_offset: int   # output zero point
    act_min: int
    act_max: int
    out_mult: np.ndarray = array_field()    # [out_c] Q31 multipliers
    out_shift: np.ndarray = array_field()   # [out_c] shifts, > 0 = left


def prepare(g: Graph, op: Op) -> Conv2dArgs:
    if g.t(op.outputs[0]).dtype == "int32":   # raw accumulator (integer-deployable)
        return _acc.prepare_conv2d(g, op)
    x, w, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    cc.require_int8(op, x, w, y)
    cc.require_symmetric_weights(op, w)
    geo = cc.conv2d_geometry(op, x, w, y)
    c_out, kh, kw, w_c = w.shape
    bias = cc.bias_data(g, op, c_out)
    w_abs = (np.abs(w.data.astype(np.int64)).reshape(c_out, -1).sum(axis=1)
             if w.is_const else np.full(c_out, 128 * kh * kw * w_c))
    cc.check_accumulator(op, w_abs, -x.quant.zp, bias)
    mult, shift = cc.channel_multipliers(x.quant.s, cc.weight_scales(op, w, c_out, 0),
                                         y.quant.s)
    act_min, act_max = cc.act_bounds(g, op)
    return Conv2dArgs(*geo, -x.quant.zp, y.quant.zp, act_min, act_max, mult, shift)


def run(a: Conv2dArgs, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    # prepare() proved the int32 sum cannot overflow, so the raw-accumulator golden (same
    # geometry fields) gives the exact sum; requantize it per output channel.
    acc = _acc.run_conv2d(a, x, w, b)
    if isinstance(a, _acc.Conv2dS32Args):
        return acc
    return cc.requantize(acc.astype(np.int64), a.out_mult, a.out_shift, a.output_offset,
                         a.act_min, a.act_max)


register("conv2d", prepare, run, Conv2dArgs)
