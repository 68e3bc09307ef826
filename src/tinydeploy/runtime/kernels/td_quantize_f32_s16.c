/* td_quantize_f32_s16.c - see td_quantize_f32_s16.h. */
#include "td_quantize_f32_s16.h"

#include "td_common.h"

/* Any bound beyond 65535 + 32768 gives the same int16 result and keeps the cast defined. */
#define TD_Q16_CLAMP 131072.0f

/* round(q) half away from zero for |q| <= 2^17 (exact: q - trunc(q) has no rounding). */
static int32_t round_half_away(float q)
{
    const int32_t t = (int32_t)q;
    const float frac = q - (float)t;
    if (frac >= 0.5f) return t + 1;
    if (frac <= -0.5f) return t - 1;
    return t;
}

void td_quantize_f32_s16(const td_quantize_f32_s16_args_t *args, const float *x,
                         int16_t *out)
{
    for (int32_t i = 0; i < args->size; ++i) {
        float q = x[i] / args->scale;
        if (q != q) q = 0.0f;                     /* NaN */
        if (q > TD_Q16_CLAMP) q = TD_Q16_CLAMP;
        if (q < -TD_Q16_CLAMP) q = -TD_Q16_CLAMP;
        out[i] = (int16_t)td_clamp(round_half_away(q) + args->zero_point, INT16_MIN, INT16_MAX);
    }
}
