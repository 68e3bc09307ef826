/* td_leaky_relu_s16.c - see td_leaky_relu_s16.h. */
#include "td_leaky_relu_s16.h"

#include "td_common.h"

void td_leaky_relu_s16(const td_leaky_relu_s16_args_t *args, const int16_t *in, int16_t *out)
{
    for (int32_t i = 0; i < args->size; ++i) {
        const int32_t v = in[i];
        int32_t y;
        if (v >= 0) {
            y = td_requant(v, args->mult_identity, args->shift_identity);
        } else {
            y = td_requant(v, args->mult_alpha, args->shift_alpha);
            if (args->alpha_negative) y = -y;
        }
        out[i] = (int16_t)td_clamp(y, INT16_MIN, INT16_MAX);
    }
}
