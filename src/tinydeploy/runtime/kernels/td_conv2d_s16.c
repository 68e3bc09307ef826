/* td_conv2d_s16.c - reference 16x8 convolution (see td_conv2d_s16.h). */
#include "td_conv2d_s16.h"

#include "td_16x8.h"
#include "td_common.h"

/* Sum over one output pixel's receptive field for output channel oc (no bias). */
static int64_t conv_acc(const td_conv2d_s16_args_t *a, const int16_t *input,
                        const int8_t *weight, int32_t b, int32_t oy, int32_t ox, int32_t oc)
{
    const int32_t group_c = a->in_c / a->groups;
    const int32_t c0 = (oc / (a->out_c / a->groups)) * group_c;
    int64_t acc = 0;
    for (int32_t ky = 0; ky < a->k_h; ++ky) {
        const int32_t iy = oy * a->stride_h - a->pad_top + ky * a->dilation_h;
        if (iy < 0 || iy >= a->in_h) continue;
        for (int32_t kx = 0; kx < a->k_w; ++kx) {
            const int32_t ix = ox * a->stride_w - a->pad_left + kx * a->dilation_w;
            if (ix < 0 || ix >= a->in_w) continue;
            const int16_t *x = input + ((b * a->in_h + iy) * a->in_w + ix) * a->in_c + c0;
            const int8_t *w = weight + ((oc * a->k_h + ky) * a->k_w + kx) * group_c;
            for (int32_t c = 0; c < group_c; ++c) {
                acc += (int32_t)w[c] * (int32_t)x[c];
            }
        }
    }
    return acc;
}

void td_conv2d_s16(const td_conv2d_s16_args_t *args, const int16_t *input,
                   const int8_t *weight, const int64_t *bias, int16_t *output)
{
    const td_conv2d_s16_args_t *a = args;
    int16_t *y = output;
    for (int32_t b = 0; b < a->batches; ++b) {
        for (int32_t oy = 0; oy < a->out_h; ++oy) {
            for (int32_t ox = 0; ox < a->out_w; ++ox) {
                for (int32_t oc = 0; oc < a->out_c; ++oc) {
                    int64_t acc = conv_acc(a, input, weight, b, oy, ox, oc);
                    if (bias != NULL) acc += bias[oc];
                    const int32_t v = td_requant64(acc, a->out_mult[oc], a->out_shift[oc]);
                    *y++ = (int16_t)td_clamp(v, a->act_min, a->act_max);
                }
            }
        }
    }
}
