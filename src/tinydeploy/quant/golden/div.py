"""div (int8): TFLite Micro's quantized DIV.

Per element ``a = x1 - zp1``, ``b = x2 - zp2`` (signs moved so that b > 0): ``1/b`` as a
Q31 reciprocal (``GetReciprocal(b, 31)``), ``a`` shifted left by its redundant sign bits
and multiplied by it (``SRDHM``), then rescaled by ``s1 / (s2 * s_out)``
(``QuantizeMultiplier`` of the double quotient) with the shifts summed, plus ``zp_out``,
clamped to the fused activation's range; numpy-style broadcast. Kernel ``td_div_s8``.

The final rounding right shift can reach 32..39 bits for small ``|a|`` (the shifts add
up); gemmlowp's ``RoundingDivideByPOT`` is then undefined C++, and TFLite Micro on x86-64
computes it with an all-ones mask and the shift count taken modulo 32 (the hardware's).
:func:`rounding_shift_wide` defines exactly that, so results match it there too.

A divisor equal to its zero point (b = 0) is undefined in TFLite; here the result
saturates toward the sign of ``a`` (``zp_out`` for 0 / 0), clamped likewise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import _broadcast, _rescale, register
from tinydeploy.quant.golden import _fixedpoint as fp
from tinydeploy.quant.golden.add import AddArgs
from tinydeploy.quant.requant import quantize_multiplier
from tinydeploy.quant.requant import saturating_rounding_doubling_high_mul as srdhm


@dataclass(frozen=True, eq=False)
class DivArgs(AddArgs):
    """The add struct; only out_multiplier/out_shift are used of the multipliers."""
    C_FUNC = "td_div_s8"


def prepare(g: Graph, op: Op) -> DivArgs:
    k = _rescale.common_fields(g, op, "int8")
    f = np.float32
    s1, s2, so = (float(f(g.t(n).quant.s)) for n in (*op.inputs[:2], op.outputs[0]))
    mult, shift = quantize_multiplier(s1 / (s2 * so))
    return DivArgs(**k, left_shift=0, a_multiplier=0, a_shift=0, b_multiplier=0, b_shift=0,
                   out_multiplier=mult, out_shift=shift)


def rounding_shift_wide(x, e) -> np.ndarray:
    """RoundingDivideByPOT(x, e) for 0 <= e <= 63, as x86-64 runs gemmlowp's int32 code:
    for e >= 32 the mask is all ones and ``x >> e`` shifts by ``e - 32``."""
    x, e = np.asarray(x, np.int64), np.asarray(e, np.int64)
    mask = np.where(e >= 32, -1, (np.int64(1) << np.minimum(e, 31)) - 1)
    return (x >> (e & 31)) + ((x & mask) > ((mask >> 1) + (x < 0)))


def _clrsb32(v: np.ndarray) -> np.ndarray:
    """Redundant sign bits of int32 values (GCC's __builtin_clrsb)."""
    u = np.where(v < 0, ~v, v)
    return 31 - np.array([int(n).bit_length() for n in u.ravel()]).reshape(u.shape)


def run(k: DivArgs, x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    a = _broadcast.gather(x1, k.shape, k.a_strides) + k.a_offset
    b = _broadcast.gather(x2, k.shape, k.b_strides) + k.b_offset
    a, b = np.where(b < 0, -a, a), np.abs(b)
    safe_b = np.maximum(b, 1)
    inv, bits = fp.get_reciprocal(safe_b, 31)
    head = _clrsb32(a)
    q = srdhm(a << head, inv)
    total = k.out_shift - bits - head
    y = rounding_shift_wide(srdhm(q, k.out_multiplier), -total) + k.out_offset
    zero = np.where(a > 0, k.act_max, np.where(a < 0, k.act_min, k.out_offset))
    y = np.where(b == 0, zero, y)
    return np.clip(y, k.act_min, k.act_max).astype(np.int8)


register("div", prepare, run, DivArgs)
