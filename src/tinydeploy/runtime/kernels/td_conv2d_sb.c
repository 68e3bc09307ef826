/* td_conv2d_sb.c - reference sub-byte convolution (see td_conv2d_sb.h). */
#include "td_conv2d_sb.h"

#include "td_common.h"
#include "td_pack.h"

/* Sum over one output pixel's receptive field for output channel oc (no bias). */
static int32_t conv_acc(const td_conv2d_sb_args_t *a, const uint8_t *x, const uint8_t *w,
                        int32_t b, int32_t oy, int32_t ox, int32_t oc)
{
    const int32_t group_c = a->in_c / a->groups;
    const int32_t c0 = (oc / (a->out_c / a->groups)) * group_c;
    int32_t acc = 0;
    for (int32_t ky = 0; ky < a->k_h; ++ky) {
        const int32_t iy = oy * a->stride_h - a->pad_top + ky * a->dilation_h;
        if (iy < 0 || iy >= a->in_h) continue;
        for (int32_t kx = 0; kx < a->k_w; ++kx) {
            const int32_t ix = ox * a->stride_w - a->pad_left + kx * a->dilation_w;
            if (ix < 0 || ix >= a->in_w) continue;
            const int32_t xi = ((b * a->in_h + iy) * a->in_w + ix) * a->in_c + c0;
            const int32_t wi = ((oc * a->k_h + ky) * a->k_w + kx) * group_c;
            for (int32_t c = 0; c < group_c; ++c) {
                const int32_t xv = td_unpack(x, xi + c, a->in_bits, a->in_signed);
                acc += td_unpack(w, wi + c, a->w_bits, 1) * (xv + a->input_offset);
            }
        }
    }
    return acc;
}

void td_conv2d_sb(const td_conv2d_sb_args_t *args, const void *input, const void *weight,
                  const int32_t *bias, void *output)
{
    const td_conv2d_sb_args_t *a = args;
    td_packer_t y;
    td_pack_init(&y, output, a->out_bits);
    for (int32_t b = 0; b < a->batches; ++b) {
        for (int32_t oy = 0; oy < a->out_h; ++oy) {
            for (int32_t ox = 0; ox < a->out_w; ++ox) {
                for (int32_t oc = 0; oc < a->out_c; ++oc) {
                    int32_t acc = conv_acc(a, (const uint8_t *)input, (const uint8_t *)weight,
                                           b, oy, ox, oc);
                    if (bias != NULL) acc += bias[oc];
                    acc = td_requant(acc, a->out_mult[oc], a->out_shift[oc]);
                    /* wraps like TFLite's int32 add; unsigned keeps it defined */
                    acc = (int32_t)((uint32_t)acc + (uint32_t)a->output_offset);
                    td_pack_put(&y, td_clamp(acc, a->act_min, a->act_max));
                }
            }
        }
    }
    td_pack_flush(&y);
}
