/* td_max_pool2d_s8.c - see td_max_pool2d_s8.h and td_pool2d_impl.h. */
#include "td_max_pool2d_s8.h"

#define TD_POOL_T int8_t
#define TD_POOL_INIT INT8_MIN
#define TD_POOL_STEP(acc, x) TD_MAX((acc), (x))
#define TD_POOL_DONE(acc, count) ((void)(count), (acc))

#include "td_pool2d_impl.h"

void td_max_pool2d_s8(const td_max_pool2d_s8_args_t *args, const int8_t *in, int8_t *out)
{
    pool_run(args, in, out);
}
