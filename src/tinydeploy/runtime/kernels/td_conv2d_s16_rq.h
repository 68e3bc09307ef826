/* td_conv2d_s16_rq.h - 2-D convolution with the requantization of
 * integer-deployable graphs (NEMO, QuantLab, Deeploy) fused in: int16_t input, int16_t output.
 * Per output element
 *
 *   acc = sum w * (x + input_offset) + bias
 *   out = td_requant_value(acc, rq_*[channel]) + rq_out_offset
 *
 * i.e. td_requant_s32_s16 (td_requant_common.h) applied to what td_conv2d_s16_s32
 * writes, without the int32 tensor (quant/golden/fused_requant.py).
 * Layouts as td_conv2d_s8: input NHWC, weights OHWI [out_c, k_h, k_w,
 * in_c / groups], bias int32 [out_c] (or NULL), output NHWC. Padding taps are
 * skipped. Output pixels are written in order, each after its own reads, so the
 * output may slide over a dying input as td_conv2d_s8's (memory/sliding.py).
 *
 * The code generator rejects layers whose worst-case |acc| exceeds INT32_MAX and bounds
 * the requant intermediates below 2^62 (quant/golden/_accumulate.py, requant.py).
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * those of the accumulator kernel (td_conv2d_s16_s32.h) and of the requant
 * (td_requant_s32_*.h) on the rq_* members, with rq_channels = out_c (the requant arrays
 * are indexed by it); the output buffer holds exactly one output element per accumulator.
 */
#ifndef TD_CONV2D_S16_RQ_H
#define TD_CONV2D_S16_RQ_H

#include "../td_names.h"

#include <stddef.h>
#include <stdint.h>

#include "td_requant_common.h"

typedef struct {
    int32_t batches;
    int32_t in_h;
    int32_t in_w;
    int32_t in_c;
    int32_t out_h;
    int32_t out_w;
    int32_t out_c;
    int32_t k_h;
    int32_t k_w;
    int32_t groups;            /* in_c / filter depth */
    int32_t stride_h;
    int32_t stride_w;
    int32_t dilation_h;
    int32_t dilation_w;
    int32_t pad_top;
    int32_t pad_left;
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
} td_conv2d_s16_rq_args_t;

/* The accumulator of one output element; shared by the td_conv2d_s16_rq* kernels. */
static inline int32_t td_conv2d_s16_rq_acc(const td_conv2d_s16_rq_args_t *a, const int16_t *input,
                                           const int8_t *weight, const int32_t *bias, int32_t b,
                                           int32_t oy, int32_t ox, int32_t oc)
{
    const int32_t group_c = a->in_c / a->groups;
    const int32_t c0 = (oc / (a->out_c / a->groups)) * group_c;
    int32_t acc = bias != NULL ? bias[oc] : 0;
    for (int32_t ky = 0; ky < a->k_h; ++ky) {
        const int32_t iy = oy * a->stride_h - a->pad_top + ky * a->dilation_h;
        if (iy < 0 || iy >= a->in_h) continue;
        for (int32_t kx = 0; kx < a->k_w; ++kx) {
            const int32_t ix = ox * a->stride_w - a->pad_left + kx * a->dilation_w;
            if (ix < 0 || ix >= a->in_w) continue;
            const int16_t *x = input + ((b * a->in_h + iy) * a->in_w + ix) * a->in_c + c0;
            const int8_t *w = weight + ((oc * a->k_h + ky) * a->k_w + kx) * group_c;
            for (int32_t c = 0; c < group_c; ++c) {
                acc += (int32_t)w[c] * ((int32_t)x[c] + a->input_offset);
            }
        }
    }
    return acc;
}

/* acc requantized with channel c's parameters, plus the output zero point (the value
 * stored, before the cast to the output type). */
static inline int64_t td_conv2d_s16_rq_out(const td_conv2d_s16_rq_args_t *a, int32_t acc,
                                           int32_t c)
{
    return td_requant_value(acc, a->rq_mul[c], a->rq_add[c], a->rq_mul2, a->rq_div[c],
                            a->rq_fp32, a->rq_rounding, a->rq_clip_lo, a->rq_clip_hi)
           + a->rq_out_offset;
}

void td_conv2d_s16_rq(const td_conv2d_s16_rq_args_t *args, const int16_t *input,
                      const int8_t *weight, const int32_t *bias, int16_t *output);

#endif /* TD_CONV2D_S16_RQ_H */
