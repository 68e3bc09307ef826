/* td_max_pool2d_s16.c - see td_max_pool2d_s16.h. */
#include "td_max_pool2d_s16.h"

#include "td_common.h"

void td_max_pool2d_s16(const td_max_pool2d_s16_args_t *args, const int16_t *in, int16_t *out)
{
    const int32_t h = args->in_h, w = args->in_w, c = args->channels;
    for (int32_t b = 0; b < args->batches; ++b) {
        const int16_t *img = in + (size_t)b * h * w * c;
        for (int32_t oy = 0; oy < args->out_h; ++oy) {
            const int32_t y_org = oy * args->stride_h - args->pad_top;
            const int32_t y0 = TD_MAX(0, y_org);
            const int32_t y1 = TD_MIN(h, y_org + args->kernel_h);
            for (int32_t ox = 0; ox < args->out_w; ++ox) {
                const int32_t x_org = ox * args->stride_w - args->pad_left;
                const int32_t x0 = TD_MAX(0, x_org);
                const int32_t x1 = TD_MIN(w, x_org + args->kernel_w);
                for (int32_t ch = 0; ch < c; ++ch) {
                    int32_t m = INT16_MIN;
                    for (int32_t y = y0; y < y1; ++y) {
                        for (int32_t x = x0; x < x1; ++x) {
                            m = TD_MAX(m, (int32_t)img[((size_t)y * w + x) * c + ch]);
                        }
                    }
                    *out++ = (int16_t)td_clamp(m, args->act_min, args->act_max);
                }
            }
        }
    }
}
