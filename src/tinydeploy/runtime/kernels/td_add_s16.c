/* td_add_s16.c - see td_add_s16.h. */
#include "td_add_s16.h"

#include "td_broadcast.h"
#include "td_common.h"

static int16_t one(const td_add_s16_args_t *p, int16_t a, int16_t b)
{
    const int32_t x = (a + p->a_offset) * (1 << p->left_shift);
    const int32_t y = (b + p->b_offset) * (1 << p->left_shift);
    const int32_t raw = td_requant(x, p->a_multiplier, p->a_shift) +
                        td_requant(y, p->b_multiplier, p->b_shift);
    const int32_t v = td_requant(raw, p->out_multiplier, p->out_shift) + p->out_offset;
    return (int16_t)td_clamp(v, p->act_min, p->act_max);
}

void td_add_s16(const td_add_s16_args_t *args, const int16_t *a, const int16_t *b, int16_t *out)
{
    const int32_t n = td_bcast_count(args->ndim, args->shape);
    td_bcast_iter_t it;
    td_bcast_init(&it);
    for (int32_t i = 0; i < n; ++i) {
        out[i] = one(args, a[it.a], b[it.b]);
        td_bcast_next(&it, args->ndim, args->shape, args->a_strides, args->b_strides);
    }
}
