/* td_reduce_s8_s8.c - see td_reduce_s8_s8.h. */
#include "td_reduce_s8_s8.h"

void td_reduce_s8_s8(const td_reduce_s8_s8_args_t *args, const int8_t *in, int8_t *out)
{
    const td_reduce_s8_s32_args_t *a = args;
    const int32_t n = td_reduce_outputs(a);
    for (int32_t k = 0; k < n; ++k) {
        out[k] = (int8_t)(td_reduce_value(a, in + td_reduce_origin(a, k)) + a->out_offset);
    }
}
