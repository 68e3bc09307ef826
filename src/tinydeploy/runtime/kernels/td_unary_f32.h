/* td_unary_f32.h - float32 y[i] = fn(x[i]) for i in [0, size) (ir/ops/float32.py
 * "unary"). fn codes (TD_F32_*): relu, exp, sqrt, sigmoid 1/(1+exp(-x)), tanh, gelu
 * 0.5*x*(1+erf(x/sqrt(2))), hard_sigmoid max(0, min(1, alpha*x+beta)), hard_swish
 * x*hard_sigmoid(x), swish x/(1+exp(-alpha*x)), floor, ceil, clip min(max(x, alpha),
 * beta), neg, abs, erf, leaky_relu (x >= 0 ? x : alpha*x), reciprocal 1/x, log, round
 * (half to even), identity. y may be x (in place).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, float32.py): size >= 1; fn a known code; buffers
 * of size floats.
 */
#ifndef TD_UNARY_F32_H
#define TD_UNARY_F32_H

#include "../td_names.h"

#include <stdint.h>

enum {
    TD_F32_RELU = 0, TD_F32_EXP, TD_F32_SQRT, TD_F32_SIGMOID, TD_F32_TANH, TD_F32_GELU,
    TD_F32_HARD_SIGMOID, TD_F32_HARD_SWISH, TD_F32_SWISH, TD_F32_FLOOR, TD_F32_CEIL,
    TD_F32_CLIP, TD_F32_NEG, TD_F32_ABS, TD_F32_ERF, TD_F32_LEAKY_RELU,
    TD_F32_RECIPROCAL, TD_F32_LOG, TD_F32_ROUND, TD_F32_IDENTITY
};

typedef struct {
    int32_t size;
    int32_t fn;
    float alpha;
    float beta;
} td_unary_f32_args_t;

void td_unary_f32(const td_unary_f32_args_t *args, const float *x, float *y);

#endif /* TD_UNARY_F32_H */
