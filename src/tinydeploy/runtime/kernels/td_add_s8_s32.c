/* td_add_s8_s32.c - see td_add_s8_s32.h. */
#include "td_add_s8_s32.h"

void td_add_s8_s32(const td_add_s8_s32_args_t *args, const int8_t *a, const int8_t *b,
                   int32_t *out)
{
    for (int32_t i = 0; i < args->size; ++i) {
        out[i] = ((int32_t)a[i] + args->a_offset) * args->a_mult
                 + ((int32_t)b[i] + args->b_offset) * args->b_mult;
    }
}
