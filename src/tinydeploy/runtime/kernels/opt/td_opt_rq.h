/* td_opt_rq.h - the requantization of integer-deployable graphs (NEMO, QuantLab,
 * Deeploy) in the optimized kernels, per channel in its narrowest exact form.
 *
 * The reference (td_requant_common.h) computes, in int64 with a division,
 *     y = clamp(div_round((x * mul [f32]) + add [f32]) * mul2, div), lo, hi) + zero point.
 * Python (quant/opt/_pulp_rq.py) proves for each channel, over every accumulator the layer
 * can produce, which cheaper form gives the same value, and stores it in the channel's
 * descriptor d (TD_OPT_CH words; words 0-1 belong to the kernel):
 *   d[2] = TD_RQ_S32: v = (acc * M + B) >> S in int32 (M = mul * mul2 and B = add * mul2
 *          reduced by their common power of two; a power-of-two divisor is the shift);
 *   d[2] = TD_RQ_S64: v = ((int64) acc * M + B) >> S (B = d[4] | d[5] << 32);
 *   d[2] = TD_RQ_GEN: td_requant_value with the int64 tables (float32 rounding that can
 *          change a result, a divisor that is no power of two, rounding toward zero below
 *          a negative clamp), entry d[9];
 *   d[2] = TD_RQ_RAW: no requantization (raw int32 sums);
 *   d[2] = TD_RQ_F32G: float32 rounding flags with a power-of-two divisor 2^S: the
 *          quotient of u = (acc * mul + add) * mul2 computed without the rounding, which
 *          is exact unless u lies within G = d[10] of a multiple of 2^S (the rounding's
 *          largest effect, Python's bound); then td_requant_value decides (entry d[9]).
 *          mul = d[3], add = d[4] | d[5] << 32;
 *   d[2] = TD_RQ_DIV: any other divisor D = d[5] (< 2^31) with n = acc * M + B in int32
 *          (M = d[3], B = d[4]): |n| / D from one mulhu by R = floor(2^32 / D) = d[10]
 *          (too small by at most one: one correction), then floor or toward zero.
 * d[3] = M, d[6] = S; d[7], d[8]: clamp thresholds on the accumulator (S32, S64 with
 * M >= 0; else INT32_MIN/INT32_MAX): below d[7] the output is lo, from d[8] on it is hi.
 */
#ifndef TD_OPT_RQ_H
#define TD_OPT_RQ_H

#include "../../td_names.h"

#include <stdint.h>

#include "../td_requant_common.h"
#include "td_opt_common.h"

#define TD_RQ_S32 0
#define TD_RQ_S64 1
#define TD_RQ_GEN 2
#define TD_RQ_RAW 3
#define TD_RQ_F32G 4
#define TD_RQ_DIV 5

/* The forms td_opt_rq_any handles in this translation unit, bit f for form f: a kernel
 * whose layers' forms Python knows defines it before it includes this header (from
 * td_opt_config.h), so the code of the others is left out (a descriptor of a form left
 * out would give acc, as TD_RQ_RAW: Python never makes one); by default all. */
#ifndef TD_RQ_FORMS_IN
#define TD_RQ_FORMS_IN 0x3f
#endif
#define TD_RQ_IN(f) ((TD_RQ_FORMS_IN >> (f)) & 1)
#define TD_RQ_CLAMPS (TD_RQ_IN(TD_RQ_S32) | TD_RQ_IN(TD_RQ_S64) | TD_RQ_IN(TD_RQ_F32G)      \
                      | TD_RQ_IN(TD_RQ_DIV))      /* forms ending in the common clamp */

/* The layer's part of the requantization (from its args struct). */
typedef struct {
    int32_t esize;             /* output element bytes: 1, 2 or 4 */
    int32_t lo, hi;            /* clamp bounds before the zero point */
    int32_t off;               /* output zero point */
    int32_t fp32, rounding;    /* TD_RQ_GEN: as td_requant_value */
    int64_t mul2;
    const int64_t *gmul, *gadd, *gdiv;    /* TD_RQ_GEN channels' tables */
} td_opt_rqp_t;

