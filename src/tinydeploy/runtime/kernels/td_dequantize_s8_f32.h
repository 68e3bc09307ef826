/* td_dequantize_s8_f32.h - int8 -> float32 dequantization: y = scale * (q - zero_point).
 * TFLite multiplies in double and rounds to float once; the exact product fits a double,
 * and a float multiply rounds that same exact product once, so the bits are identical.
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * size > 0; scale a finite, non-zero float32; zero_point of int8; buffers of exactly size
 * (input) and 4*size (output) bytes.
 */
#ifndef TD_DEQUANTIZE_S8_F32_H
#define TD_DEQUANTIZE_S8_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
    float scale;
    int32_t zero_point;
} td_dequantize_s8_f32_args_t;

void td_dequantize_s8_f32(const td_dequantize_s8_f32_args_t *args, const int8_t *x, float *out);

#endif /* TD_DEQUANTIZE_S8_F32_H */
