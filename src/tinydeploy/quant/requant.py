"""Fixed-point requantization, bit-exact with TFLite's integer kernels.

A real multiplier ``m`` is stored as a Q31 ``multiplier`` and a power-of-two ``shift``
(``m ~= multiplier * 2**(shift - 31)``). Applying it to an int32 accumulator is a
*rounding doubling high multiply* followed by a *rounding divide by a power of two*
(gemmlowp semantics, "double rounding"), exactly as TFLite Micro's reference kernels do.

All array functions are vectorized over numpy int64 and return int64 arrays (or ints).
"""

from __future__ import annotations

import math

import numpy as np

from tinydeploy.errors import UnsupportedError

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
# The largest left shift the kernels' requantization can apply (td_requant shifts an
# int32 left in uint32_t): real multipliers must stay below 2**MAX_LEFT_SHIFT.
MAX_LEFT_SHIFT = 31


def quantize_multiplier(real: float) -> tuple[int, int]:
    """Split ``real`` into (Q31 multiplier, shift) like TFLite's QuantizeMultiplier.

    ``shift`` > 0 means a left shift. Mantissa rounding is half away from zero
    (std::round), and a mantissa that rounds up to 2**31 is renormalized.

    ``real`` comes from a model's scales: NaN, infinite or negative multipliers, and
    multipliers of 2**31 or more (a left shift beyond :data:`MAX_LEFT_SHIFT`), make the
    requantization impossible and raise :class:`~tinydeploy.errors.UnsupportedError`
    (the caller names the op).
    """
    if not math.isfinite(real) or real < 0.0:
        raise UnsupportedError(f"requantization multiplier {real!r} (from the scales) is "
                               "not a finite non-negative number")
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = _round_half_away(q * (1 << 31))
    assert q_fixed <= (1 << 31)
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift = 0
        q_fixed = 0
    if shift > MAX_LEFT_SHIFT:
        raise UnsupportedError(f"requantization multiplier {real:.6g} (from the scales) is "
                               f"2**{shift - 1} or more: the kernels shift left by at most "
                               f"{MAX_LEFT_SHIFT} bits")
    # (TFLite clamps shift > 30 only in its single-rounding build; TFLM's reference build,
    # which this module matches, does not.)
    return int(q_fixed), int(shift)


def quantize_multiplier_array(reals) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel :func:`quantize_multiplier`; returns two int32 arrays."""
    pairs = [quantize_multiplier(float(r)) for r in np.asarray(reals, dtype=np.float64).ravel()]
    mult = np.array([p[0] for p in pairs], dtype=np.int32)
    shift = np.array([p[1] for p in pairs], dtype=np.int32)
    return mult, shift


def quantize_multiplier_smaller_than_one(real: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplierSmallerThanOneExp: requires 0 < real < 1; shift <= 0."""
    if not 0.0 < real < 1.0:
        raise UnsupportedError(f"requantization multiplier {real!r} (from the scales) is "
                               "not in (0, 1)")
    return quantize_multiplier(real)


def _round_half_away(x: float) -> int:
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def round_half_away(x):
    """Vectorized std::round (half away from zero) on floats; returns float64 array."""
    x = np.asarray(x, dtype=np.float64)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _trunc_div_pow2(v: np.ndarray, bits: int) -> np.ndarray:
    """C-style (toward zero) division of int64 ``v`` by 2**bits."""
    mag = np.abs(v) >> bits
    return np.where(v < 0, -mag, mag)


def saturating_rounding_doubling_high_mul(a, b) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul on int32 values (as int64 arrays)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    res = _trunc_div_pow2(ab + nudge, 31)
    return np.where(overflow, INT32_MAX, res)


def rounding_divide_by_pot(x, exponent) -> np.ndarray:
    """gemmlowp RoundingDivideByPOT: divide by 2**exponent, rounding half away from zero."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(x, multiplier, shift) -> np.ndarray:
    """TFLite MultiplyByQuantizedMultiplier (double rounding) on int32 accumulators.

    ``multiplier``/``shift`` broadcast against ``x`` (per-channel: along the last axis).
    """
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    # TFLite computes x * (1 << left) in int32; wrap like the C code does.
    xl = _wrap_int32(x << left)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(xl, multiplier), right)


def _wrap_int32(v: np.ndarray) -> np.ndarray:
    return ((np.asarray(v, dtype=np.int64) + 2**31) % 2**32) - 2**31


def activation_range(act: str, scale: float, zero_point: int, dtype: str = "int8"
                     ) -> tuple[int, int]:
    """Quantized clamp bounds of a fused activation (TFLite CalculateActivationRangeQuantized).

    TFLite divides in float32 (``TfLiteRound(f / scale)`` with float operands); a double
    division rounds differently when ``real / scale`` is within float32 epsilon of x.5.
    """
    info = np.iinfo(np.dtype(dtype))
    qmin, qmax = int(info.min), int(info.max)

    def q(real: float) -> int:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            r = float(np.float32(real) / np.float32(scale))
        # beyond the dtype's range the bound clamps to it anyway (TFLite's int cast of an
        # overflowing quotient is undefined; a NaN scale never gets here: IR validation)
        return zero_point + _round_half_away(min(max(r, -2.0**40), 2.0**40))

    if act == "none":
        return qmin, qmax
    if act == "relu":
        return max(qmin, q(0.0)), qmax
    if act == "relu6":
        return max(qmin, q(0.0)), min(qmax, q(6.0))
    if act == "relu_n1_to_1":
        return max(qmin, q(-1.0)), min(qmax, q(1.0))
    raise ValueError(f"unknown activation {act}")


# Integer multipliers of :func:`single_rounding_attrs` stay at most 2**SINGLE_MUL_BITS, so
# |int32 x| * mul + add < 2**62 (the requant kernel's int64 bound).
SINGLE_MUL_BITS = 30


def single_rounding_attrs(ratios, zero_point: int, lo: int, hi: int) -> dict:
    """``requant`` op attributes for ``y = clamp(round(x * ratios[c]) + zero_point, lo,
    hi)`` with ONE rounding (half up) of the exact product, as an ONNX QDQ graph's float
    arithmetic (DequantizeLinear, float op, QuantizeLinear) gives it.

    Each channel's ratio becomes ``mul / 2**shift`` with ``mul`` below 2**30 (relative error
    below 2**-30); TFLite's multiply-by-quantized-multiplier instead rounds twice (the high
    multiply, then the shift), off by up to half a unit of the shifted-out value.
    """
    r = np.atleast_1d(np.asarray(ratios, dtype=np.float64)).ravel()
    if not np.all(np.isfinite(r)) or np.any(r < 0) or np.any(r >= 2.0**SINGLE_MUL_BITS):
        raise UnsupportedError(f"requantization ratio out of range [0, 2**30): {r.max()!r}")
    # shift <= 61 keeps add = div / 2 <= 2**60 (tiny ratios: the output rounds to 0 anyway)
    shift = [min(61, max(0, SINGLE_MUL_BITS - math.frexp(float(v))[1])) for v in r]
    mul = [int(round(float(v) * 2.0**s)) for v, s in zip(r, shift)]
    div = [1 << s for s in shift]
    one = len(r) == 1
    return dict(mul=mul[0] if one else mul, add=div[0] // 2 if one else [d // 2 for d in div],
                div=div[0] if one else div, rounding="floor",
                clip=(lo - zero_point, hi - zero_point))
