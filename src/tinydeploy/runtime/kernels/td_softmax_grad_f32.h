/* td_softmax_grad_f32.h - float32 gradient of a softmax over rows of n consecutive
 * elements (the backward step of td_softmax_f32): per row, s = float32 sum of dy[i] *
 * y[i] in increasing i from 0.0f, then dx[i] = y[i] * (dy[i] - s). dx may be dy or y (in
 * place: the row is read for s before it is written).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, float32.py): rows, n
 * >= 1; buffers of exactly rows * n floats.
 */
#ifndef TD_SOFTMAX_GRAD_F32_H
#define TD_SOFTMAX_GRAD_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t rows;
    int32_t n;
} td_softmax_grad_f32_args_t;

void td_softmax_grad_f32(const td_softmax_grad_f32_args_t *args, const float *dy,
                         const float *y, float *dx);

#endif /* TD_SOFTMAX_GRAD_F32_H */
