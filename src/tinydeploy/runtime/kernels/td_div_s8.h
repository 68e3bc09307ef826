/* td_div_s8.h - int8 DIV, bit-exact with TFLite Micro's quantized Div (on x86-64):
 *   a = x1 + a_offset, b = x2 + b_offset (signs moved so that b > 0);
 *   q = SRDHM(a << clrsb(a), 1/b as a Q31 reciprocal with exponent e);
 *   y = out_offset + RDBPOT(SRDHM(q, out_multiplier), clrsb(a) + e - out_shift),
 * clamped to [act_min, act_max]; broadcasting: td_broadcast.h. The args are those of
 * td_add_s8.h (only out_multiplier/out_shift are used of the multipliers). The final
 * shift may reach 39 bits: gemmlowp's RoundingDivideByPOT is undefined C++ there, and
 * TFLite Micro on x86-64 runs it with an all-ones mask and the shift count modulo 32;
 * td_div_s8 computes exactly that, defined. b = 0 (a divisor at its zero point, undefined
 * in TFLite) saturates toward the sign of a (out_offset for 0 / 0).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, tflite_ops.py; a layer
 * that violates one is refused naming it):
 * 1 <= ndim <= TD_MAX_DIMS, shape[d] > 0, strides >= 0; buffers a and b of exactly 1 +
 * sum((shape[d] - 1) * strides[d]) bytes, output prod(shape) bytes; offsets of int8;
 * out_multiplier 0 or in [2^30, 2^31), out_shift in [-24, 23] (the final shift stays in
 * [0, 63]); int8 act_min <= act_max.
 */
#ifndef TD_DIV_S8_H
#define TD_DIV_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t ndim;                /* dims of the broadcast walk (<= TD_MAX_DIMS) */
    const int32_t *shape;        /* [ndim] output shape (dims merged) */
    const int32_t *a_strides;    /* [ndim] element strides of a, 0 = broadcast */
    const int32_t *b_strides;    /* [ndim] element strides of b */
    int32_t a_offset;            /* -zero point of a */
    int32_t b_offset;            /* -zero point of b */
    int32_t left_shift;          /* unused (0) */
    int32_t a_multiplier;        /* unused (0) */
    int32_t a_shift;             /* unused (0) */
    int32_t b_multiplier;        /* unused (0) */
    int32_t b_shift;             /* unused (0) */
    int32_t out_multiplier;
    int32_t out_shift;           /* > 0 = left */
    int32_t out_offset;          /* output zero point */
    int32_t act_min;
    int32_t act_max;
} td_div_s8_args_t;

void td_div_s8(const td_div_s8_args_t *args, const int8_t *a, const int8_t *b, int8_t *out);

#endif /* TD_DIV_S8_H */
