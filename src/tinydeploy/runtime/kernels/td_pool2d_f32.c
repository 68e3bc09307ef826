/* td_pool2d_f32.c - see td_pool2d_f32.h. */
#include "td_pool2d_f32.h"

#include "td_f32_common.h"

#include <stddef.h>

void td_pool2d_f32(const td_pool2d_f32_args_t *args, const float *x, float *y)
{
    const td_pool2d_f32_args_t *p = args;
    float *out = y;
    for (int32_t b = 0; b < p->n; ++b) {
        const float *xb = x + (size_t)b * (size_t)p->h * (size_t)p->w * (size_t)p->c;
        for (int32_t oy = 0; oy < p->out_h; ++oy) {
            for (int32_t ox = 0; ox < p->out_w; ++ox) {
                for (int32_t ch = 0; ch < p->c; ++ch) {
                    float acc = 0.0f;
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
                            const float v = xb[((size_t)iy * (size_t)p->w + (size_t)ix)
                                               * (size_t)p->c + (size_t)ch];
                            if (p->mode == 0) {
                                acc = (count == 0 || v > acc) ? v : acc;
                            } else {
                                acc += v;
                            }
                            ++count;
                        }
                    }
                    if (p->mode == 1) {
                        acc = acc / (float)(p->count_pad ? p->kh * p->kw : count);
                    }
                    *out++ = td_f32_act(acc, p->act);
                }
            }
        }
    }
}
