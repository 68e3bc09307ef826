/* td_add_s8_s16_rq.c - see td_add_s8_s16_rq.h. */
#include "td_add_s8_s16_rq.h"

void td_add_s8_s16_rq(const td_add_s8_s16_rq_args_t *args, const int8_t *a_in, const int8_t *b_in,
                      int16_t *out)
{
    const td_add_s8_s16_rq_args_t *a = args;
    int32_t c = 0;
    for (int32_t i = 0; i < a->size; ++i) {
        const int32_t acc = td_add_s8_rq_acc(a, a_in, b_in, i);
        out[i] = (int16_t)td_add_s8_rq_out(a, acc, c);
        if (++c == a->rq_channels) c = 0;
    }
}
