/* td_inonorm_s8.c - see td_inonorm_s8.h. */
#include "td_inonorm_s8.h"

#include "td_integer.h"

void td_inonorm_s8(const td_inonorm_s8_args_t *args, const int8_t *in, const int32_t *weight,
                   const int32_t *bias, int8_t *out)
{
    const td_inonorm_s8_args_t *a = args;
    int32_t w = 0, c = 0;
    for (int32_t i = 0; i < a->size; ++i) {
        const int64_t x = (int64_t)in[i] + a->x_offset;
        const int64_t v = td_floor_shift((x * weight[w] + bias[c]) * a->mul, a->log2d);
        out[i] = (int8_t)(td_clamp64(v, a->clip_lo, a->clip_hi) + a->out_offset);
        if (++w == a->w_period) w = 0;
        if (++c == a->b_period) c = 0;
    }
}
