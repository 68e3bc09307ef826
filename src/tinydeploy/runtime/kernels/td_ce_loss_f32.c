/* td_ce_loss_f32.c - see td_ce_loss_f32.h. */
#include "td_ce_loss_f32.h"

#include <stddef.h>

void td_ce_loss_f32(const td_ce_loss_f32_args_t *args, const float *log_prob,
                    const int64_t *labels, float *loss)
{
    float acc = 0.0f;
    for (int32_t r = 0; r < args->rows; ++r) {
        const int64_t label = labels[r];
        if (label >= 0 && label < (int64_t)args->n) {
            acc += log_prob[(size_t)r * (size_t)args->n + (size_t)label];
        }
    }
    loss[0] = -(acc / (float)args->batch);
}
