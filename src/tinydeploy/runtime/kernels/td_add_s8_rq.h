/* td_add_s8_rq.h - weighted sum of two tensors with the requantization of
 * integer-deployable graphs (NEMO, QuantLab, Deeploy) fused in: int8_t input, int8_t output.
 * Per output element
 *
 *   acc = (a + a_offset) * a_mult + (b + b_offset) * b_mult
 *   out = td_requant_value(acc, rq_*[channel]) + rq_out_offset
 *
 * i.e. td_requant_s32_s8 (td_requant_common.h) applied to what td_add_s8_s32
 * writes, without the int32 tensor (quant/golden/fused_requant.py).
 * a, b and the output have one shape (no broadcasting); the requant channel of
 * element i is i modulo rq_channels (the last axis). Element i is written after
 * a[i] and b[i] are read, so the output may overwrite an input in place.
 *
 * The code generator rejects layers whose worst-case |acc| exceeds INT32_MAX and bounds
 * the requant intermediates below 2^62 (quant/golden/_accumulate.py, requant.py).
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * those of the accumulator kernel (td_add_s8_s32.h) and of the requant (td_requant_s32_*.h)
 * on the rq_* members, with rq_channels = a divisor of size (the requant arrays are indexed
 * by it); the output buffer holds exactly one output element per accumulator.
 */
#ifndef TD_ADD_S8_RQ_H
#define TD_ADD_S8_RQ_H

#include "../td_names.h"

#include <stdint.h>

#include "td_requant_common.h"

typedef struct {
    int32_t size;              /* elements */
    int32_t a_offset;          /* -zero point of a */
    int32_t b_offset;          /* -zero point of b */
    int32_t a_mult;
    int32_t b_mult;
    int32_t rq_channels;       /* length of rq_mul/rq_add/rq_div (last axis) */
    int32_t rq_fp32;           /* bit 0: round x*mul, bit 1: round +add (float32) */
    int32_t rq_rounding;       /* 0 floor, 1 toward zero */
    int32_t rq_clip_lo;        /* clamp bounds before the zero point */
    int32_t rq_clip_hi;
    int32_t rq_out_offset;     /* zero point of the output */
    int64_t rq_mul2;
    const int64_t *rq_mul;
    const int64_t *rq_add;
    const int64_t *rq_div;     /* > 0 */
} td_add_s8_rq_args_t;

/* The accumulator of one output element; shared by the td_add_s8_rq* kernels. */
static inline int32_t td_add_s8_rq_acc(const td_add_s8_rq_args_t *a, const int8_t *a_in,
                                       const int8_t *b_in, int32_t i)
{
    return ((int32_t)a_in[i] + a->a_offset) * a->a_mult
           + ((int32_t)b_in[i] + a->b_offset) * a->b_mult;
}

/* acc requantized with channel c's parameters, plus the output zero point (the value
 * stored, before the cast to the output type). */
static inline int64_t td_add_s8_rq_out(const td_add_s8_rq_args_t *a, int32_t acc, int32_t c)
{
    return td_requant_value(acc, a->rq_mul[c], a->rq_add[c], a->rq_mul2, a->rq_div[c],
                            a->rq_fp32, a->rq_rounding, a->rq_clip_lo, a->rq_clip_hi)
           + a->rq_out_offset;
}

void td_add_s8_rq(const td_add_s8_rq_args_t *args, const int8_t *a_in, const int8_t *b_in,
                  int8_t *out);

#endif /* TD_ADD_S8_RQ_H */
