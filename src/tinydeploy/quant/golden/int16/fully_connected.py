"""fully_connected (16x8): TFLite ``reference_integer_ops::FullyConnected[PerChannel]``
for int16 data, int8 weights and an int64 bias (kernel ``td_fully_connected_s16``).

``y[b, o] = clamp(requant64(sum_i w[o, i] * x[b, i] + bias[o], mult[o], shift[o]))``,
the sum in int64 (:func:`._common.requant64`). Per-tensor weights use the per-channel
path with the multiplier repeated (the same numbers as TFLite's per-tensor kernel).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import _conv_common as cc
from tinydeploy.quant.golden import register_variant
from tinydeploy.quant.golden.int16 import _common as c16


@dataclass(frozen=True, eq=False)
class FullyConnectedS16Args(KernelArgs):
    C_FUNC: ClassVar[str] = "td_fully_connected_s16"
    batches: int
    in_features: int
    out_features: int
    act_min: int
    act_max: int
    out_mult: np.ndarray = array_field()    # [out_features] Q31 multipliers
    out_shift: np.ndarray = array_field()   # [out_features] shifts in [-31, 7]


def prepare(g: Graph, op: Op) -> FullyConnectedS16Args:
    x, w, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    c16.require_int16(op, x, y)
    wd = c16.require_int8_weights(op, w)
    batches, c_in, c_out = cc.fc_geometry(op, x, w, y, wd.shape)
    bias = c16.bias64(g, op, c_out)
    c16.check_acc64(op, np.abs(wd).sum(axis=1), bias)
    mult, shift = cc.channel_multipliers(x.quant.s, cc.weight_scales(op, w, c_out, 0),
                                         y.quant.s)
    c16.check_shifts64(op, shift)
    act_min, act_max = cc.act_bounds(g, op)
    return FullyConnectedS16Args(batches, c_in, c_out, act_min, act_max, mult, shift)


def run(a: FullyConnectedS16Args, x: np.ndarray, w: np.ndarray, b: np.ndarray | None
        ) -> np.ndarray:
    acc = (x.reshape(a.batches, a.in_features).astype(np.int64)
           @ w.reshape(a.out_features, a.in_features).astype(np.int64).T)
    if b is not None:
        acc += b.astype(np.int64).reshape(a.out_features)
    return c16.clamp16(c16.requant64(acc, a.out_mult, a.out_shift), a.act_min, a.act_max)


register_variant("fully_connected", c16.int16_io, prepare, run, FullyConnectedS16Args)
