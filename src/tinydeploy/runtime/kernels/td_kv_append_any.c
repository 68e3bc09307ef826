/* td_kv_append_any.c - see td_kv_append_any.h. */
#include "td_kv_append_any.h"

#include <string.h>

void td_kv_append_any(const td_kv_append_any_args_t *args, const void *new_rows,
                      void *cache)
{
    const td_kv_append_any_args_t *a = args;
    const size_t row = (size_t)a->row * (size_t)a->elem_bytes;
    const size_t block = (size_t)a->rows * row;
    const uint8_t *src = (const uint8_t *)new_rows;
    uint8_t *dst = (uint8_t *)cache + (size_t)a->at * row;
    for (int32_t o = 0; o < a->outer; ++o) {
        memcpy(dst, src, block);
        src += block;
        dst += (size_t)a->capacity * row;
    }
}
