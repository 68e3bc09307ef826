/* td_igelu_s8_rq.c - see td_igelu_s8_rq.h. */
#include "td_igelu_s8_rq.h"

void td_igelu_s8_rq(const td_igelu_s8_rq_args_t *args, const int8_t *in, int8_t *out)
{
    const td_igelu_s8_rq_args_t *p = args;
    int32_t c = 0;
    for (int32_t i = 0; i < p->size; ++i) {
        out[i] = (int8_t)td_igelu_s8_rq_out(p, td_igelu_s8_acc(p, in[i]), c);
        if (++c == p->rq_channels) c = 0;
    }
}
