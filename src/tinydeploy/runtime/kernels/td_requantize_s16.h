/* td_requantize_s16.h - int16 -> int16 requantization, bit-exact with TFLite's Requantize:
 * out = output_offset + MultiplyByQuantizedMultiplier(x + input_offset), clamped to
 * [act_min, act_max] (the output type's range).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, int16.py; a layer that
 * violates one is refused naming it):
 * size > 0; input_offset = -zero point of int16, output_offset = zero point of int16;
 * act_min <= act_max within int16; multiplier 0 or in [2^30, 2^31), shift in [-31, 31];
 * |requant(x + input_offset)| + |output_offset| <= INT32_MAX; buffers of exactly 2*size
 * (input) and 2*size (output) bytes.
 */
#ifndef TD_REQUANTIZE_S16_H
#define TD_REQUANTIZE_S16_H

#include "../td_names.h"

#include <stdint.h>

#include "td_requantize_s8.h"

/* The args of td_requantize_s8.h. */
typedef td_requantize_s8_args_t td_requantize_s16_args_t;

void td_requantize_s16(const td_requantize_s16_args_t *args, const int16_t *x, int16_t *out);

#endif /* TD_REQUANTIZE_S16_H */
