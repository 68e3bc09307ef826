/* td_insert_any.c - see td_insert_any.h. */
#include "td_insert_any.h"

#include <string.h>

void td_insert_any(const td_insert_any_args_t *args, const void *base, const void *src,
                   void *out)
{
    const int32_t *d = args->src_shape, *s = args->out_strides;
    const int32_t e = args->elem_bytes;
    const uint8_t *x = (const uint8_t *)src;
    uint8_t *y = (uint8_t *)out;
    const size_t total = (size_t)args->out_size * (size_t)e;
    if (base != out) memcpy(y, base, total);
    for (int32_t i0 = 0; i0 < d[0]; ++i0)
    for (int32_t i1 = 0; i1 < d[1]; ++i1)
    for (int32_t i2 = 0; i2 < d[2]; ++i2)
    for (int32_t i3 = 0; i3 < d[3]; ++i3)
    for (int32_t i4 = 0; i4 < d[4]; ++i4) {
        const int32_t at = args->offset + i0 * s[0] + i1 * s[1] + i2 * s[2] + i3 * s[3] +
                           i4 * s[4];
        const size_t n = (size_t)d[5] * (size_t)e;
        if (s[5] == 1) {                       /* a contiguous row: one copy */
            memcpy(y + (size_t)at * (size_t)e, x, n);
        } else {
            for (int32_t i5 = 0; i5 < d[5]; ++i5) {
                memcpy(y + (size_t)(at + i5 * s[5]) * (size_t)e, x + (size_t)i5 * (size_t)e,
                       (size_t)e);
            }
        }
        x += n;
    }
}
