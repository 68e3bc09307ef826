/* td_dequantize_s16_f32.h - int16 -> float32 dequantization: y = scale * (q - zero_point).
 * TFLite multiplies in double and rounds to float once; q - zero_point needs 17 bits and
 * scale 24, so the exact product fits a double, and a float multiply rounds that same
 * exact product once: the bits are identical.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, int16.py; a layer that
 * violates one is refused naming it):
 * size > 0; scale a finite, non-zero float32; zero_point of int16; buffers of exactly
 * 2*size (input) and 4*size (output) bytes.
 */
#ifndef TD_DEQUANTIZE_S16_F32_H
#define TD_DEQUANTIZE_S16_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
    float scale;
    int32_t zero_point;
} td_dequantize_s16_f32_args_t;

void td_dequantize_s16_f32(const td_dequantize_s16_f32_args_t *args, const int16_t *x,
                           float *out);

#endif /* TD_DEQUANTIZE_S16_F32_H */
