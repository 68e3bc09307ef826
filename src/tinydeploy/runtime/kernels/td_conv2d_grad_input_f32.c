/* td_conv2d_grad_input_f32.c - see td_conv2d_grad_input_f32.h. */
#include "td_conv2d_grad_input_f32.h"

#include <stddef.h>

void td_conv2d_grad_input_f32(const td_conv2d_grad_input_f32_args_t *args, const float *dy,
                              const float *w, float *dx)
{
    const td_conv2d_grad_input_f32_args_t *p = args;
    const int32_t cin_g = p->c_in / p->groups, cout_g = p->c_out / p->groups;
    float *out = dx;
    for (int32_t b = 0; b < p->n; ++b) {
        const float *dyb = dy + (size_t)b * (size_t)p->out_h * (size_t)p->out_w
            * (size_t)p->c_out;
        for (int32_t iy = 0; iy < p->h; ++iy) {
            for (int32_t ix = 0; ix < p->w; ++ix) {
                for (int32_t ci = 0; ci < p->c_in; ++ci) {
                    const int32_t g = ci / cin_g;
                    const size_t co0 = (size_t)g * (size_t)cout_g;
                    const size_t wc = co0 * (size_t)p->w_so
                        + (size_t)(ci - g * cin_g) * (size_t)p->w_si;
                    float acc = 0.0f;
                    for (int32_t ky = 0; ky < p->kh; ++ky) {
                        const int32_t ty = iy + p->pad_t - ky * p->dh;
                        if (ty < 0 || ty % p->sh != 0 || ty / p->sh >= p->out_h) {
                            continue;
                        }
                        const int32_t oy = ty / p->sh;
                        for (int32_t kx = 0; kx < p->kw; ++kx) {
                            const int32_t tx = ix + p->pad_l - kx * p->dw;
                            if (tx < 0 || tx % p->sw != 0 || tx / p->sw >= p->out_w) {
                                continue;
                            }
                            const int32_t ox = tx / p->sw;
                            const float *pd = dyb + ((size_t)oy * (size_t)p->out_w
                                                     + (size_t)ox) * (size_t)p->c_out + co0;
                            const float *pw = w + wc + (size_t)ky * (size_t)p->w_sky
                                + (size_t)kx * (size_t)p->w_skx;
                            for (int32_t j = 0; j < cout_g; ++j) {
                                acc += pd[j] * pw[(size_t)j * (size_t)p->w_so];
                            }
                        }
                    }
                    *out++ = acc;
                }
            }
        }
    }
}
