/* td_concat_any.c - see td_concat_any.h. */
#include "td_concat_any.h"

#include <string.h>

void td_concat_any(const td_concat_any_args_t *args, const void *const *ins, void *out)
{
    uint8_t *y = (uint8_t *)out;
    for (int32_t k = 0; k < args->outer; ++k) {
        for (int32_t i = 0; i < args->num_inputs; ++i) {
            const size_t n = (size_t)args->copy_sizes[i] * (size_t)args->elem_bytes;
            memcpy(y, (const uint8_t *)ins[i] + (size_t)k * n, n);
            y += n;
        }
    }
}
