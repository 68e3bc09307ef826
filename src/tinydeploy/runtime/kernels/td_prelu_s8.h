/* td_prelu_s8.h - int8 PRELU (int8 alpha), bit-exact with TFLite's quantized Prelu:
 *   v = x + x_offset; y = out_offset + (v >= 0 ? requant(v, mult_pos, shift_pos)
 *                                             : requant(v * (alpha + alpha_offset),
 *                                                       mult_neg, shift_neg)),
 * clamped to the type; alpha broadcasts against x (td_broadcast.h).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, tflite_ops.py; a layer
 * that violates one is refused naming it):
 * 1 <= ndim <= TD_MAX_DIMS, shape[d] > 0, strides >= 0; buffers x of exactly 1 * (1 +
 * sum((shape[d] - 1) * x_strides[d])) bytes, alpha 1 + sum((shape[d] - 1) *
 * alpha_strides[d]), output 1 * prod(shape); offsets of the types; multipliers 0 or in
 * [2^30, 2^31), shifts in [-31, 31], both requantizations and the offset add within int32.
 */
#ifndef TD_PRELU_S8_H
#define TD_PRELU_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t ndim;                /* dims of the broadcast walk (<= TD_MAX_DIMS) */
    const int32_t *shape;        /* [ndim] output shape (dims merged) */
    const int32_t *x_strides;    /* [ndim] element strides of x */
    const int32_t *alpha_strides; /* [ndim] element strides of alpha, 0 = broadcast */
    int32_t x_offset;            /* -zero point of x */
    int32_t alpha_offset;        /* -zero point of alpha */
    int32_t out_offset;          /* output zero point */
    int32_t mult_pos;
    int32_t shift_pos;           /* > 0 = left */
    int32_t mult_neg;
    int32_t shift_neg;
} td_prelu_s8_args_t;

void td_prelu_s8(const td_prelu_s8_args_t *args, const int8_t *x, const int8_t *alpha, int8_t *out);

#endif /* TD_PRELU_S8_H */
