"""mul (16x8): TFLite's int16 MUL, ``zp_out + M(a * b)`` with ``M = s_a * s_b / s_out``
(the int8 arithmetic; int16 zero points are 0, which TFLite Micro enforces for MUL),
kernel ``td_mul_s16``. Any numpy-style broadcast."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import _broadcast, _rescale, register_variant
from tinydeploy.quant.golden.int16._common import int16_io
from tinydeploy.quant.golden.mul import MulArgs
from tinydeploy.quant.requant import (activation_range, multiply_by_quantized_multiplier,
                                      quantize_multiplier)


@dataclass(frozen=True, eq=False)
class MulS16Args(MulArgs):
    C_FUNC = "td_mul_s16"


def prepare(g: Graph, op: Op) -> MulS16Args:
    _rescale.check_dtype(g, op, "int16")
    qa, qb = g.t(op.inputs[0]).quant, g.t(op.inputs[1]).quant
    qo = g.t(op.outputs[0]).quant
    shape, sa, sb = _broadcast.broadcast_layout(g, op)
    mult, shift = quantize_multiplier(qa.s * qb.s / qo.s)
    lo, hi = activation_range(op.attrs.get("act", "none"), qo.s, qo.zp, "int16")
    return MulS16Args(ndim=len(shape), shape=np.array(shape, np.int32),
                      a_strides=np.array(sa, np.int32), b_strides=np.array(sb, np.int32),
                      a_offset=0, b_offset=0, out_multiplier=mult, out_shift=shift,
                      out_offset=0, act_min=lo, act_max=hi)


def run(k: MulS16Args, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x = _broadcast.gather(a, k.shape, k.a_strides)
    y = _broadcast.gather(b, k.shape, k.b_strides)
    raw = multiply_by_quantized_multiplier(x * y, k.out_multiplier, k.out_shift)
    return np.clip(raw, k.act_min, k.act_max).astype(np.int16)


register_variant("mul", int16_io, prepare, run, MulS16Args)
