/* td_requantize_s16.c - see td_requantize_s16.h. */
#include "td_requantize_s16.h"

#include "td_common.h"

void td_requantize_s16(const td_requantize_s16_args_t *args, const int16_t *x, int16_t *out)
{
    for (int32_t i = 0; i < args->size; ++i) {
        const int32_t v = td_requant(x[i] + args->input_offset, args->multiplier, args->shift);
        out[i] = (int16_t)td_clamp(v + args->output_offset, args->act_min, args->act_max);
    }
}
