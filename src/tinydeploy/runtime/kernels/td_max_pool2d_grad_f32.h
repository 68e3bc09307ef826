/* td_max_pool2d_grad_f32.h - float32 gradient of td_pool2d_f32's max pooling (NHWC)
 * w.r.t. its input x [n, h, w, c]. dy [n, out_h, out_w, c] is the gradient of the
 * forward output, dx [n, h, w, c] that of x. Scatter form: dx = 0.0f; then for each
 * window (b, oy, ox, ch) in increasing order (ch innermost), dx[b, iy*, ix*, ch] +=
 * dy[b, oy, ox, ch] at the window's first maximum (iy*, ix*): the forward's visit of the
 * window's elements inside x row by row, taking an element when it is the first or
 * greater than the kept one (ties keep the first; a NaN never replaces). dx must not
 * overlap dy or x.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, backward.py): dims,
 * kernel and strides >= 1; pads >= 0; window coordinates within int32; every
 * window holds at least one input element; buffers of exactly n*out_h*out_w*c,
 * n*h*w*c and n*h*w*c floats.
 */
#ifndef TD_MAX_POOL2D_GRAD_F32_H
#define TD_MAX_POOL2D_GRAD_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t n, h, w, c, out_h, out_w;
    int32_t kh, kw, sh, sw, pad_t, pad_l;
} td_max_pool2d_grad_f32_args_t;

void td_max_pool2d_grad_f32(const td_max_pool2d_grad_f32_args_t *args, const float *dy,
                            const float *x, float *dx);

#endif /* TD_MAX_POOL2D_GRAD_F32_H */
