/* td_quantize_f32_s16.h - float32 -> int16, bit-exact with TFLite's AffineQuantize:
 * q = round(x / scale) + zero_point (float32 division, round half away from zero),
 * clamped to [-32768, 32767]. NaN gives the zero point and huge values saturate (where
 * TFLite's float -> int cast is undefined).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, int16.py; a layer that
 * violates one is refused naming it):
 * size > 0; scale a finite, non-zero float32; zero_point of int16; buffers of exactly
 * 4*size (input) and 2*size (output) bytes.
 */
#ifndef TD_QUANTIZE_F32_S16_H
#define TD_QUANTIZE_F32_S16_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
    float scale;
    int32_t zero_point;
} td_quantize_f32_s16_args_t;

void td_quantize_f32_s16(const td_quantize_f32_s16_args_t *args, const float *x,
                         int16_t *out);

#endif /* TD_QUANTIZE_F32_S16_H */
