/* td_reduce_max_s8.c - see td_reduce_max_s8.h. */
#include "td_reduce_max_s8.h"

#include <stddef.h>

/* The largest element of the reduced sub-tensor that starts at x. */
static int8_t max_reduced(const td_reduce_max_s8_args_t *args, const int8_t *x)
{
    const int32_t *d = args->red_dims;
    const int32_t *s = args->red_strides;
    int8_t m = INT8_MIN;
    for (int32_t i0 = 0; i0 < d[0]; ++i0)
    for (int32_t i1 = 0; i1 < d[1]; ++i1)
    for (int32_t i2 = 0; i2 < d[2]; ++i2)
    for (int32_t i3 = 0; i3 < d[3]; ++i3)
    for (int32_t i4 = 0; i4 < d[4]; ++i4)
    for (int32_t i5 = 0; i5 < d[5]; ++i5) {
        const int8_t v = x[(size_t)i0 * s[0] + (size_t)i1 * s[1] + (size_t)i2 * s[2] +
                        (size_t)i3 * s[3] + (size_t)i4 * s[4] + (size_t)i5 * s[5]];
        if (v > m) m = v;
    }
    return m;
}

void td_reduce_max_s8(const td_reduce_max_s8_args_t *args, const int8_t *in, int8_t *out)
{
    const int32_t *d = args->keep_dims;
    const int32_t *s = args->keep_strides;
    for (int32_t i0 = 0; i0 < d[0]; ++i0)
    for (int32_t i1 = 0; i1 < d[1]; ++i1)
    for (int32_t i2 = 0; i2 < d[2]; ++i2)
    for (int32_t i3 = 0; i3 < d[3]; ++i3)
    for (int32_t i4 = 0; i4 < d[4]; ++i4)
    for (int32_t i5 = 0; i5 < d[5]; ++i5) {
        *out++ = max_reduced(args, in + ((size_t)i0 * s[0] + (size_t)i1 * s[1] +
                                         (size_t)i2 * s[2] + (size_t)i3 * s[3] +
                                         (size_t)i4 * s[4] + (size_t)i5 * s[5]));
    }
}
