/* td_sum_pool2d_s8_s32.c - see td_sum_pool2d_s8_s32.h. The accumulator is the one of the
 * fused td_sum_pool2d_s8_rq* kernels (td_sum_pool2d_s8_rq.h), fed this kernel's geometry. */
#include "td_sum_pool2d_s8_s32.h"

#include "td_sum_pool2d_s8_rq.h"

void td_sum_pool2d_s8_s32(const td_sum_pool2d_s8_s32_args_t *args, const int8_t *in,
                          int32_t *out)
{
    const td_sum_pool2d_s8_rq_args_t g = {
        .batches = args->batches, .in_h = args->in_h, .in_w = args->in_w,
        .channels = args->channels, .out_h = args->out_h, .out_w = args->out_w,
        .kernel_h = args->kernel_h, .kernel_w = args->kernel_w, .stride_h = args->stride_h,
        .stride_w = args->stride_w, .pad_top = args->pad_top, .pad_left = args->pad_left,
        .input_offset = args->input_offset,
    };
    for (int32_t b = 0; b < g.batches; ++b) {
        for (int32_t oy = 0; oy < g.out_h; ++oy) {
            for (int32_t ox = 0; ox < g.out_w; ++ox) {
                for (int32_t ch = 0; ch < g.channels; ++ch) {
                    *out++ = td_sum_pool2d_s8_rq_acc(&g, in, b, oy, ox, ch);
                }
            }
        }
    }
}
