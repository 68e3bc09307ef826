/* td_fully_connected_s16_rq.c - see td_fully_connected_s16_rq.h. */
#include "td_fully_connected_s16_rq.h"

void td_fully_connected_s16_rq(const td_fully_connected_s16_rq_args_t *args, const int16_t *input,
                               const int8_t *weight, const int32_t *bias, int16_t *output)
{
    const td_fully_connected_s16_rq_args_t *a = args;
    int16_t *y = output;
    for (int32_t b = 0; b < a->batches; ++b) {
        for (int32_t o = 0; o < a->out_features; ++o) {
            const int32_t acc = td_fully_connected_s16_rq_acc(a, input, weight, bias, b, o);
            *y++ = (int16_t)td_fully_connected_s16_rq_out(a, acc, o);
        }
    }
}
