"""hard_swish (int8): TFLite's quantized HARD_SWISH, ``x * relu6(x + 3) / 6`` in 16-bit
fixed point (``reference_ops::HardSwish``), evaluated here for every int8 value and run as
a table (:mod:`._lut8`; TFLite Micro has no int16 HARD_SWISH).

``v = (x - zp_in) * 2^7`` (the "hires" input), ``y0 = SRDHM16(v, M_out)`` rescales it to
the output; the "reluish" factor is ``v`` rescaled by ``M_relu`` to 3/32768 units
(saturating shifts around the 16-bit doubling high multiply) and mapped from [-1, 1] to
[0, 1]; ``y = RDBPOT(DHM16(reluish, y0), -e_out) + zp_out``, in int16, clamped to int8. The
two multipliers are Q31 multipliers rounded to Q15 (``DownScaleInt32ToInt16Multiplier``).
"""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import _lut8, register
from tinydeploy.quant.requant import quantize_multiplier

I16_MIN, I16_MAX = -(2**15), 2**15 - 1


def _wrap16(v) -> np.ndarray:
    return (np.asarray(v, dtype=np.int64) + 2**15) % 2**16 - 2**15


def _q15(real: float) -> tuple[int, int]:
    """QuantizeMultiplier, then DownScaleInt32ToInt16Multiplier."""
    m, e = quantize_multiplier(real)
    return (I16_MAX if m >= 2**31 - 1 - 2**15 else (m + 2**15) >> 16), e


def srdhm16(a, b) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul on int16."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    q = ab + nudge
    r = np.where(q < 0, -((-q) >> 15), q >> 15)               # C division by 2^15
    return np.where((a == I16_MIN) & (b == I16_MIN), I16_MAX, _wrap16(r))


def dhm16(a, b) -> np.ndarray:
    """TFLite's SaturatingDoublingHighMul on int16 (truncating, no rounding)."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    ab = a * b
    r = np.where(ab < 0, -((-ab) >> 15), ab >> 15)
    return np.where((a == I16_MIN) & (b == I16_MIN), I16_MAX, _wrap16(r))


def rdbpot16(x, e: int) -> np.ndarray:
    """gemmlowp RoundingDivideByPOT on int16: the mask ``2^e - 1`` is an int16 too (-1
    for ``e >= 16``, which turns every result into +-1, as the C++ does)."""
    x = np.asarray(x, np.int64)
    mask = int(_wrap16((1 << e) - 1))
    threshold = _wrap16((mask >> 1) + (x < 0))
    return _wrap16((x >> e) + ((x & mask) > threshold))


def sat_shl16(x, e: int) -> np.ndarray:
    return np.clip(np.asarray(x, np.int64) * (1 << e), I16_MIN, I16_MAX)


def hard_swish_values(p: dict, x) -> np.ndarray:
    v = _wrap16((np.asarray(x, np.int64) - p["zi"]) * 128)
    y0 = srdhm16(v, p["m_out"])
    r = v
    if p["e_relu"] > 0:
        r = sat_shl16(r, p["e_relu"] - 1)
    r = srdhm16(r, p["m_relu"])
    if p["e_relu"] > 0:
        r = sat_shl16(r, 1)
    if p["e_relu"] < 0:
        r = rdbpot16(r, -p["e_relu"])
    r = _wrap16((r + (1 << 15)) >> 1)
    y = _wrap16(rdbpot16(dhm16(r, y0), -p["e_out"]) + p["zo"])
    return np.clip(y, -128, 127)


def prepare(g: Graph, op: Op) -> _lut8.LutS8Args:
    (si, zi), (so, zo) = (_lut8.quant8(op, g.t(n)) for n in (op.inputs[0], op.outputs[0]))
    f = np.float32
    hires = f(f(1.0) / f(128.0)) * f(si)
    m_out, e_out = _q15(float(hires / f(so)))
    m_relu, e_relu = _q15(float(hires / (f(3.0) / f(32768.0))))
    if e_out > 0:
        raise UnsupportedError(f"hard_swish: output scale {so} is below the input scale / "
                               "128 (TFLite requires a multiplier below one)", node=op.name)
    p = dict(zi=zi, zo=zo, m_out=m_out, e_out=e_out, m_relu=m_relu, e_relu=e_relu)
    return _lut8.lut_args(g, op, lambda x: hard_swish_values(p, x))


register("hard_swish", prepare, _lut8.run_lut, _lut8.LutS8Args)
