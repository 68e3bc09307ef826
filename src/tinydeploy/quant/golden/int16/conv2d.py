"""conv2d (16x8): TFLite ``reference_integer_ops::ConvPerChannel`` for int16 data,
int8 filters and an int64 bias (kernel ``td_conv2d_s16``).

``acc = sum w * x [+ bias]`` in int64 (no offsets: int16 activations are symmetric),
``y = clamp(requant64(acc, mult[c], shift[c]))`` (:func:`._common.requant64`). Geometry,
grouping and multipliers are the int8 conv's (:mod:`tinydeploy.quant.golden.conv2d`).
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
class Conv2dS16Args(cc.Conv2dGeometry):
    C_FUNC: ClassVar[str] = "td_conv2d_s16"
    act_min: int
    act_max: int
    out_mult: np.ndarray = array_field()    # [out_c] Q31 multipliers
    out_shift: np.ndarray = array_field()   # [out_c] shifts in [-31, 7], > 0 = left


def prepare(g: Graph, op: Op) -> Conv2dS16Args:
    x, w, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    c16.require_int16(op, x, y)
    wd = c16.require_int8_weights(op, w)
    geo = cc.conv2d_geometry(op, x, w, y)
    c_out = w.shape[0]
    bias = c16.bias64(g, op, c_out)
    c16.check_acc64(op, np.abs(wd).reshape(c_out, -1).sum(axis=1), bias)
    mult, shift = cc.channel_multipliers(x.quant.s, cc.weight_scales(op, w, c_out, 0),
                                         y.quant.s)
    c16.check_shifts64(op, shift)
    act_min, act_max = cc.act_bounds(g, op)
    return Conv2dS16Args(*geo, act_min, act_max, mult, shift)


def run(a: Conv2dS16Args, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    acc = cc.conv2d_sum(a, x, w, b, 0)
    return c16.clamp16(c16.requant64(acc, a.out_mult, a.out_shift), a.act_min, a.act_max)


register_variant("conv2d", c16.int16_io, prepare, run, Conv2dS16Args)
