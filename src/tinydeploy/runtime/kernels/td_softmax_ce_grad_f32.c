/* td_softmax_ce_grad_f32.c - see td_softmax_ce_grad_f32.h. */
#include "td_softmax_ce_grad_f32.h"

#include <math.h>
#include <stddef.h>

void td_softmax_ce_grad_f32(const td_softmax_ce_grad_f32_args_t *args,
                            const float *log_prob, const int64_t *labels, float *dx)
{
    const int32_t n = args->n;
    const float b = 1.0f / (float)args->batch;
    for (int32_t r = 0; r < args->rows; ++r) {
        const size_t base = (size_t)r * (size_t)n;
        const int64_t label = labels[r];
        for (int32_t j = 0; j < n; ++j) {
            const float p = expf(log_prob[base + (size_t)j]);
            dx[base + (size_t)j] = (int64_t)j == label ? ((p - 1.0f) * b) * b : (p * b) * b;
        }
    }
}
