/* td_fixedpoint.h - gemmlowp fixed-point math (int32 raw values), bit-exact with the
 * scalar code TFLite's int8 softmax, logistic and tanh use.
 *
 * A Qk value is a raw int32 r meaning r / 2^(31-k): k integer bits, Q0 is [-1, 1).
 * The product of a Qa and a Qb value is Q(a+b) (td_srdhm of the raws). The Python twin
 * (quant/golden/_fixedpoint.py) documents each step; the constants are gemmlowp's.
 * All intermediate values stay in int32 range for the arguments the kernels pass.
 * Preconditions: td_fp_mul_pot needs -32 < e < 32; td_fp_reciprocal needs x > 0 (its
 * callers guarantee it: softmax's row maximum always contributes, diff_min <= 0).
 */
#ifndef TD_FIXEDPOINT_H
#define TD_FIXEDPOINT_H

#include "../td_names.h"

#include <stdint.h>

#include "td_common.h"

/* x * 2^e for -32 < e < 32: saturating left shift (e > 0) or rounding right shift (e < 0). */
static inline int32_t td_fp_mul_pot(int32_t x, int e)
{
    if (e < 0) return td_rdbpot(x, -e);
    if (e == 0) return x;
    const int32_t threshold = (int32_t)((1LL << (31 - e)) - 1);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return (int32_t)((uint32_t)x << e);     /* in range: the shift loses no bits */
}

/* (a + b) / 2, rounded half away from zero. */
static inline int32_t td_fp_rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* exp(a) for a Q0 a in [-1/4, 0): Taylor expansion around -1/8. */
static inline int32_t td_fp_exp_quarter(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668;
    const int32_t one_third = 715827883;
    const int32_t x = a + (1 << 28);
    const int32_t x2 = td_srdhm(x, x);
    const int32_t x3 = td_srdhm(x2, x);
    const int32_t x4 = td_srdhm(x2, x2);
    const int32_t x4_over_4 = td_rdbpot(x4, 2);
    const int32_t poly = td_rdbpot(td_srdhm(x4_over_4 + x3, one_third) + x2, 1);
    return exp_minus_one_eighth + td_srdhm(exp_minus_one_eighth, x + poly);
}

/* exp(a) as Q0 for a Q(int_bits) value a <= 0. */
static inline int32_t td_fp_exp_on_negative_values(int32_t a, int int_bits)
{
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308,
                                      39332535, 720401, 242};   /* exp(-2^e), e = -2..4 */
    const int frac_bits = 31 - int_bits;
    const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
    const int32_t a_mod_quarter_minus_quarter = (a & (one_quarter - 1)) - one_quarter;
    const int32_t remainder = a_mod_quarter_minus_quarter - a;
    int32_t result = td_fp_exp_quarter(td_fp_mul_pot(a_mod_quarter_minus_quarter, int_bits));
    for (int e = -2; e <= 4; ++e) {
        if (int_bits > e && ((remainder >> (frac_bits + e)) & 1)) {
            result = td_srdhm(result, barrel[e + 2]);
        }
    }
    if (int_bits > 5 && a < -((int32_t)1 << (36 - int_bits))) result = 0;
    return a == 0 ? INT32_MAX : result;
}

/* Q2 Newton-Raphson approximation of 1 / ((1 + a) / 2) for a Q0 a in [0, 1). */
static inline int32_t td_fp_newton_reciprocal(int32_t a)
{
    const int32_t half_denominator = td_fp_rounding_half_sum(a, INT32_MAX);
    int32_t x = 1515870810 + td_srdhm(half_denominator, -1010580540);   /* 48/17 - 32/17 d */
    for (int i = 0; i < 3; ++i) {
        const int32_t one_minus_dx = (1 << 29) - td_srdhm(half_denominator, x);
        x = x + td_fp_mul_pot(td_srdhm(x, one_minus_dx), 2);
    }
    return x;
}

/* 1 / (1 + a) as Q0 for a Q0 a in [0, 1). */
static inline int32_t td_fp_one_over_one_plus_x(int32_t a)
{
    return td_fp_mul_pot(td_fp_newton_reciprocal(a), 1);
}

/* (1 - a) / (1 + a) as Q0 for a Q0 a in [0, 1). */
static inline int32_t td_fp_one_minus_x_over_one_plus_x(int32_t a)
{
    return td_fp_mul_pot(td_fp_newton_reciprocal(a) - (1 << 29), 2);
}

/* 1 / (1 + exp(-a)) as Q0 for a Q(int_bits) value a. */
static inline int32_t td_fp_logistic(int32_t a, int int_bits)
{
    if (a == 0) return 1 << 30;
    const int32_t abs_a = a > 0 ? a : -a;
    const int32_t if_positive =
        td_fp_one_over_one_plus_x(td_fp_exp_on_negative_values(-abs_a, int_bits));
    return a > 0 ? if_positive : INT32_MAX - if_positive;
}

/* tanh(a) as Q0 for a Q(int_bits) value a. */
static inline int32_t td_fp_tanh(int32_t a, int int_bits)
{
    if (a == 0) return 0;
    const int32_t n = a < 0 ? a : -a;   /* -|a|, read with one more integer bit: -2|a| */
    const int32_t t =
        td_fp_one_minus_x_over_one_plus_x(td_fp_exp_on_negative_values(n, int_bits + 1));
    return a < 0 ? -t : t;
}

static inline int td_fp_clz32(uint32_t x)
{
    int n = 0;
    if (x == 0) return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
}

/* 1/x for a positive Q(x_int_bits) x: returns a Q0 scale, 1/x = scale * 2^-bits_over_unit. */
static inline int32_t td_fp_reciprocal(int32_t x, int x_int_bits, int *bits_over_unit)
{
    const int headroom_plus_one = td_fp_clz32((uint32_t)x);
    *bits_over_unit = x_int_bits - headroom_plus_one;
    const int32_t shifted_minus_one =
        (int32_t)(((uint32_t)x << headroom_plus_one) - ((uint32_t)1 << 31));
    return td_fp_one_over_one_plus_x(shifted_minus_one);
}

#endif /* TD_FIXEDPOINT_H */
