/* td_mean_s16.c - see td_mean_s16.h and td_mean_impl.h. */
#include "td_mean_s16.h"

#define TD_MEAN_T int16_t
#define TD_MEAN_MIN INT16_MIN
#define TD_MEAN_MAX INT16_MAX

#include "td_mean_impl.h"

void td_mean_s16(const td_mean_s16_args_t *args, const int16_t *in, int16_t *out)
{
    mean_run(args, in, out);
}
