/* td_prelu_s16.c - see td_prelu_s16.h and td_prelu_impl.h. */
#include "td_prelu_s16.h"

#define TD_PRELU_T int16_t
#define TD_PRELU_MIN INT16_MIN
#define TD_PRELU_MAX INT16_MAX

#include "td_prelu_impl.h"

void td_prelu_s16(const td_prelu_s16_args_t *args, const int16_t *x, const int8_t *alpha,
                  int16_t *out)
{
    prelu_run(args, x, alpha, out);
}
