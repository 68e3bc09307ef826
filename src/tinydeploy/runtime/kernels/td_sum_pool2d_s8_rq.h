/* td_sum_pool2d_s8_rq.h - window sum (an average pool's integer part) with the requantization of
 * integer-deployable graphs (NEMO, QuantLab, Deeploy) fused in: int8_t input, int8_t output.
 * Per output element
 *
 *   acc = sum (x + input_offset) over the window elements inside the input
 *   out = td_requant_value(acc, rq_*[channel]) + rq_out_offset
 *
 * i.e. td_requant_s32_s8 (td_requant_common.h) applied to what td_sum_pool2d_s8_s32
 * writes, without the int32 tensor (quant/golden/fused_requant.py).
 * Input and output NHWC; padding is never read.
 *
 * The code generator rejects layers whose worst-case |acc| exceeds INT32_MAX and bounds
 * the requant intermediates below 2^62 (quant/golden/_accumulate.py, requant.py).
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * those of the accumulator kernel (td_sum_pool2d_s8_s32.h) and of the requant
 * (td_requant_s32_*.h) on the rq_* members, with rq_channels = channels (the requant arrays
 * are indexed by it); the output buffer holds exactly one output element per accumulator.
 */
#ifndef TD_SUM_POOL2D_S8_RQ_H
#define TD_SUM_POOL2D_S8_RQ_H

#include "../td_names.h"

#include <stdint.h>

#include "td_common.h"
#include "td_requant_common.h"

typedef struct {
    int32_t batches;
    int32_t in_h;
    int32_t in_w;
    int32_t channels;
    int32_t out_h;
    int32_t out_w;
    int32_t kernel_h;
    int32_t kernel_w;
    int32_t stride_h;
    int32_t stride_w;
    int32_t pad_top;
    int32_t pad_left;
    int32_t act_min;           /* unused (pooling geometry) */
    int32_t act_max;           /* unused */
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
} td_sum_pool2d_s8_rq_args_t;

/* The accumulator of one output element; shared by the td_sum_pool2d_s8_rq* kernels. */
static inline int32_t td_sum_pool2d_s8_rq_acc(const td_sum_pool2d_s8_rq_args_t *a,
                                              const int8_t *input, int32_t b, int32_t oy,
                                              int32_t ox, int32_t ch)
{
    const int32_t y_org = oy * a->stride_h - a->pad_top;
    const int32_t x_org = ox * a->stride_w - a->pad_left;
    const int32_t y0 = TD_MAX(0, y_org), y1 = TD_MIN(a->in_h, y_org + a->kernel_h);
    const int32_t x0 = TD_MAX(0, x_org), x1 = TD_MIN(a->in_w, x_org + a->kernel_w);
    int32_t acc = 0;
    for (int32_t y = y0; y < y1; ++y) {
        for (int32_t x = x0; x < x1; ++x) {
            acc += input[((b * a->in_h + y) * a->in_w + x) * a->channels + ch]
                   + a->input_offset;
        }
    }
    return acc;
}

/* acc requantized with channel c's parameters, plus the output zero point (the value
 * stored, before the cast to the output type). */
static inline int64_t td_sum_pool2d_s8_rq_out(const td_sum_pool2d_s8_rq_args_t *a, int32_t acc,
                                              int32_t c)
{
    return td_requant_value(acc, a->rq_mul[c], a->rq_add[c], a->rq_mul2, a->rq_div[c],
                            a->rq_fp32, a->rq_rounding, a->rq_clip_lo, a->rq_clip_hi)
           + a->rq_out_offset;
}

void td_sum_pool2d_s8_rq(const td_sum_pool2d_s8_rq_args_t *args, const int8_t *input,
                         int8_t *output);

#endif /* TD_SUM_POOL2D_S8_RQ_H */
