/* td_unary_f32.c - see td_unary_f32.h. */
#include "td_unary_f32.h"

#include <math.h>

static float hard_sigmoid(float v, float alpha, float beta)
{
    float t = alpha * v + beta;
    return t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
}

static float apply(int32_t fn, float v, float alpha, float beta)
{
    switch (fn) {
    case TD_F32_RELU: return v > 0.0f ? v : 0.0f;
    case TD_F32_EXP: return expf(v);
    case TD_F32_SQRT: return sqrtf(v);
    case TD_F32_SIGMOID: return 1.0f / (1.0f + expf(-v));
    case TD_F32_TANH: return tanhf(v);
    case TD_F32_GELU: return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    case TD_F32_HARD_SIGMOID: return hard_sigmoid(v, alpha, beta);
    case TD_F32_HARD_SWISH: return v * hard_sigmoid(v, alpha, beta);
    case TD_F32_SWISH: return v / (1.0f + expf(-(alpha * v)));
    case TD_F32_FLOOR: return floorf(v);
    case TD_F32_CEIL: return ceilf(v);
    case TD_F32_CLIP: return v < alpha ? alpha : (v > beta ? beta : v);
    case TD_F32_NEG: return -v;
    case TD_F32_ABS: return fabsf(v);
    case TD_F32_ERF: return erff(v);
    case TD_F32_LEAKY_RELU: return v >= 0.0f ? v : alpha * v;
    case TD_F32_RECIPROCAL: return 1.0f / v;
    case TD_F32_LOG: return logf(v);
    case TD_F32_ROUND: return rintf(v);
    default: return v;
    }
}

void td_unary_f32(const td_unary_f32_args_t *args, const float *x, float *y)
{
    const int32_t fn = args->fn;
    const float alpha = args->alpha, beta = args->beta;
    for (int32_t i = 0; i < args->size; ++i) {
        y[i] = apply(fn, x[i], alpha, beta);
    }
}
