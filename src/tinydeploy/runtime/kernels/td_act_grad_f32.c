/* td_act_grad_f32.c - see td_act_grad_f32.h. */
#include "td_act_grad_f32.h"

#include <stddef.h>

void td_act_grad_f32(const td_act_grad_f32_args_t *args, const float *dy, const float *y,
                     float *dx)
{
    const float lo = args->fn == 2 ? -1.0f : 0.0f;
    const float hi = args->fn == 1 ? 6.0f : 1.0f;
    const int32_t bounded = args->fn != 0;
    for (int32_t i = 0; i < args->size; ++i) {
        const size_t k = (size_t)i;
        const float v = y[k];
        const float d = dy[k];
        dx[k] = (v > lo && (!bounded || v < hi)) ? d : 0.0f;
    }
}
