/* td_fully_connected_s8_rq.h - fully connected layer with the requantization of integer-deployable graphs
 * (NEMO, QuantLab, Deeploy) fused in: int8_t input, int8_t output. Per output element
 *
 *   acc = sum_i w[o, i] * (x[b, i] + input_offset) + bias[o], as td_fully_connected_s8_s32
 *   out = td_requant_value(acc, rq_*[channel]) + rq_out_offset   (td_requant_common.h)
 *
 * which is td_requant_s32_s8 applied to the unfused kernel's output, without the int32
 * tensor (quant/golden/fused_requant.py). Each accumulator is requantized as soon as it
 * is complete, output elements in order: the output may slide over a dying input like
 * td_conv2d_s8's (memory/sliding.py).
 * Input [batches, in_features], weights [out_features, in_features], bias int32
 * [out_features] (or NULL), output [batches, out_features].
 *
 * The code generator rejects layers whose worst-case |acc| exceeds INT32_MAX and bounds
 * the requant intermediates below 2^62 (quant/golden/_accumulate.py, requant.py).
 */
#ifndef TD_FULLY_CONNECTED_S8_RQ_H
#define TD_FULLY_CONNECTED_S8_RQ_H

#include <stddef.h>
#include <stdint.h>

#include "td_common.h"
#include "td_requant_common.h"

typedef struct {
    int32_t batches;
    int32_t in_features;
    int32_t out_features;
    int32_t input_offset;      /* -input zero point */
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
} td_fully_connected_s8_rq_args_t;

/* The accumulator of one output element (bias included); shared by the td_fully_connected_s8_rq*
 * kernels, whose args structs are this one. */
static inline int32_t td_fully_connected_s8_rq_acc(const td_fully_connected_s8_rq_args_t *a, const int8_t *input, const int8_t *weight,
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

void td_fully_connected_s8_rq(const td_fully_connected_s8_rq_args_t *args, const int8_t *input,
                              const int8_t *weight, const int32_t *bias, int8_t *output);

#endif /* TD_FULLY_CONNECTED_S8_RQ_H */
