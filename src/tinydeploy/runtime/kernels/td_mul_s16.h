/* td_mul_s16.h - int16 elementwise multiply (16x8), bit-exact with TFLite's reference
 * integer Mul for int16 (zero points 0, which TFLite Micro requires for int16 MUL).
 *
 * out = MultiplyByQuantizedMultiplier(a * b), clamped to [act_min, act_max] (the product
 * of two int16 values fits int32). Broadcasting: td_broadcast.h. The args are those of
 * td_mul_s8.h (offsets 0).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, int16.py; a layer that
 * violates one is refused naming it):
 * 1 <= ndim <= TD_MAX_DIMS, shape[d] > 0, strides >= 0; buffers a and b of exactly
 * 2 * (1 + sum((shape[d] - 1) * strides[d])) bytes, output 2 * prod(shape) bytes; offsets
 * 0; out_multiplier 0 or in [2^30, 2^31), out_shift in [-31, 31] with a * b << shift
 * within int32 (no wrap); int16 act_min <= act_max.
 */
#ifndef TD_MUL_S16_H
#define TD_MUL_S16_H

#include "../td_names.h"

#include <stdint.h>

#include "td_mul_s8.h"

/* The args of td_mul_s8.h (offsets 0). */
typedef td_mul_s8_args_t td_mul_s16_args_t;

void td_mul_s16(const td_mul_s16_args_t *args, const int16_t *a, const int16_t *b,
                int16_t *out);

#endif /* TD_MUL_S16_H */
