/* td_requantize_s32_s16.h - int32 -> int16 requantization (TFLite Micro's QUANTIZE between
 * quantized types), bit-exact with TFLite's Requantize:
 * out = output_offset + MultiplyByQuantizedMultiplier(x + input_offset), clamped to
 * [act_min, act_max] (the output type's range).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, elementwise.py; a layer
 * that violates one is refused naming it):
 * size > 0; input_offset = -zero point of the input, output_offset = zero point of the
 * output; x + input_offset within int32; act_min <= act_max within int16; multiplier 0 or
 * in [2^30, 2^31), shift in [-31, 31]; |requant(x + input_offset)| + |output_offset| <=
 * INT32_MAX; buffers of exactly 4*size (input) and 2*size (output) bytes.
 */
#ifndef TD_REQUANTIZE_S32_S16_H
#define TD_REQUANTIZE_S32_S16_H

#include "../td_names.h"

#include <stdint.h>

#include "td_requantize_s8.h"

/* The args of td_requantize_s8.h. */
typedef td_requantize_s8_args_t td_requantize_s32_s16_args_t;

void td_requantize_s32_s16(const td_requantize_s32_s16_args_t *args, const int32_t *x, int16_t *out);

#endif /* TD_REQUANTIZE_S32_S16_H */
