/* td_pool2d_f32.h - float32 2-D max or average pooling, NHWC. Output (b, oy, ox, c) over
 * the window rows oy*sh - pad_t + [0, kh) and columns ox*sw - pad_l + [0, kw) that lie
 * inside the input, visited row by row: mode 0 = max (from the first element), mode 1 =
 * average (float32 sum from 0.0f divided by the count of elements visited, or by kh*kw
 * when count_pad is 1), then the activation act (td_f32_common.h). The output must not overlap the input.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, float32.py): dims, kernel and strides >= 1; pads
 * >= 0; every window holds at least one input element; buffers of exactly n*h*w*c and
 * n*out_h*out_w*c floats.
 */
#ifndef TD_POOL2D_F32_H
#define TD_POOL2D_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t n, h, w, c, out_h, out_w;
    int32_t kh, kw, sh, sw, pad_t, pad_l;
    int32_t mode;
    int32_t count_pad;
    int32_t act;
} td_pool2d_f32_args_t;

void td_pool2d_f32(const td_pool2d_f32_args_t *args, const float *x, float *y);

#endif /* TD_POOL2D_F32_H */
