/* td_log_softmax_f32.h - float32 log-softmax over rows of n consecutive elements: per
 * row, m = the row's maximum, s = float32 sum of expf(x[i] - m) in increasing i from
 * 0.0f, l = logf(s), then y[i] = (x[i] - m) - l. y may be x (in place: the row is read
 * for m and s before it is written).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, float32.py): rows, n
 * >= 1; buffers of exactly rows * n floats.
 */
#ifndef TD_LOG_SOFTMAX_F32_H
#define TD_LOG_SOFTMAX_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t rows;
    int32_t n;
} td_log_softmax_f32_args_t;

void td_log_softmax_f32(const td_log_softmax_f32_args_t *args, const float *x, float *y);

#endif /* TD_LOG_SOFTMAX_F32_H */
