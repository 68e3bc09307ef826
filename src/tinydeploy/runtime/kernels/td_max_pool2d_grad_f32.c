/* td_max_pool2d_grad_f32.c - see td_max_pool2d_grad_f32.h. */
#include "td_max_pool2d_grad_f32.h"

#include <stddef.h>

void td_max_pool2d_grad_f32(const td_max_pool2d_grad_f32_args_t *args, const float *dy,
                            const float *x, float *dx)
{
    const td_max_pool2d_grad_f32_args_t *p = args;
    const size_t img = (size_t)p->h * (size_t)p->w * (size_t)p->c;
    for (size_t k = 0; k < (size_t)p->n * img; ++k) {
        dx[k] = 0.0f;
    }
    const float *d = dy;
    for (int32_t b = 0; b < p->n; ++b) {
        const float *xb = x + (size_t)b * img;
        float *dxb = dx + (size_t)b * img;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                for (int32_t ch = 0; ch < p->c; ++ch) {
                    float best = 0.0f;
                    size_t at = 0;
                    int32_t count = 0;
                    for (int32_t ky = 0; ky < p->kh; ++ky) {
                        const int32_t iy = oy * p->sh + ky - p->pad_t;
                        if (iy < 0 || iy >= p->h) {
                            continue;
                        }
                        for (int32_t kx = 0; kx < p->kw; ++kx) {
                            const int32_t ix = ox * p->sw + kx - p->pad_l;
                            if (ix < 0 || ix >= p->w) {
                                continue;
                            }
                            const size_t k = ((size_t)iy * (size_t)p->w + (size_t)ix)
                                * (size_t)p->c + (size_t)ch;
                            const float v = xb[k];
                            if (count == 0 || v > best) {
                                best = v;
                                at = k;
                            }
                            ++count;
                        }
                    }
                    dxb[at] += *d++;
                }
            }
        }
    }
}
