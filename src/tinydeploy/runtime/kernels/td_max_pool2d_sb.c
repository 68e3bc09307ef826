/* td_max_pool2d_sb.c - see td_max_pool2d_sb.h. */
#include "td_max_pool2d_sb.h"

#include "td_common.h"
#include "td_pack.h"

void td_max_pool2d_sb(const td_max_pool2d_sb_args_t *args, const void *in, void *out)
{
    const td_max_pool2d_sb_args_t *a = args;
    const uint8_t *x = (const uint8_t *)in;
    const int32_t h = a->in_h, w = a->in_w, c = a->channels;
    td_packer_t y;
    td_pack_init(&y, out, a->out_bits);
    for (int32_t b = 0; b < a->batches; ++b) {
        for (int32_t oy = 0; oy < a->out_h; ++oy) {
            const int32_t y_org = oy * a->stride_h - a->pad_top;
            const int32_t y0 = TD_MAX(0, y_org), y1 = TD_MIN(h, y_org + a->kernel_h);
            for (int32_t ox = 0; ox < a->out_w; ++ox) {
                const int32_t x_org = ox * a->stride_w - a->pad_left;
                const int32_t x0 = TD_MAX(0, x_org), x1 = TD_MIN(w, x_org + a->kernel_w);
                for (int32_t ch = 0; ch < c; ++ch) {
                    int32_t best = INT32_MIN;
                    for (int32_t iy = y0; iy < y1; ++iy) {
                        for (int32_t ix = x0; ix < x1; ++ix) {
                            const int32_t v = td_unpack(x, ((b * h + iy) * w + ix) * c + ch,
                                                        a->in_bits, a->in_signed);
                            best = TD_MAX(best, v);
                        }
                    }
                    td_pack_put(&y, td_clamp(best, a->act_min, a->act_max));
                }
            }
        }
    }
    td_pack_flush(&y);
}
