/* td_squared_difference_s16.h - int16 SQUARED_DIFFERENCE, bit-exact with TFLite Micro's
 * quantized kernel: both inputs offset, shifted left by left_shift (0) and rescaled
 * (multipliers < 1, shifts <= 0) as for SUB; the difference squared in int32, rescaled by
 * out_multiplier/out_shift (any shift), offset by the output zero point and clamped to
 * [act_min, act_max]. Broadcasting: td_broadcast.h. The args are those of td_add_s8.h.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, tflite_ops.py; a layer
 * that violates one is refused naming it):
 * 1 <= ndim <= TD_MAX_DIMS, shape[d] > 0, strides >= 0; buffers a and b of exactly
 * 2 * (1 + sum((shape[d] - 1) * strides[d])) bytes, output 2 * prod(shape) bytes; offsets of
 * the type; left_shift in [0, 30] with the shifted inputs within int32; input multipliers
 * 0 or in [2^30, 2^31) with shifts in [-31, 0]; the squared difference and its
 * requantization plus out_offset within int32; act_min <= act_max in the type.
 */
#ifndef TD_SQUARED_DIFFERENCE_S16_H
#define TD_SQUARED_DIFFERENCE_S16_H

#include "../td_names.h"

#include <stdint.h>

#include "td_add_s8.h"

/* The args of td_add_s8.h (out_shift of either sign here). */
typedef td_add_s8_args_t td_squared_difference_s16_args_t;

void td_squared_difference_s16(const td_squared_difference_s16_args_t *args, const int16_t *a,
                               const int16_t *b, int16_t *out);

#endif /* TD_SQUARED_DIFFERENCE_S16_H */
