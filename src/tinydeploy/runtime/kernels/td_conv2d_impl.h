/* td_conv2d_impl.h - the reference (grouped or depthwise) convolution driver, compiled
 * once per variant by the kernel that includes it (td_conv2d_s8.c, td_conv2d_s16.c,
 * td_depthwise_conv2d_s8.c, td_depthwise_conv2d_s16.c; args and arithmetic in their
 * headers). Each output sums w * TD_CONV_X(a, x) over its receptive field in TD_CONV_ACC,
 * adds the bias and stores td_clamp(TD_CONV_OUT(a, acc, oc), act_min, act_max).
 * The includer defines TD_CONV_ARGS (args struct), TD_CONV_T (activation type),
 * TD_CONV_ACC (accumulator and bias type), TD_CONV_X, TD_CONV_OUT and, for the depthwise
 * kernels, TD_CONV_DEPTHWISE; its public function calls conv_run (a real definition in
 * the .c file, so the link-name scan of td_names.h sees it).
 */
#ifndef TD_CONV2D_IMPL_H
#define TD_CONV2D_IMPL_H

#include "../td_names.h"

#include "td_common.h"

#ifdef TD_CONV_DEPTHWISE
/* Sum over one output pixel's window for output channel oc (no bias). */
static TD_CONV_ACC conv_acc(const TD_CONV_ARGS *a, const TD_CONV_T *input,
                            const int8_t *weight, int32_t b, int32_t oy, int32_t ox,
                            int32_t oc)
{
    const int32_t ic = oc / a->depth_multiplier;
    TD_CONV_ACC acc = 0;
    for (int32_t ky = 0; ky < a->k_h; ++ky) {
        const int32_t iy = oy * a->stride_h - a->pad_top + ky * a->dilation_h;
        if (iy < 0 || iy >= a->in_h) continue;
        for (int32_t kx = 0; kx < a->k_w; ++kx) {
            const int32_t ix = ox * a->stride_w - a->pad_left + kx * a->dilation_w;
            if (ix < 0 || ix >= a->in_w) continue;
            const int32_t x = input[((b * a->in_h + iy) * a->in_w + ix) * a->in_c + ic];
            const int32_t w = weight[(ky * a->k_w + kx) * a->out_c + oc];
            acc += w * TD_CONV_X(a, x);
        }
    }
    return acc;
}
#else
/* Sum over one output pixel's receptive field for output channel oc (no bias). */
static TD_CONV_ACC conv_acc(const TD_CONV_ARGS *a, const TD_CONV_T *input,
                            const int8_t *weight, int32_t b, int32_t oy, int32_t ox,
                            int32_t oc)
{
    const int32_t group_c = a->in_c / a->groups;
    const int32_t c0 = (oc / (a->out_c / a->groups)) * group_c;
    TD_CONV_ACC acc = 0;
    for (int32_t ky = 0; ky < a->k_h; ++ky) {
        const int32_t iy = oy * a->stride_h - a->pad_top + ky * a->dilation_h;
        if (iy < 0 || iy >= a->in_h) continue;
        for (int32_t kx = 0; kx < a->k_w; ++kx) {
            const int32_t ix = ox * a->stride_w - a->pad_left + kx * a->dilation_w;
            if (ix < 0 || ix >= a->in_w) continue;
            const TD_CONV_T *x = input + ((b * a->in_h + iy) * a->in_w + ix) * a->in_c + c0;
            const int8_t *w = weight + ((oc * a->k_h + ky) * a->k_w + kx) * group_c;
            for (int32_t c = 0; c < group_c; ++c) {
                acc += (int32_t)w[c] * TD_CONV_X(a, x[c]);
            }
        }
    }
    return acc;
}
#endif

static void conv_run(const TD_CONV_ARGS *a, const TD_CONV_T *input, const int8_t *weight,
                     const TD_CONV_ACC *bias, TD_CONV_T *output)
{
    TD_CONV_T *y = output;
    for (int32_t b = 0; b < a->batches; ++b) {
        for (int32_t oy = 0; oy < a->out_h; ++oy) {
            for (int32_t ox = 0; ox < a->out_w; ++ox) {
                for (int32_t oc = 0; oc < a->out_c; ++oc) {
                    TD_CONV_ACC acc = conv_acc(a, input, weight, b, oy, ox, oc);
                    if (bias != NULL) acc += bias[oc];
                    const int32_t v = TD_CONV_OUT(a, acc, oc);
                    *y++ = (TD_CONV_T)td_clamp(v, a->act_min, a->act_max);
                }
            }
        }
    }
}

#endif /* TD_CONV2D_IMPL_H */
