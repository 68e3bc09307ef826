/* td_dequantize_s16_f32.c - see td_dequantize_s16_f32.h. */
#include "td_dequantize_s16_f32.h"

void td_dequantize_s16_f32(const td_dequantize_s16_f32_args_t *args, const int16_t *x,
                           float *out)
{
    for (int32_t i = 0; i < args->size; ++i) {
        out[i] = args->scale * (float)(x[i] - args->zero_point);
    }
}
