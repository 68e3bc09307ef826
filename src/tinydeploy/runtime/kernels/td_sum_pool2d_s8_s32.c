/* td_sum_pool2d_s8_s32.c - see td_sum_pool2d_s8_s32.h. */
#include "td_sum_pool2d_s8_s32.h"

#include <stddef.h>

#include "td_common.h"

void td_sum_pool2d_s8_s32(const td_sum_pool2d_s8_s32_args_t *args, const int8_t *in,
                          int32_t *out)
{
    const int32_t h = args->in_h, w = args->in_w, c = args->channels;
    for (int32_t b = 0; b < args->batches; ++b) {
        const int8_t *img = in + (size_t)b * h * w * c;
        for (int32_t oy = 0; oy < args->out_h; ++oy) {
            const int32_t y_org = oy * args->stride_h - args->pad_top;
            const int32_t y0 = TD_MAX(0, y_org);
            const int32_t y1 = TD_MIN(h, y_org + args->kernel_h);
            for (int32_t ox = 0; ox < args->out_w; ++ox) {
                const int32_t x_org = ox * args->stride_w - args->pad_left;
                const int32_t x0 = TD_MAX(0, x_org);
                const int32_t x1 = TD_MIN(w, x_org + args->kernel_w);
                for (int32_t ch = 0; ch < c; ++ch) {
                    int32_t acc = 0;
                    for (int32_t y = y0; y < y1; ++y) {
                        for (int32_t x = x0; x < x1; ++x) {
                            acc += img[((size_t)y * w + x) * c + ch] + args->input_offset;
                        }
                    }
                    *out++ = acc;
                }
            }
        }
    }
}
