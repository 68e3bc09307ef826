/* td_depthwise_conv2d_s8_rq.c - see td_depthwise_conv2d_s8_rq.h. */
#include "td_depthwise_conv2d_s8_rq.h"

void td_depthwise_conv2d_s8_rq(const td_depthwise_conv2d_s8_rq_args_t *args, const int8_t *input,
                               const int8_t *weight, const int32_t *bias, int8_t *output)
{
    const td_depthwise_conv2d_s8_rq_args_t *a = args;
    int8_t *y = output;
    for (int32_t b = 0; b < a->batches; ++b) {
        for (int32_t oy = 0; oy < a->out_h; ++oy) {
            for (int32_t ox = 0; ox < a->out_w; ++ox) {
                for (int32_t oc = 0; oc < a->out_c; ++oc) {
                    const int32_t acc = td_depthwise_conv2d_s8_rq_acc(
                            a, input, weight, bias, b, oy, ox, oc);
                    *y++ = (int8_t)td_depthwise_conv2d_s8_rq_out(a, acc, oc);
                }
            }
        }
    }
}
