/* td_avg_pool2d_s8.c - see td_avg_pool2d_s8.h and td_pool2d_impl.h. */
#include "td_avg_pool2d_s8.h"

#define TD_POOL_T int8_t
#define TD_POOL_INIT 0
#define TD_POOL_STEP(acc, x) ((acc) + (x))
/* Round half away from zero; C division truncates toward zero. */
#define TD_POOL_DONE(acc, count) \
    ((acc) > 0 ? ((acc) + (count) / 2) / (count) : ((acc) - (count) / 2) / (count))

#include "td_pool2d_impl.h"

void td_avg_pool2d_s8(const td_avg_pool2d_s8_args_t *args, const int8_t *in, int8_t *out)
{
    pool_run(args, in, out);
}
