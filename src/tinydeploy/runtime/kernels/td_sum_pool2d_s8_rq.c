/* td_sum_pool2d_s8_rq.c - see td_sum_pool2d_s8_rq.h. */
#include "td_sum_pool2d_s8_rq.h"

void td_sum_pool2d_s8_rq(const td_sum_pool2d_s8_rq_args_t *args, const int8_t *input,
                         int8_t *output)
{
    const td_sum_pool2d_s8_rq_args_t *a = args;
    int8_t *y = output;
    for (int32_t b = 0; b < a->batches; ++b) {
        for (int32_t oy = 0; oy < a->out_h; ++oy) {
            for (int32_t ox = 0; ox < a->out_w; ++ox) {
                for (int32_t ch = 0; ch < a->channels; ++ch) {
                    const int32_t acc = td_sum_pool2d_s8_rq_acc(a, input, b, oy, ox, ch);
                    *y++ = (int8_t)td_sum_pool2d_s8_rq_out(a, acc, ch);
                }
            }
        }
    }
}
