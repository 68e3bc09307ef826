"""fully_connected golden: TFLite reference_integer_ops::FullyConnected[PerChannel].

``y[b, o] = sum_i w[o, i] * x[b, i] + bias[o]``; input ``[N, in]`` (any shape whose size
is a multiple of ``in`` is read as ``[size / in, in]``, like TFLite), weights ``[out, in]``.

Per-tensor weights may have a zero point (``weight_offset``; TFLite applies it here,
unlike conv); per-channel weights must be symmetric (TFLite ignores their zero point).

Multipliers: ``double(in) * double(w) / double(out)`` for both per-tensor and
per-channel weights. (TFLite's GetQuantizedConvolutionMultipler source multiplies the
per-tensor scales in float32 first, but the TFLM build we test against rounds like the
double product; ``test_fully_connected_per_tensor_multiplier_tie_matches_tflm`` pins a
case where the two differ.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import _accumulate as _acc
from tinydeploy.quant.golden import _conv_common as cc
from tinydeploy.quant.golden import register


@dataclass(frozen=True, eq=False)
class FullyConnectedArgs(KernelArgs):
    C_FUNC: ClassVar[str] = "td_fully_connected_s8"
    batches: int
    in_features: int
    out_features: int
    input_offset: int    # -input zero point
    weight_offset: int   # -weight zero point (per-tensor weights only, else 0)
    output_offset: int   # output zero point
    act_min: int
    act_max: int
    out_mult: np.ndarray = array_field()    # [out_features] Q31 multipliers
    out_shift: np.ndarray = array_field()   # [out_features] shifts, > 0 = left


def prepare(g: Graph, op: Op) -> FullyConnectedArgs:
    if g.t(op.outputs[0]).dtype == "int32":   # raw accumulator (integer-deployable)
        return _acc.prepare_fc(g, op)
    x, w, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    cc.require_int8(op, x, w, y)
    batches, c_in, c_out = cc.fc_geometry(op, x, w, y)
    w_offset = 0 if w.quant.per_channel else -w.quant.zp
    bias = cc.bias_data(g, op, c_out)
    w_abs = (np.abs(w.data.astype(np.int64) + w_offset).sum(axis=1) if w.is_const
             else np.full(c_out, 255 * c_in))
    cc.check_accumulator(op, w_abs, -x.quant.zp, bias)
    if w.quant.per_channel:
        cc.require_symmetric_weights(op, w)
    mult, shift = cc.channel_multipliers(x.quant.s, cc.weight_scales(op, w, c_out, 0),
                                         y.quant.s)
    act_min, act_max = cc.act_bounds(g, op)
    return FullyConnectedArgs(batches, c_in, c_out, -x.quant.zp, w_offset, y.quant.zp,
                              act_min, act_max, mult, shift)


def run(a: FullyConnectedArgs, x: np.ndarray, w: np.ndarray, b: np.ndarray | None
        ) -> np.ndarray:
    if isinstance(a, _acc.FullyConnectedS32Args):
        return _acc.run_fc(a, x, w, b)
    xo = x.reshape(a.batches, a.in_features).astype(np.int64) + a.input_offset
    wo = w.reshape(a.out_features, a.in_features).astype(np.int64) + a.weight_offset
    acc = xo @ wo.T
    if b is not None:
        acc += b.astype(np.int64).reshape(a.out_features)
    return cc.requantize(acc, a.out_mult, a.out_shift, a.output_offset, a.act_min, a.act_max)


register("fully_connected", prepare, run, FullyConnectedArgs)
