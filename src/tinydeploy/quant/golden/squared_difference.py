"""squared_difference (int8, int16): TFLite Micro's quantized SQUARED_DIFFERENCE.

Both inputs are rescaled as for SUB (:mod:`._rescale`, a left shift of 7 for int8 and 0
for int16), the difference is squared in int32 and scaled by ``(2 max(s_a, s_b))^2 /
(2^(2 left_shift) s_out)`` (``MultiplyByQuantizedMultiplier``, may exceed one), plus the
output zero point, clamped to the type. No fused activation; numpy-style broadcast.
Kernels ``td_squared_difference_s8`` and ``_s16``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import _rescale, register
from tinydeploy.quant.golden.add import AddArgs
from tinydeploy.quant.requant import multiply_by_quantized_multiplier, quantize_multiplier

LEFT_SHIFT = {"int8": 7, "int16": 0}


@dataclass(frozen=True, eq=False)
class SquaredDifferenceArgs(AddArgs):
    """The add struct; out_multiplier/out_shift scale the squared difference (any shift)."""
    C_FUNC = "td_squared_difference_s8"


@dataclass(frozen=True, eq=False)
class SquaredDifferenceS16Args(SquaredDifferenceArgs):
    C_FUNC = "td_squared_difference_s16"


def prepare(g: Graph, op: Op) -> SquaredDifferenceArgs:
    dtype = "int16" if g.t(op.outputs[0]).dtype == "int16" else "int8"
    k = _rescale.common_fields(g, op.with_(attrs={}), dtype)
    ls = LEFT_SHIFT[dtype]
    k.update(_rescale.input_multipliers(g, op, ls))
    f = np.float32
    sa, sb, so = (float(f(g.t(n).quant.s)) for n in (*op.inputs[:2], op.outputs[0]))
    twice = 2.0 * max(sa, sb)
    o_mult, o_shift = quantize_multiplier(twice * twice / float(f((1 << 2 * ls) * f(so))))
    cls = SquaredDifferenceS16Args if dtype == "int16" else SquaredDifferenceArgs
    return cls(**k, out_multiplier=o_mult, out_shift=o_shift)


def run(k: SquaredDifferenceArgs, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x, y = _rescale.scaled_inputs(k, a, b)
    d = x - y
    raw = multiply_by_quantized_multiplier(d * d, k.out_multiplier, k.out_shift)
    dtype = "int16" if isinstance(k, SquaredDifferenceS16Args) else "int8"
    return np.clip(raw + k.out_offset, k.act_min, k.act_max).astype(dtype)


register("squared_difference", prepare, run, SquaredDifferenceArgs)
