/* td_norm_f32.c - see td_norm_f32.h. */
#include "td_norm_f32.h"

#include <math.h>
#include <stddef.h>

void td_norm_f32(const td_norm_f32_args_t *args, const float *x, const float *scale,
                 const float *bias, float *y)
{
    const int32_t n = args->inner;
    for (int32_t r = 0; r < args->rows; ++r) {
        const size_t base = (size_t)r * (size_t)n;
        const float *xr = x + base;
        float *yr = y + base;
        float mean = 0.0f, acc = 0.0f;
        if (args->mode == 0) {
            for (int32_t i = 0; i < n; ++i) {
                mean += xr[i];
            }
            mean = mean / (float)n;
            for (int32_t i = 0; i < n; ++i) {
                const float d = xr[i] - mean;
                acc += d * d;
            }
        } else {
            for (int32_t i = 0; i < n; ++i) {
                acc += xr[i] * xr[i];
            }
        }
        const float rs = 1.0f / sqrtf(acc / (float)n + args->epsilon);
        for (int32_t i = 0; i < n; ++i) {
            const size_t k = ((base + (size_t)i) / (size_t)args->scale_stride)
                             % (size_t)args->scale_len;
            float v = (xr[i] - mean) * rs * scale[k];
            if (bias != NULL) {
                v += bias[k];
            }
            yr[i] = v;
        }
    }
}
