/* td_igelu_s8_rq.h - the I-BERT integer GELU of Deeploy (iGELU) with the requantization of integer graphs fused in
 * (Deeploy's RequantizediGELU): int8_t in, int8_t out. Per element
 *
 *   d = min(|x|, -b) + b;   L = sign(x) * (one - d * d)
 *   acc = x * ((one + L) >> 1)        (the shift floors)
 *   out = td_requant_value(acc, rq_*[channel]) + rq_out_offset
 *
 * i.e. td_requant_s32_s8 applied to what td_igelu_s8_s32 writes, without the int32 tensor
 * (quant/golden/fused_requant.py); the channel of element i is i modulo rq_channels (the
 * last axis). Element i is written after it is read: the output may overwrite the input.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): those of td_igelu_s8_s32.h and of the requant
 * (td_requant_s32_*.h) on the rq_* members, rq_channels = channels; the output buffer holds
 * exactly size elements.
 */
#ifndef TD_IGELU_S8_RQ_H
#define TD_IGELU_S8_RQ_H

#include "../td_names.h"

#include <stdint.h>

#include "td_requant_common.h"

typedef struct {
    int32_t size;              /* elements */
    int32_t channels;          /* last axis */
    int32_t x_offset;          /* -zero point of the input */
    int32_t b;                 /* <= 0 */
    int32_t one;
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
} td_igelu_s8_rq_args_t;

/* The int32 activation of one stored input value; shared by the td_igelu_s8_* kernels. */
static inline int32_t td_igelu_s8_acc(const td_igelu_s8_rq_args_t *p, int8_t stored)
{
    const int32_t x = (int32_t)stored + p->x_offset;
    const int32_t ax = x < 0 ? -x : x;
    const int32_t d = (ax < -p->b ? ax : -p->b) + p->b;
    const int32_t sign = (x > 0) - (x < 0);
    const int32_t s = p->one + sign * (p->one - d * d);      /* one + L */
    const int32_t half = s >= 0 ? s >> 1 : -((-s + 1) >> 1);  /* floor(s / 2) */
    return x * half;
}

static inline int64_t td_igelu_s8_rq_out(const td_igelu_s8_rq_args_t *p, int32_t acc, int32_t c)
{
    return td_requant_value(acc, p->rq_mul[c], p->rq_add[c], p->rq_mul2, p->rq_div[c],
                            p->rq_fp32, p->rq_rounding, p->rq_clip_lo, p->rq_clip_hi)
           + p->rq_out_offset;
}

void td_igelu_s8_rq(const td_igelu_s8_rq_args_t *args, const int8_t *in, int8_t *out);

#endif /* TD_IGELU_S8_RQ_H */
