/* td_pad_s8.c - see td_pad_s8.h. */
#include "td_pad_s8.h"

#include <string.h>

#include "td_common.h"

void td_pad_s8(const td_pad_s8_args_t *args, const int8_t *in, int8_t *out)
{
    const int32_t *d = args->in_shape;
    size_t os[TD_PAD_MAX_DIMS]; /* output strides in elements */
    size_t total = 1;
    for (int k = TD_PAD_MAX_DIMS - 1; k >= 0; --k) {
        os[k] = total;
        total *= (size_t)args->out_shape[k];
    }
    memset(out, (int8_t)args->pad_value, total);

    /* Copy each innermost input row to its place in the output. */
    size_t start = 0;
    for (int k = 0; k < TD_PAD_MAX_DIMS; ++k) {
        start += (size_t)args->pad_before[k] * os[k];
    }
    const size_t row = (size_t)d[5];
    for (int32_t i0 = 0; i0 < d[0]; ++i0)
    for (int32_t i1 = 0; i1 < d[1]; ++i1)
    for (int32_t i2 = 0; i2 < d[2]; ++i2)
    for (int32_t i3 = 0; i3 < d[3]; ++i3)
    for (int32_t i4 = 0; i4 < d[4]; ++i4) {
        const size_t o = start + i0 * os[0] + i1 * os[1] + i2 * os[2] + i3 * os[3] + i4 * os[4];
        memcpy(out + o, in, row);
        in += row;
    }
}
