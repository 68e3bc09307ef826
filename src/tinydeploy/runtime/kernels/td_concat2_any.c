/* td_concat2_any.c - see td_concat2_any.h. */
#include "td_concat2_any.h"

#include <string.h>

void td_concat2_any(const td_concat2_any_args_t *args, const void *a, const void *b,
                    void *out)
{
    const size_t ra = (size_t)args->a_row * (size_t)args->elem_bytes;
    const size_t rb = (size_t)args->b_row * (size_t)args->elem_bytes;
    uint8_t *dst = (uint8_t *)out;
    for (int32_t o = 0; o < args->outer; ++o) {
        memcpy(dst, (const uint8_t *)a + (size_t)o * ra, ra);
        memcpy(dst + ra, (const uint8_t *)b + (size_t)o * rb, rb);
        dst += ra + rb;
    }
}
