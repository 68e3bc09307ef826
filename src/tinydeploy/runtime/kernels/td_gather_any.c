/* td_gather_any.c - see td_gather_any.h. */
#include "td_gather_any.h"

#include <string.h>

void td_gather_any(const td_gather_any_args_t *args, const void *in, void *out)
{
    const td_gather_any_args_t *a = args;
    const size_t block = (size_t)a->inner * (size_t)a->elem_bytes;
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    for (int32_t o = 0; o < a->outer; ++o) {
        const uint8_t *row = src + (size_t)o * (size_t)a->axis_len * block;
        for (int32_t j = 0; j < a->num_indices; ++j) {
            memcpy(dst, row + (size_t)a->indices[j] * block, block);
            dst += block;
        }
    }
}
