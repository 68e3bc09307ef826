"""mean (16x8): TFLite Micro's int16 MEAN, the int8 ``QuantizedMeanOrSum`` arithmetic
(:mod:`tinydeploy.quant.golden.mean`) on int16 values, kernel ``td_mean_s16``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import _reduce_common as _rc
from tinydeploy.quant.golden import mean as _mean
from tinydeploy.quant.golden import register_variant
from tinydeploy.quant.golden.int16._common import int16_io, require_int16
from tinydeploy.quant.requant import multiply_by_quantized_multiplier


@dataclass(frozen=True, eq=False)
class MeanS16Args(_mean.MeanArgs):
    C_FUNC = "td_mean_s16"


def prepare(g: Graph, op: Op) -> MeanS16Args:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    require_int16(op, x, y)
    k = _rc.layout(op, x, y)
    if k["count"] * (1 << 15) > 2**31 - 1:
        raise UnsupportedError(f"mean: the int32 sum of {k['count']} int16 values may "
                               "overflow", node=op.name)
    mult, shift = _mean.mean_multiplier(x.quant.s, y.quant.s, k["count"])
    return MeanS16Args(**k, input_zp=0, output_zp=0, multiplier=mult, shift=shift)


def run(a: MeanS16Args, x: np.ndarray) -> np.ndarray:
    acc = _rc.sums(a, x)
    y = multiply_by_quantized_multiplier(acc, a.multiplier, a.shift)
    return np.clip(y, -32768, 32767).astype(np.int16)


register_variant("mean", int16_io, prepare, run, MeanS16Args)
