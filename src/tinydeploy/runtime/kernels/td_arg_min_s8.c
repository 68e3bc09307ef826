/* td_arg_min_s8.c - see td_arg_min_s8.h. */
#include "td_arg_min_s8.h"

#include <stddef.h>

void td_arg_min_s8(const td_arg_min_s8_args_t *args, const int8_t *in, int32_t *out)
{
    for (int32_t o = 0; o < args->outer; ++o) {
        const int8_t *x = in + (size_t)o * args->axis_len * args->inner;
        for (int32_t i = 0; i < args->inner; ++i) {
            const int8_t *col = x + i;
            int32_t best = 0;
            for (int32_t k = 1; k < args->axis_len; ++k) {
                if (col[(size_t)k * args->inner] < col[(size_t)best * args->inner]) best = k;
            }
            *out++ = best;
        }
    }
}
