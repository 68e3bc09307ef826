/* td_prelu_s16.h - int16 PRELU (int8 alpha), bit-exact with TFLite's quantized Prelu:
 *   v = x + x_offset; y = out_offset + (v >= 0 ? requant(v, mult_pos, shift_pos)
 *                                             : requant(v * (alpha + alpha_offset),
 *                                                       mult_neg, shift_neg)),
 * clamped to the type; alpha broadcasts against x (td_broadcast.h).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, tflite_ops.py; a layer
 * that violates one is refused naming it):
 * 1 <= ndim <= TD_MAX_DIMS, shape[d] > 0, strides >= 0; buffers x of exactly 2 * (1 +
 * sum((shape[d] - 1) * x_strides[d])) bytes, alpha 1 + sum((shape[d] - 1) *
 * alpha_strides[d]), output 2 * prod(shape); offsets of the types; multipliers 0 or in
 * [2^30, 2^31), shifts in [-31, 31], both requantizations and the offset add within int32.
 */
#ifndef TD_PRELU_S16_H
#define TD_PRELU_S16_H

#include "../td_names.h"

#include <stdint.h>

#include "td_prelu_s8.h"

/* The args of td_prelu_s8.h. */
typedef td_prelu_s8_args_t td_prelu_s16_args_t;

void td_prelu_s16(const td_prelu_s16_args_t *args, const int16_t *x, const int8_t *alpha,
                  int16_t *out);

#endif /* TD_PRELU_S16_H */
