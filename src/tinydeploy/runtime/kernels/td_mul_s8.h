/* td_mul_s8.h - int8 elementwise multiply, bit-exact with TFLite's reference integer Mul.
 *
 * out = out_offset + MultiplyByQuantizedMultiplier((a + a_offset) * (b + b_offset)),
 * clamped to [act_min, act_max]. Broadcasting: td_broadcast.h.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * 1 <= ndim <= TD_MAX_DIMS, shape[d] > 0, strides >= 0; buffers a and b of exactly 1 +
 * sum((shape[d] - 1) * strides[d]) bytes, output prod(shape) bytes; offsets: -zero points /
 * zero point of int8; out_multiplier 0 or in [2^30, 2^31), out_shift in [-31, 31];
 * |requant((a + a_offset) * (b + b_offset))| + |out_offset| <= INT32_MAX (the int32 add
 * cannot overflow); int8 act_min <= act_max.
 */
#ifndef TD_MUL_S8_H
#define TD_MUL_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t ndim;                /* dims of the broadcast walk (<= TD_MAX_DIMS) */
    const int32_t *shape;        /* [ndim] output shape (dims merged) */
    const int32_t *a_strides;    /* [ndim] element strides of a, 0 = broadcast */
    const int32_t *b_strides;    /* [ndim] element strides of b */
    int32_t a_offset;            /* -zero point of a */
    int32_t b_offset;            /* -zero point of b */
    int32_t out_multiplier;
    int32_t out_shift;           /* > 0 = left */
    int32_t out_offset;          /* output zero point */
    int32_t act_min;
    int32_t act_max;
} td_mul_s8_args_t;

void td_mul_s8(const td_mul_s8_args_t *args, const int8_t *a, const int8_t *b, int8_t *out);

#endif /* TD_MUL_S8_H */
