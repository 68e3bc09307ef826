/* td_add_any_s8_rq.c - see td_add_any_s8_rq.h. */
#include "td_add_any_s8_rq.h"

#include "td_broadcast.h"
#include "td_integer.h"

void td_add_any_s8_rq(const td_add_any_s8_rq_args_t *args, const void *a, const void *b,
                      int8_t *out)
{
    const td_add_any_s8_rq_args_t *p = args;
    const int32_t skip = 6 - p->ndim;
    const int32_t *shape = p->shape + skip;
    const int32_t n = td_bcast_count(p->ndim, shape);
    td_bcast_iter_t it;
    int32_t c = 0;
    td_bcast_init(&it);
    for (int32_t i = 0; i < n; ++i) {
        const int32_t x = td_load_int(a, p->a_bytes, it.a) + p->a_offset;
        const int32_t z = td_load_int(b, p->b_bytes, it.b) + p->b_offset;
        const int32_t acc = (int32_t)((int64_t)x * p->a_mult + (int64_t)z * p->b_mult);
        out[i] = (int8_t)(td_requant_value(acc, p->rq_mul[c], p->rq_add[c], p->rq_mul2,
                                           p->rq_div[c], p->rq_fp32, p->rq_rounding,
                                           p->rq_clip_lo, p->rq_clip_hi) + p->rq_out_offset);
        if (++c == p->rq_channels) c = 0;
        td_bcast_next(&it, p->ndim, shape, p->a_strides + skip, p->b_strides + skip);
    }
}
