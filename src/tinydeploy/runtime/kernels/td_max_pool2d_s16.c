/* td_max_pool2d_s16.c - see td_max_pool2d_s16.h and td_pool2d_impl.h. */
#include "td_max_pool2d_s16.h"

#define TD_POOL_T int16_t
#define TD_POOL_INIT INT16_MIN
#define TD_POOL_STEP(acc, x) TD_MAX((acc), (x))
#define TD_POOL_DONE(acc, count) ((void)(count), (acc))

#include "td_pool2d_impl.h"

void td_max_pool2d_s16(const td_max_pool2d_s16_args_t *args, const int16_t *in, int16_t *out)
{
    pool_run(args, in, out);
}
