/* td_minimum_s16.c - see td_minimum_s16.h. */
#include "td_minimum_s16.h"

#include "td_broadcast.h"

void td_minimum_s16(const td_minimum_s16_args_t *args, const int16_t *a, const int16_t *b,
                    int16_t *out)
{
    const int32_t n = td_bcast_count(args->ndim, args->shape);
    td_bcast_iter_t it;
    td_bcast_init(&it);
    for (int32_t i = 0; i < n; ++i) {
        out[i] = a[it.a] < b[it.b] ? a[it.a] : b[it.b];
        td_bcast_next(&it, args->ndim, args->shape, args->a_strides, args->b_strides);
    }
}
