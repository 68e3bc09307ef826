/* td_conv2d_f32.c - see td_conv2d_f32.h. */
#include "td_conv2d_f32.h"

#include "td_f32_common.h"

#include <stddef.h>

void td_conv2d_f32(const td_conv2d_f32_args_t *args, const float *x, const float *w,
                   const float *bias, float *y)
{
    const td_conv2d_f32_args_t *p = args;
    const int32_t cin_g = p->c_in / p->groups, cout_g = p->c_out / p->groups;
    /* no dilation along x: a kernel row's valid taps are kx0..kx1-1, found once (no test
     * per tap), summed in the same order; with one group and the weights of a row
     * contiguous over (kx, ci), the row is one run of x and of w */
    const int row_run = p->groups == 1 && p->w_skx == cin_g * p->w_si;
    float *out = y;
    for (int32_t b = 0; b < p->n; ++b) {
        const float *xb = x + (size_t)b * (size_t)p->h * (size_t)p->w * (size_t)p->c_in;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                const int32_t ix0 = ox * p->sw - p->pad_l;     /* (the dw == 1 path) */
                const int32_t kx0 = ix0 < 0 ? -ix0 : 0;
                const int32_t kx1 = p->w - ix0 < p->kw ? p->w - ix0 : p->kw;
                for (int32_t o = 0; o < p->c_out; ++o) {
                    const int32_t c0 = (o / cout_g) * cin_g;
                    float acc = 0.0f;
                    for (int32_t ky = 0; ky < p->kh; ++ky) {
                        const int32_t iy = oy * p->sh + ky * p->dh - p->pad_t;
                        if (iy < 0 || iy >= p->h) {
                            continue;
                        }
                        if (p->dw == 1) {
                            if (kx1 <= kx0) {
                                continue;
                            }
                            const float *px = xb + ((size_t)iy * (size_t)p->w
                                                    + (size_t)(ix0 + kx0)) * (size_t)p->c_in
                                              + (size_t)c0;
                            const float *pw = w + o * p->w_so + ky * p->w_sky
                                              + kx0 * p->w_skx;
                            const int32_t wsi = p->w_si;
                            if (row_run) {
                                const int32_t n = (kx1 - kx0) * cin_g;
                                for (int32_t i = 0; i < n; ++i) {
                                    acc += px[i] * pw[i * wsi];
                                }
                                continue;
                            }
                            for (int32_t t = 0; t < kx1 - kx0; ++t) {
                                const float *qx = px + (size_t)t * (size_t)p->c_in;
                                const float *qw = pw + t * p->w_skx;
                                for (int32_t ci = 0; ci < cin_g; ++ci) {
                                    acc += qx[ci] * qw[ci * wsi];
                                }
                            }
                            continue;
                        }
                        for (int32_t kx = 0; kx < p->kw; ++kx) {
                            const int32_t ix = ox * p->sw + kx * p->dw - p->pad_l;
                            if (ix < 0 || ix >= p->w) {
                                continue;
                            }
                            const float *px = xb + ((size_t)iy * (size_t)p->w + (size_t)ix)
                                * (size_t)p->c_in + (size_t)c0;
                            const float *pw = w + o * p->w_so + ky * p->w_sky + kx * p->w_skx;
                            for (int32_t ci = 0; ci < cin_g; ++ci) {
                                acc += px[ci] * pw[ci * p->w_si];
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc += bias[o];
                    }
                    *out++ = td_f32_act(acc, p->act);
                }
            }
        }
    }
}
