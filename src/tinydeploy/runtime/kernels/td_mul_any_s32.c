/* td_mul_any_s32.c - see td_mul_any_s32.h. */
#include "td_mul_any_s32.h"

#include "td_broadcast.h"
#include "td_integer.h"

void td_mul_any_s32(const td_mul_any_s32_args_t *args, const void *a, const void *b,
                    int32_t *out)
{
    const td_add_any_s32_args_t *p = args;
    const int32_t skip = 6 - p->ndim;
    const int32_t *shape = p->shape + skip;
    const int32_t n = td_bcast_count(p->ndim, shape);
    td_bcast_iter_t it;
    td_bcast_init(&it);
    for (int32_t i = 0; i < n; ++i) {
        const int64_t x = td_load_int(a, p->a_bytes, it.a) + p->a_offset;
        const int64_t z = td_load_int(b, p->b_bytes, it.b) + p->b_offset;
        out[i] = (int32_t)(x * z);
        td_bcast_next(&it, p->ndim, shape, p->a_strides + skip, p->b_strides + skip);
    }
}
