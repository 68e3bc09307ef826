/* td_add_s16.h - int16 elementwise add (16x8), bit-exact with TFLite's reference
 * integer Add (AddGeneralParamScale).
 *
 * Each input, offset by its zero point, is shifted left by left_shift (15) and scaled by
 * its multiplier (< 1, shift <= 0); the rescaled b is added to the rescaled a, the result
 * scaled by out_multiplier (< 1), offset by the output zero point and clamped to
 * [act_min, act_max]. Broadcasting: td_broadcast.h. The args are those of td_add_s8.h.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * 1 <= ndim <= TD_MAX_DIMS, shape[d] > 0, strides >= 0; buffers a and b of exactly
 * 2 * (1 + sum((shape[d] - 1) * strides[d])) bytes, output 2 * prod(shape) bytes; offsets:
 * -zero points / zero point of int16; left_shift in [0, 30] with |x + offset| << left_shift
 * within int32; multipliers 0 or in [2^30, 2^31), shifts in [-31, 0]; the rescaled inputs,
 * their sum and the requantized result plus out_offset stay within int32
 * (requant_bound); int16 act_min <= act_max.
 */
#ifndef TD_ADD_S16_H
#define TD_ADD_S16_H

#include "../td_names.h"

#include <stdint.h>

#include "td_add_s8.h"

/* The args of td_add_s8.h. */
typedef td_add_s8_args_t td_add_s16_args_t;

void td_add_s16(const td_add_s16_args_t *args, const int16_t *a, const int16_t *b, int16_t *out);

#endif /* TD_ADD_S16_H */
