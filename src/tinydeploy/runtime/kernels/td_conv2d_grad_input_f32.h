/* td_conv2d_grad_input_f32.h - float32 gradient of a 2-D convolution (td_conv2d_f32's
 * geometry: NHWC, grouped; depthwise = groups c_in = c_out) w.r.t. its input. dy is the
 * gradient of the forward output [n, out_h, out_w, c_out], w the forward weights read
 * through the strides w_so, w_sky, w_skx, w_si (OHWI [c_out, kh, kw, cin_g] or depthwise
 * [kh, kw, c]); dx [n, h, w, c_in] the gradient of the forward input. Gather form: for
 * input (b, iy, ix, ci) of group g = ci / cin_g, dx = sum from 0.0f over ky, kx (in this
 * order, increasing) and then the group's output channels co = g*cout_g + j (j
 * increasing, innermost) of dy[b, oy, ox, co] * w[co*w_so + ky*w_sky + kx*w_skx +
 * (ci - g*cin_g)*w_si], for the taps with ty = iy + pad_t - ky*dh >= 0, ty % sh == 0,
 * oy = ty / sh < out_h (ox likewise). Float32 products and sums, no FMA. dx must not
 * overlap dy or w.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, backward.py): every
 * dim, kernel size, stride and dilation >= 1; pads >= 0; groups divides c_in and c_out;
 * window coordinates within int32; weight strides >= 0 and every weight read inside
 * w_size; buffers of exactly n*out_h*out_w*c_out, w_size and n*h*w*c_in floats.
 */
#ifndef TD_CONV2D_GRAD_INPUT_F32_H
#define TD_CONV2D_GRAD_INPUT_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t n, h, w, c_in, out_h, out_w, c_out;
    int32_t kh, kw, sh, sw, dh, dw, pad_t, pad_l, groups;
    int32_t w_so, w_sky, w_skx, w_si, w_size;
} td_conv2d_grad_input_f32_args_t;

void td_conv2d_grad_input_f32(const td_conv2d_grad_input_f32_args_t *args, const float *dy,
                              const float *w, float *dx);

#endif /* TD_CONV2D_GRAD_INPUT_F32_H */
