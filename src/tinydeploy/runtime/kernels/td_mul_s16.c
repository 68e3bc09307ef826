/* td_mul_s16.c - see td_mul_s16.h. */
#include "td_mul_s16.h"

#include "td_broadcast.h"
#include "td_common.h"

void td_mul_s16(const td_mul_s16_args_t *args, const int16_t *a, const int16_t *b,
                int16_t *out)
{
    const int32_t n = td_bcast_count(args->ndim, args->shape);
    td_bcast_iter_t it;
    td_bcast_init(&it);
    for (int32_t i = 0; i < n; ++i) {
        const int32_t prod = (a[it.a] + args->a_offset) * (b[it.b] + args->b_offset);
        const int32_t raw = td_requant(prod, args->out_multiplier, args->out_shift) +
                            args->out_offset;
        out[i] = (int16_t)td_clamp(raw, args->act_min, args->act_max);
        td_bcast_next(&it, args->ndim, args->shape, args->a_strides, args->b_strides);
    }
}
