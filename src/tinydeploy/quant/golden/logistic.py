"""logistic (int8): TFLite's fixed-point sigmoid.

The input, offset by its zero point, is scaled to Q4.27 by ``s_in * 2**27`` (a Q31
multiplier and a shift from ``frexp``, as TFLite computes them), mapped with gemmlowp's
``logistic`` and rounded to 8 fractional bits. Inputs beyond ``input_range_radius`` saturate.
The output quantization is fixed by TFLite: scale 1/256, zero point -128.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import _fixedpoint as fp
from tinydeploy.quant.golden import register, require_same_size
from tinydeploy.quant.golden.add import check_int8
from tinydeploy.quant.requant import multiply_by_quantized_multiplier

INPUT_INT_BITS = 4           # Q4.27 input to the fixed-point function


@dataclass(frozen=True, eq=False)
class LogisticArgs(KernelArgs):
    C_FUNC = "td_logistic_s8"
    size: int
    input_zero_point: int
    input_range_radius: int      # |x - zp| at or beyond this saturates
    input_multiplier: int
    input_left_shift: int        # may be negative (a right shift)


@dataclass(frozen=True)
class Q4Input:
    multiplier: int
    left_shift: int
    radius: int


def q4_input(scale: float, kind: str, node: str) -> Q4Input:
    """TFLite's Q4.27 input rescaling for int8 logistic and tanh.

    ``frexp(s * 2**27)`` gives the multiplier and shift directly (no renormalization), and
    ``CalculateInputRadius(4, shift, 31) = floor(15 * 2**27 / 2**shift)``.
    """
    q, shift = math.frexp(scale * (1 << (31 - INPUT_INT_BITS)))
    if shift < 0 or shift > 31:
        raise UnsupportedError(f"{kind}: input scale {scale} is outside TFLite's range",
                               node=node)
    mult = int(math.floor(q * (1 << 31) + 0.5))
    radius = math.floor(((1 << INPUT_INT_BITS) - 1) * (1 << (31 - INPUT_INT_BITS))
                        / (1 << shift))
    return Q4Input(mult, shift, radius)


def check_output(g: Graph, op: Op, scale: float, zero_point: int) -> None:
    q = g.t(op.outputs[0]).quant
    if q.s != scale or q.zp != zero_point:
        raise UnsupportedError(f"{op.kind}: int8 output must have scale {scale} and zero point "
                               f"{zero_point} (TFLite's), got {q.s} and {q.zp}", node=op.name)


def prepare(g: Graph, op: Op) -> LogisticArgs:
    check_int8(g, op)
    require_same_size(g, op)
    check_output(g, op, 1.0 / 256, -128)
    x = g.t(op.inputs[0])
    q4 = q4_input(x.quant.s, "logistic", op.name)
    return LogisticArgs(size=x.size, input_zero_point=x.quant.zp,
                        input_range_radius=q4.radius, input_multiplier=q4.multiplier,
                        input_left_shift=q4.left_shift)


def run(args: LogisticArgs, x: np.ndarray) -> np.ndarray:
    v = np.asarray(x).astype(np.int64) - args.input_zero_point
    inside = (v > -args.input_range_radius) & (v < args.input_range_radius)
    q4 = multiply_by_quantized_multiplier(np.where(inside, v, 0), args.input_multiplier,
                                          args.input_left_shift)
    y = fp.rounding_divide_by_pot(fp.logistic(q4, INPUT_INT_BITS), 31 - 8) - 128
    y = np.where(inside, np.clip(y, -128, 127), np.where(v > 0, 127, -128))
    return y.astype(np.int8)


register("logistic", prepare, run, LogisticArgs)
