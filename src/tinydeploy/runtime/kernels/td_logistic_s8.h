/* td_logistic_s8.h - int8 logistic (sigmoid), bit-exact with TFLite's reference integer Logistic.
 * Output quantization: scale 1/256, zero point -128 (TFLite's).
 *
 * v = x - input_zero_point; |v| at or beyond input_range_radius saturates, otherwise v is
 * scaled to Q4.27 (input_multiplier, input_left_shift) and mapped with gemmlowp's
 * fixed-point function (td_fixedpoint.h), rounded to the output's fractional bits.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * size > 0; input_zero_point of int8; input_range_radius >= 0; 0 <= input_multiplier < 2^31
 * and input_left_shift in [-31, 31] (td_requant); buffers of exactly size bytes in and out.
 */
#ifndef TD_LOGISTIC_S8_H
#define TD_LOGISTIC_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t input_range_radius;
    int32_t input_multiplier;
    int32_t input_left_shift;    /* may be negative (a right shift) */
} td_logistic_s8_args_t;

void td_logistic_s8(const td_logistic_s8_args_t *args, const int8_t *x, int8_t *out);

#endif /* TD_LOGISTIC_S8_H */
