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

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import _conv_common as cc
from tinydeploy.quant.golden import register_variant
from tinydeploy.quant.golden.int16 import _common as c16


@dataclass(frozen=True, eq=False)
class DepthwiseConv2dS16Args(KernelArgs):
    C_FUNC: ClassVar[str] = "td_depthwise_conv2d_s16"
    batches: int
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int           # in_c * depth_multiplier
    k_h: int
    k_w: int
    depth_multiplier: int
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    pad_top: int
    pad_left: int
    act_min: int
    act_max: int
    out_mult: np.ndarray = array_field()    # [out_c] Q31 multipliers
    out_shift: np.ndarray = array_field()   # [out_c] shifts in [-31, 7], > 0 = left


def prepare(g: Graph, op: Op) -> DepthwiseConv2dS16Args:
    x, w, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    c16.require_int16(op, x, y)
    wd = c16.require_int8_weights(op, w)
    n, in_h, in_w, in_c = x.shape
    kh, kw, c_out = w.shape
    dm = int(op.attrs.get("depth_multiplier", c_out // max(in_c, 1)))
    if y.shape[0] != n or y.shape[3] != c_out or c_out != in_c * dm:
        raise UnsupportedError(f"depthwise_conv2d: shapes x{list(x.shape)} w{list(w.shape)} "
                               f"y{list(y.shape)} do not match depth_multiplier {dm}",
                               node=op.name)
    stride, dilation, pads = cc.spatial_attrs(op)
    cc.check_out_size(op, (in_h, in_w), (kh, kw), stride, dilation, pads, y.shape[1:3])
    bias = c16.bias64(g, op, c_out)
    c16.check_acc64(op, np.abs(wd).reshape(-1, c_out).sum(axis=0), bias)
    mult, shift = cc.channel_multipliers(x.quant.s, cc.weight_scales(op, w, c_out, 2),
                                         y.quant.s)
    c16.check_shifts64(op, shift)
    act_min, act_max = cc.act_bounds(g, op)
    return DepthwiseConv2dS16Args(n, in_h, in_w, in_c, y.shape[1], y.shape[2], c_out, kh, kw,
                                  dm, *stride, *dilation, pads[0], pads[1], act_min, act_max,
                                  mult, shift)


def run(a: DepthwiseConv2dS16Args, x: np.ndarray, w: np.ndarray, b: np.ndarray | None
        ) -> np.ndarray:
    x = x.reshape(a.batches, a.in_h, a.in_w, a.in_c)
    w = w.astype(np.int64).reshape(a.k_h, a.k_w, a.in_c, a.depth_multiplier)
    acc = np.zeros((a.batches, a.out_h, a.out_w, a.in_c, a.depth_multiplier), dtype=np.int64)
    for ky, kx, win in cc.shifted_windows(x, 0, (a.k_h, a.k_w), (a.stride_h, a.stride_w),
                                          (a.dilation_h, a.dilation_w),
                                          (a.pad_top, a.pad_left), (a.out_h, a.out_w)):
        acc += win[..., None] * w[ky, kx]
    acc = acc.reshape(a.batches, a.out_h, a.out_w, a.out_c)
    if b is not None:
        acc += b.astype(np.int64).reshape(a.out_c)
    return c16.clamp16(c16.requant64(acc, a.out_mult, a.out_shift), a.act_min, a.act_max)


register_variant("depthwise_conv2d", c16.int16_io, prepare, run, DepthwiseConv2dS16Args)
