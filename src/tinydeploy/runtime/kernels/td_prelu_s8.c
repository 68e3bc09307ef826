/* td_prelu_s8.c - see td_prelu_s8.h. */
#include "td_prelu_s8.h"

#include "td_broadcast.h"
#include "td_common.h"

void td_prelu_s8(const td_prelu_s8_args_t *args, const int8_t *x, const int8_t *alpha, int8_t *out)
{
    const int32_t n = td_bcast_count(args->ndim, args->shape);
    td_bcast_iter_t it;
    td_bcast_init(&it);
    for (int32_t i = 0; i < n; ++i) {
        const int32_t v = x[it.a] + args->x_offset;
        int32_t y;
        if (v >= 0) {
            y = td_requant(v, args->mult_pos, args->shift_pos);
        } else {
            y = td_requant(v * (alpha[it.b] + args->alpha_offset), args->mult_neg,
                           args->shift_neg);
        }
        out[i] = (int8_t)td_clamp(y + args->out_offset, INT8_MIN, INT8_MAX);
        td_bcast_next(&it, args->ndim, args->shape, args->x_strides, args->alpha_strides);
    }
}
