/* td_norm_grad_f32.h - float32 gradient w.r.t. x of a layer normalization over rows of
 * `inner` consecutive elements (ONNX Runtime's LayerNormalizationGrad as Deeploy's
 * graphs carry it: mean and variance recomputed from x). Per row (sums from 0.0f in
 * increasing index, N = inner): mean = (sum x) / N; var = (sum (x - mean)^2) / N +
 * epsilon; inv = 1.0f / sqrtf(var); s1 = sum dy; s2 = sum ((dy * scale) * c) * inv with
 * c = x - mean; dx = (inv * scale) * ((dy - s1 / N) - ((c * inv) * inv / N) * s2).
 * dx must not overlap dy or x (the row is read in full before it is written, but both
 * are read again in the last loop).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, float32.py): rows, inner
 * >= 1; dy, x and dx of rows * inner floats, scale of inner floats.
 */
#ifndef TD_NORM_GRAD_F32_H
#define TD_NORM_GRAD_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t rows;
    int32_t inner;
    float epsilon;
} td_norm_grad_f32_args_t;

void td_norm_grad_f32(const td_norm_grad_f32_args_t *args, const float *dy,
                      const float *x, const float *scale, float *dx);

#endif /* TD_NORM_GRAD_F32_H */
