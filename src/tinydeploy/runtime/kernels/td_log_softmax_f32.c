/* td_log_softmax_f32.c - see td_log_softmax_f32.h. */
#include "td_log_softmax_f32.h"

#include <math.h>
#include <stddef.h>

void td_log_softmax_f32(const td_log_softmax_f32_args_t *args, const float *x, float *y)
{
    const int32_t n = args->n;
    for (int32_t r = 0; r < args->rows; ++r) {
        const float *xr = x + (size_t)r * (size_t)n;
        float *yr = y + (size_t)r * (size_t)n;
        float m = xr[0];
        for (int32_t i = 1; i < n; ++i) {
            m = xr[i] > m ? xr[i] : m;
        }
        float s = 0.0f;
        for (int32_t i = 0; i < n; ++i) {
            s += expf(xr[i] - m);
        }
        const float l = logf(s);
        for (int32_t i = 0; i < n; ++i) {
            yr[i] = (xr[i] - m) - l;
        }
    }
}