/* The reference requantization (TD_RQ_GEN), zero point included. */
static inline int32_t td_opt_rq_gen(int32_t acc, const int32_t *d, const td_opt_rqp_t *q)
{
    return (int32_t)td_requant_value(acc, q->gmul[d[9]], q->gadd[d[9]], q->mul2, q->gdiv[d[9]],
                                     q->fp32, q->rounding, q->lo, q->hi) + q->off;
}

/* TD_RQ_DIV before the clamp: n = acc * m + b (int32), its quotient by dd (r = 2^32 / dd)
 * rounded down (rounding 0) or toward zero (1). */
static inline int32_t td_opt_rq_div(int32_t acc, uint32_t m, uint32_t b, uint32_t dd,
                                    uint32_t r, int32_t rounding)
{
    const int32_t n = (int32_t)((uint32_t)acc * m + b);
    const uint32_t u = n < 0 ? 0u - (uint32_t)n : (uint32_t)n;
    uint32_t qq = (uint32_t)(((uint64_t)u * r) >> 32), rem = u - qq * dd;
    int32_t v;
    if (rem >= dd) {
        qq += 1;
        rem -= dd;
    }
    v = (int32_t)qq;
    if (n < 0) v = -v - (rounding == 0 && rem != 0);
    return v;
}

/* The stored value (zero point included) of accumulator acc with descriptor d. */
static inline int32_t td_opt_rq_any(int32_t acc, const int32_t *d, const td_opt_rqp_t *q)
{
#if TD_RQ_CLAMPS
    int32_t v;
#endif
    switch (d[2]) {
#if TD_RQ_IN(TD_RQ_S32)
    case TD_RQ_S32:
        if (acc < d[7]) return q->lo + q->off;
        if (acc >= d[8]) return q->hi + q->off;
        v = (int32_t)((uint32_t)acc * (uint32_t)d[3] + (uint32_t)d[4]) >> d[6];
        break;
#endif
#if TD_RQ_IN(TD_RQ_S64)
    case TD_RQ_S64: {
        const int64_t b = (int64_t)(((uint64_t)(uint32_t)d[5] << 32) | (uint32_t)d[4]);
        if (acc < d[7]) return q->lo + q->off;
        if (acc >= d[8]) return q->hi + q->off;
        v = (int32_t)(((int64_t)acc * d[3] + b) >> d[6]);
        break;
    }
#endif
#if TD_RQ_IN(TD_RQ_F32G)
    case TD_RQ_F32G: {
        const int64_t add = (int64_t)(((uint64_t)(uint32_t)d[5] << 32) | (uint32_t)d[4]);
        const int64_t u = ((int64_t)acc * d[3] + add) * q->mul2;
        const int64_t one = (int64_t)1 << d[6], r = u & (one - 1);
        if (acc < d[7]) return q->lo + q->off;
        if (acc >= d[8]) return q->hi + q->off;
        if (r >= d[10] && r < one - d[10]) {
            v = (int32_t)(u >> d[6]) + (q->rounding == 1 && u < 0 && r != 0);
            break;
        }
        return td_opt_rq_gen(acc, d, q);      /* within the rounding's reach of a boundary */
    }
#endif
#if TD_RQ_IN(TD_RQ_DIV)
    case TD_RQ_DIV:
        if (acc < d[7]) return q->lo + q->off;
        if (acc >= d[8]) return q->hi + q->off;
        v = td_opt_rq_div(acc, (uint32_t)d[3], (uint32_t)d[4], (uint32_t)d[5],
                          (uint32_t)d[10], q->rounding);
        break;
#endif
#if TD_RQ_IN(TD_RQ_GEN)
    case TD_RQ_GEN:
        return td_opt_rq_gen(acc, d, q);
#endif
    default:
        return acc;
    }
#if TD_RQ_CLAMPS
    v = v < q->lo ? q->lo : (v > q->hi ? q->hi : v);
    return v + q->off;
#else
    (void)q;
    return acc;
#endif
}

/* Store v as the layer's output type at y (byte address). */
static inline void td_opt_store_any(void *y, int32_t esize, int32_t v)
{
    if (esize == 1) *(int8_t *)y = (int8_t)v;
    else if (esize == 2) *(int16_t *)y = (int16_t)v;
    else *(int32_t *)y = v;
}

#endif /* TD_OPT_RQ_H */
