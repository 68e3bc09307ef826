/* td_integer_div_s32.c - see td_integer_div_s32.h. */
#include "td_integer_div_s32.h"

#include "td_broadcast.h"
#include "td_integer.h"

void td_integer_div_s32(const td_integer_div_s32_args_t *args, const void *a, const void *b,
                        int32_t *out)
{
    const td_integer_div_s32_args_t *p = args;
    static const int32_t a_strides[TD_MAX_DIMS] = {0};   /* a is read in order */
    const int32_t n = td_bcast_count(TD_MAX_DIMS, p->shape);
    td_bcast_iter_t it;
    td_bcast_init(&it);
    for (int32_t i = 0; i < n; ++i) {
        const int64_t num = p->delta * p->eta * (td_load_int(a, p->a_bytes, i) + p->a_offset);
        const int64_t den = p->eta * (td_load_int(b, p->b_bytes, it.b) + p->b_offset) + p->eps;
        const int64_t s = num + (num >= 0 ? 1 : -1) * (den >> 1);
        out[i] = (int32_t)(s / den);
        td_bcast_next(&it, TD_MAX_DIMS, p->shape, a_strides, p->b_strides);
    }
}
