"""rsqrt (int8): TFLite Micro's quantized RSQRT, evaluated for every int8 value and run
as a table (:mod:`._lut8`; TFLite Micro has no int16 RSQRT).

``v = x - zp_in``; ``v = 0`` gives 127. Otherwise ``1/sqrt(v)`` is TFLite's
``GetInvSqrtQuantizedMultiplierExp`` (v normalized to [2^27, 2^29) by pairs of bits, five
Newton-Raphson steps in Q3.28, times sqrt(2)/2), turned into an integer scaled by 2^20
(``MultiplyByQuantizedMultiplier(1, inv, shift + 20)``) and rescaled by
``1 / (sqrt(s_in) * s_out)`` (float32 product) with the 2^20 taken back, plus ``zp_out``,
clamped. Inputs below the zero point (negative values) make TFLite Micro's kernel fail at
run time; here they give the result of ``v = 1``, which its arithmetic falls back to.
"""

from __future__ import annotations

import math

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import _fixedpoint as fp
from tinydeploy.quant.golden import _lut8, register
from tinydeploy.quant.requant import INT32_MAX, multiply_by_quantized_multiplier, \
    quantize_multiplier

SHIFT = 20


def inv_sqrt(v: int) -> tuple[int, int]:
    """TFLite's GetInvSqrtQuantizedMultiplierExp(v, reverse_shift=-1): (multiplier, shift)."""
    if v <= 1:
        return INT32_MAX, 0
    shift = 11
    while v >= 1 << 29:
        v //= 4
        shift += 1
    pairs = (32 - v.bit_length() - 1) // 2 - 1
    shift -= pairs
    v <<= 2 * pairs
    half = int(fp.rounding_divide_by_pot(v >> 1, 1))
    x = 1 << 28                                                 # 1.0 in Q3.28
    for _ in range(5):
        x3 = int(fp.saturating_rounding_mul_by_pot(fp.srdhm(fp.srdhm(x, x), x), 6))
        d = int(fp.srdhm((1 << 28) + (1 << 27), x)) - int(fp.srdhm(half, x3))
        x = int(fp.saturating_rounding_mul_by_pot(d, 3))
    x = int(fp.srdhm(x, 1518500250))                            # * sqrt(2) / 2
    if shift < 0:
        x, shift = x << -shift, 0
    return x, -shift


def prepare(g: Graph, op: Op) -> _lut8.LutS8Args:
    (si, zi), (so, zo) = (_lut8.quant8(op, g.t(n)) for n in (op.inputs[0], op.outputs[0]))
    f = np.float32
    m, s = quantize_multiplier(1.0 / float(f(math.sqrt(si)) * f(so)))

    def one(v: int) -> int:
        if v == 0:
            return 127
        inv, inv_shift = inv_sqrt(v)
        data = multiply_by_quantized_multiplier(1, inv, inv_shift + SHIFT)
        y = int(multiply_by_quantized_multiplier(data, m, s - SHIFT)) + zo
        return min(max(y, -128), 127)

    return _lut8.lut_args(g, op, lambda x: np.array([one(int(v) - zi) for v in x]))


register("rsqrt", prepare, _lut8.run_lut, _lut8.LutS8Args)
