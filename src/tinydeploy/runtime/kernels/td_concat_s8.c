/* td_concat_s8.c - see td_concat_s8.h. */
#include "td_concat_s8.h"

#include <string.h>

#include "td_common.h"

void td_concat_s8(const td_concat_s8_args_t *args, const int8_t *const *ins, int8_t *out)
{
    for (int32_t k = 0; k < args->outer; ++k) {
        for (int32_t i = 0; i < args->num_inputs; ++i) {
            const size_t n = (size_t)args->copy_sizes[i];
            memcpy(out, ins[i] + (size_t)k * n, n);
            out += n;
        }
    }
}
