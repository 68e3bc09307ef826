/* td_conv2d_grad_weight_f32.h - float32 gradient of a 2-D convolution (td_conv2d_f32's
 * geometry: NHWC, grouped; depthwise = groups c_in = c_out) w.r.t. its weights. dy is the
 * gradient of the forward output [n, out_h, out_w, c_out], x the forward input [n, h, w,
 * c_in]; dw the weight gradient, written through the strides w_so, w_sky, w_skx, w_si
 * (OHWI [c_out, kh, kw, cin_g] or depthwise [kh, kw, c]). For (co, ky, kx, ci) of group
 * g = co / cout_g: dw = sum from 0.0f over b, oy, ox (in this order, increasing, ox
 * innermost) of dy[b, oy, ox, co] * x[b, oy*sh - pad_t + ky*dh, ox*sw - pad_l + kx*dw,
 * g*cin_g + ci], taps outside x skipped. Float32 products and sums, no FMA. dw must not
 * overlap dy or x.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, backward.py): every
 * dim, kernel size, stride and dilation >= 1; pads >= 0; groups divides c_in and c_out;
 * window coordinates within int32; the weight strides lay the c_out * kh * kw * cin_g
 * elements densely over w_size (every element written once); buffers of exactly
 * n*out_h*out_w*c_out, n*h*w*c_in and w_size floats.
 */
#ifndef TD_CONV2D_GRAD_WEIGHT_F32_H
#define TD_CONV2D_GRAD_WEIGHT_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t n, h, w, c_in, out_h, out_w, c_out;
    int32_t kh, kw, sh, sw, dh, dw, pad_t, pad_l, groups;
    int32_t w_so, w_sky, w_skx, w_si, w_size;
} td_conv2d_grad_weight_f32_args_t;

void td_conv2d_grad_weight_f32(const td_conv2d_grad_weight_f32_args_t *args,
                               const float *dy, const float *x, float *dw);

#endif /* TD_CONV2D_GRAD_WEIGHT_F32_H */
