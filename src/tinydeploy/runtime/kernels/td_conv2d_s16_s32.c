/* td_conv2d_s16_s32.c - see td_conv2d_s16_s32.h. The accumulator is the one of the fused
 * td_conv2d_s16_rq* kernels (td_conv2d_s16_rq.h), fed this kernel's geometry. */
#include "td_conv2d_s16_s32.h"

#include "td_conv2d_s16_rq.h"

void td_conv2d_s16_s32(const td_conv2d_s16_s32_args_t *args, const int16_t *input,
        const int8_t *weight, const int32_t *bias, int32_t *output)
{
    const td_conv2d_s16_rq_args_t g = {
        .batches = args->batches, .in_h = args->in_h, .in_w = args->in_w, .in_c = args->in_c,
        .out_h = args->out_h, .out_w = args->out_w, .out_c = args->out_c, .k_h = args->k_h,
        .k_w = args->k_w, .groups = args->groups, .stride_h = args->stride_h,
        .stride_w = args->stride_w, .dilation_h = args->dilation_h,
        .dilation_w = args->dilation_w, .pad_top = args->pad_top, .pad_left = args->pad_left,
        .input_offset = args->input_offset,
    };
    int32_t *y = output;
    for (int32_t b = 0; b < g.batches; ++b) {
        for (int32_t oy = 0; oy < g.out_h; ++oy) {
            for (int32_t ox = 0; ox < g.out_w; ++ox) {
                for (int32_t oc = 0; oc < g.out_c; ++oc) {
                    *y++ = td_conv2d_s16_rq_acc(&g, input, weight, bias, b, oy, ox, oc);
                }
            }
        }
    }
}
