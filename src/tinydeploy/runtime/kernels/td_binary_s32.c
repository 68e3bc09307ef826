/* td_binary_s32.c - see td_binary_s32.h. */
#include "td_binary_s32.h"

#include "td_broadcast.h"

static int32_t divide(int32_t x, int32_t z)
{
    if (z == 0) return 0;
    if (z == -1) return (int32_t)(0u - (uint32_t)x);     /* INT32_MIN / -1 wraps */
    return x / z;
}

void td_binary_s32(const td_binary_s32_args_t *args, const int32_t *a, const int32_t *b,
                   int32_t *out)
{
    const int32_t n = td_bcast_count(args->ndim, args->shape);
    td_bcast_iter_t it;
    td_bcast_init(&it);
    for (int32_t i = 0; i < n; ++i) {
        const int32_t x = a[it.a], z = b[it.b];
        int32_t y;
        if (args->op == 0) y = divide(x, z);
        else if (args->op == 1) y = x > z ? x : z;
        else y = x < z ? x : z;
        out[i] = y < args->act_min ? args->act_min : y > args->act_max ? args->act_max : y;
        td_bcast_next(&it, args->ndim, args->shape, args->a_strides, args->b_strides);
    }
}
