/* td_avg_pool2d_grad_f32.h - float32 gradient of td_pool2d_f32's average pooling (NHWC)
 * w.r.t. its input. dy [n, out_h, out_w, c] is the gradient of the forward output, dx
 * [n, h, w, c] that of the forward input. Gather form: dx[b, iy, ix, ch] = sum from 0.0f
 * over ky, kx (in this order, increasing) of dy[b, oy, ox, ch] / (float)count(oy, ox) for
 * the windows with ty = iy + pad_t - ky >= 0, ty % sh == 0, oy = ty / sh < out_h (ox
 * likewise); count is the forward's divisor: kh*kw when count_pad is 1, else the
 * window's rows inside the input times its columns inside the input. dx must not overlap
 * dy.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, backward.py): dims,
 * kernel and strides >= 1; pads >= 0; window coordinates within int32; every
 * window holds at least one input element; count_pad 0 or 1; buffers of exactly
 * n*out_h*out_w*c and n*h*w*c floats.
 */
#ifndef TD_AVG_POOL2D_GRAD_F32_H
#define TD_AVG_POOL2D_GRAD_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t n, h, w, c, out_h, out_w;
    int32_t kh, kw, sh, sw, pad_t, pad_l;
    int32_t count_pad;
} td_avg_pool2d_grad_f32_args_t;

void td_avg_pool2d_grad_f32(const td_avg_pool2d_grad_f32_args_t *args, const float *dy,
                            float *dx);

#endif /* TD_AVG_POOL2D_GRAD_F32_H */
