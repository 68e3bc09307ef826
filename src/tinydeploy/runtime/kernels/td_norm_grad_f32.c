/* td_norm_grad_f32.c - see td_norm_grad_f32.h. */
#include "td_norm_grad_f32.h"

#include <math.h>
#include <stddef.h>

void td_norm_grad_f32(const td_norm_grad_f32_args_t *args, const float *dy,
                      const float *x, const float *scale, float *dx)
{
    const int32_t n = args->inner;
    const float nf = (float)n;
    for (int32_t r = 0; r < args->rows; ++r) {
        const float *xr = x + (size_t)r * (size_t)n;
        const float *dr = dy + (size_t)r * (size_t)n;
        float *out = dx + (size_t)r * (size_t)n;
        float mean = 0.0f;
        for (int32_t j = 0; j < n; ++j) {
            mean += xr[j];
        }
        mean = mean / nf;
        float var = 0.0f;
        for (int32_t j = 0; j < n; ++j) {
            const float c = xr[j] - mean;
            var += c * c;
        }
        var = var / nf + args->epsilon;
        const float inv = 1.0f / sqrtf(var);
        float s1 = 0.0f;
        float s2 = 0.0f;
        for (int32_t j = 0; j < n; ++j) {
            s1 += dr[j];
            s2 += ((dr[j] * scale[j]) * (xr[j] - mean)) * inv;
        }
        for (int32_t j = 0; j < n; ++j) {
            const float c = xr[j] - mean;
            out[j] = (inv * scale[j]) * ((dr[j] - s1 / nf) - (((c * inv) * inv) / nf) * s2);
        }
    }
}
