/* td_mean_s8.c - see td_mean_s8.h and td_mean_impl.h. */
#include "td_mean_s8.h"

#define TD_MEAN_T int8_t
#define TD_MEAN_MIN INT8_MIN
#define TD_MEAN_MAX INT8_MAX

#include "td_mean_impl.h"

void td_mean_s8(const td_mean_s8_args_t *args, const int8_t *in, int8_t *out)
{
    mean_run(args, in, out);
}
