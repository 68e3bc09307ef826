/* td_strided_copy_any.c - see td_strided_copy_any.h. */
#include "td_strided_copy_any.h"

#include <string.h>

void td_strided_copy_any(const td_strided_copy_any_args_t *args, const void *in, void *out)
{
    const int32_t *d = args->out_shape, *s = args->in_strides;
    const int32_t e = args->elem_bytes;
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    for (int32_t i0 = 0; i0 < d[0]; ++i0)
    for (int32_t i1 = 0; i1 < d[1]; ++i1)
    for (int32_t i2 = 0; i2 < d[2]; ++i2)
    for (int32_t i3 = 0; i3 < d[3]; ++i3)
    for (int32_t i4 = 0; i4 < d[4]; ++i4) {
        int32_t at = args->in_offset + i0 * s[0] + i1 * s[1] + i2 * s[2] + i3 * s[3] +
                     i4 * s[4];
        for (int32_t i5 = 0; i5 < d[5]; ++i5, at += s[5]) {
            memcpy(dst, src + (size_t)at * (size_t)e, (size_t)e);
            dst += e;
        }
    }
}
