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

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import _accumulate as _acc
from tinydeploy.quant.golden import _conv_common as cc
from tinydeploy.quant.golden import register


@dataclass(frozen=True, eq=False)
class Conv2dArgs(KernelArgs):
    C_FUNC: ClassVar[str] = "td_conv2d_s8"
    batches: int
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    k_h: int
    k_w: int
    groups: int          # in_c / filter depth; output channels split evenly into groups
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    pad_top: int
    pad_left: int
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
    n, in_h, in_w, in_c = x.shape
    c_out, kh, kw, w_c = w.shape
    if y.shape[0] != n or y.shape[3] != c_out or in_c % w_c or c_out % (in_c // w_c):
        raise UnsupportedError(f"conv2d: shapes x{list(x.shape)} w{list(w.shape)} "
                               f"y{list(y.shape)} do not match", node=op.name)
    stride, dilation, pads = cc.spatial_attrs(op)
    cc.check_out_size(op, (in_h, in_w), (kh, kw), stride, dilation, pads, y.shape[1:3])
    bias = cc.bias_data(g, op, c_out)
    w_abs = (np.abs(w.data.astype(np.int64)).reshape(c_out, -1).sum(axis=1)
             if w.is_const else np.full(c_out, 128 * kh * kw * w_c))
    cc.check_accumulator(op, w_abs, -x.quant.zp, bias)
    mult, shift = cc.channel_multipliers(x.quant.s, cc.weight_scales(op, w, c_out, 0),
                                         y.quant.s)
    act_min, act_max = cc.act_bounds(g, op)
    return Conv2dArgs(n, in_h, in_w, in_c, y.shape[1], y.shape[2], c_out, kh, kw,
                      in_c // w_c, *stride, *dilation, pads[0], pads[1],
                      -x.quant.zp, y.quant.zp, act_min, act_max, mult, shift)


def run(a: Conv2dArgs, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    # prepare() proved the int32 sum cannot overflow, so the raw-accumulator golden (same
    # geometry fields) gives the exact sum; requantize it per output channel.
    acc = _acc.run_conv2d(a, x, w, b)
    if isinstance(a, _acc.Conv2dS32Args):
        return acc
    return cc.requantize(acc.astype(np.int64), a.out_mult, a.out_shift, a.output_offset,
                         a.act_min, a.act_max)


register("conv2d", prepare, run, Conv2dArgs)
