/* td_quantize_f32_s8.c - see td_quantize_f32_s8.h. */
#include "td_quantize_f32_s8.h"

#include "td_common.h"

/* round(q) half away from zero for |q| <= 512 (exact: q - trunc(q) has no rounding). */
static int32_t round_half_away(float q)
{
    const int32_t t = (int32_t)q;
    const float frac = q - (float)t;
    if (frac >= 0.5f) return t + 1;
    if (frac <= -0.5f) return t - 1;
    return t;
}

void td_quantize_f32_s8(const td_quantize_f32_s8_args_t *args, const float *x, int8_t *out)
{
    for (int32_t i = 0; i < args->size; ++i) {
        float q = x[i] / args->scale;
        if (q != q) q = 0.0f;                     /* NaN */
        /* Any bound beyond 255 + 128 gives the same int8 result; keeps the cast defined. */
        if (q > 512.0f) q = 512.0f;
        if (q < -512.0f) q = -512.0f;
        out[i] = (int8_t)td_clamp(round_half_away(q) + args->zero_point, -128, 127);
    }
}
