/* td_softmax_grad_f32.c - see td_softmax_grad_f32.h. */
#include "td_softmax_grad_f32.h"

#include <stddef.h>

void td_softmax_grad_f32(const td_softmax_grad_f32_args_t *args, const float *dy,
                         const float *y, float *dx)
{
    const int32_t n = args->n;
    for (int32_t r = 0; r < args->rows; ++r) {
        const size_t base = (size_t)r * (size_t)n;
        float s = 0.0f;
        for (int32_t i = 0; i < n; ++i) {
            s += dy[base + (size_t)i] * y[base + (size_t)i];
        }
        for (int32_t i = 0; i < n; ++i) {
            dx[base + (size_t)i] = y[base + (size_t)i] * (dy[base + (size_t)i] - s);
        }
    }
}
