/* td_reduce_f32.c - see td_reduce_f32.h. */
#include "td_reduce_f32.h"

static float reduce_one(const td_reduce_f32_args_t *p, const float *x)
{
    const int32_t *r = p->red_shape, *rs = p->red_strides;
    float acc = 0.0f;
    int32_t first = 1;
    for (int32_t j0 = 0; j0 < r[0]; ++j0)
    for (int32_t j1 = 0; j1 < r[1]; ++j1)
    for (int32_t j2 = 0; j2 < r[2]; ++j2)
    for (int32_t j3 = 0; j3 < r[3]; ++j3)
    for (int32_t j4 = 0; j4 < r[4]; ++j4)
    for (int32_t j5 = 0; j5 < r[5]; ++j5) {
        const float v = x[j0 * rs[0] + j1 * rs[1] + j2 * rs[2] + j3 * rs[3] + j4 * rs[4]
                          + j5 * rs[5]];
        if (p->mode == 2) {
            acc = (first || v > acc) ? v : acc;
            first = 0;
        } else {
            acc += v;
        }
    }
    return p->mode == 1 ? acc / (float)p->count : acc;
}

void td_reduce_f32(const td_reduce_f32_args_t *args, const float *x, float *y)
{
    const int32_t *s = args->out_shape, *os = args->out_strides;
    int32_t o = 0;
    for (int32_t i0 = 0; i0 < s[0]; ++i0)
    for (int32_t i1 = 0; i1 < s[1]; ++i1)
    for (int32_t i2 = 0; i2 < s[2]; ++i2)
    for (int32_t i3 = 0; i3 < s[3]; ++i3)
    for (int32_t i4 = 0; i4 < s[4]; ++i4)
    for (int32_t i5 = 0; i5 < s[5]; ++i5) {
        y[o++] = reduce_one(args, x + i0 * os[0] + i1 * os[1] + i2 * os[2] + i3 * os[3]
                                      + i4 * os[4] + i5 * os[5]);
    }
}
