/* td_requant_common.h - the integer requantization of integer-deployable graphs (NEMO,
 * QuantLab, Deeploy), shared by td_requant_s32_{s8,s16,s32} and the kernels that fuse it
 * into their accumulator (td_*_rq: conv2d, depthwise_conv2d, fully_connected, add,
 * sum_pool2d), so both give the same bits.
 *
 *   s = x * mul          rounded to float32 precision if fp32 & 1
 *   s = s + add          rounded to float32 precision if fp32 & 2
 *   q = div_round(s * mul2, div)       floor (rounding 0) or toward zero (rounding 1)
 *   y = clamp(q, clip_lo, clip_hi) + out_offset
 *
 * int64 throughout; the code generator bounds every intermediate below 2^62
 * (quant/golden/requant.py), so nothing here overflows.
 *
 * Preconditions of td_requant_value (checked again for every emitted struct by
 * quant/preconditions.py): div > 0; lo <= hi; (|x| * |mul| + |add|) * max(|mul2|, 1) < 2^62
 * over the input range.
 */
#ifndef TD_REQUANT_COMMON_H
#define TD_REQUANT_COMMON_H

#include "../td_names.h"

#include <stdint.h>

/* The integer nearest to v that a float32 can hold: keep the 24 most significant bits of
 * |v|, round the dropped bits to nearest, ties to an even significand (IEEE
 * round-to-nearest-even, what a float32 multiply or add of two integers gives). */
static inline int64_t td_round_f32(int64_t v)
{
    uint64_t a = v < 0 ? 0u - (uint64_t)v : (uint64_t)v;
    int sh = 0;
    while ((a >> sh) >= (UINT64_C(1) << 24)) sh++;
    if (sh == 0) return v;
    uint64_t q = a >> sh;
    const uint64_t rem = a & ((UINT64_C(1) << sh) - 1u);
    const uint64_t half = UINT64_C(1) << (sh - 1);
    if (rem > half || (rem == half && (q & 1u))) q++;
    a = q << sh;
    return v < 0 ? -(int64_t)a : (int64_t)a;
}

/* v / d for d > 0, rounded toward minus infinity (rounding 0) or toward zero (1). */
static inline int64_t td_div_round(int64_t v, int64_t d, int32_t rounding)
{
    int64_t q = v / d;                       /* C division truncates */
    if (rounding == 0 && v % d != 0 && v < 0) q -= 1;
    return q;
}

static inline int64_t td_requant_value(int32_t x, int64_t mul, int64_t add, int64_t mul2,
                                       int64_t div, int32_t fp32, int32_t rounding,
                                       int32_t lo, int32_t hi)
{
    int64_t s = (int64_t)x * mul;
    if (fp32 & 1) s = td_round_f32(s);
    s += add;
    if (fp32 & 2) s = td_round_f32(s);
    int64_t q = td_div_round(s * mul2, div, rounding);
    return q < lo ? lo : (q > hi ? hi : q);
}

#endif /* TD_REQUANT_COMMON_H */
