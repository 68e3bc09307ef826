/* td_quantize_f32_s8.h - float32 -> int8, bit-exact with TFLite's AffineQuantize:
 * q = round(x / scale) + zero_point (float32 division, round half away from zero),
 * clamped to [-128, 127]. NaN gives the zero point and huge values saturate (where
 * TFLite's float -> int cast is undefined).
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * size > 0; scale a finite, non-zero float32; zero_point of int8; buffers of exactly 4*size
 * (input) and size (output) bytes.
 */
#ifndef TD_QUANTIZE_F32_S8_H
#define TD_QUANTIZE_F32_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
    float scale;
    int32_t zero_point;
} td_quantize_f32_s8_args_t;

void td_quantize_f32_s8(const td_quantize_f32_s8_args_t *args, const float *x, int8_t *out);

#endif /* TD_QUANTIZE_F32_S8_H */
