/* td_gelu_grad_f32.h - float32 gradient of the erf-form GELU (ONNX Runtime's GeluGrad):
 * per element, cdf = 0.5f * (1.0f + erff(x * 0.70710678f)), pdf = expf((-0.5f * x) * x)
 * * 0.39894228f, dx = dy * (cdf + x * pdf). dx may be dy or x (element i is read before
 * it is written).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, float32.py): size >= 1;
 * buffers of size floats.
 */
#ifndef TD_GELU_GRAD_F32_H
#define TD_GELU_GRAD_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
} td_gelu_grad_f32_args_t;

void td_gelu_grad_f32(const td_gelu_grad_f32_args_t *args, const float *dy,
                      const float *x, float *dx);

#endif /* TD_GELU_GRAD_F32_H */
