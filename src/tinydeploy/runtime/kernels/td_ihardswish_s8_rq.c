/* td_ihardswish_s8_rq.c - see td_ihardswish_s8_rq.h. */
#include "td_ihardswish_s8_rq.h"

void td_ihardswish_s8_rq(const td_ihardswish_s8_rq_args_t *args, const int8_t *in, int8_t *out)
{
    const td_ihardswish_s8_rq_args_t *p = args;
    int32_t c = 0;
    for (int32_t i = 0; i < p->size; ++i) {
        out[i] = (int8_t)td_ihardswish_s8_rq_out(p, td_ihardswish_s8_acc(p, in[i]), c);
        if (++c == p->rq_channels) c = 0;
    }
}
