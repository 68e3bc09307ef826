/* td_abs_s16.c - see td_abs_s16.h. */
#include "td_abs_s16.h"

#include "td_common.h"

void td_abs_s16(const td_abs_s16_args_t *args, const int16_t *in, int16_t *out)
{
    for (int32_t i = 0; i < args->size; ++i) {
        int32_t v = in[i] < 0 ? -(int32_t)in[i] : in[i];
        if (args->rescale) v = td_requant(v, args->multiplier, args->shift);
        out[i] = (int16_t)td_clamp(v, INT16_MIN, INT16_MAX);
    }
}
