/* td_transpose_conv_impl.h - the reference TRANSPOSE_CONV driver, compiled once per
 * activation type by the kernel that includes it (td_transpose_conv_s8.c: int8, int32
 * sums and bias; td_transpose_conv_s16.c: int16, int64 sums and bias; args and arithmetic
 * in td_transpose_conv_s8.h). The includer defines TD_TC_T (activation type), TD_TC_ACC
 * (accumulator and bias type) and TD_TC_REQUANT (td_requant or td_requant64); its public
 * function calls tconv_run (a real definition in the .c file, so the link-name scan of
 * td_names.h sees it).
 */
#ifndef TD_TRANSPOSE_CONV_IMPL_H
#define TD_TRANSPOSE_CONV_IMPL_H

#include "../td_names.h"

#include "td_common.h"
#include "td_transpose_conv_s8.h"

/* The input index along one axis that output index o reaches through tap k, or -1. */
static int32_t tconv_source(int32_t o, int32_t pad, int32_t k, int32_t stride, int32_t size)
{
    const int32_t t = o + pad - k;
    if (t < 0 || t % stride != 0 || t / stride >= size) return -1;
    return t / stride;
}

static TD_TC_ACC tconv_acc(const td_transpose_conv_s8_args_t *a, const TD_TC_T *input,
                           const int8_t *weight, int32_t b, int32_t oy, int32_t ox,
                           int32_t oc)
{
    TD_TC_ACC acc = 0;
    for (int32_t ky = 0; ky < a->k_h; ++ky) {
        const int32_t iy = tconv_source(oy, a->pad_top, ky, a->stride_h, a->in_h);
        if (iy < 0) continue;
        for (int32_t kx = 0; kx < a->k_w; ++kx) {
            const int32_t ix = tconv_source(ox, a->pad_left, kx, a->stride_w, a->in_w);
            if (ix < 0) continue;
            const TD_TC_T *x = input + ((b * a->in_h + iy) * a->in_w + ix) * a->in_c;
            const int8_t *w = weight + ((oc * a->k_h + ky) * a->k_w + kx) * a->in_c;
            for (int32_t c = 0; c < a->in_c; ++c) {
                acc += (int32_t)w[c] * ((int32_t)x[c] + a->input_offset);
            }
        }
    }
    return acc;
}

static void tconv_run(const td_transpose_conv_s8_args_t *a, const TD_TC_T *input,
                      const int8_t *weight, const TD_TC_ACC *bias, TD_TC_T *output)
{
    TD_TC_T *y = output;
    for (int32_t b = 0; b < a->batches; ++b) {
        for (int32_t oy = 0; oy < a->out_h; ++oy) {
            for (int32_t ox = 0; ox < a->out_w; ++ox) {
                for (int32_t oc = 0; oc < a->out_c; ++oc) {
                    TD_TC_ACC acc = tconv_acc(a, input, weight, b, oy, ox, oc);
                    if (bias != NULL) acc += bias[oc];
                    int32_t v = TD_TC_REQUANT(acc, a->out_mult[oc], a->out_shift[oc]);
                    /* wraps like TFLite's int32 add; unsigned keeps it defined */
                    v = (int32_t)((uint32_t)v + (uint32_t)a->output_offset);
                    *y++ = (TD_TC_T)td_clamp(v, a->act_min, a->act_max);
                }
            }
        }
    }
}

#endif /* TD_TRANSPOSE_CONV_IMPL_H */
