/* td_gelu_grad_f32.c - see td_gelu_grad_f32.h. */
#include "td_gelu_grad_f32.h"

#include <math.h>

void td_gelu_grad_f32(const td_gelu_grad_f32_args_t *args, const float *dy,
                      const float *x, float *dx)
{
    for (int32_t i = 0; i < args->size; ++i) {
        const float v = x[i];
        const float cdf = 0.5f * (1.0f + erff(v * 0.70710678118654752f));
        const float pdf = expf((-0.5f * v) * v) * 0.39894228040143268f;
        dx[i] = dy[i] * (cdf + v * pdf);
    }
}
