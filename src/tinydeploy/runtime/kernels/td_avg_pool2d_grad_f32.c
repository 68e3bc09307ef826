/* td_avg_pool2d_grad_f32.c - see td_avg_pool2d_grad_f32.h. */
#include "td_avg_pool2d_grad_f32.h"

#include <stddef.h>

/* Elements of window o inside [0, size) along one axis. */
static int32_t td_window_inside(int32_t o, int32_t s, int32_t pad, int32_t k, int32_t size)
{
    const int32_t lo = o * s - pad;
    const int32_t hi = lo + k;
    return (hi < size ? hi : size) - (lo > 0 ? lo : 0);
}

void td_avg_pool2d_grad_f32(const td_avg_pool2d_grad_f32_args_t *args, const float *dy,
                            float *dx)
{
    const td_avg_pool2d_grad_f32_args_t *p = args;
    float *out = dx;
    for (int32_t b = 0; b < p->n; ++b) {
        const float *dyb = dy + (size_t)b * (size_t)p->out_h * (size_t)p->out_w * (size_t)p->c;
        for (int32_t iy = 0; iy < p->h; ++iy) {
            for (int32_t ix = 0; ix < p->w; ++ix) {
                for (int32_t ch = 0; ch < p->c; ++ch) {
                    float acc = 0.0f;
                    for (int32_t ky = 0; ky < p->kh; ++ky) {
                        const int32_t ty = iy + p->pad_t - ky;
                        if (ty < 0 || ty % p->sh != 0 || ty / p->sh >= p->out_h) {
                            continue;
                        }
                        const int32_t oy = ty / p->sh;
                        const int32_t rows = td_window_inside(oy, p->sh, p->pad_t, p->kh, p->h);
                        for (int32_t kx = 0; kx < p->kw; ++kx) {
                            const int32_t tx = ix + p->pad_l - kx;
                            if (tx < 0 || tx % p->sw != 0 || tx / p->sw >= p->out_w) {
                                continue;
                            }
                            const int32_t ox = tx / p->sw;
                            const int32_t count = p->count_pad ? p->kh * p->kw
                                : rows * td_window_inside(ox, p->sw, p->pad_l, p->kw, p->w);
                            acc += dyb[((size_t)oy * (size_t)p->out_w + (size_t)ox)
                                       * (size_t)p->c + (size_t)ch] / (float)count;
                        }
                    }
                    *out++ = acc;
                }
            }
        }
    }
}
