/* td_norm_f32.h - float32 normalization of rows of `inner` consecutive elements (ONNX
 * LayerNormalization, GroupNormalization, InstanceNormalization, RMS norm). Per row, in
 * float32 with sums in increasing element order from 0.0f: mode 0 (layer): mean = sum(x)
 * / inner, var = sum((x - mean)^2) / inner, y = (x - mean) * r; mode 1 (rms): ms =
 * sum(x * x) / inner, y = x * r; with r = 1.0f / sqrtf(var (ms) + epsilon). Then
 * y = y * scale[k] (+ bias[k]) with k = (e / scale_stride) % scale_len for the element's
 * index e in the whole tensor; bias may be NULL. y may be x (in place: the row is read
 * for its statistics before element i is read and written).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, float32.py): rows, inner, scale_stride, scale_len
 * >= 1; mode 0 or 1; buffers of exactly rows * inner, scale_len (twice) and rows * inner
 * floats.
 */
#ifndef TD_NORM_F32_H
#define TD_NORM_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t mode;
    int32_t rows;
    int32_t inner;
    int32_t scale_stride;
    int32_t scale_len;
    float epsilon;
} td_norm_f32_args_t;

void td_norm_f32(const td_norm_f32_args_t *args, const float *x, const float *scale,
                 const float *bias, float *y);

#endif /* TD_NORM_F32_H */
