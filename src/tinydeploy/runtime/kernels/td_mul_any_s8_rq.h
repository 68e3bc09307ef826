/* td_mul_any_s8_rq.h - the raw integer product (Deeploy's Mul of two activations) of two tensors of any
 * integer width with numpy broadcasting, with the requantization of integer graphs fused
 * in: int8_t out. Per output element i (row-major over the merged output dims)
 *
 *   acc = (a + a_offset) * (b + b_offset)
 *   out = td_requant_value(acc, rq_*[i % rq_channels]) + rq_out_offset
 *
 * i.e. td_requant_s32_s8 applied to what td_mul_any_s32 writes, without the int32 tensor
 * (quant/golden/fused_requant.py). The walk is td_add_any_s32.h's (td_broadcast.h).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): those of td_mul_any_s32.h and of the requant
 * (td_requant_s32_*.h) on the rq_* members, rq_channels dividing the output size; the
 * output buffer holds exactly prod(shape) int8_t values.
 */
#ifndef TD_MUL_ANY_S8_RQ_H
#define TD_MUL_ANY_S8_RQ_H

#include "../td_names.h"

#include <stdint.h>

#include "td_requant_common.h"

typedef struct {
    int32_t ndim;              /* dims of the merged broadcast walk */
    int32_t a_bytes;           /* element sizes of a and b */
    int32_t b_bytes;
    int32_t a_offset;          /* -zero points */
    int32_t b_offset;
    int32_t a_mult;            /* (add only) */
    int32_t b_mult;
    const int32_t *shape;      /* [6]: the last ndim are the merged output dims */
    const int32_t *a_strides;  /* [6] element strides (0: broadcast) */
    const int32_t *b_strides;
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
} td_mul_any_s8_rq_args_t;

void td_mul_any_s8_rq(const td_mul_any_s8_rq_args_t *args, const void *a, const void *b,
                      int8_t *out);

#endif /* TD_MUL_ANY_S8_RQ_H */
