/* td_transpose_conv_s16.c - reference transposed convolution (see td_transpose_conv_s16.h). */
#include "td_transpose_conv_s16.h"

#include "td_common.h"
#include "td_16x8.h"

/* The input index along one axis that output index o reaches through tap k, or -1. */
static int32_t source(int32_t o, int32_t pad, int32_t k, int32_t stride, int32_t size)
{
    const int32_t t = o + pad - k;
    if (t < 0 || t % stride != 0 || t / stride >= size) return -1;
    return t / stride;
}

static int64_t tconv_acc(const td_transpose_conv_s16_args_t *a, const int16_t *input,
                         const int8_t *weight, int32_t b, int32_t oy, int32_t ox,
                         int32_t oc)
{
    int64_t acc = 0;
    for (int32_t ky = 0; ky < a->k_h; ++ky) {
        const int32_t iy = source(oy, a->pad_top, ky, a->stride_h, a->in_h);
        if (iy < 0) continue;
        for (int32_t kx = 0; kx < a->k_w; ++kx) {
            const int32_t ix = source(ox, a->pad_left, kx, a->stride_w, a->in_w);
            if (ix < 0) continue;
            const int16_t *x = input + ((b * a->in_h + iy) * a->in_w + ix) * a->in_c;
            const int8_t *w = weight + ((oc * a->k_h + ky) * a->k_w + kx) * a->in_c;
            for (int32_t c = 0; c < a->in_c; ++c) {
                acc += (int32_t)w[c] * ((int32_t)x[c] + a->input_offset);
            }
        }
    }
    return acc;
}

void td_transpose_conv_s16(const td_transpose_conv_s16_args_t *args, const int16_t *input,
                           const int8_t *weight, const int64_t *bias, int16_t *output)
{
    const td_transpose_conv_s16_args_t *a = args;
    int16_t *y = output;
    for (int32_t b = 0; b < a->batches; ++b) {
        for (int32_t oy = 0; oy < a->out_h; ++oy) {
            for (int32_t ox = 0; ox < a->out_w; ++ox) {
                for (int32_t oc = 0; oc < a->out_c; ++oc) {
                    int64_t acc = tconv_acc(a, input, weight, b, oy, ox, oc);
                    if (bias != NULL) acc += bias[oc];
                    int32_t v = td_requant64(acc, a->out_mult[oc], a->out_shift[oc]);
                    /* wraps like TFLite's int32 add; unsigned keeps it defined */
                    v = (int32_t)((uint32_t)v + (uint32_t)a->output_offset);
                    *y++ = (int16_t)td_clamp(v, a->act_min, a->act_max);
                }
            }
        }
    }
}
