/* td_ihardswish_s8_rq.h - Deeploy's integer hard-swish (iHardswish) with the requantization of integer graphs fused in
 * (Deeploy's RequantizediHardswish): int8_t in, int8_t out. Per element
 *
 *   acc = x * (clip(x + three, 0, six) * one_over_six)
 *   out = td_requant_value(acc, rq_*[channel]) + rq_out_offset
 *
 * i.e. td_requant_s32_s8 applied to what td_ihardswish_s8_s32 writes, without the int32 tensor
 * (quant/golden/fused_requant.py); the channel of element i is i modulo rq_channels (the
 * last axis). Element i is written after it is read: the output may overwrite the input.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): those of td_ihardswish_s8_s32.h and of the requant
 * (td_requant_s32_*.h) on the rq_* members, rq_channels = channels; the output buffer holds
 * exactly size elements.
 */
#ifndef TD_IHARDSWISH_S8_RQ_H
#define TD_IHARDSWISH_S8_RQ_H

#include "../td_names.h"

#include <stdint.h>

#include "td_requant_common.h"

typedef struct {
    int32_t size;              /* elements */
    int32_t channels;          /* last axis */
    int32_t x_offset;          /* -zero point of the input */
    int32_t one_over_six;
    int32_t three;
    int32_t six;               /* >= 0 */
    int32_t rq_channels;       /* length of rq_mul/rq_add/rq_div (= channels) */
    int32_t rq_fp32;           /* bit 0: round x*mul, bit 1: round +add (float32) */
    int32_t rq_rounding;       /* 0 floor, 1 toward zero */
    int32_t rq_clip_lo;        /* clamp bounds before the zero point */
    int32_t rq_clip_hi;
    int32_t rq_out_offset;     /* zero point of the output */
    int64_t rq_mul2;
    const int64_t *rq_mul;
    const int64_t *rq_add;
    const int64_t *rq_div;     /* > 0 */
} td_ihardswish_s8_rq_args_t;

/* The int32 activation of one stored input value; shared by the td_ihardswish_s8_* kernels. */
static inline int32_t td_ihardswish_s8_acc(const td_ihardswish_s8_rq_args_t *p, int8_t stored)
{
    const int32_t x = (int32_t)stored + p->x_offset;
    int32_t t = x + p->three;
    t = t < 0 ? 0 : (t > p->six ? p->six : t);
    return x * (t * p->one_over_six);
}

static inline int64_t td_ihardswish_s8_rq_out(const td_ihardswish_s8_rq_args_t *p, int32_t acc, int32_t c)
{
    return td_requant_value(acc, p->rq_mul[c], p->rq_add[c], p->rq_mul2, p->rq_div[c],
                            p->rq_fp32, p->rq_rounding, p->rq_clip_lo, p->rq_clip_hi)
           + p->rq_out_offset;
}

void td_ihardswish_s8_rq(const td_ihardswish_s8_rq_args_t *args, const int8_t *in, int8_t *out);

#endif /* TD_IHARDSWISH_S8_RQ_H */
