/* td_binary_f32.c - see td_binary_f32.h. */
#include "td_binary_f32.h"

#include "td_f32_common.h"

#include <math.h>

static float apply(int32_t op, float u, float v)
{
    switch (op) {
    case TD_F32_ADD: return u + v;
    case TD_F32_SUB: return u - v;
    case TD_F32_MUL: return u * v;
    case TD_F32_DIV: return u / v;
    case TD_F32_POW: return powf(u, v);
    case TD_F32_MAX: return u > v ? u : v;
    default: return u < v ? u : v;
    }
}

void td_binary_f32(const td_binary_f32_args_t *args, const float *a, const float *b,
                   float *y)
{
    const int32_t *s = args->out_shape, *sa = args->a_strides, *sb = args->b_strides;
    const int32_t op = args->op;
    int32_t o = 0;
    for (int32_t i0 = 0; i0 < s[0]; ++i0)
    for (int32_t i1 = 0; i1 < s[1]; ++i1)
    for (int32_t i2 = 0; i2 < s[2]; ++i2)
    for (int32_t i3 = 0; i3 < s[3]; ++i3)
    for (int32_t i4 = 0; i4 < s[4]; ++i4) {
        const int32_t pa = i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3] + i4 * sa[4];
        const int32_t pb = i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3] + i4 * sb[4];
        for (int32_t i5 = 0; i5 < s[5]; ++i5) {
            y[o++] = td_f32_act(apply(op, a[pa + i5 * sa[5]], b[pb + i5 * sb[5]]), args->act);
        }
    }
}
