/* td_requantize_u8_s8.h - uint8 -> int8 requantization, bit-exact with TFLite's Requantize:
 * out = output_offset + MultiplyByQuantizedMultiplier(x + input_offset), clamped to
 * [act_min, act_max] (the output type's range, or a standalone activation's).
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * size > 0; input_offset = -zero point of the input type, output_offset = zero point of the
 * output type; act_min <= act_max within the output type; multiplier 0 or in [2^30, 2^31),
 * shift in [-31, 31]; |requant(x + input_offset)| + |output_offset| <= INT32_MAX (no absurd
 * multipliers: the int32 add cannot overflow); buffers of exactly size elements in and out.
 */
#ifndef TD_REQUANTIZE_U8_S8_H
#define TD_REQUANTIZE_U8_S8_H

#include "../td_names.h"

#include <stdint.h>

#include "td_requantize_s8.h"

/* The args of td_requantize_s8.h. */
typedef td_requantize_s8_args_t td_requantize_u8_s8_args_t;

void td_requantize_u8_s8(const td_requantize_u8_s8_args_t *args, const uint8_t *x, int8_t *out);

#endif /* TD_REQUANTIZE_U8_S8_H */
