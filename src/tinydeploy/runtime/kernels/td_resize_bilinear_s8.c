/* td_resize_bilinear_s8.c - see td_resize_bilinear_s8.h. */
#include "td_resize_bilinear_s8.h"

#include <stddef.h>

static int8_t blend(int64_t p00, int64_t p10, int64_t p01, int64_t p11, int64_t wy,
                    int64_t wx)
{
    const int64_t acc = p00 * (1024 - wy) * (1024 - wx) + p10 * wy * (1024 - wx) +
                        p01 * (1024 - wy) * wx + p11 * wy * wx;
    const int64_t q = (acc + (acc > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20);
    return (int8_t)(uint8_t)(uint64_t)q;     /* TFLite's static_cast<int8_t> */
}

void td_resize_bilinear_s8(const td_resize_bilinear_s8_args_t *args, const int8_t *in,
                           int8_t *out)
{
    const int32_t c = args->channels;
    for (int32_t b = 0; b < args->batches; ++b) {
        const int8_t *img = in + (size_t)b * args->in_h * args->in_w * c;
        for (int32_t y = 0; y < args->out_h; ++y) {
            const int8_t *r0 = img + (size_t)args->y0[y] * args->in_w * c;
            const int8_t *r1 = img + (size_t)args->y1[y] * args->in_w * c;
            for (int32_t x = 0; x < args->out_w; ++x) {
                const size_t c0 = (size_t)args->x0[x] * c, c1 = (size_t)args->x1[x] * c;
                for (int32_t k = 0; k < c; ++k) {
                    *out++ = blend(r0[c0 + k], r1[c0 + k], r0[c1 + k], r1[c1 + k],
                                   args->wy[y], args->wx[x]);
                }
            }
        }
    }
}
