/* td_mul_any_s8_rq.c - see td_mul_any_s8_rq.h and td_any_impl.h. */
#include "td_mul_any_s8_rq.h"

#define TD_ANY_RQ
#define TD_ANY_ACC(p, x, z) ((void)(p), (int32_t)((int64_t)(x) * (z)))

#include "td_any_impl.h"

void td_mul_any_s8_rq(const td_mul_any_s8_rq_args_t *args, const void *a, const void *b,
                      int8_t *out)
{
    any_run(args, a, b, out);
}
