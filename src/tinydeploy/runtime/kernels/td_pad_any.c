/* td_pad_any.c - see td_pad_any.h. */
#include "td_pad_any.h"

#include <string.h>

#include "td_integer.h"

void td_pad_any(const td_pad_any_args_t *args, const void *in, void *out)
{
    const td_pad_any_args_t *a = args;
    const int32_t *d = a->in_shape, *o = a->out_shape, *p = a->pad_before;
    const size_t e = (size_t)a->elem_bytes;
    int32_t total = 1;
    for (int32_t k = 0; k < 6; ++k) total *= o[k];
    for (int32_t i = 0; i < total; ++i) td_store_int(out, a->elem_bytes, i, a->fill);
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    const size_t row = (size_t)d[5] * e;
    for (int32_t i0 = 0; i0 < d[0]; ++i0)
    for (int32_t i1 = 0; i1 < d[1]; ++i1)
    for (int32_t i2 = 0; i2 < d[2]; ++i2)
    for (int32_t i3 = 0; i3 < d[3]; ++i3)
    for (int32_t i4 = 0; i4 < d[4]; ++i4) {
        const int32_t at = ((((i0 + p[0]) * o[1] + i1 + p[1]) * o[2] + i2 + p[2]) * o[3] +
                            i3 + p[3]) * o[4] + i4 + p[4];
        memcpy(dst + ((size_t)at * (size_t)o[5] + (size_t)p[5]) * e, src, row);
        src += row;
    }
}
