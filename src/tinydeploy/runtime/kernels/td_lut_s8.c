/* td_lut_s8.c - see td_lut_s8.h. */
#include "td_lut_s8.h"

void td_lut_s8(const td_lut_s8_args_t *args, const int8_t *in, int8_t *out)
{
    for (int32_t i = 0; i < args->size; ++i) out[i] = args->table[in[i] + 128];
}
