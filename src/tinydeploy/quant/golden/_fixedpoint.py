"""gemmlowp fixed-point math on int32 values (vectorized numpy int64), as TFLite uses it.

A ``Qk`` value is a raw int32 ``r`` meaning ``r / 2**(31 - k)`` (k integer bits, k = 0 is
Q0.31 in [-1, 1)). Products of Qa and Qb values are Q(a+b) (a saturating rounding doubling
high multiply of the raws). These functions reproduce gemmlowp's ``fixedpoint.h`` scalar
code bit for bit: the exp, 1/(1+x) and (1-x)/(1+x) approximations behind TFLite's int8
softmax, logistic and tanh. The C twin is ``runtime/kernels/td_fixedpoint.h``.

Every function takes and returns int64 arrays holding int32 values.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.requant import (
    INT32_MAX,
    INT32_MIN,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul as srdhm,
)

__all__ = ["srdhm", "rounding_divide_by_pot", "saturating_rounding_mul_by_pot", "rescale",
           "exp_on_negative_values", "one_over_one_plus_x_for_x_in_0_1",
           "one_minus_x_over_one_plus_x_for_x_in_0_1", "logistic", "tanh", "get_reciprocal"]

# Raw Q0.31 constants of gemmlowp (exp(-1/8), 1/3, and exp(-2**e) for the barrel shifter).
EXP_MINUS_ONE_EIGHTH = 1895147668
ONE_THIRD = 715827883
EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
              (2, 39332535), (3, 720401), (4, 242))
# Q2.29 constants of the Newton-Raphson division: 48/17 and -32/17.
C48_OVER_17 = 1515870810
CNEG32_OVER_17 = -1010580540


def _i64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int64)


def saturating_rounding_mul_by_pot(x, exponent: int) -> np.ndarray:
    """x * 2**exponent: saturating left shift (exponent > 0) or rounding right shift."""
    x = _i64(x)
    if exponent == 0:
        return x
    if exponent < 0:
        return rounding_divide_by_pot(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    return np.where(x > threshold, INT32_MAX, np.where(x < -threshold, INT32_MIN,
                                                       x << exponent))


def rescale(x, src_bits: int, dst_bits: int) -> np.ndarray:
    """gemmlowp Rescale<dst_bits> of a Q(src_bits) value."""
    return saturating_rounding_mul_by_pot(x, src_bits - dst_bits)


def rounding_half_sum(a, b) -> np.ndarray:
    """(a + b) / 2 rounded half away from zero (gemmlowp RoundingHalfSum, int32)."""
    s = _i64(a) + _i64(b)
    t = s + np.where(s >= 0, 1, -1)
    return np.where(t >= 0, t // 2, -((-t) // 2))   # C division truncates toward zero


def _exp_on_interval_minus_quarter_to_0(a) -> np.ndarray:
    """exp(a) for a Q0.31 ``a`` in [-1/4, 0): Taylor expansion around -1/8."""
    x = _i64(a) + (1 << 28)
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = rounding_divide_by_pot(x4, 2)
    poly = rounding_divide_by_pot(srdhm(x4_over_4 + x3, ONE_THIRD) + x2, 1)
    return EXP_MINUS_ONE_EIGHTH + srdhm(EXP_MINUS_ONE_EIGHTH, x + poly)


def exp_on_negative_values(a, int_bits: int) -> np.ndarray:
    """exp(a) as Q0.31 for a Q(int_bits) ``a`` <= 0 (gemmlowp exp_on_negative_values)."""
    a = _i64(a)
    frac_bits = 31 - int_bits
    one_quarter = 1 << (frac_bits - 2)
    a_mod_quarter_minus_quarter = (a & (one_quarter - 1)) - one_quarter
    result = _exp_on_interval_minus_quarter_to_0(
        rescale(a_mod_quarter_minus_quarter, int_bits, 0))
    remainder = a_mod_quarter_minus_quarter - a
    for exponent, multiplier in EXP_BARREL:
        if int_bits > exponent:
            bit = (remainder >> (frac_bits + exponent)) & 1
            result = np.where(bit == 1, srdhm(result, multiplier), result)
    if int_bits > 5:
        result = np.where(a < -(1 << (36 - int_bits)), 0, result)
    return np.where(a == 0, INT32_MAX, result)


def _newton_reciprocal_q2(a) -> np.ndarray:
    """Q2.29 approximation of 1 / ((1 + a) / 2) for a Q0.31 ``a`` in [0, 1)."""
    half_denominator = rounding_half_sum(a, INT32_MAX)
    one_q2 = 1 << 29
    x = C48_OVER_17 + srdhm(half_denominator, CNEG32_OVER_17)
    for _ in range(3):
        one_minus_hd_x = one_q2 - srdhm(half_denominator, x)
        x = x + rescale(srdhm(x, one_minus_hd_x), 4, 2)
    return x


def one_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    """1 / (1 + a) as Q0.31 for a Q0.31 ``a`` in [0, 1)."""
    return rescale(_newton_reciprocal_q2(a), 1, 0)    # ExactMulByPot<-1>: Q2 -> Q1, same raw


def one_minus_x_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    """(1 - a) / (1 + a) as Q0.31 for a Q0.31 ``a`` in [0, 1)."""
    return rescale(_newton_reciprocal_q2(a) - (1 << 29), 2, 0)


def logistic(a, int_bits: int) -> np.ndarray:
    """1 / (1 + exp(-a)) as Q0.31 for a Q(int_bits) ``a`` (gemmlowp logistic)."""
    a = _i64(a)
    positive = a > 0
    abs_a = np.where(positive, a, -a)
    if_positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(-abs_a, int_bits))
    if_negative = INT32_MAX - if_positive
    return np.where(a == 0, 1 << 30, np.where(positive, if_positive, if_negative))


def tanh(a, int_bits: int) -> np.ndarray:
    """tanh(a) as Q0.31 for a Q(int_bits) ``a`` (gemmlowp tanh)."""
    a = _i64(a)
    negative = a < 0
    n = np.where(negative, a, -a)      # -|a|
    # ExactMulByPot<1>: the raw of n read with one more integer bit is 2 * n.
    t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(n, int_bits + 1))
    return np.where(a == 0, 0, np.where(negative, -t, t))


def count_leading_zeros_u32(x) -> np.ndarray:
    """Leading zero bits of ``x`` read as uint32 (32 for 0)."""
    u = _i64(x) & 0xFFFFFFFF
    n = np.zeros(u.shape, dtype=np.int64)
    for bits in (16, 8, 4, 2, 1):
        small = u < (1 << (32 - bits))
        n = n + np.where(small, bits, 0)
        u = np.where(small, u << bits, u)
    return n + (u == 0)


def get_reciprocal(x, x_int_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """TFLite GetReciprocal: (Q0.31 scale, num_bits_over_unit) with 1/x ~ scale * 2**-bits.

    ``x`` is a positive Q(x_int_bits) value.
    """
    x = _i64(x)
    headroom_plus_one = count_leading_zeros_u32(x)
    num_bits_over_unit = x_int_bits - headroom_plus_one
    shifted = ((x << headroom_plus_one) & 0xFFFFFFFF) - (1 << 31)
    return one_over_one_plus_x_for_x_in_0_1(shifted), num_bits_over_unit
