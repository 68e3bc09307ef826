"""tanh (int8): TFLite's fixed-point hyperbolic tangent.

Same Q4.27 input rescaling as :mod:`.logistic`, gemmlowp's ``tanh``, rounded to 7
fractional bits. Inputs beyond ``input_range_radius`` saturate. The output quantization is
fixed by TFLite: scale 1/128, zero point 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import _fixedpoint as fp
from tinydeploy.quant.golden import register, require_same_size
from tinydeploy.quant.golden.add import check_int8
from tinydeploy.quant.golden.logistic import INPUT_INT_BITS, check_output, q4_input
from tinydeploy.quant.requant import multiply_by_quantized_multiplier


@dataclass(frozen=True, eq=False)
class TanhArgs(KernelArgs):
    C_FUNC = "td_tanh_s8"
    size: int
    input_zero_point: int
    input_range_radius: int      # |x - zp| at or beyond this saturates
    input_multiplier: int
    input_left_shift: int        # may be negative (a right shift)


def prepare(g: Graph, op: Op) -> TanhArgs:
    check_int8(g, op)
    require_same_size(g, op)
    check_output(g, op, 1.0 / 128, 0)
    x = g.t(op.inputs[0])
    q4 = q4_input(x.quant.s, "tanh", op.name)
    return TanhArgs(size=x.size, input_zero_point=x.quant.zp, input_range_radius=q4.radius,
                    input_multiplier=q4.multiplier, input_left_shift=q4.left_shift)


def run(args: TanhArgs, x: np.ndarray) -> np.ndarray:
    v = np.asarray(x).astype(np.int64) - args.input_zero_point
    inside = (v > -args.input_range_radius) & (v < args.input_range_radius)
    q4 = multiply_by_quantized_multiplier(np.where(inside, v, 0), args.input_multiplier,
                                          args.input_left_shift)
    y = fp.rounding_divide_by_pot(fp.tanh(q4, INPUT_INT_BITS), 31 - 7)
    y = np.where(inside, np.clip(y, -128, 127), np.where(v > 0, 127, -128))
    return y.astype(np.int8)


register("tanh", prepare, run, TanhArgs)
