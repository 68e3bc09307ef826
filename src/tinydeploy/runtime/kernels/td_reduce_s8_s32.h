/* td_reduce_s8_s32.h - integer sum over axes (mode 0, ReduceSum) or its mean rounded half
 * up (mode 1: floor(sum / count + 1/2); IntegerMean, Deeploy's ReduceMean) of int8_t
 * source values x = stored + x_offset, int32_t out (y + out_offset). The kept dims are
 * walked in output order, per output the reduced dims; both as (size, input stride)
 * pairs, left-extended to 6 dims.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): count = prod(red_dims) > 0, 256 * count < 2^31;
 * dims > 0, strides >= 0; the input buffer holds exactly the elements the strides reach;
 * the output prod(keep_dims) int32 values.
 */
#ifndef TD_REDUCE_S8_S32_H
#define TD_REDUCE_S8_S32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t count;             /* elements per output */
    int32_t mode;              /* 0 sum, 1 mean rounded half up */
    int32_t x_offset;          /* -zero point of the input */
    int32_t out_offset;        /* zero point of the output */
    const int32_t *keep_dims;  /* [6] */
    const int32_t *keep_strides;
    const int32_t *red_dims;   /* [6] */
    const int32_t *red_strides;
} td_reduce_s8_s32_args_t;

/* The sum (or rounded mean) of the reduced elements starting at x; shared with
 * td_reduce_s8_s8. */
static inline int32_t td_reduce_value(const td_reduce_s8_s32_args_t *a, const int8_t *x)
{
    const int32_t *d = a->red_dims, *s = a->red_strides;
    int32_t sum = 0;
    for (int32_t i0 = 0; i0 < d[0]; ++i0)
    for (int32_t i1 = 0; i1 < d[1]; ++i1)
    for (int32_t i2 = 0; i2 < d[2]; ++i2)
    for (int32_t i3 = 0; i3 < d[3]; ++i3)
    for (int32_t i4 = 0; i4 < d[4]; ++i4)
    for (int32_t i5 = 0; i5 < d[5]; ++i5) {
        sum += x[i0 * s[0] + i1 * s[1] + i2 * s[2] + i3 * s[3] + i4 * s[4] + i5 * s[5]]
               + a->x_offset;
    }
    if (a->mode == 0) return sum;
    const int32_t num = 2 * sum + a->count, den = 2 * a->count;      /* floor(num / den) */
    return num >= 0 ? num / den : -((-num + den - 1) / den);
}

/* Offset in the input of the first reduced element of output k (kept dims in order). */
static inline int32_t td_reduce_origin(const td_reduce_s8_s32_args_t *a, int32_t k)
{
    int32_t off = 0;
    for (int32_t d = 5; d >= 0; --d) {
        off += (k % a->keep_dims[d]) * a->keep_strides[d];
        k /= a->keep_dims[d];
    }
    return off;
}

static inline int32_t td_reduce_outputs(const td_reduce_s8_s32_args_t *a)
{
    int32_t n = 1;
    for (int32_t d = 0; d < 6; ++d) n *= a->keep_dims[d];
    return n;
}

void td_reduce_s8_s32(const td_reduce_s8_s32_args_t *args, const int8_t *in, int32_t *out);

#endif /* TD_REDUCE_S8_S32_H */
