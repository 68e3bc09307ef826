/* td_reduce_s8_s32.c - see td_reduce_s8_s32.h. */
#include "td_reduce_s8_s32.h"

void td_reduce_s8_s32(const td_reduce_s8_s32_args_t *args, const int8_t *in, int32_t *out)
{
    const td_reduce_s8_s32_args_t *a = args;
    const int32_t n = td_reduce_outputs(a);
    for (int32_t k = 0; k < n; ++k) {
        out[k] = (int32_t)(td_reduce_value(a, in + td_reduce_origin(a, k)) + a->out_offset);
    }
}
