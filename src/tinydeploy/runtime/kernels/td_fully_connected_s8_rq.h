/* td_fully_connected_s8_rq.h - fully connected layer with the requantization of
 * integer-deployable graphs (NEMO, QuantLab, Deeploy) fused in: int8_t input, int8_t output.
 * Per output element
 *
 *   acc = sum_i w[o, i] * (x[b, i] + input_offset) + bias[o]
 *   out = td_requant_value(acc, rq_*[channel]) + rq_out_offset
 *
 * i.e. td_requant_s32_s8 (td_requant_common.h) applied to what td_fully_connected_s8_s32
 * writes, without the int32 tensor (quant/golden/fused_requant.py).
 * Input [batches, in_features], weights [out_features, in_features], bias int32
 * [out_features] (or NULL), output [batches, out_features].
 *
 * The code generator rejects layers whose worst-case |acc| exceeds INT32_MAX and bounds
 * the requant intermediates below 2^62 (quant/golden/_accumulate.py, requant.py).
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * those of the accumulator kernel (td_fully_connected_s8_s32.h) and of the requant
 * (td_requant_s32_*.h) on the rq_* members, with rq_channels = out_features (the requant
 * arrays are indexed by it); the output buffer holds exactly one output element per
 * accumulator.
 */
#ifndef TD_FULLY_CONNECTED_S8_RQ_H
#define TD_FULLY_CONNECTED_S8_RQ_H

#include "../td_names.h"

#include <stddef.h>
#include <stdint.h>

#include "td_requant_common.h"

typedef struct {
    int32_t batches;
    int32_t in_features;
    int32_t out_features;
    int32_t input_offset;      /* -input zero point */
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
} td_fully_connected_s8_rq_args_t;

/* The accumulator of one output element; shared by the td_fully_connected_s8_rq* kernels. */
static inline int32_t td_fully_connected_s8_rq_acc(const td_fully_connected_s8_rq_args_t *a,
                                                   const int8_t *input, const int8_t *weight,
                                                   const int32_t *bias, int32_t b, int32_t o)
{
    const int8_t *x = input + b * a->in_features;
    const int8_t *w = weight + o * a->in_features;
    int32_t acc = bias != NULL ? bias[o] : 0;
    for (int32_t i = 0; i < a->in_features; ++i) {
        acc += (int32_t)w[i] * ((int32_t)x[i] + a->input_offset);
    }
    return acc;
}

/* acc requantized with channel c's parameters, plus the output zero point (the value
 * stored, before the cast to the output type). */
static inline int64_t td_fully_connected_s8_rq_out(const td_fully_connected_s8_rq_args_t *a,
                                                   int32_t acc, int32_t c)
{
    return td_requant_value(acc, a->rq_mul[c], a->rq_add[c], a->rq_mul2, a->rq_div[c],
                            a->rq_fp32, a->rq_rounding, a->rq_clip_lo, a->rq_clip_hi)
           + a->rq_out_offset;
}

void td_fully_connected_s8_rq(const td_fully_connected_s8_rq_args_t *args, const int8_t *input,
                              const int8_t *weight, const int32_t *bias, int8_t *output);

#endif /* TD_FULLY_CONNECTED_S8_RQ_H */
