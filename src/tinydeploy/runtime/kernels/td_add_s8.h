/* td_add_s8.h - int8 elementwise add, bit-exact with TFLite's reference integer Add.
 *
 * Each input, offset by its zero point, is shifted left by left_shift (20) and scaled by
 * its multiplier (< 1, shift <= 0); the sum is scaled by out_multiplier (< 1), offset by
 * the output zero point and clamped to [act_min, act_max]. Broadcasting: td_broadcast.h.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * 1 <= ndim <= TD_MAX_DIMS, shape[d] > 0, strides >= 0; buffers a and b of exactly 1 +
 * sum((shape[d] - 1) * strides[d]) bytes, output prod(shape) bytes; offsets: -zero points /
 * zero point of int8; left_shift in [0, 30] with |x + offset| << left_shift within int32;
 * multipliers 0 or in [2^30, 2^31), shifts in [-31, 0]; the rescaled inputs, their sum and
 * the requantized sum plus out_offset stay within int32 (requant_bound); int8 act_min <=
 * act_max.
 */
#ifndef TD_ADD_S8_H
#define TD_ADD_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t ndim;                /* dims of the broadcast walk (<= TD_MAX_DIMS) */
    const int32_t *shape;        /* [ndim] output shape (dims merged) */
    const int32_t *a_strides;    /* [ndim] element strides of a, 0 = broadcast */
    const int32_t *b_strides;    /* [ndim] element strides of b */
    int32_t a_offset;            /* -zero point of a */
    int32_t b_offset;            /* -zero point of b */
    int32_t left_shift;
    int32_t a_multiplier;
    int32_t a_shift;             /* <= 0 */
    int32_t b_multiplier;
    int32_t b_shift;             /* <= 0 */
    int32_t out_multiplier;
    int32_t out_shift;           /* <= 0 */
    int32_t out_offset;          /* output zero point */
    int32_t act_min;
    int32_t act_max;
} td_add_s8_args_t;

void td_add_s8(const td_add_s8_args_t *args, const int8_t *a, const int8_t *b, int8_t *out);

#endif /* TD_ADD_S8_H */
