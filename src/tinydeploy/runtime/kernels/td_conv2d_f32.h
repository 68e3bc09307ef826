/* td_conv2d_f32.h - float32 2-D convolution, NHWC activations, grouped (groups = 1: a
 * regular conv, groups = c_in = c_out: depthwise). Output (b, oy, ox, o) of group
 * g = o / (c_out / groups) is act(sum over ky, kx, ci (in this order, ci innermost) of
 * x[b, oy*sh + ky*dh - pad_t, ox*sw + kx*dw - pad_l, g * cin_g + ci] *
 * w[o * w_so + ky * w_sky + kx * w_skx + ci * w_si] + bias[o]), accumulated in float32
 * from 0.0f, taps in the padding skipped, the bias added last (NULL: none); act as
 * td_f32_common.h (0 none, 1 relu, 2 relu6, 3 relu_n1_to_1). The weight strides let one kernel read OHWI ([c_out, kh, kw, cin_g]) and
 * depthwise ([kh, kw, c_out]) weights. The output must not overlap the input.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, float32.py): every dim, kernel size, stride and
 * dilation >= 1; pads >= 0; groups divides c_in and c_out; out_h/out_w as the geometry
 * gives; weight strides >= 0 and every weight read inside w_size; buffers of exactly
 * n*h*w*c_in, w_size, c_out and n*out_h*out_w*c_out floats.
 */
#ifndef TD_CONV2D_F32_H
#define TD_CONV2D_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t n, h, w, c_in, out_h, out_w, c_out;
    int32_t kh, kw, sh, sw, dh, dw, pad_t, pad_l, groups;
    int32_t w_so, w_sky, w_skx, w_si, w_size;
    int32_t act;
} td_conv2d_f32_args_t;

void td_conv2d_f32(const td_conv2d_f32_args_t *args, const float *x, const float *w,
                   const float *bias, float *y);

#endif /* TD_CONV2D_F32_H */
