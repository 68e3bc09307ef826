/* td_add_any_s32.c - see td_add_any_s32.h and td_any_impl.h. */
#include "td_add_any_s32.h"

#define TD_ANY_ACC(p, x, z) ((int32_t)((int64_t)(x) * (p)->a_mult + (int64_t)(z) * (p)->b_mult))

#include "td_any_impl.h"

void td_add_any_s32(const td_add_any_s32_args_t *args, const void *a, const void *b,
                    int32_t *out)
{
    any_run(args, a, b, out);
}
