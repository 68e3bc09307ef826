/* td_pool2d_impl.h - the reference AVERAGE_POOL_2D / MAX_POOL_2D driver, compiled once per
 * op and element type by the kernel that includes it (td_avg_pool2d_s8.c,
 * td_avg_pool2d_s16.c, td_max_pool2d_s8.c, td_max_pool2d_s16.c; args in
 * td_avg_pool2d_s8.h). Each output reduces the window's in-bounds input elements in int32:
 * acc = TD_POOL_INIT, acc = TD_POOL_STEP(acc, x) per element, then
 * TD_POOL_DONE(acc, count) (count = elements in the window), clamped to [act_min, act_max].
 * The includer defines these three and TD_POOL_T (element type); its public function calls
 * pool_run (a real definition in the .c file, so the link-name scan of td_names.h sees it).
 */
#ifndef TD_POOL2D_IMPL_H
#define TD_POOL2D_IMPL_H

#include "../td_names.h"

#include "td_avg_pool2d_s8.h"
#include "td_common.h"

static void pool_run(const td_avg_pool2d_s8_args_t *args, const TD_POOL_T *in, TD_POOL_T *out)
{
    const int32_t h = args->in_h, w = args->in_w, c = args->channels;
    for (int32_t b = 0; b < args->batches; ++b) {
        const TD_POOL_T *img = in + (size_t)b * h * w * c;
        for (int32_t oy = 0; oy < args->out_h; ++oy) {
            const int32_t y_org = oy * args->stride_h - args->pad_top;
            const int32_t y0 = TD_MAX(0, y_org);
            const int32_t y1 = TD_MIN(h, y_org + args->kernel_h);
            for (int32_t ox = 0; ox < args->out_w; ++ox) {
                const int32_t x_org = ox * args->stride_w - args->pad_left;
                const int32_t x0 = TD_MAX(0, x_org);
                const int32_t x1 = TD_MIN(w, x_org + args->kernel_w);
                const int32_t count = (y1 - y0) * (x1 - x0);
                for (int32_t ch = 0; ch < c; ++ch) {
                    int32_t acc = TD_POOL_INIT;
                    for (int32_t y = y0; y < y1; ++y) {
                        for (int32_t x = x0; x < x1; ++x) {
                            acc = TD_POOL_STEP(acc, (int32_t)img[((size_t)y * w + x) * c + ch]);
                        }
                    }
                    acc = TD_POOL_DONE(acc, count);
                    *out++ = (TD_POOL_T)td_clamp(acc, args->act_min, args->act_max);
                }
            }
        }
    }
}

#endif /* TD_POOL2D_IMPL_H */
