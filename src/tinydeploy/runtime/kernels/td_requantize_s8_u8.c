/* td_requantize_s8_u8.c - see td_requantize_s8_u8.h. */
#include "td_requantize_s8_u8.h"

#include "td_common.h"

void td_requantize_s8_u8(const td_requantize_s8_u8_args_t *args, const int8_t *x, uint8_t *out)
{
    for (int32_t i = 0; i < args->size; ++i) {
        const int32_t v = td_requant(x[i] + args->input_offset, args->multiplier, args->shift);
        out[i] = (uint8_t)td_clamp(v + args->output_offset, args->act_min, args->act_max);
    }
}
