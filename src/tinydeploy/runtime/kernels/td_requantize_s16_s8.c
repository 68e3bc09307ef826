/* td_requantize_s16_s8.c - see td_requantize_s16_s8.h. */
#include "td_requantize_s16_s8.h"

#include "td_common.h"

void td_requantize_s16_s8(const td_requantize_s16_s8_args_t *args, const int16_t *x, int8_t *out)
{
    for (int32_t i = 0; i < args->size; ++i) {
        const int32_t v = td_requant(x[i] + args->input_offset, args->multiplier, args->shift);
        out[i] = (int8_t)td_clamp(v + args->output_offset, args->act_min, args->act_max);
    }
}
