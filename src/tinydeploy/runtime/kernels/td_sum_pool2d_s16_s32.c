/* td_sum_pool2d_s16_s32.c - see td_sum_pool2d_s16_s32.h. */
#include "td_sum_pool2d_s16_s32.h"

#include "td_common.h"

void td_sum_pool2d_s16_s32(const td_sum_pool2d_s16_s32_args_t *a, const int16_t *in,
                           int32_t *out)
{
    for (int32_t b = 0; b < a->batches; ++b) {
        for (int32_t oy = 0; oy < a->out_h; ++oy) {
            const int32_t y_org = oy * a->stride_h - a->pad_top;
            const int32_t y0 = TD_MAX(0, y_org), y1 = TD_MIN(a->in_h, y_org + a->kernel_h);
            for (int32_t ox = 0; ox < a->out_w; ++ox) {
                const int32_t x_org = ox * a->stride_w - a->pad_left;
                const int32_t x0 = TD_MAX(0, x_org);
                const int32_t x1 = TD_MIN(a->in_w, x_org + a->kernel_w);
                for (int32_t ch = 0; ch < a->channels; ++ch) {
                    int32_t acc = 0;
                    for (int32_t y = y0; y < y1; ++y)
                        for (int32_t x = x0; x < x1; ++x)
                            acc += in[((b * a->in_h + y) * a->in_w + x) * a->channels + ch] +
                                   a->input_offset;
                    *out++ = acc;
                }
            }
        }
    }
}
