/* td_common.h - shared integer helpers for tinydeploy kernels (C99, no libc beyond stdint).
 *
 * Requantization is bit-exact with TFLite's reference kernels (gemmlowp "double rounding"):
 *   y = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x << max(shift,0), mult),
 *                           max(-shift,0))
 * mult is a Q31 multiplier in [2^30, 2^31), shift > 0 means a left shift.
 *
 * Defined behaviour (what quant/preconditions.py holds every emitted argument to):
 * td_rdbpot needs 0 <= exponent <= 31 (1LL << exponent, x >> exponent); td_requant is
 * defined for every int32 x when 0 <= mult < 2^31 and -31 <= shift <= 31 (the left shift
 * is done in uint32_t, the right shift is td_rdbpot's), and its result lies in
 * [-(2^31 - 1), 2^31 - 1]. A kernel that adds to that result in int32_t needs a tighter
 * bound, checked per layer at compile time (requant_bound).
 */
#ifndef TD_COMMON_H
#define TD_COMMON_H

#include "../td_names.h"

#include <stdint.h>
#include <stddef.h>

#define TD_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TD_MAX(a, b) ((a) > (b) ? (a) : (b))

static inline int32_t td_clamp(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

static inline int32_t td_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    return (int32_t)((ab + nudge) / (1LL << 31));
}

static inline int32_t td_rdbpot(int32_t x, int exponent)
{
    int32_t mask = (int32_t)((1LL << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static inline int32_t td_requant(int32_t x, int32_t mult, int32_t shift)
{
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    /* TFLite multiplies by (1 << left) in int32; do it unsigned to keep the wrap defined. */
    int32_t xl = (int32_t)((uint32_t)x << left);
    return td_rdbpot(td_srdhm(xl, mult), right);
}

#endif /* TD_COMMON_H */
