/* td_conv2d_grad_weight_f32.c - see td_conv2d_grad_weight_f32.h. */
#include "td_conv2d_grad_weight_f32.h"

#include <stddef.h>

void td_conv2d_grad_weight_f32(const td_conv2d_grad_weight_f32_args_t *args,
                               const float *dy, const float *x, float *dw)
{
    const td_conv2d_grad_weight_f32_args_t *p = args;
    const int32_t cin_g = p->c_in / p->groups, cout_g = p->c_out / p->groups;
    const size_t x_img = (size_t)p->h * (size_t)p->w * (size_t)p->c_in;
    const size_t y_img = (size_t)p->out_h * (size_t)p->out_w * (size_t)p->c_out;
    for (int32_t co = 0; co < p->c_out; ++co) {
        const int32_t c0 = (co / cout_g) * cin_g;
        for (int32_t ky = 0; ky < p->kh; ++ky) {
            for (int32_t kx = 0; kx < p->kw; ++kx) {
                for (int32_t ci = 0; ci < cin_g; ++ci) {
                    float acc = 0.0f;
                    for (int32_t b = 0; b < p->n; ++b) {
                        const float *xb = x + (size_t)b * x_img + (size_t)(c0 + ci);
                        const float *dyb = dy + (size_t)b * y_img + (size_t)co;
                        for (int32_t oy = 0; oy < p->out_h; ++oy) {
                            const int32_t iy = oy * p->sh - p->pad_t + ky * p->dh;
                            if (iy < 0 || iy >= p->h) {
                                continue;
                            }
                            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                                const int32_t ix = ox * p->sw - p->pad_l + kx * p->dw;
                                if (ix < 0 || ix >= p->w) {
                                    continue;
                                }
                                acc += dyb[((size_t)oy * (size_t)p->out_w + (size_t)ox)
                                           * (size_t)p->c_out]
                                    * xb[((size_t)iy * (size_t)p->w + (size_t)ix)
                                         * (size_t)p->c_in];
                            }
                        }
                    }
                    dw[(size_t)co * (size_t)p->w_so + (size_t)ky * (size_t)p->w_sky
                       + (size_t)kx * (size_t)p->w_skx + (size_t)ci * (size_t)p->w_si] = acc;
                }
            }
        }
    }
}
