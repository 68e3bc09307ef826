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

/* one innermost row: the op's switch outside the loop (each element as apply() gives it) */
#define TD_ROW(expr) \
    for (int32_t i = 0; i < n; ++i) { \
        const float u = a[i * sa], v = b[i * sb]; \
        y[i] = td_f32_act((expr), act); \
    } \
    break

static void row(int32_t op, int32_t act, const float *a, int32_t sa, const float *b,
                int32_t sb, float *y, int32_t n)
{
    switch (op) {
    case TD_F32_ADD: TD_ROW(u + v);
    case TD_F32_SUB: TD_ROW(u - v);
    case TD_F32_MUL: TD_ROW(u * v);
    case TD_F32_DIV: TD_ROW(u / v);
    default: TD_ROW(apply(op, u, v));
    }
}

#undef TD_ROW

void td_binary_f32(const td_binary_f32_args_t *args, const float *a, const float *b,
                   float *y)
{
    const int32_t *s = args->out_shape, *sa = args->a_strides, *sb = args->b_strides;
    const int32_t op = args->op;
    int32_t o = 0;
    if (s[5] <= 0) {
        return;
    }
    for (int32_t i0 = 0; i0 < s[0]; ++i0)
    for (int32_t i1 = 0; i1 < s[1]; ++i1)
    for (int32_t i2 = 0; i2 < s[2]; ++i2)
    for (int32_t i3 = 0; i3 < s[3]; ++i3)
    for (int32_t i4 = 0; i4 < s[4]; ++i4) {
        const int32_t pa = i0 * sa[0] + i1 * sa[1] + i2 * sa[2] + i3 * sa[3] + i4 * sa[4];
        const int32_t pb = i0 * sb[0] + i1 * sb[1] + i2 * sb[2] + i3 * sb[3] + i4 * sb[4];
        row(op, args->act, a + pa, sa[5], b + pb, sb[5], y + o, s[5]);
        o += s[5];
    }
}
