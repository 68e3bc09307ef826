/* td_matmul_s8_rq.c - see td_matmul_s8_rq.h. */
#include "td_matmul_s8_rq.h"

void td_matmul_s8_rq(const td_matmul_s8_rq_args_t *args, const int8_t *a, const int8_t *b,
                     const int32_t *bias, int8_t *out)
{
    const td_matmul_s8_rq_args_t *p = args;
    int8_t *y = out;
    TD_MATMUL_FOR_EACH(p, i0, i1, i2, i3) {
        const td_matmul_base_t o = td_matmul_base(p, i0, i1, i2, i3);
        for (int32_t m = 0; m < p->m; ++m) {
            for (int32_t n = 0; n < p->channels; ++n) {
                const int32_t acc = td_matmul_s8_acc(p, o, a, b, bias, m, n);
                *y++ = (int8_t)td_matmul_s8_rq_out(p, acc, n);
            }
        }
    }
}
