"""mul (int8): TFLite's quantized elementwise product.

``out = zp_out + M((a - zp_a) * (b - zp_b))`` with ``M`` the multiplier
``s_a * s_b / s_out`` (TFLite ``MultiplyByQuantizedMultiplier``, may exceed one), clamped
to the fused activation's range. Broadcasting: any numpy-style broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs, array_field
from tinydeploy.quant.golden import _broadcast, register
from tinydeploy.quant.golden.add import check_int8
from tinydeploy.quant.requant import (
    activation_range,
    multiply_by_quantized_multiplier,
    quantize_multiplier,
)


@dataclass(frozen=True, eq=False)
class MulArgs(KernelArgs):
    C_FUNC = "td_mul_s8"
    ndim: int                    # dimensions of the (merged) broadcast walk
    shape: np.ndarray = array_field()
    a_strides: np.ndarray = array_field()    # element strides, 0 = broadcast
    b_strides: np.ndarray = array_field()
    a_offset: int                # -zero_point of a
    b_offset: int
    out_multiplier: int
    out_shift: int               # > 0 is a left shift
    out_offset: int              # zero_point of the output
    act_min: int
    act_max: int


def prepare(g: Graph, op: Op) -> MulArgs:
    check_int8(g, op)
    qa, qb = g.t(op.inputs[0]).quant, g.t(op.inputs[1]).quant
    qo = g.t(op.outputs[0]).quant
    shape, sa, sb = _broadcast.broadcast_layout(g, op)
    mult, shift = quantize_multiplier(qa.s * qb.s / qo.s)
    lo, hi = activation_range(op.attrs.get("act", "none"), qo.s, qo.zp)
    return MulArgs(ndim=len(shape), shape=np.array(shape, np.int32),
                   a_strides=np.array(sa, np.int32), b_strides=np.array(sb, np.int32),
                   a_offset=-qa.zp, b_offset=-qb.zp, out_multiplier=mult, out_shift=shift,
                   out_offset=qo.zp, act_min=lo, act_max=hi)


def run(args: MulArgs, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x = _broadcast.gather(a, args.shape, args.a_strides) + args.a_offset
    y = _broadcast.gather(b, args.shape, args.b_strides) + args.b_offset
    raw = multiply_by_quantized_multiplier(x * y, args.out_multiplier, args.out_shift)
    return np.clip(raw + args.out_offset, args.act_min, args.act_max).astype(np.int8)


register("mul", prepare, run, MulArgs)
