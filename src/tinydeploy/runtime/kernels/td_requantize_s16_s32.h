/* td_requantize_s16_s32.h - int16 -> int32 requantization (TFLite Micro's QUANTIZE between
 * quantized types), bit-exact with TFLite's Requantize:
 * out = output_offset + MultiplyByQuantizedMultiplier(x + input_offset), clamped to
 * [act_min, act_max] (the output type's range).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, elementwise.py; a layer
 * that violates one is refused naming it):
 * size > 0; input_offset = -zero point of the input, output_offset = zero point of the
 * output; x + input_offset within int32; act_min <= act_max within int32; multiplier 0 or
 * in [2^30, 2^31), shift in [-31, 31]; |requant(x + input_offset)| + |output_offset| <=
 * INT32_MAX; buffers of exactly 2*size (input) and 4*size (output) bytes.
 */
#ifndef TD_REQUANTIZE_S16_S32_H
#define TD_REQUANTIZE_S16_S32_H

#include "../td_names.h"

#include <stdint.h>

#include "td_requantize_s8.h"

/* The args of td_requantize_s8.h. */
typedef td_requantize_s8_args_t td_requantize_s16_s32_args_t;

void td_requantize_s16_s32(const td_requantize_s16_s32_args_t *args, const int16_t *x, int32_t *out);

#endif /* TD_REQUANTIZE_S16_S32_H */
