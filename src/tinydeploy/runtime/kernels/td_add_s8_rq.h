/* td_add_s8_rq.h - weighted sum of two tensors with the requantization of integer-deployable graphs
 * (NEMO, QuantLab, Deeploy) fused in: int8_t input, int8_t output. Per output element
 *
 *   acc = (a + a_offset) * a_mult + (b + b_offset) * b_mult, as td_add_s8_s32
 *   out = td_requant_value(acc, rq_*[channel]) + rq_out_offset   (td_requant_common.h)
 *
 * which is td_requant_s32_s8 applied to the unfused kernel's output, without the int32
 * tensor (quant/golden/fused_requant.py). Each accumulator is requantized as soon as it
 * is complete, output elements in order: the output may slide over a dying input like
 * td_conv2d_s8's (memory/sliding.py).
 * a, b and the output have the same shape (no broadcasting); the requant channel
 * is the position along the last axis (element index modulo rq_channels).
 * Element i is written after a[i] and b[i] are read, so the output may overwrite
 * an input in place (pointers are not restrict).
 *
 * The code generator rejects layers whose worst-case |acc| exceeds INT32_MAX and bounds
 * the requant intermediates below 2^62 (quant/golden/_accumulate.py, requant.py).
 */
#ifndef TD_ADD_S8_RQ_H
#define TD_ADD_S8_RQ_H

#include <stddef.h>
#include <stdint.h>

#include "td_common.h"
#include "td_requant_common.h"

typedef struct {
    int32_t size;              /* elements */
    int32_t a_offset;          /* -zero point of a */
    int32_t b_offset;          /* -zero point of b */
    int32_t a_mult;
    int32_t b_mult;
    int32_t rq_channels;       /* length of rq_mul/rq_add/rq_div (output channels) */
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

/* The accumulator of one output element (bias included); shared by the td_add_s8_rq*
 * kernels, whose args structs are this one. */
static inline int32_t td_add_s8_rq_acc(const td_add_s8_rq_args_t *a, const int8_t *x, const int8_t *z, int32_t i)
{
    return ((int32_t)x[i] + a->a_offset) * a->a_mult + ((int32_t)z[i] + a->b_offset) * a->b_mult;
}

void td_add_s8_rq(const td_add_s8_rq_args_t *args, const int8_t *a_in,
                  const int8_t *b_in, int8_t *out);

#endif /* TD_ADD_S8_RQ_H */
