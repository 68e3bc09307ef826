/* td_softmax_f32.h - float32 softmax over rows of n consecutive elements: per row, m =
 * the row's maximum, y[i] = expf(x[i] - m) (stored), s = their float32 sum in increasing
 * i from 0.0f, then y[i] = y[i] / s. y may be x (in place: the row is read whole before
 * it is written).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, float32.py): rows, n >= 1; buffers of exactly
 * rows * n floats.
 */
#ifndef TD_SOFTMAX_F32_H
#define TD_SOFTMAX_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t rows;
    int32_t n;
} td_softmax_f32_args_t;

void td_softmax_f32(const td_softmax_f32_args_t *args, const float *x, float *y);

#endif /* TD_SOFTMAX_F32_H */
